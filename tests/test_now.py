"""`maild --now ISO-8601 COMMAND`: every command takes that instant as now (replaying a day, driving tests)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from maild.cli import clock_for, parser
from maild.clock import FrozenClock, SystemClock
from maild.config import load_config

from .mails import customer_mail
from .test_cli import maild, offline_config

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_once_at_a_given_instant_numbers_and_dates_everything_by_it(config_file, dovecot, smtp_sink) -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    dovecot.append(customer_mail(), received_at=now - timedelta(minutes=5))
    result = maild(config_file, "--now", "2026-11-25T09:00:00+08:00", "once")
    assert result.returncode == 0, result.stderr
    [ticket] = json.loads(maild(config_file, "tickets", "--json").stdout)
    assert ticket["number"] == "TS20261125001"
    [ack] = smtp_sink.wait_for(1)
    assert "Received: 2026-11-25 09:00" in ack.message.get_body(("plain",)).get_content()
    assert ack.message["Date"].datetime == now
    shown = json.loads(maild(config_file, "show", "TS20261125001", "--json").stdout)
    assert datetime.fromisoformat(shown["received_at"]) == now


def test_a_now_without_an_offset_is_read_in_the_helpdesk_time_zone(config_file, dovecot, smtp_sink) -> None:
    # 23:30 in Shanghai is still the 25th there; read as UTC it would be the 26th's 07:30.
    dovecot.append(customer_mail(), received_at=datetime(2026, 11, 25, 23, 0, tzinfo=SHANGHAI))
    assert maild(config_file, "--now", "2026-11-25T23:30:00", "once").returncode == 0
    [ticket] = json.loads(maild(config_file, "tickets", "--json").stdout)
    assert ticket["number"] == "TS20261125001"
    [ack] = smtp_sink.wait_for(1)
    assert "Received: 2026-11-25 23:30" in ack.message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T09:00:00", "2026-11-25 25:00", ""])
def test_a_bad_now_is_a_command_line_error(value, tmp_path) -> None:
    result = maild(tmp_path / "never-read.toml", "--now", value, "once")
    assert result.returncode == 2
    assert "--now" in result.stderr and "ISO 8601" in result.stderr


def test_replay_takes_the_given_instant(tmp_path) -> None:
    config = offline_config(tmp_path)
    mail = tmp_path / "mail.eml"
    mail.write_bytes(customer_mail())
    result = maild(config, "--now", "2026-11-25T09:00:00+08:00", "replay", str(mail))
    assert result.returncode == 0, result.stderr
    assert "open a ticket of 2026-11-25" in result.stdout
    assert "Received: 2026-11-25 09:00" in result.stdout


def test_check_config_says_which_instant_it_takes_as_now(tmp_path) -> None:
    result = maild(offline_config(tmp_path), "--now", "2026-11-25T09:00:00", "check-config", "--offline")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "now: 2026-11-25T09:00:00+08:00 (--now)" in result.stdout
    assert "workflow: [[staff]] 0, [[module]] 0, [[rota]] 0, [[rule]] 0, [[customer]] 0 entries" in result.stdout


def test_the_clock_is_the_given_instant_or_the_system_clock(tmp_path) -> None:
    config = load_config(offline_config(tmp_path))
    aware = clock_for(config, parser().parse_args(["--now", "2026-11-25T01:00:00Z", "once"]))
    assert isinstance(aware, FrozenClock) and aware.now() == datetime(2026, 11, 25, 1, tzinfo=timezone.utc)
    naive = clock_for(config, parser().parse_args(["--now", "2026-11-25T09:00", "once"]))
    assert naive.now() == datetime(2026, 11, 25, 1, tzinfo=timezone.utc) and naive.now().tzinfo == SHANGHAI
    assert isinstance(clock_for(config, parser().parse_args(["once"])), SystemClock)
