"""The test servers themselves work: Dovecot over real IMAP, the SMTP sink over real SMTP."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage

import pytest

from maild.testing.dovecot import PrivateDovecot
from maild.testing.smtpsink import SmtpSink


def raw_mail(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "customer@example.org"
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg.set_content("Hello, it does not work.\n")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def send(sink: SmtpSink, subject: str) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as smtp:
        smtp.sendmail("maild@example.com", ["customer@example.org"], raw_mail(subject))


def test_append_and_fetch_back(dovecot: PrivateDovecot) -> None:
    dovecot.append(raw_mail("first"), flags=["\\Seen"])
    dovecot.create_folder("Archive")
    dovecot.append_many(raw_mail(f"bulk {i}") for i in range(3))
    dovecot.append(raw_mail("archived"), folder="Archive")

    assert dovecot.fetch_raw() == [raw_mail("first")] + [raw_mail(f"bulk {i}") for i in range(3)]
    assert dovecot.list_messages() == [(1, ("\\Seen",)), (2, ()), (3, ()), (4, ())]
    assert dovecot.fetch_raw("Archive") == [raw_mail("archived")]

    with dovecot.client() as imap:
        imap.select_folder("INBOX")
        assert imap.search(["SUBJECT", "bulk 1"]) == [3]


def test_each_test_gets_an_empty_mailbox(dovecot: PrivateDovecot) -> None:
    assert dovecot.list_messages() == []


def test_idle_wakes_up_on_new_mail(dovecot: PrivateDovecot) -> None:
    with dovecot.client() as imap:
        imap.select_folder("INBOX")
        imap.idle()
        dovecot.append(raw_mail("wake up"))
        started = time.monotonic()
        responses = imap.idle_check(timeout=5)
        imap.idle_done()
    assert (1, b"EXISTS") in responses
    # Dovecot batches inotify events for 500 ms before telling IDLE clients.
    assert time.monotonic() - started < 2


def test_sink_records_a_mail(smtp_sink: SmtpSink) -> None:
    send(smtp_sink, "Re: your ticket")

    [received] = smtp_sink.wait_for(1)
    assert received.mail_from == "maild@example.com"
    assert received.rcpt_tos == ("customer@example.org",)
    assert received.message["Subject"] == "Re: your ticket"
    assert received.message.get_content() == "Hello, it does not work.\n"


def test_fail_next_refuses_once(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(451)

    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_sink, "first try")
    assert refused.value.smtp_code == 451
    assert refused.value.smtp_error == b"4.3.0 try later"

    send(smtp_sink, "second try")
    assert [m.message["Subject"] for m in smtp_sink.wait_for(1)] == ["second try"]
    assert [m.message["Subject"] for m in smtp_sink.refused] == ["first try"]


def test_fail_always_until_accept(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_always(550)
    for _ in range(2):
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(smtp_sink, "bounce")
        assert refused.value.smtp_code == 550
    smtp_sink.accept()
    send(smtp_sink, "ok")
    assert len(smtp_sink.wait_for(1)) == 1


def test_wait_for_times_out_with_what_arrived(smtp_sink: SmtpSink) -> None:
    send(smtp_sink, "only one")
    with pytest.raises(AssertionError, match="only one"):
        smtp_sink.wait_for(2, timeout=0.2)


def test_restart_keeps_the_port(smtp_sink: SmtpSink) -> None:
    port = smtp_sink.port
    smtp_sink.stop()
    with pytest.raises(ConnectionRefusedError):
        send(smtp_sink, "nobody home")

    smtp_sink.start()
    assert smtp_sink.port == port
    send(smtp_sink, "back again")
    smtp_sink.restart()
    assert smtp_sink.port == port
    send(smtp_sink, "and again")
    assert len(smtp_sink.wait_for(2)) == 2


def test_private_dovecot_lifecycle() -> None:
    server = PrivateDovecot(user="other@example.com", password="pw")
    with server:
        directory = server.directory
        server.append(raw_mail("kept"))
        port = server.port
        server.restart()
        assert server.port == port
        assert server.fetch_raw() == [raw_mail("kept")]
    assert not directory.exists()
