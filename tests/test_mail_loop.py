"""The mail loop end to end: a private Dovecot, an aiosmtpd sink, SQLite and PostgreSQL."""

from __future__ import annotations

from email.message import EmailMessage

from maild.app import App
from maild.config import load_config
from maild.rules.opening import MAX_PARTICIPANTS
from maild.store import queries
from maild.store.models import MailboxCursor
from maild.testing.dovecot import PrivateDovecot
from maild.testing.smtpsink import SmtpSink

from .mails import chinese_mail, customer_mail, mail_with_attachment


def ack_for(sink: SmtpSink, count: int = 1) -> list[EmailMessage]:
    return [received.message for received in sink.wait_for(count)]


def test_new_mail_becomes_a_ticket_and_the_customer_gets_one_acknowledgement(
        app: App, dovecot: PrivateDovecot, smtp_sink: SmtpSink) -> None:
    dovecot.append(customer_mail())
    result = app.once()
    tickets = queries.list_tickets()
    assert result.fetched == 1 and result.flushed.sent == 1
    assert [(t["number"], t["status"], t["customer"], t["messages"]) for t in tickets] == [
        ("TS20261125001", "new", "alice@customer.example", 2)]
    [ack] = ack_for(smtp_sink)
    assert ack["To"] == "Alice Smith <alice@customer.example>"
    assert ack["Subject"] == "[TS20261125001] Cannot log in to the portal"
    assert "TS20261125001" in ack.get_body(("plain",)).get_content()


