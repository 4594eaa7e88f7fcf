"""What one incoming mail does: screen it, find its ticket, and say so as a list of actions.

Pure: the mail, the facts the store knows about it and the policy go in; an outcome comes out,
which `steps/process` carries out in the mail's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Mapping

from ..parsing import ParsedMail, strip_reply_prefixes
from ..parsing import Address
from .actions import (
    Action,
    AddArticle,
    AddParticipants,
    Assign,
    Classify,
    OpenTicket,
    QueueMail,
    RecordEvent,
    TouchTicket,
    UpdateTicket,
)
from .classify import BUILTIN, Classification, ClassifyPolicy, classify
from .correlate import KnownTicket, Match, correlate, subject_tag
from .intake import intake_facts
from .authenticity import verified
from .commands import HELP, Command, Parsed, Staff, parse
from .reply_text import new_text
from .routing import Assignment, Engineer, Roster, assign
from .language import detect_language
from .screen import MailboxFacts, Screening, ScreenPolicy, reply_target, screen
from .tickets import status_after_customer_mail

NO_SUBJECT = {"zh": "（无主题）", "en": "(no subject)"}


@dataclass(frozen=True)
class MailPolicy:
    helpdesk_address: str
    zone: tzinfo  # the helpdesk's: ticket numbers carry its date
    default_language: str
    screen: ScreenPolicy
    # seconds to the first engineer's answer, per priority (guideline G2), as an acknowledgement
    # promises them before anyone has classified the mail
    first_response: Mapping[str, int] = field(hash=False)  # sla.first_response
    classify: ClassifyPolicy = ClassifyPolicy(BUILTIN, {})
    roster: Roster = Roster((), ())
    tiers: Mapping[str, str] = field(default_factory=dict, hash=False)  # address or domain → customer tier
    directory: Mapping[str, str] = field(default_factory=dict, hash=False)  # address or domain → organisation
    authserv_id: str = ""  # workflow.authserv_id: whose Authentication-Results prove a staff From
    reopen_within: float = 604800  # workflow.reopen_within: seconds after resolution a reply reopens

    @property
    def promised_response(self) -> dict[str, timedelta]:
        """Urgent problems (P0) within one window, everything else within the longest of the rest."""
        others = max(seconds for priority, seconds in self.first_response.items() if priority != "P0")
        return {"urgent_response_within": timedelta(seconds=self.first_response["P0"]),
                "response_within": timedelta(seconds=others)}


@dataclass(frozen=True)
class MailFacts:
    """What the store knows that bears on this mail."""

    message_key: str
    received_at: datetime  # when it was fetched
    threads: Mapping[str, str] = field(hash=False)  # our Message-IDs among its thread ids → ticket
    tickets: Mapping[str, KnownTicket] = field(hash=False)  # tickets those ids or the subject tag name
    recent_auto_replies: int = 0  # automatic mails sent lately to the address an answer goes to
    mailbox: MailboxFacts = MailboxFacts()  # what the mailbox said of it when fetched
    load: Mapping[str, int] = field(default_factory=dict, hash=False)  # open tickets per assignee


@dataclass(frozen=True)
class MailOutcome:
    ticket: str | None  # the existing ticket it joins; None: a new one (OpenTicket) or none at all
    screened: str | None  # why it gets no automatic answer
    actions: tuple[Action, ...]
    via: str | None = None  # how it was matched to the ticket it joins: "message-id" | "subject-tag"


def decide(mail: ParsedMail, facts: MailFacts, policy: MailPolicy) -> MailOutcome:
    screening = screen(mail, policy.screen, facts.recent_auto_replies, facts.mailbox)
    tag = subject_tag(mail.subject)
    match = correlate(mail, facts.threads, facts.tickets.get(tag) if tag else None, policy.roster.addresses)
    if match.number is not None:
        ticket = facts.tickets[match.number]
        engineer = policy.roster.member(sender_key(mail))
        if engineer is not None and screening.opens_ticket:  # a person on the staff, not their auto-reply
            if verified(tuple(mail.headers.get("authentication-results", ())), policy.authserv_id):
                return MailOutcome(match.number, None, engineer_mail(mail, ticket, engineer, facts, policy), match.via)
            return MailOutcome(match.number, screening.reason,
                               join_ticket(mail, ticket, match, screening) + unverified(mail, ticket, facts, policy),
                               match.via)
        if ticket.status in ("resolved", "closed") and screening.opens_ticket and not reopens(ticket, facts, policy):
            # Too long after the resolution: a new ticket that continues the old, which stays resolved.
            return MailOutcome(None, screening.reason, open_ticket(mail, facts, policy, match, screening, ticket.number))
        return MailOutcome(match.number, screening.reason,
                           join_ticket(mail, ticket, match, screening) + customer_mail_to_staff(mail, ticket, facts,
                                                                                              policy, screening),
                           match.via)
    if not screening.opens_ticket:  # a machine's mail about nothing of ours: stored, nothing more
        return MailOutcome(None, screening.reason, ())
    return MailOutcome(None, screening.reason, open_ticket(mail, facts, policy, match, screening))


def reopens(ticket: KnownTicket, facts: MailFacts, policy: MailPolicy) -> bool:
    """A customer's mail on a resolved ticket within workflow.reopen_within of its resolution."""
    if ticket.status != "resolved":
        return False
    if ticket.resolved_at is None:  # resolved before maild kept the time: the mail reopens it
        return True
    return (facts.received_at - ticket.resolved_at).total_seconds() <= policy.reopen_within


