"""The flush step: due outbox rows → SMTP, each answer recorded at once.

Delivery is at-least-once: a crash after the server's 250 and before our commit sends that one
mail again once its lease runs out (store/outbox). After a 250 the window for a resend is one
commit.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from ..adapters.smtp import Outcome, PermFail, Sent, SmtpSender, TempFail
from ..config import SmtpConfig
from ..errors import SmtpError
from ..rules.delivery import next_attempt
from ..store import outbox
from ..store.db import transaction
from ..store.outbox import Claimed

log = logging.getLogger(__name__)

BATCH = 50  # mails per SMTP connection


@dataclass(frozen=True)
class FlushResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __add__(self, other: "FlushResult") -> "FlushResult":
        return FlushResult(self.sent + other.sent, self.retried + other.retried, self.failed + other.failed)

    def __sub__(self, other: "FlushResult") -> "FlushResult":
        return FlushResult(self.sent - other.sent, self.retried - other.retried, self.failed - other.failed)


class Flush:
    name = "flush"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.total = FlushResult()  # since start, for `maild once` to report

    def run(self, now: datetime) -> int:
        """Send one batch of due mail over one connection; returns how many mails got an answer
        that settles them for now. 0 also when the server refused the whole batch: the rest waits
        for its backoff instead of being tried again at once."""
        with transaction():
            claimed = outbox.claim_due(now, BATCH)
        if not claimed:
            return 0
        batch = asyncio.run(self._send_batch(claimed, now))
        self.total += batch
        return 0 if batch.retried and not batch.sent else len(claimed)

    async def _send_batch(self, claimed: list[Claimed], now: datetime) -> FlushResult:
        try:
            async with SmtpSender(self.config) as smtp:
                return sum([await self._send_one(smtp, row, now) for row in claimed], FlushResult())
        except SmtpError as exc:
            log.warning("%s; %d mail(s) stay queued", exc, len(claimed))
            return sum([self._record(row, TempFail(str(exc)), now) for row in claimed], FlushResult())

    async def _send_one(self, smtp: SmtpSender, claimed: Claimed, now: datetime) -> FlushResult:
        raw, sender, recipients = outbox.envelope(claimed.id)
        outcome = await smtp.send(raw, sender, recipients)
        if not isinstance(outcome, Sent):
            log.warning("outbox %s to %s: %s", claimed.id, ",".join(recipients), outcome.reason)
        return self._record(claimed, outcome, now)

    def _record(self, claimed: Claimed, outcome: Outcome, now: datetime) -> FlushResult:
        """Commit one attempt's result at once."""
        with transaction():
            if isinstance(outcome, Sent):
                outbox.mark_sent(claimed.id, now)
                return FlushResult(sent=1)
            when = next_attempt(claimed.attempts, claimed.created_at, isinstance(outcome, PermFail), now,
                                self.config)
            if when is None:
                outbox.mark_failed(claimed.id, outcome.reason)
                return FlushResult(failed=1)
            outbox.retry_at(claimed.id, when, outcome.reason)
            return FlushResult(retried=1)
