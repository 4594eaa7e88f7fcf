"""The steps of the mail loop: fetch, process, flush (later timers, archive, report).

Every step has one shape, `run(now) -> int`: do one bounded piece of work and say how much was
done, 0 when there is nothing to do now. `maild once` drains the steps until all of them say 0;
the daemon schedules the same steps. A step imports every layer below it, never another step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Step(Protocol):
    name: str

    def run(self, now: datetime) -> int: ...
