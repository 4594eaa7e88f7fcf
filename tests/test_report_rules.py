"""The monthly report's rules (G18): which month is due, and the progress cadence of a ticket."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from maild.rules.report import due_month, month_bounds, progress_cadence
from maild.rules.sla import Step

SHANGHAI = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
FOUR_HOURS = 4 * 3600


def test_last_months_report_is_due_from_the_report_day_on() -> None:
    assert due_month(datetime(2026, 12, 4, 23, 59, tzinfo=SHANGHAI), SHANGHAI, 5) is None
    assert due_month(datetime(2026, 12, 5, 0, 0, tzinfo=SHANGHAI), SHANGHAI, 5) == "2026-11"
    assert due_month(datetime(2027, 1, 20, tzinfo=SHANGHAI), SHANGHAI, 5) == "2026-12"


def test_a_month_runs_from_its_first_day_to_the_next_in_the_helpdesks_zone() -> None:
    assert month_bounds("2026-12", SHANGHAI) == (datetime(2026, 12, 1, tzinfo=SHANGHAI),
                                                 datetime(2027, 1, 1, tzinfo=SHANGHAI))


def test_updates_every_four_hours_keep_the_cadence() -> None:
    steps = [Step(RECEIVED + timedelta(hours=4), "progress-update", "in-progress"),
             Step(RECEIVED + timedelta(hours=7), "resolved", "resolved")]
    assert progress_cadence(RECEIVED, steps, FOUR_HOURS, RECEIVED + timedelta(days=3)) == "met"


def test_five_silent_hours_while_open_break_it() -> None:
    steps = [Step(RECEIVED + timedelta(hours=5), "engineer-reply", "in-progress")]
    assert progress_cadence(RECEIVED, steps, FOUR_HOURS, RECEIVED + timedelta(hours=6)) == "breached"


def test_waiting_on_the_customer_owes_no_updates() -> None:
    steps = [Step(RECEIVED + timedelta(hours=1), "status", "waiting"),
             Step(RECEIVED + timedelta(hours=30), "customer-mail", "open"),
             Step(RECEIVED + timedelta(hours=32), "resolved", "resolved")]
    assert progress_cadence(RECEIVED, steps, FOUR_HOURS, RECEIVED + timedelta(days=3)) == "met"


def test_a_priority_without_updates_has_no_cadence() -> None:
    assert progress_cadence(RECEIVED, [], None, RECEIVED + timedelta(days=3)) is None
