"""The process step: stored mail → parse → facts from the store → the mail rule → its actions.

The rule (rules/inbound) decides; this module only gathers its facts and carries out what it
returns. A batch of mail commits in one transaction. Should a mail fail, the batch is rolled back
and runs again with each mail under a savepoint of its own: that mail is quarantined with its
error and the others commit; `requeue` replays it. (A savepoint per mail every time cost two
statements and, on PostgreSQL, a round trip per mail, for faults that hardly ever happen.)
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from ..config import Config
from ..errors import StoreError, describe_fault
from ..outgoing.notices import MailWriter
from ..parsing import ParsedMail
from ..parsing.large import parse_within
from ..rules import actions
from ..rules.classify import BUILTIN, ClassifyPolicy, ClassifyRule
from ..rules.correlate import KnownTicket, subject_tag, thread_ids
from ..rules.intake import urgency
from ..rules.kb import EMPTY, KbIndex
from ..rules.inbound import MailFacts, MailOutcome, MailPolicy, decide
from ..rules.screen import MailboxFacts, ScreenPolicy, reply_address
from ..rules.routing import roster_from
from ..rules.signed_ids import signed_ids
from ..rules.timers import first_look, timer_policy
from ..rules.tickets import ticket_number
from ..store import inbound, kb, outbox, suppression, surveys, tickets
from ..store.attachments import AttachmentStore
from ..store.db import savepoint, transaction
from ..store.inbound import StoredMail
from ..store.tickets import TicketRow
from . import publish_kb_entry, queue_notice

log = logging.getLogger(__name__)

BATCH_BYTES = 8 * 1024 * 1024  # raw mail per batch: parsed first, so memory holds about twice this


@dataclass(frozen=True)
class TicketRef:
    id: int
    number: str


class Process:
    """Each run takes one batch of stored mail: parses it, then decides and writes it in one
    transaction; if a mail fails, the batch again with a savepoint per mail, so that one is
    rolled back alone and quarantined while the others commit. Parsing happens before the
    transaction, so the database's write lock is held only for the writes (other maild
    processes go on)."""

    name = "process"

    def __init__(self, config: Config, writer: MailWriter, attachments: AttachmentStore) -> None:
        self.config = config
        self.writer = writer
        self.attachments = attachments
        self.policy = mail_policy(config, writer.id_key)
        self.timers = timer_policy(config)  # when a new ticket's timers are first looked at
        self.total = 0  # mails taken since start, for `maild once` to report
        self._said: list[tuple[int, str]] = []  # the batch's log lines, written once it commits
        self._load: Counter[str] = Counter()  # open tickets per assignee, read once per batch
        self._kb, self._kb_version = EMPTY, None  # the published entries' index, rebuilt when they change

    def run(self, now: datetime) -> int:
        """Returns how many mails were claimed (and processed, or quarantined); 0: none waiting."""
        processing = self.config.processing
        with transaction():  # the attempts are counted before the work, so a crash is remembered
            claimed = inbound.claim_batch(processing.batch_size, BATCH_BYTES, processing.max_attempts)
        if not claimed:
            return 0
        try:
            parsed = [(stored, parsed_or_fault(stored, processing.max_mail_bytes))
                      for stored in inbound.load_batch(claimed)]
            try:
                self._write(parsed, now, isolated=False)
            except StoreError:
                raise
            except Exception:  # noqa: BLE001 - a mail failed: found and quarantined by the second run
                self._write(parsed, now, isolated=True)
        except StoreError:
            self._give_back(claimed)
            raise
        finally:
            inbound.unclaim(claimed)
        self.total += len(claimed)
        return len(claimed)

    def _give_back(self, claimed: list[int]) -> None:
        """The database failed, not the mail: its attempts must not bring it nearer quarantine."""
        try:
            with transaction():
                inbound.give_back(claimed)
        except StoreError:
            pass  # the database is still away; the attempts stay counted

    def _recent_automatic_mails(self, mails: Iterable[ParsedMail | Exception], now: datetime) -> Counter[str]:
        """The rate limit's counts for every address this batch may answer, in one query; the
        batch adds its own answers as they commit (see _process)."""
        since = now - timedelta(seconds=self.config.screen.auto_reply_window)
        return outbox.automatic_mails_since({answer_key(mail) for mail in mails} - {""}, since)

    def _write(self, parsed: list[tuple[StoredMail, ParsedMail | Exception]], now: datetime, isolated: bool) -> None:
        """The batch's writes in one transaction; `isolated`: each mail under a savepoint. Each
        mail's log line is written once the transaction has committed: it says what is so."""
        self._said = []
        with transaction():
            mine = inbound.still_new([stored.id for stored, _ in parsed])
            recent = self._recent_automatic_mails([mail for _, mail in parsed], now)
            self._load = tickets.open_load() if self.policy.roster.staff else Counter()
            self._refresh_kb()
            for stored, mail in parsed:
                if stored.id not in mine:
                    continue
                if isinstance(mail, Exception):  # it failed before writing anything
                    self._quarantine(stored, mail)
                elif isolated:
                    self._isolated(stored, mail, recent, now)
                else:
                    recent.update(self.handle(stored, mail, now, recent))
        for level, line in self._said:
            log.log(level, "%s", line)

    def _refresh_kb(self) -> None:
        """The knowledge base's search index as the batch starts: one cheap query when nothing changed."""
        if not self.policy.kb_suggest:
            return
        version = kb.version()
        if version != self._kb_version:
            self._kb, self._kb_version = KbIndex(kb.published()), version

    def _isolated(self, stored: StoredMail, mail: ParsedMail, recent: Counter[str], now: datetime) -> None:
        said, load = len(self._said), self._load.copy()
        try:
            with savepoint():
                answered = self.handle(stored, mail, now, recent)
            recent.update(answered)  # only now: a mail rolled back answered nobody
        except StoreError:
            raise  # the database failed, not the mail: the batch is retried later
        except Exception as exc:  # any other fault in any step: keep the mail, report it, go on
            del self._said[said:]  # what it did is rolled back
            self._load = load
            self._quarantine(stored, exc)

    def _quarantine(self, stored: StoredMail, exc: Exception) -> None:
        fault = describe_fault(exc)
        self._said.append((logging.ERROR, f"mail {stored.message_key} (id {stored.id}): quarantined: {fault}"))
        inbound.quarantine(stored.id, fault)

    def handle(self, stored: StoredMail, mail: ParsedMail, now: datetime, recent: Counter[str]) -> list[str]:
        """Decide and write one mail; returns the addresses it queued automatic mail to."""
        answer_to = answer_key(mail)
        facts, referenced = gather_facts(mail, stored.message_key, stored.fetched_at, mailbox_facts(stored, now),
                                         recent[answer_to] if answer_to else 0, self._load, self.policy.id_key,
                                         self._kb, len(stored.raw))
        return self._apply(decide(mail, facts, self.policy), stored, mail, referenced, now)

    # -- carrying out the outcome ------------------------------------------------------------

    def _apply(self, outcome: MailOutcome, stored: StoredMail, mail: ParsedMail, referenced: dict[str, TicketRow],
               now: datetime) -> list[str]:
        """Carry out the actions in order; returns the addresses automatic mail was queued to."""
        row = referenced[outcome.ticket] if outcome.ticket else None
        ticket = TicketRef(row.id, row.number) if row else None
        answered: list[str] = []
        queued: list[str] = []  # kinds of mail queued, for the log
        triage, taken = opening_triage(outcome.actions, now)
        status = row.status if row else None  # the ticket's, as the actions move it: on each line of its trail
        events: list[tuple[str, str, str, str | None, str | None]] = []  # the mail's trail lines: one statement at the end
        for action in outcome.actions:
            if any(action is written for written in taken):
                continue  # written with the new ticket's row
            if isinstance(action, actions.RecordEvent):
                events.append((action.kind, action.actor, action.detail, status, action.feedback))
            elif isinstance(action, actions.OpenTicket):
                ticket, status = self._open(action, now, triage), "new"
            elif isinstance(action, actions.QueueMail):
                if self._queue(ticket, action, stored.id, now):
                    queued.append(action.kind)
                    if action.rate_key:
                        answered.append(action.rate_key)
            else:
                ticket = self._apply_one(action, ticket, stored, now)
                if isinstance(action, actions.TouchTicket) and action.status:
                    status = action.status
        if events:
            assert ticket is not None, "RecordEvent needs a ticket"
            tickets.add_events(ticket.id, now, events)
        inbound.finish_inbound(stored.id, now, outcome.screened, ticket.id if ticket else None)
        self._said.append((logging.INFO, f"mail {stored.message_key} from {sender_of(mail) or '(no sender)'}: "
                                         f"{what_happened(outcome, ticket.number if ticket else None, queued)}"))
        return answered

    def _apply_one(self, action: actions.Action, ticket: TicketRef | None, stored: StoredMail,
                   now: datetime) -> TicketRef:
        assert ticket is not None, f"{type(action).__name__} needs a ticket"
        match action:
            case actions.AddParticipants(people):
                tickets.add_participants(ticket.id, people)
            case actions.AddArticle():
                self._add_article(ticket, action, stored, now)
            case actions.TouchTicket(status):
                tickets.touch_ticket(ticket.id, now, status)
            case actions.Classify(priority, problem_type, reason, hint):
                tickets.classify_ticket(ticket.id, priority, problem_type, reason, hint, now)
            case actions.Assign(assignee):
                tickets.assign_ticket(ticket.id, assignee, now)
                if assignee:
                    self._load[assignee] += 1
            case actions.RecordSurvey(customer, rating, suggestions, by):
                surveys.answer(ticket.id, customer, rating, suggestions, by, now)
            case actions.PublishKbEntry(by):
                entry = kb.of_ticket(ticket.id)
                if entry is not None:
                    publish_kb_entry(entry, by, self.config, now)
            case actions.MarkBounced(message_id, detail):
                outbox.mark_bounced(message_id, detail)
            case actions.Suppress(address, until, status, diagnostic):
                suppression.suppress(address, until, status, diagnostic, ticket.number, now)
            case actions.UpdateTicket(fields):
                unknown = set(fields) - set(actions.TICKET_FIELDS)
                assert not unknown, f"no ticket field {unknown}"
                tickets.update_ticket(ticket.id, dict(fields), now)
            case _:
                raise TypeError(f"no way to carry out {action!r}")
        return ticket

    def _open(self, action: actions.OpenTicket, now: datetime, triage: tickets.Triage | None) -> TicketRef:
        reserved = tickets.next_ticket(action.day)
        number = ticket_number(action.day, reserved.serial)
        look = first_look(triage.priority, action.received_at, self.timers) if triage and not action.quiet else None
        ticket_id = tickets.open_ticket(number, action.customer, action.customer_name, action.subject,
                                        action.language, now, reserved.id, triage, action.linked_to, look)
        if triage and triage.assignee:
            self._load[triage.assignee] += 1
        tickets.record_intake(ticket_id, action.customer, action.customer_name, action.subject,
                              action.intake_body, action.received_at, now, action.organisation, action.phones,
                              action.description, triage.problem_type if triage else None,
                              urgency(triage.priority) if triage else None,
                              action.judgement or (triage.reason if triage else None), action.channel,
                              action.received_by)
        return TicketRef(ticket_id, number)

    def _add_article(self, ticket: TicketRef, action: actions.AddArticle, stored: StoredMail, now: datetime) -> None:
        article_id = tickets.add_article(ticket.id, action.direction, action.sender, action.recipients,
                                         action.subject, action.body, now, message_id=action.message_id,
                                         inbound_id=stored.id, screened=action.screened,
                                         keep_id=bool(action.attachments))
        for attachment in action.attachments:
            path = self.attachments.save(ticket.number, attachment.filename, attachment.payload)
            tickets.add_attachment(article_id, attachment.filename, attachment.content_type,
                                   len(attachment.payload), path)

    def _queue(self, ticket: TicketRef | None, queued: actions.QueueMail, inbound_id: int, now: datetime) -> bool:
        """Queue the mail once per dedupe key, and show it on the ticket's thread; False when
        that key was queued before. Staff mail may be about no ticket (a filing refused)."""
        fresh, notice = queue_notice(queued, (ticket.id, ticket.number) if ticket else None, inbound_id,
                                     self.writer, now)
        for attachment in queued.attachments if fresh else ():  # an engineer's files, listed with what was sent
            assert ticket is not None
            path = self.attachments.save(ticket.number, attachment.filename, attachment.payload)
            tickets.attach_to_sent(notice.message_id, attachment.filename, attachment.content_type,
                                   len(attachment.payload), path)
        return fresh


