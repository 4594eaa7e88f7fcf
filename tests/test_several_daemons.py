"""Several `maild run` on one PostgreSQL store: one fetches the mailbox, all process, every mail
is one ticket with one acknowledgement, and when the fetcher dies another takes over."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from maild.testing.configs import local_config
from maild.testing.postgres import scratch_schema

from .mails import customer_mail
from .test_daemon import receive_until
from .test_triage import TEAM


@pytest.fixture
def shared_store(dovecot, smtp_sink, state_dir) -> Path:
    with scratch_schema() as url:
        path = state_dir / "maild.toml"
        path.write_text(local_config(dovecot, smtp_sink, url, state_dir), encoding="utf-8")
        yield path


def start(config_file: Path, name: str, tmp_path: Path) -> tuple[subprocess.Popen, socket.socket]:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / f"{name}.sock"))
    notify.settimeout(15)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / f"{name}.sock")}
    daemon = subprocess.Popen([sys.executable, "-m", "maild", "-c", str(config_file), "run"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{name}.log", "wb"))
    receive_until(notify, "READY=1")
    return daemon, notify


def stop(daemon: subprocess.Popen) -> int:
    daemon.send_signal(signal.SIGTERM)
    return daemon.wait(timeout=15)


def acknowledged(sink) -> Counter:
    return Counter(received.message["To"] for received in sink.messages)


def test_two_daemons_share_the_work_and_answer_every_mail_once(shared_store, dovecot, smtp_sink, tmp_path) -> None:
    daemons = [start(shared_store, name, tmp_path) for name in ("a", "b")]
    try:
        dovecot.append_many(customer_mail(subject=f"Problem {n}", sender=f"user{n}@customer.example")
                            for n in range(80))
        smtp_sink.wait_for(80, timeout=60)
    finally:
        assert [stop(daemon) for daemon, _ in daemons] == [0, 0]
    counts = acknowledged(smtp_sink)
    assert len(counts) == 80 and set(counts.values()) == {1}


def test_when_the_fetching_daemon_dies_another_fetches(shared_store, dovecot, smtp_sink, tmp_path) -> None:
    first, _ = start(shared_store, "first", tmp_path)
    dovecot.append(customer_mail(subject="before", sender="early@customer.example"))
    smtp_sink.wait_for(1, timeout=30)  # the first daemon is the mailbox's fetcher now
    second, _ = start(shared_store, "second", tmp_path)
    first.send_signal(signal.SIGKILL)
    first.wait()
    try:
        dovecot.append(customer_mail(subject="after", sender="late@customer.example"))
        smtp_sink.wait_for(2, timeout=30)
    finally:
        assert stop(second) == 0
    assert set(acknowledged(smtp_sink)) == {"Alice Smith <early@customer.example>",
                                            "Alice Smith <late@customer.example>"}


def test_two_processes_fire_each_due_timer_once(dovecot, smtp_sink, state_dir) -> None:
    with scratch_schema() as url:
        config = state_dir / "maild.toml"
        config.write_text(local_config(dovecot, smtp_sink, url, state_dir, **TEAM), encoding="utf-8")
        for n in range(20):
            dovecot.append(customer_mail(subject=f"system down {n}", sender=f"c{n}@customer.example"))
        opened = subprocess.run([sys.executable, "-m", "maild", "-c", str(config), "--now", "2026-11-25T09:30:00+08:00",
                                 "once"], capture_output=True, text=True, timeout=120)
        assert opened.returncode == 0, opened.stderr
        smtp_sink.clear()
        later = [sys.executable, "-m", "maild", "-c", str(config), "--now", "2026-11-25T11:00:00+08:00", "once"]
        both = [subprocess.Popen(later, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
        assert [p.wait(timeout=120) for p in both] == [0, 0]
        reminders = [m.message["To"].addresses[0].addr_spec for m in smtp_sink.messages]
        assert len(reminders) == 20 and set(reminders) == {"wang@example.com"}  # each P0's first-response reminder
