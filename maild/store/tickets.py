"""Ticket rows: what a mail's threading needs to know, and the writes that carry out the rules.
Callers hold the transaction (db.transaction); every function takes and returns plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from . import sql
from .models import Article, Event, Intake, Outbound, Participant, StoredAttachment, Ticket, TicketSerial


@dataclass(frozen=True)
class TicketRow:
    id: int
    number: str
    status: str
    participants: frozenset[str]  # lower-cased addresses


# -- what threading needs ---------------------------------------------------------------------

def tickets_for_message_ids(message_ids: Iterable[str]) -> dict[str, str]:
    """Our own Message-IDs among these → their ticket numbers."""
    ids = list(message_ids)
    if not ids:
        return {}
    query = (Outbound.select(Outbound.message_id, Ticket.number).join(Ticket)
             .where(Outbound.message_id.in_(ids)))
    return {row.message_id: row.ticket.number for row in query}


def tickets_by_number(numbers: Iterable[str]) -> dict[str, TicketRow]:
    wanted = list(numbers)
    if not wanted:
        return {}
    rows = list(Ticket.select(Ticket.id, Ticket.number, Ticket.status).where(Ticket.number.in_(wanted)).tuples())
    people: dict[int, set[str]] = {ticket_id: set() for ticket_id, _, _ in rows}
    if rows:
        for ticket_id, address in (Participant.select(Participant.ticket, Participant.address)
                                   .where(Participant.ticket.in_(list(people))).tuples()):
            people[ticket_id].add(address)
    return {number: TicketRow(ticket_id, number, status, frozenset(people[ticket_id]))
            for ticket_id, number, status in rows}


# -- writes -----------------------------------------------------------------------------------

def next_serial(day: date) -> int:
    """Bump the day's serial atomically: two processes can never get the same number."""
    rows = (TicketSerial.insert(day=f"{day:%Y%m%d}", last=1)
            .on_conflict(conflict_target=[TicketSerial.day], update={TicketSerial.last: TicketSerial.last + 1})
            .returning(TicketSerial.last).tuples().execute())
    return list(rows)[0][0]


def open_ticket(number: str, customer: str, customer_name: str, subject: str, language: str,
                now: datetime) -> int:
    return sql.insert(Ticket, number=number, status="new", customer=customer, customer_name=customer_name,
                      subject=subject, language=language, created_at=now, updated_at=now)


def record_intake(ticket_id: int, customer: str, customer_name: str, subject: str, body: str,
                  received_at: datetime, now: datetime) -> None:
    sql.insert(Intake, ticket=ticket_id, customer_address=customer, customer_name=customer_name,
               subject=subject, body=body, received_at=received_at, recorded_at=now)


def add_participants(ticket_id: int, people: Iterable[tuple[str, str]]) -> None:
    """`people`: (lower-cased address, role); already known ones are kept as they are."""
    rows = [{"ticket": ticket_id, "address": address, "role": role} for address, role in people]
    if rows:
        Participant.insert_many(rows).on_conflict_ignore().execute()


def add_article(ticket_id: int, direction: str, sender: str, recipients: str, subject: str, body: str,
                now: datetime, message_id: str | None = None, inbound_id: int | None = None,
                outbound_id: int | None = None, screened: str | None = None) -> int:
    return sql.insert(Article, ticket=ticket_id, direction=direction, sender=sender, recipients=recipients,
                      subject=subject, body=body, created_at=now, message_id=message_id,
                      inbound=inbound_id, outbound=outbound_id, screened=screened)


def add_attachment(article_id: int, filename: str, content_type: str, size: int, path: str) -> None:
    sql.insert(StoredAttachment, article=article_id, filename=filename, content_type=content_type, size=size,
               path=path)


def touch_ticket(ticket_id: int, now: datetime, status: str) -> None:
    Ticket.update({Ticket.updated_at: now, Ticket.status: status}).where(Ticket.id == ticket_id).execute()


def add_event(ticket_id: int, now: datetime, kind: str, actor: str, detail: str = "") -> None:
    sql.insert(Event, ticket=ticket_id, at=now, kind=kind, actor=actor, detail=detail)
