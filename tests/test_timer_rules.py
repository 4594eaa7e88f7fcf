"""What the guideline wants done on time, as timers of a ticket and what each does when due
(G2, G9, G12, G13): the pure rules, with a frozen clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from maild.config import SlaConfig
from maild.rules.actions import QueueMail, RecordEvent
from maild.rules.calendar import WorkCalendar
from maild.rules.routing import Engineer, Roster
from maild.rules.sla import Step, TicketTimes, sla_policy_from
from maild.rules.timers import TicketNow, Timer, TimerPolicy, fire, first_look, schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)
TEAM = Roster((Engineer("zhoumin@example.com", "周敏", frozenset({"supervisor"})),
               Engineer("wang@example.com", "王强", frozenset({"senior"})),
               Engineer("qian@example.com", "钱工", frozenset({"rnd"}))), ())
POLICY = TimerPolicy(sla_policy_from(SlaConfig()), WorkCalendar(SHANGHAI, country="CN"), TEAM,
                     SlaConfig().progress_every)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def ticket(priority: str = "P0", status: str = "in-progress", *steps: tuple[float, str, str], eta=None) -> TicketNow:
    trail = (Step(START, "opened", "new"), *(Step(at(h), kind, s) for h, kind, s in steps))
    return TicketNow("TS20261125001", status, TicketTimes(START, priority, START, START, trail), "wang@example.com",
                     "zhangsan@kehu.example.cn", "张三", "zh", "系统瘫痪", eta, "q1@kehu.example.cn",
                     trail[-1].kind)


def fired(timer: Timer, t: TicketNow, now: datetime) -> list:
    return fire(timer, t, schedule(t, now, POLICY), now, POLICY)


def timers(t: TicketNow, now: datetime = START) -> dict[str, datetime]:
    return {timer.kind: timer.due for timer in schedule(t, now, POLICY)}


def test_a_new_p0_has_its_reminders_deadlines_and_updates() -> None:
    assert timers(ticket(status="new")) == {
        "first-response-reminder": at(1.5), "first-response-breach": at(2),
        "resolution-warning": at(3), "resolution-breach": at(4),
        "progress-reminder": at(3.75), "progress-update": at(4)}


def test_an_engineers_mail_to_the_customer_ends_the_first_response_and_restarts_the_updates() -> None:
    found = timers(ticket("P0", "in-progress", (1, "engineer-reply", "in-progress")))
    assert "first-response-breach" not in found and found["progress-update"] == at(5)


def test_p2_gets_no_progress_updates() -> None:
    assert "progress-update" not in timers(ticket("P2"))


def test_a_resolved_ticket_has_no_deadlines_and_a_waiting_one_no_resolution_or_update_timers() -> None:
    resolved = replace(ticket("P0", "resolved", (1, "resolved", "resolved")), resolved_at=at(1))
    assert set(timers(resolved)) == {"survey", "archive"}  # what comes after the resolution, no deadline
    waiting = timers(ticket("P0", "waiting", (1, "engineer-reply", "waiting")), at(2))
    assert set(waiting) == set()


def test_complex_starts_the_solution_deadline() -> None:
    assert timers(ticket("P1", "in-progress", (1, "complex", "in-progress")))["solution-breach"] == at(49)


def test_a_progress_update_tells_the_customer_status_handler_and_expected_completion() -> None:
    t = ticket("P0", "in-progress", (1, "engineer-reply", "in-progress"), eta=at(6))
    mail, event = fired(Timer("progress-update", "x", at(5)), t, at(5))
    assert isinstance(mail, QueueMail) and (mail.kind, mail.to.address, mail.language) == (
        "progress", "zhangsan@kehu.example.cn", "zh")
    assert mail.context["handler"] == "王强" and mail.context["expected"] == at(6)
    assert mail.in_reply_to == "q1@kehu.example.cn" and event == RecordEvent("progress-update", "maild",
                                                                              "sent to zhangsan@kehu.example.cn")


def test_a_breach_escalates_to_the_supervisors_and_never_to_the_customer() -> None:
    done = fired(Timer("resolution-breach", "1", at(4)), ticket(), at(4))
    assert [(a.kind, a.to.address) for a in done if isinstance(a, QueueMail)] == [("escalation", "zhoumin@example.com")]


def test_a_solution_breach_tells_rnd_too() -> None:
    t = ticket("P1", "in-progress", (1, "complex", "in-progress"))
    done = fired(Timer("solution-breach", "1", at(49)), t, at(49))
    assert sorted(a.to.address for a in done if isinstance(a, QueueMail)) == ["qian@example.com",
                                                                             "zhoumin@example.com"]


def test_a_reminder_goes_to_the_assignee_and_is_keyed_by_its_timer() -> None:
    [mail, _] = fired(Timer("first-response-reminder", "1", at(1.5)), ticket(status="new"), at(1.5))
    assert (mail.kind, mail.to.address, mail.dedupe_key) == (
        "reminder", "wang@example.com", "timer:TS20261125001:first-response-reminder:1:wang@example.com")
    assert mail.context["due"] == at(2)


def test_a_reminder_whose_deadline_is_due_too_sends_nothing() -> None:
    [event] = fired(Timer("first-response-reminder", "1", at(1.5)), ticket(status="new"), at(3))
    assert event == RecordEvent("first-response-reminder", "maild", "not sent: its deadline is due as well")


def test_a_new_ticket_is_first_looked_at_no_later_than_its_first_timer() -> None:
    for priority in ("P0", "P1", "P2", "P3"):
        first = min(timers(ticket(priority, "new")).values())
        assert first_look(priority, START, POLICY) <= first
    assert first_look("P0", START, POLICY) == at(1.5)


def test_an_eta_beyond_the_resolution_deadline_tells_the_customer_at_once() -> None:
    late = ticket("P0", "in-progress", (1, "eta", "in-progress"), eta=at(30))
    assert timers(late, at(1))["eta-notice"] == at(1)
    [mail, _] = fired(Timer("eta-notice", "x", at(1)), late, at(1))
    assert (mail.kind, mail.to.address, mail.context["expected"]) == ("progress", "zhangsan@kehu.example.cn", at(30))
    assert "eta-notice" not in timers(ticket("P0", "in-progress", (1, "eta", "in-progress"), eta=at(3)), at(1))
