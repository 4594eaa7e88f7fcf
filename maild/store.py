"""Every query and write of the mail loop. Callers hold the transaction (db.transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from peewee import fn

from . import fast_insert
from .correlate import TaggedTicket
from .db import is_postgresql
from .models import (
    Article,
    Event,
    Inbound,
    Intake,
    MailboxCursor,
    Outbound,
    Participant,
    RawMail,
    StoredAttachment,
    Ticket,
    TicketSerial,
)
from .tickets import ticket_number


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    message_key: str
    raw: bytes


# -- fetching ---------------------------------------------------------------------------------

def mailbox_cursor(mailbox: str) -> tuple[int | None, int]:
    row = MailboxCursor.get_or_none(MailboxCursor.mailbox == mailbox)
    return (row.uidvalidity, row.last_uid) if row else (None, 0)


def store_fetched(mailbox: str, mails: Iterable[FetchedMail], now: datetime) -> int:
    """Insert the mails not yet stored (the unique key makes a re-fetch a no-op); returns how many were new."""
    new = 0
    for mail in mails:
        inserted = (Inbound.insert(message_key=mail.message_key, size=len(mail.raw), mailbox=mailbox,
                                   uid=mail.uid, fetched_at=now)
                    .on_conflict_ignore().as_rowcount().execute())
        if inserted:
            RawMail.insert(message_key=mail.message_key, raw=mail.raw).on_conflict_ignore().execute()
            new += 1
    return new


def raw_mail(message_key: str) -> bytes:
    return RawMail.get_by_id(message_key).raw


def save_cursor(mailbox: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
    (MailboxCursor.insert(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, last_fetch_at=now)
     .on_conflict(conflict_target=[MailboxCursor.mailbox],
                  update={MailboxCursor.uidvalidity: uidvalidity, MailboxCursor.last_uid: last_uid,
                          MailboxCursor.last_fetch_at: now})
     .execute())


# -- processing -------------------------------------------------------------------------------

def claim_inbound(max_attempts: int) -> int | None:
    """The next mail to process, its attempt counted; one that already used up its attempts
    (it crashed the process each time) is quarantined instead of being tried again."""
    while True:
        query = (Inbound.select(Inbound.id, Inbound.attempts).where(Inbound.status == "new")
                 .order_by(Inbound.id).limit(1))
        if is_postgresql():  # skip a mail another maild process holds (it is processing it)
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        row = query.first()
        if row is None:
            return None
        if row.attempts >= max_attempts:
            quarantine(row.id, f"gave up after {row.attempts} attempts that did not finish (the process died)")
            continue
        Inbound.update(attempts=Inbound.attempts + 1).where(Inbound.id == row.id).execute()
        return row.id


def release_inbound(inbound_id: int) -> None:
    Inbound.update(attempts=Inbound.attempts - 1).where((Inbound.id == inbound_id) & (Inbound.attempts > 0)).execute()


def lock_new_inbound(inbound_id: int) -> tuple[Inbound, bytes] | None:
    """The mail and its bytes, locked for this transaction, unless another process has
    finished it meanwhile."""
    query = (Inbound.select(Inbound, RawMail.raw)
             .join(RawMail, on=(RawMail.message_key == Inbound.message_key))
             .where((Inbound.id == inbound_id) & (Inbound.status == "new")).objects())
    if is_postgresql():
        query = query.for_update()
    row = query.first()
    if row is None:
        return None
    return row, row.raw


def quarantine(inbound_id: int, error: str) -> None:
    Inbound.update(status="quarantined", error=error).where(
        (Inbound.id == inbound_id) & (Inbound.status == "new")).execute()


def requeue(inbound_id: int) -> bool:
    return bool(Inbound.update(status="new", attempts=0, error=None)
                .where((Inbound.id == inbound_id) & (Inbound.status == "quarantined")).execute())


def finish_inbound(row: Inbound, now: datetime, screened: str | None, ticket: Ticket | None) -> None:
    Inbound.update(status="done", processed_at=now, screened=screened, ticket=ticket, error=None).where(
        Inbound.id == row.id).execute()


def tickets_for_message_ids(message_ids: Iterable[str]) -> dict[str, str]:
    """Our own Message-IDs among these → their ticket numbers."""
    ids = list(message_ids)
    if not ids:
        return {}
    query = (Outbound.select(Outbound.message_id, Ticket.number).join(Ticket)
             .where(Outbound.message_id.in_(ids)))
    return {row.message_id: row.ticket.number for row in query}


def tagged_ticket(number: str | None) -> TaggedTicket | None:
    ticket = Ticket.get_or_none(Ticket.number == number) if number else None
    if ticket is None:
        return None
    addresses = {p.address for p in Participant.select(Participant.address).where(Participant.ticket == ticket)}
    return TaggedTicket(ticket.number, frozenset(addresses))


def ticket_by_number(number: str) -> Ticket | None:
    return Ticket.get_or_none(Ticket.number == number)


def automatic_mails_since(address: str, since: datetime) -> int:
    return (Outbound.select(fn.COUNT(Outbound.id))
            .where((Outbound.rate_key == address) & (Outbound.created_at >= since)).scalar())


# -- tickets ----------------------------------------------------------------------------------

def next_ticket_number(day: date) -> str:
    """Bump the day's serial atomically: two processes can never get the same number."""
    key = f"{day:%Y%m%d}"
    rows = (TicketSerial.insert(day=key, last=1)
            .on_conflict(conflict_target=[TicketSerial.day], update={TicketSerial.last: TicketSerial.last + 1})
            .returning(TicketSerial.last).tuples().execute())
    return ticket_number(day, list(rows)[0][0])