def mail_policy(config: Config, id_key: bytes) -> MailPolicy:
    helpdesk = config.helpdesk
    return MailPolicy(helpdesk.address, helpdesk.zone, helpdesk.default_language,
                      ScreenPolicy(helpdesk.loop_header, config.screen.auto_reply_limit, config.screen.answer_within),
                      config.sla.first_response, classify_policy(config), roster_from(config), customer_tiers(config),
                      customer_directory(config), config.workflow.authserv_id, config.workflow.reopen_within,
                      config.kb.suggest, config.screen.suppress_days, config.processing.max_mail_bytes, id_key)


def classify_policy(config: Config) -> ClassifyPolicy:
    own = tuple(ClassifyRule(tuple(phrase.lower() for phrase in rule.match), rule.priority, rule.type, rule.module,
                             rule.tier, f"rule[{n}]") for n, rule in enumerate(config.rules, 1))
    shipped = BUILTIN if config.classify.builtin_rules else ()
    modules = {module.name: tuple(keyword.lower() for keyword in module.keywords) for module in config.modules}
    return ClassifyPolicy(own + shipped, modules, config.classify.default_priority, config.classify.default_type)


def customer_tiers(config: Config) -> dict[str, str]:
    return {(c.address or c.domain or ""): c.tier for c in config.customers if c.tier}


