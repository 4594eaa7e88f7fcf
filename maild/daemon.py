"""`maild run`: the steps of `maild once`, scheduled, with systemd notify.

Three loops, each in a thread of its own (imapclient and peewee block): the mail loop drains
fetch and process, then waits in IMAP IDLE (or polls); the timers loop drains the timers, report
and archive steps, then sleeps until the next ticket's timers are due, woken early when the mail loop has moved a
ticket; the outbox loop drains flush, woken the moment either has queued something. With
survey.listen set, a fourth thread answers the survey endpoint (web.py) and wakes the outbox loop
when an answer queued mail (an unsatisfied customer: the supervisors are told). The main
thread handles signals and feeds the watchdog only while every loop makes progress. SIGTERM
finishes the batch in hand, then stops.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Callable

from .adapters.sdnotify import Notifier
from .app import App
from .errors import ImapError, StoreError
from .steps import drain

log = logging.getLogger(__name__)

OUTBOX_IDLE = 30.0  # seconds between outbox checks when nothing wakes it (retries come due)
TIMERS_IDLE = 60.0  # the longest the timers loop sleeps: a clock set forward is noticed within it
STALL_AFTER = 120.0  # a loop silent this long stops feeding the watchdog
RECONNECT_FIRST = 1.0  # the first wait before trying IMAP or the database again, doubled after each failure
RECONNECT_MAX = 300.0  # ... up to this
FOLLOWER_POLL = 0.5  # seconds between looks at the store while another process fetches the mailbox


class Daemon:
    def __init__(self, app: App, notifier: Notifier | None = None) -> None:
        self.app = app
        self.notifier = notifier or Notifier()
        self._stop = threading.Event()
        self._wake_outbox = threading.Event()
        self._wake_timers = threading.Event()
        self._heartbeats = {"mail": time.monotonic(), "outbox": time.monotonic(), "timers": time.monotonic()}
        self._failures: list[BaseException] = []
        self._mail_failures = 0  # IMAP or database failures of the mail loop since it last caught up

    def stop(self) -> None:
        if not self._stop.is_set():
            log.info("stopping: finishing the batch in hand")
            self.notifier.notify("STOPPING=1")
        self._stop.set()
        self._wake_outbox.set()
        self._wake_timers.set()

    def run(self) -> None:
        """Until SIGTERM; a loop that fails stops the other and its fault is raised here."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop())
        loops = [("mail", self._mail_loop), ("timers", self._timers_loop), ("outbox", self._outbox_loop)]
        if self.app.config.survey.listen is not None:
            loops.append(("web", self._web_loop))
        threads = [threading.Thread(target=self._guarded, args=(name, loop), name=f"maild-{name}")
                   for name, loop in loops]
        for thread in threads:
            thread.start()
        self.notifier.notify("READY=1")
        log.info("maild running on %s", self.app.config.imap.host)
        self._supervise(threads)
        if self._failures:
            raise self._failures[0]

    def _guarded(self, name: str, loop: Callable[[], None]) -> None:
        try:
            loop()
        except BaseException as exc:  # the watchdog would restart us anyway; say why first
            log.exception("%s loop failed", name)
            self._failures.append(exc)
            self.stop()  # a loop that failed must not leave the other running alone
        finally:
            self.app.db.close()  # this thread's connection

    def _supervise(self, threads: list[threading.Thread]) -> None:
        interval = self.notifier.watchdog_seconds / 2 if self.notifier.watchdog_seconds else None
        next_feed = time.monotonic()
        while alive := [thread for thread in threads if thread.is_alive()]:
            if interval and time.monotonic() >= next_feed:
                self._feed_watchdog()
                next_feed = time.monotonic() + interval
            alive[0].join(timeout=1.0)  # wakes every second, so signal handlers run

    def _feed_watchdog(self) -> None:
        now = time.monotonic()
        if all(now - beat < STALL_AFTER for beat in self._heartbeats.values()):
            self.notifier.notify("WATCHDOG=1")
        else:
            log.error("a loop stalled; not feeding the watchdog")

    def _beat(self, loop: str) -> None:
        self._heartbeats[loop] = time.monotonic()

    def _progress(self, step: str, work: int) -> None:
        self._beat({"flush": "outbox", "timers": "timers", "report": "timers", "archive": "timers"}.get(step, "mail"))
        if step in ("process", "timers", "report"):
            self._wake_outbox.set()
        if step == "process":
            self._wake_timers.set()

    # -- the mail loop ---------------------------------------------------------------------------

    def _mail_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve_mailbox()
            except (ImapError, StoreError) as exc:
                self._mail_failures += 1
                delay = min(RECONNECT_MAX, RECONNECT_FIRST * 2 ** (self._mail_failures - 1))
                log.error("%s; retrying in %.0f s", exc, delay)
                self._sleep(delay)

    def _serve_mailbox(self) -> None:
        config = self.app.config.imap
        with self.app.mailbox() as mailbox:
            mailbox.ensure_processed_folder()
            fetch = self.app.fetch_step(mailbox)
            while not self._stop.is_set():
                drain((fetch, self.app.process), self.app.clock.now, self._stop.is_set, self._progress)
                self._mail_failures = 0  # connected and caught up: the next outage backs off afresh
                self._beat("mail")
                if fetch.fetching:
                    mailbox.wait_for_mail(config.idle_timeout if config.idle else config.poll_interval,
                                          self._stop.is_set, lambda: self._beat("mail"))
                else:  # another maild fetches this mailbox: look for what it stored
                    self._sleep(FOLLOWER_POLL)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            self._beat("mail")
            self._stop.wait(min(1.0, max(0.0, deadline - time.monotonic())))

    # -- the timers loop -------------------------------------------------------------------------

    def _timers_loop(self) -> None:
        while not self._stop.is_set():
            self._wake_timers.clear()
            sleep = TIMERS_IDLE
            try:
                drain(self.app.timed_steps(), self.app.clock.now, self._stop.is_set, self._progress)
                sleep = self._until_next_timer()
            except StoreError as exc:
                log.error("timers: %s", exc)
            self._beat("timers")
            self._wake_timers.wait(sleep)

    def _until_next_timer(self) -> float:
        upcoming = self.app.timers.next_look()
        if upcoming is None:
            return TIMERS_IDLE
        return min(TIMERS_IDLE, max(0.0, (upcoming - self.app.clock.now()).total_seconds()))

    # -- the survey endpoint -------------------------------------------------------------------

    def _web_loop(self) -> None:
        """It waits for requests, not for work: no heartbeat of its own."""
        from .web import serve  # aiohttp: loaded only where the endpoint runs

        serve(self.app.survey_desk(self._wake_outbox.set), self.app.config.survey, self.app.clock.now, self._stop)

    # -- the outbox loop -------------------------------------------------------------------------

    def _outbox_loop(self) -> None:
        while not self._stop.is_set():
            self._wake_outbox.clear()
            try:
                drain((self.app.flush,), self.app.clock.now, self._stop.is_set, self._progress)
            except StoreError as exc:
                log.error("outbox: %s", exc)
            self._beat("outbox")
            self._wake_outbox.wait(OUTBOX_IDLE)
