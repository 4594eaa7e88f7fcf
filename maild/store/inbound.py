"""The queue of fetched mail: stored raw first, claimed in batches with a counted attempt, then
done or quarantined. Callers hold the transaction (db.transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .blobs import inline_limit, read_raw, write_raw
from .db import is_postgresql
from .sql import aware, later, marks, rows, run, utc


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    message_key: str
    raw: bytes
    server_received_at: datetime | None = None  # INTERNALDATE
    answered_on_server: bool = False  # flagged \Answered


@dataclass(frozen=True)
class StoredMail:
    id: int
    message_key: str
    fetched_at: datetime
    raw: bytes
    server_received_at: datetime | None = None
    answered_on_server: bool = False


# -- fetching ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cursor:
    uidvalidity: int | None  # None: maild has never fetched this mailbox
    last_uid: int = 0
    first_run_until: int | None = None  # see MailboxCursor


def mailbox_cursor(mailbox: str) -> Cursor:
    found = rows("SELECT uidvalidity, last_uid, first_run_until FROM mailbox_cursor WHERE mailbox = ?", (mailbox,))
    return Cursor(*found[0]) if found else Cursor(None)


def store_fetched(mailbox: str, mails: Iterable[FetchedMail], now: datetime) -> int:
    """Insert the mails not yet stored (the unique key makes a re-fetch a no-op); returns how many were new."""
    first: dict[str, FetchedMail] = {}
    for mail in mails:  # the same mail twice in one batch: the first copy is the one stored
        first.setdefault(mail.message_key, mail)
    batch = list(first.values())
    if not batch:
        return 0
    values = [v for mail in batch for v in (mail.message_key, len(mail.raw), mailbox, mail.uid, utc(now),
                                            utc(mail.server_received_at), mail.answered_on_server)]
    new = {key for (key,) in rows(
        "INSERT INTO inbound (message_key, size, mailbox, uid, fetched_at, server_received_at, answered_on_server, "
        "status, attempts) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, 'new', 0)"] * len(batch))
        + " ON CONFLICT (message_key) DO NOTHING RETURNING message_key", values)}
    for mail in batch:  # one statement each: a multi-row one would hold every mail's bytes again
        if mail.message_key in new:
            write_raw(mail.message_key, mail.raw)
    return len(new)


def save_cursor(mailbox: str, uidvalidity: int, last_uid: int, now: datetime,
                first_run_until: int | None = None) -> None:
    """`first_run_until` is written by the first run; later ones keep it, unless UIDVALIDITY
    changed (the UIDs it names are gone)."""
    run("INSERT INTO mailbox_cursor (mailbox, uidvalidity, last_uid, last_fetch_at, first_run_until) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, "
        "last_uid = excluded.last_uid, last_fetch_at = excluded.last_fetch_at, first_run_until = CASE "
        "WHEN mailbox_cursor.uidvalidity = excluded.uidvalidity THEN mailbox_cursor.first_run_until END",
        (mailbox, uidvalidity, last_uid, utc(now), first_run_until))


# PostgreSQL advisory locks are per database: their class names the schema too, so that two
# stores in one database never hold each other's mailboxes or mail.
FETCHES = "hashtext(current_schema() || ':maild-fetch')"
CLAIMS = "hashtext(current_schema() || ':maild-claims')"


def hold_mailbox(mailbox: str) -> bool:
    """Become the one process that does this to a mailbox (fetches it; with " archive" after its
    name, archives from it), for as long as this database session lives; False while another
    process is it. SQLite has one writer anyway: always True."""
    if not is_postgresql():
        return True
    return run(f"SELECT pg_try_advisory_lock({FETCHES}, hashtext(?))", (mailbox,)).fetchone()[0]


def stored_raw(message_key: str, size: int) -> bytes:
    """A stored mail's bytes, whatever became of it (`size` as its inbound row says)."""
    if size > inline_limit():
        return bytes(read_raw(message_key, size))
    found = rows("SELECT raw FROM raw_mail WHERE message_key = ?", (message_key,))
    return bytes(found[0][0]) if found else b""


def raw_head(message_key: str, size: int = 1 << 16) -> bytes:
    """The first `size` bytes of a stored mail: its headers, however large the rest."""
    found = rows("SELECT substr(raw, 1, ?) FROM raw_mail WHERE message_key = ?", (size, message_key))
    return bytes(found[0][0]) if found else b""


# -- processing -------------------------------------------------------------------------------