NOT_SOLVED = ("没有解决", "没解决", "还是不行", "仍然不行", "依然不行", "还是有问题", "问题依旧", "not fixed", "not solved",
              "still not", "still doesn't", "still does not", "still broken", "still failing", "still the same")


def join_ticket(mail: ParsedMail, ticket: KnownTicket, match: Match, screening: Screening) -> tuple[Action, ...]:
    status = status_after_customer_mail(ticket.status, screening.opens_ticket and screening.reason not in QUIET_REASONS)
    said = new_text(mail.text).lower()
    reopened = ([RecordEvent("reopened", sender_key(mail), next((f"the customer says: {w}" for w in NOT_SOLVED
                                                                  if w in said), "the customer wrote again"))]
                if status == "open" and ticket.status == "resolved" else [])
    return (
        customer_article(mail, screening),
        TouchTicket(status if status != ticket.status else None),
        RecordEvent("customer-mail", sender_key(mail), f"via {match.via}"),
        *reopened,
    )


def engineer_mail(mail: ParsedMail, ticket: KnownTicket, engineer: Engineer, facts: MailFacts,
                  policy: MailPolicy) -> tuple[Action, ...]:
    """An engineer's mail from their own mail client: the commands at its top are carried out, and
    what they wrote after them, without the history they quoted, goes to the customer from the
    support address, threaded on the customer's mail, with their files. A wrong command carries
    out nothing of the mail, sends the customer nothing, and the engineer is told what was wrong."""
    staff = tuple(Staff(e.address, e.name) for e in policy.roster.staff)
    parsed = parse(new_text(mail.text), staff, policy.zone, facts.received_at)
    if parsed.errors:
        return command_errors(parsed, ticket, engineer, facts, policy)
    done: list[Action] = []
    for command in parsed.commands:
        done += carried_out(command, parsed, ticket, engineer, facts, policy)
    if parsed.text or (mail.attachments and not parsed.note):
        done += relay(parsed.text, mail, ticket, engineer, facts,
                      first_answer=not any(c.name == "status" for c in parsed.commands))
    elif not parsed.commands:
        done.append(RecordEvent("staff-mail-empty", engineer.address, "no new text and no files: nothing was sent"))
    return (*done, TouchTicket())


def relay(text: str, mail: ParsedMail, ticket: KnownTicket, engineer: Engineer, facts: MailFacts,
          first_answer: bool) -> list[Action]:
    if not ticket.customer:
        return [RecordEvent("staff-mail-held", engineer.address, "the ticket has no customer address to send to")]
    last = ticket.last_customer_message_id
    answer = QueueMail("reply", f"reply:{facts.message_key}", Address(ticket.customer, ticket.customer_name),
                       ticket.language, ticket.subject, {"text": text, "engineer": engineer.name},
                       last, (last,) if last else (), attachments=mail.attachments)
    status = "in-progress" if first_answer and ticket.status in ("new", "open") else None
    return [answer, TouchTicket(status), RecordEvent("engineer-reply", engineer.address, f"sent to {ticket.customer}")]