def customer_directory(config: Config) -> dict[str, str]:
    return {(c.address or c.domain or ""): c.organisation for c in config.customers}


def opening_triage(decided: tuple[actions.Action, ...],
                   now: datetime) -> tuple[tickets.Triage | None, tuple[actions.Action, ...]]:
    """The classification and assignment of a ticket this outcome opens, for its row, and the two
    actions that row carries out; (None, ()) when it opens none (a later Classify or Assign, such as
    a filing engineer's #assign, updates the ticket instead)."""
    if not any(isinstance(a, actions.OpenTicket) for a in decided):
        return None, ()
    classified = next((a for a in decided if isinstance(a, actions.Classify)), None)
    assigned = next((a for a in decided if isinstance(a, actions.Assign)), None)
    if classified is None or assigned is None:
        return None, ()
    return (tickets.Triage(classified.priority, classified.reason, classified.hint, classified.type, now,
                           assigned.assignee, now), (classified, assigned))


def gather_facts(mail: ParsedMail, message_key: str, fetched_at: datetime, mailbox: MailboxFacts,
                 recent_auto_replies: int, load: Mapping[str, int], id_key: bytes,
                 kb_index: KbIndex = EMPTY, size: int = 0) -> tuple[MailFacts, dict[str, TicketRow]]:
    """What the store knows that bears on this mail, for the rule; and the rows of the tickets it
    names, for carrying out the outcome."""
    ours = tickets.tickets_for_message_ids(signed_ids(thread_ids(mail), id_key))
    threads = {message_id: number for message_id, (number, _, _) in ours.items()}
    tag = subject_tag(mail.subject)
    referenced = tickets.tickets_by_number({*threads.values(), *([tag] if tag else [])})
    known = {number: KnownTicket(row.number, row.status, row.participants, row.customer, row.customer_name,
                                 row.subject, row.language, row.priority, row.assignee, row.last_customer_message_id,
                                 row.resolved_at, row.reply_to)
             for number, row in referenced.items()}
    sent = {message_id: (kind, recipients) for message_id, (_, kind, recipients) in ours.items()}
    return MailFacts(message_key, fetched_at, threads, known, recent_auto_replies, mailbox, load,
                     kb_index, sent, size), referenced


