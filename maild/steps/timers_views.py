"""What the timers step will do next, for `maild timers`: each ticket's timers that have not fired,
the soonest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..config import Config
from ..rules.timers import timer_policy
from ..store import timers
from .timers import waiting_timers

TICKETS = 100  # looked at, the soonest first: enough for a screen, however many tickets are open


def upcoming(config: Config, now: datetime) -> list[dict[str, Any]]:
    """[{ticket, kind, due}], due in the helpdesk's zone, the soonest first."""
    policy, zone = timer_policy(config), config.helpdesk.zone
    found = [(timer.due, state.number, timer.kind)
             for state in timers.ticket_states(timers.upcoming(TICKETS)).values()
             if state.priority and state.received_at
             for timer in waiting_timers(state, now, policy)]
    return [{"ticket": number, "kind": kind, "due": due.astimezone(zone).isoformat()}
            for due, number, kind in sorted(found)]
