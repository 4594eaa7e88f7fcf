"""Cost per mail as the store grows: `maild once` on successive mailboxes of 1,000 into one store.

    python benchmarks/scaling.py [--batches 20] [--mails 1000] [--loaded 100000] [--database sqlite|postgresql]

Each batch is 1,000 new mixed mails (new senders, so the rate limit never screens them) appended to
the same private Dovecot mailbox; `maild once` takes them into the store that already holds the
earlier batches' tickets. Printed: mails/s of each batch with the tickets stored before it. Then a
fast loader writes tickets straight into the store (with their intake records, participants,
articles and sent acknowledgements, as maild would) up to --loaded, and three more batches show
the rate there. The verdict compares medians of three batches, one batch being a fifth off on a
shared machine: those at --loaded (or the last three) against batches 2-4, where the store holds
1,000 to 3,000 tickets (the first one goes into an empty store); target: flat, at least 0.9.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone

from common import MailSet, generate, maild, maild_command, median, rig, run_measured, verdict

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

    db = open_database(load_config(config).database.url)
    for start in range(0, count, LOAD_CHUNK):
        with transaction():
            _load_chunk(range(start, min(start + LOAD_CHUNK, count)))
    db.close()


def _load_chunk(numbers: range) -> None:
    from maild.store.sql import run, utc

    when = utc(datetime(2020, 1, 1, tzinfo=timezone.utc))
    customer = "'loaded{n}@customer.example'"

    def insert(table: str, columns: str, row: str, rows, per_row: list, returning: bool = False) -> list[int]:
        values = ", ".join(row.format(n=n, t=t, o=o, customer=customer.format(n=n)) for n, t, o in rows)
        cursor = run(f"INSERT INTO {table} ({columns}) VALUES {values}" + (" RETURNING id" if returning else ""),
                     per_row * len(rows))
        return [found[0] for found in cursor.fetchall()] if returning else []

    tickets = insert("ticket", "number, status, customer, customer_name, subject, language, channel, created_at, "
                     "updated_at", "('TS20200101L{n:07d}', 'closed', {customer}, 'Loaded', 'Old problem {n}', 'en', "
                     "'email', ?, ?)", [(n, None, None) for n in numbers], [when, when], returning=True)
    rows = [(n, t, None) for n, t in zip(numbers, tickets)]
    insert("intake", "ticket_id, customer_address, customer_name, subject, body, channel, received_by, received_at, "
           "recorded_at", "({t}, {customer}, 'Loaded', 'Old problem {n}', 'It broke.', 'email', 'maild', ?, ?)",
           rows, [when, when])
    insert("participant", "ticket_id, address, role", "({t}, {customer}, 'customer')", rows, [])
    sent = insert("outbound", "dedupe_key, message_id, ticket_id, kind, sender, recipients, rate_key, raw, status, "
                  "attempts, next_attempt_at, created_at, sent_at", "('ack:loaded{n}', 'maild.loaded{n}@example.com', "
                  "{t}, 'ack', 'support@example.com', {customer}, {customer}, ?, 'sent', 1, ?, ?, ?)", rows,
                  [b"Subject: loaded\r\n\r\nx\r\n", when, when, when], returning=True)
    insert("article", "ticket_id, direction, sender, recipients, subject, body, created_at, message_id, outbound_id",
           "({t}, 'out', 'support@example.com', {customer}, 'Old problem {n}', 'Received.', ?, "
           "'maild.loaded{n}@example.com', {o})", [(n, t, o) for (n, t, _), o in zip(rows, sent)], [when])


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
            for extra in range(3):
                rate, before = batch(bench, args.batches + extra, args.mails)
                print(f"{'at':>5} {before:15} {rate:9.1f}")
                rates.append(rate)
    start, end = median(rates[1:4]), median(rates[-3:])
    print(f"end / start {end / start:.2f}   target >= {FLAT_TARGET}   {verdict(end / start >= FLAT_TARGET)}   "
          f"(medians of three batches: {end:.0f} mails/s at the end, {start:.0f} with 1,000-3,000 tickets stored)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
