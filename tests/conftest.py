"""Shared fixtures. The servers are real, on loopback: a private Dovecot and an SMTP sink."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from maild.testing.dovecot import PrivateDovecot
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
