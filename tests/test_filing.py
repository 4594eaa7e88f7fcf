"""Staff open tickets on a customer's behalf by mail (G1), end to end through Dovecot and the SMTP
sink: the customer is acknowledged, the intake record names the engineer and the channel."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from maild.steps import process_views
from maild.store import queries
from maild.store.models import Ticket

from .mails import chinese_mail, customer_mail
from .test_engineer_replies import CUSTOMER, ENGINEER, to
from .test_triage import team_app  # noqa: F401 - a fixture


def test_a_call_written_up_with_customer_opens_their_ticket(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    dovecot.append(customer_mail(subject="来电：无法登录", sender=ENGINEER, name="李雷",
                                 body="#customer 张三 <zhangsan@kehu.example.cn>\n#channel phone\n\n"
                                      "张先生来电：今天上午开始所有员工都无法登录，提示验证码错误。"))
    app.once()
    [ticket] = Ticket.select()
    [ack] = to(smtp_sink, CUSTOMER)
    assert ack["Subject"] == f"[{ticket.number}] 来电：无法登录" and "张三" in ack.get_body(("plain",)).get_content()
    intake = queries.ticket_detail(ticket.number)["intake"]
    assert (intake["contact"], intake["address"]) == ("张三", CUSTOMER)
    assert (intake["received_by"], intake["channel"]) == (ENGINEER, "phone")
    assert "所有员工都无法登录" in intake["description"]


def test_a_forwarded_customer_mail_opens_the_ticket_for_its_sender(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    forward = EmailMessage()
    forward["From"], forward["To"], forward["Subject"] = f"李雷 <{ENGINEER}>", "support@example.com", "Fwd: 无法登录"
    forward.set_content("客户发到我个人邮箱了，请建单。")
    forward.add_attachment(message_from_bytes(chinese_mail(message_id="<q1@kehu.example.cn>"), policy=default))
    dovecot.append(forward.as_bytes())
    app.once()
    [ticket] = Ticket.select()
    [ack] = to(smtp_sink, CUSTOMER)
    assert ack["In-Reply-To"] == "<q1@kehu.example.cn>"  # the customer's own mail, which they know
    shown = queries.ticket_detail(ticket.number)
    assert (shown["customer"], shown["intake"]["received_by"]) == (CUSTOMER, ENGINEER)
    assert shown["intake"]["judgement"] == "客户发到我个人邮箱了，请建单。"


def test_a_filing_without_a_customer_opens_nothing_and_tells_the_engineer(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    dovecot.append(customer_mail(subject="来电", body="#customer 张三\n无法登录。", sender=ENGINEER, name="李雷"))
    app.once()
    assert list(Ticket.select()) == [] and to(smtp_sink, CUSTOMER) == []
    [answer] = to(smtp_sink, ENGINEER)
    assert answer["Subject"] == "来电"
    assert "#customer 张三: expected the customer's mail address" in answer.get_body(("plain",)).get_content()
    [kept] = process_views.mails()
    assert kept["fate"] == "screened: commands-refused"
    [told] = queries.produced_by(kept["id"], None)["outbox"]  # what `maild mail ID` shows it caused
    assert (told["kind"], told["to"]) == ("command-error", ENGINEER)
