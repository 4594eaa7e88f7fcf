"""Ticket rows: what a mail's threading needs to know, and the writes that carry out the rules.
Callers hold the transaction (db.transaction); every function takes and returns plain values."""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from . import sql
from .db import is_postgresql
from .models import Article, Intake, StoredAttachment, Ticket
from .sql import aware, later, marks, rows, run, utc


@dataclass(frozen=True)
class TicketRow:
    id: int
    number: str
    status: str
    participants: frozenset[str]  # lower-cased addresses
    customer: str = ""
    customer_name: str = ""
    subject: str = ""
    language: str = "en"
    priority: str | None = None
    assignee: str | None = None
    last_customer_message_id: str | None = None  # what an answer to the customer threads on
    resolved_at: datetime | None = None
    reply_to: str | None = None  # the customer's Reply-To: where an engineer's answer goes


# -- what threading needs ---------------------------------------------------------------------

def tickets_for_message_ids(message_ids: Iterable[str]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """Our own Message-IDs among these → (their ticket's number, the kind of mail: ack, survey …,
    its recipients)."""
    ids = list(message_ids)
    if not ids:
        return {}
    return {message_id: (number, kind, tuple(recipients.split(","))) for message_id, number, kind, recipients in rows(
        "SELECT o.message_id, t.number, o.kind, o.recipients FROM outbound o JOIN ticket t ON t.id = o.ticket_id "
        f"WHERE o.message_id IN ({marks(len(ids))})", ids)}


def tickets_by_number(numbers: Iterable[str]) -> dict[str, TicketRow]:
    wanted = list(numbers)
    if not wanted:
        return {}
    found = rows("SELECT id, number, status, customer, customer_name, subject, language, priority, assignee, "
                 f"resolved_at FROM ticket WHERE number IN ({marks(len(wanted))})", wanted)
    people: dict[int, set[str]] = {row[0]: set() for row in found}
    latest: dict[int, str] = {}
    reply_to: dict[int, str] = {}
    if found:
        ids = list(people)
        for ticket_id, address, role in rows("SELECT ticket_id, address, role FROM participant "
                                             f"WHERE ticket_id IN ({marks(len(ids))})", ids):
            people[ticket_id].add(address)
            if role == "reply-to":
                reply_to[ticket_id] = address
        latest = last_customer_message_ids(ids)
    return {row[1]: TicketRow(row[0], row[1], row[2], frozenset(people[row[0]]), *row[3:9], latest.get(row[0]),
                              aware(row[9]), reply_to.get(row[0])) for row in found}


def last_customer_message_ids(ticket_ids: list[int]) -> dict[int, str]:
    """Each ticket's latest incoming Message-ID: what an answer to its customer threads on."""
    return dict(rows("SELECT ticket_id, message_id FROM article WHERE id IN (SELECT MAX(id) FROM article "
                     f"WHERE ticket_id IN ({marks(len(ticket_ids))}) AND direction = 'in' AND message_id IS NOT NULL "
                     "GROUP BY ticket_id)", ticket_ids))


# -- writes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NextTicket:
    serial: int  # the day's next serial, for the ticket's number
    id: int | None  # PostgreSQL: the id the ticket will have, so its row need not wait for an answer


_NEXT_SERIAL = ("INSERT INTO ticket_serial (day, last) VALUES (?, 1) "
                "ON CONFLICT (day) DO UPDATE SET last = ticket_serial.last + 1 RETURNING last")
TICKET_IDS = 100  # drawn from the ticket table's sequence at a time (PostgreSQL)


def next_ticket(day: date) -> NextTicket:
    """Bump the day's serial atomically: two processes can never get the same number.

    The bump locks the day's row until the transaction ends, so on PostgreSQL only the first
    ticket of a day in a transaction asks the server; the next ones count on from it and write
    their serial without waiting for an answer, and their ids come from a block drawn ahead."""
    key = f"{day:%Y%m%d}"
    if not is_postgresql():
        return NextTicket(run(_NEXT_SERIAL, (key,)).fetchone()[0], None)
    last = sql.held.values.get(("ticket_serial", key))
    if last is None:
        serial = run(_NEXT_SERIAL, (key,)).fetchone()[0]
    else:
        serial = last + 1
        later("UPDATE ticket_serial SET last = ? WHERE day = ?", (serial, key))
    sql.held.values[("ticket_serial", key)] = serial
    return NextTicket(serial, _ticket_ids.take())


class _TicketIds(threading.local):
    """Ids drawn from the ticket sequence and not used yet: a drawn id is never given out again,
    whether or not the transaction that used it commits (unused ones are gaps nobody sees)."""

    def __init__(self) -> None:
        self.owner: tuple[int, object] | None = None  # process and store they were drawn for
        self.free: list[int] = []

    def take(self) -> int:
        owner = (os.getpid(), sql.database.obj)  # a forked child or another store draws its own
        if owner != self.owner or not self.free:
            self.owner = owner
            self.free = [found for found, in reversed(rows(
                "SELECT nextval(pg_get_serial_sequence('ticket', 'id')) FROM generate_series(1, ?)", (TICKET_IDS,)))]
        return self.free.pop()


_ticket_ids = _TicketIds()


@dataclass(frozen=True)
class Triage:
    """A ticket's priority, type and handler, and when they were decided (G5-G7)."""

    priority: str
    reason: str
    hint: str | None
    problem_type: str
    classified_at: datetime
    assignee: str | None
    assigned_at: datetime

    def columns(self) -> dict:
        return dict(priority=self.priority, priority_reason=self.reason, priority_hint=self.hint,
                    problem_type=self.problem_type, classified_at=self.classified_at, assignee=self.assignee,
                    assigned_at=self.assigned_at)


def open_ticket(number: str, customer: str, customer_name: str, subject: str, language: str,
                now: datetime, ticket_id: int | None = None, triage: Triage | None = None,
                linked_to: str | None = None, timers_at: datetime | None = None) -> int:
    """Returns the new ticket's id: `ticket_id` when next_ticket drew one. `triage`, when decided
    with the opening, goes into the same row. `timers_at`: when its timers are first looked at."""
    values = dict(number=number, status="new", customer=customer, customer_name=customer_name, subject=subject,
                  language=language, created_at=now, updated_at=now, linked_to=linked_to, timers_at=timers_at,
                  **(triage.columns() if triage else {}))
    if ticket_id is None:
        return sql.insert(Ticket, **values)
    sql.insert_later(Ticket, id=ticket_id, **values)
    return ticket_id


def record_intake(ticket_id: int, customer: str, customer_name: str, subject: str, body: str,
                  received_at: datetime, now: datetime, organisation: str | None = None,
                  phones: Iterable[str] = (), description: str | None = None, problem_type: str | None = None,
                  urgency: str | None = None, judgement: str | None = None, channel: str = "email",
                  received_by: str = "maild") -> None:
    sql.insert_later(Intake, ticket=ticket_id, customer_address=customer, customer_name=customer_name,
                     organisation=organisation, phones=", ".join(phones) or None, subject=subject, body=body,
                     description=description, problem_type=problem_type, urgency=urgency, judgement=judgement,
                     channel=channel, received_by=received_by, received_at=received_at, recorded_at=now)


def add_participants(ticket_id: int, people: Iterable[tuple[str, str]]) -> None:
    """`people`: (lower-cased address, role); already known ones are kept as they are."""
    values = [v for address, role in people for v in (ticket_id, address, role)]
    if values:
        later("INSERT INTO participant (ticket_id, address, role) VALUES "
              + ", ".join(["(?, ?, ?)"] * (len(values) // 3)) + " ON CONFLICT (ticket_id, address) DO NOTHING", values)


def add_article(ticket_id: int, direction: str, sender: str, recipients: str, subject: str, body: str,
                now: datetime, message_id: str | None = None, inbound_id: int | None = None,
                screened: str | None = None, keep_id: bool = False) -> int | None:
    """Returns the article's id when `keep_id` asks for it (to hang attachments on)."""
    values = dict(ticket=ticket_id, direction=direction, sender=sender, recipients=recipients, subject=subject,
                  body=body, created_at=now, message_id=message_id, inbound=inbound_id,
                  screened=screened)
    if keep_id:
        return sql.insert(Article, **values)
    sql.insert_later(Article, **values)
    return None


def add_attachment(article_id: int, filename: str, content_type: str, size: int, path: str) -> None:
    sql.insert_later(StoredAttachment, article=article_id, filename=filename, content_type=content_type, size=size,
                     path=path)


def attach_to_sent(message_id: str, filename: str, content_type: str, size: int, path: str) -> None:
    """A file sent along with the mail of this Message-ID, on its article of the thread (queued
    before it in the same transaction, so the statement needs no answer)."""
    later("INSERT INTO stored_attachment (article_id, filename, content_type, size, path) "
          "SELECT id, ?, ?, ?, ? FROM article WHERE message_id = ?", (filename, content_type, size, path, message_id))


def touch_ticket(ticket_id: int, now: datetime, status: str | None) -> None:
    """`status`: the new one, or None to leave it as it is (staff may have changed it meanwhile)."""
    # It moved: the timers step looks at its timers now (they may have moved with it).
    if status is None:
        later("UPDATE ticket SET updated_at = ?, timers_at = ? WHERE id = ?", (utc(now), utc(now), ticket_id))
    else:
        later("UPDATE ticket SET updated_at = ?, status = ?, timers_at = ? WHERE id = ?",
              (utc(now), status, utc(now), ticket_id))


def classify_ticket(ticket_id: int, priority: str, problem_type: str, reason: str, hint: str | None,
                    now: datetime) -> None:
    later("UPDATE ticket SET priority = ?, problem_type = ?, priority_reason = ?, priority_hint = ?, "
          "classified_at = ? WHERE id = ?", (priority, problem_type, reason, hint, utc(now), ticket_id))


def assign_ticket(ticket_id: int, assignee: str | None, now: datetime) -> None:
    later("UPDATE ticket SET assignee = ?, assigned_at = ? WHERE id = ?", (assignee, utc(now), ticket_id))


def update_ticket(ticket_id: int, fields: dict, now: datetime) -> None:
    """Set these columns (the names are the caller's fixed set, never a mail's) and updated_at."""
    names = sorted(fields)
    values = [utc(v) if isinstance(v, datetime) else v for v in (fields[name] for name in names)]
    later(f"UPDATE ticket SET {', '.join(f'{name} = ?' for name in names)}, updated_at = ? WHERE id = ?",
          (*values, utc(now), ticket_id))


def open_load() -> Counter[str]:
    """Open tickets per assignee: what "least loaded" counts."""
    return Counter(dict(rows("SELECT assignee, COUNT(*) FROM ticket WHERE assignee IS NOT NULL "
                             "AND status NOT IN ('resolved', 'closed') GROUP BY assignee")))


def add_events(ticket_id: int, now: datetime, events: list[tuple[str, str, str, str | None, str | None]]) -> None:
    """Lines of the ticket's trail, (kind, actor, detail, status, feedback) each, in order, in one
    statement."""
    values = [v for event in events for v in (ticket_id, utc(now), *event)]
    later("INSERT INTO event (ticket_id, at, kind, actor, detail, status, feedback) VALUES "
          + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(events)), values)


def stored_files(ticket_id: int, content_types: str = "%") -> list[tuple[str, str]]:
    """(file name, path under the attachment store) of the files on the ticket's thread, in order;
    `content_types`: a LIKE pattern ("image/%": its screenshots)."""
    return rows("SELECT s.filename, s.path FROM stored_attachment s JOIN article a ON a.id = s.article_id "
                "WHERE a.ticket_id = ? AND s.content_type LIKE ? ORDER BY a.created_at, a.id, s.id",
                (ticket_id, content_types))
