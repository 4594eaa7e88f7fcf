"""What the command line shows of the process step's work that takes parsing: the mails and their
fate, the quarantine, and the decision trace of one stored mail (`maild mail`) or of a file (`maild replay`).

A trace runs the process step's own rules on the mail again, with the facts as they stood when it
was processed (its age then, the rate limit's count then), and sets beside it what was recorded.
Nothing here writes to the store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..config import Config
from ..parsing import Address, ParsedMail, normalise_message_id, parse_headers
from ..parsing.large import parse_within
from ..rules import actions
from ..rules.correlate import correlate, subject_tag, thread_ids
from ..rules.inbound import MailFacts, MailOutcome, MailPolicy, decide
from ..rules.language import detect_language
from ..rules.reply_text import new_text
from ..rules.screen import MailboxFacts, verdicts
from ..rules.tickets import ticket_number
from ..store import inbound, queries, tickets
from . import id_key, mail_writer
from .process import answer_key, gather_facts, mail_policy


def mails(only: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Stored mails with their sender, subject and fate (`queries.mails`)."""
    rows = queries.mails(only, limit)
    for row in rows:
        _add_sender_and_subject(row)
        row["fate"] = fate(row)
    return rows


def quarantined() -> list[dict[str, Any]]:
    """Mails that could not be processed, with their error, sender and subject."""
    rows = queries.quarantined()
    for row in rows:
        _add_sender_and_subject(row)
    return rows


def _add_sender_and_subject(row: dict[str, Any]) -> None:
    # From the stored headers only: the mail may be a huge one.
    mail = parse_headers(inbound.raw_head(row["message_key"]))
    row.update({"from": mail.sender.address if mail.sender else "", "subject": mail.subject})


def fate(row: dict[str, Any]) -> str:
    """What became of a stored mail, in the words of its log line."""
    if row["status"] == "new":
        return f"pending, tried {row['attempts']} time(s)" if row["attempts"] else "pending"
    if row["status"] == "quarantined":
        return f"quarantined: {row['error']}"
    ticket = row["ticket"]
    said = [f"new ticket {ticket}" if row["opened_ticket"] else f"joined {ticket}"] if ticket else []
    said += [f"screened: {row['screened']}"] if row["screened"] else []
    return ", ".join(said) or "stored"


# -- the decision trace -----------------------------------------------------------------------

def find_mail(reference: str) -> dict[str, Any] | None:
    """A stored mail by its id (as `maild mails` lists it) or its Message-ID (angle brackets or not)."""
    if reference.isdigit():
        return queries.stored_mail(inbound_id=int(reference))
    key = normalise_message_id(reference if reference.startswith("<") else f"<{reference}>")
    return queries.stored_mail(message_key=key or reference)


def trace_stored(row: dict[str, Any], config: Config, now: datetime) -> dict[str, Any]:
    """The trace of a stored mail (`find_mail`), beside what was recorded of it and what it wrote."""
    raw = inbound.stored_raw(row["message_key"], row["size"])
    mail = parse_within(raw, config.processing.max_mail_bytes)
    decided_at = _time(row["processed_at"]) or now  # pending or quarantined: as it would go now
    received = _time(row["server_received_at"])
    mailbox = MailboxFacts((decided_at - received).total_seconds() if received else None, row["answered_on_server"])
    answer_to = answer_key(mail)
    since = decided_at - timedelta(seconds=config.screen.auto_reply_window)
    recent = queries.automatic_mails_between(answer_to, since, decided_at) if answer_to else 0
    policy = mail_policy(config, id_key(config, make=False))
    facts, _ = gather_facts(mail, row["message_key"], _time(row["fetched_at"]) or now, mailbox, recent,
                            tickets.open_load(), policy.id_key, size=len(raw))
    outcome = decide(mail, facts, policy)
    recorded = {**row, "fate": fate(row)}
    trace = {"mail": recorded, **decision_trace(mail, facts, policy, outcome),
             "produced": queries.produced_by(row["id"], row["ticket"])}
    if row["status"] == "done" and not agrees(outcome, row):
        trace["differs"] = "the rules as configured now decide otherwise than was recorded"
    return trace


