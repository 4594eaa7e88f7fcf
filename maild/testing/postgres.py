"""A throw-away PostgreSQL schema, so tests and benchmarks never see each other's rows."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

POSTGRES_URL = os.environ.get("MAILD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_schema(prefix: str = "maild_test") -> Iterator[str]:
    """Yields a database url whose search_path is a new schema; drops the schema afterwards."""
    import psycopg2  # the optional driver, present with maild[test] and maild[postgresql]

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_URL)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {schema}")
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()
