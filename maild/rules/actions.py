"""What a rule decides, as values: `steps` carry the actions out, in order, in one transaction.

Actions after an OpenTicket or naming no ticket apply to the ticket the outcome is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping, Union

from ..parsing import Address, Attachment


@dataclass(frozen=True)
class OpenTicket:
    day: date  # of the ticket number, in the helpdesk's zone
    customer: str  # lower-cased address
    customer_name: str
    subject: str
    language: str
    intake_body: str  # the customer's text, kept whole on the intake record (guideline T1)
    received_at: datetime
    organisation: str | None = None  # T1's customer organisation; None: unknown
    phones: tuple[str, ...] = ()
    description: str = ""  # the sentences that describe the problem (G3)
    linked_to: str | None = None  # the resolved ticket this one continues
    channel: str = "email"  # how the problem reached the helpdesk (T1)
    received_by: str = "maild"  # or the staff member who filed it for the customer (G1)
    judgement: str | None = None  # T1's preliminary judgement when staff wrote one; else the rule's reason
    quiet: bool = False  # opened without anyone told (old mail, a flood): no timers until it moves


@dataclass(frozen=True)
class AddParticipants:
    people: tuple[tuple[str, str], ...]  # (lower-cased address, role); known ones stay as they are


@dataclass(frozen=True)
class AddArticle:
    direction: str  # "in" | "out"
    sender: str
    recipients: str
    subject: str
    body: str
    message_id: str | None
    screened: str | None = None  # why it got no automatic answer
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class RecordEvent:
    """A line of the ticket's progress trail (T2); the ticket's status at that moment goes with it."""

    kind: str
    actor: str
    detail: str = ""
    feedback: str | None = None  # the customer's own words, on a line about their mail


@dataclass(frozen=True)
class TouchTicket:
    """The ticket moved: updated now, and put in this status (None: the status stays)."""

    status: str | None = None


@dataclass(frozen=True)
class Classify:
    """The ticket's priority and type, and why (G5; the time it is done is recorded, G7)."""

    priority: str
    type: str
    reason: str
    hint: str | None = None  # the sender's own urgency flag, recorded beside the reason


@dataclass(frozen=True)
class Assign:
    """The ticket's handler (G6), None: nobody covers it (the supervisor is told)."""

    assignee: str | None
    reason: str


@dataclass(frozen=True)
class UpdateTicket:
    """Fields an engineer's command sets (TICKET_FIELDS); the others stay as they are."""

    fields: Mapping[str, Any] = field(hash=False)


TICKET_FIELDS = ("priority", "problem_type", "eta", "complex", "kb_proposed", "root_cause", "solution", "test_result",
                 "resolved_at")


@dataclass(frozen=True)
class RecordSurvey:
    """The customer's answer to the satisfaction survey (T3); a second one replaces the first."""

    customer: str
    rating: str  # of rules.survey.RATINGS
    suggestions: str
    surveyed_by: str  # "maild" (by reply or by link), or the staff member who took it


@dataclass(frozen=True)
class QueueMail:
    """A mail of ours to queue once per dedupe key; the outgoing layer writes it from the template
    `kind` in `language`, with `context` and the ticket's number."""

    kind: str
    dedupe_key: str
    to: Address
    language: str
    subject: str  # the ticket's subject; the number is put before it
    context: Mapping[str, Any] = field(hash=False)
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    rate_key: str | None = None  # counted against the automatic-answer rate limit of this address
    on_thread: bool = True  # shown on the ticket's thread (mail to the customer); staff mail is not
    attachments: tuple[Attachment, ...] = ()  # sent along (an engineer's files to the customer)
    images: tuple[Attachment, ...] = ()  # shown in the HTML part by cid:FILENAME (the report's charts)


@dataclass(frozen=True)
class MarkBounced:
    """A mail of ours came back undelivered: its outbox row says bounced, and why."""

    message_id: str
    detail: str


@dataclass(frozen=True)
class Suppress:
    """No automatic mail to this address until then (a hard bounce, screen.suppress_days)."""

    address: str
    until: datetime
    status: str
    diagnostic: str


@dataclass(frozen=True)
class FileInArchive:
    """The ticket's archiving is due (G16): the archive step moves its mails and writes its files."""


@dataclass(frozen=True)
class ReturnFromArchive:
    """The archived ticket was reopened: the archive step brings its mails back to the inbox."""


@dataclass(frozen=True)
class WriteKbEntry:
    """The resolved ticket proposed with #kb becomes a knowledge-base entry (G17), or updates its own."""


@dataclass(frozen=True)
class PublishKbEntry:
    """A kb-admin published the ticket's knowledge-base entry (`#kb publish`)."""

    by: str


Action = Union[OpenTicket, AddParticipants, AddArticle, RecordEvent, TouchTicket, Classify, Assign, UpdateTicket,
               RecordSurvey, QueueMail, MarkBounced, Suppress, FileInArchive, ReturnFromArchive, WriteKbEntry,
               PublishKbEntry]