def test_acknowledgement_carries_the_loop_breaking_headers(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    [ack] = ack_for(smtp_sink)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["X-Maild-Loop"] == "support@example.com"
    assert ack.get_body(("html",)) is not None


def test_intake_record_keeps_customer_subject_body_and_channel(app, dovecot, smtp_sink) -> None:
    dovecot.append(chinese_mail())
    app.once()
    ticket = queries.ticket_detail("TS20261125001")
    assert ticket["customer_name"] == "张三"
    assert ticket["customer"] == "zhangsan@kehu.example.cn"
    assert ticket["subject"] == "系统无法登录，请尽快处理"
    assert ticket["channel"] == "email"
    assert "验证码错误" in ticket["messages"][0]["body"]


def test_chinese_mail_is_acknowledged_in_chinese(app, dovecot, smtp_sink) -> None:
    dovecot.append(chinese_mail())
    app.once()
    [ack] = ack_for(smtp_sink)
    assert ack["Subject"] == "[TS20261125001] 系统无法登录，请尽快处理"
    assert "工单" in ack.get_body(("plain",)).get_content()


def test_the_same_mail_fetched_twice_is_stored_once(app, dovecot, smtp_sink) -> None:
    mail = customer_mail(message_id="<same-one@customer.example>")
    dovecot.append(mail)
    dovecot.append(mail)
    app.once()
    app.once()
    assert queries.status()["mails"] == 1
    assert len(queries.list_tickets()) == 1
    assert len(ack_for(smtp_sink)) == 1


def test_fetched_mail_is_marked_seen_and_never_deleted(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    [(uid, flags)] = dovecot.list_messages()
    assert "\\Seen" in flags and "\\Deleted" not in flags


def test_reply_without_subject_tag_threads_by_in_reply_to(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    [ack] = ack_for(smtp_sink)
    dovecot.append(customer_mail(subject="Re: Cannot log in", body="Here is the screenshot.",
                                 in_reply_to=ack["Message-ID"], references=ack["Message-ID"]))
    app.once()
    assert [(t["number"], t["messages"]) for t in queries.list_tickets()] == [("TS20261125001", 3)]
    assert len(smtp_sink.messages) == 1  # a reply gets no second acknowledgement


def test_reply_from_the_customer_threads_by_subject_tag(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    dovecot.append(customer_mail(subject="回复: [TS20261125001] Cannot log in", body="还是不行"))
    app.once()
    assert [(t["number"], t["messages"]) for t in queries.list_tickets()] == [("TS20261125001", 3)]


def test_someone_on_cc_may_write_to_the_ticket_by_its_tag(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(cc=("bob@customer.example",)))
    app.once()
    dovecot.append(customer_mail(subject="Re: [TS20261125001] Cannot log in", sender="bob@customer.example",
                                 name="Bob"))
    app.once()
    assert len(queries.list_tickets()) == 1


def test_a_stranger_copying_the_tag_opens_a_new_ticket(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    dovecot.append(customer_mail(subject="[TS20261125001] let me in", sender="mallory@evil.example"))
    app.once()
    tickets = queries.list_tickets()
    assert [t["customer"] for t in tickets] == ["alice@customer.example", "mallory@evil.example"]
    assert tickets[0]["messages"] == 2


def test_attachments_are_kept_under_the_state_directory(app, dovecot, smtp_sink, state_dir) -> None:
    dovecot.append(mail_with_attachment(b"\x89PNG fake image", "image", "png", filename="../../报错截图.png"))
    app.once()
    [attachment] = queries.ticket_detail("TS20261125001")["messages"][0]["attachments"]
    assert attachment["filename"].endswith("报错截图.png") and "/" not in attachment["filename"]
    stored = state_dir / "attachments" / attachment["path"]
    assert stored.read_bytes() == b"\x89PNG fake image"
    assert stored.resolve().is_relative_to(state_dir.resolve())


def test_ticket_numbers_count_up_within_the_day(app, dovecot, smtp_sink) -> None:
    for n in range(3):
        dovecot.append(customer_mail(subject=f"Problem {n}"))
    app.once()
    assert [t["number"] for t in queries.list_tickets()] == ["TS20261125001", "TS20261125002", "TS20261125003"]


def test_a_changed_uidvalidity_rescans_without_storing_anything_twice(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app.once()
    MailboxCursor.update(uidvalidity=MailboxCursor.uidvalidity + 1).execute()
    dovecot.append(customer_mail(subject="Second problem"))
    app.once()
    assert queries.status()["mails"] == 2
    assert len(smtp_sink.wait_for(2)) == 2


def test_stored_mail_can_be_moved_to_a_processed_folder(config_file, dovecot, smtp_sink, clock) -> None:
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace("[imap]\n", '[imap]\nprocessed_folder = "Processed"\n'), encoding="utf-8")
    app = App(load_config(config_file), clock)
    dovecot.append(customer_mail())
    app.once()
    app.close()
    assert dovecot.list_messages("INBOX") == []
    assert len(dovecot.list_messages("Processed")) == 1


def test_a_mail_with_a_huge_cc_and_references_gets_its_ticket_and_holds_up_nobody(app, dovecot, smtp_sink) -> None:
    cc = ",\r\n ".join(f"person{n}@many.example" for n in range(12_000))  # three SQL values a participant
    references = "\r\n ".join(f"<ref{n}@thread.example>" for n in range(40_000))
    dovecot.append((f"From: Alice Smith <alice@customer.example>\r\nTo: support@example.com\r\nCc: {cc}\r\n"
                    f"Subject: Cannot log in\r\nMessage-ID: <huge@customer.example>\r\nReferences: {references}\r\n"
                    "Date: Wed, 25 Nov 2026 09:00:00 +0800\r\n\r\nSince this morning nothing works.\r\n").encode())
    dovecot.append(customer_mail(subject="Next in line", sender="bob@customer.example"))
    app.once()
    assert queries.status()["quarantined"] == 0
    assert sorted(t["customer"] for t in queries.list_tickets()) == ["alice@customer.example",
                                                                     "bob@customer.example"]
    huge = next(t for t in queries.list_tickets() if t["customer"] == "alice@customer.example")
    assert len(queries.ticket_detail(huge["number"])["participants"]) == MAX_PARTICIPANTS
    assert len(smtp_sink.wait_for(2)) == 2
    [ack] = [m for m in smtp_sink.messages if m.rcpt_tos == ("alice@customer.example",)]
    assert len(ack.message["References"].split()) == 20  # the root and the latest of them
