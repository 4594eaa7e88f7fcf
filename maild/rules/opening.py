"""A new ticket (G1-G7): its intake record, the customer's acknowledgement, its priority, type and
handler, and the staff told. The same for a customer's own mail and for a problem staff filed on
a customer's behalf (a phone call written up, a customer's mail forwarded).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from ..parsing import Address, ParsedMail, sanitised_html, strip_reply_prefixes
from .actions import Action, AddArticle, AddParticipants, Assign, Classify, OpenTicket, QueueMail, RecordEvent
from .classify import Classification, classify
from .correlate import TAG, Match
from .commands import HELP
from .intake import IntakeFacts, intake_facts, urgency
from .language import detect_language
from .mail_inputs import MailFacts, MailPolicy
from .routing import Assignment, Engineer, assign
from .screen import Screening, reply_target

NO_SUBJECT = {"zh": "（无主题）", "en": "(no subject)"}

# Mail that opens a ticket without anyone being told: years of a mailbox's past, mail a person
# answered already, a flood past the rate limit, mailing lists. Staff find them in `maild tickets`.
QUIET_REASONS = {"old-mail", "answered", "rate-limit", "bulk"}

ANSWER_REFERENCES = 20  # ids in an answer's References: the thread's root and the latest ones
ECHOED_SUBJECT = 120  # characters of the sender's subject an acknowledgement repeats: its body, never
ECHOED_NAME = 60  # characters of the sender's name it greets
MAX_PARTICIPANTS = 100  # a Cc of 90,000 addresses is a mass mailing, not a team to let in
STAFF_TEXT_CHARS = 4000  # of the customer's text in a notification: a problem report; the rest is on the ticket
STAFF_HTML_CHARS = 200_000  # of the customer's HTML, sanitised, in a notification's HTML part; longer: the text


@dataclass(frozen=True)
class Request:
    """The problem a new ticket records, for whom, and who took it in (T1)."""

    customer: Address  # its address is "" when the sender gave none maild can read
    subject: str  # as written, reply and forward prefixes and all
    text: str
    answer_to: Address | None  # where the acknowledgement goes
    answers: str | None  # the customer's Message-ID it answers (and the article's)
    references: tuple[str, ...]
    people: tuple[tuple[str, str], ...]  # who may write into the ticket by its subject tag
    flags: Mapping[str, str] = field(default_factory=dict, hash=False)  # the sender's urgency headers: a hint
    html: str | None = None  # an HTML-only mail's HTML, as received: shown to staff only sanitised
    channel: str = "email"
    received_by: str = "maild"
    judgement: str | None = None  # what staff judged at intake; None: the rule that matched says it
    priority: str | None = None  # set by the staff member who filed it, over the rules
    type: str | None = None
    assignee: Engineer | None = None


def customer_request(mail: ParsedMail, helpdesk_address: str) -> Request:
    """A customer's own mail."""
    references = (*mail.references, mail.message_id) if mail.message_id else mail.references
    return Request(mail.sender or Address("", ""), mail.subject, mail.text, reply_target(mail), mail.message_id,
                   tuple(references), participants(mail, helpdesk_address), urgency_flags(mail),
                   html=mail.html if mail.text_from_html else None)