def what_happened(outcome: MailOutcome, number: str | None, queued: list[str]) -> str:
    """The mail's log line, after "mail KEY from SENDER: ", e.g. "new ticket TS20261125001, ack
    queued" or "joined TS20261125001 via message-id, screened: auto-reply"."""
    if outcome.ticket:
        said = f"joined {outcome.ticket} via {outcome.via}"
    elif number:
        said = f"new ticket {number}"
    else:
        return f"screened: {outcome.screened}"
    if queued:
        return f"{said}, {', '.join(queued)} queued"
    return f"{said}, screened: {outcome.screened}" if outcome.screened else said


def sender_of(mail: ParsedMail) -> str:
    return mail.sender.address if mail.sender else ""


def mailbox_facts(stored: StoredMail, now: datetime) -> MailboxFacts:
    received = stored.server_received_at
    return MailboxFacts((now - received).total_seconds() if received else None, stored.answered_on_server)


def answer_key(mail: ParsedMail | Exception) -> str:
    """The address every automatic answer to this mail is counted under; "" for none. A mail that
    cannot say is left to its own turn, where the same fault quarantines it alone."""
    try:
        return reply_address(mail).lower() if isinstance(mail, ParsedMail) else ""
    except Exception:  # noqa: BLE001 - see above
        return ""


def parsed_or_fault(stored: StoredMail, max_bytes: int) -> ParsedMail | Exception:
    """parse_mail never raises on bad mail; should it fail all the same, the mail is quarantined
    with the fault like any other, not the batch. A mail over `max_bytes` is read for its headers
    and text only."""
    try:
        return parse_within(stored.raw, max_bytes)
    except Exception as exc:  # noqa: BLE001 - carried to the mail's own quarantine
        return exc


# -- for the command line ----------------------------------------------------------------------

def requeue(inbound_id: int) -> bool:
    """Process a quarantined mail again (after a fix); False if it is not in quarantine."""
    with transaction():
        return inbound.requeue(inbound_id)
