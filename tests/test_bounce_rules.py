"""What a bounce of one of our mails does (rules/bounce), decided from the mail and what we sent."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from maild.config import SlaConfig
from maild.parsing import parse_mail
from maild.rules.actions import MarkBounced, QueueMail, RecordEvent, Suppress
from maild.rules.correlate import KnownTicket
from maild.rules.inbound import MailFacts, MailPolicy, decide
from maild.rules.routing import Engineer, Roster
from maild.rules.screen import ScreenPolicy
from maild.rules.signed_ids import signed_message_id

KEY = b"k" * 32
NUMBER = "TS20261125001"
OURS = signed_message_id(NUMBER, "0123456789abcdef", KEY, "example.com")
ENGINEER = Engineer("li@example.com", "李雷", frozenset({"engineer"}), frozenset())
POLICY = MailPolicy("support@example.com", ZoneInfo("Asia/Shanghai"), "en", ScreenPolicy("X-Maild-Loop", 10),
                    SlaConfig().first_response, roster=Roster((ENGINEER,), ()), id_key=KEY)
TICKET = KnownTicket(NUMBER, "open", frozenset({"alice@customer.example"}), "alice@customer.example",
                     subject="cannot log in", assignee=ENGINEER.address)
RECEIVED = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


def dsn(recipient: str, status: str = "5.1.1") -> bytes:
    return (f"From: MAILER-DAEMON@mx.example.net\r\nTo: support@example.com\r\nSubject: Undelivered\r\n"
            f"In-Reply-To: <{OURS}>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
            "--b\r\nContent-Type: text/plain\r\n\r\nnot delivered\r\n"
            "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n\r\n--b--\r\n").encode()


def outcome_of(raw: bytes, kind: str, sent_to: str):
    facts = MailFacts("dsn-1", RECEIVED, {OURS: NUMBER}, {NUMBER: TICKET}, sent={OURS: (kind, (sent_to,))})
    return decide(parse_mail(raw), facts, POLICY)


def test_a_hard_bounce_of_the_acknowledgement_suppresses_the_customer_and_tells_the_engineer() -> None:
    outcome = outcome_of(dsn("alice@customer.example"), "ack", "alice@customer.example")
    kinds = [type(a) for a in outcome.actions]
    assert (outcome.ticket, outcome.screened) == (NUMBER, "bounce")
    assert kinds == [RecordEvent, MarkBounced, Suppress, QueueMail]
    assert outcome.actions[-1].to.address == ENGINEER.address


def test_an_address_written_with_capitals_is_the_same_recipient() -> None:
    outcome = outcome_of(dsn("alice@customer.example"), "ack", "Alice@Customer.Example")
    assert any(isinstance(a, Suppress) for a in outcome.actions)


def test_a_bounce_of_a_notice_to_the_engineer_is_not_told_to_that_engineer() -> None:
    outcome = outcome_of(dsn(ENGINEER.address), "assigned", ENGINEER.address)
    assert [type(a) for a in outcome.actions] == [RecordEvent, MarkBounced, Suppress]


def test_a_bounce_of_a_bounce_notice_tells_nobody() -> None:
    # The notice went to a supervisor; the engineer on the ticket is not told of it either.
    outcome = outcome_of(dsn("zhoumin@example.com", "4.2.2"), "bounce", "zhoumin@example.com")
    assert [type(a) for a in outcome.actions] == [RecordEvent]


def test_a_report_naming_someone_we_did_not_mail_changes_nothing() -> None:
    outcome = outcome_of(dsn("victim@elsewhere.example"), "ack", "alice@customer.example")
    assert [type(a) for a in outcome.actions] == [RecordEvent]
    assert "names none of its recipients" in outcome.actions[0].detail
