"""The knowledge base (G17), end to end through Dovecot and the SMTP sink: a ticket proposed with
#kb becomes an entry when resolved, and a new mail about the same problem in other words gets it
suggested in its acknowledgement, in Chinese and in English; a mail about something else gets none."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator

import pytest

from maild.app import App
from maild.clock import FrozenClock
from maild.config import load_config
from maild.store.models import KbEntry, Ticket
from maild.testing.configs import local_config

from .mails import chinese_mail, customer_mail, lead_mail, mail_with_attachment
from .test_cli import maild
from .test_triage import TEAM, WEDNESDAY_0930

LEAD, KB_ADMIN = "wang@example.com", "zhoumin@example.com"
KB_TEAM = {**TEAM, "staff": [{**member, "roles": [*member["roles"], "kb-admin"]} if member["address"] == KB_ADMIN
                             else member for member in TEAM["staff"]]}


@pytest.fixture
def kb_app(dovecot, smtp_sink, database_url, state_dir) -> Iterator[Callable[..., tuple[App, FrozenClock]]]:
    made: list[App] = []

    def make(review: bool = False) -> tuple[App, FrozenClock]:
        config = state_dir / "maild.toml"
        config.write_text(local_config(dovecot, smtp_sink, database_url, state_dir, **KB_TEAM,
                                       kb={"review": review}), encoding="utf-8")
        clock = FrozenClock(WEDNESDAY_0930)
        made.append(App(load_config(config), clock))
        return made[-1], clock

    yield make
    for application in made:
        application.close()


def proposed_and_resolved(app: App, clock: FrozenClock, dovecot, smtp_sink, mail: bytes, commands: str) -> str:
    """A customer's ticket, answered by the lead an hour later with #kb and #resolve; the sink emptied."""
    dovecot.append(mail)
    app.once()
    number = Ticket.select().order_by(Ticket.id.desc()).get().number
    clock.advance(timedelta(hours=1))
    dovecot.append(lead_mail(number, commands))
    app.once()
    smtp_sink.clear()
    return number


CHINESE_CASE = "#kb 登录时收不到短信验证码\n#resolve\n原因：短信网关余额不足\n解决方案：为短信网关充值后重新发送验证码"
ENGLISH_CASE = ("#kb Verification code never arrives at login\n#resolve\nRoot cause: the SMS gateway ran out of credit\n"
                "Solution: topped up the SMS gateway; the verification code arrives again")


def same_problem(customer: str) -> bytes:
    """Another customer's mail about the Chinese case, in other words."""
    return chinese_mail(subject="收不到短信验证码", sender=customer, name="李四", body="登录时一直收不到短信验证码。")


def ack_text(smtp_sink, customer: str) -> str:
    [ack] = [m for m in smtp_sink.messages if m.message["To"].addresses[0].addr_spec == customer]
    return ack.message.get_body(("plain",)).get_content()


def test_a_resolved_kb_ticket_is_suggested_to_a_chinese_customer_who_says_it_in_other_words(kb_app, dovecot,
                                                                                          smtp_sink) -> None:
    app, clock = kb_app()
    proposed_and_resolved(app, clock, dovecot, smtp_sink, chinese_mail(subject="验证码收不到，无法登录"), CHINESE_CASE)
    dovecot.append(chinese_mail(subject="请帮忙看看", sender="lisi@other.example.cn", name="李四",
                                body="您好，我们今天登录系统的时候，手机一直没有收到短信验证码。"))
    app.once()
    text = ack_text(smtp_sink, "lisi@other.example.cn")
    assert "登录时收不到短信验证码" in text and "为短信网关充值后重新发送验证码" in text


def test_an_english_customer_gets_the_english_entry_suggested(kb_app, dovecot, smtp_sink) -> None:
    app, clock = kb_app()
    proposed_and_resolved(app, clock, dovecot, smtp_sink, customer_mail(subject="No SMS code, cannot log in"),
                          ENGLISH_CASE)
    dovecot.append(customer_mail(subject="Login problem", sender="bob@other.example", name="Bob",
                                 body="When I try to log in, the verification code SMS is never delivered."))
    app.once()
    assert "Verification code never arrives at login" in ack_text(smtp_sink, "bob@other.example")


