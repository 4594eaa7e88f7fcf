"""The guideline's clocks on a ticket (G2, G3, G7, G9, G12): when each started, when it is due,
when it stopped, and whether it was met.

Pure: a function of the ticket, its trail, now and the policy. The trail carries the ticket's
status after each step, so the clocks read from it when the ticket waited on the customer (the
resolution clock pauses), when it was resolved and reopened (paused in between), when an
engineer first wrote to the customer and when #complex and #eta were given. A priority change
needs nothing of its own: the windows are looked up by the priority the ticket has now, from the
original start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from ..config import SlaConfig, working_days_in
from .calendar import WorkCalendar

CLOCKS = ("record", "assignment", "first_response", "resolution", "solution")
TO_THE_CUSTOMER = ("engineer-reply", "resolved")  # an engineer's mail to the customer (the notice too)
FINISHED = ("resolved", "closed")
# The trail's steps that told the customer where their problem stands: a progress update (G13).
UPDATES = ("engineer-reply", "resolved", "progress-update", "eta-notice")


@dataclass(frozen=True)
class SlaPolicy:
    record: int
    assignment: int
    first_response: Mapping[str, int] = field(hash=False)
    resolution: Mapping[str, int | str] = field(hash=False)  # seconds, or "N working days"
    solution: int = 172800
    business_hours: bool = False  # the windows in seconds count working hours only
    pause_when_waiting: bool = True


@dataclass(frozen=True)
class Step:
    """A line of the ticket's trail, as the clocks read it."""

    at: datetime
    kind: str
    status: str | None  # the ticket's status after it; None on lines from before it was kept


@dataclass(frozen=True)
class TicketTimes:
    received_at: datetime
    priority: str
    recorded_at: datetime | None  # the intake record complete
    assigned_at: datetime | None  # classified and assigned to someone
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Clock:
    start: datetime
    due: datetime
    done: datetime | None  # the instant it stopped; None while it runs
    state: str  # running | paused | met | breached


def clocks(ticket: TicketTimes, now: datetime, policy: SlaPolicy, calendar: WorkCalendar) -> dict[str, Clock]:
    """Each clock that has started, by name (CLOCKS order)."""
    received = ticket.received_at
    found = {
        "record": clock(received, policy.record, ticket.recorded_at, (), now, policy, calendar),
        "assignment": clock(received, policy.assignment, ticket.assigned_at, (), now, policy, calendar),
        "first_response": clock(received, policy.first_response[ticket.priority],
                                next((s.at for s in ticket.steps if s.kind in TO_THE_CUSTOMER), None), (), now,
                                policy, calendar),
    }
    resolved, pauses = resolution_pauses(ticket.steps, policy.pause_when_waiting)
    found["resolution"] = clock(received, policy.resolution[ticket.priority], resolved, pauses, now, policy, calendar)
    complex_at = next((s.at for s in ticket.steps if s.kind == "complex"), None)
    if complex_at is not None:
        answered = next((s.at for s in ticket.steps
                         if s.at >= complex_at and (s.kind == "eta" or s.status in FINISHED)), None)
        found["solution"] = clock(complex_at, policy.solution, answered, (), now, policy, calendar)
    return found


def resolution_pauses(steps: tuple[Step, ...],
                      pause_when_waiting: bool) -> tuple[datetime | None, tuple[tuple[datetime, datetime | None], ...]]:
    """When the ticket was resolved (None: not now), and the spans the resolution clock stood
    still: waiting on the customer, and resolved before a reopening (the last span open: None)."""
    pauses: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = None  # the start of the pause in progress
    resolved: datetime | None = None
    for step in steps:
        if step.status is None:
            continue
        stands = step.status in FINISHED or (pause_when_waiting and step.status == "waiting")
        if stands and since is None:
            since = step.at
            resolved = step.at if step.status in FINISHED else None
        elif stands and step.status in FINISHED and resolved is None:
            resolved = step.at  # waited, then resolved: the clock stopped when it was resolved
        elif not stands and since is not None:
            pauses.append((since, step.at))
            since, resolved = None, None
    if resolved is not None:
        return resolved, tuple(pauses)
    return None, (*pauses, *([(since, None)] if since is not None else []))


def clock(start: datetime, window: int | str, done: datetime | None, pauses: tuple[tuple[datetime, datetime | None], ...],
          now: datetime, policy: SlaPolicy, calendar: WorkCalendar) -> Clock:
    working = working_days_in(window) is not None or policy.business_hours
    due = due_at(start, window, policy.business_hours, calendar)
    paused = False
    for begin, end in pauses:
        if begin >= due:
            break  # breached before it paused: standing still does not mend that
        until = end or now
        paused = end is None
        due = (calendar.add_working_time(due, calendar.working_time_between(begin, until)) if working
               else due + (until - begin))
    if done is not None:
        return Clock(start, due, done, "met" if done <= due else "breached")
    return Clock(start, due, None, "paused" if paused else "breached" if now >= due else "running")


def due_at(start: datetime, window: int | str, business_hours: bool, calendar: WorkCalendar) -> datetime:
    days = working_days_in(window)
    if days is not None:
        return calendar.add_working_days(start, days)
    assert isinstance(window, int)
    if business_hours:
        return calendar.add_working_time(start, timedelta(seconds=window))
    return start + timedelta(seconds=window)  # hours are wall-clock: an outage does not wait for Monday


def sla_policy_from(sla: SlaConfig) -> SlaPolicy:
    return SlaPolicy(sla.record, sla.assignment, sla.first_response, sla.resolution, sla.solution,
                     sla.business_hours, sla.pause_when_waiting)
