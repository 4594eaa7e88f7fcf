"""The process step: a stored mail → parse → screen → correlate → ticket rules → writes.

All writes of one mail (ticket, intake, articles, outbox rows, the mail's status) commit in
one transaction. A fault quarantines that mail with its error; the next one goes on.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from .attachments import AttachmentStore
from .clock import Clock
from .compose import Outgoing, compose, new_message_id
from .config import Config
from .correlate import correlate, subject_tag, thread_ids
from .db import transaction
from .errors import StoreError
from .language import detect_language
from .models import Inbound, Ticket
from .outbox import enqueue
from .parse import Address, ParsedMail, parse_mail, strip_reply_prefixes
from .render import Renderer
from .screen import ScreenPolicy, Screening, reply_address, reply_target, screen
from .tickets import decide
from . import store

log = logging.getLogger(__name__)

NO_SUBJECT = {"zh": "（无主题）", "en": "(no subject)"}


@dataclass(frozen=True)
class Processor:
    config: Config
    clock: Clock
    renderer: Renderer
    attachments: AttachmentStore

    @property
    def screen_policy(self) -> ScreenPolicy:
        return ScreenPolicy(self.config.helpdesk.loop_header, self.config.screen.auto_reply_limit)

    def process_pending(self, should_stop: Callable[[], bool] = lambda: False,
                        after_each: Callable[[], None] = lambda: None) -> int:
        """Process every stored mail not yet done, one transaction each; returns how many."""
        count = 0
        with transaction():  # the attempt is counted before the work, so a crash is remembered
            inbound_id = store.claim_inbound(self.config.processing.max_attempts)
        while inbound_id is not None and not should_stop():
            inbound_id = self._process(inbound_id)
            count += 1
            after_each()
        if inbound_id is not None:  # stopping: the claimed mail was not tried, so it used no attempt
            with transaction():
                store.release_inbound(inbound_id)
        return count

    def _process(self, inbound_id: int) -> int | None:
        """Process one mail; returns the next one, claimed in the same commit as this result."""
        try:
            with transaction():
                locked = store.lock_new_inbound(inbound_id)
                if locked is not None:  # None: a second maild process got there first
                    self.handle(*locked)
                return store.claim_inbound(self.config.processing.max_attempts)
        except StoreError:
            raise  # the database failed, not the mail: the caller retries later
        except Exception as exc:  # any other fault in any step: keep the mail, report it, go on
            fault = describe_fault(exc)
            log.error("mail %s quarantined: %s", inbound_id, fault)
            with transaction():
                store.quarantine(inbound_id, fault)
                return store.claim_inbound(self.config.processing.max_attempts)

    def handle(self, row: Inbound, raw: bytes) -> None:
        now = self.clock.now()
        mail = parse_mail(raw)
        screening = self._screen(mail, now)
        match = correlate(mail, store.tickets_for_message_ids(thread_ids(mail)),
                          store.tagged_ticket(subject_tag(mail.subject)))
        current = store.ticket_by_number(match.number) if match.number else None
        decision = decide(match, screening, current.status if current else None)
        if decision.stored_only:
            store.finish_inbound(row, now, screening.reason, None)
            return
        ticket = self._open_ticket(row, mail, now) if decision.open_ticket else current
        assert ticket is not None
        if match.note:  # e.g. a subject tag from someone not on that ticket: show staff why
            store.add_event(ticket, now, "tag-refused", "maild", match.note)
        self._add_customer_article(ticket, row, mail, screening, now)
        if not decision.open_ticket:
            store.touch_ticket(ticket, now, decision.status)
            store.add_event(ticket, now, "customer-mail", _sender_key(mail), f"via {match.via}")
        if decision.acknowledge:
            self._acknowledge(ticket, row, mail, now)
        store.finish_inbound(row, now, screening.reason, ticket)

    def _screen(self, mail: ParsedMail, now: datetime) -> Screening:
        since = now - timedelta(seconds=self.config.screen.auto_reply_window)
        answer_to = reply_address(mail).lower()  # the key every answer is counted under
        recent = store.automatic_mails_since(answer_to, since) if answer_to else 0
        return screen(mail, self.screen_policy, recent)

    def _open_ticket(self, row: Inbound, mail: ParsedMail, now: datetime) -> Ticket:
        helpdesk = self.config.helpdesk
        language = detect_language(mail.subject, mail.text, helpdesk.default_language)
        subject = strip_reply_prefixes(mail.subject) or NO_SUBJECT[language]
        number = store.next_ticket_number(row.fetched_at.astimezone(helpdesk.zone).date())
        sender = mail.sender or Address("", "")
        ticket = store.open_ticket(number, sender.key, sender.name, subject, language, now)
        store.record_intake(ticket, mail.text, row.fetched_at, now)
        store.add_participants(ticket, self._participants(mail))
        store.add_event(ticket, now, "opened", "maild", f"from {sender.key or 'unknown sender'}")
        return ticket

    def _participants(self, mail: ParsedMail) -> dict[str, str]:
        ours = self.config.helpdesk.address.lower()
        people = {a.key: "cc" for a in (*mail.to, *mail.cc, *mail.reply_to) if a.key and a.key != ours}
        if mail.sender and mail.sender.key:
            people[mail.sender.key] = "customer"
        return people

    def _add_customer_article(self, ticket: Ticket, row: Inbound, mail: ParsedMail, screening: Screening,
                              now: datetime) -> None:
        recipients = ", ".join(a.address for a in (*mail.to, *mail.cc))
        article = store.add_article(ticket, "in", _sender_key(mail), recipients, mail.subject, mail.text, now,
                                    message_id=mail.message_id, inbound=row, screened=screening.reason)
        for attachment in mail.attachments:
            path = self.attachments.save(ticket.number, attachment)
            store.add_attachment(article, attachment.filename, attachment.content_type,
                                 len(attachment.payload), path)

    def _acknowledge(self, ticket: Ticket, row: Inbound, mail: ParsedMail, now: datetime) -> None:
        helpdesk = self.config.helpdesk
        recipient = reply_target(mail)
        assert recipient is not None  # screening answers only mail with an answerable address
        context = {
            "number": ticket.number, "subject": ticket.subject, "customer_name": ticket.customer_name,
            "helpdesk_name": helpdesk.name, "helpdesk_address": helpdesk.address,
            "received_at": row.fetched_at.astimezone(helpdesk.zone).strftime("%Y-%m-%d %H:%M"),
        }
        body = self.renderer.render("ack", ticket.language, context)
        references = (*mail.references, mail.message_id) if mail.message_id else mail.references
        out = Outgoing(helpdesk.name, helpdesk.address, recipient.name, recipient.address,
                       f"[{ticket.number}] {ticket.subject}", mail.message_id, tuple(references),
                       helpdesk.loop_header)
        message_id = new_message_id(helpdesk.address)
        outbound = enqueue(dedupe_key=f"ack:{row.message_key}", raw=compose(out, body, message_id, now),
                           message_id=message_id, kind="ack", sender=helpdesk.address,
                           recipients=[recipient.address], now=now, ticket=ticket, rate_key=recipient.key)
        if outbound is not None:
            store.add_article(ticket, "out", helpdesk.address, recipient.address, out.subject, body.text, now,
                              message_id=message_id, outbound=outbound)


def _sender_key(mail: ParsedMail) -> str:
    return mail.sender.key if mail.sender else ""


def describe_fault(exc: BaseException) -> str:
    """The error and where it happened, in one or two lines an admin can act on."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"
