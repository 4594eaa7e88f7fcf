"""The durable outbox: enqueue in the caller's transaction, flush with retries and backoff.

Delivery is at-least-once: a crash after the server's 250 and before our commit sends that
one mail again after the lease runs out. A row is claimed by pushing its next attempt past a
lease, so several senders (PostgreSQL: SKIP LOCKED) never send the same row at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

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


def enqueue(*, dedupe_key: str, message: EmailMessage, message_id: str, kind: str, sender: str,
            recipients: list[str], now: datetime, ticket: Ticket | None = None,
            rate_key: str | None = None) -> Outbound | None:
    """Queue a mail once per dedupe key; None when that key was queued before."""
    inserted = (Outbound.insert(dedupe_key=dedupe_key, message_id=message_id, ticket=ticket, kind=kind,
                                sender=sender, recipients=",".join(recipients), rate_key=rate_key,
                                raw=message.as_bytes(), next_attempt_at=now, created_at=now)
                .on_conflict_ignore().as_rowcount().execute())
    return Outbound.get(Outbound.dedupe_key == dedupe_key) if inserted else None


def retry_delay(attempts: int, config: SmtpConfig) -> timedelta:
    """Exponential backoff: retry_initial, doubled per attempt, capped at retry_max."""
    seconds = config.retry_initial * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config.retry_max))


def claim_due(now: datetime, limit: int = BATCH) -> list[int]:
    with transaction():
        query = (Outbound.select(Outbound.id)
                 .where((Outbound.status == "queued") & (Outbound.next_attempt_at <= now))
                 .order_by(Outbound.next_attempt_at, Outbound.id).limit(limit))
        if is_postgresql():
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        ids = [row.id for row in query]
        if ids:
            Outbound.update(next_attempt_at=now + LEASE, attempts=Outbound.attempts + 1).where(
                Outbound.id.in_(ids)).execute()
    return ids


def record(row_id: int, outcome: Sent | TempFail | PermFail, now: datetime, config: SmtpConfig) -> str:
    with transaction():
        row = Outbound.get_by_id(row_id)
        if isinstance(outcome, Sent):
            changes = {"status": "sent", "sent_at": now, "last_error": None}
        elif isinstance(outcome, PermFail) or now - row.created_at >= timedelta(seconds=config.give_up_after):
            changes = {"status": "failed", "last_error": outcome.reason}
        else:
            changes = {"next_attempt_at": now + retry_delay(row.attempts, config), "last_error": outcome.reason}
        Outbound.update(**changes).where(Outbound.id == row_id).execute()
        return changes.get("status", "queued")


async def flush(config: SmtpConfig, clock: Clock) -> FlushResult:
    """Send every due mail; returns what happened. A dead server leaves them queued for later."""
    total = FlushResult()
    while ids := claim_due(clock.now()):
        batch = await _send_batch(ids, config, clock)
        total += batch
        if batch.retried and not batch.sent:
            break  # the server is refusing for now; the rest waits for the next flush
    return total


async def _send_batch(ids: list[int], config: SmtpConfig, clock: Clock) -> FlushResult:
    try:
        async with SmtpSender(config) as smtp:
            return sum([await _send_one(smtp, row_id, config, clock) for row_id in ids], FlushResult())
    except SmtpError as exc:
        log.warning("%s; %d mail(s) stay queued", exc, len(ids))
        for row_id in ids:
            record(row_id, TempFail(str(exc)), clock.now(), config)
        return FlushResult(retried=len(ids))


async def _send_one(smtp: SmtpSender, row_id: int, config: SmtpConfig, clock: Clock) -> FlushResult:
    row = Outbound.get_by_id(row_id)
    outcome = await smtp.send(row.raw, row.sender, row.recipients.split(","))
    status = record(row_id, outcome, clock.now(), config)
    if status != "sent":
        log.warning("outbox %s to %s: %s (%s)", row.id, row.recipients, status, outcome.reason)
    return FlushResult(sent=status == "sent", retried=status == "queued", failed=status == "failed")
