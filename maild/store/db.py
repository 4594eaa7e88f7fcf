"""Opening the store (SQLite by default, PostgreSQL when one machine is not enough) and transactions."""

from __future__ import annotations

import itertools
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from peewee import Database, DatabaseError, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse as parse_url
from playhouse.migrate import SchemaMigrator, migrate

from ..config import sqlite_path
from ..errors import NoStore, StoreError
from . import sql
from .models import TABLES, database

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers never block the writer (CLI while the daemon runs)
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 30000,
}


OPEN_ATTEMPTS = 20


def open_existing_database(url: str) -> Database:
    """As open_database, for a command that only reads: a store that is not there yet is an
    error saying so, and nothing (no file, no directory, no table) is created."""
    path = sqlite_path(url)
    if path is not None and path != ":memory:" and not Path(path).exists():
        raise NoStore(f"no database at {path}: maild has not stored any mail there yet "
                         "(`maild once` or the service creates it)")
    db = open_database(url, create=False)
    if stored_schema_version(db) is None:
        db.close()
        raise NoStore(f"no maild tables in {redact(url)}: maild has not stored any mail there yet")
    create_tables(db)  # a store an earlier maild made gets the columns added since; a current one: nothing
    return db


def open_database(url: str, create: bool = True) -> Database:
    """Connect, create missing tables (unless `create` is False), and bind the models to this database."""
    for attempt in range(1, OPEN_ATTEMPTS + 1):
        try:
            db = _connect(url, create)
            database.initialize(db)
            db.connect(reuse_if_open=True)
            if create:
                create_tables(db)
            return db
        except StoreError:
            raise
        except Exception as exc:  # peewee and the drivers raise many kinds; translate once, here
            # SQLite answers "locked" at once, without waiting, when a second process switches a
            # new database to WAL while the first is creating its tables: try again shortly.
            if "locked" not in str(exc) or attempt == OPEN_ATTEMPTS:
                raise StoreError(f"cannot open database {redact(url)}: {exc}") from exc
            database.obj.close()
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


SCHEMA_LOCK = 0x6D61696C64  # "maild": PostgreSQL advisory lock id for creating the tables
SCHEMA_VERSION = 17  # raise it with every change to the tables or their indexes in models.py


def create_tables(db: Database) -> None:
    """Create missing tables and indexes, unless the store says it has this version of them (a
    start then costs one query, not one per table). Two processes starting on an empty database
    would race on CREATE TABLE IF NOT EXISTS, so they take turns: SQLite by taking the write lock
    at BEGIN, PostgreSQL under an advisory lock."""
    if stored_schema_version(db) == SCHEMA_VERSION:
        return
    with transaction():
        if isinstance(db, PostgresqlDatabase):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        _add_missing_columns(db)  # first: a new index may be on a column added since
        db.create_tables(TABLES, safe=True)
        db.execute_sql("DELETE FROM schema_version")
        db.execute_sql(f"INSERT INTO schema_version (version) VALUES ({SCHEMA_VERSION})")


def _add_missing_columns(db: Database) -> None:
    """A store made by an earlier maild gets the columns added since (all of them nullable:
    what they record was not known for the rows already there)."""
    migrator = SchemaMigrator.from_database(db)
    tables = set(db.get_tables())
    for model in TABLES:
        if model._meta.table_name not in tables:
            continue  # a new table: created whole
        present = {column.name for column in db.get_columns(model._meta.table_name)}
        for field in model._meta.sorted_fields:
            if field.column_name not in present:
                assert field.null, f"{model.__name__}.{field.name}: a column added later must be nullable"
                migrate(migrator.add_column(model._meta.table_name, field.column_name, field))


def stored_schema_version(db: Database) -> int | None:
    try:
        found = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    except DatabaseError:  # no such table: a new store, or one from before versions were kept
        if isinstance(db, PostgresqlDatabase):  # it refuses the next statement after a failed one
            db.rollback()
        return None
    return found[0] if found else None


def _connect(url: str, create: bool = True) -> Database:
    path = sqlite_path(url)
    if path is not None:
        if path != ":memory:" and create:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=30)
    if url.startswith(("postgresql:", "postgres:")):
        try:
            import psycopg2  # noqa: F401  (optional dependency: maild[postgresql])
        except ImportError as exc:
            raise StoreError("PostgreSQL needs psycopg2: pip install 'maild[postgresql]'") from exc
        params = parse_url(url)
        return _Postgresql(params.pop("database"), **params)
    raise StoreError(f"unsupported database url {redact(url)}")


class _Postgresql(PostgresqlDatabase):
    def _initialize_connection(self, conn: Any) -> None:
        """Values over 2 KB (every stored mail, most acknowledgements) are compressed by the
        server; its default, pglz, took a fifth of its CPU while maild ingested. lz4 (PostgreSQL
        14 and later) compresses as well for mail at a fraction of that; an older server, or
        one built without it, keeps pglz."""
        import psycopg2

        with conn.cursor() as cursor:
            try:
                cursor.execute("SET default_toast_compression = 'lz4'")
            except psycopg2.Error:
                pass  # autocommit: the failed SET leaves nothing behind


def redact(url: str) -> str:
    """The url without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"


@contextmanager
def transaction() -> Iterator[None]:
    """One write transaction. SQLite takes the write lock at BEGIN so that two processes
    never deadlock upgrading a read lock; PostgreSQL relies on row locks. A fault of the database
    itself is a StoreError (`sql.store_faults`)."""
    db = database.obj
    kwargs = {"lock_type": "IMMEDIATE"} if isinstance(db, SqliteDatabase) else {}
    sql.held.values.clear()
    with sql.store_faults(), db.atomic(**kwargs):
        try:
            yield
            sql.flush()  # what `sql.later` kept back commits with the rest
        except BaseException:
            sql.discard()
            raise
        finally:
            sql.held.values.clear()


_savepoints = itertools.count(1)


@contextmanager
def savepoint() -> Iterator[None]:
    """A part of the caller's transaction that can fail alone: on any error it is rolled back to
    where it began, and the error goes on (a database fault as StoreError). On PostgreSQL the
    SAVEPOINT and the RELEASE travel with the part's other statements (`sql.later`)."""
    name = f"part{next(_savepoints)}"
    with sql.store_faults():
        place = sql.later(f"SAVEPOINT {name}")
        try:
            yield
            sql.later(f"RELEASE SAVEPOINT {name}")
            sql.flush()  # inside the part: a fault of its statements is its own
        except BaseException as exc:
            sql.held.values.clear()
            sql.discard(after=place - 1)  # the part's own kept-back statements, not the caller's
            if sql.reached_server(place):  # else nothing of the part was ever sent
                try:
                    sql.run(f"ROLLBACK TO SAVEPOINT {name}")
                    sql.run(f"RELEASE SAVEPOINT {name}")
                except DatabaseError as rollback:
                    raise StoreError(f"database: cannot roll back to {name}: {rollback}") from exc
            raise


def is_postgresql() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)
