"""The business calendar (G20): which days are working days, when the helpdesk is open, and what
"N working days" or "so many working hours" after a moment is.

Config entries win over the country's calendar: `workdays` (a Sunday made a working day) and
`holidays` (extra days off) first, then the public holidays and, for China, the make-up working
days on weekends (调休) from the `holidays` library, then the working weekdays.

Pure: the library computes its calendars from rules and tables, no I/O; every moment in and out
is an aware datetime, arithmetic is done in UTC so a DST change costs or gives no hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache

from ..config import WEEKDAYS, CalendarConfig

SEARCH_DAYS = 3660  # no working day within ten years: a calendar of holidays only, refused at once


@dataclass(frozen=True)
class WorkCalendar:
    zone: tzinfo
    opens: time = time(9)
    closes: time = time(18)
    working_days: frozenset[str] = frozenset(WEEKDAYS[:5])
    holidays: frozenset[date] = frozenset()  # calendar.holidays: extra days off
    workdays: frozenset[date] = frozenset()  # calendar.workdays: extra working days
    country: str = ""  # ISO 3166 code of the public holidays; "" none

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        public, make_up = country_days(self.country, day.year)
        if day in make_up:
            return True
        return day not in public and WEEKDAYS[day.weekday()] in self.working_days

    def next_working_day(self, day: date) -> date:
        for offset in range(1, SEARCH_DAYS):
            following = day + timedelta(days=offset)
            if self.is_working_day(following):
                return following
        raise ValueError(f"no working day within ten years after {day}")

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return self.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, moment: datetime) -> datetime:
        """The moment itself when the helpdesk is open then, else when it opens next."""
        local = moment.astimezone(self.zone)
        if self.is_open(moment):
            return moment.astimezone(timezone.utc)
        day = local.date()
        if not (self.is_working_day(day) and local.time() < self.opens):
            day = self.next_working_day(day)
        return self.at(day, self.opens)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local time on the N-th working day after; a start outside working hours
        counts from the next opening (Friday 20:00 + 1 working day = Tuesday 09:00)."""
        begin = self.next_opening(start).astimezone(self.zone)
        day = begin.date()
        for _ in range(days):
            day = self.next_working_day(day)
        return self.at(day, begin.time())

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when `duration` of open hours has passed since `start`."""
        left = duration
        moment = self.next_opening(start)
        while True:
            closing = self.at(moment.astimezone(self.zone).date(), self.closes)
            if left <= closing - moment:
                return moment + left
            left -= closing - moment
            moment = self.at(self.next_working_day(moment.astimezone(self.zone).date()), self.opens)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much of the time from `start` to `end` the helpdesk was open."""
        total = timedelta()
        moment = self.next_opening(start)
        while moment < end:
            closing = self.at(moment.astimezone(self.zone).date(), self.closes)
            total += min(closing, end) - moment
            moment = self.next_opening(closing)
        return total

    def at(self, day: date, clock: time) -> datetime:
        """That local time of that day, in UTC (a time a DST change skips is read before it)."""
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(timezone.utc)


@lru_cache(maxsize=64)
def country_days(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """A country's public holidays of a year, and its make-up working days (only China's
    calendar in the library has them)."""
    if not country:
        return frozenset(), frozenset()
    from holidays import country_holidays  # 70 ms to import: only where a calendar is used

    found = country_holidays(country, years=year)
    make_up = getattr(found, "weekend_workdays", set())
    return frozenset(found), frozenset(day for day in make_up if day.year == year)


def calendar_from(config: CalendarConfig, zone: tzinfo) -> WorkCalendar:
    opens, closes = config.hours
    return WorkCalendar(zone, opens, closes, frozenset(config.working_days), config.days_off, config.days_on,
                        config.country)
