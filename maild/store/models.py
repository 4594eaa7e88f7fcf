"""The peewee tables. Queries live in the modules beside this one, transactions in db.py.

Shaped for what comes next: a ticket has an intake record (T1), events (T2), and nullable
priority/type/assignee columns that classification fills in; notices latch timer work.
"""

from __future__ import annotations

from datetime import datetime, timezone

from peewee import (
    BigIntegerField,
    BooleanField,
    BlobField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


class UtcDateTimeField(DateTimeField):
    """Aware datetimes in Python, naive UTC in the database (SQLite and PostgreSQL alike)."""

    def db_value(self, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class BytesField(BlobField):
    """bytes in Python on both stores (psycopg2 hands back a memoryview)."""

    def python_value(self, value):
        return bytes(value) if isinstance(value, memoryview) else value


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class MailboxCursor(BaseModel):
    """Where fetching stopped in one IMAP folder; committed with the mails it covers."""

    mailbox = CharField(unique=True)
    uidvalidity = BigIntegerField(null=True)
    last_uid = BigIntegerField(default=0)
    last_fetch_at = UtcDateTimeField(null=True)
    # imap.first_run = "unseen": mail up to this UID, there before the first run, is taken only if unseen
    first_run_until = BigIntegerField(null=True)


TICKET_STATUSES = ("new", "open", "in-progress", "waiting", "resolved", "closed")


class Ticket(BaseModel):
    number = CharField(unique=True)
    status = CharField(index=True)  # one of TICKET_STATUSES
    customer = CharField(index=True)  # lower-cased address
    customer_name = CharField(default="")
    subject = TextField()
    language = CharField(default="en")
    channel = CharField(default="email")
    priority = CharField(null=True)
    priority_reason = TextField(null=True)  # which words or rule decided it
    priority_hint = CharField(null=True)  # the sender's own urgency flag, as a hint
    problem_type = CharField(null=True)
    assignee = CharField(null=True, index=True)
    classified_at = UtcDateTimeField(null=True)
    assigned_at = UtcDateTimeField(null=True)
    eta = UtcDateTimeField(null=True)  # the expected completion an engineer gave (#eta)
    complex = BooleanField(null=True)  # G9: reviewed with R&D and the product manager (#complex)
    kb_proposed = BooleanField(null=True)  # proposed as a typical case for the knowledge base (#kb)
    root_cause = TextField(null=True)  # the analysis report (G11), from #resolve
    solution = TextField(null=True)
    test_result = TextField(null=True)
    resolved_at = UtcDateTimeField(null=True)
    linked_to = CharField(null=True)  # the earlier ticket this one continues (a reply after reopen_within)
    created_at = UtcDateTimeField(index=True)
    updated_at = UtcDateTimeField()
    # When the timers step should look at it next: its next timer's due time, or earlier (a mail
    # moved it: now). None: nothing to look at (finished, or opened quietly: old mail of a first
    # run, a flood, bulk, until something moves it). Only tickets with timers are in the index.
    timers_at = UtcDateTimeField(null=True)


Ticket.add_index(Ticket.index(Ticket.timers_at, where=Ticket.timers_at.is_null(False)))


class TicketSerial(BaseModel):
    """The daily serial of ticket numbers, bumped atomically (INSERT … ON CONFLICT … RETURNING)."""

    day = CharField(primary_key=True)
    last = IntegerField()


class Intake(BaseModel):
    """The intake record (guideline T1); the workflow fills in the fields still unknown."""

    ticket = ForeignKeyField(Ticket, unique=True, backref="intake", on_delete="CASCADE")
    customer_address = CharField()
    customer_name = CharField(default="")
    organisation = CharField(null=True)
    phones = TextField(null=True)  # comma-separated, as written
    subject = TextField()
    body = TextField()
    description = TextField(null=True)  # the sentences that describe the problem
    problem_type = CharField(null=True)
    urgency = CharField(null=True)  # "P1(高)", as the guideline's table writes it
    judgement = TextField(null=True)  # the preliminary judgement: the rule that matched
    channel = CharField(default="email")
    received_by = CharField(default="maild")
    received_at = UtcDateTimeField()
    recorded_at = UtcDateTimeField()


class Participant(BaseModel):
    """An address that may write into a ticket by its subject tag: the customer and their To/Cc."""

    ticket = ForeignKeyField(Ticket, backref="participants", on_delete="CASCADE")
    address = CharField()
    role = CharField()

    class Meta:
        indexes = ((("ticket", "address"), True),)


class RawMail(BaseModel):
    """The fetched bytes, exactly as the server gave them. A table of their own: written once
    and never rewritten when the mail's status changes (an UPDATE rewrites a whole row)."""

    message_key = CharField(max_length=320, primary_key=True)
    raw = BytesField()


class Inbound(BaseModel):
    """A fetched mail: raw bytes first, everything else is derived and can be replayed."""

    message_key = CharField(max_length=320, unique=True)
    size = IntegerField()
    mailbox = CharField()
    uid = BigIntegerField(null=True)
    fetched_at = UtcDateTimeField()
    server_received_at = UtcDateTimeField(null=True)  # IMAP INTERNALDATE: when the server got it
    answered_on_server = BooleanField(null=True)  # flagged \Answered when fetched: a person answered it
    status = CharField(default="new", index=True)  # new | done | quarantined
    attempts = IntegerField(default=0)
    error = TextField(null=True)
    screened = CharField(null=True)  # why no automatic answer went out
    ticket = ForeignKeyField(Ticket, null=True, backref="inbound")
    processed_at = UtcDateTimeField(null=True)


class Outbound(BaseModel):
    """The durable outbox: a row per mail we send, queued in the transaction that decided it."""

    dedupe_key = CharField(max_length=400, unique=True)
    message_id = CharField(max_length=320, unique=True)
    ticket = ForeignKeyField(Ticket, null=True, backref="outbound")
    # The inbound mail whose processing queued it, for that mail's decision trace (looked up within
    # its ticket). No foreign key: on PostgreSQL that is a lookup and a row lock per queued mail.
    inbound_id = IntegerField(null=True)
    kind = CharField()
    sender = CharField()
    recipients = TextField()  # comma-separated envelope recipients
    rate_key = CharField(null=True, index=True)  # the address an automatic answer went to
    # Automatic mail to a customer (acknowledgement, survey, progress update …): what
    # screen.automatic_per_hour caps and a suppressed address never gets. NULL: a row from before.
    automatic = BooleanField(null=True)
    raw = BytesField()
    status = CharField(default="queued", index=True)  # queued | sent | failed | bounced | suppressed
    attempts = IntegerField(default=0)
    next_attempt_at = UtcDateTimeField(index=True)
    claimed_by = CharField(null=True)  # "host:pid" of the sender holding its lease, while one does
    last_error = TextField(null=True)
    created_at = UtcDateTimeField(index=True)
    sent_at = UtcDateTimeField(null=True)

    class Meta:
        # The rate limit counts an address's automatic mails within a window: one index range.
        # The cap counts the automatic mails sent within the hour: one index range.
        indexes = ((("rate_key", "created_at"), False), (("automatic", "sent_at"), False))


class Article(BaseModel):
    """One message of a ticket's thread, in or out, in the order it happened."""

    ticket = ForeignKeyField(Ticket, backref="articles", on_delete="CASCADE")
    direction = CharField()  # in | out
    inbound = ForeignKeyField(Inbound, null=True)
    outbound = ForeignKeyField(Outbound, null=True)
    message_id = CharField(max_length=320, null=True, index=True)
    sender = CharField()
    recipients = TextField(default="")
    subject = TextField()
    body = TextField()
    screened = CharField(null=True)
    created_at = UtcDateTimeField()


class StoredAttachment(BaseModel):
    article = ForeignKeyField(Article, backref="attachments", on_delete="CASCADE")
    filename = CharField()
    content_type = CharField()
    size = IntegerField()
    path = TextField()  # relative to the state directory


class Event(BaseModel):
    """The progress trail of a ticket (guideline T2)."""

    ticket = ForeignKeyField(Ticket, backref="events", on_delete="CASCADE")
    at = UtcDateTimeField()
    kind = CharField()
    actor = CharField()
    detail = TextField(default="")
    status = CharField(null=True)  # the ticket's status after this step (T2); unknown on older rows
    feedback = TextField(null=True)  # what the customer said (T2's customer feedback)


class Timer(BaseModel):
    """A time rule that fired on a ticket (G2, G9, G12, G13): the latch, one row per ticket, kind
    and period, written in the transaction that carried it out, so it fires once."""

    ticket = ForeignKeyField(Ticket, backref="timers", on_delete="CASCADE")
    kind = CharField()
    period = CharField()  # tells the firings of one kind apart: "1" for a once-only, the due instant for updates
    due_at = UtcDateTimeField()
    fired_at = UtcDateTimeField()

    class Meta:
        indexes = ((("ticket", "kind", "period"), True),)


class Survey(BaseModel):
    """The satisfaction survey of a ticket (G15, T3): when it went, and the answer once given.
    One per ticket: a second answer replaces the first."""

    ticket = ForeignKeyField(Ticket, unique=True, backref="survey", on_delete="CASCADE")
    customer = CharField()  # lower-cased: survey.resend_after_days counts from the last survey to it
    sent_at = UtcDateTimeField(null=True)  # None: recorded by a staff member, no survey mail went
    rating = CharField(null=True)  # satisfied | basically-satisfied | unsatisfied
    suggestions = TextField(null=True)
    surveyed_by = CharField(null=True)  # "maild", or the staff member who took the answer
    surveyed_at = UtcDateTimeField(null=True)

    class Meta:
        indexes = ((("customer", "sent_at"), False),)


class MonthlyReport(BaseModel):
    """The latch of the monthly report (G18): a row per month reported, written in the transaction
    that queues its mail, so it goes once however many processes look."""

    month = CharField(unique=True)  # "2026-11"
    sent_at = UtcDateTimeField()


class KbEntry(BaseModel):
    """A knowledge-base entry (G17), from a resolved ticket proposed with #kb: one per ticket, its
    later resolutions update it. Published at once, or by a kb-admin when kb.review is on."""

    ticket = ForeignKeyField(Ticket, unique=True, backref="kb_entry", on_delete="CASCADE")
    title = TextField()
    problem_type = CharField(null=True)  # where it applies
    module = CharField(null=True)
    steps = TextField()  # the solution, step by step (the analysis report's solution and test result)
    faq = TextField()  # the question and its answer: the symptom and the root cause
    screenshots = TextField(default="")  # image files, relative to kb.dir, one per line
    status = CharField(index=True)  # draft | published
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    published_at = UtcDateTimeField(null=True)
    published_by = CharField(null=True)


class ArchivedTicket(BaseModel):
    """T4 and the archiving's own progress (G16): a row per ticket once its archiving came due.
    due → archived (mails in the IMAP folder, files on disk); a reopening: returning → returned
    (its mails back in the inbox), and due again after its next resolution."""

    ticket = ForeignKeyField(Ticket, unique=True, backref="archived", on_delete="CASCADE")
    status = CharField(index=True)  # due | archived | returning | returned
    due_at = UtcDateTimeField()  # when the step is to try it (next)
    archived_at = UtcDateTimeField(null=True)
    folder = TextField(null=True)  # the IMAP folder, as the server names it
    path = TextField(null=True)  # the directory under archive.dir
    problem_type = CharField(null=True)
    solution = TextField(null=True)  # the solution summary
    kb_entry = IntegerField(null=True)  # the knowledge-base entry made of it
    error = TextField(null=True)  # why the last pass failed (it is tried again an hour later)


class Suppressed(BaseModel):
    """An address that hard-bounced (5.x.x) a mail of ours: no automatic mail goes there until
    `until` (screen.suppress_days), or until an admin lifts it (`maild unsuppress`)."""

    address = CharField(unique=True)  # lower-cased
    until = UtcDateTimeField()
    status = CharField()  # the DSN's, e.g. 5.1.1
    diagnostic = TextField(default="")
    ticket = CharField(null=True)  # the number of the ticket whose mail bounced
    created_at = UtcDateTimeField()


class AutomaticCap(BaseModel):
    """A time screen.automatic_per_hour held automatic mail back: from the first mail held to the
    first run that held none. The supervisors are told once per row."""

    started_at = UtcDateTimeField()
    ended_at = UtcDateTimeField(null=True, index=True)


class SchemaVersion(BaseModel):
    """One row: the version of these tables that the store holds (db.SCHEMA_VERSION)."""

    version = IntegerField()


TABLES = (SchemaVersion, MailboxCursor, Ticket, TicketSerial, Intake, Participant, RawMail, Inbound, Outbound, Article,
          StoredAttachment, Event, Timer, Survey, MonthlyReport, KbEntry, ArchivedTicket, Suppressed, AutomaticCap)
