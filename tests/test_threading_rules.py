"""Which ticket a mail belongs to (rules/correlate), decided from the mail and what we know."""

from __future__ import annotations

from maild.parsing import parse_mail
from maild.rules.correlate import KnownTicket, correlate, subject_tag, thread_ids
from maild.rules.signed_ids import signed_message_id

from .mails import customer_mail, mail_with_attachment

KEY = b"k" * 32
OURS = signed_message_id("TS20261125001", "0123456789abcdef", KEY, "example.com")
TICKET = KnownTicket("TS20261125001", "open", frozenset({"alice@customer.example", "bob@customer.example"}))
TICKETS = {TICKET.number: TICKET}


def bounce_returning(headers: bytes) -> bytes:
    return (b"From: MAILER-DAEMON@mx.customer.example\r\nTo: support@example.com\r\nSubject: failure\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
            b"--b\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
            b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n" + headers + b"\r\n--b--\r\n")


def test_a_reply_to_our_mail_joins_its_ticket_by_in_reply_to() -> None:
    mail = parse_mail(customer_mail(subject="thanks", in_reply_to=f"<{OURS}>"))
    match = correlate(mail, {OURS: TICKET.number}, TICKETS, key=KEY)
    assert (match.number, match.via) == (TICKET.number, "message-id")


def test_a_reply_that_kept_only_references_still_joins() -> None:
    mail = parse_mail(customer_mail(subject="thanks", references=f"<other@customer.example> <{OURS}>"))
    assert correlate(mail, {OURS: TICKET.number}, TICKETS, key=KEY).number == TICKET.number


def test_the_nearest_answered_id_comes_first() -> None:
    mail = parse_mail(customer_mail(in_reply_to="<b@x.example>", references="<a@x.example> <c@x.example>"))
    assert thread_ids(mail) == ("b@x.example", "c@x.example", "a@x.example")


def test_a_participant_who_dropped_the_headers_joins_by_the_subject_tag() -> None:
    mail = parse_mail(customer_mail(subject="Re: [ts20261125001] still broken", sender="bob@customer.example"))
    assert subject_tag(mail.subject) == "TS20261125001"
    match = correlate(mail, {}, TICKETS, key=KEY)
    assert (match.number, match.via) == (TICKET.number, "subject-tag")


def test_a_stranger_copying_the_tag_opens_a_new_ticket_and_staff_are_told() -> None:
    mail = parse_mail(customer_mail(subject="[TS20261125001] me too", sender="mallory@evil.example"))
    match = correlate(mail, {}, TICKETS, key=KEY)
    assert match.number is None
    assert match.note == "mallory@evil.example may not write to TS20261125001"


def test_a_mail_naming_nothing_of_ours_is_new() -> None:
    assert correlate(parse_mail(customer_mail()), {}, {}, key=KEY).via == "new"


def test_a_bounce_of_our_mail_finds_it_in_the_returned_headers() -> None:
    returned = f"From: support@example.com\r\nMessage-ID: <{OURS}>\r\nSubject: [TS20261125001] x\r\n".encode()
    mail = parse_mail(bounce_returning(returned))
    assert OURS in thread_ids(mail)


def test_a_forwarded_copy_of_our_mail_is_no_answer_to_it() -> None:
    ours = f"From: support@example.com\r\nMessage-ID: <{OURS}>\r\nSubject: x\r\n\r\nbody\r\n".encode()
    mail = parse_mail(mail_with_attachment(ours, "message", "rfc822", sender="mallory@evil.example"))
    assert OURS not in thread_ids(mail)


def test_an_id_in_our_format_with_a_wrong_signature_is_quoting_nothing() -> None:
    forged = signed_message_id("TS20261125001", "0123456789abcdef", b"x" * 32, "example.com")
    mail = parse_mail(customer_mail(subject="thanks", in_reply_to=f"<{forged}>"))
    assert correlate(mail, {forged: TICKET.number}, TICKETS, key=KEY).via == "new"


def test_an_id_signed_for_another_ticket_does_not_lead_to_this_one() -> None:
    other = signed_message_id("TS20261125002", "0123456789abcdef", KEY, "example.com")
    mail = parse_mail(customer_mail(subject="thanks", in_reply_to=f"<{other}>"))
    assert correlate(mail, {other: TICKET.number}, TICKETS, key=KEY).via == "new"


def test_a_stranger_answering_our_mail_opens_a_new_ticket_and_staff_are_told() -> None:
    mail = parse_mail(customer_mail(subject="Re: your ticket", in_reply_to=f"<{OURS}>", sender="mallory@evil.example"))
    match = correlate(mail, {OURS: TICKET.number}, TICKETS, key=KEY)
    assert match.number is None
    assert match.note == "mallory@evil.example is not on TS20261125001: an answer to its mail opens a new ticket"


def test_staff_may_answer_any_mail_of_ours() -> None:
    mail = parse_mail(customer_mail(subject="Re: x", in_reply_to=f"<{OURS}>", sender="li@example.com"))
    assert correlate(mail, {OURS: TICKET.number}, TICKETS, frozenset({"li@example.com"}), key=KEY).via == "message-id"
