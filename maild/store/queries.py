"""Read-only views for the command line: plain dicts, ready for JSON or a table."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from peewee import JOIN, fn

from . import archive, kb, suppression
from .models import TICKET_STATUSES as TICKET_STATUSES  # for the command line's choices
from .models import (Article, ArchivedTicket, Event, Inbound, Intake, MailboxCursor, Outbound, StoredAttachment, Survey,
                     Ticket, TicketSerial)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def list_tickets(status: str | None = None, priority: str | None = None,
                 assignee: str | None = None, archived_only: bool = False) -> list[dict[str, Any]]:
    filed = ArchivedTicket.select(ArchivedTicket.ticket).where(ArchivedTicket.status == "archived")
    query = (Ticket.select(Ticket, fn.COUNT(Article.id).alias("messages"), Ticket.id.in_(filed).alias("archived"))
             .join(Article, JOIN.LEFT_OUTER).group_by(Ticket.id).order_by(Ticket.id))
    if status:
        query = query.where(Ticket.status == status)
    if priority:
        query = query.where(Ticket.priority == priority)
    if assignee:
        query = query.where(Ticket.assignee == assignee.lower())
    if archived_only:
        query = query.where(Ticket.id.in_(filed))
    return [{"number": t.number, "status": t.status, "customer": t.customer, "customer_name": t.customer_name,
             "subject": t.subject, "language": t.language, "messages": t.messages,
             "priority": t.priority, "type": t.problem_type, "assignee": t.assignee,
             "created_at": _iso(t.created_at), "updated_at": _iso(t.updated_at), "archived": bool(t.archived)}
            for t in query]


def archived(month: str | None = None) -> list[dict[str, Any]]:
    """T4 (`maild archive`): the archived tickets, in number order; `month`: received in it."""
    return archive.t4(month)


def ticket_detail(number: str) -> dict[str, Any] | None:
    ticket = Ticket.get_or_none(Ticket.number == number)
    if ticket is None:
        return None
    articles = Article.select().where(Article.ticket == ticket).order_by(Article.created_at, Article.id)
    intake = ticket.intake.first()
    events = list(Event.select().where(Event.ticket == ticket).order_by(Event.id))
    return {
        "number": ticket.number, "status": ticket.status, "customer": ticket.customer,
        "customer_name": ticket.customer_name, "subject": ticket.subject, "language": ticket.language,
        "channel": ticket.channel, "created_at": _iso(ticket.created_at), "updated_at": _iso(ticket.updated_at),
        "received_at": _iso(intake.received_at) if intake else None,
        "participants": sorted(p.address for p in ticket.participants),
        "messages": [_article(a) for a in articles],
        "events": [{"at": _iso(e.at), "kind": e.kind, "actor": e.actor, "detail": e.detail, "status": e.status}
                   for e in events],
        "priority": ticket.priority, "priority_reason": ticket.priority_reason, "type": ticket.problem_type,
        "assignee": ticket.assignee, "complex": bool(ticket.complex), "classified_at": _iso(ticket.classified_at),
        "assigned_at": _iso(ticket.assigned_at), "linked": linked(ticket), "eta": _iso(ticket.eta),
        "resolved_at": _iso(ticket.resolved_at),
        "intake": _intake(intake) if intake else None,
        "progress": progress(events),
        "notes": [{"at": _iso(e.at), "by": e.actor, "text": e.detail} for e in events if e.kind == "note"],
        "report": ({"root_cause": ticket.root_cause, "solution": ticket.solution, "test_result": ticket.test_result}
                   if ticket.solution else None),
        "kb_proposed": bool(ticket.kb_proposed),
        "survey": survey(ticket),
        "archive": archive.of_ticket(ticket.id),
        "kb_entry": kb.of_ticket(ticket.id),
    }


def survey(ticket: Ticket) -> dict[str, Any] | None:
    """T3: the customer's answer; None until there is one."""
    found = Survey.get_or_none(Survey.ticket == ticket)
    if found is None or found.rating is None:
        return None
    return {"rating": found.rating, "suggestions": found.suggestions or "", "surveyed_by": found.surveyed_by,
            "surveyed_at": _iso(found.surveyed_at), "sent_at": _iso(found.sent_at)}


