"""A step drained in a process of its own, woken by the step before it.

One interpreter runs one thread at a time: a step in a thread takes its turns from the mail
loop, and an I/O-bound one (SMTP) waits for the lock after every answer. In a process of its own
it runs on another core. Children are forked from maild itself, which has everything loaded by
then, so a child costs milliseconds and no second interpreter imports maild; they are forked
while maild holds no connection (a connection shared by two processes would be used by both)
and each opens its own. A child ends the moment maild does: killed, `maild once` leaves what a
killed thread would.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import threading
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any, Callable

from .clock import Clock
from .errors import MaildError
from .steps import Step, drain
from .store.db import open_database

_context = multiprocessing.get_context("fork")


def tune_garbage_collector() -> None:
    """Parsing a mail makes tens of thousands of short-lived objects; with the default threshold
    (700) the collector ran thousands of times per batch, rescanning everything maild keeps for
    good. Freeze what start-up made and collect less often: ingesting runs about 10 % faster."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


class StepProcess:
    """`with StepProcess(name, build, database_url, clock) as worker:` drains the step `build()`
    makes in a child whenever `worker.wake()` is called, and a last time when the block ends; the
    step's `total` comes back as `worker.total`, and a fault of the child is raised at the end of
    the block; `worker.work_done` counts the work as it goes, for a progress display. `build` is
    called in the child once its store is open. With `wakes`, each piece of work the step does
    wakes that worker, the next step down the line (whose block must enclose this one's, so it
    takes its last round after this one's)."""

    def __init__(self, name: str, build: Callable[[], Step], database_url: str, clock: Clock,
                 wakes: StepProcess | None = None) -> None:
        self._woken, self._waker = _context.Pipe(duplex=False)
        self._answer, self._answering = _context.Pipe(duplex=False)
        self._done = _context.Value("q", 0, lock=False)  # shared memory: written by the child alone
        self._process = _context.Process(target=_serve, name=f"maild-{name}", daemon=True,
                                         args=(build, database_url, clock, self._woken, self._answering,
                                               wakes._waker if wakes else None, self._done))
        self.total: Any = None

    def __enter__(self) -> StepProcess:
        self._process.start()
        self._woken.close()  # the child's ends: closed here, so its death shows as end of file
        self._answering.close()
        return self

    def wake(self) -> None:
        self._send(True)

    @property
    def work_done(self) -> int:
        return int(self._done.value)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._send(False)  # the last round
        self._waker.close()
        outcome = self._answer.recv() if self._answer.poll(None) else None
        self._process.join()
        if exc_type is not None:
            return
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is None:
            raise MaildError(f"{self._process.name} ended with exit code {self._process.exitcode}")
        self.total = outcome


    def _send(self, more: bool) -> None:
        try:
            self._waker.send(more)
        except OSError:  # the child is gone: its fault, or its exit code, is raised at the end
            pass


def _serve(build: Callable[[], Step], database_url: str, clock: Clock, wake: Connection,
           answer: Connection, then: Connection | None, done: Any) -> None:
    _die_with_parent()  # its logging is maild's: the child is forked with it
    try:
        db = open_database(database_url)
        step = build()
        tune_garbage_collector()

        def progress(name: str, work: int) -> None:
            done.value += work
            if then:
                then.send(True)
        try:
            while _next_round(wake):
                drain((step,), clock.now, progress=progress)
            drain((step,), clock.now, progress=progress)
        finally:
            db.close()
        answer.send(getattr(step, "total"))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        answer.send(exc if _picklable(exc) else MaildError(f"{type(exc).__name__}: {exc}"))


def _next_round(wake: Connection) -> bool:
    """Block until woken; several wake-ups that came meanwhile make one round. False: the last."""
    more = wake.recv()
    while more and wake.poll():
        more = wake.recv()
    return more


def _die_with_parent() -> None:
    """A child ends the moment maild is gone, even mid-batch, as a thread of it would."""
    parent = multiprocessing.parent_process()
    assert parent is not None

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="maild-parent-watch", daemon=True).start()


def _picklable(exc: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any reason it cannot travel
        return False
    return True
