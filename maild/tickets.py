"""Ticket rules: numbers, and what a mail does to a ticket. Pure: the store carries them out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .correlate import Match
from .screen import Screening


def ticket_number(day: date, serial: int) -> str:
    """`TS` + date + a 3-digit daily serial (guideline G4); a 4th digit after 999, never a wrap."""
    if serial < 1:
        raise ValueError("serial starts at 1")
    return f"TS{day:%Y%m%d}{serial:03d}"


@dataclass(frozen=True)
class Decision:
    open_ticket: bool  # a new ticket for this mail
    number: str | None  # the existing ticket it joins
    acknowledge: bool  # send the customer the acknowledgement
    status: str | None = None  # the ticket's status after this mail

    @property
    def stored_only(self) -> bool:
        return not self.open_ticket and self.number is None


def decide(match: Match, screening: Screening, current_status: str | None = None) -> Decision:
    if match.number is not None:
        return Decision(False, match.number, False, status_after_customer_mail(current_status, screening))
    if not screening.opens_ticket:
        return Decision(False, None, False)
    return Decision(True, None, screening.answer, "new")


def status_after_customer_mail(status: str | None, screening: Screening) -> str | None:
    # An answer from the customer puts a ticket that waited on them back in the queue.
    if status == "waiting" and screening.answer:
        return "open"
    return status
