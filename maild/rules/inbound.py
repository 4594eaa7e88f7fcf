"""What one incoming mail does: screen it, find its ticket, and say so as a list of actions.

Pure: the mail, the facts the store knows about it and the policy go in; an outcome comes out,
which `steps/process` carries out in the mail's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..parsing import Address, ParsedMail, strip_reply_prefixes
from .actions import Action, OpenTicket, QueueMail, RecordEvent, TouchTicket
from .authenticity import verified
from .bounce import bounce, bounced_mail
from .correlate import KnownTicket, Match, correlate
from .engineer import engineer_mail
from .filing import filed_for_customer
from .mail_inputs import MailFacts, MailPolicy
from .opening import (ECHOED_SUBJECT, QUIET_REASONS, customer_article, customer_request, echoed, excerpt, open_ticket,
                      sender_key, shortened)
from .reply_text import new_text
from .screen import Screening, reply_target, screen
from .survey import Answer, Surveyed, answered, read_answer
from .tickets import status_after_customer_mail

__all__ = ["MailFacts", "MailOutcome", "MailPolicy", "decide"]


@dataclass(frozen=True)
class MailOutcome:
    ticket: str | None  # the existing ticket it joins; None: a new one (OpenTicket) or none at all
    screened: str | None  # why it gets no automatic answer
    actions: tuple[Action, ...]
    via: str | None = None  # how it was matched to the ticket it joins: "message-id" | "subject-tag"


def decide(mail: ParsedMail, facts: MailFacts, policy: MailPolicy) -> MailOutcome:
    outcome = decided(mail, facts, policy)
    if facts.size <= policy.max_mail_bytes:
        return outcome
    return replace(outcome, actions=outcome.actions + too_large(mail, outcome, facts, policy))


def decided(mail: ParsedMail, facts: MailFacts, policy: MailPolicy) -> MailOutcome:
    screening = screen(mail, policy.screen, facts.recent_auto_replies, facts.mailbox)
    match = correlate(mail, facts.threads, facts.tickets, policy.roster.addresses, key=policy.id_key)
    # A person on the staff, not their auto-reply; with workflow.authserv_id, one their server vouches for.
    engineer = policy.roster.member(sender_key(mail)) if screening.opens_ticket else None
    genuine = engineer is not None and verified(tuple(mail.headers.get("authentication-results", ())),
                                                policy.authserv_id)
    if engineer is not None and not genuine:
        about = facts.tickets[match.number].subject if match.number else strip_reply_prefixes(mail.subject)
        spoofed = unverified(mail, about, facts, policy)
    else:
        spoofed = ()
    if screening.reason == "bounce":  # a machine's report: on a ticket only by an id we signed and sent
        reported = bounced_mail(mail, facts, policy)
        if reported is None:
            return MailOutcome(None, screening.reason, ())
        message_id, number = reported
        return MailOutcome(number, screening.reason, bounce(mail, message_id, facts.tickets[number], facts, policy),
                           "message-id")
    if match.number is not None:
        ticket = facts.tickets[match.number]
        if genuine:
            assert engineer is not None
            return MailOutcome(match.number, None, engineer_mail(mail, ticket, engineer, facts, policy), match.via)
        said = new_text(mail.text)  # what the mail adds to the thread: no quoted history, no signature
        if spoofed:
            return MailOutcome(match.number, screening.reason,
                               join_ticket(mail, ticket, match, screening, said) + spoofed, match.via)
        answer = read_answer(said) if facts.answers_survey and screening.opens_ticket else None
        if answer is not None:  # a reply to the survey mail that gives a rating: the answer, not a reopening
            return MailOutcome(match.number, screening.reason, survey_reply(mail, ticket, screening, answer, facts,
                                                                            policy), match.via)
        if ticket.status in ("resolved", "closed") and screening.opens_ticket and not reopens(ticket, facts, policy):
            # Too long after the resolution: a new ticket that continues the old, which stays resolved.
            return MailOutcome(None, screening.reason, open_ticket(customer_request(mail, policy.helpdesk_address),
                                                                   mail, facts, policy, match, screening,
                                                                   ticket.number))
        return MailOutcome(match.number, screening.reason,
                           join_ticket(mail, ticket, match, screening, said)
                           + customer_mail_to_staff(mail, said, ticket, facts, policy, screening),
                           match.via)
    if not screening.opens_ticket:  # a machine's mail about nothing of ours: stored, nothing more
        return MailOutcome(None, screening.reason, ())
    if genuine:
        assert engineer is not None
        filed = filed_for_customer(mail, engineer, facts, policy, match, screening)
        if filed is not None:
            opened = any(isinstance(action, OpenTicket) for action in filed)
            return MailOutcome(None, screening.reason if opened else "commands-refused", filed)
    return MailOutcome(None, screening.reason, open_ticket(customer_request(mail, policy.helpdesk_address), mail, facts,
                                                           policy, match, screening) + spoofed)


def too_large(mail: ParsedMail, outcome: MailOutcome, facts: MailFacts, policy: MailPolicy) -> tuple[Action, ...]:
    """A mail over processing.max_mail_bytes: its text is on the ticket, its attachments are not;
    the trail says so, and the sender is told the limit (unless the mail may get no answer)."""
    opened = next((a for a in outcome.actions if isinstance(a, OpenTicket)), None)
    if outcome.ticket is None and opened is None:
        return ()  # a machine's mail on no ticket: stored whole, nothing more
    size, limit = megabytes(facts.size), megabytes(policy.max_mail_bytes)
    said: list[Action] = [RecordEvent("too-large", "maild", f"{size} mail, over processing.max_mail_bytes ({limit}): "
                                                            "its text is on the ticket, its attachments stay packed "
                                                            "in the stored mail")]
    target = reply_target(mail)
    if outcome.screened is None and target is not None and target.address:
        about = opened or facts.tickets[outcome.ticket or ""]  # the new ticket, or the one it joins
        to = echoed(target)
        staff = policy.roster.member(to.key) is not None  # an engineer's files did not go on either
        said.append(QueueMail("too-large", f"too-large:{facts.message_key}", to, about.language,
                              shortened(about.subject, ECHOED_SUBJECT),
                              {"customer_name": to.name, "received_at": facts.received_at, "size": size,
                               "limit": limit}, mail.message_id, rate_key=None if staff else to.key,
                              on_thread=not staff))
    return tuple(said)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")


def reopens(ticket: KnownTicket, facts: MailFacts, policy: MailPolicy) -> bool:
    """A customer's mail on a resolved ticket within workflow.reopen_within of its resolution."""
    if ticket.status != "resolved":
        return False
    if ticket.resolved_at is None:  # resolved before maild kept the time: the mail reopens it
        return True
    return (facts.received_at - ticket.resolved_at).total_seconds() <= policy.reopen_within


