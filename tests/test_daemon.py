"""`maild run`: IDLE wakes it at once, systemd hears READY/WATCHDOG/STOPPING, SIGTERM is graceful."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from maild.adapters.sdnotify import Notifier
from maild.testing.configs import local_config
from maild.testing.dovecot import PrivateDovecot

from .mails import customer_mail


@pytest.fixture
def notify_socket(tmp_path: Path):
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(15)
    yield sock
    sock.close()


def receive_until(sock: socket.socket, wanted: str) -> list[str]:
    seen = []
    while wanted not in seen:
        seen.append(sock.recv(4096).decode())
    return seen


def start_daemon(config_file: Path, notify: socket.socket) -> subprocess.Popen:
    env = {**os.environ, "NOTIFY_SOCKET": notify.getsockname(), "WATCHDOG_USEC": "2000000"}
    return subprocess.Popen([sys.executable, "-m", "maild", "-c", str(config_file), "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(config_file.parent / "daemon.log", "wb"))


def test_a_mail_arriving_while_idle_is_acknowledged_within_seconds(config_file, dovecot, smtp_sink,
                                                                   notify_socket) -> None:
    daemon = start_daemon(config_file, notify_socket)
    try:
        receive_until(notify_socket, "READY=1")
        started = time.monotonic()
        dovecot.append(customer_mail())
        [ack] = smtp_sink.wait_for(1, timeout=10)
        assert time.monotonic() - started < 5
        assert ack.message["Subject"].startswith("[TS")
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0, daemon.stderr.read().decode()


def test_without_idle_the_daemon_polls_the_mailbox(config_file, dovecot, smtp_sink, notify_socket) -> None:
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace("[imap]\n", "[imap]\nidle = false\n"), encoding="utf-8")
    daemon = start_daemon(config_file, notify_socket)
    try:
        receive_until(notify_socket, "READY=1")
        dovecot.append(customer_mail())
        assert len(smtp_sink.wait_for(1, timeout=10)) == 1
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0


def test_the_daemon_feeds_the_watchdog_and_says_when_it_stops(config_file, dovecot, smtp_sink,
                                                              notify_socket) -> None:
    daemon = start_daemon(config_file, notify_socket)
    receive_until(notify_socket, "READY=1")
    receive_until(notify_socket, "WATCHDOG=1")
    daemon.send_signal(signal.SIGTERM)
    receive_until(notify_socket, "STOPPING=1")
    assert daemon.wait(timeout=15) == 0


def test_a_listener_that_stops_reading_never_blocks_the_daemon(notify_socket) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": notify_socket.getsockname()})
    started = time.monotonic()
    for _ in range(2000):  # far past the socket's queue; nobody reads
        notifier.notify("WATCHDOG=1")
    assert time.monotonic() - started < 5


def test_the_daemon_reconnects_each_time_the_imap_server_restarts(smtp_sink, state_dir, notify_socket) -> None:
    with PrivateDovecot() as own_dovecot:
        config_file = state_dir / "maild.toml"
        config_file.write_text(local_config(own_dovecot, smtp_sink, f"sqlite:///{state_dir / 'maild.db'}",
                                            state_dir), encoding="utf-8")
        daemon = start_daemon(config_file, notify_socket)
        try:
            receive_until(notify_socket, "READY=1")
            time.sleep(0.5)
            for restart in range(1, 6):  # each outage backs off afresh: every recovery takes seconds
                own_dovecot.restart(down_for=0.5)
                own_dovecot.append(customer_mail(subject=f"After restart {restart}",
                                                 sender=f"user{restart}@customer.example"))
                assert len(smtp_sink.wait_for(restart, timeout=8)) == restart
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=15) == 0
