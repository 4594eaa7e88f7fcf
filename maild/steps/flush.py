"""The flush step: due outbox rows → SMTP, a batch at a time over `smtp.connections` connections,
the answers recorded in one commit after the batch (or every RECORD_EVERY seconds of a slow one).

Delivery is at-least-once: a crash after the server's 250 and before that commit sends those mails
(at most BATCH) again once their lease runs out (store/outbox).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..adapters.smtp import Outcome, PermFail, Sent, SmtpSender, TempFail
from ..config import Config
from ..errors import SmtpError, SmtpLoginRefused
from ..outgoing.notices import MailWriter
from ..rules.automatic_mail import cap_reached
from ..rules.delivery import next_attempt
from ..rules.routing import roster_from
from ..store import outbox, suppression
from ..store.db import transaction
from ..store.outbox import Claimed
from . import queue_notice

log = logging.getLogger(__name__)

# Mails claimed per run, shared among the connections. More than a processing batch queues
# (processing.batch_size, 100): on SQLite the sender takes the write lock between two processing
# commits, and with a smaller claim it fell behind by the difference at every one of them.
BATCH = 200
RECORD_EVERY = 10.0  # seconds: answers are committed at least this often, well inside the 5-minute lease


@dataclass(frozen=True)
class FlushResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    login_refused: str = ""  # the server's refusal of our login, the latest: `maild once` exits 1 on it

    def __add__(self, other: "FlushResult") -> "FlushResult":
        return FlushResult(self.sent + other.sent, self.retried + other.retried, self.failed + other.failed,
                           other.login_refused or self.login_refused)

    def __sub__(self, other: "FlushResult") -> "FlushResult":
        return FlushResult(self.sent - other.sent, self.retried - other.retried, self.failed - other.failed,
                           self.login_refused)


class Flush:
    name = "flush"

    def __init__(self, config: Config, writer: MailWriter) -> None:
        self.config = config.smtp
        self.cap = config.screen.automatic_per_hour
        self.writer = writer  # for the supervisors' notice when the cap holds mail back
        self.roster = roster_from(config)
        self.language = config.helpdesk.default_language
        self._held: bool | None = None  # whether the cap holds mail back; None: not looked yet
        self.total = FlushResult()  # since start, for `maild once` to report
        # While batches follow each other, their connections stay open: a connection and its
        # greeting, EHLO and QUIT per batch cost as much as sending a few of its mails.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connections: dict[int, SmtpSender] = {}
        self.claimer = ""  # "host:pid", set by the first run (which may be in a forked child)

    def _take_back_dead_claims(self, now: datetime) -> None:
        """A sender of this host that died mid-batch left its leases behind: mail it had claimed
        would wait out the 5-minute lease. Its process is gone, so its rows are due now (the
        at-least-once window is the same: what the server took before the death goes again)."""
        host = socket.gethostname()
        with transaction():
            dead = {claimer for claimer in outbox.claimers(host) if not _alive(int(claimer.rpartition(":")[2]))}
            taken_back = outbox.release(dead, now)
        if taken_back:
            log.warning("took back %d mail(s) claimed by senders that died (%s)", taken_back, ", ".join(sorted(dead)))
        self.claimer = f"{host}:{os.getpid()}"  # only now: should the database fail, the next run tries again

    def run(self, now: datetime) -> int:
        """Send one batch of due mail; returns how many mails got an answer
        that settles them for now. 0 also when the server refused the whole batch: the rest waits
        for its backoff instead of being tried again at once. A run that returns 0 closes the
        connections."""
        if not self.claimer:
            self._take_back_dead_claims(now)
        with transaction():
            suppressed = outbox.suppress_due(now)
            allowance = max(0, self.cap - outbox.automatic_in_hour(now))
            claimed, held = outbox.claim_due(now, BATCH, self.claimer, allowance)
            self._note_cap(held, allowance, now)
        if suppressed:
            log.info("%d automatic mail(s) to hard-bounced addresses not sent (maild suppressed)", suppressed)
        if not claimed:
            self.close()
            return 0
        self._loop = self._loop or asyncio.new_event_loop()
        batch = self._loop.run_until_complete(self._send_batch(claimed, now, time.monotonic()))
        self.total += batch
        if batch.retried and not batch.sent:
            self.close()
            return 0
        return len(claimed)

    def _note_cap(self, held: bool, allowance: int, now: datetime) -> None:
        """The supervisors are told when the cap begins holding mail back (the store says whether
        some process told them already). It ends once nothing waits and a tenth of the hour's
        allowance is free again, so a flood that hovers at the cap is one time, not many."""
        if held:
            if outbox.cap_held_since() is None:
                time_held = outbox.cap_reached(now)
                log.warning("more than %d automatic mails to customers within an hour: the rest wait", self.cap)
                for notice in cap_reached(self.cap, now, time_held, self.roster, self.language):
                    queue_notice(notice, None, None, self.writer, now)
            self._held = True
        elif self._held is not False and allowance > self.cap // 10:
            outbox.cap_cleared(now)
            self._held = False

    def close(self) -> None:
        """Quit the connections kept open between batches."""
        if self._loop is None:
            return
        connections, self._connections = list(self._connections.values()), {}

        async def quit_all() -> None:
            await asyncio.gather(*(smtp.close() for smtp in connections))

        self._loop.run_until_complete(quit_all())
        self._loop.close()
        self._loop = None

    async def _connection(self, number: int) -> SmtpSender:
        """The batch's `number`th connection: the one kept from the batch before, unless the server
        has closed it meanwhile (a server that closes it mid-batch costs that share a retry)."""
        smtp = self._connections.get(number)
        if smtp is None or not smtp.connected:
            smtp = self._connections[number] = await SmtpSender(self.config).open()
        return smtp

    async def _send_batch(self, claimed: list[Claimed], now: datetime, started: float) -> FlushResult:
        """The batch goes out over `smtp.connections` connections at once, each its share: the
        server reads one mail while the next is on its way. The answers are committed together,
        at the end of the batch or once RECORD_EVERY has passed: a slow server must not keep sent
        mail unrecorded until its lease runs out."""
        answered: list[tuple[Claimed, Outcome]] = []
        recorded, last_record = FlushResult(), started
        refused = ""

        async def send(number: int, share: list[Claimed]) -> None:
            nonlocal recorded, last_record, refused
            try:
                smtp = await self._connection(number)
                for row in share:
                    answered.append((row, await smtp.send(row.raw, row.sender, list(row.recipients))))
                    if time.monotonic() - last_record > RECORD_EVERY:
                        recorded += self._record(answered, now, started)
                        answered.clear()
                        last_record = time.monotonic()
            except SmtpError as exc:  # no connection: none of this share was tried
                log.warning("%s; %d mail(s) stay queued", exc, len(share))
                answered.extend((row, TempFail(str(exc))) for row in share)
                if isinstance(exc, SmtpLoginRefused):
                    refused = str(exc)

        connections = min(self.config.connections, len(claimed))
        await asyncio.gather(*(send(i, claimed[i::connections]) for i in range(connections)))
        return recorded + self._record(answered, now, started) + FlushResult(login_refused=refused)

    def _record(self, answered: list[tuple[Claimed, Outcome]], now: datetime, started: float) -> FlushResult:
        """One commit for these answers, at the run's time plus how long the batch took so far;
        their log lines once it has committed."""
        said: list[tuple[int, str]] = []
        with transaction():
            result = self._write(answered, now + timedelta(seconds=time.monotonic() - started), said)
        for level, line in said:
            log.log(level, "%s", line)
        return result

    def _write(self, answered: list[tuple[Claimed, Outcome]], now: datetime,
               said: list[tuple[int, str]]) -> FlushResult:
        sent = [row.id for row, outcome in answered if isinstance(outcome, Sent)]
        outbox.mark_sent(sent, now)
        result = FlushResult(sent=len(sent))
        for row, outcome in answered:
            if isinstance(outcome, Sent):
                said.append((logging.INFO, f"outbox {row.id} to {','.join(row.recipients)}: sent ({outcome.response})"))
                continue
            when = next_attempt(row.attempts, row.created_at, isinstance(outcome, PermFail), now, self.config)
            if when is None:
                outbox.mark_failed(row.id, outcome.reason)
                result += FlushResult(failed=1)
            else:
                outbox.retry_at(row.id, when, outcome.reason)
                result += FlushResult(retried=1)
            fate = "failed" if when is None else f"tried again at {when:%Y-%m-%d %H:%M:%S %Z}"
            said.append((logging.WARNING, f"outbox {row.id} to {','.join(row.recipients)}: {fate} ({outcome.reason})"))
        return result


def _alive(pid: int) -> bool:
    """Is the process running? A zombie is not: killed, it may wait long for its reaper."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel whether the pid exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # it exists, as another user
        return True


# -- for the command line ----------------------------------------------------------------------

def unsuppress(address: str) -> bool:
    """An admin takes an address off the suppression list; False if it was not on it."""
    with transaction():
        return suppression.unsuppress(address)
