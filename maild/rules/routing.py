"""Who handles a new ticket (guideline G6): P0 the least-loaded senior engineer, and the supervisor
is told at once; P1 the engineer of the affected module; P2/P3 the on-duty engineer of the
moment, by the rota. Pure: the staff, the rota, everyone's open tickets and the local time in.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from datetime import datetime, time, timedelta
from typing import Mapping

from ..config import Config

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order


@dataclass(frozen=True)
class Engineer:
    address: str  # lower-cased
    name: str
    roles: frozenset[str] = frozenset()
    modules: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Shift:
    """A rota entry: on `date`, or on `days` (every day when empty), from `start` to `end` (the
    whole day when unset; past midnight when `end` is not after `start`: the shift belongs to the
    day it starts)."""

    staff: str
    days: frozenset[str] = frozenset()
    date: dt.date | None = None
    start: time | None = None
    end: time | None = None

    def covers(self, moment: datetime) -> bool:
        """`moment`: naive local time in the helpdesk's zone."""
        if self.start is None or self.end is None:
            return self._on(moment.date())
        clock = moment.time()
        if self.start < self.end:
            return self._on(moment.date()) and self.start <= clock < self.end
        # Across midnight: the evening of a covered day, or the early morning after one.
        return (self._on(moment.date()) and clock >= self.start) or \
               (self._on(moment.date() - timedelta(days=1)) and clock < self.end)

    def _on(self, day: dt.date) -> bool:
        if self.date is not None:
            return day == self.date
        return not self.days or WEEKDAYS[day.weekday()] in self.days


@dataclass(frozen=True)
class Roster:
    staff: tuple[Engineer, ...]  # in config order: it breaks ties
    rota: tuple[Shift, ...]  # in config order: the first that covers the moment wins

    @property
    def addresses(self) -> frozenset[str]:
        return frozenset(e.address for e in self.staff)

    def member(self, address: str) -> Engineer | None:
        """The staff member writing from this (lower-cased) address; None for anyone else."""
        return next((e for e in self.staff if e.address == address), None)

    def with_role(self, role: str) -> tuple[Engineer, ...]:
        return tuple(e for e in self.staff if role in e.roles)

    def on_duty(self, moment: datetime) -> Engineer | None:
        by_address = {e.address: e for e in self.staff}
        for shift in self.rota:
            if shift.covers(moment):
                return by_address.get(shift.staff)
        return None


@dataclass(frozen=True)
class Assignment:
    assignee: Engineer | None
    reason: str  # "least-loaded senior engineer (2 open)", "on duty (rota)"
    tell: tuple[Engineer, ...] = ()  # told at once besides the assignee: the supervisors, for P0


def assign(priority: str, module: str | None, roster: Roster, load: Mapping[str, int], moment: datetime) -> Assignment:
    """`load`: open tickets per assignee address; `moment`: naive local time."""
    if priority == "P0":
        tell = roster.with_role("supervisor")
        seniors = roster.with_role("senior")
        if seniors:
            lead = least_loaded(seniors, load)
            return Assignment(lead, f"P0: least-loaded senior engineer ({load.get(lead.address, 0)} open)", tell)
        return _on_duty(roster, moment, tell, "P0: no senior engineer configured; ")
    if priority == "P1" and module:
        owners = tuple(e for e in roster.staff if module in e.modules)
        if owners:
            engineer = least_loaded(owners, load)
            return Assignment(engineer, f"P1: engineer of module {module}")
        return _on_duty(roster, moment, (), f"P1: no engineer for module {module}; ")
    return _on_duty(roster, moment, (), "")


def _on_duty(roster: Roster, moment: datetime, tell: tuple[Engineer, ...], why: str) -> Assignment:
    engineer = roster.on_duty(moment)
    if engineer is not None:
        return Assignment(engineer, f"{why}on duty by the rota at {moment:%a %H:%M}", tell)
    supervisors = roster.with_role("supervisor")
    # Nobody covers the moment: the supervisor decides, and is told so.
    return Assignment(None, f"{why}no rota entry covers {moment:%a %H:%M}: unassigned",
                      tell or supervisors)


def least_loaded(engineers: tuple[Engineer, ...], load: Mapping[str, int]) -> Engineer:
    return min(engineers, key=lambda e: load.get(e.address, 0))  # min keeps the first of equals


def roster_from(config: Config) -> Roster:
    """The [[staff]] and [[rota]] entries as the rules see them."""
    return Roster(tuple(Engineer(s.address, s.name, frozenset(s.roles), frozenset(s.modules)) for s in config.staff),
                  tuple(Shift(r.staff, frozenset(r.days), r.date, r.start, r.end) for r in config.rota))
