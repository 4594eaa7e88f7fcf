"""Builds maild's parts from the configuration, and `once`: every step until nothing is left."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from . import workers
from .adapters.imap import ImapMailbox
from .clock import Clock, SystemClock
from .config import Config
from .progress import Counts, ProgressLine
from .steps import drain, mail_writer
from .steps.archive import Archive
from .steps.fetch import Fetch
from .steps.flush import Flush, FlushResult
from .steps.process import Process
from .steps.report import Report
from .steps.survey import SurveyDesk, SurveyLinks
from .steps.timers import Timers
from .steps.timers_views import ticket_document
from .store.attachments import AttachmentStore
from .store.db import is_postgresql, open_database
from .workers import StepProcess

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundResult:
    fetched: int  # new to the store
    processed: int
    flushed: FlushResult
    fired: int = 0  # timers


class App:
    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.db = open_database(config.database.url)
        # Loaded once, here: a missing or broken template stops maild at start, and the step
        # processes forked from this one find every template compiled already.
        self.writer = mail_writer(config, Path(config.helpdesk.state_dir) / "compiled-templates")
        self.process = self.processing()
        self.survey_links = SurveyLinks(config)
        self.timers = Timers(config, self.writer, self.survey_links.links)
        self.report = Report(config, self.writer)
        self.archive = Archive(config, self.mailbox, lambda number, now: ticket_document(number, config, now) or {})
        self.flush = Flush(config, self.writer)
        workers.tune_garbage_collector()

    def processing(self) -> Process:
        attachments = AttachmentStore(self.config.attachments_dir)
        return Process(self.config, self.writer, attachments)

    def survey_desk(self, queued: Callable[[], None] = lambda: None) -> SurveyDesk:
        """What the survey endpoint answers; `queued`: called when an answer queued mail."""
        return SurveyDesk(self.config, self.writer, self.survey_links, queued)

    def mailbox(self) -> ImapMailbox:
        return ImapMailbox(self.config.imap)

    def fetch_step(self, mailbox: ImapMailbox) -> Fetch:
        return Fetch(mailbox, self.config.imap.batch_size, self.config.imap.first_run)

    def once(self, progress: ProgressLine | None = None) -> RoundResult:
        """Fetch every new mail, process it, send what is due — the same steps the daemon runs.

        A step per process, each on a core of its own as far as there are cores: this one fetches
        and wakes the processing, which wakes the sending (an interpreter runs one thread at a time,
        so threads would take turns). On PostgreSQL two processes take batches side by side: each
        waits for the server half the time. SQLite writes one batch at a time, and a second one
        only took turns for its lock. `progress` shows how far it has come until the last child
        is done."""
        url = self.config.database.url
        processors = 2 if is_postgresql() else 1
        self.db.close()  # the children are forked from this process: none may inherit its connection
        with ExitStack() as stack:  # closed in reverse: processing, then the timers, then the sending
            if progress:
                stack.callback(progress.stop)
            flush = stack.enter_context(StepProcess(Flush.name, partial(Flush, self.config, self.writer), url, self.clock))
            # The timers' round comes when the processing is done (the tickets stand as the mail
            # left them), here: it mostly finds nothing due, which is not worth a process.
            stack.push(lambda failed, *_: None if failed else self._timers_round(flush))
            processing_steps = [stack.enter_context(StepProcess(Process.name, self.processing, url, self.clock,
                                                                wakes=flush))
                                for _ in range(processors)]
            self.db.connect()

            def stored(step: str, work: int) -> None:
                for worker in processing_steps:
                    worker.wake()
                if progress:
                    progress.redraw()

            with self.mailbox() as mailbox:
                mailbox.ensure_processed_folder()
                fetch = self.fetch_step(mailbox)
                if progress:
                    progress.start(lambda: Counts(fetch.passed, fetch.passed + fetch.left,
                                                  sum(p.work_done for p in processing_steps), flush.work_done))
                drain((fetch,), self.clock.now, progress=stored)
        return RoundResult(fetch.stored, sum(p.total for p in processing_steps), flush.total, self.timers.total)

    def _timers_round(self, flush: StepProcess) -> None:
        """The timers due, the monthly report when its day has come, the archiving due."""
        if sum(drain(self.timed_steps(), self.clock.now).values()):
            flush.wake()

    def timed_steps(self) -> tuple[Timers, Report, Archive]:
        """The steps the clock drives, in the order a round runs them."""
        return self.timers, self.report, self.archive

    def close(self) -> None:
        self.flush.close()
        self.db.close()
