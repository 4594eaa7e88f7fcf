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
from maild.steps.flush import BATCH
from maild.store.models import Inbound, Outbound, Ticket

from .mails import customer_mail

MAILS = 150


def maild(config_file: Path, *args: str) -> subprocess.Popen:
    """maild in a process group of its own, as systemd gives it a control group."""
    return subprocess.Popen([sys.executable, "-m", "maild", "-c", str(config_file), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def kill_when(process: subprocess.Popen, ready, timeout: float = 60, whole_group: bool = True) -> bool:
    """SIGKILL maild (all its processes, as a crash of the service would, or only the first) as
    soon as `ready()` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            if whole_group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.wait()
    return False


def group_ended(process: subprocess.Popen, timeout: float = 10) -> bool:
    """True once no process of maild's group runs any more (a zombie waiting to be reaped has ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running_in_group(process.pid):
            return True
        time.sleep(0.01)
    return False


def running_in_group(group: int) -> list[int]:
    running = []
    for entry in Path("/proc").iterdir():
        try:
            state, _parent, pgrp = (entry / "stat").read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue  # not a process, or gone meanwhile
        if int(pgrp) == group and state != "Z":
            running.append(int(entry.name))
    return running


def test_sigkill_mid_batch_loses_nothing_and_queues_one_ack_per_ticket(config_file, database_url, dovecot,
                                                                         smtp_sink) -> None:
    dovecot.append_many(customer_mail(subject=f"Problem {n}", sender=f"user{n}@customer.example")
                        for n in range(MAILS))
    open_database(database_url)
    kill_when(maild(config_file, "once"), lambda: 0 < Inbound.select().count())  # mid-fetch, if it can
    killed_in_process = kill_when(maild(config_file, "once"),
                                  lambda: 0 < Ticket.select().count() < MAILS - 20)
    finish(maild(config_file, "once"))
    assert killed_in_process, "the second run finished before it could be killed while processing"

    assert Inbound.select().count() == MAILS
    assert queries.status()["quarantined"] == 0
    assert Ticket.select().count() == MAILS
    assert acks_queued_per_ticket() == Counter({1: MAILS})
    assert len(dovecot.list_messages()) == MAILS  # nothing was deleted from the mailbox

    # Mail goes out while later mail is processed, so the kill may have caught an SMTP batch in
    # flight: those rows wait for the dead sender's lease; every other ack went out exactly once.
    in_flight = {row.recipients for row in Outbound.select().where(Outbound.status == "queued")}
    assert len(in_flight) <= BATCH
    first_acks = acks_by_recipient(smtp_sink)
    assert set(first_acks.values()) == {1}
    assert set(first_acks) | in_flight == {f"user{n}@customer.example" for n in range(MAILS)}

    # Once the lease has run out they are sent; only those the server had taken before the kill
    # arrive twice (the at-least-once window, at most one batch).
    Outbound.update(next_attempt_at=Outbound.created_at).where(Outbound.status == "queued").execute()
    finish(maild(config_file, "once"))
    acks = acks_by_recipient(smtp_sink)
    assert len(acks) == MAILS
    assert {to for to, count in acks.items() if count > 1} <= in_flight & set(first_acks)


def test_mail_in_flight_when_its_sender_dies_goes_at_the_next_start_and_only_what_was_taken_twice(
        config_file, database_url, dovecot, smtp_sink) -> None:
    dovecot.append_many(customer_mail(subject=f"Problem {n}", sender=f"user{n}@customer.example")
                        for n in range(10))
    smtp_sink.answer_slowly(0.2)
    open_database(database_url)
    killed = maild(config_file, "once")
    assert kill_when(killed, lambda: len(smtp_sink.messages) >= 3)
    assert group_ended(killed)
    taken = set(acks_by_recipient(smtp_sink))
    smtp_sink.answer_slowly(0)

    assert Outbound.select().where(Outbound.status == "queued").count() > 0

    finish(maild(config_file, "once"))  # takes the dead sender's claims back: nobody waits out its lease
    acks = acks_by_recipient(smtp_sink)
    assert len(acks) == 10
    assert {to for to, count in acks.items() if count > 1} <= taken


def test_a_killed_maild_leaves_none_of_its_processes_behind(config_file, database_url, dovecot,
                                                            smtp_sink) -> None:
    dovecot.append_many(customer_mail(subject=f"Problem {n}", sender=f"user{n}@customer.example")
                        for n in range(10))
    smtp_sink.answer_slowly(0.2)
    open_database(database_url)
    killed = maild(config_file, "once")
    assert kill_when(killed, lambda: len(smtp_sink.messages) >= 1, whole_group=False)  # the first process only
    sent_when_killed = len(smtp_sink.messages)
    assert group_ended(killed), "a helper process outlived maild"
    assert len(smtp_sink.messages) <= sent_when_killed + 1  # at most the one already on the wire


def finish(process: subprocess.Popen) -> None:
    assert process.wait(timeout=120) == 0, process.stderr.read().decode()


def acks_queued_per_ticket() -> Counter[int]:
    return Counter(Counter(row.ticket_id for row in Outbound.select().where(Outbound.kind == "ack")).values())


def acks_by_recipient(smtp_sink) -> Counter[str]:
    return Counter(to for received in smtp_sink.messages for to in received.rcpt_tos)


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
