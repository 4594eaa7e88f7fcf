"""Mail that must never get an automatic answer: bounces, auto-replies, our own, floods."""

from __future__ import annotations

from datetime import datetime, timezone

from maild.store import queries

from .mails import chinese_mail, customer_mail, mail_with_attachment

DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.customer.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; nobody@customer.example
Action: failed
Status: 5.1.1
--b1--
"""


def test_a_bounce_gets_no_answer_and_opens_no_ticket(app, dovecot, smtp_sink) -> None:
    dovecot.append(DSN)
    app.once()
    assert queries.list_tickets() == []
    assert smtp_sink.messages == []
    assert queries.status()["screened"] == 1


def test_a_qq_holiday_auto_reply_gets_no_answer(app, dovecot, smtp_sink) -> None:
    dovecot.append(chinese_mail(subject="自动回复: 我正在休假", headers={"X-QQ-AUTO-REPLY": "true"}))
    app.once()
    assert (queries.status()["mails"], queries.status()["screened"]) == (1, 1)
    assert queries.list_tickets() == [] and smtp_sink.messages == []


def test_an_rfc3834_auto_reply_on_a_ticket_is_attached_but_not_answered(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    [ack] = smtp_sink.wait_for(1)
    dovecot.append(customer_mail(subject="Out of office", in_reply_to=ack.message["Message-ID"],
                                 headers={"Auto-Submitted": "auto-replied"}))
    app.once()
    ticket = queries.ticket_detail("TS20261125001")
    assert [m["screened"] for m in ticket["messages"]] == [None, None, "auto-reply"]
    assert len(smtp_sink.messages) == 1


def test_mail_carrying_our_loop_header_is_never_answered(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(headers={"X-Maild-Loop": "support@example.com"}))
    app.once()
    assert (queries.status()["mails"], queries.status()["screened"]) == (1, 1)
    assert queries.list_tickets() == [] and smtp_sink.messages == []


def test_a_sender_past_the_rate_limit_gets_tickets_but_no_more_answers(app, dovecot, smtp_sink) -> None:
    for n in range(12):
        dovecot.append(customer_mail(subject=f"Problem {n}"))
    app.once()
    assert len(queries.list_tickets()) == 12
    assert len(smtp_sink.messages) == 10


def test_a_mailing_list_post_opens_a_ticket_without_an_answer(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(headers={"List-Id": "<users.lists.customer.example>",
                                          "Precedence": "list"}))
    app.once()
    assert len(queries.list_tickets()) == 1
    assert smtp_sink.messages == []


def test_a_bounced_acknowledgement_is_a_delivery_failure_on_its_ticket_without_an_answer(app, dovecot,
                                                                                         smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    [ack] = smtp_sink.wait_for(1)
    returned = ack.data.split(b"\r\n\r\n", 1)[0]
    bounce = DSN.replace(b"--b1--\n", b"--b1\nContent-Type: text/rfc822-headers\n\n" + returned + b"\n--b1--\n")
    dovecot.append(bounce)
    app.once()
    ticket = queries.ticket_detail("TS20261125001")
    assert [m["direction"] for m in ticket["messages"]] == ["in", "out"]  # its text is no customer's message
    assert [e["kind"] for e in ticket["events"]][-1] == "bounce"
    assert len(smtp_sink.messages) == 1


def test_the_rate_limit_counts_the_address_answers_go_to(app, dovecot, smtp_sink) -> None:
    for n in range(12):  # a different From each time, one Reply-To: the answers would all land there
        dovecot.append(customer_mail(subject=f"Problem {n}", sender=f"form{n}@customer.example",
                                     headers={"Reply-To": "service@customer.example"}))
    app.once()
    assert len(queries.list_tickets()) == 12
    assert [r.rcpt_tos for r in smtp_sink.messages] == [("service@customer.example",)] * 10


def test_a_person_asking_for_no_auto_answer_still_gets_a_ticket(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(headers={"X-Auto-Response-Suppress": "OOF, AutoReply"}))
    app.once()
    assert len(queries.list_tickets()) == 1
    assert smtp_sink.messages == []


def test_a_customer_writing_about_a_bounce_gets_a_ticket_but_no_automatic_answer(app, dovecot,
                                                                                 smtp_sink) -> None:
    dovecot.append(chinese_mail(subject="退信问题：发给合作伙伴的邮件都被退回"))
    app.once()
    assert [t["subject"] for t in queries.list_tickets()] == ["退信问题：发给合作伙伴的邮件都被退回"]
    assert smtp_sink.messages == []


def test_forwarding_our_mail_as_an_attachment_does_not_reach_its_ticket(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    [ack] = smtp_sink.wait_for(1)
    dovecot.append(mail_with_attachment(ack.data, "message", "rfc822", sender="mallory@evil.example"))
    app.once()
    assert [t["customer"] for t in queries.list_tickets()] == ["alice@customer.example", "mallory@evil.example"]


def test_mail_the_server_received_days_ago_gets_a_ticket_but_no_answer(app, dovecot, smtp_sink) -> None:
    # The frozen clock says 2026-11-25 01:30 UTC; answers go only within three days of receipt.
    dovecot.append(customer_mail(), received_at=datetime(2026, 11, 20, 9, tzinfo=timezone.utc))
    dovecot.append(customer_mail(subject="Still broken", sender="bob@customer.example"),
                   received_at=datetime(2026, 11, 23, 9, tzinfo=timezone.utc))
    app.once()
    assert screened_by_customer() == {"alice@customer.example": "old-mail", "bob@customer.example": None}
    assert [m.rcpt_tos for m in smtp_sink.wait_for(1)] == [("bob@customer.example",)]


def test_mail_someone_already_answered_gets_a_ticket_but_no_answer(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(), flags=[r"\Answered"])
    app.once()
    assert screened_by_customer() == {"alice@customer.example": "answered"}
    assert smtp_sink.messages == []


def screened_by_customer() -> dict[str, str | None]:
    """Each ticket's customer → why their mail got no automatic answer (None: it got one)."""
    return {t["customer"]: queries.ticket_detail(t["number"])["messages"][0]["screened"]
            for t in queries.list_tickets()}
