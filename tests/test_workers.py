"""A step in a process of its own: drained when woken, its total and its faults back in maild."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from maild.clock import FrozenClock
from maild.errors import StoreError
from maild.workers import StepProcess

CLOCK = FrozenClock(datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc))


class ThreePieces:
    name = "three"

    def __init__(self) -> None:
        self.left, self.total = 3, 0

    def run(self, now: datetime) -> int:
        if not self.left:
            return 0
        self.left -= 1
        self.total += 1
        return 1


class LosesTheDatabase:
    name = "lost"
    total = 0

    def run(self, now: datetime) -> int:
        raise StoreError("database: server closed the connection unexpectedly")


def test_a_step_process_does_all_its_work_and_reports_its_total(database_url) -> None:
    with StepProcess("three", ThreePieces, database_url, CLOCK) as worker:
        worker.wake()
    assert worker.total == 3


def test_a_fault_in_a_step_process_is_raised_in_maild(database_url) -> None:
    with pytest.raises(StoreError, match="server closed the connection"):
        with StepProcess("lost", LosesTheDatabase, database_url, CLOCK) as worker:
            worker.wake()
