"""One timer pass as the store grows: the timers step with 100 timers due, among 10,000 and
100,000 tickets (a tenth of them open).

    python benchmarks/timers.py [--tickets 100000] [--due 100] [--database sqlite|postgresql] [--repeat 5]

The store is loaded straight (as maild leaves tickets: intake record, the trail's first lines,
the open ones with their next look in an hour), then `--due` open tickets are made due now: a
P2 received 19 hours ago, so one timer of each fires, the reminder to the assignee at 75 % of
the first answer's 24 hours (a mail queued, a line on the trail, the latch). The
figure is the wall time of one `Timers.run(now)` in this process, the median of `--repeat`
passes over fresh copies of the due tickets; the smaller store (a tenth) is the baseline of the
same run: the pass must not grow with the closed tickets. Target: under 200 ms on SQLite at
100,000 tickets. No mail server is needed: what fires is queued in the outbox.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone

from common import TEAM, database_url, median, scratch_dir, verdict

from maild.config import config_from_dict

TARGET_MS = 200
CHUNK = 500
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)  # 14:00 on a Wednesday in Shanghai


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    figures = {}
    for tickets in (args.tickets // 10, args.tickets):
        figures[tickets] = measure(tickets, args.due, args.database, args.repeat)
        print(f"{tickets:>8} tickets ({tickets // 10} open), {args.due} due: one pass {figures[tickets]:7.1f} ms"
              f" (median of {args.repeat})")
    small, large = figures[args.tickets // 10], figures[args.tickets]
    print(f"{'pass at ' + str(args.tickets) + ' tickets':32} {large:7.1f} ms   target < {TARGET_MS} ms   "
          f"{verdict(large < TARGET_MS)}")
    print(f"{'growth, large/small store':32} {large / small:7.2f}    (it must not grow with the closed tickets)")
    return 0


def measure(count: int, due: int, database: str, repeat: int) -> float:
    from maild.outgoing.notices import MailWriter
    from maild.outgoing.templates import renderer_for
    from maild.steps.timers import Timers
    from maild.store.db import open_database, transaction

    with scratch_dir("maild-timers-", under="/var/tmp") as state, database_url(database, state) as url:
        config = config_from_dict({
            "imap": {"host": "127.0.0.1", "username": "support@example.com", "password": "unused"},
            "smtp": {"host": "127.0.0.1"}, "database": {"url": url},
            "helpdesk": {"address": "support@example.com", "name": "Example Support", "timezone": "Asia/Shanghai",
                         "state_dir": str(state)},
            **TEAM})
        if count // 10 < due * repeat:
            raise SystemExit(f"{count} tickets have {count // 10} open: too few for {repeat} passes of {due} due")
        db = open_database(url)
        for start in range(0, count, CHUNK):
            with transaction():
                load(range(start, min(start + CHUNK, count)), open_every=10)
        step = Timers(config, MailWriter(config.helpdesk, renderer_for(config.helpdesk), b"k" * 32))
        passes = []
        for _ in range(repeat):
            with transaction():
                make_due(due)
            fired = step.total
            started = time.perf_counter()
            step.run(NOW)
            passes.append((time.perf_counter() - started) * 1000)
            assert step.total - fired == due, f"fired {step.total - fired}, expected {due}"
            while step.run(NOW):  # the fired tickets are looked at again: not part of the figure
                pass
        db.close()
        return median(passes)


def load(numbers: range, open_every: int) -> None:
    """Tickets as maild leaves them; every `open_every`-th one open, P2, its next look in an hour."""
    from maild.store.sql import run, utc

    received = NOW - timedelta(hours=1)
    rows = []
    for n in numbers:
        is_open = n % open_every == 0
        rows.append((f"TS20261125L{n:07d}", "in-progress" if is_open else "closed", f"c{n}@customer.example",
                     "P2", "li@example.com", utc(received), utc(received), utc(received),
                     utc(NOW + timedelta(hours=1)) if is_open else None))
    ids = [found for found, in run(
        "INSERT INTO ticket (number, status, customer, customer_name, subject, language, channel, priority, "
        "assignee, assigned_at, created_at, updated_at, timers_at) VALUES "
        + ", ".join(["(?, ?, ?, 'Loaded', 'Cannot log in', 'zh', 'email', ?, ?, ?, ?, ?, ?)"] * len(rows))
        + " RETURNING id", [v for row in rows for v in row]).fetchall()]
    run("INSERT INTO intake (ticket_id, customer_address, customer_name, subject, body, channel, received_by, "
        "received_at, recorded_at) VALUES " + ", ".join(["(?, ?, 'Loaded', 'Cannot log in', 'It broke.', 'email', "
                                                          "'maild', ?, ?)"] * len(ids)),
        [v for ticket_id, row in zip(ids, rows) for v in (ticket_id, row[2], row[5], row[5])])
    run("INSERT INTO event (ticket_id, at, kind, actor, detail, status) VALUES "
        + ", ".join(["(?, ?, 'opened', 'maild', '', 'new'), (?, ?, 'assigned', 'maild', '', 'new')"] * len(ids)),
        [v for ticket_id, row in zip(ids, rows) for v in (ticket_id, row[5], ticket_id, row[5])])


def make_due(due: int) -> None:
    """`due` open tickets received 19 hours ago, their next look now: a first answer is due soon."""
    from maild.store.sql import run, utc

    long_ago = utc(NOW - timedelta(hours=19))
    chosen = [ticket_id for ticket_id, in run(  # tickets not made due before: received an hour ago
        "SELECT t.id FROM ticket t JOIN intake i ON i.ticket_id = t.id WHERE t.status = 'in-progress' "
        "AND i.received_at > ? ORDER BY t.id LIMIT ?", (long_ago, due)).fetchall()]
    marks = ", ".join("?" * len(chosen))
    run(f"UPDATE ticket SET timers_at = ? WHERE id IN ({marks})", [utc(NOW), *chosen])
    run(f"UPDATE intake SET received_at = ? WHERE ticket_id IN ({marks})", [long_ago, *chosen])


if __name__ == "__main__":
    sys.exit(main())
