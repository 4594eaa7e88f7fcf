"""Satisfaction surveys (T3). Callers hold the transaction (db.transaction); plain values in and out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .sql import aware, rows, run, utc


@dataclass(frozen=True)
class SurveyRow:
    """A survey as its link's page and answer need it: the ticket, and the answer so far."""

    id: int
    ticket_id: int
    number: str
    status: str
    language: str
    customer: str
    customer_name: str
    subject: str
    assignee: str | None
    rating: str | None
    suggestions: str | None


def start(ticket_id: int, customer: str, now: datetime) -> int:
    """The ticket's survey goes now; returns its id (the links name it)."""
    return run("INSERT INTO survey (ticket_id, customer, sent_at) VALUES (?, ?, ?) ON CONFLICT (ticket_id) "
               "DO UPDATE SET customer = excluded.customer, sent_at = excluded.sent_at RETURNING id",
               (ticket_id, customer, utc(now))).fetchone()[0]


def last_sent_to(customer: str) -> datetime | None:
    """When the latest survey went to this address (survey.resend_after_days counts from it)."""
    return aware(run("SELECT MAX(sent_at) FROM survey WHERE customer = ?", (customer,)).fetchone()[0])


def customer_mail_screened(ticket_id: int) -> str | None:
    """How the customer's latest mail on the ticket was screened (None: it was answered as usual)."""
    found = run("SELECT screened FROM article WHERE ticket_id = ? AND direction = 'in' ORDER BY id DESC LIMIT 1",
                (ticket_id,)).fetchone()
    return found[0] if found else None


def answer(ticket_id: int, customer: str, rating: str, suggestions: str, by: str, at: datetime) -> None:
    """Record the answer (T3); a second one replaces the first."""
    run("INSERT INTO survey (ticket_id, customer, rating, suggestions, surveyed_by, surveyed_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO UPDATE SET rating = excluded.rating, "
        "suggestions = excluded.suggestions, surveyed_by = excluded.surveyed_by, surveyed_at = excluded.surveyed_at",
        (ticket_id, customer, rating, suggestions, by, utc(at)))


def by_id(survey_id: int) -> SurveyRow | None:
    found = rows("SELECT s.id, s.ticket_id, t.number, t.status, t.language, t.customer, t.customer_name, t.subject, "
                 "t.assignee, s.rating, s.suggestions FROM survey s JOIN ticket t ON t.id = s.ticket_id "
                 "WHERE s.id = ?", (survey_id,))
    return SurveyRow(*found[0]) if found else None
