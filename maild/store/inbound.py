"""The queue of fetched mail: stored raw first, claimed with a counted attempt, then done or
quarantined. Callers hold the transaction (db.transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .db import is_postgresql
from .models import Inbound, MailboxCursor, RawMail


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    message_key: str
    raw: bytes


@dataclass(frozen=True)
class StoredMail:
    id: int
    message_key: str
    fetched_at: datetime
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


def save_cursor(mailbox: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
    (MailboxCursor.insert(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, last_fetch_at=now)
     .on_conflict(conflict_target=[MailboxCursor.mailbox],
                  update={MailboxCursor.uidvalidity: uidvalidity, MailboxCursor.last_uid: last_uid,
                          MailboxCursor.last_fetch_at: now})
     .execute())


def raw_mail(message_key: str) -> bytes:
    return RawMail.get_by_id(message_key).raw


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


def lock_new_inbound(inbound_id: int) -> StoredMail | None:
    """The mail and its bytes, locked for this transaction, unless another process has
    finished it meanwhile."""
    query = (Inbound.select(Inbound.id, Inbound.message_key, Inbound.fetched_at, RawMail.raw)
             .join(RawMail, on=(RawMail.message_key == Inbound.message_key))
             .where((Inbound.id == inbound_id) & (Inbound.status == "new")).objects())
    if is_postgresql():
        query = query.for_update()
    row = query.first()
    return StoredMail(row.id, row.message_key, row.fetched_at, row.raw) if row else None


def quarantine(inbound_id: int, error: str) -> None:
    Inbound.update(status="quarantined", error=error).where(
        (Inbound.id == inbound_id) & (Inbound.status == "new")).execute()


def requeue(inbound_id: int) -> bool:
    return bool(Inbound.update(status="new", attempts=0, error=None)
                .where((Inbound.id == inbound_id) & (Inbound.status == "quarantined")).execute())


def finish_inbound(inbound_id: int, now: datetime, screened: str | None, ticket_id: int | None) -> None:
    Inbound.update(status="done", processed_at=now, screened=screened, ticket=ticket_id, error=None).where(
        Inbound.id == inbound_id).execute()
