"""A bounce (RFC 3464) on a ticket: a delivery failure staff see, never a customer's message.

A bounce is trusted for a ticket only when it quotes a Message-ID we signed and sent; its free text
is anybody's to write, so it never reaches the thread. A hard failure (5.x.x) of a recipient of
that mail puts the address on the suppression list; a failure naming anyone else is ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..parsing import Address, ParsedMail
from ..parsing.dsn import DeliveryFailure, delivery_failures
from .actions import Action, MarkBounced, QueueMail, RecordEvent, Suppress
from .correlate import KnownTicket, first_of_ours
from .mail_inputs import MailFacts, MailPolicy


def bounced_mail(mail: ParsedMail, facts: MailFacts, policy: MailPolicy) -> tuple[str, str] | None:
    """(the id of our mail it reports on, its ticket) when it quotes one we signed and sent."""
    return first_of_ours(mail, facts.threads, facts.tickets, policy.id_key)


def bounce(mail: ParsedMail, message_id: str, ticket: KnownTicket, facts: MailFacts,
           policy: MailPolicy) -> tuple[Action, ...]:
    """What a bounce of our mail `message_id` on `ticket` does: the outbox row, the trail, the
    suppression list and the staff told."""
    kind, sent_to = facts.sent.get(message_id, ("mail", ()))
    recipients = {address.lower() for address in sent_to}
    reported = delivery_failures(mail)
    failures = [f for f in reported if f.recipient in recipients]
    if not failures:
        why = "it names none of its recipients" if reported else "no delivery-status report in it"
        return (RecordEvent("bounce", "maild", f"a delivery report on our {kind} mail: {why}"),)
    until = facts.received_at + timedelta(days=policy.suppress_days)
    hard = [f for f in failures if f.hard]
    actions: list[Action] = [RecordEvent("bounce", "maild", said(f, kind, until if f.hard else None)) for f in failures]
    if hard:
        actions.append(MarkBounced(message_id, "; ".join(f"{f.recipient}: {f.status} {f.diagnostic}".strip()
                                                         for f in hard)))
        actions += [Suppress(f.recipient, until, f.status, f.diagnostic) for f in hard]
    actions += told(failures, kind, until, ticket, facts, policy)
    return tuple(actions)


def said(failure: DeliveryFailure, kind: str, suppressed_until: datetime | None) -> str:
    what = "not delivered" if failure.action == "failed" or failure.hard else failure.action or "not delivered yet"
    line = f"our {kind} mail to {failure.recipient}: {what} ({failure.status or 'no status'}"
    line += f": {failure.diagnostic})" if failure.diagnostic else ")"
    if suppressed_until is not None:
        line += f"; no automatic mail to {failure.recipient} until {suppressed_until:%Y-%m-%d}"
    return line


def told(failures: list[DeliveryFailure], kind: str, until: datetime, ticket: KnownTicket, facts: MailFacts,
         policy: MailPolicy) -> list[QueueMail]:
    """The engineer on the ticket (else the supervisors) hears of each failed recipient; never at an
    address that failed, nor of a failed notice like this one (a bounce would answer a bounce)."""
    if kind == "bounce":
        return []
    failed = {f.recipient for f in failures}
    handler = policy.roster.member(ticket.assignee or "")
    people = [e for e in ((handler,) if handler else policy.roster.with_role("supervisor")) if e.address not in failed]
    return [QueueMail("bounce", f"bounce:{facts.message_key}:{f.recipient}:{e.address}", Address(e.address, e.name),
                      policy.default_language, ticket.subject,
                      {"recipient": f.recipient, "mail_kind": kind, "status": f.status, "diagnostic": f.diagnostic,
                       "suppressed_until": until if f.hard else None}, on_thread=False)
            for f in failures for e in people]
