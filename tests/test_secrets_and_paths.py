"""Secrets stay secret and files stay home: no password or key in any output of a full run, and
nothing maild writes lands outside its state, archive and knowledge-base directories, whatever
names the mail carries."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from maild.testing.configs import local_config
from maild.testing.dovecot import PrivateDovecot

from .mails import customer_mail, lead_mail, mail_with_attachment
from .test_cli import maild
from .test_triage import TEAM, WEDNESDAY_0930

IMAP_PASSWORD = "Zq8-imap-Pa55word-7x"
ID_KEY = "k3y-signing-our-message-ids-0123456789abcdef"
SURVEY_KEY = "k3y-signing-the-survey-links-0123456789"


@pytest.fixture(scope="module")
def guarded_dovecot() -> Iterator[PrivateDovecot]:
    with PrivateDovecot(password=IMAP_PASSWORD) as server:
        yield server


def test_no_password_or_key_appears_in_any_output_of_a_full_run(guarded_dovecot, smtp_sink, database_url,
                                                                  state_dir, tmp_path) -> None:
    (tmp_path / "id.key").write_text(ID_KEY + "\n")
    (tmp_path / "survey.key").write_text(SURVEY_KEY + "\n")
    config = state_dir / "maild.toml"
    config.write_text(local_config(guarded_dovecot, smtp_sink, database_url, state_dir, **TEAM,
                                   helpdesk={"secret_file": str(tmp_path / "id.key")},
                                   survey={"secret_file": str(tmp_path / "survey.key")}), encoding="utf-8")
    guarded_dovecot.append(customer_mail())
    outputs = [maild(config, "-v", "once")]
    number = json.loads(maild(config, "tickets", "--json").stdout)[0]["number"]
    guarded_dovecot.append(lead_mail(number, "#status resolved\n已处理。"))
    outputs.append(maild(config, "-v", "once"))
    [stored] = json.loads(maild(config, "mails", "--json").stdout)[:1]
    sample = tmp_path / "sample.eml"
    sample.write_bytes(customer_mail(subject="replayed"))
    for args in (("check-config",), ("show", number, "--json"), ("mail", stored["message_key"], "--json"),
                 ("replay", str(sample), "--json"), ("outbox", "--json"), ("status", "--json"), ("timers", "--json"),
                 ("--now", "2026-12-31T10:00:00+08:00", "-v", "once")):
        outputs.append(maild(config, *args))
    wrong = state_dir / "wrong.toml"
    wrong.write_text(config.read_text().replace(IMAP_PASSWORD, "Wr0ng-" + IMAP_PASSWORD), encoding="utf-8")
    refused = maild(wrong, "-v", "once")
    assert refused.returncode != 0
    stored = [tmp_path / "maild.db"] if (tmp_path / "maild.db").exists() else []  # SQLite's store
    written = [path.read_bytes() for path in (*state_dir.rglob("*"), *stored)
               if path.is_file() and path.name not in ("maild.toml", "wrong.toml")]
    sent = [message.data for message in smtp_sink.messages]
    for secret in (IMAP_PASSWORD, ID_KEY, SURVEY_KEY):
        for output in (*outputs, refused):
            assert secret not in output.stdout + output.stderr, output.args
        assert not any(secret.encode() in data for data in (*written, *sent))


def test_a_signing_key_shorter_than_32_bytes_is_a_config_error(dovecot, smtp_sink, database_url, state_dir,
                                                              tmp_path) -> None:
    (tmp_path / "short.key").write_text("too-short\n")
    config = state_dir / "maild.toml"
    config.write_text(local_config(dovecot, smtp_sink, database_url, state_dir,
                                   helpdesk={"secret_file": str(tmp_path / "short.key")}), encoding="utf-8")
    result = maild(config, "once")
    assert result.returncode == 2
    assert "helpdesk.secret_file" in result.stderr and "at least 32" in result.stderr


def test_check_config_names_where_the_key_is_and_makes_none(dovecot, smtp_sink, database_url, state_dir) -> None:
    config = state_dir / "maild.toml"
    config.write_text(local_config(dovecot, smtp_sink, database_url, state_dir), encoding="utf-8")
    result = maild(config, "check-config", "--offline")
    assert f"message-id key: {state_dir}/helpdesk_secret: made at the first start" in result.stdout
    assert not (state_dir / "helpdesk_secret").exists()
    assert maild(config, "once").returncode == 0
    assert "message-id key: 64 bytes from" in maild(config, "check-config", "--offline").stdout


HOSTILE = ("../../../../outside.txt", "..\\..\\outside.bat", "/tmp/outside-absolute.txt", "CON", ".htaccess",
           "a/../../b.png", "\x00nul.txt", "名字/../../逃逸.txt")


def test_nothing_is_written_outside_the_state_archive_and_kb_dirs_whatever_the_names(
        dovecot, smtp_sink, database_url, tmp_path) -> None:
    # Deep enough that every "../" a hostile name holds still lands inside tmp_path, where it is seen.
    levels = ("a", "b", "c", "d", "e", "home")
    state = tmp_path.joinpath(*levels, "state")
    state.mkdir(parents=True)
    before = {p.name for p in tmp_path.iterdir()}
    config = state / "maild.toml"
    config.write_text(local_config(dovecot, smtp_sink, database_url, state, **TEAM,
                                   customer=[{"domain": "customer.example", "organisation": "../../../Evil Org"}]),
                      encoding="utf-8")
    for name in HOSTILE:
        dovecot.append(mail_with_attachment(b"\x89PNG payload", "image", "png", name, subject=f"../../{name}"))
    assert maild(config, "--now", WEDNESDAY_0930.isoformat(), "once").returncode == 0
    tickets = json.loads(maild(config, "tickets", "--json").stdout)
    for ticket in tickets:
        dovecot.append(lead_mail(ticket["number"], "#type ../../../../逃逸/../x\n#kb ../../../kb-escape\n"
                                                   "#resolve\n根因：../..\n解决方案：/etc/passwd\n"))
    assert maild(config, "--now", (WEDNESDAY_0930 + timedelta(hours=1)).isoformat(), "once").returncode == 0
    assert maild(config, "--now", (WEDNESDAY_0930 + timedelta(days=7)).isoformat(), "once").returncode == 0
    assert {p.name for p in tmp_path.iterdir()} - {"maild.db", "maild.db-wal", "maild.db-shm"} == before - {
        "maild.db", "maild.db-wal", "maild.db-shm"}
    for depth, level in enumerate(levels[1:], 1):  # each level holds only the way down to the state directory
        assert [p.name for p in tmp_path.joinpath(*levels[:depth]).iterdir()] == [level]
    assert [p.name for p in tmp_path.joinpath(*levels).iterdir()] == ["state"]
    assert not Path("/tmp/outside-absolute.txt").exists()
    written = [p for p in state.rglob("*") if p.is_file()]
    assert any("archive" in p.parts for p in written) and any("kb" in p.parts for p in written)