def progress(events: list[Event]) -> list[dict[str, Any]]:
    """The T2 table: each step with the ticket's status after it, the completion expected then
    (the latest #eta), when it was completed (the step that resolved it), and the customer's words.
    Internal notes are not steps: they have a list of their own."""
    rows, eta = [], None
    for e in events:
        if e.kind == "note":
            continue
        eta = e.detail if e.kind == "eta" else eta
        status = e.status or (e.detail if e.kind == "status" else None)  # rows from before status was kept
        resolved = e.kind == "resolved" or (e.kind == "status" and e.detail == "resolved")
        rows.append({"at": _iso(e.at), "status": status, "handler": e.actor,
                     "action": f"{e.kind}: {e.detail}" if e.detail else e.kind, "eta": eta,
                     "done_at": _iso(e.at) if resolved else None, "feedback": e.feedback})
    return rows


def linked(ticket: Ticket) -> list[str]:
    """The ticket this one continues, and the ones that continue it."""
    later = [t.number for t in Ticket.select(Ticket.number).where(Ticket.linked_to == ticket.number).order_by(Ticket.id)]
    return ([ticket.linked_to] if ticket.linked_to else []) + later


def _intake(intake: Intake) -> dict[str, Any]:
    """The T1 record: a field the mail did not give is null."""
    return {"organisation": intake.organisation, "contact": intake.customer_name or None,
            "address": intake.customer_address, "phones": intake.phones.split(", ") if intake.phones else [],
            "description": intake.description, "type": intake.problem_type, "urgency": intake.urgency,
            "channel": intake.channel, "received_by": intake.received_by, "received_at": _iso(intake.received_at),
            "judgement": intake.judgement, "recorded_at": _iso(intake.recorded_at)}


def _article(article: Article) -> dict[str, Any]:
    outbound = article.outbound
    return {
        "direction": article.direction, "at": _iso(article.created_at), "from": article.sender,
        "to": article.recipients, "subject": article.subject, "body": article.body,
        "message_id": article.message_id, "screened": article.screened,
        "delivery": outbound.status if outbound else None,
        "attachments": [{"filename": s.filename, "content_type": s.content_type, "size": s.size, "path": s.path}
                        for s in StoredAttachment.select().where(StoredAttachment.article == article)],
    }


def quarantined() -> list[dict[str, Any]]:
    """Mails that could not be processed; their senders and subjects are for the caller to read
    from the raw mail (`inbound.raw_mail`), since the store does not parse."""
    rows = Inbound.select().where(Inbound.status == "quarantined").order_by(Inbound.id)
    return [{"id": row.id, "message_key": row.message_key, "fetched_at": _iso(row.fetched_at),
             "attempts": row.attempts, "error": row.error, "size": row.size} for row in rows]


MAIL_FILTERS = ("screened", "quarantined")  # `maild mails --screened | --quarantined`


