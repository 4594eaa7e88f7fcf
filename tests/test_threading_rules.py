"""Which ticket a mail belongs to (rules/correlate), decided from the mail and what we know."""

from __future__ import annotations

from maild.parsing import parse_mail
from maild.rules.correlate import KnownTicket, correlate, subject_tag, thread_ids

from .mails import customer_mail, mail_with_attachment

OURS = "maild.0123@example.com"
TICKET = KnownTicket("TS20261125001", "open", frozenset({"alice@customer.example", "bob@customer.example"}))


def bounce_returning(headers: bytes) -> bytes:
    return (b"From: MAILER-DAEMON@mx.customer.example\r\nTo: support@example.com\r\nSubject: failure\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
            b"--b\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
            b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n" + headers + b"\r\n--b--\r\n")


def test_a_reply_to_our_mail_joins_its_ticket_by_in_reply_to() -> None:
    mail = parse_mail(customer_mail(subject="thanks", in_reply_to=f"<{OURS}>"))
    match = correlate(mail, {OURS: TICKET.number}, None)
    assert (match.number, match.via) == (TICKET.number, "message-id")


def test_a_reply_that_kept_only_references_still_joins() -> None:
    mail = parse_mail(customer_mail(subject="thanks", references=f"<other@customer.example> <{OURS}>"))
    assert correlate(mail, {OURS: TICKET.number}, None).number == TICKET.number


def test_the_nearest_answered_id_comes_first() -> None:
    mail = parse_mail(customer_mail(in_reply_to="<b@x.example>", references="<a@x.example> <c@x.example>"))
    assert thread_ids(mail) == ("b@x.example", "c@x.example", "a@x.example")


def test_a_participant_who_dropped_the_headers_joins_by_the_subject_tag() -> None:
    mail = parse_mail(customer_mail(subject="Re: [ts20261125001] still broken", sender="bob@customer.example"))
    assert subject_tag(mail.subject) == "TS20261125001"
    match = correlate(mail, {}, TICKET)
    assert (match.number, match.via) == (TICKET.number, "subject-tag")


def test_a_stranger_copying_the_tag_opens_a_new_ticket_and_staff_are_told() -> None:
    mail = parse_mail(customer_mail(subject="[TS20261125001] me too", sender="mallory@evil.example"))
    match = correlate(mail, {}, TICKET)
    assert match.number is None
    assert match.note == "mallory@evil.example may not write to TS20261125001"


def test_a_mail_naming_nothing_of_ours_is_new() -> None:
    assert correlate(parse_mail(customer_mail()), {}, None).via == "new"


def test_a_bounce_of_our_mail_finds_it_in_the_returned_headers() -> None:
    returned = f"From: support@example.com\r\nMessage-ID: <{OURS}>\r\nSubject: [TS20261125001] x\r\n".encode()
    mail = parse_mail(bounce_returning(returned))
    assert OURS in thread_ids(mail)
    assert correlate(mail, {OURS: TICKET.number}, None).number == TICKET.number


def test_a_forwarded_copy_of_our_mail_is_no_answer_to_it() -> None:
    ours = f"From: support@example.com\r\nMessage-ID: <{OURS}>\r\nSubject: x\r\n\r\nbody\r\n".encode()
    mail = parse_mail(mail_with_attachment(ours, "message", "rfc822", sender="mallory@evil.example"))
    assert OURS not in thread_ids(mail)
