"""The archive's rows (T4) and what archiving reads of a ticket. Callers hold the transaction
(db.transaction); plain values in and out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .inbound import stored_raw
from .sql import aware, rows, run, utc


@dataclass(frozen=True)
class ArchiveWork:
    ticket_id: int
    number: str
    status: str  # due: to archive; returning: reopened, its mails go back to the inbox
    folder: str | None  # where it was archived, for a returning one


@dataclass(frozen=True)
class ThreadMail:
    """One mail of a ticket's thread: the customer's and staff's as fetched, maild's as sent."""

    direction: str  # in | out
    message_id: str | None  # as in its header, without <>
    at: datetime
    inbound: tuple[str, int] | None  # (message_key, size) of a fetched mail
    outbound_id: int | None

    def raw(self) -> bytes:
        if self.inbound is not None:
            return stored_raw(*self.inbound)
        return bytes(rows("SELECT raw FROM outbound WHERE id = ?", (self.outbound_id,))[0][0])


def file_due(ticket_id: int, due_at: datetime) -> None:
    """The ticket's archiving is due (again, after a reopening)."""
    run("INSERT INTO archived_ticket (ticket_id, status, due_at) VALUES (?, 'due', ?) ON CONFLICT (ticket_id) "
        "DO UPDATE SET status = 'due', due_at = excluded.due_at", (ticket_id, utc(due_at)))


def start_return(ticket_id: int) -> None:
    """The archived ticket was reopened: its mails are to go back to the inbox."""
    run("UPDATE archived_ticket SET status = 'returning', due_at = archived_at WHERE ticket_id = ? "
        "AND status = 'archived'", (ticket_id,))


def waiting(now: datetime, limit: int) -> list[ArchiveWork]:
    """The tickets to archive or bring back by now (one that failed waits for its retry)."""
    return [ArchiveWork(*row) for row in rows(
        "SELECT a.ticket_id, t.number, a.status, a.folder FROM archived_ticket a JOIN ticket t ON t.id = a.ticket_id "
        "WHERE a.status IN ('due', 'returning') AND a.due_at <= ? ORDER BY a.due_at, a.id LIMIT ?", (utc(now), limit))]


def failed(ticket_id: int, error: str, retry_at: datetime) -> None:
    run("UPDATE archived_ticket SET error = ?, due_at = ? WHERE ticket_id = ?", (error, utc(retry_at), ticket_id))


def thread(ticket_id: int) -> list[ThreadMail]:
    """Every mail of the ticket in the order it happened: those fetched, and ours that went out.
    A fetched mail on the ticket without a message on its thread comes in too, by its fetch time.
    A mail of ours that bounced was sent all the same."""
    found = [ThreadMail(direction, message_id or id_of(key), aware(at), (key, size) if key else None, outbound_id)
             for direction, message_id, at, key, size, outbound_id in rows(
                 "SELECT a.direction, a.message_id, a.created_at, i.message_key, i.size, a.outbound_id FROM article a "
                 "LEFT JOIN inbound i ON i.id = a.inbound_id LEFT JOIN outbound o ON o.id = a.outbound_id "
                 "WHERE a.ticket_id = ? AND (i.id IS NOT NULL OR o.status IN ('sent', 'bounced')) "
                 "ORDER BY a.created_at, a.id",
                 (ticket_id,))]
    keys = {mail.inbound[0] for mail in found if mail.inbound}
    found += [ThreadMail("in", id_of(key), aware(at), (key, size), None)
              for key, size, at in rows("SELECT message_key, size, fetched_at FROM inbound WHERE ticket_id = ? "
                                        "ORDER BY id", (ticket_id,)) if key not in keys]
    return sorted(found, key=lambda mail: (mail.at, mail.direction != "in"))  # a mail before what it made us send


def id_of(message_key: str | None) -> str | None:
    """A stored mail's Message-ID: its key, unless it had none (then the key is a hash of its bytes)."""
    return None if not message_key or message_key.startswith("sha256:") else message_key


def filed(ticket_id: int, now: datetime, folder: str, path: str, problem_type: str | None,
          solution: str | None, kb_entry: int | None) -> None:
    run("UPDATE archived_ticket SET status = 'archived', archived_at = ?, folder = ?, path = ?, problem_type = ?, "
        "solution = ?, kb_entry = ?, error = NULL WHERE ticket_id = ?",
        (utc(now), folder, path, problem_type, solution, kb_entry, ticket_id))


def returned(ticket_id: int) -> None:
    run("UPDATE archived_ticket SET status = 'returned', error = NULL WHERE ticket_id = ?", (ticket_id,))


def t4(month: str | None = None) -> list[dict[str, Any]]:
    """T4, the archived tickets in number order; `month` ("2026-11"): those received in it."""
    where, params = "", ()
    if month:
        where, params = " AND t.number LIKE ?", (f"TS{month.replace('-', '')}%",)
    return [{"number": number, "type": problem_type, "solution": solution or "", "kb_entry": kb_entry,
             "archived_at": aware(archived_at).isoformat(), "folder": folder, "path": path}
            for number, problem_type, solution, kb_entry, archived_at, folder, path in rows(
                "SELECT t.number, a.problem_type, a.solution, a.kb_entry, a.archived_at, a.folder, a.path "
                "FROM archived_ticket a JOIN ticket t ON t.id = a.ticket_id "
                f"WHERE a.status = 'archived'{where} ORDER BY t.number", params)]


def of_ticket(ticket_id: int) -> dict[str, Any] | None:
    """`show --json`'s `archive`: {archived_at, folder, path}, or None while it is not archived."""
    found = rows("SELECT archived_at, folder, path FROM archived_ticket WHERE ticket_id = ? AND status = 'archived'",
                 (ticket_id,))
    return {"archived_at": aware(found[0][0]).isoformat(), "folder": found[0][1], "path": found[0][2]} if found else None


def ticket_facts(ticket_id: int) -> tuple[str | None, str | None, int | None]:
    """What T4 keeps of the ticket: its type, its solution and the knowledge-base entry made of it."""
    found = rows("SELECT t.problem_type, t.solution, k.id FROM ticket t LEFT JOIN kb_entry k ON k.ticket_id = t.id "
                 "WHERE t.id = ?", (ticket_id,))
    return found[0] if found else (None, None, None)
