"""Engineers answer from their own mail clients (G8, G14 by mail): what they write reaches the
customer from the support address, and what the customer writes back reaches them."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest

from maild.app import App
from maild.clock import FrozenClock
from maild.config import load_config
from maild.store import queries
from maild.store.models import Ticket
from maild.testing.configs import local_config

from .mails import chinese_mail, customer_mail, mail_with_attachment
from .test_triage import TEAM, WEDNESDAY_0930, team_app  # noqa: F401 - team_app is a fixture

CUSTOMER = "zhangsan@kehu.example.cn"
ENGINEER = "li@example.com"


def to(sink, address: str) -> list[EmailMessage]:
    return [m.message for m in sink.messages if m.message["To"].addresses[0].addr_spec == address]


def opened(app, dovecot, sink) -> tuple[Ticket, EmailMessage]:
    """A P1 login problem, assigned to the engineer of that module; their notification."""
    dovecot.append(chinese_mail(subject="无法登录", message_id="<q1@kehu.example.cn>"))
    app.once()
    [notification] = to(sink, ENGINEER)
    sink.clear()
    return Ticket.get(), notification


def outlook_reply(notification: EmailMessage, text: str, sender: str = ENGINEER) -> bytes:
    history = ("\n\n-----Original Message-----\nFrom: Example Support <support@example.com>\n"
               "Sent: Wednesday, November 25, 2026 9:30 AM\nTo: 李雷\nSubject: " + notification["Subject"] +
               "\n\n今天上午开始提示验证码错误。\n")
    return customer_mail(subject="RE: " + notification["Subject"], body=text + history, sender=sender, name="李雷",
                         in_reply_to=notification["Message-ID"], references=notification["Message-ID"])


def test_an_engineers_reply_reaches_the_customer_without_the_quoted_history(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, notification = opened(app, dovecot, smtp_sink)
    dovecot.append(outlook_reply(notification, "张先生您好：\n验证码服务已恢复，请再试一次。"))
    app.once()
    [answer] = to(smtp_sink, CUSTOMER)
    text = answer.get_body(("plain",)).get_content()
    assert "验证码服务已恢复，请再试一次。" in text and "李雷" in text
    assert "Original Message" not in text and "今天上午开始提示验证码错误" not in text
    assert answer["From"].addresses[0].addr_spec == "support@example.com"
    assert answer["Subject"] == f"[{ticket.number}] 无法登录"
    assert answer["In-Reply-To"] == "<q1@kehu.example.cn>" and answer["Auto-Submitted"] == "no"
    assert to(smtp_sink, ENGINEER) == []  # no acknowledgement, nothing back to the engineer
    assert Ticket.get().status == "in-progress"


def test_a_reply_with_only_the_subject_tag_is_the_engineers_too(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, _ = opened(app, dovecot, smtp_sink)
    dovecot.append(customer_mail(subject=f"[{ticket.number}] 跟进", body="已经在排查日志。", sender=ENGINEER))
    app.once()
    [answer] = to(smtp_sink, CUSTOMER)
    assert "已经在排查日志。" in answer.get_body(("plain",)).get_content()
    assert len(queries.list_tickets()) == 1


def test_the_engineers_files_go_along(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, _ = opened(app, dovecot, smtp_sink)
    dovecot.append(mail_with_attachment(b"%PDF-1.4 fix steps", "application", "pdf", "操作步骤.pdf", sender=ENGINEER,
                                        subject=f"[{ticket.number}] 操作步骤", body="请按附件操作。"))
    app.once()
    [answer] = to(smtp_sink, CUSTOMER)
    [attached] = list(answer.iter_attachments())
    assert attached.get_filename() == "操作步骤.pdf" and attached.get_content() == b"%PDF-1.4 fix steps"
    sent = queries.ticket_detail(ticket.number)["messages"][-1]  # the answer, after the acknowledgement
    assert [(a["filename"], a["size"]) for a in sent["attachments"]] == [("操作步骤.pdf", 18)]


def test_a_note_never_reaches_the_customer(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, notification = opened(app, dovecot, smtp_sink)
    dovecot.append(outlook_reply(notification, "#note 客户的验证码服务商是第三方，内部跟进。"))
    app.once()
    assert to(smtp_sink, CUSTOMER) == []
    events = queries.ticket_detail(ticket.number)["events"]
    assert (events[-1]["kind"], events[-1]["actor"]) == ("note", ENGINEER)
    assert events[-1]["detail"] == "客户的验证码服务商是第三方，内部跟进。"


def test_the_customers_reply_reaches_the_engineer_without_its_quotes(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, notification = opened(app, dovecot, smtp_sink)
    dovecot.append(outlook_reply(notification, "请再试一次。"))
    app.once()
    [answer] = to(smtp_sink, CUSTOMER)
    smtp_sink.clear()
    dovecot.append(chinese_mail(subject="Re: " + answer["Subject"], in_reply_to=answer["Message-ID"],
                                body="还是不行。\n\n在 2026年11月25日 10:00，Example Support 写道：\n> 请再试一次。"))
    app.once()
    [relayed] = to(smtp_sink, ENGINEER)
    text = relayed.get_body(("plain",)).get_content()
    assert "还是不行。" in text and "请再试一次" not in text
    assert relayed["Subject"] == f"[{ticket.number}] 无法登录"
    assert to(smtp_sink, CUSTOMER) == []  # a reply on a ticket is not acknowledged again


def test_an_engineers_out_of_office_reply_is_not_sent_to_the_customer(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, notification = opened(app, dovecot, smtp_sink)
    dovecot.append(customer_mail(subject="自动回复: " + notification["Subject"], body="我正在休假。", sender=ENGINEER,
                                 in_reply_to=notification["Message-ID"], headers={"Auto-Submitted": "auto-replied"}))
    app.once()
    assert to(smtp_sink, CUSTOMER) == []


@pytest.fixture
def vouched_app(dovecot, smtp_sink, database_url, state_dir):
    config = state_dir / "maild.toml"
    config.write_text(local_config(dovecot, smtp_sink, database_url, state_dir, workflow={"authserv_id": "mx.example.com"},
                                   **TEAM), encoding="utf-8")
    application = App(load_config(config), FrozenClock(WEDNESDAY_0930))
    yield application
    application.close()


def test_a_spoofed_staff_from_runs_nothing_and_the_supervisor_is_told(vouched_app, dovecot, smtp_sink) -> None:
    ticket, _ = opened(vouched_app, dovecot, smtp_sink)
    forged = {"Authentication-Results": "mx.example.com; dkim=fail header.d=example.com; spf=softfail"}
    dovecot.append(customer_mail(subject=f"[{ticket.number}] 已解决", body="请把账号密码发给我。", sender=ENGINEER,
                                 headers=forged))
    vouched_app.once()
    assert to(smtp_sink, CUSTOMER) == []
    [told] = to(smtp_sink, "zhoumin@example.com")
    assert ENGINEER in told.get_body(("plain",)).get_content()
    assert queries.ticket_detail(ticket.number)["events"][-1]["kind"] == "staff-unverified"


def test_a_staff_mail_its_server_vouches_for_is_relayed(vouched_app, dovecot, smtp_sink) -> None:
    ticket, _ = opened(vouched_app, dovecot, smtp_sink)
    # A header another server wrote proves nothing; the own server's pass does.
    results = {"Authentication-Results": "mx.example.com 1; spf=pass smtp.mailfrom=example.com"}
    dovecot.append(customer_mail(subject=f"[{ticket.number}] 跟进", body="已修复。", sender=ENGINEER, headers=results))
    vouched_app.once()
    assert len(to(smtp_sink, CUSTOMER)) == 1


# -- commands ---------------------------------------------------------------------------------------

def command_mail(ticket: Ticket, text: str) -> bytes:
    return customer_mail(subject=f"[{ticket.number}] 跟进", body=text, sender=ENGINEER, name="李雷")


def test_an_unknown_command_changes_nothing_and_answers_the_engineer(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, _ = opened(app, dovecot, smtp_sink)
    dovecot.append(command_mail(ticket, "#status waiting\n#stauts resolved\n\n张先生，请稍等。"))
    app.once()
    assert to(smtp_sink, CUSTOMER) == [] and Ticket.get().status == ticket.status
    [answer] = to(smtp_sink, ENGINEER)
    text = answer.get_body(("plain",)).get_content()
    assert "unknown command #stauts" in text and "#status in-progress|waiting|resolved|closed" in text


def test_status_and_text_together_change_the_ticket_and_answer_the_customer(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, _ = opened(app, dovecot, smtp_sink)
    dovecot.append(command_mail(ticket, "#status waiting\n\n张先生，请告诉我们您用的浏览器版本。"))
    app.once()
    [answer] = to(smtp_sink, CUSTOMER)
    text = answer.get_body(("plain",)).get_content()
    assert "浏览器版本" in text and "#status" not in text
    assert Ticket.get().status == "waiting"


def test_assign_hands_the_ticket_over_and_tells_the_new_engineer(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, _ = opened(app, dovecot, smtp_sink)
    dovecot.append(command_mail(ticket, "#assign 赵云\n#priority P0"))
    app.once()
    assert (Ticket.get().assignee, Ticket.get().priority) == ("zhao@example.com", "P0")
    assert len(to(smtp_sink, "zhao@example.com")) == 1 and to(smtp_sink, CUSTOMER) == []


def test_resolve_sends_the_solution_and_keeps_the_report(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, _ = opened(app, dovecot, smtp_sink)
    dovecot.append(command_mail(ticket, "#resolve\n根因：验证码服务证书过期\n解决方案：已更换证书\n测试结果：登录正常\n#kb"))
    app.once()
    [notice] = to(smtp_sink, CUSTOMER)
    text = notice.get_body(("plain",)).get_content()
    assert "已更换证书" in text and "验证码服务证书过期" in text and "请您确认问题是否已彻底解决" in text
    shown = queries.ticket_detail(ticket.number)
    assert shown["status"] == "resolved" and shown["kb_proposed"] is True
    assert shown["report"] == {"root_cause": "验证码服务证书过期", "solution": "已更换证书", "test_result": "登录正常"}


def test_eta_and_notes_show_on_the_ticket(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, _ = opened(app, dovecot, smtp_sink)
    dovecot.append(command_mail(ticket, "#eta 2026-11-25 18:00\n#note 等第三方回复"))
    app.once()
    shown = queries.ticket_detail(ticket.number)
    assert shown["eta"] == "2026-11-25T10:00:00+00:00"
    assert [(n["by"], n["text"]) for n in shown["notes"]] == [(ENGINEER, "等第三方回复")]
    assert to(smtp_sink, CUSTOMER) == []  # within the resolution deadline: nothing to tell the customer


# -- after the resolution ---------------------------------------------------------------------------

def resolved(app, clock, dovecot, sink) -> tuple[Ticket, EmailMessage]:
    ticket, _ = opened(app, dovecot, sink)
    dovecot.append(command_mail(ticket, "#resolve\n解决方案：已更换证书"))
    app.once()
    [notice] = to(sink, CUSTOMER)
    sink.clear()
    return ticket, notice


def test_not_solved_reopens_the_ticket_and_tells_the_engineer(team_app, dovecot, smtp_sink) -> None:
    app, clock = team_app
    ticket, notice = resolved(app, clock, dovecot, smtp_sink)
    clock.advance(timedelta(days=1))
    dovecot.append(chinese_mail(subject="Re: " + notice["Subject"], in_reply_to=notice["Message-ID"], body="还是不行。"))
    app.once()
    assert Ticket.get().status == "open"
    assert queries.ticket_detail(ticket.number)["events"][-1]["detail"] == "the customer says: 还是不行"
    assert len(to(smtp_sink, ENGINEER)) == 1


def test_a_reply_long_after_the_resolution_opens_a_new_linked_ticket(team_app, dovecot, smtp_sink) -> None:
    app, clock = team_app
    ticket, notice = resolved(app, clock, dovecot, smtp_sink)
    clock.advance(timedelta(days=8))  # workflow.reopen_within is 7 days
    dovecot.append(chinese_mail(subject="Re: " + notice["Subject"], in_reply_to=notice["Message-ID"], body="又登录不了了。"))
    app.once()
    old, new = Ticket.select().order_by(Ticket.id)
    assert (old.status, new.status) == ("resolved", "new")
    assert queries.ticket_detail(new.number)["linked"] == [ticket.number]
    assert queries.ticket_detail(ticket.number)["linked"] == [new.number]
    # the new ticket's acknowledgement (and the old one's survey, due days ago)
    assert [m["Subject"].startswith(f"[{new.number}]") for m in to(smtp_sink, CUSTOMER)].count(True) == 1


def test_complex_invites_rnd_and_the_product_manager(dovecot, smtp_sink, database_url, state_dir) -> None:
    team = {**TEAM, "staff": [*TEAM["staff"], {"name": "钱工", "address": "qian@example.com", "roles": ["rnd"]},
                              {"name": "孙经理", "address": "sun@example.com", "roles": ["pm"]}]}
    config = state_dir / "maild.toml"
    config.write_text(local_config(dovecot, smtp_sink, database_url, state_dir, **team), encoding="utf-8")
    app = App(load_config(config), FrozenClock(WEDNESDAY_0930))
    try:
        ticket, _ = opened(app, dovecot, smtp_sink)
        dovecot.append(command_mail(ticket, "#complex 涉及第三方验证码服务"))
        app.once()
    finally:
        app.close()
    assert [len(to(smtp_sink, a)) for a in ("qian@example.com", "sun@example.com", CUSTOMER)] == [1, 1, 0]
    assert queries.ticket_detail(ticket.number)["complex"] is True


def test_the_progress_table_shows_each_steps_status_expected_completion_and_the_customers_words(
        team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    ticket, notification = opened(app, dovecot, smtp_sink)
    dovecot.append(outlook_reply(notification, "#eta 2026-11-25 18:00\n张先生，我们正在排查。"))
    app.once()
    [answer] = to(smtp_sink, CUSTOMER)
    dovecot.append(chinese_mail(subject="Re: " + answer["Subject"], in_reply_to=answer["Message-ID"],
                                body="好的，等你们消息。\n\n> 张先生，我们正在排查。"))
    app.once()
    dovecot.append(command_mail(ticket, "#resolve\n解决方案：已更换证书"))
    app.once()
    steps = {p["action"].split(":")[0]: p for p in queries.ticket_detail(ticket.number)["progress"]}
    assert steps["opened"]["status"] == "new"
    assert (steps["engineer-reply"]["status"], steps["engineer-reply"]["eta"]) == ("in-progress",
                                                                                   "2026-11-25T18:00:00+08:00")
    assert (steps["customer-mail"]["feedback"], steps["customer-mail"]["handler"]) == ("好的，等你们消息。", CUSTOMER)
    assert steps["resolved"]["status"] == "resolved" and steps["resolved"]["done_at"] is not None
