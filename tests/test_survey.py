"""The satisfaction survey (G15, T3), end to end through Dovecot and the SMTP sink at a frozen clock:
the survey two hours after the resolution, answered by reply; what it never goes to; and the
supervisor told at once of an unsatisfied customer."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from typing import Iterator

import pytest

from maild.app import App
from maild.clock import FrozenClock
from maild.config import load_config
from maild.store.models import Event, Ticket
from maild.testing.configs import local_config

from .mails import chinese_mail, customer_mail, lead_mail
from .test_cli import maild
from .test_triage import TEAM, WEDNESDAY_0930

CUSTOMER, LEAD, SUPERVISOR = "zhangsan@kehu.example.cn", "wang@example.com", "zhoumin@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def survey_app(dovecot, smtp_sink, database_url, state_dir) -> Iterator[tuple[App, FrozenClock]]:
    port = free_port()
    config = state_dir / "maild.toml"
    config.write_text(local_config(dovecot, smtp_sink, database_url, state_dir, **TEAM,
                                   survey={"listen": f"127.0.0.1:{port}",
                                           "public_url": f"http://127.0.0.1:{port}/survey"}), encoding="utf-8")
    clock = FrozenClock(WEDNESDAY_0930)
    application = App(load_config(config), clock)
    yield application, clock
    application.close()


def resolved_ticket(app: App, clock: FrozenClock, dovecot, smtp_sink, subject: str = "系统无法登录",
                    customer: str = CUSTOMER, mail: bytes | None = None) -> str:
    """A customer's ticket (opened by `mail`, of that subject), resolved by the lead an hour later; the sink emptied."""
    dovecot.append(mail or chinese_mail(subject=subject, sender=customer))
    app.once()
    number = Ticket.get(Ticket.subject == subject).number
    clock.advance(timedelta(hours=1))
    dovecot.append(lead_mail(number, "#resolve\n解决方案：已重置验证码服务"))
    app.once()
    smtp_sink.clear()
    return number


def surveys_sent(sink) -> list:
    return [m for m in sink.messages if "满意" in m.message.get_body(("plain",)).get_content()
            and m.message["To"].addresses[0].addr_spec != SUPERVISOR]


def test_the_customer_is_surveyed_two_hours_after_the_resolution_once(survey_app, dovecot, smtp_sink) -> None:
    app, clock = survey_app
    number = resolved_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(timedelta(hours=1, minutes=59))
    app.once()
    assert smtp_sink.messages == []
    clock.advance(timedelta(minutes=1))
    app.once()
    [survey] = smtp_sink.messages
    assert survey.message["To"].addresses[0].addr_spec == CUSTOMER
    assert survey.message["Subject"] == f"[{number}] 系统无法登录"
    text = survey.message.get_body(("plain",)).get_content()
    assert "1 满意" in text and "2 基本满意" in text and "3 不满意" in text
    links = [line.split("：", 1)[1] for line in text.splitlines() if "http://" in line]
    assert len(links) == 3 and all(link.startswith(app.config.survey.public_url + "?token=") for link in links)
    smtp_sink.clear()
    clock.advance(timedelta(hours=5))
    app.once()
    assert smtp_sink.messages == []  # once


def answer_survey(app, clock, dovecot, smtp_sink, body: str) -> str:
    """A resolved ticket surveyed, and the customer's reply to the survey mail with `body`."""
    number = resolved_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(timedelta(hours=2))
    app.once()
    [survey] = smtp_sink.messages
    smtp_sink.clear()
    clock.advance(timedelta(minutes=30))
    dovecot.append(chinese_mail(subject=f"Re: [{number}] 系统无法登录", body=body,
                                in_reply_to=survey.message["Message-ID"]))
    app.once()
    return number


def test_a_reply_2_basically_satisfied_is_recorded_as_t3_and_reopens_nothing(survey_app, dovecot, smtp_sink,
                                                                             state_dir) -> None:
    app, clock = survey_app
    number = answer_survey(app, clock, dovecot, smtp_sink, "2 基本满意 希望增加在线客服响应提示\n\n> 您对这次服务是否满意")
    shown = json.loads(maild(state_dir / "maild.toml", "show", number, "--json").stdout)
    assert shown["status"] == "resolved"
    assert shown["survey"] == {"rating": "basically-satisfied", "suggestions": "希望增加在线客服响应提示",
                               "surveyed_by": "maild", "surveyed_at": (clock.now()).isoformat(),
                               "sent_at": (clock.now() - timedelta(minutes=30)).isoformat()}
    assert smtp_sink.messages == []  # nobody is told of a content customer
    assert shown["messages"][-1]["body"].startswith("2 基本满意")  # the reply is on the thread


