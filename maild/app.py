"""Builds maild's parts from the configuration, and `once`: every step until nothing is left."""

from __future__ import annotations

import gc
import logging
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from .adapters.imap import ImapMailbox
from .clock import Clock, SystemClock
from .config import Config
from .outgoing.templates import renderer_for
from .steps import Step
from .steps.fetch import Fetch
from .steps.flush import Flush, FlushResult
from .steps.process import Process
from .store.attachments import AttachmentStore
from .store.db import open_database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundResult:
    fetched: int  # new to the store
    processed: int
    flushed: FlushResult


def tune_garbage_collector() -> None:
    """Parsing a mail makes tens of thousands of short-lived objects; with the default threshold
    (700) the collector ran thousands of times per batch, rescanning everything maild keeps for
    good. Freeze what start-up made and collect less often: ingesting runs about 10 % faster."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def drain(steps: Sequence[Step], clock: Clock, stopping: Callable[[], bool] = lambda: False,
          progress: Callable[[str, int], None] = lambda name, work: None) -> Counter[str]:
    """Run each step until it has nothing left, in order, and again until a whole round found
    nothing to do (a later step can make work for an earlier one). Returns the work per step."""
    done: Counter[str] = Counter()
    while not stopping():
        before = sum(done.values())
        for step in steps:
            while not stopping() and (work := step.run(clock.now())):
                done[step.name] += work
                progress(step.name, work)
        if sum(done.values()) == before:
            break
    return done


class App:
    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.db = open_database(config.database.url)
        renderer = renderer_for(config.helpdesk)  # a missing or broken template stops maild at start
        attachments = AttachmentStore(Path(config.helpdesk.state_dir) / "attachments")
        self.process = Process(config, renderer, attachments)
        self.flush = Flush(config.smtp)
        tune_garbage_collector()

    def mailbox(self) -> ImapMailbox:
        return ImapMailbox(self.config.imap)

    def fetch_step(self, mailbox: ImapMailbox) -> Fetch:
        return Fetch(mailbox, self.config.imap.batch_size)

    def once(self) -> RoundResult:
        """Fetch every new mail, process it, send what is due — the same steps the daemon runs."""
        flushed_before = self.flush.total
        with self.mailbox() as mailbox:  # fetching first, so the IMAP session is not held longer
            mailbox.ensure_processed_folder()
            fetch = self.fetch_step(mailbox)
            drain((fetch,), self.clock)
        with self.alongside(self.flush) as wake:  # mail goes out while the next batch is processed
            done = drain((self.process,), self.clock, progress=lambda step, work: wake.set())
        return RoundResult(fetch.stored, done["process"], self.flush.total - flushed_before)

    @contextmanager
    def alongside(self, step: Step) -> Iterator[threading.Event]:
        """Drain `step` in a thread of its own whenever the event yielded is set, and a last time
        when the block ends; a fault of the thread is raised here."""
        wake, finished, faults = threading.Event(), threading.Event(), []

        def loop() -> None:
            try:
                while not finished.is_set():
                    wake.wait()
                    wake.clear()
                    drain((step,), self.clock)
                drain((step,), self.clock)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                faults.append(exc)
            finally:
                self.db.close()  # this thread's connection

        thread = threading.Thread(target=loop, name=f"maild-{step.name}")
        thread.start()
        try:
            yield wake
        finally:
            finished.set()
            wake.set()
            thread.join()
        if faults:
            raise faults[0]

    def close(self) -> None:
        self.db.close()
