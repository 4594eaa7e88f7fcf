"""The flush step: due outbox rows → SMTP, a batch at a time over one connection, the answers
recorded in one commit after the batch.

Delivery is at-least-once: a crash after the server's 250 and before that commit sends the mails
of that batch (at most BATCH) again once their lease runs out (store/outbox).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

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
        started = time.monotonic()
        outcomes = asyncio.run(self._send_batch(claimed))
        answered = now + timedelta(seconds=time.monotonic() - started)  # a slow server's batch takes a while
        with transaction():  # one commit for the batch: the window in which a crash resends
            batch = self._record(claimed, outcomes, answered)
        self.total += batch
        return 0 if batch.retried and not batch.sent else len(claimed)

    async def _send_batch(self, claimed: list[Claimed]) -> list[Outcome]:
        try:
            async with SmtpSender(self.config) as smtp:
                return [await smtp.send(row.raw, row.sender, list(row.recipients)) for row in claimed]
        except SmtpError as exc:
            log.warning("%s; %d mail(s) stay queued", exc, len(claimed))
            return [TempFail(str(exc))] * len(claimed)

    def _record(self, claimed: list[Claimed], outcomes: list[Outcome], now: datetime) -> FlushResult:
        sent = [row.id for row, outcome in zip(claimed, outcomes) if isinstance(outcome, Sent)]
        outbox.mark_sent(sent, now)
        result = FlushResult(sent=len(sent))
        for row, outcome in zip(claimed, outcomes):
            if isinstance(outcome, Sent):
                continue
            when = next_attempt(row.attempts, row.created_at, isinstance(outcome, PermFail), now, self.config)
            if when is None:
                outbox.mark_failed(row.id, outcome.reason)
                result += FlushResult(failed=1)
            else:
                outbox.retry_at(row.id, when, outcome.reason)
                result += FlushResult(retried=1)
            log.warning("outbox %s to %s: %s (%s)", row.id, ",".join(row.recipients),
                        "failed" if when is None else "queued", outcome.reason)
        return result
