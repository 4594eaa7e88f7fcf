"""Statements sent together (PostgreSQL) still fail and roll back one mail at a time; what the store keeps, it keeps cheaply."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from peewee import IntegrityError

from maild.store import sql
from maild.store.blobs import write_raw
from maild.store.db import open_database, savepoint, transaction
from maild.store.models import database
from maild.store.outbox import enqueue_on_thread
from maild.store.tickets import open_ticket
from maild.testing.postgres import scratch_schema


def serials() -> list[tuple]:
    return sql.rows("SELECT day, last FROM ticket_serial ORDER BY day")


def keep_back(day: str, last: int) -> None:
    """A write nobody waits for: on PostgreSQL it is kept back and sent with the next."""
    sql.later("INSERT INTO ticket_serial (day, last) VALUES (?, ?)", (day, last))


def test_a_failing_statement_rolls_back_only_its_own_part(database_url) -> None:
    open_database(database_url)
    with transaction():
        with savepoint():
            keep_back("20261125", 1)
        with pytest.raises(IntegrityError):
            with savepoint():
                keep_back("20261126", 1)
                keep_back("20261125", 2)  # taken
        with savepoint():
            keep_back("20261127", 1)
    assert serials() == [("20261125", 1), ("20261127", 1)]


def test_statements_kept_back_are_committed_with_the_transaction(database_url) -> None:
    open_database(database_url)
    with transaction():
        keep_back("20261125", 7)
    assert serials() == [("20261125", 7)]


def test_a_failed_transaction_sends_nothing_it_kept_back(database_url) -> None:
    open_database(database_url)
    with pytest.raises(RuntimeError):
        with transaction():
            keep_back("20261125", 7)
            raise RuntimeError("the mail's rule failed")
    assert serials() == []


def test_a_large_mail_comes_back_byte_for_byte(database_url) -> None:
    from datetime import datetime, timezone

    from maild.store.inbound import FetchedMail, load_batch, store_fetched

    open_database(database_url)
    raw = bytes(range(256)) * (3 * 4096 + 17)  # past the size sent and read in pieces, every byte value
    with transaction():
        store_fetched("INBOX", [FetchedMail(1, "big\\one@customer.example", raw),
                                FetchedMail(2, "small@customer.example", b"Subject: hi\r\n\r\nhello\r\n")],
                      datetime(2026, 11, 25, tzinfo=timezone.utc))
    ids = [inbound_id for (inbound_id,) in sql.rows("SELECT id FROM inbound ORDER BY id")]
    assert [mail.raw for mail in load_batch(ids)] == [raw, b"Subject: hi\r\n\r\nhello\r\n"]


def test_a_part_that_fails_before_anything_was_sent_leaves_the_rest_alone(database_url) -> None:
    open_database(database_url)
    with transaction():
        keep_back("20261124", 1)  # the caller's own
        with pytest.raises(ValueError):
            with savepoint():
                keep_back("20261125", 1)
                raise ValueError("the rule failed before any answer was needed")
        with savepoint():
            keep_back("20261126", 1)
    assert serials() == [("20261124", 1), ("20261126", 1)]


def test_a_value_the_driver_refuses_fails_only_its_part(database_url) -> None:
    open_database(database_url)
    refused = database_url.startswith("postgresql")  # PostgreSQL's driver takes no NUL in a string
    with transaction():
        try:
            with savepoint():
                keep_back("20261125", 1)
                sql.run("SELECT COUNT(*) FROM outbound WHERE rate_key = ?", ("bo\x00b@customer.example",))
            assert not refused
        except ValueError:
            assert refused
        with savepoint():
            keep_back("20261126", 1)
    assert serials() == ([] if refused else [("20261125", 1)]) + [("20261126", 1)]


def test_postgresql_compresses_stored_mail_with_lz4() -> None:
    with scratch_schema() as url:
        open_database(url)
        with transaction():
            write_raw("<big@example.com>", b"Subject: x\r\n\r\n" + b"the same line again\r\n" * 500)
        assert sql.rows("SELECT pg_column_compression(raw) FROM raw_mail") == [("lz4",)]
        database.obj.close()


def test_a_mail_queued_twice_under_one_key_is_queued_and_shown_once(database_url) -> None:
    open_database(database_url)
    now = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)
    with transaction():
        ticket_id = open_ticket("TS20261125001", "alice@customer.example", "Alice", "Login", "en", now)
        for _ in range(2):
            enqueue_on_thread(dedupe_key="ack:1", raw=b"Subject: ack\r\n\r\nhello\r\n", message_id="<ack1@example.com>",
                              kind="ack", sender="support@example.com", recipients=["alice@customer.example"], now=now,
                              ticket_id=ticket_id, subject="ack", text="hello")
    assert sql.rows("SELECT COUNT(*) FROM outbound") == [(1,)]
    assert sql.rows("SELECT direction, outbound_id IS NOT NULL FROM article") == [("out", True)]


def test_a_store_made_before_the_mailbox_facts_gets_their_columns(database_url) -> None:
    db = open_database(database_url)
    with transaction():
        for column in ("server_received_at", "answered_on_server"):
            db.execute_sql(f"ALTER TABLE inbound DROP COLUMN {column}")
        db.execute_sql("UPDATE schema_version SET version = 2")
    db.close()
    db = open_database(database_url)
    assert {"server_received_at", "answered_on_server"} <= {c.name for c in db.get_columns("inbound")}