def test_a_mail_about_something_else_gets_no_suggestion(kb_app, dovecot, smtp_sink) -> None:
    app, clock = kb_app()
    proposed_and_resolved(app, clock, dovecot, smtp_sink, chinese_mail(subject="验证码收不到，无法登录"), CHINESE_CASE)
    dovecot.append(chinese_mail(subject="发票打印格式错误", sender="lisi@other.example.cn", name="李四",
                                body="您好，系统导出的发票打印出来格式错乱，请帮忙处理。"))
    dovecot.append(customer_mail(subject="Invoice layout", sender="bob@other.example", name="Bob",
                                 body="The printed invoice has the wrong layout since the update."))
    app.once()
    assert "知识库" not in ack_text(smtp_sink, "lisi@other.example.cn")
    assert "knowledge-base" not in ack_text(smtp_sink, "bob@other.example")


def test_the_entry_holds_the_title_the_type_the_steps_and_the_screenshots(kb_app, dovecot, smtp_sink,
                                                                          state_dir) -> None:
    app, clock = kb_app()
    screenshot = mail_with_attachment(b"\x89PNG screen", "image", "png", "error.png", sender="zhangsan@kehu.example.cn",
                                      subject="验证码收不到，无法登录", body="登录时收不到验证码，截图见附件。")
    number = proposed_and_resolved(app, clock, dovecot, smtp_sink, screenshot, CHINESE_CASE)
    config = state_dir / "maild.toml"
    shown = json.loads(maild(config, "show", number, "--json").stdout)
    entry = json.loads(maild(config, "kb", "show", str(shown["kb_entry"]), "--json").stdout)
    assert (entry["title"], entry["type"], entry["status"], entry["ticket"]) == (
        "登录时收不到短信验证码", shown["type"], "published", number)
    assert "为短信网关充值后重新发送验证码" in entry["steps"] and "短信网关余额不足" in entry["faq"]
    markdown = (state_dir / "kb" / f"{entry['id']}.md").read_text(encoding="utf-8")
    assert markdown.startswith("# 登录时收不到短信验证码") and f"]({entry['id']}/error.png)" in markdown
    assert (state_dir / "kb" / str(entry["id"]) / "error.png").read_bytes() == b"\x89PNG screen"
    [hit] = json.loads(maild(config, "kb", "search", "短信验证码", "--json").stdout)
    assert hit["id"] == entry["id"] and hit["title"] == "登录时收不到短信验证码" and hit["score"] > 0
    assert [e["id"] for e in json.loads(maild(config, "kb", "list", "--json").stdout)] == [entry["id"]]


def test_with_review_an_entry_is_suggested_only_once_a_kb_admin_publishes_it(kb_app, dovecot, smtp_sink,
                                                                             state_dir) -> None:
    app, clock = kb_app(review=True)
    number = proposed_and_resolved(app, clock, dovecot, smtp_sink, chinese_mail(subject="验证码收不到，无法登录"),
                                   CHINESE_CASE)
    assert KbEntry.get().status == "draft"
    dovecot.append(lead_mail(number, "#kb publish", "知识库"))
    app.once()
    assert KbEntry.get().status == "draft"  # the lead is no kb-admin
    dovecot.append(same_problem("lisi@other.example.cn"))
    app.once()
    assert "登录时收不到短信验证码" not in ack_text(smtp_sink, "lisi@other.example.cn")
    dovecot.append(chinese_mail(subject=f"[{number}] 知识库", body="#kb publish", sender=KB_ADMIN, name="周敏"))
    app.once()
    assert (KbEntry.get().status, KbEntry.get().published_by) == ("published", KB_ADMIN)
    dovecot.append(same_problem("wangwu@other.example.cn"))
    app.once()
    assert "登录时收不到短信验证码" in ack_text(smtp_sink, "wangwu@other.example.cn")


def test_maild_kb_publish_publishes_a_draft(kb_app, dovecot, smtp_sink, state_dir) -> None:
    app, clock = kb_app(review=True)
    proposed_and_resolved(app, clock, dovecot, smtp_sink, chinese_mail(subject="验证码收不到，无法登录"), CHINESE_CASE)
    config: Path = state_dir / "maild.toml"
    entry = KbEntry.get()
    assert json.loads(maild(config, "kb", "search", "短信验证码", "--json").stdout) == []  # drafts are not searched
    assert maild(config, "kb", "publish", str(entry.id)).returncode == 0
    assert maild(config, "kb", "publish", str(entry.id)).returncode == 1  # published already
    dovecot.append(same_problem("lisi@other.example.cn"))
    app.once()
    assert "登录时收不到短信验证码" in ack_text(smtp_sink, "lisi@other.example.cn")
