"""`maild run`: the mail loop (IMAP IDLE, or polling) and the outbox loop, with systemd notify.

The mail loop runs in a worker thread (imapclient and peewee block); the outbox loop runs on
the event loop and is woken the moment the mail loop has queued something. SIGTERM finishes
the mail in hand, then stops. The watchdog is fed only while both loops make progress.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time

from .app import App
from .errors import ImapError, StoreError
from .sdnotify import Notifier

log = logging.getLogger(__name__)

OUTBOX_IDLE = 30.0  # seconds between outbox checks when nothing wakes it (retries come due)
STALL_AFTER = 120.0  # a loop silent this long stops feeding the watchdog


class Daemon:
    def __init__(self, app: App, notifier: Notifier | None = None) -> None:
        self.app = app
        self.notifier = notifier or Notifier()
        self._stop = threading.Event()
        self._heartbeats = {"mail": time.monotonic(), "outbox": time.monotonic()}
        self._wake_outbox: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def stop(self) -> None:
        if not self._stop.is_set():
            log.info("stopping: finishing the mail in hand")
            self.notifier.notify("STOPPING=1")
        self._stop.set()
        self._wake()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake_outbox = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(signum, self.stop)
        self.notifier.notify("READY=1")
        log.info("maild running on %s", self.app.config.imap.host)
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(asyncio.to_thread(self._mail_loop))
                tasks.create_task(self._outbox_loop())
                if self.notifier.watchdog_seconds:
                    tasks.create_task(self._watchdog_loop(self.notifier.watchdog_seconds / 2))
        finally:
            # A loop that failed must not leave the mail thread running with nobody sending.
            self._stop.set()

    def _beat(self, loop: str) -> None:
        self._heartbeats[loop] = time.monotonic()

    def _wake(self) -> None:
        if self._loop and self._wake_outbox:
            self._loop.call_soon_threadsafe(self._wake_outbox.set)

    # -- the mail loop (worker thread) --------------------------------------------------------

    def _mail_loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._serve_mailbox()
                failures = 0
            except (ImapError, StoreError) as exc:
                failures += 1
                delay = min(300.0, 5.0 * 2 ** (failures - 1))
                log.error("%s; retrying in %.0f s", exc, delay)
                self._sleep(delay)
            except Exception:  # the watchdog would restart us anyway; say why first
                log.exception("mail loop failed")
                self.stop()
                raise
        self.app.db.close()

    def _serve_mailbox(self) -> None:
        config = self.app.config.imap
        with self.app.mailbox() as mailbox:
            mailbox.ensure_processed_folder()
            while not self._stop.is_set():
                self.app.fetch(mailbox, self._still_running)
                self._process_pending()
                mailbox.wait_for_mail(config.idle_timeout if config.idle else config.poll_interval,
                                      self._stop.is_set, lambda: self._beat("mail"))

    def _still_running(self) -> bool:
        self._beat("mail")
        return not self._stop.is_set()

    def _process_pending(self) -> None:
        def after_each() -> None:
            self._beat("mail")
            self._wake()

        self.app.processor.process_pending(self._stop.is_set, after_each)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            self._beat("mail")
            self._stop.wait(1.0)

    # -- the outbox loop and the watchdog (event loop) -----------------------------------------

    async def _outbox_loop(self) -> None:
        assert self._wake_outbox is not None
        while not self._stop.is_set():
            self._wake_outbox.clear()
            try:
                await self.app.flush()
            except StoreError as exc:
                log.error("outbox: %s", exc)
            self._beat("outbox")
            try:
                await asyncio.wait_for(self._wake_outbox.wait(), OUTBOX_IDLE)
            except TimeoutError:
                pass

    async def _watchdog_loop(self, interval: float) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            if all(now - beat < STALL_AFTER for beat in self._heartbeats.values()):
                self.notifier.notify("WATCHDOG=1")
            else:
                log.error("a loop stalled; not feeding the watchdog")
            deadline = now + interval
            while not self._stop.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(1.0)