def survey_reply(mail: ParsedMail, ticket: KnownTicket, screening: Screening, answer: Answer, facts: MailFacts,
                 policy: MailPolicy) -> tuple[Action, ...]:
    surveyed = Surveyed(ticket.number, ticket.customer or sender_key(mail), ticket.customer_name, ticket.subject,
                        ticket.assignee)
    return (customer_article(mail, screening, mail.message_id), TouchTicket(),
            *answered(surveyed, answer, "reply", facts.message_key, policy.roster, policy.default_language))


NOT_SOLVED = ("没有解决", "没解决", "还是不行", "仍然不行", "依然不行", "还是有问题", "问题依旧", "not fixed", "not solved",
              "still not", "still doesn't", "still does not", "still broken", "still failing", "still the same")


def join_ticket(mail: ParsedMail, ticket: KnownTicket, match: Match, screening: Screening,
                said: str) -> tuple[Action, ...]:
    """`said`: the mail's own new text (reply_text.new_text)."""
    status = status_after_customer_mail(ticket.status, screening.opens_ticket and screening.reason not in QUIET_REASONS)
    reopened = ([RecordEvent("reopened", sender_key(mail), next((f"the customer says: {w}" for w in NOT_SOLVED
                                                                  if w in said.lower()), "the customer wrote again"))]
                if status == "open" and ticket.status == "resolved" else [])
    feedback = (said[:FEEDBACK_CHARS] + "…" if len(said) > FEEDBACK_CHARS else said) if screening.opens_ticket else None
    return (
        customer_article(mail, screening, mail.message_id),
        TouchTicket(status if status != ticket.status else None),
        RecordEvent("customer-mail", sender_key(mail), f"via {match.via}", feedback or None),
        *reopened,
    )


FEEDBACK_CHARS = 500  # of a customer's reply on the trail (T2); the whole mail is on the thread


def unverified(mail: ParsedMail, subject: str, facts: MailFacts, policy: MailPolicy) -> tuple[Action, ...]:
    """A staff From that its server did not vouch for: kept as a customer's mail, carried out in
    nothing, and the supervisors told, once for this mail."""
    context = {"sender": sender_key(mail), "authserv_id": policy.authserv_id, "subject": mail.subject}
    return (RecordEvent("staff-unverified", "maild", f"{sender_key(mail)}: no dkim=pass or spf=pass from "
                                                     f"{policy.authserv_id}; taken as a customer's mail"),
            *(QueueMail("unverified", f"unverified:{facts.message_key}:{e.address}", Address(e.address, e.name),
                        policy.default_language, subject, context, on_thread=False)
              for e in policy.roster.with_role("supervisor")))


def customer_mail_to_staff(mail: ParsedMail, said: str, ticket: KnownTicket, facts: MailFacts, policy: MailPolicy,
                           screening: Screening) -> tuple[Action, ...]:
    """A customer's reply goes on to the engineer handling the ticket (and for P0 the supervisors),
    without the quoted history; their answer comes back through the support address."""
    if not screening.opens_ticket or screening.reason in QUIET_REASONS:  # machines, floods and old mail
        return ()
    people = [e for e in (policy.roster.member(ticket.assignee or ""),) if e is not None]
    if ticket.priority == "P0":
        people += [e for e in policy.roster.with_role("supervisor") if e not in people]
    context = {"customer": sender_key(mail), "customer_name": mail.sender.name if mail.sender else "",
               "priority": ticket.priority or "-", "text": excerpt(said)}
    return tuple(QueueMail("customer-reply", f"customer-reply:{facts.message_key}:{e.address}",
                           Address(e.address, e.name), policy.default_language, ticket.subject, context,
                           on_thread=False) for e in people)
