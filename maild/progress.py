"""`maild once` on a terminal: one status line, redrawn twice a second, of how far it has come.

Log lines go on as before: each begins by erasing the status line (logs.py), which comes back
below it at the next redraw. Off a terminal nothing of this is written.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, TextIO

from .logs import ERASE

INTERVAL = 0.5  # seconds between redraws


@dataclass(frozen=True)
class Counts:
    fetched: int  # mails the fetch passed
    total: int  # those and the ones still on the server past the cursor
    processed: int
    sent: int  # mails the outbox handed to SMTP (sent, retried or failed)


def line(counts: Counts, seconds: float) -> str:
    rate = counts.processed / seconds if seconds > 0 else 0.0
    return (f"fetched {counts.fetched}/{counts.total}, processed {counts.processed}/{counts.total}, "
            f"sent {counts.sent}, {rate:.0f} mails/s")


class ProgressLine:
    """Redraws `line(read())` on `stream` from `start(read)` until `stop()`, every INTERVAL and
    whenever `redraw()` is called, then erases it (the command prints its own summary). Started
    only once every child is forked: a thread writing to the stream at the moment of a fork would
    leave the child its lock, held for ever."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._read: Callable[[], Counts] | None = None
        self._started = 0.0

    def start(self, read: Callable[[], Counts]) -> None:
        self._read, self._started = read, time.monotonic()
        self._thread = threading.Thread(target=self._redraw_until_stopped, name="maild-progress", daemon=True)
        self._thread.start()

    def redraw(self) -> None:
        if self._read is not None and not self._stop.is_set():
            self._write(ERASE + line(self._read(), time.monotonic() - self._started))

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._write(ERASE)

    def _redraw_until_stopped(self) -> None:
        while not self._stop.wait(INTERVAL):
            self.redraw()

    def _write(self, text: str) -> None:
        with self._lock:
            try:
                self._stream.write(text)
                self._stream.flush()
            except (OSError, ValueError):  # the terminal went away: the work goes on without it
                self._stop.set()
