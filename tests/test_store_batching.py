"""Statements sent together (PostgreSQL) still fail and roll back one mail at a time."""

from __future__ import annotations

import pytest
from peewee import IntegrityError

from maild.store import sql
from maild.store.db import open_database, savepoint, transaction


def serials() -> list[tuple]:
    return sql.rows("SELECT day, last FROM ticket_serial ORDER BY day")


def test_a_failing_statement_rolls_back_only_its_own_part(database_url) -> None:
    open_database(database_url)
    with transaction():
        with savepoint():
            sql.later("INSERT INTO ticket_serial (day, last) VALUES (?, ?)", ("20261125", 1))
        with pytest.raises(IntegrityError):
            with savepoint():
                sql.later("INSERT INTO ticket_serial (day, last) VALUES (?, ?)", ("20261126", 1))
                sql.later("INSERT INTO ticket_serial (day, last) VALUES (?, ?)", ("20261125", 2))  # taken
        with savepoint():
            sql.later("INSERT INTO ticket_serial (day, last) VALUES (?, ?)", ("20261127", 1))
    assert serials() == [("20261125", 1), ("20261127", 1)]


def test_statements_kept_back_are_committed_with_the_transaction(database_url) -> None:
    open_database(database_url)
    with transaction():
        sql.later("INSERT INTO ticket_serial (day, last) VALUES (?, ?)", ("20261125", 7))
    assert serials() == [("20261125", 7)]


def test_a_failed_transaction_sends_nothing_it_kept_back(database_url) -> None:
    open_database(database_url)
    with pytest.raises(RuntimeError):
        with transaction():
            sql.later("INSERT INTO ticket_serial (day, last) VALUES (?, ?)", ("20261125", 7))
            raise RuntimeError("the mail's rule failed")
    assert serials() == []