def carried_out(command: Command, parsed: Parsed, ticket: KnownTicket, engineer: Engineer, facts: MailFacts,
                policy: MailPolicy) -> list[Action]:
    by = engineer.address
    match command.name:
        case "status":
            resolved = [UpdateTicket({"resolved_at": facts.received_at})] if command.value == "resolved" else []
            return [TouchTicket(command.value), *resolved, RecordEvent("status", by, command.value)]
        case "priority":
            return [UpdateTicket({"priority": command.value}), RecordEvent("priority", by, command.value)]
        case "type":
            return [UpdateTicket({"problem_type": command.value}), RecordEvent("type", by, command.value)]
        case "assign":
            member = policy.roster.member(command.value)
            assert member is not None  # parse checked it
            context = {"customer": ticket.customer, "customer_name": ticket.customer_name,
                       "received_at": facts.received_at, "priority": ticket.priority or "-", "type": "",
                       "reason": f"assigned by {engineer.name}", "hint": "", "text": parsed.text,
                       "assignee": member.name, "assign_reason": f"#assign by {engineer.name}"}
            return [Assign(member.address, f"#assign by {by}"), RecordEvent("assigned", by, member.address),
                    QueueMail("assigned", f"assigned:{facts.message_key}:{member.address}",
                              Address(member.address, member.name), policy.default_language,
                              f"[{ticket.priority or '-'}] {ticket.subject}", context, on_thread=False)]
        case "eta":
            return [UpdateTicket({"eta": datetime.fromisoformat(command.value)}), RecordEvent("eta", by, command.value)]
        case "note":
            return [RecordEvent("note", by, command.value)]
        case "complex":
            # G9: a review with the R&D engineers and the product manager, a solution within 48 h.
            invited = [e for e in policy.roster.staff if e.roles & {"rnd", "pm"}]
            context = {"engineer": engineer.name, "why": command.value, "priority": ticket.priority or "-",
                       "customer": ticket.customer, "customer_name": ticket.customer_name}
            return [UpdateTicket({"complex": True}),
                    RecordEvent("complex", by, command.value + (f" (invited: {', '.join(e.address for e in invited)})"
                                                                if invited else " (no rnd or pm staff to invite)")),
                    *(QueueMail("complex", f"complex:{facts.message_key}:{e.address}", Address(e.address, e.name),
                                policy.default_language, f"[{ticket.priority or '-'}] {ticket.subject}", context,
                                on_thread=False) for e in invited)]
        case "kb":
            return [UpdateTicket({"kb_proposed": True}), RecordEvent("kb", by, command.value)]
        case "resolve":
            report = {key: parsed.report.get(key) for key in ("root_cause", "solution", "test_result")}
            notice = QueueMail("resolved", f"resolved:{facts.message_key}",
                               Address(ticket.customer, ticket.customer_name), ticket.language, ticket.subject,
                               {"engineer": engineer.name, **{k: v or "" for k, v in report.items()}},
                               ticket.last_customer_message_id,
                               (ticket.last_customer_message_id,) if ticket.last_customer_message_id else ())
            return [TouchTicket("resolved"), UpdateTicket({**report, "resolved_at": facts.received_at}),
                    RecordEvent("resolved", by, report["solution"] or ""), *([notice] if ticket.customer else [])]
    raise ValueError(f"no way to carry out #{command.name}")


def command_errors(parsed: Parsed, ticket: KnownTicket, engineer: Engineer, facts: MailFacts,
                   policy: MailPolicy) -> tuple[Action, ...]:
    context = {"errors": "\n".join(parsed.errors), "help": HELP, "subject": ticket.subject}
    return (RecordEvent("commands-refused", engineer.address, "; ".join(parsed.errors)),
            QueueMail("command-error", f"command-error:{facts.message_key}", Address(engineer.address, engineer.name),
                      policy.default_language, ticket.subject, context, on_thread=False),
            TouchTicket())


