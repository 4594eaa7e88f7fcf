"""The suppression list: addresses that hard-bounced a mail of ours get no automatic mail for a while."""

from __future__ import annotations

from datetime import datetime

from .sql import aware, rows, run, utc


def suppress(address: str, until: datetime, status: str, diagnostic: str, ticket: str | None,
             now: datetime) -> None:
    """On the list until then; an address already on it stays until the later of the two times (one
    statement: two processes suppressing the same address at once both succeed)."""
    run("INSERT INTO suppressed (address, until, status, diagnostic, ticket, created_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (address) DO UPDATE SET status = excluded.status, diagnostic = excluded.diagnostic, "
        "ticket = excluded.ticket, until = CASE WHEN excluded.until > suppressed.until THEN excluded.until "
        "ELSE suppressed.until END", (address.lower(), utc(until), status, diagnostic, ticket, utc(now)))


def listed(now: datetime) -> list[dict]:
    """The addresses on the list now, soonest lifted first."""
    return [{"address": address, "until": aware(until), "status": status, "diagnostic": diagnostic,
             "ticket": ticket, "since": aware(created_at)}
            for address, until, status, diagnostic, ticket, created_at in rows(
                "SELECT address, until, status, diagnostic, ticket, created_at FROM suppressed WHERE until > ? "
                "ORDER BY until, address", (utc(now),))]


def unsuppress(address: str) -> bool:
    """Off the list; False when it was not on it."""
    return run("DELETE FROM suppressed WHERE address = ?", (address.lower(),)).rowcount > 0
