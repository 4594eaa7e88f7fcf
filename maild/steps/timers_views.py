"""The guideline's clocks and timers as staff see them: a ticket's clocks (`maild show`), the
tickets with a clock breached or nearly due (`maild tickets --overdue`), and what the timers
step will do next (`maild timers`); all read the tickets as the timers step does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..config import Config
from ..rules.sla import clocks
from ..rules.timers import schedule, timer_policy
from ..store import queries, timers
from . import clocks_started, ticket_now

TICKETS = 100  # looked at for `maild timers`, the soonest first: enough for a screen
DUE_SOON = timedelta(hours=1)


def ticket_sla(number: str, config: Config, now: datetime) -> dict[str, dict[str, str | None]]:
    """`show --json`'s `sla`: {clock: {due, done, state}}, times ISO 8601 in the helpdesk's zone;
    none before the ticket has a priority."""
    policy, zone = timer_policy(config), config.helpdesk.zone
    return {name: {"due": clock.due.astimezone(zone).isoformat(),
                   "done": clock.done.astimezone(zone).isoformat() if clock.done else None, "state": clock.state}
            for state in timers.ticket_states(timers.numbered(number)).values() if clocks_started(state)
            for name, clock in clocks(ticket_now(state).times, now, policy.sla, policy.calendar).items()}


def ticket_document(number: str, config: Config, now: datetime) -> dict[str, Any] | None:
    """`maild show --json`'s document: the ticket as the store holds it, with its clocks now (the
    archive files it as ticket.json)."""
    ticket = queries.ticket_detail(number)
    if ticket is not None:
        ticket["sla"] = ticket_sla(number, config, now)
    return ticket


def overdue(config: Config, now: datetime) -> dict[str, list[dict[str, str]]]:
    """The unfinished tickets with a clock breached or due within the hour, by number: each such
    clock's name, due time and state."""
    policy, zone = timer_policy(config), config.helpdesk.zone
    found: dict[str, list[dict[str, str]]] = {}
    for state in timers.ticket_states(timers.unfinished()).values():
        if not clocks_started(state):
            continue
        late = [{"clock": name, "due": clock.due.astimezone(zone).isoformat(), "state": clock.state}
                for name, clock in clocks(ticket_now(state).times, now, policy.sla, policy.calendar).items()
                if clock.done is None and clock.state != "paused" and clock.due - now <= DUE_SOON]
        if late:
            found[state.number] = late
    return found


def upcoming(config: Config, now: datetime) -> list[dict[str, Any]]:
    """[{ticket, kind, due}] of the timers that have not fired, due in the helpdesk's zone, the
    soonest first."""
    policy, zone = timer_policy(config), config.helpdesk.zone
    found = [(timer.due, state.number, timer.kind)
             for state in timers.ticket_states(timers.upcoming(TICKETS)).values() if clocks_started(state)
             for timer in schedule(ticket_now(state), now, policy) if (timer.kind, timer.period) not in state.fired]
    return [{"ticket": number, "kind": kind, "due": due.astimezone(zone).isoformat()}
            for due, number, kind in sorted(found)]
