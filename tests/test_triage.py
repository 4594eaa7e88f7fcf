"""A new ticket is classified and assigned at once (G5-G7), and the people it concerns are told."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

import pytest

from maild.app import App
from maild.clock import FrozenClock
from maild.config import load_config
from maild.store import queries
from maild.store.models import Ticket
from maild.testing.configs import local_config

from .mails import chinese_mail, customer_mail

TEAM = {
    "staff": [
        {"name": "周敏", "address": "zhoumin@example.com", "roles": ["supervisor"]},
        {"name": "王强", "address": "wang@example.com", "roles": ["senior"]},
        {"name": "李雷", "address": "li@example.com", "roles": ["engineer"], "modules": ["账号登录"]},
        {"name": "赵云", "address": "zhao@example.com", "roles": ["engineer"]},
    ],
    "module": [{"name": "账号登录", "keywords": ["登录", "验证码", "login"]}],
    "rota": [
        {"staff": "li@example.com", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"},
        {"staff": "zhao@example.com"},
    ],
}
WEDNESDAY_0930 = datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc)  # 09:30 in Shanghai
SATURDAY_1000 = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def team_app(dovecot, smtp_sink, database_url, state_dir) -> Iterator[tuple[App, FrozenClock]]:
    config = state_dir / "maild.toml"
    config.write_text(local_config(dovecot, smtp_sink, database_url, state_dir, **TEAM), encoding="utf-8")
    clock = FrozenClock(WEDNESDAY_0930)
    application = App(load_config(config), clock)
    yield application, clock
    application.close()


def ticket() -> Ticket:
    [row] = Ticket.select()
    return row


def received_by(sink, address: str) -> list[str]:
    return [m.message["Subject"] for m in sink.messages if m.message["To"].addresses[0].addr_spec == address]


def test_a_system_down_mail_is_p0_led_by_a_senior_and_the_supervisor_is_told(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪，全部用户无法登录"))
    app.once()
    t = ticket()
    assert (t.priority, t.assignee) == ("P0", "wang@example.com")
    assert t.priority_reason == "P0: 系统瘫痪 in subject (builtin)"
    assert t.classified_at is not None and t.assigned_at is not None
    assert received_by(smtp_sink, "wang@example.com") == [f"[{t.number}] [P0] 系统瘫痪，全部用户无法登录"]
    assert received_by(smtp_sink, "zhoumin@example.com") == [f"[{t.number}] [P0] 系统瘫痪，全部用户无法登录"]
    assert len(received_by(smtp_sink, "zhangsan@kehu.example.cn")) == 1  # and the customer's acknowledgement


def test_a_failing_login_is_p1_for_the_engineer_of_that_module(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    dovecot.append(chinese_mail(subject="无法登录", body="今天上午开始提示验证码错误"))
    app.once()
    t = ticket()
    assert (t.priority, t.problem_type, t.assignee) == ("P1", "软件异常-账号登录", "li@example.com")
    [notice] = [m for m in smtp_sink.messages if m.message["To"].addresses[0].addr_spec == "li@example.com"]
    text = notice.message.get_body(("plain",)).get_content()
    assert "今天上午开始提示验证码错误" in text and "P1: 无法登录 in subject (builtin)" in text
    assert notice.message["Auto-Submitted"] == "auto-generated"


def test_a_question_on_saturday_goes_to_the_engineer_on_duty(team_app, dovecot, smtp_sink) -> None:
    app, clock = team_app
    clock.set(SATURDAY_1000)
    dovecot.append(customer_mail(subject="How do I export a report?", body="Where is the export button?"))
    app.once()
    assert (ticket().priority, ticket().assignee) == ("P3", "zhao@example.com")
    assert received_by(smtp_sink, "zhao@example.com") and not received_by(smtp_sink, "zhoumin@example.com")


def test_the_trail_says_how_the_ticket_was_classified_and_assigned(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    dovecot.append(chinese_mail(subject="无法登录"))
    app.once()
    events = queries.ticket_detail(ticket().number)["events"]
    assert [(e["kind"], e["detail"]) for e in events if e["kind"] in ("classified", "assigned")] == [
        ("classified", "P1: 无法登录 in subject (builtin)"),
        ("assigned", "li@example.com: P1: engineer of module 账号登录"),
    ]


def test_old_mail_is_classified_and_assigned_but_nobody_is_told(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪"), received_at=datetime(2019, 5, 1, tzinfo=timezone.utc))
    app.once()
    assert (ticket().priority, ticket().assignee) == ("P0", "wang@example.com")
    assert smtp_sink.messages == []


def test_without_staff_a_ticket_is_still_classified(app, dovecot, smtp_sink) -> None:
    dovecot.append(chinese_mail(subject="请问如何导出报表", body="我想导出上个月的报表，在哪里操作？"))
    app.once()
    assert (ticket().priority, ticket().assignee) == ("P3", None)
    assert len(smtp_sink.messages) == 1  # the acknowledgement alone


def test_staff_notifications_do_not_count_against_the_customers_rate_limit(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    for n in range(3):
        dovecot.append(chinese_mail(subject=f"系统瘫痪 {n}", sender="boss@kehu.example.cn"))
    app.once()
    assert len(received_by(smtp_sink, "boss@kehu.example.cn")) == 3


def test_show_json_gives_the_triage_and_the_intake_record(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    body = "今天上午开始，所有员工都无法登录系统，提示验证码错误。\n\n张三\n甲科技有限公司\n手机：138 0013 8000"
    dovecot.append(chinese_mail(subject="无法登录", body=body))
    app.once()
    shown = queries.ticket_detail(ticket().number)
    assert (shown["priority"], shown["type"], shown["assignee"]) == ("P1", "软件异常-账号登录", "li@example.com")
    assert shown["priority_reason"] == "P1: 无法登录 in subject (builtin)"
    assert shown["classified_at"] and shown["assigned_at"] and shown["linked"] == [] and shown["complex"] is False
    intake = shown["intake"]
    assert (intake["organisation"], intake["contact"], intake["phones"]) == ("甲科技有限公司", "张三", ["138 0013 8000"])
    assert (intake["type"], intake["urgency"], intake["channel"], intake["received_by"]) == (
        "软件异常-账号登录", "P1(高)", "email", "maild")
    assert "所有员工都无法登录系统" in intake["description"]
    assert intake["judgement"] == "P1: 无法登录 in subject (builtin)"
    assert [p["handler"] for p in shown["progress"]][:1] == ["maild"]
    assert [t["assignee"] for t in queries.list_tickets(assignee="LI@example.com")] == ["li@example.com"]
    assert queries.list_tickets(priority="P0") == []


def test_the_assignee_gets_the_intake_record_and_the_commands(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    body = "今天上午开始，所有员工都无法登录系统，提示验证码错误。\n\n张三\n甲科技有限公司\n手机：138 0013 8000"
    dovecot.append(chinese_mail(subject="无法登录", body=body))
    app.once()
    [notification] = [m.message for m in smtp_sink.messages if m.message["To"].addresses[0].addr_spec == "li@example.com"]
    text = notification.get_body(("plain",)).get_content()
    assert "Organisation: 甲科技有限公司" in text and "138 0013 8000" in text and "Urgency:      P1(高)" in text
    assert "\n  #status in-progress|waiting|resolved|closed\n" in text and "\n  #kb [TITLE]\n" in text
