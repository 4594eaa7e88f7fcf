"""What an admin sees while a long `maild once` runs: a progress line on a terminal, nothing elsewhere."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from maild.progress import Counts, line
from maild.testing.configs import local_config

from .mails import customer_mail
from .test_cli import maild


def test_the_progress_line_counts_against_the_total_and_gives_a_rate() -> None:
    assert line(Counts(fetched=400, total=1000, processed=300, sent=290), seconds=2.0) == (
        "fetched 400/1000, processed 300/1000, sent 290, 150 mails/s")


def run_on_a_terminal(*args: str) -> str:
    """The command with stdout and stderr on a pseudo-terminal, as an admin's shell runs it."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "maild", *args], stdout=terminal, stderr=terminal,
                               stdin=subprocess.DEVNULL)
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=120)
    os.close(controller)
    return output.decode("utf-8", "replace")


def test_once_on_a_terminal_shows_its_progress_then_the_summary(dovecot, smtp_sink, database_url, state_dir) -> None:
    config_file = state_dir / "maild.toml"
    config_file.write_text(local_config(dovecot, smtp_sink, database_url, state_dir, imap={"batch_size": 10}))
    dovecot.append_many(customer_mail(sender=f"c{n}@customer.example") for n in range(30))
    output = run_on_a_terminal("-c", str(config_file), "once")
    assert "fetched 10/30, processed" in output and "fetched 20/30" in output and "mails/s" in output
    summary = output.rsplit("\x1b[K", 1)[1]  # the progress line erased, the summary after it
    assert "fetched 30, processed 30, sent 30" in summary


def test_once_off_a_terminal_writes_no_progress(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    result = maild(config_file, "once")
    assert "mails/s" not in result.stderr and "\r" not in result.stderr
