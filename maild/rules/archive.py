"""Where a ticket is archived (G16: "type + date + number"), and when.

The date is the day the ticket was received, as in its number (TS20261125001 → 2026, 11). A
value from a mail or a command (the type) becomes one safe name, the same way every time: on the
IMAP server a folder name the server takes, on disk one path segment. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from .calendar import WorkCalendar

UNTYPED = "未分类"  # a ticket never classified is filed under this type
MAX_NAME_BYTES = 120  # a name's UTF-8 bytes: well under a file system's 255, and under any IMAP server's limit
# Never in a name: path and hierarchy separators, IMAP's wildcards and quoting, control characters.
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\*%"]')


@dataclass(frozen=True)
class Filing:
    """Where one ticket goes: the IMAP folder (its parts, joined by the server's delimiter) and
    the directory under archive.dir (its parts)."""

    folder: tuple[str, ...]
    path: tuple[str, ...]

    def folder_name(self, delimiter: str) -> str:
        return delimiter.join(safe_name(part, delimiter) for part in self.folder)


def filing(pattern: str, number: str, problem_type: str | None) -> Filing:
    """The folder from archive.folder (`/` separates levels) and the path
    <type>/<yyyy>/<mm>/<number>; the year and month come from the number."""
    yyyy, mm = number[2:6], number[6:8]
    kind = problem_type or UNTYPED
    values = {"type": kind, "yyyy": yyyy, "mm": mm, "number": number}
    # Each level is filled in alone, so a "/" in a type stays inside its level.
    folder = tuple(level.format(**values) for level in pattern.split("/") if level.strip())
    return Filing(folder, (safe_name(kind), yyyy, mm, safe_name(number)))


def safe_name(text: str, delimiter: str = "") -> str:
    """One level of a folder or a path: unsafe characters (and the server's delimiter) become
    "_", no leading or trailing dots and spaces, never empty, "." or ".."; a name too long is
    cut and ends in a hash of the whole, so two long names stay apart."""
    text = unicodedata.normalize("NFC", text)
    name = UNSAFE.sub("_", text.replace(delimiter, "_") if delimiter else text).strip(" .") or "_"
    if len(name.encode()) > MAX_NAME_BYTES:
        digest = hashlib.sha256(text.encode()).hexdigest()[:10]
        cut = name.encode()[:MAX_NAME_BYTES - 11].decode(errors="ignore")
        name = f"{cut}-{digest}"
    return name


def unique_names(filenames: list[str]) -> list[str]:
    """Each file a safe name of its own in one folder (a second of one name is numbered)."""
    named: list[str] = []
    for filename in filenames:
        name = base = safe_name(filename)
        stem, dot, suffix = base.rpartition(".")
        count = 1
        while name in named:
            count += 1
            name = f"{stem}-{count}.{suffix}" if dot and stem else f"{base}-{count}"
        named.append(name)
    return named


def archive_due(resolved_at: datetime, working_days: int, calendar: WorkCalendar) -> datetime:
    """The same local time on the N-th working day after the resolution (not before: a late
    "still broken" reopens the ticket instead)."""
    return calendar.add_working_days(resolved_at, working_days)