def open_ticket(request: Request, mail: ParsedMail, facts: MailFacts, policy: MailPolicy, match: Match,
                screening: Screening, continues: str | None = None) -> tuple[Action, ...]:
    """`mail` is what came in: the customer's own, or the staff member's that filed the request."""
    customer = request.customer
    language = detect_language(request.subject, request.text, policy.default_language)
    subject = without_tags(strip_reply_prefixes(request.subject)) or NO_SUBJECT[language]
    known = intake_facts(customer.key, request.text, policy.directory)
    classification = classified(request, subject, policy)
    local = facts.received_at.astimezone(policy.zone).replace(tzinfo=None)
    assignment = (Assignment(request.assignee, f"#assign by {request.received_by}",
                             policy.roster.with_role("supervisor") if classification.priority == "P0" else ())
                  if request.assignee else assign(classification.priority, classification.module, policy.roster,
                                                  facts.load, local))
    actions: list[Action] = [
        OpenTicket(facts.received_at.astimezone(policy.zone).date(), customer.key, customer.name, subject,
                   language, request.text, facts.received_at, known.organisation, known.phones, known.description,
                   continues, request.channel, request.received_by, request.judgement,
                   screening.reason in QUIET_REASONS),
        AddParticipants(request.people),
        RecordEvent("opened", request.received_by, opened_how(request, continues)),
    ]
    if match.note:  # e.g. a subject tag from someone not on that ticket: show staff why
        actions.append(RecordEvent("tag-refused", "maild", match.note))
    actions.append(customer_article(mail, screening, request.answers))
    if screening.answer and request.answer_to is not None and request.answer_to.address:
        actions.append(acknowledgement(request, facts, policy, language, subject))
    actions += triage(classification, assignment)
    if screening.reason not in QUIET_REASONS:
        actions += staff_notices(request, known, facts, policy, subject, classification, assignment)
    return tuple(actions)


def opened_how(request: Request, continues: str | None) -> str:
    said = f"from {request.customer.key or 'unknown sender'}"
    if request.received_by != "maild":
        said = f"for {request.customer.key}, by {request.received_by} ({request.channel})"
    if continues:
        said += f", continuing {continues} (resolved longer ago than workflow.reopen_within)"
    return said


def classified(request: Request, subject: str, policy: MailPolicy) -> Classification:
    """The rules' classification; a priority or type the filing staff member set wins."""
    found = classify(subject, request.text, request.flags, tier_of(request.customer.key, policy.tiers),
                     policy.classify)
    if request.priority:
        found = replace(found, priority=request.priority, reason=f"{request.priority}: #priority by "
                                                                  f"{request.received_by}")
    return replace(found, type=request.type) if request.type else found


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


def staff_notices(request: Request, known: IntakeFacts, facts: MailFacts, policy: MailPolicy, subject: str,
                  classification: Classification, assignment: Assignment) -> list[QueueMail]:
    """The assignee's notification and, for P0 or a ticket nobody covers, the supervisors': the
    intake record (T1), the customer's text, why, and the commands they may answer with."""
    people = [("assigned", assignment.assignee)] if assignment.assignee else []
    people += [("alert", supervisor) for supervisor in assignment.tell]
    if not people:  # no staff configured: nothing to write (the sanitising is not free)
        return []
    context = assignment_notice(
        customer=request.customer.key, customer_name=request.customer.name, received_at=facts.received_at,
        priority=classification.priority, type=classification.type, reason=classification.reason,
        hint=classification.hint or "", text=excerpt(request.text), html=shown_html(request.html),
        assignee=assignment.assignee.name if assignment.assignee else "", assign_reason=assignment.reason,
        organisation=known.organisation or "", phones=", ".join(known.phones), description=known.description,
        urgency=urgency(classification.priority), channel=request.channel, received_by=request.received_by)
    tagged = f"[{classification.priority}] {subject}"
    return [QueueMail(kind, f"{kind}:{facts.message_key}:{engineer.address}", Address(engineer.address, engineer.name),
                      policy.default_language, tagged, context, on_thread=False) for kind, engineer in people]


# What the assignment and alert notices show; one that a notice does not know is left blank.
NOTICE_FIELDS = ("customer", "customer_name", "received_at", "priority", "type", "reason", "hint", "text", "html",
                 "assignee", "assign_reason", "organisation", "phones", "description", "urgency", "channel",
                 "received_by")


def assignment_notice(**known: object) -> dict[str, object]:
    """The context of an assignment or alert notice, with the command reference."""
    unknown = set(known) - set(NOTICE_FIELDS)
    assert not unknown, f"no notice field {unknown}"
    return {**dict.fromkeys(NOTICE_FIELDS, ""), **known, "commands": HELP}