def trace_file(raw: bytes, config: Config, now: datetime) -> dict[str, Any]:
    """The trace of a mail that is not stored, as if it were fetched now; and the mails it would
    queue, written out from the templates. A file carries no server facts (no INTERNALDATE, no
    \\Answered flag): it is taken as just received and unanswered."""
    mail = parse_within(raw, config.processing.max_mail_bytes)
    answer_to = answer_key(mail)
    since = now - timedelta(seconds=config.screen.auto_reply_window)
    recent = queries.automatic_mails_between(answer_to, since, now) if answer_to else 0
    writer = mail_writer(config, make_key=False)
    policy = mail_policy(config, writer.id_key)
    facts, _ = gather_facts(mail, f"replay:{now.isoformat()}", now, MailboxFacts(), recent, tickets.open_load(),
                            policy.id_key, size=len(raw))
    outcome = decide(mail, facts, policy)
    number = outcome.ticket or next(
        (ticket_number(a.day, queries.last_serial(a.day) + 1) for a in outcome.actions
         if isinstance(a, actions.OpenTicket)), None)
    would_send = []
    for queued in (a for a in outcome.actions if isinstance(a, actions.QueueMail)):
        notice = writer.write(queued, number or "", now)
        would_send.append({"kind": queued.kind, "to": queued.to.address, "subject": notice.subject,
                           "text": notice.text})
    return {**decision_trace(mail, facts, policy, outcome), "ticket_number": number, "would_send": would_send}


def agrees(outcome: MailOutcome, row: dict[str, Any]) -> bool:
    opens = any(isinstance(a, actions.OpenTicket) for a in outcome.actions)
    return (outcome.screened == row["screened"] and opens == row["opened_ticket"]
            and (opens or outcome.ticket == row["ticket"]))


def decision_trace(mail: ParsedMail, facts: MailFacts, policy: MailPolicy, outcome: MailOutcome) -> dict[str, Any]:
    """Rule by rule: what was read from the mail, each screening row's verdict, how it was
    threaded, and the actions decided."""
    tag = subject_tag(mail.subject)
    match = correlate(mail, facts.threads, facts.tickets, policy.roster.addresses, key=policy.id_key)
    return {
        "parsed": {
            "message_id": mail.message_id, "from": _address(mail.sender),
            "reply_to": [_address(a) for a in mail.reply_to],
            "to": [_address(a) for a in mail.to], "cc": [_address(a) for a in mail.cc], "subject": mail.subject,
            "date": mail.date.isoformat() if mail.date else None, "content_type": mail.content_type,
            "language": detect_language(mail.subject, mail.text, policy.default_language),
            "defects": list(mail.defects),
            "new_text": new_text(mail.text),  # what the writer added: no quoted history, no signature
            "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": len(a.payload)}
                            for a in mail.attachments],
        },
        "screening": {
            "age_seconds": facts.mailbox.age, "answered_on_server": facts.mailbox.answered,
            "recent_automatic_mails": facts.recent_auto_replies,
            "rules": [{"reason": v.reason, "rule": v.rule, "matched": v.matched, "opens_ticket": v.opens_ticket}
                      for v in verdicts(mail, policy.screen, facts.recent_auto_replies, facts.mailbox)],
            "screened": outcome.screened,
        },
        "correlation": {
            "thread_ids": list(thread_ids(mail)), "ours": dict(facts.threads), "subject_tag": tag,
            "via": match.via, "ticket": match.number, "note": match.note,
        },
        "decision": {"ticket": outcome.ticket, "screened": outcome.screened,
                     "opens_ticket": any(isinstance(a, actions.OpenTicket) for a in outcome.actions),
                     "actions": [{"action": type(a).__name__, "summary": summary(a)} for a in outcome.actions]},
    }


def summary(action: actions.Action) -> str:
    match action:
        case actions.OpenTicket(day=day, customer=customer, language=language):
            return f"open a ticket of {day.isoformat()} for {customer or 'an unknown sender'} ({language})"
        case actions.AddParticipants(people):
            return f"let in {len(people)}: {', '.join(address for address, _ in people)}"
        case actions.AddArticle(screened=screened, attachments=attached):
            return (f"put the mail on the thread, {len(attached)} attachment(s)"
                    + (f", screened: {screened}" if screened else ""))
        case actions.RecordEvent(kind, actor, detail):
            return f"record {kind} by {actor}" + (f": {detail}" if detail else "")
        case actions.TouchTicket(status):
            return f"touch the ticket, status → {status}" if status else "touch the ticket"
        case actions.QueueMail(kind=kind, to=to, language=language):
            return f"queue {kind} to {to.address} ({language})"
    return repr(action)


def _address(address: Address | None) -> dict[str, str] | None:
    return {"address": address.address, "name": address.name} if address else None


def _time(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None