def mails(only: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Stored mails, oldest first (the latest `limit` of them), with what became of each; `only`:
    one of MAIL_FILTERS. Senders and subjects are the caller's to read from the stored headers."""
    query = _mail_rows()
    if only == "screened":
        query = query.where(Inbound.screened.is_null(False))
    elif only == "quarantined":
        query = query.where(Inbound.status == "quarantined")
    if limit:
        latest = [row.id for row in query.order_by(Inbound.id.desc()).limit(limit)]
        query = query.where(Inbound.id.in_(latest)) if latest else query.where(False)
    return [_mail(row) for row in query.order_by(Inbound.id)]


def stored_mail(inbound_id: int | None = None, message_key: str | None = None) -> dict[str, Any] | None:
    """One stored mail, by its id or its key (the normalised Message-ID)."""
    query = _mail_rows()
    query = query.where(Inbound.id == inbound_id) if inbound_id is not None else query.where(
        Inbound.message_key == message_key)
    row = query.first()
    return _mail(row) if row else None


def _mail_rows():
    # The ticket a mail opened is the one whose first mail it is.
    first = Inbound.alias("first")
    opened = first.select(fn.MIN(first.id)).where(first.ticket == Inbound.ticket)
    return (Inbound.select(Inbound, Ticket.id, Ticket.number, (Inbound.id == opened).alias("opened"))
            .join(Ticket, JOIN.LEFT_OUTER))


def _mail(row: Inbound) -> dict[str, Any]:
    return {"id": row.id, "message_key": row.message_key, "size": row.size, "mailbox": row.mailbox, "uid": row.uid,
            "fetched_at": _iso(row.fetched_at), "server_received_at": _iso(row.server_received_at),
            "answered_on_server": bool(row.answered_on_server), "status": row.status, "attempts": row.attempts,
            "error": row.error, "screened": row.screened, "processed_at": _iso(row.processed_at),
            "ticket": row.ticket.number if row.ticket_id else None,
            "opened_ticket": bool(row.ticket_id and row.opened)}


def produced_by(inbound_id: int, ticket: str | None) -> dict[str, Any]:
    """What processing a mail wrote on its ticket: its articles (with their attachments) and the
    mails it queued."""
    ticket_id = Ticket.select(Ticket.id).where(Ticket.number == ticket).scalar() if ticket else None
    articles = (Article.select().where(Article.ticket == ticket_id, Article.inbound == inbound_id)
                .order_by(Article.id)) if ticket_id else []
    # No ticket: staff mail about none (a filing refused) is looked up by the ticket column's NULL.
    queued = (Outbound.select(Outbound.id, Outbound.kind, Outbound.recipients, Outbound.status, Outbound.attempts,
                              Outbound.last_error, Outbound.message_id, Outbound.created_at, Outbound.sent_at)
              .where(Outbound.ticket == ticket_id, Outbound.inbound_id == inbound_id).order_by(Outbound.id))
    return {
        "articles": [{"id": a.id, "direction": a.direction, "at": _iso(a.created_at), "screened": a.screened,
                      "attachments": [{"filename": s.filename, "content_type": s.content_type, "size": s.size}
                                      for s in StoredAttachment.select().where(StoredAttachment.article == a)]}
                     for a in articles],
        "outbox": [{"id": o.id, "kind": o.kind, "to": o.recipients, "status": o.status, "attempts": o.attempts,
                    "last_error": o.last_error, "message_id": o.message_id, "created_at": _iso(o.created_at),
                    "sent_at": _iso(o.sent_at)} for o in queued],
    }


def automatic_mails_between(address: str, since: datetime, until: datetime) -> int:
    """The rate limit's count for an address as it stood at `until` (for a decision trace)."""
    return (Outbound.select().where(Outbound.rate_key == address, Outbound.created_at >= since,
                                    Outbound.created_at < until).count())


def last_serial(day: date) -> int:
    """The day's last ticket serial: 0 before its first ticket."""
    return TicketSerial.select(TicketSerial.last).where(TicketSerial.day == f"{day:%Y%m%d}").scalar() or 0


def _counts(field, query) -> dict[str, int]:
    return {value: count for value, count in query.select(field, fn.COUNT(1)).group_by(field).tuples()}


def status() -> dict[str, Any]:
    inbound = _counts(Inbound.status, Inbound.select())
    outbox = _counts(Outbound.status, Outbound.select())
    last_fetch = MailboxCursor.select(fn.MAX(MailboxCursor.last_fetch_at)).scalar()
    if isinstance(last_fetch, str):  # SQLite hands back MAX() of a datetime column as text
        last_fetch = datetime.fromisoformat(last_fetch)
    if last_fetch is not None and last_fetch.tzinfo is None:  # stored as naive UTC
        last_fetch = last_fetch.replace(tzinfo=timezone.utc)
    return {
        "mails": sum(inbound.values()),
        "pending": inbound.get("new", 0),
        "screened": Inbound.select().where(Inbound.screened.is_null(False)).count(),
        "quarantined": inbound.get("quarantined", 0),
        "tickets": _counts(Ticket.status, Ticket.select()),
        "outbox": {status: outbox.get(status, 0) for status in ("queued", "sent", "failed", "bounced", "suppressed")},
        "last_fetch": _iso(last_fetch),
    }


def outbox(statuses: tuple[str, ...] = ("queued", "failed", "bounced", "suppressed")) -> list[dict[str, Any]]:
    # Ticket.id too: a joined Ticket without its id would set the row's ticket_id to None.
    rows = (Outbound.select(Outbound, Ticket.id, Ticket.number).join(Ticket, JOIN.LEFT_OUTER)
            .where(Outbound.status.in_(statuses)).order_by(Outbound.id))
    return [{"id": o.id, "status": o.status, "kind": o.kind, "to": o.recipients, "attempts": o.attempts,
             "ticket": o.ticket.number if o.ticket_id else None, "last_error": o.last_error,
             "next_attempt_at": _iso(o.next_attempt_at), "created_at": _iso(o.created_at)} for o in rows]


def suppressed(now: datetime) -> list[dict[str, Any]]:
    """The suppression list as it stands now (hard bounces), soonest lifted first."""
    return [{**row, "until": _iso(row["until"]), "since": _iso(row["since"])} for row in suppression.listed(now)]
