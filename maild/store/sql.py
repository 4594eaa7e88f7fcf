"""Statements on the mail loop's hot path, their SQL text built once.

Peewee builds every statement's SQL anew, about a quarter of a millisecond each: with a dozen
statements per mail that was most of the database time (benchmarks/ingest.py). Here the SQL is
written once, with `?` placeholders, and translated once for PostgreSQL's `%s`. Values are
converted as the models' fields would (times to naive UTC), so rows look the same either way.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

import peewee
from peewee import InterfaceError, Model, OperationalError

from ..errors import StoreError
from .models import database

_translated: dict[str, str] = {}
_inserts: dict[tuple[type[Model], tuple[str, ...], bool], str] = {}


# SQLite says these of a statement too large for it: a fault of the data in hand, not of the database.
DATA_TOO_LARGE = ("too many SQL variables", "string or blob too big", "too many terms")


@contextmanager
def store_faults() -> Iterator[None]:
    """A fault of the database itself (gone, locked, out of space) becomes StoreError: the caller
    retries later instead of blaming the mail in hand. A statement too large for the database
    stays the fault it is, so the mail that made it is quarantined with it."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if any(sign in str(exc) for sign in DATA_TOO_LARGE):
            raise
        raise StoreError(f"database: {exc}") from exc


def run(statement: str, params: Sequence[Any] = ()) -> Any:
    """Execute `statement` (written with `?`) on the open store; returns the cursor."""
    db = database.obj
    if db.param != "?":
        statement = _for_postgresql(statement)
        if _pending.statements:
            return _send(db, params, statement)
    with store_faults():
        return db.execute_sql(statement, params)


def later(statement: str, params: Sequence[Any] = ()) -> int:
    """A statement whose answer nobody waits for. On PostgreSQL, in a transaction, it goes to the
    server with the next statement that needs an answer, or at the end of the savepoint or the
    transaction: several statements, one round trip. SQLite has no round trips: it runs now.
    Returns the statement's place in this thread's sequence (see `reached_server`)."""
    db = database.obj
    if db.param == "?" or not db.in_transaction():
        run(statement, params)
        _pending.sent = _pending.queued + 1
    else:
        _pending.statements.append(db.cursor().mogrify(_for_postgresql(statement), params))
    _pending.queued += 1
    return _pending.queued


def reached_server(place: int) -> bool:
    """Has the statement `later` gave this place been sent (whether or not it succeeded)?"""
    return _pending.sent >= place


def flush() -> None:
    """Send what `later` kept back (its faults surface here)."""
    if _pending.statements:
        _send(database.obj, (), None)


def discard(after: int = 0) -> None:
    """Forget what `later` kept back after that place in the sequence (its transaction or
    savepoint is being rolled back); statements kept back before it stay."""
    keep = max(0, len(_pending.statements) - (_pending.queued - max(after, _pending.sent)))
    del _pending.statements[keep:]
    _pending.queued = max(after, _pending.sent)


def _send(db: Any, params: Sequence[Any], statement: str | None) -> Any:
    cursor = db.cursor()
    texts = list(_pending.statements)
    if statement is not None:
        texts.append(cursor.mogrify(statement, params))  # may refuse a value: then nothing was sent
    _pending.statements.clear()
    _pending.sent = _pending.queued  # from here on the server has them, even should one fail
    with store_faults(), peewee.__exception_wrapper__:  # the driver's errors as peewee's, then ours
        cursor.execute(b"; ".join(texts))
    return cursor


def _for_postgresql(statement: str) -> str:
    return _translated.get(statement) or _translated.setdefault(statement, statement.replace("?", "%s"))


class _Pending(threading.local):
    def __init__(self) -> None:
        self.statements: list[bytes] = []  # kept back, in order
        self.queued = 0  # places given out by `later`
        self.sent = 0  # places up to which statements have gone to the server


_pending = _Pending()  # per thread, as peewee's connections are


class _Held(threading.local):
    """Values guarded by a row lock this thread's transaction took: while it holds the lock,
    nobody else can change them, so it may go on from what it last wrote without asking. Emptied
    when a transaction begins or ends and when a savepoint rolls back (which also gives back the
    locks taken inside it)."""

    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}


held = _Held()


def rows(statement: str, params: Sequence[Any] = ()) -> list[tuple]:
    return run(statement, params).fetchall()


def marks(count: int) -> str:
    """`?, ?, ?` for an IN list of this many values."""
    return ", ".join("?" * count)


def utc(value: datetime | None) -> datetime | None:
    """A time as the tables hold it: naive UTC."""
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value else value


def aware(value: datetime | str | None) -> datetime | None:
    """A time as the tables hand it back (SQLite: text) → an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value


def insert(model: type[Model], **values: Any) -> int:
    """INSERT one row; returns its new id."""
    statement, params = _insert(model, values, returning=True)
    return run(statement, params).fetchone()[0]


def insert_later(model: type[Model], **values: Any) -> None:
    """INSERT one row whose id nobody needs, with `later`."""
    later(*_insert(model, values, returning=False))


def _insert(model: type[Model], values: dict[str, Any], returning: bool) -> tuple[str, list[Any]]:
    for field, default in model._meta.defaults.items():  # peewee's defaults live in Python, not in the table
        values.setdefault(field.name, default() if callable(default) else default)
    names = tuple(values)
    key = (model, names, returning)
    statement = _inserts.get(key) or _inserts.setdefault(key, _insert_sql(model, names, returning))
    fields = model._meta.fields
    return statement, [fields[name].db_value(value) for name, value in values.items()]


def _insert_sql(model: type[Model], names: tuple[str, ...], returning: bool) -> str:
    fields = model._meta.fields
    columns = ", ".join(f'"{fields[name].column_name}"' for name in names)
    placeholders = ", ".join("?" for _ in names)
    # RETURNING works on PostgreSQL and on SQLite since 3.35.
    return (f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({placeholders})'
            + (' RETURNING "id"' if returning else ""))
