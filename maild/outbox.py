"""The durable outbox: enqueue in the caller's transaction, flush with retries and backoff.

Delivery is at-least-once: a crash after the server's 250 and before our commit sends that
one mail again after the lease runs out. A row is claimed by pushing its next attempt past a
lease, so several senders (PostgreSQL: SKIP LOCKED) never send the same row at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import fast_insert
from .clock import Clock
from .config import SmtpConfig
from .db import is_postgresql, transaction
from .errors import SmtpError
from .models import Outbound, Ticket
from .smtp import PermFail, Sent, SmtpSender, TempFail

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 50


@dataclass(frozen=True)
class FlushResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __add__(self, other: "FlushResult") -> "FlushResult":
        return FlushResult(self.sent + other.sent, self.retried + other.retried, self.failed + other.failed)


def enqueue(*, dedupe_key: str, raw: bytes, message_id: str, kind: str, sender: str,
            recipients: list[str], now: datetime, ticket: Ticket | None = None,
            rate_key: str | None = None) -> Outbound | None:
    """Queue a mail once per dedupe key (the unique index backs this check); None when that key
    was queued before."""
    if Outbound.select().where(Outbound.dedupe_key == dedupe_key).exists():
        return None
    return fast_insert.insert(Outbound, dedupe_key=dedupe_key, message_id=message_id, ticket=ticket, kind=kind,
                              sender=sender, recipients=",".join(recipients), rate_key=rate_key, raw=raw,
                              next_attempt_at=now, created_at=now)


def retry_delay(attempts: int, config: SmtpConfig) -> timedelta:
    """Exponential backoff: retry_initial, doubled per attempt, capped at retry_max."""
    seconds = config.retry_initial * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config.retry_max))


@dataclass(frozen=True)
class Claimed:
    """A row taken for one attempt: what deciding its next state needs, not its bytes."""

    id: int
    attempts: int  # this attempt included
    created_at: datetime


def claim_due(now: datetime, limit: int = BATCH) -> list[Claimed]:
    with transaction():
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


def next_state(claimed: Claimed, outcome: Sent | TempFail | PermFail, now: datetime,
               config: SmtpConfig) -> dict:
    if isinstance(outcome, Sent):
        return {"status": "sent", "sent_at": now, "last_error": None}
    if isinstance(outcome, PermFail) or now - claimed.created_at >= timedelta(seconds=config.give_up_after):
        return {"status": "failed", "last_error": outcome.reason}
    return {"next_attempt_at": now + retry_delay(claimed.attempts, config), "last_error": outcome.reason}


def record(claimed: Claimed, outcome: Sent | TempFail | PermFail, now: datetime, config: SmtpConfig) -> str:
    """Commit one attempt's result at once: after a 250, the window for a resend is this commit."""
    changes = next_state(claimed, outcome, now, config)
    with transaction():
        Outbound.update(**changes).where(Outbound.id == claimed.id).execute()
    return changes.get("status", "queued")


async def flush(config: SmtpConfig, clock: Clock) -> FlushResult:
    """Send every due mail; returns what happened. A dead server leaves them queued for later."""
    total = FlushResult()
    while claimed := claim_due(clock.now()):
        batch = await _send_batch(claimed, config, clock)
        total += batch
        if batch.retried and not batch.sent:
            break  # the server is refusing for now; the rest waits for the next flush
    return total


async def _send_batch(claimed: list[Claimed], config: SmtpConfig, clock: Clock) -> FlushResult:
    try:
        async with SmtpSender(config) as smtp:
            return sum([await _send_one(smtp, row, config, clock) for row in claimed], FlushResult())
    except SmtpError as exc:
        log.warning("%s; %d mail(s) stay queued", exc, len(claimed))
        for row in claimed:
            record(row, TempFail(str(exc)), clock.now(), config)
        return FlushResult(retried=len(claimed))


async def _send_one(smtp: SmtpSender, claimed: Claimed, config: SmtpConfig, clock: Clock) -> FlushResult:
    raw, sender, recipients = (Outbound.select(Outbound.raw, Outbound.sender, Outbound.recipients)
                               .where(Outbound.id == claimed.id).tuples().get())
    outcome = await smtp.send(raw, sender, recipients.split(","))
    status = record(claimed, outcome, clock.now(), config)
    if status != "sent":
        log.warning("outbox %s to %s: %s (%s)", claimed.id, recipients, status, outcome.reason)
    return FlushResult(sent=status == "sent", retried=status == "queued", failed=status == "failed")