def excerpt(text: str) -> str:
    if len(text) <= STAFF_TEXT_CHARS:
        return text
    return f"{text[:STAFF_TEXT_CHARS]}\n[… {len(text) - STAFF_TEXT_CHARS} more characters on the ticket]"


def shown_html(html: str | None) -> str:
    """The customer's HTML as staff may see it: sanitised (no scripts, handlers, frames or forms);
    "" for none, or too long to be worth more than the text."""
    if not html or len(html) > STAFF_HTML_CHARS:
        return ""
    return sanitised_html(html)


def urgency_flags(mail: ParsedMail) -> dict[str, str]:
    return {name: value for name in ("x-priority", "importance", "priority", "x-msmail-priority")
            if (value := mail.header(name))}


def tier_of(address: str, tiers: Mapping[str, str]) -> str | None:
    return tiers.get(address) or tiers.get(address.rpartition("@")[2])


def participants(mail: ParsedMail, helpdesk_address: str) -> tuple[tuple[str, str], ...]:
    """Who may write into the ticket by its subject tag: the customer, and whoever they wrote with
    (the first MAX_PARTICIPANTS in all). The Reply-To is where an engineer's answer goes, as a
    mail client would send it."""
    ours = helpdesk_address.lower()
    people = {a.key: "cc" for a in (*mail.reply_to[1:], *mail.to, *mail.cc) if a.key and a.key != ours}
    answer_to = mail.reply_to[0].key if mail.reply_to else ""
    if answer_to and answer_to not in (ours, sender_key(mail)):
        people.pop(answer_to, None)  # in Cc too: still where the answer goes
        people = {answer_to: "reply-to", **people}
    if sender_key(mail):
        people.pop(sender_key(mail), None)
        people = {sender_key(mail): "customer", **people}
    return tuple(people.items())[:MAX_PARTICIPANTS]


def customer_article(mail: ParsedMail, screening: Screening, message_id: str | None) -> AddArticle:
    """The mail on the ticket's thread; `message_id`: the customer's, which answers thread on."""
    recipients = ", ".join(a.address for a in (*mail.to, *mail.cc))
    return AddArticle("in", sender_key(mail), recipients, mail.subject, mail.text, message_id,
                      screening.reason, mail.attachments)


def acknowledgement(request: Request, facts: MailFacts, policy: MailPolicy, language: str,
                    subject: str) -> QueueMail:
    assert request.answer_to is not None  # open_ticket acknowledges only a request with somewhere to answer
    recipient = echoed(request.answer_to)
    references = request.references
    if len(references) > ANSWER_REFERENCES:  # RFC 5322 §3.6.4 lets a long chain drop its middle
        references = (references[0], *references[-(ANSWER_REFERENCES - 1):])
    suggested = facts.kb.suggest(subject, request.text, policy.kb_suggest)
    return QueueMail("ack", f"ack:{facts.message_key}", recipient, language, shortened(subject, ECHOED_SUBJECT),
                     {"customer_name": recipient.name, "received_at": facts.received_at,
                      "kb": [{"id": hit.id, "title": hit.title, "steps": hit.steps} for hit in suggested],
                      **policy.promised_response},
                     request.answers, tuple(references), rate_key=recipient.key)


def without_tags(subject: str) -> str:
    """A new ticket's subject carries only its own number: a [TS…] the sender wrote is dropped."""
    return " ".join(TAG.sub(" ", subject).split())


def echoed(address: Address) -> Address:
    """The sender as an automatic answer names them: a name is theirs to write, so only so much of it."""
    return Address(address.address, shortened(address.name, ECHOED_NAME))


def shortened(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def sender_key(mail: ParsedMail) -> str:
    return mail.sender.key if mail.sender else ""
