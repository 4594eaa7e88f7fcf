"""What an admin sees from the `maild` command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from maild.cli import parser
from maild.errors import StoreError
from maild.store.db import open_existing_database
from maild.testing.postgres import scratch_schema

from .mails import chinese_mail, customer_mail


def maild(config_file: Path, *args: str) -> subprocess.CompletedProcess:
    return maild_cli("-c", str(config_file), *args)


def maild_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "maild", *args], capture_output=True, text=True, timeout=120)


def test_once_then_tickets_json_lists_each_ticket(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    dovecot.append(chinese_mail())
    assert maild(config_file, "once").returncode == 0
    tickets = json.loads(maild(config_file, "tickets", "--json").stdout)
    # On PostgreSQL two processing children take the mails: either may open its ticket first.
    assert sorted((t["status"], t["customer"], t["messages"]) for t in tickets) == [
        ("new", "alice@customer.example", 2), ("new", "zhangsan@kehu.example.cn", 2)]
    assert {"number", "status", "customer", "subject", "messages"} <= set(tickets[0])


def test_tickets_prints_one_line_per_ticket(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(chinese_mail())
    maild(config_file, "once")
    [line] = maild(config_file, "tickets").stdout.splitlines()
    assert line.split()[:5] == ["TS" + line[2:13], "new", "zhangsan@kehu.example.cn", "P1", "-"]
    assert "系统无法登录" in line


def test_show_prints_the_thread_in_order(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(chinese_mail())
    maild(config_file, "once")
    number = json.loads(maild(config_file, "tickets", "--json").stdout)[0]["number"]
    shown = json.loads(maild(config_file, "show", number, "--json").stdout)
    assert [m["direction"] for m in shown["messages"]] == ["in", "out"]
    assert shown["messages"][1]["delivery"] == "sent"
    assert "验证码错误" in maild(config_file, "show", number).stdout


def test_status_json_counts_mails_tickets_and_outbox(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    dovecot.append(customer_mail(headers={"Auto-Submitted": "auto-replied"}, subject="Out of office"))
    maild(config_file, "once")
    status = json.loads(maild(config_file, "status", "--json").stdout)
    assert status["mails"] == 2 and status["screened"] == 1 and status["quarantined"] == 0
    assert status["tickets"] == {"new": 1}
    assert status["outbox"] == {"queued": 0, "sent": 1, "failed": 0, "bounced": 0, "suppressed": 0}
    assert status["last_fetch"]


def test_check_config_tries_imap_smtp_and_the_database(config_file, dovecot, smtp_sink) -> None:
    result = maild(config_file, "check-config")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()[-3:]] == ["database", "imap", "smtp"]


def test_check_config_names_the_wrong_key_and_exits_2(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[imap]\nhost = "h"\nusername = "u"\npassword = "p"\nport = "993"\n'
                   '[smtp]\nhost = "s"\n[helpdesk]\naddress = "a@b.c"\nname = "n"\n')
    result = maild(bad, "check-config")
    assert result.returncode == 2
    assert "imap.port: expected an integer" in result.stderr


def test_check_config_reports_an_unreachable_server(config_file, dovecot, smtp_sink) -> None:
    smtp_sink.stop()
    result = maild(config_file, "check-config")
    assert result.returncode == 1
    assert "smtp: FAILED" in result.stdout


def test_quarantine_and_requeue_from_the_command_line(config_file, dovecot, smtp_sink) -> None:
    assert maild(config_file, "once").returncode == 0  # makes the store, with nothing in it
    assert maild(config_file, "quarantine").stdout.strip() == "nothing in quarantine"
    result = maild(config_file, "requeue", "99")
    assert result.returncode == 1 and "not in quarantine" in result.stderr


def test_tls_is_never_silently_dropped_for_plaintext(config_file, dovecot, smtp_sink) -> None:
    # The private servers speak plaintext only; asking for TLS must fail, not fall back.
    text = config_file.read_text(encoding="utf-8").replace('security = "none"', 'security = "tls"')
    config_file.write_text(text, encoding="utf-8")
    result = maild(config_file, "check-config")
    assert result.returncode == 1
    assert "imap: FAILED" in result.stdout and "smtp: FAILED" in result.stdout


def test_help_lists_the_exit_codes() -> None:
    result = maild_cli("--help")
    assert result.returncode == 0
    assert "exit codes:" in result.stdout and "2  a configuration error" in result.stdout


def test_every_command_and_option_says_what_it_does() -> None:
    commands = parser()._subparsers._group_actions[0]  # argparse keeps its subcommands here
    assert all(choice.help for choice in commands._choices_actions)
    for command in [parser(), *commands.choices.values()]:
        assert [a.dest for a in command._actions if not a.help] == []


def test_an_unknown_ticket_status_is_refused_with_the_valid_ones(config_file) -> None:
    result = maild(config_file, "tickets", "--status", "bogus")
    assert result.returncode == 2
    assert "in-progress" in result.stderr and "waiting" in result.stderr


def offline_config(directory: Path) -> Path:
    """A configuration whose servers nobody reaches and whose store is not there yet."""
    path = directory / "maild.toml"
    path.write_text(f'''[imap]
host = "imap.example.com"
username = "support@example.com"
password = "x"
[smtp]
host = "smtp.example.com"
[helpdesk]
address = "support@example.com"
name = "Example Support"
timezone = "Asia/Shanghai"
state_dir = "{directory / 'state'}"
[database]
url = "sqlite:///{directory / 'state' / 'maild.db'}"
''', encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["tickets"], ["show", "TS20261125001"], ["status"], ["outbox"],
                                     ["quarantine"], ["mails"], ["mail", "1"]])
def test_a_command_that_only_reads_never_creates_the_store(tmp_path, command) -> None:
    state = tmp_path / "state"
    config = offline_config(tmp_path)
    result = maild(config, *command)
    assert result.returncode == 1
    assert "no database at" in result.stderr and "has not stored any mail" in result.stderr
    assert not state.exists()


def test_a_command_that_only_reads_says_when_postgresql_holds_no_store() -> None:
    with scratch_schema() as url, pytest.raises(StoreError, match="no maild tables"):
        open_existing_database(url)


def test_every_mail_leaves_one_line_in_the_log(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(message_id="<first@customer.example>"))
    dovecot.append(customer_mail(headers={"Auto-Submitted": "auto-replied"}, sender="robot@customer.example",
                                 subject="Automatic reply: away", message_id="<away@customer.example>"))
    result = maild(config_file, "once")
    lines = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if " maild.steps." in line]
    assert any(re.fullmatch(r"mail first@customer\.example from alice@customer\.example: "
                            r"new ticket TS\d{11}, ack queued", line) for line in lines), lines
    assert "mail away@customer.example from robot@customer.example: screened: auto-reply" in lines
    assert any(re.fullmatch(r"outbox \d+ to alice@customer\.example: sent \(.*\)", line) for line in lines)


def test_under_systemd_the_log_has_journal_priorities_and_no_timestamps(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    result = subprocess.run([sys.executable, "-m", "maild", "-c", str(config_file), "once"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "JOURNAL_STREAM": "8:12345"})
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(("<6>", "<4>", "<3>")) for line in lines)
    assert any(line.startswith("<6>maild.steps.process: mail ") for line in lines)
