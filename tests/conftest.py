"""Shared fixtures. The servers are real, on loopback: a private Dovecot and an SMTP sink."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from maild.app import App
from maild.clock import FrozenClock
from maild.config import load_config
from maild.store.models import database
from maild.testing.configs import local_config
from maild.testing.dovecot import PrivateDovecot
from maild.testing.postgres import scratch_schema
from maild.testing.smtpsink import SmtpSink

_mailbox_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[PrivateDovecot]:
    # Shared by the whole run: Dovecot starts in ~40 ms but takes ~1 s to stop.
    with PrivateDovecot() as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server: PrivateDovecot) -> PrivateDovecot:
    """The shared Dovecot, logged in as a user no other test uses: an empty mailbox.

    It cannot be stopped; a test that needs IMAP to go down starts its own PrivateDovecot.
    """
    return dovecot_server.with_user(f"support{next(_mailbox_numbers)}@example.com")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


# -- the store: every integration test runs on SQLite and on PostgreSQL ---------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'maild.db'}"
        return
    with scratch_schema() as url:
        yield url
        if database.obj:
            database.obj.close()  # let the schema be dropped


@pytest.fixture
def state_dir() -> Iterator[Path]:
    # Readable by the dovecot user is not needed here, but the CLI runs in a subprocess.
    with tempfile.TemporaryDirectory(prefix="maild-state-") as directory:
        yield Path(directory)


@pytest.fixture
def config_file(dovecot: PrivateDovecot, smtp_sink: SmtpSink, database_url: str, state_dir: Path) -> Path:
    path = state_dir / "maild.toml"
    path.write_text(local_config(dovecot, smtp_sink, database_url, state_dir), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> FrozenClock:
    # A Wednesday morning in Shanghai.
    return FrozenClock(datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc))


@pytest.fixture
def app(config_file: Path, clock: FrozenClock) -> Iterator[App]:
    application = App(load_config(config_file), clock)
    yield application
    application.close()
