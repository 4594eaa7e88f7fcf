"""The steps of the mail loop: fetch, process, flush (later timers, archive, report).

Every step has one shape, `run(now) -> int`: do one bounded piece of work and say how much was
done, 0 when there is nothing to do now. `maild once` drains the steps until all of them say 0;
the daemon schedules the same steps. A step imports every layer below it, never another step.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Callable, Protocol, Sequence


class Step(Protocol):
    name: str

    def run(self, now: datetime) -> int: ...


def drain(steps: Sequence[Step], now: Callable[[], datetime], stopping: Callable[[], bool] = lambda: False,
          progress: Callable[[str, int], None] = lambda name, work: None) -> Counter[str]:
    """Run each step until it has nothing left, in order, and again until a whole round found
    nothing to do (a later step can make work for an earlier one). Returns the work per step."""
    done: Counter[str] = Counter()
    while not stopping():
        before = sum(done.values())
        for step in steps:
            while not stopping() and (work := step.run(now())):
                done[step.name] += work
                progress(step.name, work)
        if sum(done.values()) == before:
            break
    return done
