"""Inserts on the mail loop's hot path, with their SQL built once per shape.

Peewee builds every statement's SQL anew (about a quarter of a millisecond each), and opening a
ticket takes a dozen inserts; with the SQL kept, ingesting runs markedly faster (see
benchmarks/ingest.py). Values still go through each field's own conversion.
"""

from __future__ import annotations

from typing import Any

from peewee import Model

_statements: dict[tuple[type[Model], tuple[str, ...], str], str] = {}


def insert(model: type[Model], **values: Any) -> int:
    """INSERT one row; returns its new id."""
    db = model._meta.database.obj
    for field, default in model._meta.defaults.items():  # peewee's defaults live in Python, not in the table
        values.setdefault(field.name, default() if callable(default) else default)
    names = tuple(values)
    key = (model, names, db.param)
    sql = _statements.get(key) or _statements.setdefault(key, _insert_sql(model, names, db.param))
    fields = model._meta.fields
    cursor = db.execute_sql(sql, [fields[name].db_value(value) for name, value in values.items()])
    return cursor.fetchone()[0]


def _insert_sql(model: type[Model], names: tuple[str, ...], param: str) -> str:
    fields = model._meta.fields
    columns = ", ".join(f'"{fields[name].column_name}"' for name in names)
    placeholders = ", ".join(param for _ in names)
    # RETURNING works on PostgreSQL and on SQLite since 3.35.
    return f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({placeholders}) RETURNING "id"'
