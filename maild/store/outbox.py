"""The durable outbox: rows queued in the transaction that decided them, claimed for sending
with a lease. Callers hold the transaction (db.transaction).

A row is claimed by pushing its next attempt past a lease, so several senders (PostgreSQL:
SKIP LOCKED) never send the same row at once; a sender that dies mid-send leaves the row to be
tried again when the lease runs out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from .db import is_postgresql
from .models import Outbound
from .sql import aware, later, marks, rows, run, utc

LEASE = timedelta(minutes=5)
HOUR = timedelta(hours=1)  # screen.automatic_per_hour's window


_ENQUEUE = ("INSERT INTO outbound (dedupe_key, message_id, ticket_id, inbound_id, kind, sender, recipients, "
            "rate_key, automatic, raw, status, attempts, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?) "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id")
_ARTICLE_COLUMNS = "ticket_id, direction, sender, recipients, subject, body, created_at, message_id, outbound_id"


def enqueue(*, dedupe_key: str, raw: bytes, message_id: str, kind: str, sender: str, recipients: list[str],
            now: datetime, ticket_id: int | None, inbound_id: int | None = None) -> bool:
    """Queue a mail once per dedupe key, without an article (staff mail); it needs no answer and
    travels with the next statement, so it counts as queued (a key queued before is a replay's)."""
    later(_ENQUEUE.removesuffix(" RETURNING id"), (dedupe_key, message_id, ticket_id, inbound_id, kind, sender,
                                                   ",".join(recipients), None, False, Outbound.raw.db_value(raw),
                                                   utc(now), utc(now)))
    return True


def enqueue_on_thread(*, dedupe_key: str, raw: bytes, message_id: str, kind: str, sender: str,
                      recipients: list[str], now: datetime, ticket_id: int, subject: str, text: str,
                      rate_key: str | None = None, inbound_id: int | None = None, automatic: bool = False) -> bool:
    """Queue a mail once per dedupe key and show it on its ticket's thread (an article, `text`
    its body); False when that key was queued before, and then no article either. `inbound_id`:
    the mail that caused it; `automatic`: maild's own mail to the customer, which the hourly cap
    counts and a suppressed address never gets.

    On PostgreSQL one statement does both, and it needs no answer: it travels with the next
    (sql.later), and the mail counts as queued. A dedupe key queued before is a replay's, which
    automatic answers, counted by the rate limit, never are."""
    outbound = (dedupe_key, message_id, ticket_id, inbound_id, kind, sender, ",".join(recipients), rate_key,
                automatic, Outbound.raw.db_value(raw), utc(now), utc(now))
    article = (ticket_id, "out", sender, ",".join(recipients), subject, text, utc(now), message_id)
    if is_postgresql():
        later(f"WITH queued AS ({_ENQUEUE}) INSERT INTO article ({_ARTICLE_COLUMNS}) "
              f"SELECT {marks(len(article))}, id FROM queued", outbound + article)
        return True
    found = run(_ENQUEUE, outbound).fetchone()
    if found is None:
        return False
    later(f"INSERT INTO article ({_ARTICLE_COLUMNS}) VALUES ({marks(len(article) + 1)})", (*article, found[0]))
    return True


# Advisory locks per address answered (PostgreSQL): their class names the schema, as in store/inbound.
RATES = "hashtext(current_schema() || ':maild-rate')"


def automatic_mails_since(addresses: Collection[str], since: datetime) -> Counter[str]:
    """How many automatic mails went to each of these addresses since then (the rate limit's
    count), in one query for a whole batch.

    On PostgreSQL the addresses are locked first, until the caller's transaction ends: two
    processes answering the same address count in turn, each after the other's answers are
    committed, so together they never pass the limit (in sorted order: never a deadlock)."""
    if not addresses:
        return Counter()
    if is_postgresql():
        ordered = sorted(addresses)
        later(f"SELECT pg_advisory_xact_lock({RATES}, hashtext(address)) "
              f"FROM unnest(ARRAY[{marks(len(ordered))}]::text[]) WITH ORDINALITY AS a(address, place) "
              "ORDER BY place", ordered)
    found = rows(f"SELECT rate_key, COUNT(*) FROM outbound WHERE rate_key IN ({marks(len(addresses))}) "
                 "AND created_at >= ? GROUP BY rate_key", [*addresses, utc(since)])
    return Counter(dict(found))


@dataclass(frozen=True)
class Claimed:
    """A row taken for one attempt, with what sending it and deciding its next state need."""

    id: int
    attempts: int  # this attempt included
    created_at: datetime
    raw: bytes
    sender: str
    recipients: tuple[str, ...]
    automatic: bool = False


# Serialises the cap's count and claim among processes (PostgreSQL), as RATES does for an address.
CAP = "hashtext(current_schema() || ':maild-cap')"


def automatic_in_hour(now: datetime) -> int:
    """Automatic mails to customers sent within the past hour, and those claimed for sending now.
    On PostgreSQL it first takes the cap's lock until the transaction ends: processes count and
    claim in turn, so together they stay within the cap."""
    if is_postgresql():
        run(f"SELECT pg_advisory_xact_lock({CAP})")
    return rows("SELECT (SELECT COUNT(*) FROM outbound WHERE automatic = ? AND sent_at >= ?) + "
                "(SELECT COUNT(*) FROM outbound WHERE status = 'queued' AND claimed_by IS NOT NULL AND automatic = ?)",
                (True, utc(now - HOUR), True))[0][0]


def claim_due(now: datetime, limit: int, claimer: str, allowance: int) -> tuple[list[Claimed], bool]:
    """Up to `limit` due rows, leased to `claimer` ("host:pid") for LEASE: staff mail and people's
    answers first, then of the automatic ones at most `allowance`. Returns them, and whether the
    allowance held automatic mail back (it waits until the hour allows it)."""
    due = _due(now, limit, None)
    automatic = [row for row in due if row.automatic]
    held = len(automatic) > allowance
    if held:  # the cap binds (rare): the other mail first, then what the hour allows of the automatic
        claimed = _due(now, limit, False)
        automatic = _due(now, min(limit - len(claimed), allowance), True)
        claimed += automatic
    else:
        claimed = due
    if claimed:
        run("UPDATE outbound SET next_attempt_at = ?, attempts = attempts + 1, claimed_by = ? "
            f"WHERE id IN ({marks(len(claimed))})", [utc(now + LEASE), claimer, *(c.id for c in claimed)])
    return claimed, held


def _due(now: datetime, limit: int, automatic: bool | None) -> list[Claimed]:
    """Due rows in order: all of them (None), or only the automatic ones, or only the others."""
    if limit <= 0:
        return []
    lock = " FOR UPDATE SKIP LOCKED" if is_postgresql() else ""
    which, params = ("", ()) if automatic is None else (" AND COALESCE(automatic, ?) = ?", (False, automatic))
    found = rows("SELECT id, attempts, created_at, raw, sender, recipients, automatic FROM outbound "
                 f"WHERE status = 'queued' AND next_attempt_at <= ?{which} ORDER BY next_attempt_at, id LIMIT ?{lock}",
                 (utc(now), *params, limit))
    return [Claimed(row_id, attempts + 1, aware(created_at), bytes(raw), sender, tuple(recipients.split(",")),
                    bool(is_automatic)) for row_id, attempts, created_at, raw, sender, recipients, is_automatic in found]


def claimers(host: str) -> set[str]:
    """Who on this host holds leases on queued rows."""
    return {claimer for (claimer,) in rows("SELECT DISTINCT claimed_by FROM outbound WHERE status = 'queued' "
                                           "AND claimed_by LIKE ?", (f"{host}:%",))}


def release(claimers: Collection[str], now: datetime) -> int:
    """Their leases end now (they are gone): their rows are due again. Returns how many."""
    if not claimers:
        return 0
    return run(f"UPDATE outbound SET next_attempt_at = ?, claimed_by = NULL WHERE status = 'queued' "
               f"AND claimed_by IN ({marks(len(claimers))})", [utc(now), *claimers]).rowcount


def mark_sent(outbound_ids: list[int], now: datetime) -> None:
    if outbound_ids:
        run("UPDATE outbound SET status = 'sent', sent_at = ?, last_error = NULL, claimed_by = NULL "
            f"WHERE id IN ({marks(len(outbound_ids))})", [utc(now), *outbound_ids])


def retry_at(outbound_id: int, when: datetime, error: str) -> None:
    run("UPDATE outbound SET next_attempt_at = ?, last_error = ?, claimed_by = NULL WHERE id = ?",
        (utc(when), error, outbound_id))


def mark_failed(outbound_id: int, error: str) -> None:
    run("UPDATE outbound SET status = 'failed', last_error = ?, claimed_by = NULL WHERE id = ?", (error, outbound_id))


def suppress_due(now: datetime) -> int:
    """Automatic mail due to an address on the suppression list is never sent: its row says
    suppressed. Returns how many. (A look first: with nobody suppressed, the usual case, it
    writes nothing, so it takes no write lock.)"""
    if not rows("SELECT 1 FROM suppressed WHERE until > ? LIMIT 1", (utc(now),)):
        return 0
    return run("UPDATE outbound SET status = 'suppressed', last_error = ? WHERE status = 'queued' AND automatic = ? "
               "AND next_attempt_at <= ? AND LOWER(recipients) IN (SELECT address FROM suppressed WHERE until > ?)",
               ("not sent: the address hard-bounced (maild suppressed)", True, utc(now), utc(now))).rowcount


def mark_bounced(message_id: str, error: str) -> None:
    """The sent mail a bounce reports on: status bounced, and why."""
    run("UPDATE outbound SET status = 'bounced', last_error = ? WHERE message_id = ?", (error, message_id))


# -- the times the cap held automatic mail back ---------------------------------------------------

def cap_held_since() -> datetime | None:
    """When the cap began holding mail back, if it still is."""
    found = rows("SELECT started_at FROM automatic_cap WHERE ended_at IS NULL ORDER BY id LIMIT 1")
    return aware(found[0][0]) if found else None


def cap_reached(now: datetime) -> int:
    """The cap holds mail back from now on; returns the row's id, which names the notice."""
    return rows("INSERT INTO automatic_cap (started_at) VALUES (?) RETURNING id", (utc(now),))[0][0]


def cap_cleared(now: datetime) -> None:
    run("UPDATE automatic_cap SET ended_at = ? WHERE ended_at IS NULL", (utc(now),))
