"""The first run on a mailbox that already holds mail: what is taken, and what is answered."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from maild.app import App
from maild.config import load_config
from maild.errors import ConfigError
from maild.store import queries

from .mails import customer_mail

# The frozen clock says 2026-11-25 01:30 UTC.
LONG_AGO = datetime(2019, 3, 4, 10, tzinfo=timezone.utc)
YESTERDAY = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)


@pytest.fixture
def existing_mailbox(dovecot):
    """Read mail from 2019, a mail someone answered, and one that nobody has read yet."""
    dovecot.append(customer_mail(subject="Old question", sender="old@customer.example"),
                   flags=[r"\Seen"], received_at=LONG_AGO)
    dovecot.append(customer_mail(subject="Answered by hand", sender="answered@customer.example"),
                   flags=[r"\Seen", r"\Answered"], received_at=YESTERDAY)
    dovecot.append(customer_mail(subject="Waiting for you", sender="unread@customer.example"),
                   received_at=YESTERDAY)
    return dovecot


def app_taking(first_run: str, config_file: Path, clock) -> App:
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace("[imap]\n", f'[imap]\nfirst_run = "{first_run}"\n'), encoding="utf-8")
    return App(load_config(config_file), clock)


def customers() -> list[str]:
    return sorted(t["customer"] for t in queries.list_tickets())


def answered(smtp_sink) -> list[str]:
    return sorted(to for mail in smtp_sink.messages for to in mail.rcpt_tos)


def test_all_takes_every_mail_there_and_answers_only_the_recent_unanswered(existing_mailbox, config_file,
                                                                          clock, smtp_sink) -> None:
    app = app_taking("all", config_file, clock)
    app.once()
    app.close()
    assert customers() == ["answered@customer.example", "old@customer.example", "unread@customer.example"]
    assert answered(smtp_sink) == ["unread@customer.example"]


def test_unseen_takes_only_the_mail_nobody_has_read(existing_mailbox, config_file, clock, smtp_sink) -> None:
    app = app_taking("unseen", config_file, clock)
    app.once()
    app.close()
    assert customers() == ["unread@customer.example"]
    assert answered(smtp_sink) == ["unread@customer.example"]
    assert queries.status()["mails"] == 1


def test_unseen_takes_later_mail_even_if_it_was_read_meanwhile(existing_mailbox, config_file, clock,
                                                               smtp_sink) -> None:
    app = app_taking("unseen", config_file, clock)
    app.once()
    existing_mailbox.append(customer_mail(subject="Read on a phone first", sender="later@customer.example"),
                            flags=[r"\Seen"])
    app.once()
    app.close()
    assert customers() == ["later@customer.example", "unread@customer.example"]


def test_new_takes_none_of_the_mail_there_but_all_that_comes_after(existing_mailbox, config_file, clock,
                                                                   smtp_sink) -> None:
    app = app_taking("new", config_file, clock)
    app.once()
    assert queries.status()["mails"] == 0 and smtp_sink.messages == []
    existing_mailbox.append(customer_mail(subject="A new problem", sender="new@customer.example"))
    app.once()
    app.close()
    assert customers() == ["new@customer.example"]
    assert answered(smtp_sink) == ["new@customer.example"]


def test_the_first_run_setting_is_checked(config_file) -> None:
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace("[imap]\n", '[imap]\nfirst_run = "everything"\n'), encoding="utf-8")
    with pytest.raises(ConfigError, match="imap.first_run"):
        load_config(config_file)
