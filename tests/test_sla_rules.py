"""The guideline's clocks on a ticket (G2, G3, G7, G9, G12): due, done and met or breached, with
a frozen clock: exactly at a deadline and one second before, across a weekend and a holiday,
paused while waiting on the customer, resumed by a reopening, recomputed on a priority change."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from maild.config import SlaConfig
from maild.rules.calendar import WorkCalendar
from maild.rules.sla import SlaPolicy, Step, TicketTimes, clocks

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = WorkCalendar(SHANGHAI, country="CN")
DEFAULTS = SlaConfig()
POLICY = SlaPolicy(DEFAULTS.record, DEFAULTS.assignment, DEFAULTS.first_response, DEFAULTS.resolution,
                   DEFAULTS.solution)
WEDNESDAY_0930 = datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)


def at(hours: float = 0, **later) -> datetime:
    return WEDNESDAY_0930 + timedelta(hours=hours, **later)


def ticket(priority: str = "P0", *steps: tuple[float, str, str | None]) -> TicketTimes:
    trail = (Step(at(0), "opened", "new"), *(Step(at(h), kind, status) for h, kind, status in steps))
    return TicketTimes(WEDNESDAY_0930, priority, WEDNESDAY_0930, WEDNESDAY_0930, trail)


def state(t: TicketTimes, name: str, now: datetime, policy: SlaPolicy = POLICY) -> tuple[datetime, str]:
    found = clocks(t, now, policy, CHINA)[name]
    return found.due, found.state


def test_a_p0_must_be_resolved_within_4_hours_and_breaches_at_the_second() -> None:
    assert state(ticket(), "resolution", at(4) - timedelta(seconds=1)) == (at(4), "running")
    assert state(ticket(), "resolution", at(4)) == (at(4), "breached")


def test_a_resolution_by_the_deadline_meets_it() -> None:
    done = clocks(ticket("P0", (4, "resolved", "resolved")), at(9), POLICY, CHINA)["resolution"]
    assert (done.done, done.state) == (at(4), "met")


def test_the_record_and_assignment_clocks_are_met_at_once() -> None:
    found = clocks(ticket(), at(1), POLICY, CHINA)
    assert (found["record"].due, found["record"].state) == (at(minutes=15), "met")
    assert (found["assignment"].due, found["assignment"].state) == (at(minutes=30), "met")


def test_the_first_response_stops_at_the_engineers_first_mail_to_the_customer() -> None:
    t = ticket("P1", (1, "customer-mail", "new"), (3, "engineer-reply", "in-progress"))
    found = clocks(t, at(30), POLICY, CHINA)["first_response"]
    assert (found.due, found.done, found.state) == (at(24), at(3), "met")


def test_a_p3_has_five_working_days_across_a_weekend_and_a_holiday() -> None:
    national_day_eve = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    t = TicketTimes(national_day_eve, "P3", national_day_eve, national_day_eve, (Step(national_day_eve, "opened", "new"),))
    # Oct 1-7 off, Oct 10 (Saturday) a make-up working day: 8, 9, 10, 12, 13.
    assert clocks(t, national_day_eve, POLICY, CHINA)["resolution"].due == datetime(2026, 10, 13, 10, 0,
                                                                                     tzinfo=SHANGHAI)


def test_waiting_on_the_customer_pauses_the_resolution_clock() -> None:
    t = ticket("P0", (1, "status", "waiting"), (3, "customer-mail", "open"))
    assert state(t, "resolution", at(5)) == (at(6), "running")  # two hours of waiting added
    assert state(ticket("P0", (1, "status", "waiting")), "resolution", at(10)) == (at(13), "paused")


def test_without_pause_when_waiting_the_clock_runs_on() -> None:
    t = ticket("P0", (1, "status", "waiting"))
    policy = SlaPolicy(**{**POLICY.__dict__, "pause_when_waiting": False})
    assert state(t, "resolution", at(5), policy) == (at(4), "breached")


def test_a_reopened_ticket_resumes_its_clock_without_the_resolved_time() -> None:
    t = ticket("P1", (2, "resolved", "resolved"), (30, "reopened", "open"))
    found = clocks(t, at(31), POLICY, CHINA)["resolution"]
    assert (found.due, found.done, found.state) == (at(24 + 28), None, "running")


def test_a_priority_change_recomputes_from_the_original_start() -> None:
    assert state(ticket("P2"), "resolution", at(1)) == (at(72), "running")
    assert state(ticket("P1"), "resolution", at(1)) == (at(24), "running")
    changed = ticket("P1", (2, "priority", "in-progress"))  # raised from P2 two hours in
    assert state(changed, "resolution", at(3)) == (at(24), "running")


def test_business_hours_count_only_while_the_helpdesk_is_open() -> None:
    policy = SlaPolicy(**{**POLICY.__dict__, "business_hours": True})
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI)
    t = TicketTimes(friday_4pm, "P0", friday_4pm, friday_4pm, (Step(friday_4pm, "opened", "new"),))
    assert clocks(t, friday_4pm, policy, CHINA)["resolution"].due == datetime(2026, 11, 30, 11, 0, tzinfo=SHANGHAI)


def test_complex_starts_the_solution_clock_and_an_eta_stops_it() -> None:
    assert "solution" not in clocks(ticket(), at(1), POLICY, CHINA)
    waiting = clocks(ticket("P1", (1, "complex", "in-progress")), at(49), POLICY, CHINA)["solution"]
    assert (waiting.due, waiting.state) == (at(49), "breached")
    given = clocks(ticket("P1", (1, "complex", "in-progress"), (20, "eta", "in-progress")), at(60), POLICY, CHINA)
    assert (given["solution"].done, given["solution"].state) == (at(20), "met")
