"""The monthly report (G18): which month is due, and its figures from the month's tickets.

A month's tickets are those received in it; its satisfaction counts their answers. Pure: the
tickets as values in, the figures as a plain dict out (the JSON `maild report --json` prints).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Mapping, Sequence

from .sla import FINISHED, UPDATES, Step

CLOCKS = ("record", "assignment", "first_response", "resolution", "progress")  # as the report names them
GRACE = timedelta(minutes=10)  # an update this late still keeps the cadence
TOP = 5  # types and weak spots listed


@dataclass(frozen=True)
class MonthTicket:
    number: str
    received_at: datetime
    status: str
    priority: str | None
    type: str | None
    organisation: str | None
    customer: str
    subject: str
    assignee: str | None
    resolved_at: datetime | None
    reopened: bool
    rating: str | None
    suggestions: str | None
    sla: Mapping[str, str]  # clock (CLOCKS) → met | breached | running | paused


def due_month(now: datetime, zone: tzinfo, day: int) -> str | None:
    """The month whose report is due at `now`: the one before, from report.day on; None before."""
    if now.astimezone(zone).day < day:
        return None
    return month_before(now, zone)


def month_before(now: datetime, zone: tzinfo) -> str:
    """"YYYY-MM" of the month before the one `now` falls in, in the helpdesk's zone."""
    return f"{now.astimezone(zone).date().replace(day=1) - timedelta(days=1):%Y-%m}"


def month_bounds(month: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of "YYYY-MM" in the helpdesk's zone; ValueError for anything else."""
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=zone)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, following


def progress_cadence(received_at: datetime, steps: Sequence[Step], every: int | None, now: datetime) -> str | None:
    """G13's cadence on one ticket: "met" when no stretch while it was open (not waiting on the
    customer) went longer than `every` without a mail to the customer, "breached" otherwise; None
    for a priority that is owed no updates."""
    if not every:
        return None
    window = timedelta(seconds=every) + GRACE
    owed_since: datetime | None = received_at  # None: nothing owed (waiting, or finished)
    for step in steps:
        if owed_since is not None and step.at - owed_since > window:
            return "breached"
        if step.status in FINISHED or step.status == "waiting":
            owed_since = None
        elif owed_since is None or step.kind in UPDATES:
            owed_since = step.at
    return "breached" if owed_since is not None and now - owed_since > window else "met"


def figures(month: str, tickets: Sequence[MonthTicket]) -> dict[str, Any]:
    by_type = Counter(t.type or "-" for t in tickets)
    breaches = Counter((module_of(t.type), t.type or "-") for t in tickets
                       for state in t.sla.values() if state == "breached")
    ratings = Counter(t.rating for t in tickets if t.rating)
    return {
        "month": month,
        "tickets": len(tickets),
        "by_priority": dict(sorted(Counter(t.priority or "-" for t in tickets).items())),
        "by_type": dict(by_type.most_common()),
        "by_organisation": dict(Counter(t.organisation or "-" for t in tickets).most_common()),
        "sla": {clock: {"met": sum(1 for t in tickets if t.sla.get(clock) == "met"),
                        "breached": sum(1 for t in tickets if t.sla.get(clock) == "breached")} for clock in CLOCKS},
        "satisfaction": {"satisfied": ratings["satisfied"], "basically_satisfied": ratings["basically-satisfied"],
                         "unsatisfied": ratings["unsatisfied"]},
        "suggestions": [{"ticket": t.number, "rating": t.rating, "suggestions": t.suggestions}
                        for t in tickets if t.suggestions],
        "reopened": sum(1 for t in tickets if t.reopened),
        "top_types": [{"type": name, "tickets": count} for name, count in by_type.most_common(TOP)],
        "weak_spots": [{"module": module, "type": name, "breaches": count}
                       for (module, name), count in breaches.most_common(TOP)],
    }


def module_of(problem_type: str | None) -> str:
    """The part of a type after its category: 软件异常-账号登录 → 账号登录."""
    return (problem_type or "-").partition("-")[2] or "-"