def unverified(mail: ParsedMail, ticket: KnownTicket, facts: MailFacts, policy: MailPolicy) -> tuple[Action, ...]:
    """A staff From that its server did not vouch for: kept as a customer's mail, carried out in
    nothing, and the supervisors told, once for this mail."""
    context = {"sender": sender_key(mail), "authserv_id": policy.authserv_id, "subject": mail.subject}
    return (RecordEvent("staff-unverified", "maild", f"{sender_key(mail)}: no dkim=pass or spf=pass from "
                                                     f"{policy.authserv_id}; taken as a customer's mail"),
            *(QueueMail("unverified", f"unverified:{facts.message_key}:{e.address}", Address(e.address, e.name),
                        policy.default_language, ticket.subject, context, on_thread=False)
              for e in policy.roster.with_role("supervisor")))


def customer_mail_to_staff(mail: ParsedMail, ticket: KnownTicket, facts: MailFacts, policy: MailPolicy,
                           screening: Screening) -> tuple[Action, ...]:
    """A customer's reply goes on to the engineer handling the ticket (and for P0 the supervisors),
    without the quoted history; their answer comes back through the support address."""
    if not screening.opens_ticket or screening.reason in QUIET_REASONS:  # machines, floods and old mail
        return ()
    people = [e for e in (policy.roster.member(ticket.assignee or ""),) if e is not None]
    if ticket.priority == "P0":
        people += [e for e in policy.roster.with_role("supervisor") if e not in people]
    context = {"customer": sender_key(mail), "customer_name": mail.sender.name if mail.sender else "",
               "priority": ticket.priority or "-", "text": excerpt(new_text(mail.text))}
    return tuple(QueueMail("customer-reply", f"customer-reply:{facts.message_key}:{e.address}",
                           Address(e.address, e.name), policy.default_language, ticket.subject, context,
                           on_thread=False) for e in people)


def open_ticket(mail: ParsedMail, facts: MailFacts, policy: MailPolicy, match: Match,
                screening: Screening, continues: str | None = None) -> tuple[Action, ...]:
    language = detect_language(mail.subject, mail.text, policy.default_language)
    subject = strip_reply_prefixes(mail.subject) or NO_SUBJECT[language]
    customer_name = mail.sender.name if mail.sender else ""
    known = intake_facts(sender_key(mail), mail.text, policy.directory)
    actions: list[Action] = [
        OpenTicket(facts.received_at.astimezone(policy.zone).date(), sender_key(mail), customer_name, subject,
                   language, mail.text, facts.received_at, known.organisation, known.phones, known.description,
                   continues),
        AddParticipants(participants(mail, policy.helpdesk_address)),
        RecordEvent("opened", "maild", f"from {sender_key(mail) or 'unknown sender'}"
                    + (f", continuing {continues} (resolved longer ago than workflow.reopen_within)" if continues
                       else "")),
    ]
    if match.note:  # e.g. a subject tag from someone not on that ticket: show staff why
        actions.append(RecordEvent("tag-refused", "maild", match.note))
    actions.append(customer_article(mail, screening))
    if screening.answer:
        actions.append(acknowledgement(mail, facts, policy, language, subject, customer_name))
    classification = classify(subject, mail.text, urgency_flags(mail), tier_of(sender_key(mail), policy.tiers),
                              policy.classify)
    local = facts.received_at.astimezone(policy.zone).replace(tzinfo=None)
    assignment = assign(classification.priority, classification.module, policy.roster, facts.load, local)
    actions += triage(classification, assignment)
    if screening.reason not in QUIET_REASONS:
        actions += staff_notices(mail, facts, policy, subject, classification, assignment)
    return tuple(actions)


# Mail that opens a ticket without anyone being told: years of a mailbox's past, mail a person
# answered already, a flood past the rate limit, mailing lists. Staff find them in `maild tickets`.
QUIET_REASONS = {"old-mail", "answered", "rate-limit", "bulk"}


