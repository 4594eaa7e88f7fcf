"""Killed in the middle of a batch and restarted: every mail stored once, one ack per ticket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from maild.store import queries
from maild.store.db import open_database
from maild.store.models import Inbound, Ticket

from .mails import customer_mail

MAILS = 150


def maild(config_file: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "maild", "-c", str(config_file), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_when(process: subprocess.Popen, ready, timeout: float = 60) -> bool:
    """SIGKILL the process as soon as `ready()` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.wait()
    return False


def test_sigkill_mid_batch_loses_nothing_and_sends_no_second_ack(config_file, database_url, dovecot,
                                                                   smtp_sink) -> None:
    dovecot.append_many(customer_mail(subject=f"Problem {n}", sender=f"user{n}@customer.example")
                        for n in range(MAILS))
    open_database(database_url)
    kill_when(maild(config_file, "once"), lambda: 0 < Inbound.select().count())  # mid-fetch, if it can
    killed_in_process = kill_when(maild(config_file, "once"),
                                  lambda: 0 < Ticket.select().count() < MAILS - 20)
    final = maild(config_file, "once")
    assert final.wait(timeout=120) == 0, final.stderr.read().decode()
    assert killed_in_process, "the second run finished before it could be killed while processing"

    assert Inbound.select().count() == MAILS
    assert queries.status()["quarantined"] == 0
    assert Ticket.select().count() == MAILS
    acks = Counter(received.message["To"] for received in smtp_sink.wait_for(MAILS))
    assert len(acks) == MAILS and set(acks.values()) == {1}
    assert len(dovecot.list_messages()) == MAILS  # nothing was deleted from the mailbox


def test_two_processes_sharing_one_store_make_one_ticket_and_one_ack_per_mail(config_file, database_url,
                                                                               dovecot, smtp_sink) -> None:
    dovecot.append_many(customer_mail(subject=f"Problem {n}", sender=f"user{n}@customer.example")
                        for n in range(60))
    runs = [maild(config_file, "once") for _ in range(2)]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read().decode()
    open_database(database_url)
    assert Ticket.select().count() == 60
    numbers = [t.number for t in Ticket.select()]
    assert len(set(numbers)) == 60
    acks = Counter(received.message["To"] for received in smtp_sink.wait_for(60))
    assert len(acks) == 60 and set(acks.values()) == {1}
