"""Statements on the mail loop's hot path, their SQL text built once.

Peewee builds every statement's SQL anew, about a quarter of a millisecond each: with a dozen
statements per mail that was most of the database time (benchmarks/ingest.py). Here the SQL is
written once, with `?` placeholders, and translated once for PostgreSQL's `%s`. Values are
converted as the models' fields would (times to naive UTC), so rows look the same either way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence

from peewee import InterfaceError, Model, OperationalError

from ..errors import StoreError
from .models import database

_translated: dict[str, str] = {}
_inserts: dict[tuple[type[Model], tuple[str, ...], str], str] = {}


def run(statement: str, params: Sequence[Any] = ()) -> Any:
    """Execute `statement` (written with `?`) on the open store; returns the cursor. A fault of the
    database itself (gone, locked, full) is a StoreError, in a transaction or not."""
    db = database.obj
    if db.param != "?":
        statement = _translated.get(statement) or _translated.setdefault(statement, statement.replace("?", "%s"))
    try:
        return db.execute_sql(statement, params)
    except (OperationalError, InterfaceError) as exc:
        raise StoreError(f"database: {exc}") from exc


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
    db = model._meta.database.obj
    for field, default in model._meta.defaults.items():  # peewee's defaults live in Python, not in the table
        values.setdefault(field.name, default() if callable(default) else default)
    names = tuple(values)
    key = (model, names, db.param)
    statement = _inserts.get(key) or _inserts.setdefault(key, _insert_sql(model, names, db.param))
    fields = model._meta.fields
    cursor = db.execute_sql(statement, [fields[name].db_value(value) for name, value in values.items()])
    return cursor.fetchone()[0]


def _insert_sql(model: type[Model], names: tuple[str, ...], param: str) -> str:
    fields = model._meta.fields
    columns = ", ".join(f'"{fields[name].column_name}"' for name in names)
    placeholders = ", ".join(param for _ in names)
    # RETURNING works on PostgreSQL and on SQLite since 3.35.
    return f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({placeholders}) RETURNING "id"'
