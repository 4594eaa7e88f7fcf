"""Find the ticket a mail belongs to.

In order (RFC 5322 §3.6.4 threading headers first, since they survive subject edits):
1. one of our own Message-IDs in In-Reply-To or References, its signature verified;
2. the `[TSyyyymmddNNN]` tag in the subject;
3. otherwise a new ticket.
Either way only from an address that is on that ticket (or staff), so nobody can write into
another customer's ticket by copying its number or answering a mail of ours forwarded to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from ..parsing import ParsedMail, header_message_id
from ..parsing.dsn import STATUS_PART_TYPES
from .signed_ids import signed_ticket

TAG = re.compile(r"\[(TS\d{11,12})\]", re.IGNORECASE)


@dataclass(frozen=True)
class KnownTicket:
    """A ticket a mail refers to, as the rules see it."""

    number: str
    status: str
    participants: frozenset[str]  # lower-cased addresses allowed to write by the tag
    customer: str = ""  # lower-cased address
    customer_name: str = ""
    subject: str = ""
    language: str = "en"
    priority: str | None = None
    assignee: str | None = None
    last_customer_message_id: str | None = None
    resolved_at: datetime | None = None
    reply_to: str | None = None  # the customer's Reply-To, where an engineer's answer goes


@dataclass(frozen=True)
class Match:
    number: str | None  # None: a new ticket
    via: str  # "message-id" | "subject-tag" | "new"
    note: str = ""


def subject_tag(subject: str) -> str | None:
    found = TAG.search(subject)
    return found.group(1).upper() if found else None


RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers")


# What one mail's thread ids may make the store look up: the nearest ones and the thread's root
# say where it belongs; a References header of 260,000 ids says nothing more.
NEAREST_IDS = 200
ROOT_IDS = 10


def thread_ids(mail: ParsedMail) -> tuple[str, ...]:
    """The Message-IDs a mail answers, nearest first (at most NEAREST_IDS, and the ROOT_IDS at the
    thread's start); for a bounce (RFC 3464) also the ids in the returned original, so a bounced
    acknowledgement lands on its ticket."""
    ids = list(mail.in_reply_to) + list(reversed(mail.references))
    if len(ids) > NEAREST_IDS + ROOT_IDS:
        ids = ids[:NEAREST_IDS] + ids[-ROOT_IDS:]
    if not is_delivery_report(mail):
        return tuple(dict.fromkeys(ids))  # a forwarded copy of our mail is no answer to it
    for attachment in mail.attachments:
        if attachment.content_type in RETURNED_TYPES:
            returned = header_message_id(attachment.payload)
            ids += [returned] if returned else []
    return tuple(dict.fromkeys(ids))


def is_delivery_report(mail: ParsedMail) -> bool:
    """A DSN: a multipart/report, or (McAfee, Domino) a multipart/mixed carrying its status part."""
    return mail.content_type == "multipart/report" or any(a.content_type in STATUS_PART_TYPES
                                                          for a in mail.attachments)


def first_of_ours(mail: ParsedMail, ours: Mapping[str, str], tickets: Mapping[str, KnownTicket],
                  key: bytes) -> tuple[str, str] | None:
    """The nearest of the mail's thread ids that we sent for a ticket that exists, its signature
    verified for that ticket: (the id, the ticket's number). A forged or made-up id of ours is no
    answer to anything."""
    for message_id in thread_ids(mail):
        number = ours.get(message_id)
        if number is not None and number in tickets and signed_ticket(message_id, key) == number:
            return message_id, number
    return None


def correlate(mail: ParsedMail, ours: Mapping[str, str], tickets: Mapping[str, KnownTicket],
              staff: frozenset[str] = frozenset(), *, key: bytes) -> Match:
    """`ours`: our Message-IDs among `thread_ids(mail)` → ticket number; `tickets`: the tickets
    those and the subject tag name, as far as they exist; `staff`: addresses that may write to
    any ticket; `key`: what our ids are signed with. Either way in, the sender must be on the
    ticket (or staff): a stranger answering a mail of ours that reached them opens a ticket of
    their own."""
    sender = mail.sender.key if mail.sender else ""
    refused = ""
    answered = first_of_ours(mail, ours, tickets, key)
    if answered is not None:
        number = answered[1]
        if sender in tickets[number].participants or sender in staff:
            return Match(number, "message-id")
        refused = f"{sender or 'unknown sender'} is not on {number}: an answer to its mail opens a new ticket"
    tag = subject_tag(mail.subject)
    tagged = tickets.get(tag) if tag else None
    if tagged is None:
        return Match(None, "new", refused)
    if sender in tagged.participants or sender in staff:
        return Match(tagged.number, "subject-tag")
    return Match(None, "new", refused or f"{sender or 'unknown sender'} may not write to {tagged.number}")
