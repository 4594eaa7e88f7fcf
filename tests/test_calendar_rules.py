"""The business calendar (G20): working days with China's public holidays and make-up days,
the admin's own days off and on, and what "N working days" or "N working hours" later is."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from maild.rules.calendar import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
CHINA = WorkCalendar(SHANGHAI, country="CN", holidays=frozenset({date(2026, 12, 31)}),
                     workdays=frozenset({date(2026, 12, 27)}))


def local(zone: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone)


def test_weekdays_work_and_weekends_rest() -> None:
    assert CHINA.is_working_day(date(2026, 11, 25)) and not CHINA.is_working_day(date(2026, 11, 28))


def test_a_public_holiday_rests_and_a_make_up_saturday_works() -> None:
    assert not CHINA.is_working_day(date(2026, 10, 1))  # National Day
    assert not CHINA.is_working_day(date(2026, 10, 7))  # a weekday off, given for 10 October
    assert CHINA.is_working_day(date(2026, 2, 14))  # 调休: the Saturday before the Spring Festival


def test_the_admins_days_win_over_the_country() -> None:
    assert not CHINA.is_working_day(date(2026, 12, 31)) and CHINA.is_working_day(date(2026, 12, 27))


def test_the_helpdesk_is_open_up_to_one_second_before_closing() -> None:
    assert CHINA.is_open(local(SHANGHAI, 2026, 11, 25, 17, 59, 59))
    assert not CHINA.is_open(local(SHANGHAI, 2026, 11, 25, 18, 0))


def test_n_working_days_is_the_same_time_on_the_nth_working_day() -> None:
    assert CHINA.add_working_days(local(SHANGHAI, 2026, 11, 27, 10, 0), 1) == local(SHANGHAI, 2026, 11, 30, 10, 0)
    assert CHINA.add_working_days(local(SHANGHAI, 2026, 11, 25, 10, 0), 5) == local(SHANGHAI, 2026, 12, 2, 10, 0)


def test_a_start_after_hours_counts_from_the_next_opening() -> None:
    friday_night = local(SHANGHAI, 2026, 11, 27, 20, 0)
    assert CHINA.add_working_days(friday_night, 1) == local(SHANGHAI, 2026, 12, 1, 9, 0)


def test_working_days_skip_the_national_day_week_and_count_a_make_up_saturday() -> None:
    assert CHINA.add_working_days(local(SHANGHAI, 2026, 9, 30, 10, 0), 1) == local(SHANGHAI, 2026, 10, 8, 10, 0)
    assert CHINA.add_working_days(local(SHANGHAI, 2026, 2, 13, 10, 0), 1) == local(SHANGHAI, 2026, 2, 14, 10, 0)


def test_working_hours_stop_at_closing_and_go_on_at_the_next_opening() -> None:
    friday_4pm = local(SHANGHAI, 2026, 11, 27, 16, 0)
    assert CHINA.add_working_time(friday_4pm, timedelta(hours=4)) == local(SHANGHAI, 2026, 11, 30, 11, 0)
    assert CHINA.add_working_time(friday_4pm, timedelta(hours=2)) == local(SHANGHAI, 2026, 11, 27, 18, 0)


def test_a_dst_change_keeps_the_local_working_hours() -> None:
    germany = WorkCalendar(BERLIN, country="DE")
    friday = local(BERLIN, 2026, 3, 27, 14, 0)  # summer time begins on Sunday the 29th
    assert germany.add_working_days(friday, 1) == local(BERLIN, 2026, 3, 30, 14, 0)
    assert germany.add_working_time(friday, timedelta(hours=8)) == local(BERLIN, 2026, 3, 30, 13, 0)
    assert not germany.is_working_day(date(2026, 12, 25))
