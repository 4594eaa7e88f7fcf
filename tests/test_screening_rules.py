"""The screening table, row by row: each row has a mail that only it catches, so deleting the row
fails its test. Pure: no server, no database."""

from __future__ import annotations

import pytest

from maild.parsing import parse_mail
from maild.rules.screen import RULES, MailboxFacts, ScreenInput, ScreenPolicy, screen

from .mails import customer_mail

POLICY = ScreenPolicy(loop_header="X-Maild-Loop", auto_reply_limit=10)

NO_FROM = (b"To: support@example.com\r\nReply-To: alice@customer.example\r\nSubject: help\r\n"
           b"Message-ID: <nofrom@customer.example>\r\n\r\nhello\r\n")
REPORT = (b"From: Alice <alice@customer.example>\r\nTo: support@example.com\r\nSubject: read receipt\r\n"
          b"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n\r\n"
          b"--b\r\nContent-Type: text/plain\r\n\r\nDisplayed.\r\n--b--\r\n")

# rule → (the mail, automatic mails sent lately to its answer address, reason, opens a ticket)
EXAMPLES = {
    "carries_our_loop_header": (customer_mail(headers={"X-Maild-Loop": "support@example.com"}), 0,
                                "own-loop", False),
    "is_report": (REPORT, 0, "bounce", False),
    "has_null_return_path": (customer_mail(headers={"Return-Path": "<>"}), 0, "bounce", False),
    "comes_from_a_mailer_daemon": (customer_mail(sender="MAILER-DAEMON@mx.customer.example"), 0, "bounce", False),
    "is_auto_submitted": (customer_mail(headers={"Auto-Submitted": "auto-replied"}), 0, "auto-reply", False),
    "has_auto_reply_precedence": (customer_mail(headers={"Precedence": "auto_reply"}), 0, "auto-reply", False),
    "has_x_autoreply": (customer_mail(headers={"X-Autoreply": "yes"}), 0, "auto-reply", False),
    "has_x_autorespond": (customer_mail(headers={"X-Autorespond": "Out of office"}), 0, "auto-reply", False),
    "is_qq_auto_reply": (customer_mail(subject="我正在休假", headers={"X-QQ-AUTO-REPLY": "true"}), 0,
                         "auto-reply", False),
    "is_apple_vacation": (customer_mail(headers={"X-Apple-Action": "vacation"}), 0, "auto-reply", False),
    "has_bounce_subject": (customer_mail(subject="Undeliverable: your order"), 0, "looks-automatic", True),
    "has_auto_reply_subject": (customer_mail(subject="自动回复：收到"), 0, "looks-automatic", True),
    "asks_for_no_auto_response": (customer_mail(headers={"X-Auto-Response-Suppress": "OOF"}), 0,
                                  "no-answer-asked", True),
    "has_bulk_precedence": (customer_mail(headers={"Precedence": "bulk"}), 0, "bulk", True),
    "comes_from_a_list": (customer_mail(headers={"List-Id": "<users.lists.customer.example>"}), 0, "bulk", True),
    "has_no_sender": (NO_FROM, 0, "no-sender", True),
    "has_unanswerable_address": (customer_mail().replace(b"Alice Smith <alice@customer.example>", "张三@例子.中国".encode()), 0, "bad-address", True),
    "is_past_the_rate_limit": (customer_mail(), 10, "rate-limit", True),
    "is_older_than_the_answer_window": (customer_mail(), 0, "old-mail", True),
    "was_answered_on_the_server": (customer_mail(), 0, "answered", True),
}
DAY = 86400.0
# what the mailbox said of the example, where its rule looks at that
MAILBOX = {
    "is_older_than_the_answer_window": MailboxFacts(age=4 * DAY),
    "was_answered_on_the_server": MailboxFacts(age=60.0, answered=True),
}


def test_every_row_of_the_table_has_an_example() -> None:
    assert sorted(rule.__name__ for _, rule, _ in RULES) == sorted(EXAMPLES)


@pytest.mark.parametrize("rule_name", sorted(EXAMPLES))
def test_each_row_alone_catches_its_example(rule_name: str) -> None:
    raw, recent, _, _ = EXAMPLES[rule_name]
    seen = ScreenInput(parse_mail(raw), POLICY, recent, MAILBOX.get(rule_name, MailboxFacts()))
    assert [rule.__name__ for _, rule, _ in RULES if rule(seen)] == [rule_name]


@pytest.mark.parametrize("rule_name", sorted(EXAMPLES))
def test_the_screening_names_the_reason_and_whether_a_ticket_opens(rule_name: str) -> None:
    raw, recent, reason, opens_ticket = EXAMPLES[rule_name]
    screening = screen(parse_mail(raw), POLICY, recent, MAILBOX.get(rule_name, MailboxFacts()))
    assert (screening.reason, screening.opens_ticket, screening.answer) == (reason, opens_ticket, False)


def test_a_person_writing_for_help_is_answered() -> None:
    assert screen(parse_mail(customer_mail()), POLICY, recent_auto_replies=9).answer


def test_auto_submitted_no_is_a_person() -> None:
    assert screen(parse_mail(customer_mail(headers={"Auto-Submitted": "no"})), POLICY, 0).answer


def test_a_forwarded_bounce_is_a_person_asking() -> None:
    assert screen(parse_mail(customer_mail(subject="Fwd: Returned mail: see transcript")), POLICY, 0).answer



def test_mail_the_server_received_within_the_answer_window_is_answered() -> None:
    assert screen(parse_mail(customer_mail()), POLICY, 0, MailboxFacts(age=2.9 * DAY)).answer