def open_ticket(number: str, customer: str, customer_name: str, subject: str, language: str,
                now: datetime) -> Ticket:
    return fast_insert.insert(Ticket, number=number, status="new", customer=customer, customer_name=customer_name,
                         subject=subject, language=language, created_at=now, updated_at=now)


def record_intake(ticket: Ticket, body: str, received_at: datetime, now: datetime) -> Intake:
    return fast_insert.insert(Intake, ticket=ticket, customer_address=ticket.customer, customer_name=ticket.customer_name,
                         subject=ticket.subject, body=body, channel=ticket.channel, received_at=received_at,
                         recorded_at=now)


def add_participants(ticket: Ticket, addresses: dict[str, str]) -> None:
    """`addresses`: lower-cased address → role; already known ones are kept as they are."""
    rows = [{"ticket": ticket, "address": address, "role": role} for address, role in addresses.items()]
    if rows:
        Participant.insert_many(rows).on_conflict_ignore().execute()


def add_article(ticket: Ticket, direction: str, sender: str, recipients: str, subject: str, body: str,
                now: datetime, message_id: str | None = None, inbound: Inbound | None = None,
                outbound: Outbound | None = None, screened: str | None = None) -> Article:
    return fast_insert.insert(Article, ticket=ticket, direction=direction, sender=sender, recipients=recipients,
                          subject=subject, body=body, created_at=now, message_id=message_id,
                          inbound=inbound, outbound=outbound, screened=screened)


def add_attachment(article: Article, filename: str, content_type: str, size: int, path: str) -> None:
    fast_insert.insert(StoredAttachment, article=article, filename=filename, content_type=content_type, size=size, path=path)


def touch_ticket(ticket: Ticket, now: datetime, status: str | None) -> None:
    changes = {Ticket.updated_at: now}
    if status and status != ticket.status:
        changes[Ticket.status] = status
    Ticket.update(changes).where(Ticket.id == ticket.id).execute()


def add_event(ticket: Ticket, now: datetime, kind: str, actor: str, detail: str = "") -> None:
    fast_insert.insert(Event, ticket=ticket, at=now, kind=kind, actor=actor, detail=detail)
