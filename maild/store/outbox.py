"""The durable outbox: rows queued in the transaction that decided them, claimed for sending
with a lease. Callers hold the transaction (db.transaction).

A row is claimed by pushing its next attempt past a lease, so several senders (PostgreSQL:
SKIP LOCKED) never send the same row at once; a sender that dies mid-send leaves the row to be
tried again when the lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import fn

from . import sql
from .db import is_postgresql
from .models import Outbound

LEASE = timedelta(minutes=5)


def enqueue(*, dedupe_key: str, raw: bytes, message_id: str, kind: str, sender: str,
            recipients: list[str], now: datetime, ticket_id: int | None = None,
            rate_key: str | None = None) -> int | None:
    """Queue a mail once per dedupe key (the unique index backs this check); returns its id, or
    None when that key was queued before."""
    if Outbound.select().where(Outbound.dedupe_key == dedupe_key).exists():
        return None
    return sql.insert(Outbound, dedupe_key=dedupe_key, message_id=message_id, ticket=ticket_id, kind=kind,
                      sender=sender, recipients=",".join(recipients), rate_key=rate_key, raw=raw,
                      next_attempt_at=now, created_at=now)


def automatic_mails_since(address: str, since: datetime) -> int:
    """How many automatic mails went to this address since then (the rate limit's count)."""
    return (Outbound.select(fn.COUNT(Outbound.id))
            .where((Outbound.rate_key == address) & (Outbound.created_at >= since)).scalar())


@dataclass(frozen=True)
class Claimed:
    """A row taken for one attempt: what deciding its next state needs, not its bytes."""

    id: int
    attempts: int  # this attempt included
    created_at: datetime


def claim_due(now: datetime, limit: int) -> list[Claimed]:
    query = (Outbound.select(Outbound.id, Outbound.attempts, Outbound.created_at)
             .where((Outbound.status == "queued") & (Outbound.next_attempt_at <= now))
             .order_by(Outbound.next_attempt_at, Outbound.id).limit(limit))
    if is_postgresql():
        query = query.for_update("FOR UPDATE SKIP LOCKED")
    claimed = [Claimed(row.id, row.attempts + 1, row.created_at) for row in query]
    if claimed:
        Outbound.update(next_attempt_at=now + LEASE, attempts=Outbound.attempts + 1).where(
            Outbound.id.in_([c.id for c in claimed])).execute()
    return claimed


def envelope(outbound_id: int) -> tuple[bytes, str, list[str]]:
    """The bytes, the sender and the recipients of a queued mail."""
    raw, sender, recipients = (Outbound.select(Outbound.raw, Outbound.sender, Outbound.recipients)
                               .where(Outbound.id == outbound_id).tuples().get())
    return raw, sender, recipients.split(",")


def mark_sent(outbound_id: int, now: datetime) -> None:
    Outbound.update(status="sent", sent_at=now, last_error=None).where(Outbound.id == outbound_id).execute()


def retry_at(outbound_id: int, when: datetime, error: str) -> None:
    Outbound.update(next_attempt_at=when, last_error=error).where(Outbound.id == outbound_id).execute()


def mark_failed(outbound_id: int, error: str) -> None:
    Outbound.update(status="failed", last_error=error).where(Outbound.id == outbound_id).execute()
