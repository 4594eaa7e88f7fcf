"""Where maild's log lines go and what they look like.

On a terminal or in a file: a timestamp, the level, the logger (on a terminal each line first
erases the progress line of `maild once`, which is redrawn below it). Under systemd (`$JOURNAL_STREAM`
set, stderr connected to the journal) no timestamp of maild's own, the journal keeps one, and
each line starts with its syslog priority (`<6>` for INFO), which journald reads as the entry's
level. `-v` adds maild's own DEBUG detail; peewee's SQL only with `--debug-sql`.
"""

from __future__ import annotations

import logging
import os
import sys

ERASE = "\r\x1b[K"  # a terminal: back to the line's start and clear it (of `once`'s progress line)
PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class _JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = PRIORITIES.get(record.levelno, 6)
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines())


def configure(verbose: bool = False, debug_sql: bool = False) -> None:
    # No format here shows them, and a line per mail should cost no more than it must.
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(name)s: %(message)s"))
    else:
        erase = ERASE if sys.stderr.isatty() else ""
        handler.setFormatter(logging.Formatter(erase + "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose or debug_sql else logging.INFO)
    logging.getLogger("peewee").setLevel(logging.DEBUG if debug_sql else logging.INFO)
