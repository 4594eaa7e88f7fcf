"""The survey's rules (G15): what a customer's first line answers, when the survey goes, and who
never gets one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from maild.config import CalendarConfig
from maild.rules.calendar import calendar_from
from maild.rules.survey import Answer, SurveyFacts, read_answer, survey_due, why_no_survey

SHANGHAI = timezone(timedelta(hours=8))
CALENDAR = calendar_from(CalendarConfig(country=""), SHANGHAI)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
NOTHING_KNOWN = SurveyFacts(None, None)


@pytest.mark.parametrize("text, answer", [
    ("2 基本满意 希望增加在线客服响应提示", Answer("basically-satisfied", "希望增加在线客服响应提示")),
    ("1", Answer("satisfied", "")),
    ("满意", Answer("satisfied", "")),
    ("不满意\n等了太久。", Answer("unsatisfied", "等了太久。")),
    ("3、不满意", Answer("unsatisfied", "")),
    ("Basically satisfied. More documentation, please.", Answer("basically-satisfied", "More documentation, please.")),
    ("unsatisfied", Answer("unsatisfied", "")),
])
def test_a_first_line_with_a_number_a_word_or_both_is_a_rating(text, answer) -> None:
    assert read_answer(text) == answer


@pytest.mark.parametrize("text", ["还是不行", "3 满意", "满意度调查是什么？", "2023 年的报表打不开", "12", "", "Thanks!"])
def test_anything_else_is_no_rating(text) -> None:
    assert read_answer(text) is None


def test_the_survey_goes_after_the_configured_delay() -> None:
    resolved = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    assert survey_due(resolved, 7200, CALENDAR) == resolved + timedelta(hours=2)


def test_the_survey_never_goes_later_than_one_working_day_after_the_resolution() -> None:
    friday_five = datetime(2026, 11, 27, 17, 0, tzinfo=SHANGHAI)
    assert survey_due(friday_five, 7 * 86400, CALENDAR) == datetime(2026, 11, 30, 17, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("customer, staff, reopened, facts, reason", [
    ("", False, False, NOTHING_KNOWN, "the ticket has no customer address"),
    ("wang@example.com", True, False, NOTHING_KNOWN, "wang@example.com is on the staff"),
    ("a@kehu.cn", False, True, NOTHING_KNOWN, "the ticket was reopened"),
    ("no-reply@kehu.cn", False, False, NOTHING_KNOWN, "no-reply@kehu.cn is a machine's address"),
    ("MAILER-DAEMON@kehu.cn", False, False, NOTHING_KNOWN, "MAILER-DAEMON@kehu.cn is a machine's address"),
    ("a@kehu.cn", False, False, SurveyFacts(None, "auto-reply"), "the customer's latest mail was screened: auto-reply"),
    ("a@kehu.cn", False, False, SurveyFacts(None, "bounce"), "the customer's latest mail was screened: bounce"),
    ("a@kehu.cn", False, False, SurveyFacts(NOW - timedelta(days=29), None),
     "a@kehu.cn was surveyed on 2026-10-27 (survey.resend_after_days = 30)"),
])
def test_who_gets_no_survey_and_why(customer, staff, reopened, facts, reason) -> None:
    assert why_no_survey(customer, staff, reopened, facts, NOW, 30) == reason


def test_a_customer_surveyed_longer_ago_than_resend_after_days_is_surveyed() -> None:
    assert why_no_survey("a@kehu.cn", False, False, SurveyFacts(NOW - timedelta(days=30), None), NOW, 30) is None
