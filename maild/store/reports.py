"""What the monthly report reads, and its latch. Callers hold the transaction; plain values out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .sql import aware, rows, run, utc


@dataclass(frozen=True)
class ReportRow:
    """A ticket of the month as the report reads it (its clocks come from store.timers' states)."""

    id: int
    number: str
    status: str
    priority: str | None
    problem_type: str | None
    organisation: str | None
    customer: str
    subject: str
    assignee: str | None
    received_at: datetime
    resolved_at: datetime | None
    rating: str | None
    suggestions: str | None


def received_between(start: datetime, end: datetime) -> list[ReportRow]:
    """The tickets received in [start, end), in number order, with their T3 answer."""
    found = rows("SELECT t.id, t.number, t.status, t.priority, t.problem_type, i.organisation, t.customer, t.subject, "
                 "t.assignee, i.received_at, t.resolved_at, s.rating, s.suggestions FROM ticket t "
                 "JOIN intake i ON i.ticket_id = t.id LEFT JOIN survey s ON s.ticket_id = t.id "
                 "WHERE i.received_at >= ? AND i.received_at < ? ORDER BY t.number", (utc(start), utc(end)))
    return [ReportRow(*row[:9], aware(row[9]), aware(row[10]), *row[11:]) for row in found]


def went(month: str) -> bool:
    """Has the month's report gone already?"""
    return run("SELECT 1 FROM monthly_report WHERE month = ?", (month,)).fetchone() is not None


def latch(month: str, now: datetime) -> bool:
    """Record that the month's report goes now; False when it went before."""
    found = run("INSERT INTO monthly_report (month, sent_at) VALUES (?, ?) ON CONFLICT (month) DO NOTHING "
                "RETURNING id", (month, utc(now))).fetchone()
    return found is not None


def first_fetched_at() -> datetime | None:
    """When the store took its first mail (the lowest id: no scan of the table)."""
    found = run("SELECT fetched_at FROM inbound ORDER BY id LIMIT 1").fetchone()
    return aware(found[0]) if found else None
