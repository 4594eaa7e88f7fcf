"""What a bounce says about delivery (RFC 3464): who could not be reached, and whether for good."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from maild.parsing import parse_mail
from maild.parsing.dsn import MAX_DIAGNOSTIC, MAX_FAILURES, DeliveryFailure, delivery_failures

from .corpus import CORPUS, require_corpus
from .mails import customer_mail

PER_MESSAGE = "Reporting-MTA: dns; mx.customer.example\nArrival-Date: Wed, 25 Nov 2026 09:15:02 +0800"
UNKNOWN_USER = ("Final-Recipient: rfc822; Alice@Customer.example\nAction: failed\nStatus: 5.1.1\n"
                "Diagnostic-Code: smtp; 550 5.1.1 <alice@customer.example>: Recipient address rejected")
MAILBOX_FULL = ("Final-Recipient: rfc822;<bob@customer.example>\nAction: delayed\nStatus: 4.2.2\n"
                "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full, will retry")


def bounce(*blocks: str, part_type: str = "message/delivery-status", encoding: str = "7bit") -> bytes:
    """A multipart/report as MTAs send it: the human part, the status part, the returned headers."""
    status = "\n\n".join((PER_MESSAGE, *blocks)) + "\n"
    if encoding == "base64":
        status = base64.encodebytes(status.encode("utf-8")).decode("ascii")
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n"
        "To: support@example.com\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Message-ID: <bounce.1@mx.example.com>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        f"--B\nContent-Type: {part_type}\nContent-Transfer-Encoding: {encoding}\n\n{status}\n"
        "--B\nContent-Type: text/rfc822-headers\n\n"
        "From: support@example.com\nMessage-ID: <ack.1@example.com>\nSubject: [TS20261125001] Received\n\n"
        "--B--\n"
    ).encode("utf-8")


def failures(raw: bytes) -> tuple[DeliveryFailure, ...]:
    return delivery_failures(parse_mail(raw))


def test_a_mailbox_that_does_not_exist_is_a_hard_failure() -> None:
    assert failures(bounce(UNKNOWN_USER)) == (DeliveryFailure(
        "alice@customer.example", "5.1.1", "failed", "550 5.1.1 <alice@customer.example>: Recipient address rejected"),)
    assert failures(bounce(UNKNOWN_USER))[0].hard


def test_a_delayed_delivery_is_reported_but_not_hard() -> None:
    [delayed] = failures(bounce(MAILBOX_FULL))
    assert (delayed.recipient, delayed.status, delayed.action) == ("bob@customer.example", "4.2.2", "delayed")
    assert not delayed.hard


def test_a_report_on_several_recipients_names_each_in_report_order() -> None:
    delivered = "Final-Recipient: rfc822; carol@customer.example\nAction: delivered\nStatus: 2.0.0"
    found = failures(bounce(UNKNOWN_USER, delivered, MAILBOX_FULL))
    assert [(f.recipient, f.hard) for f in found] == [("alice@customer.example", True), ("bob@customer.example", False)]


def test_a_folded_diagnostic_code_reads_as_one_line() -> None:
    folded = ("Final-Recipient: rfc822; alice@customer.example\nAction: failed\nStatus: 5.2.2\n"
              "Diagnostic-Code: smtp; 552-5.2.2 The email account that you tried to reach is\n"
              "    over quota.\n\t Please direct the recipient to the help page")
    [failure] = failures(bounce(folded))
    assert failure.diagnostic == ("552-5.2.2 The email account that you tried to reach is over quota. "
                                  "Please direct the recipient to the help page")


def test_a_long_diagnostic_is_cut_short() -> None:
    long = UNKNOWN_USER + " because" * 100
    [failure] = failures(bounce(long))
    assert len(failure.diagnostic) == MAX_DIAGNOSTIC


def test_without_a_final_recipient_the_original_recipient_is_named() -> None:
    original = "Original-Recipient: rfc822;alice@customer.example\nAction: failed\nStatus: 5.1.1"
    assert [f.recipient for f in failures(bounce(original))] == ["alice@customer.example"]


def test_a_status_missing_from_the_report_is_taken_from_the_diagnostic_code() -> None:
    no_status = ("Final-Recipient: rfc822; alice@customer.example\nAction: failed\n"
                 "Diagnostic-Code: smtp; 550 5.1.1 No such user")
    [failure] = failures(bounce(no_status))
    assert (failure.status, failure.hard) == ("5.1.1", True)


def test_a_report_that_gives_no_status_at_all_is_not_hard() -> None:
    bare = "Final-Recipient: rfc822; alice@customer.example\nAction: failed\nDiagnostic-Code: smtp; 550 No such user"
    [failure] = failures(bounce(bare))
    assert (failure.status, failure.hard) == ("", False)


def test_a_permanent_status_without_an_action_is_hard() -> None:
    no_action = "Original-Recipient: rfc822;alice@customer.example\nStatus: 5.5.0"
    [failure] = failures(bounce(no_action))
    assert (failure.action, failure.hard) == ("", True)


@pytest.mark.parametrize("recipient", ["rfc822;|/usr/local/bin/procmail -f-", "x400; /S=smith/O=customer/C=GB/",
                                       "rfc822; @mx.customer.example", "rfc822; unknown recipient"])
def test_a_recipient_that_is_no_address_is_not_named(recipient: str) -> None:
    assert failures(bounce(f"Final-Recipient: {recipient}\nAction: failed\nStatus: 5.1.1")) == ()


def test_an_internationalised_report_names_the_utf8_address() -> None:
    block = "Final-Recipient: utf-8; 张三@客户.example\nAction: failed\nStatus: 5.1.1"
    [failure] = failures(bounce(block, part_type="message/global-delivery-status", encoding="8bit"))
    assert failure.recipient == "张三@客户.example"


def test_a_base64_encoded_report_is_read() -> None:
    assert [f.recipient for f in failures(bounce(UNKNOWN_USER, encoding="base64"))] == ["alice@customer.example"]


def test_a_report_sent_as_multipart_mixed_is_read_too() -> None:
    # McAfee, Domino and OpenSMTPD send the report's parts in a multipart/mixed.
    mixed = bounce(UNKNOWN_USER).replace(b"multipart/report; report-type=delivery-status;", b"multipart/mixed;")
    assert [f.recipient for f in failures(mixed)] == ["alice@customer.example"]


def test_a_report_on_many_recipients_names_at_most_a_hundred() -> None:
    blocks = [f"Final-Recipient: rfc822; user{n}@customer.example\nAction: failed\nStatus: 5.1.1" for n in range(150)]
    found = failures(bounce(*blocks))
    assert len(found) == MAX_FAILURES and found[0].recipient == "user0@customer.example"


@pytest.mark.parametrize("garbage", [
    "\x00\x01\x02 not a report \xff",
    "Final-Recipient\nAction failed\nStatus: 5.1.1\n\n: : :\n\n\t\t\n",
    "Final-Recipient: rfc822; <<<@@@>>>\nStatus: 9.9.9.9.9\nAction:",
    "Final-Recipient: utf-8; \\x{D800}\\x{FFFFFF}\nAction: failed",
    "QUJD" * 40,
])
def test_garbage_in_the_status_part_reports_no_failure(garbage: str) -> None:
    raw = bounce(garbage).replace(PER_MESSAGE.encode(), b"")
    assert failures(raw) == ()


def test_a_plain_mail_reports_no_failure() -> None:
    assert failures(customer_mail()) == ()


def test_a_bounce_a_customer_forwards_is_not_read_as_our_own() -> None:
    forward = (b"From: alice@customer.example\nTo: support@example.com\nSubject: Fwd: bounce\n"
               b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="F"\n\n'
               b"--F\nContent-Type: text/plain\n\nWhy did this bounce?\n\n"
               b"--F\nContent-Type: message/rfc822\n\n" + bounce(UNKNOWN_USER) + b"\n--F--\n")
    assert failures(forward) == ()


# -- the shared corpus ------------------------------------------------------------------------

def corpus_bounces() -> list[tuple[Path, bytes]]:
    """Every corpus file that parses as a multipart/report of report-type delivery-status."""
    found = []
    for path in sorted(p for p in require_corpus().rglob("*") if p.is_file()):
        raw = path.read_bytes()
        mail = parse_mail(raw)
        if mail.content_type == "multipart/report" and mail.report_type == "delivery-status":
            found.append((path, raw))
    return found


def test_the_corpus_bounces_name_who_could_not_be_reached() -> None:
    bounces = corpus_bounces()
    assert bounces, f"no delivery-status reports under {CORPUS}"
    unread = []
    for path, raw in bounces:
        if not failures(raw):
            unread.append(path.relative_to(CORPUS))
    assert len(unread) <= 0.2 * len(bounces), f"{len(unread)} of {len(bounces)} name no recipient: {unread}"
