"""The suppression list: addresses that hard-bounced a mail of ours get no automatic mail for a while."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from .sql import aware, marks, rows, run, utc


def suppress(address: str, until: datetime, status: str, diagnostic: str, ticket: str | None,
             now: datetime) -> None:
    """On the list until then; an address already on it stays until the later of the two times."""
    key = address.lower()
    found = rows("SELECT until FROM suppressed WHERE address = ?", (key,))
    if found:
        run("UPDATE suppressed SET until = ?, status = ?, diagnostic = ?, ticket = ? WHERE address = ?",
            (utc(max(until, aware(found[0][0]))), status, diagnostic, ticket, key))
    else:
        run("INSERT INTO suppressed (address, until, status, diagnostic, ticket, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (key, utc(until), status, diagnostic, ticket, utc(now)))


def suppressed_among(addresses: Collection[str], now: datetime) -> dict[str, datetime]:
    """Which of these addresses are on the list now → until when."""
    if not addresses:
        return {}
    keys = sorted({address.lower() for address in addresses})
    return {address: aware(until) for address, until in rows(
        f"SELECT address, until FROM suppressed WHERE address IN ({marks(len(keys))}) AND until > ?",
        [*keys, utc(now)])}


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
