"""The monthly report (G18): from report.day on, last month's report to report.to, once.

One run: if a month is due and not reported (the `monthly_report` latch, written in the
transaction that queues the mails), its figures are worked out from the tickets received in it
(rules.report), drawn (outgoing.charts) and mailed: an HTML part with the charts inline by cid:,
and the month's tickets as a CSV attachment. `build` serves `maild report` the same figures.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime

from ..config import Config
from ..outgoing.charts import bar_chart
from ..outgoing.notices import MailWriter
from ..parsing import Address, Attachment
from ..rules.actions import QueueMail
from ..rules.report import CLOCKS, MonthTicket, due_month, figures, month_before, month_bounds, progress_cadence
from ..rules.routing import roster_from
from ..rules.sla import clocks
from ..rules.timers import timer_policy
from ..store import reports, timers
from ..store.db import transaction
from . import clocks_started, queue_notice, ticket_now

log = logging.getLogger(__name__)

CSV_COLUMNS = ("number", "received_at", "status", "priority", "type", "organisation", "customer", "subject",
               "assignee", "resolved_at", "reopened", "rating", "suggestions", *(f"sla_{c}" for c in CLOCKS))


@dataclass(frozen=True)
class MonthReport:
    figures: dict
    csv: bytes
    charts: dict[str, bytes]  # file name → PNG

    def context(self, chart_src: dict[str, str]) -> dict:
        """The report template's values; `chart_src`: each chart's file name → what an <img> shows."""
        return {"report": self.figures, "charts": chart_src}


class Report:
    name = "report"

    def __init__(self, config: Config, writer: MailWriter) -> None:
        self.config = config
        self.writer = writer
        self._settled: str | None = None  # the month this process knows is done (or before maild's time)

    def run(self, now: datetime) -> int:
        """1 when a report went; 0: none due, or done already."""
        month = due_month(now, self.config.helpdesk.zone, self.config.report.day)
        if month is None or month == self._settled:
            return 0
        first = reports.first_fetched_at()
        # A month that ended before maild took its first mail has nothing to report: a new install
        # sends no empty report for the month before it.
        if first is None or first >= month_bounds(month, self.config.helpdesk.zone)[1] or reports.went(month):
            self._settled = month
            return 0
        report = build(month, self.config, now)  # before the transaction: SQLite's write lock is not held meanwhile
        with transaction():
            if not reports.latch(month, now):  # another process was first
                self._settled = month
                return 0
            told = [self._queue(month, report, to, now) for to in recipients(self.config)]
        self._settled = month
        log.info("monthly report %s: %d tickets, sent to %s", month, report.figures["tickets"],
                 ", ".join(told) or "nobody (report.to names no staff)")
        return 1

    def _queue(self, month: str, report: MonthReport, to: Address, now: datetime) -> str:
        helpdesk = self.config.helpdesk
        images = tuple(Attachment(name, "image/png", png, True) for name, png in report.charts.items())
        csv_file = Attachment(f"tickets-{month}.csv", "text/csv", report.csv, False)
        queued = QueueMail("report", f"report:{month}:{to.address}", to, helpdesk.default_language,
                           f"{helpdesk.name}: {month} 月度报告 / monthly report",
                           report.context({name: f"cid:{name}" for name in report.charts}), on_thread=False,
                           attachments=(csv_file,), images=images)
        queue_notice(queued, None, None, self.writer, now)
        return to.address


def recipients(config: Config) -> list[Address]:
    """report.to: roles (their staff) and addresses, each once."""
    roster = roster_from(config)
    found: dict[str, Address] = {}
    for name in config.report.to:
        if "@" in name:
            member = roster.member(name.lower())
            found.setdefault(name.lower(), Address(name.lower(), member.name if member else ""))
        else:
            for member in roster.with_role(name):
                found.setdefault(member.address, Address(member.address, member.name))
    return list(found.values())


def build(month: str | None, config: Config, now: datetime) -> MonthReport:
    """The month's figures, its tickets as CSV and its charts; None: the month before now."""
    zone, policy = config.helpdesk.zone, timer_policy(config)
    month = month or month_before(now, zone)
    start, end = month_bounds(month, zone)
    rows = reports.received_between(start, end)
    states = timers.ticket_states([row.id for row in rows])
    tickets = []
    for row in rows:
        state = states[row.id]
        sla: dict[str, str] = {}
        if clocks_started(state):
            times = ticket_now(state).times
            sla = {name: c.state for name, c in clocks(times, now, policy.sla, policy.calendar).items()
                   if name in CLOCKS}
            cadence = progress_cadence(times.received_at, times.steps, policy.progress_every.get(times.priority), now)
            if cadence:
                sla["progress"] = cadence
        tickets.append(MonthTicket(row.number, row.received_at, row.status, row.priority, row.problem_type,
                                   row.organisation, row.customer, row.subject, row.assignee, row.resolved_at,
                                   state.reopened, row.rating,
                                   row.suggestions, sla))
    found = figures(month, tickets)
    return MonthReport(found, tickets_csv(tickets, zone), charts(found))


def tickets_csv(tickets: list[MonthTicket], zone) -> bytes:
    """UTF-8 with a byte-order mark: spreadsheet programs then read the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    local = lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""  # noqa: E731
    for t in tickets:
        writer.writerow([t.number, local(t.received_at), t.status, t.priority or "", t.type or "",
                         t.organisation or "", t.customer, t.subject, t.assignee or "", local(t.resolved_at),
                         "yes" if t.reopened else "", t.rating or "", t.suggestions or "",
                         *(t.sla.get(clock, "") for clock in CLOCKS)])
    return out.getvalue().encode("utf-8-sig")


def charts(found: dict) -> dict[str, bytes]:
    satisfaction = found["satisfaction"]
    return {
        "priority.png": bar_chart("Tickets by priority", [(p, [n]) for p, n in found["by_priority"].items()]),
        "types.png": bar_chart("Tickets by type", [(t, [n]) for t, n in found["by_type"].items()]),
        "organisations.png": bar_chart("Tickets by organisation",
                                       [(o, [n]) for o, n in found["by_organisation"].items()]),
        "sla.png": bar_chart("SLA by clock", [(c, [v["met"], v["breached"]]) for c, v in found["sla"].items()],
                             ("met", "breached")),
        "satisfaction.png": bar_chart("Satisfaction", [(name.replace("_", " "), [n])
                                                        for name, n in satisfaction.items()]),
    }
