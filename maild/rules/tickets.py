"""Ticket rules: numbers, and the status a customer's mail leaves a ticket in."""

from __future__ import annotations

from datetime import date


def ticket_number(day: date, serial: int) -> str:
    """`TS` + date + a 3-digit daily serial (guideline G4); a 4th digit after 999, never a wrap."""
    if serial < 1:
        raise ValueError("serial starts at 1")
    return f"TS{day:%Y%m%d}{serial:03d}"


def status_after_customer_mail(status: str, answered: bool) -> str:
    """`answered`: a person wrote it (not an auto-reply or a bounce). The caller decides that a
    resolved ticket is still within its reopening window."""
    # An answer from the customer puts a ticket that waited on them back in the queue, and a
    # reply to a resolved one reopens it (G14: the customer verifies the solution).
    if status in ("waiting", "resolved") and answered:
        return "open"
    return status
