"""Cost per mail as the store grows: `maild once` on successive mailboxes of 1,000 into one store.

    python benchmarks/scaling.py [--batches 20] [--mails 1000] [--loaded 100000] [--database sqlite|postgresql]

Each batch is 1,000 new mixed mails (new senders, so the rate limit never screens them) appended to
the same private Dovecot mailbox; `maild once` takes them into the store that already holds the
earlier batches' tickets. Printed: mails/s of each batch with the tickets stored before it, and
the last batch against the first (target: flat, the ratio at least 0.9). Then a fast loader
writes tickets straight into the store (with their intake records, participants, articles and
sent acknowledgements, as maild would) up to --loaded, and one more batch shows the rate there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta, timezone

from common import MailSet, generate, maild, maild_command, rig, run_measured, verdict

FLAT_TARGET = 0.9
LOAD_CHUNK = 500


def batch(bench, number: int, mails: int) -> tuple[float, int]:
    """Append one mailbox of mails and take it in; (mails/s, tickets stored before)."""
    before = sum(json.loads(maild(bench.config, "status", "--json"))["tickets"].values())
    bench.dovecot.append_many(generate(mails, number, MailSet(), tag=f"scale{number}", profile="mixed",
                                       first=number * mails))
    run = run_measured(maild_command(bench.config, "once"), bench.scratch / "once.log", bench.scratch / "once.json")
    if run["returncode"] != 0:
        raise RuntimeError((bench.scratch / "once.log").read_text()[-2000:])
    return mails / run["wall"], before


def load_tickets(config, count: int) -> None:
    """Write `count` tickets as maild leaves them, a few hundred rows per statement."""
    from maild.config import load_config
    from maild.store.db import open_database, transaction
    from maild.store.sql import run, utc

    db = open_database(load_config(config).database.url)
    when = utc(datetime(2020, 1, 1, tzinfo=timezone.utc))
    for start in range(0, count, LOAD_CHUNK):
        numbers = range(start, min(start + LOAD_CHUNK, count))
        with transaction():
            rows = _values(f"('TS20200101L{n:07d}', 'closed', 'loaded{n}@customer.example', 'Loaded', 'Old problem {n}', "
                           f"'en', 'email', ?, ?)" for n in numbers)
            ids = [row[0] for row in run("INSERT INTO ticket (number, status, customer, customer_name, subject, "
                                         "language, channel, created_at, updated_at) VALUES " + rows + " RETURNING id",
                                         [when] * (2 * len(numbers))).fetchall()]
            pairs = list(zip(numbers, ids))
            run("INSERT INTO intake (ticket_id, customer_address, customer_name, subject, body, channel, received_by, "
                "received_at, recorded_at) VALUES " + _values(
                    f"({t}, 'loaded{n}@customer.example', 'Loaded', 'Old problem {n}', 'It broke.', 'email', 'maild', ?, ?)"
                    for n, t in pairs), [when] * (2 * len(pairs)))
            run("INSERT INTO participant (ticket_id, address, role) VALUES " + _values(
                f"({t}, 'loaded{n}@customer.example', 'customer')" for n, t in pairs))
            out = [row[0] for row in run(
                "INSERT INTO outbound (dedupe_key, message_id, ticket_id, kind, sender, recipients, rate_key, raw, status, "
                "attempts, next_attempt_at, created_at, sent_at) VALUES " + _values(
                    f"('ack:loaded{n}', 'maild.loaded{n}@example.com', {t}, 'ack', 'support@example.com', "
                    f"'loaded{n}@customer.example', 'loaded{n}@customer.example', ?, 'sent', 1, ?, ?, ?)"
                    for n, t in pairs) + " RETURNING id", [b"Subject: loaded\r\n\r\nx\r\n", when, when, when] * len(pairs)
            ).fetchall()]
            run("INSERT INTO article (ticket_id, direction, sender, recipients, subject, body, created_at, message_id, "
                "outbound_id) VALUES " + _values(
                    f"({t}, 'out', 'support@example.com', 'loaded{n}@customer.example', 'Old problem {n}', 'Received.', ?, "
                    f"'maild.loaded{n}@example.com', {o})" for (n, t), o in zip(pairs, out)), [when] * len(pairs))
    db.close()


def _values(rows) -> str:
    return ", ".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--loaded", type=int, default=100_000, help="tickets in the store for the last point (0: skip)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    rates = []
    with rig("maild-scaling-", args.database) as bench:
        print(f"{args.batches} batches of {args.mails} mixed mails into one {args.database} store")
        print(f"{'batch':>5} {'tickets before':>15} {'mails/s':>9}")
        for number in range(args.batches):
            rate, before = batch(bench, number, args.mails)
            rates.append(rate)
            print(f"{number + 1:5} {before:15} {rate:9.1f}")
        if args.loaded:
            stored = sum(json.loads(maild(bench.config, "status", "--json"))["tickets"].values())
            started = time.perf_counter()
            load_tickets(bench.config, max(0, args.loaded - stored))
            print(f"fast loader: {max(0, args.loaded - stored)} tickets in {time.perf_counter() - started:.1f} s")
            rate, before = batch(bench, args.batches, args.mails)
            print(f"{'at':>5} {before:15} {rate:9.1f}")
            rates.append(rate)
    ratio = rates[-1] / rates[0]
    print(f"last / first batch {ratio:.2f}   target >= {FLAT_TARGET}   {verdict(ratio >= FLAT_TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
