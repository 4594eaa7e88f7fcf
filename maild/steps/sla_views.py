"""The guideline's clocks as staff see them (`maild show`): each started clock's due time, the
instant it stopped, and its state, read from the ticket as the store shows it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..config import Config
from ..rules.calendar import calendar_from
from ..rules.sla import Step, TicketTimes, clocks, sla_policy_from
from ..store import queries


def ticket_sla(ticket: dict[str, Any], config: Config, now: datetime) -> dict[str, dict[str, str | None]]:
    """`show --json`'s `sla` of a ticket (`queries.ticket_detail`): {clock: {due, done, state}},
    times ISO 8601 in the helpdesk's zone; none before the ticket has a priority."""
    times = ticket_times(ticket)
    if times is None:
        return {}
    zone = config.helpdesk.zone
    return {name: {"due": clock.due.astimezone(zone).isoformat(),
                   "done": clock.done.astimezone(zone).isoformat() if clock.done else None, "state": clock.state}
            for name, clock in clocks(times, now, sla_policy_from(config.sla), calendar_from(config.calendar, config.helpdesk.zone)).items()}


DUE_SOON = timedelta(hours=1)


def overdue(config: Config, now: datetime) -> dict[str, list[dict[str, str]]]:
    """The unfinished tickets with a clock breached or due within the hour, by number: each such
    clock's name, due time and state."""
    policy, calendar = sla_policy_from(config.sla), calendar_from(config.calendar, config.helpdesk.zone)
    zone = config.helpdesk.zone
    found: dict[str, list[dict[str, str]]] = {}
    for number, ticket in queries.unfinished_ticket_times().items():
        times = ticket_times(ticket)
        if times is None:
            continue
        late = [{"clock": name, "due": clock.due.astimezone(zone).isoformat(), "state": clock.state}
                for name, clock in clocks(times, now, policy, calendar).items()
                if clock.done is None and clock.state != "paused" and clock.due - now <= DUE_SOON]
        if late:
            found[number] = late
    return found


def ticket_times(ticket: dict[str, Any]) -> TicketTimes | None:
    if not ticket["priority"] or not ticket["received_at"]:
        return None
    intake = ticket["intake"] or {}
    steps = tuple(Step(datetime.fromisoformat(e["at"]), e["kind"], e["status"]) for e in ticket["events"])
    return TicketTimes(datetime.fromisoformat(ticket["received_at"]), ticket["priority"],
                       _time(intake.get("recorded_at")), _time(ticket["assigned_at"]) if ticket["assignee"] else None,
                       steps)


def _time(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None