def test_an_unsatisfied_reply_tells_the_supervisor_at_once(survey_app, dovecot, smtp_sink) -> None:
    app, clock = survey_app
    number = answer_survey(app, clock, dovecot, smtp_sink, "不满意\n等了太久。")
    [told] = smtp_sink.messages
    assert told.message["To"].addresses[0].addr_spec == SUPERVISOR
    assert told.message["Subject"] == f"[{number}] 系统无法登录"
    text = told.message.get_body(("plain",)).get_content()
    assert "unsatisfied" in text and "等了太久。" in text  # in the helpdesk's language


def test_a_reply_to_the_survey_that_gives_no_rating_follows_the_reopen_rule(survey_app, dovecot, smtp_sink) -> None:
    app, clock = survey_app
    number = answer_survey(app, clock, dovecot, smtp_sink, "还是不行，登录时依然提示验证码错误。")
    ticket = Ticket.get(Ticket.number == number)
    assert ticket.status == "open"
    assert not ticket.survey.first() or ticket.survey.first().rating is None
    assert [e.kind for e in Event.select().where(Event.ticket == ticket)][-1] == "reopened"


def test_a_customer_surveyed_lately_is_not_surveyed_again(survey_app, dovecot, smtp_sink) -> None:
    app, clock = survey_app
    resolved_ticket(app, clock, dovecot, smtp_sink, subject="系统无法登录")
    clock.advance(timedelta(hours=2))
    app.once()
    assert len(surveys_sent(smtp_sink)) == 1
    second = resolved_ticket(app, clock, dovecot, smtp_sink, subject="报表导出失败")
    clock.advance(timedelta(hours=2))
    app.once()
    assert surveys_sent(smtp_sink) == []
    trail = [e.detail for e in Event.select().join(Ticket).where(Ticket.number == second, Event.kind == "survey")]
    assert trail == [f"not sent: {CUSTOMER} was surveyed on 2026-11-25 (survey.resend_after_days = 30)"]


def test_a_reopened_ticket_gets_no_survey(survey_app, dovecot, smtp_sink) -> None:
    app, clock = survey_app
    number = resolved_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(timedelta(minutes=30))
    dovecot.append(chinese_mail(subject=f"Re: [{number}] 系统无法登录", body="还是不行。"))
    app.once()
    clock.advance(timedelta(minutes=30))
    dovecot.append(lead_mail(number, "#resolve\n解决方案：已重启服务"))
    app.once()
    smtp_sink.clear()
    clock.advance(timedelta(hours=3))
    app.once()
    assert surveys_sent(smtp_sink) == []
    trail = [e.detail for e in Event.select().join(Ticket).where(Ticket.number == number, Event.kind == "survey")]
    assert trail == ["not sent: the ticket was reopened"]


def test_an_english_customer_is_surveyed_in_english(survey_app, dovecot, smtp_sink) -> None:
    app, clock = survey_app
    dovecot.append(customer_mail(subject="Cannot export the report"))
    app.once()
    number = Ticket.get().number
    dovecot.append(customer_mail(subject=f"[{number}] done", body="#resolve\nSolution: fixed the export job",
                                 sender=LEAD, name="Wang Qiang"))
    app.once()
    smtp_sink.clear()
    clock.advance(timedelta(hours=2))
    app.once()
    [survey] = smtp_sink.messages
    text = survey.message.get_body(("plain",)).get_content()
    assert "1 satisfied" in text and "2 basically satisfied" in text and "3 unsatisfied" in text


def test_an_engineer_records_the_answer_the_customer_gave_on_the_phone(survey_app, dovecot, smtp_sink,
                                                                       state_dir) -> None:
    app, clock = survey_app
    number = resolved_ticket(app, clock, dovecot, smtp_sink)
    dovecot.append(lead_mail(number, "#survey 2 基本满意 希望增加在线客服响应提示", "回访"))
    app.once()
    shown = json.loads(maild(state_dir / "maild.toml", "show", number, "--json").stdout)
    assert (shown["survey"]["rating"], shown["survey"]["suggestions"], shown["survey"]["surveyed_by"]) == (
        "basically-satisfied", "希望增加在线客服响应提示", LEAD)
    assert shown["status"] == "resolved" and smtp_sink.messages == []  # the customer gets nothing of it