def triage(classification: Classification, assignment: Assignment) -> list[Action]:
    """G5-G7: the priority, the type and the handler, and the progress trail saying so."""
    handler = assignment.assignee.address if assignment.assignee else None
    return [
        Classify(classification.priority, classification.type, classification.reason, classification.hint),
        RecordEvent("classified", "maild", classification.reason
                    + (f"; the sender marked it {classification.hint}" if classification.hint else "")),
        Assign(handler, assignment.reason),
        RecordEvent("assigned", "maild", f"{handler or 'nobody'}: {assignment.reason}"),
    ]


def staff_notices(mail: ParsedMail, facts: MailFacts, policy: MailPolicy, subject: str,
                  classification: Classification, assignment: Assignment) -> list[QueueMail]:
    """The assignee's notification and, for P0 or a ticket nobody covers, the supervisors'."""
    context = {"customer": sender_key(mail), "customer_name": mail.sender.name if mail.sender else "",
               "received_at": facts.received_at, "priority": classification.priority,
               "type": classification.type, "reason": classification.reason, "hint": classification.hint or "",
               "text": excerpt(mail.text), "assignee": assignment.assignee.name if assignment.assignee else "",
               "assign_reason": assignment.reason}
    tagged = f"[{classification.priority}] {subject}"
    people = [("assigned", assignment.assignee)] if assignment.assignee else []
    people += [("alert", supervisor) for supervisor in assignment.tell]
    return [QueueMail(kind, f"{kind}:{facts.message_key}:{engineer.address}", Address(engineer.address, engineer.name),
                      policy.default_language, tagged, context, on_thread=False) for kind, engineer in people]


STAFF_TEXT_CHARS = 4000  # of the customer's text in a notification: a problem report; the rest is on the ticket


def excerpt(text: str) -> str:
    if len(text) <= STAFF_TEXT_CHARS:
        return text
    return f"{text[:STAFF_TEXT_CHARS]}\n[… {len(text) - STAFF_TEXT_CHARS} more characters on the ticket]"


def urgency_flags(mail: ParsedMail) -> dict[str, str]:
    return {name: value for name in ("x-priority", "importance", "priority", "x-msmail-priority")
            if (value := mail.header(name))}


def tier_of(address: str, tiers: Mapping[str, str]) -> str | None:
    return tiers.get(address) or tiers.get(address.rpartition("@")[2])


ANSWER_REFERENCES = 20  # ids in an answer's References: the thread's root and the latest ones
MAX_PARTICIPANTS = 100  # a Cc of 90,000 addresses is a mass mailing, not a team to let in


def participants(mail: ParsedMail, helpdesk_address: str) -> tuple[tuple[str, str], ...]:
    """Who may write into the ticket by its subject tag: the customer, and whoever they wrote with
    (the first MAX_PARTICIPANTS in all)."""
    ours = helpdesk_address.lower()
    people = {a.key: "cc" for a in (*mail.reply_to, *mail.to, *mail.cc) if a.key and a.key != ours}
    if sender_key(mail):
        people.pop(sender_key(mail), None)
        people = {sender_key(mail): "customer", **people}
    return tuple(people.items())[:MAX_PARTICIPANTS]


def customer_article(mail: ParsedMail, screening: Screening) -> AddArticle:
    recipients = ", ".join(a.address for a in (*mail.to, *mail.cc))
    return AddArticle("in", sender_key(mail), recipients, mail.subject, mail.text, mail.message_id,
                      screening.reason, mail.attachments)


def acknowledgement(mail: ParsedMail, facts: MailFacts, policy: MailPolicy, language: str, subject: str,
                    customer_name: str) -> QueueMail:
    recipient = reply_target(mail)
    assert recipient is not None  # screening answers only mail with an answerable address
    references = (*mail.references, mail.message_id) if mail.message_id else mail.references
    if len(references) > ANSWER_REFERENCES:  # RFC 5322 §3.6.4 lets a long chain drop its middle
        references = (references[0], *references[-(ANSWER_REFERENCES - 1):])
    return QueueMail("ack", f"ack:{facts.message_key}", recipient, language, subject,
                     {"customer_name": customer_name, "received_at": facts.received_at, **policy.promised_response},
                     mail.message_id, tuple(references), rate_key=recipient.key)


def sender_key(mail: ParsedMail) -> str:
    return mail.sender.key if mail.sender else ""
