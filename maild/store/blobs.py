"""Raw mail into and out of the raw_mail table without copies of its size many times over.

psycopg2 writes bytea as hex inside the statement's text and reads it back as hex: storing one
14 MB mail cost some 80 MB of memory for a moment. On PostgreSQL a large mail goes in through
COPY, streamed from its bytes, and comes back a slice at a time. SQLite binds and returns blobs
as they are, so there every mail goes the plain way.
"""

from __future__ import annotations

import peewee

from . import sql
from .db import is_postgresql
from .models import RawMail, database

LARGE = 1 << 18  # bytes; smaller mail is cheaper the plain way


def write_raw(message_key: str, raw: bytes) -> None:
    """Store a mail's bytes; the caller inserted its inbound row in this transaction, so no other
    process writes the same key."""
    if len(raw) <= LARGE:
        sql.run("INSERT INTO raw_mail (message_key, raw) VALUES (?, ?) ON CONFLICT (message_key) DO NOTHING",
                (message_key, RawMail.raw.db_value(raw)))
    elif is_postgresql():
        sql.flush()  # what was kept back goes first, in order
        cursor = database.obj.cursor()
        with sql.store_faults(), peewee.__exception_wrapper__:  # the driver's errors as peewee's, then ours
            cursor.copy_expert("COPY raw_mail (message_key, raw) FROM STDIN", _CopyRow(message_key, raw))
    else:
        _write_in_pieces(message_key, raw)


def _write_in_pieces(message_key: str, raw: bytes) -> None:
    """SQLite builds a bound blob's whole row in memory, twice the mail's size for a moment; a
    zeroblob of the size takes no memory, and the bytes then go in LARGE at a time."""
    found = sql.run("INSERT INTO raw_mail (message_key, raw) VALUES (?, zeroblob(?)) "
                    "ON CONFLICT (message_key) DO NOTHING RETURNING rowid", (message_key, len(raw))).fetchone()
    if found is None:
        return
    view = memoryview(raw)
    with sql.store_faults(), peewee.__exception_wrapper__:
        with database.obj.connection().blobopen("raw_mail", "raw", found[0]) as blob:
            for start in range(0, len(view), LARGE):
                blob.write(view[start:start + LARGE])


def inline_limit() -> int:
    """Mail up to this size comes back with the query that finds it; larger mail by `read_raw`."""
    return LARGE if is_postgresql() else 1 << 62


def read_raw(message_key: str, size: int) -> bytearray:
    """A large mail's bytes, a slice of LARGE at a time, into one buffer that is not copied again
    (the parser reads a bytearray as it is)."""
    data = bytearray()
    for start in range(1, size + 1, LARGE):
        (part,) = sql.run("SELECT substring(raw from ? for ?) FROM raw_mail WHERE message_key = ?",
                          (start, LARGE, message_key)).fetchone()
        data += part
    return data


class _CopyRow:
    """One row of COPY's text format, read in pieces: the key, a tab, the bytea as escaped hex."""

    def __init__(self, message_key: str, raw: bytes) -> None:
        key = message_key.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        self._head = key.encode("utf-8") + b"\t\\\\x"
        self._raw = memoryview(raw)
        self._done = False

    def read(self, size: int = 65536) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        if self._raw:
            piece, self._raw = self._raw[:max(size // 2, 1)], self._raw[max(size // 2, 1):]
            return piece.hex().encode("ascii")
        if not self._done:
            self._done = True
            return b"\n"
        return b""
