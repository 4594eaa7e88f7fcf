"""The timers of tickets. Callers hold the transaction (db.transaction); plain values in and out.

A ticket carries `timers_at`, when to look at its timers next: a mail that moves it sets it to
now, the timers step to its next due time once it has looked. Nothing is stored of a timer until
it fires: then a row latched by (ticket, kind, period), written in the transaction that carries it
out, so a timer fires once however many times, or processes, look.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from .db import is_postgresql
from .sql import aware, later, marks, rows, run, utc
from .tickets import last_customer_message_ids


@dataclass(frozen=True)
class TicketState:
    """A ticket as its timers read it: the row, the intake's times and the trail."""

    id: int
    number: str
    status: str
    priority: str | None
    assignee: str | None
    assigned_at: datetime | None
    customer: str
    customer_name: str
    language: str
    subject: str
    eta: datetime | None
    received_at: datetime | None
    recorded_at: datetime | None
    last_customer_message_id: str | None
    resolved_at: datetime | None
    events: tuple[tuple[datetime, str, str | None], ...]  # (at, kind, status after it), in order
    fired: frozenset[tuple[str, str]]  # (kind, period) of the timers latched
    kb_proposed: bool = False  # proposed as a typical case for the knowledge base (#kb)

    @property
    def reopened(self) -> bool:
        """Ever reopened by the customer's mail."""
        return any(kind == "reopened" for _, kind, _ in self.events)


def tickets_due(now: datetime, limit: int) -> list[int]:
    """Up to `limit` tickets whose timers are to be looked at by now; on PostgreSQL locked until
    the transaction ends, and skipped by every other process meanwhile."""
    lock = " FOR UPDATE SKIP LOCKED" if is_postgresql() else ""
    return [ticket_id for ticket_id, in rows("SELECT id FROM ticket WHERE timers_at IS NOT NULL AND timers_at <= ? "
                                             f"ORDER BY timers_at, id LIMIT ?{lock}", (utc(now), limit))]


def upcoming(limit: int) -> list[int]:
    """The tickets whose timers are looked at soonest (for `maild timers`)."""
    return [ticket_id for ticket_id, in rows("SELECT id FROM ticket WHERE timers_at IS NOT NULL "
                                             "ORDER BY timers_at, id LIMIT ?", (limit,))]


def unfinished() -> list[int]:
    """Every ticket not resolved or closed (for `maild tickets --overdue`)."""
    return [ticket_id for ticket_id, in rows("SELECT id FROM ticket WHERE status NOT IN ('resolved', 'closed') "
                                             "ORDER BY id")]


def numbered(number: str) -> list[int]:
    return [ticket_id for ticket_id, in rows("SELECT id FROM ticket WHERE number = ?", (number,))]


STATES_AT_ONCE = 500  # tickets per IN list: SQLite takes no more than 32,766 values in a statement


def ticket_states(ids: list[int]) -> dict[int, TicketState]:
    """Four queries per STATES_AT_ONCE tickets."""
    found: dict[int, TicketState] = {}
    for start in range(0, len(ids), STATES_AT_ONCE):
        found.update(_states(ids[start:start + STATES_AT_ONCE]))
    return found


def _states(ids: list[int]) -> dict[int, TicketState]:
    if not ids:
        return {}
    found = rows("SELECT t.id, t.number, t.status, t.priority, t.assignee, t.assigned_at, t.customer, t.customer_name, "
                 "t.language, t.subject, t.eta, i.received_at, i.recorded_at, t.resolved_at, t.kb_proposed FROM ticket t "
                 f"LEFT JOIN intake i ON i.ticket_id = t.id WHERE t.id IN ({marks(len(ids))})", ids)
    events: dict[int, list[tuple[datetime, str, str | None]]] = defaultdict(list)
    for ticket_id, at, kind, status in rows("SELECT ticket_id, at, kind, status FROM event "
                                            f"WHERE ticket_id IN ({marks(len(ids))}) ORDER BY id", ids):
        events[ticket_id].append((aware(at), kind, status))
    fired: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for ticket_id, kind, period in rows(f"SELECT ticket_id, kind, period FROM timer WHERE ticket_id IN "
                                        f"({marks(len(ids))})", ids):
        fired[ticket_id].add((kind, period))
    latest = last_customer_message_ids(ids)
    return {row[0]: TicketState(*row[:5], aware(row[5]), *row[6:10], aware(row[10]), aware(row[11]), aware(row[12]),
                                latest.get(row[0]), aware(row[13]), tuple(events[row[0]]), frozenset(fired[row[0]]),
                                bool(row[14]))
            for row in found}


def latch(ticket_id: int, kind: str, period: str, due: datetime, now: datetime) -> bool:
    """Record that the timer fires now; False when it fired before (another process was first)."""
    found = run("INSERT INTO timer (ticket_id, kind, period, due_at, fired_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (ticket_id, kind, period) DO NOTHING RETURNING id",
                (ticket_id, kind, period, utc(due), utc(now))).fetchone()
    return found is not None


def look_again(ticket_id: int, when: datetime | None) -> None:
    """When to look at the ticket's timers next; None: it has none left."""
    later("UPDATE ticket SET timers_at = ? WHERE id = ?", (utc(when), ticket_id))


def next_look() -> datetime | None:
    """The soonest a ticket's timers are to be looked at (an index lookup): what the daemon sleeps until."""
    return aware(run("SELECT MIN(timers_at) FROM ticket WHERE timers_at IS NOT NULL").fetchone()[0])