def claim_batch(limit: int, max_bytes: int, max_attempts: int) -> list[int]:
    """Up to `limit` new mails of at most `max_bytes` together (a larger one alone) to process in
    one go, their attempts counted.

    A mail tried before that never finished (the process died under it) is claimed alone, so a
    mail that kills the process takes no batch down with it; one that has used up its attempts
    is quarantined instead of being tried again. On PostgreSQL the claim is also a session lock
    per mail, held until `unclaim`: other maild processes skip the mail while this one lives and
    may take it as soon as this one dies."""
    while True:
        found = rows(_CLAIMABLE_PG if is_postgresql() else _CLAIMABLE, (limit,))
        spent = [(inbound_id, attempts) for inbound_id, attempts, _ in found if attempts >= max_attempts]
        for inbound_id, attempts in spent:
            quarantine(inbound_id, f"gave up after {attempts} attempts that did not finish (the process died)")
        fresh = [row for row in found if row[1] < max_attempts]
        if fresh or not spent:
            break
    batch = _batch_of(fresh, max_bytes)
    if is_postgresql():
        batch = [inbound_id for (inbound_id,) in rows(
            f"SELECT id FROM unnest(ARRAY[{marks(len(batch))}]::int[]) AS id "
            f"WHERE pg_try_advisory_lock({CLAIMS}, id)", batch)] if batch else []
    if batch:
        run(f"UPDATE inbound SET attempts = attempts + 1 WHERE id IN ({marks(len(batch))})", batch)
    return batch


def _batch_of(fresh: list[tuple[int, int, int]], max_bytes: int) -> list[int]:
    """The first mail, and after it the mails never tried before while their sizes fit; a mail
    tried before goes alone."""
    batch, total = [], 0
    for inbound_id, attempts, size in fresh:
        if batch and (attempts or total + size > max_bytes):
            break
        batch.append(inbound_id)
        total += size
        if attempts:
            break
    return batch


_CLAIMABLE = "SELECT id, attempts, size FROM inbound WHERE status = 'new' ORDER BY id LIMIT ?"
# Neither held by another process's claim nor locked by its transaction.
_CLAIMABLE_PG = ("SELECT id, attempts, size FROM inbound WHERE status = 'new' AND id NOT IN "
                 f"(SELECT objid::int FROM pg_locks WHERE locktype = 'advisory' AND classid = ({CLAIMS})::oid "
                 "AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) "
                 "ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")


def give_back(inbound_ids: list[int]) -> None:
    """The work on these failed through no fault of theirs (the database): the attempts go back."""
    if inbound_ids:
        run(f"UPDATE inbound SET attempts = attempts - 1 WHERE attempts > 0 AND id IN ({marks(len(inbound_ids))})",
            inbound_ids)


def unclaim(inbound_ids: list[int]) -> None:
    """PostgreSQL: let other processes see these mails again (they are done or quarantined)."""
    if inbound_ids and is_postgresql():
        run(f"SELECT pg_advisory_unlock({CLAIMS}, id) FROM unnest(ARRAY[{marks(len(inbound_ids))}]::int[]) AS id",
            inbound_ids)


def load_batch(inbound_ids: list[int]) -> list[StoredMail]:
    """The claimed mails and their bytes, read without a lock: their claim keeps them ours.
    Sorted here, not by ORDER BY: SQLite would copy every blob into its sorter first."""
    found = rows("SELECT i.id, i.message_key, i.fetched_at, i.size, i.server_received_at, i.answered_on_server, "
                 "CASE WHEN i.size > ? THEN NULL ELSE r.raw END "
                 "FROM inbound i JOIN raw_mail r ON r.message_key = i.message_key "
                 f"WHERE i.status = 'new' AND i.id IN ({marks(len(inbound_ids))})", [inline_limit(), *inbound_ids])
    return sorted((StoredMail(inbound_id, key, aware(fetched_at), read_raw(key, size) if raw is None else bytes(raw),
                              aware(received), bool(answered))
                   for inbound_id, key, fetched_at, size, received, answered, raw in found), key=lambda mail: mail.id)


def still_new(inbound_ids: list[int]) -> set[int]:
    """Those not finished meanwhile by another process, locked for the caller's transaction (on
    SQLite the transaction's write lock already keeps every other writer out)."""
    lock = " FOR UPDATE" if is_postgresql() else ""
    return {inbound_id for (inbound_id,) in rows(
        f"SELECT id FROM inbound WHERE status = 'new' AND id IN ({marks(len(inbound_ids))}){lock}", inbound_ids)}


def quarantine(inbound_id: int, error: str) -> None:
    run("UPDATE inbound SET status = 'quarantined', error = ? WHERE id = ? AND status = 'new'", (error, inbound_id))


def requeue(inbound_id: int) -> bool:
    cursor = run("UPDATE inbound SET status = 'new', attempts = 0, error = NULL "
                 "WHERE id = ? AND status = 'quarantined'", (inbound_id,))
    return cursor.rowcount > 0


def finish_inbound(inbound_id: int, now: datetime, screened: str | None, ticket_id: int | None) -> None:
    later("UPDATE inbound SET status = 'done', processed_at = ?, screened = ?, ticket_id = ?, error = NULL "
          "WHERE id = ?", (utc(now), screened, ticket_id, inbound_id))
