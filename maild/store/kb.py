"""Knowledge-base entries (G17). Callers hold the transaction (db.transaction); plain values in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .sql import aware, rows, run, utc


def source(ticket_id: int) -> dict[str, Any] | None:
    """What an entry of the ticket is made of: subject, title (the latest `#kb TITLE`), type,
    the intake's description and the analysis report."""
    found = rows("SELECT t.subject, t.problem_type, i.description, t.root_cause, t.solution, t.test_result "
                 "FROM ticket t LEFT JOIN intake i ON i.ticket_id = t.id WHERE t.id = ?", (ticket_id,))
    if not found:
        return None
    titles = rows("SELECT detail FROM event WHERE ticket_id = ? AND kind = 'kb' AND detail <> '' ORDER BY id DESC "
                  "LIMIT 1", (ticket_id,))
    subject, problem_type, description, root_cause, solution, test_result = found[0]
    return {"subject": subject, "title": titles[0][0] if titles else None, "problem_type": problem_type,
            "description": description, "root_cause": root_cause, "solution": solution, "test_result": test_result}


def write(ticket_id: int, title: str, problem_type: str | None, module: str | None, steps: str, faq: str,
          publish: bool, now: datetime) -> int:
    """The ticket's entry, new or brought up to date (a second resolution); returns its id. A new
    one is published at once when `publish`; an update keeps the status it had."""
    status = "published" if publish else "draft"
    return run("INSERT INTO kb_entry (ticket_id, title, problem_type, module, steps, faq, screenshots, status, "
               "created_at, updated_at, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?) "
               "ON CONFLICT (ticket_id) DO UPDATE SET title = excluded.title, problem_type = excluded.problem_type, "
               "module = excluded.module, steps = excluded.steps, faq = excluded.faq, updated_at = excluded.updated_at "
               "RETURNING id", (ticket_id, title, problem_type, module, steps, faq, status, utc(now), utc(now),
                                utc(now) if publish else None, "maild" if publish else None)).fetchone()[0]


def set_screenshots(entry_id: int, paths: list[str]) -> None:
    run("UPDATE kb_entry SET screenshots = ? WHERE id = ?", ("\n".join(paths), entry_id))


def publish(entry_id: int, by: str, now: datetime) -> bool:
    """Publish a draft; False when there is no such entry or it is published already."""
    return run("UPDATE kb_entry SET status = 'published', published_at = ?, published_by = ?, updated_at = ? "
               "WHERE id = ? AND status = 'draft' RETURNING id", (utc(now), by, utc(now), entry_id)).fetchone() is not None


def of_ticket(ticket_id: int) -> int | None:
    found = rows("SELECT id FROM kb_entry WHERE ticket_id = ?", (ticket_id,))
    return found[0][0] if found else None


COLUMNS = ("id", "title", "type", "module", "steps", "faq", "screenshots", "status", "created_at", "updated_at",
           "published_at", "published_by", "ticket")


def entries(entry_id: int | None = None) -> list[dict[str, Any]]:
    """Every entry (or one), in id order, as `maild kb show --json` prints it."""
    where, params = ("WHERE k.id = ?", (entry_id,)) if entry_id is not None else ("", ())
    found = rows("SELECT k.id, k.title, k.problem_type, k.module, k.steps, k.faq, k.screenshots, k.status, "
                 "k.created_at, k.updated_at, k.published_at, k.published_by, t.number FROM kb_entry k "
                 f"JOIN ticket t ON t.id = k.ticket_id {where} ORDER BY k.id", params)
    return [{**dict(zip(COLUMNS, row)), "screenshots": [p for p in row[6].split("\n") if p],
             **{key: (aware(row[i]).isoformat() if row[i] else None) for i, key in ((8, "created_at"),
                                                                                   (9, "updated_at"),
                                                                                   (10, "published_at"))}}
            for row in found]


def published() -> list[tuple[int, str, str, str]]:
    """(id, title, what it is about, steps) of the published entries: what the search looks through."""
    return [(entry_id, title, "\n".join(filter(None, (problem_type, module, faq))), steps)
            for entry_id, title, problem_type, module, faq, steps in rows(
                "SELECT id, title, problem_type, module, faq, steps FROM kb_entry WHERE status = 'published' "
                "ORDER BY id")]


def version() -> tuple[int, Any]:
    """Changes when an entry is published or updated: a search index built before is stale."""
    count, latest = rows("SELECT COUNT(*), MAX(updated_at) FROM kb_entry")[0]
    return count, latest
