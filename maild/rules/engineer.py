"""A staff member's mail on a ticket, from their own mail client: the commands at its top carried
out, and what they wrote after them relayed to the customer.

Pure, like every rule: the mail, the ticket as the store knows it and the policy in; actions out.
"""

from __future__ import annotations

from datetime import datetime

from ..parsing import Address, ParsedMail
from .actions import Action, Assign, PublishKbEntry, QueueMail, RecordEvent, TouchTicket, UpdateTicket
from .commands import HELP, Command, Parsed, Staff, parse
from .correlate import KnownTicket
from .mail_inputs import MailFacts, MailPolicy
from .opening import assignment_notice
from .reply_text import new_text
from .routing import Engineer
from .survey import Surveyed, answered, read_answer

PUBLISH = ("publish", "发布")  # `#kb publish`: a kb-admin publishes the ticket's entry (kb.review)


def engineer_mail(mail: ParsedMail, ticket: KnownTicket, engineer: Engineer, facts: MailFacts,
                  policy: MailPolicy) -> tuple[Action, ...]:
    """An engineer's mail from their own mail client: the commands at its top are carried out, and
    what they wrote after them, without the history they quoted, goes to the customer from the
    support address, threaded on the customer's mail, with their files. A wrong command carries
    out nothing of the mail, sends the customer nothing, and the engineer is told what was wrong."""
    parsed = parse(new_text(mail.text), staff_of(policy), policy.zone, facts.received_at)
    if parsed.errors:
        return command_errors(parsed.errors, ticket.subject, engineer, facts, policy)
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
    to = ticket.reply_to or ticket.customer  # a person's answer follows the Reply-To, as a mail client's would
    answer = QueueMail("reply", f"reply:{facts.message_key}", Address(to, ticket.customer_name),
                       ticket.language, ticket.subject, {"text": text, "engineer": engineer.name},
                       last, (last,) if last else (), attachments=mail.attachments)
    status = "in-progress" if first_answer and ticket.status in ("new", "open") else None
    return [answer, TouchTicket(status), RecordEvent("engineer-reply", engineer.address, f"sent to {to}")]


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
            # the intake record is on the ticket (maild show); the mail names what it knows
            context = assignment_notice(customer=ticket.customer, customer_name=ticket.customer_name,
                                        received_at=facts.received_at, priority=ticket.priority or "-",
                                        reason=f"assigned by {engineer.name}", text=parsed.text,
                                        assignee=member.name, assign_reason=f"#assign by {engineer.name}")
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
        case "kb" if command.value.strip().lower() in PUBLISH:
            member = policy.roster.member(by)
            if member is None or "kb-admin" not in member.roles:
                return [RecordEvent("kb-publish-refused", by, "only a kb-admin publishes a knowledge-base entry")]
            return [PublishKbEntry(by), RecordEvent("kb-published", by)]
        case "kb":
            return [UpdateTicket({"kb_proposed": True}), RecordEvent("kb", by, command.value)]
        case "survey":  # T3: the customer's answer, taken by the engineer (on the phone, say)
            answer = read_answer(command.value)
            assert answer is not None  # parse checked it
            about = Surveyed(ticket.number, ticket.customer, ticket.customer_name, ticket.subject, ticket.assignee)
            return answered(about, answer, "staff", f"survey-staff:{facts.message_key}", policy.roster,
                            policy.default_language, by)
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


def command_errors(errors: tuple[str, ...], subject: str, engineer: Engineer, facts: MailFacts, policy: MailPolicy,
                   on_ticket: bool = True) -> tuple[Action, ...]:
    """Nothing of the mail carried out; the engineer told what was wrong, with the valid commands."""
    context = {"errors": "\n".join(errors), "help": HELP, "subject": subject}
    refusal = QueueMail("command-error", f"command-error:{facts.message_key}", Address(engineer.address, engineer.name),
                        policy.default_language, subject, context, on_thread=False)
    if not on_ticket:  # a mail that was to open a ticket: there is none to write on
        return (refusal,)
    return (RecordEvent("commands-refused", engineer.address, "; ".join(errors)), refusal, TouchTicket())


def staff_of(policy: MailPolicy) -> tuple[Staff, ...]:
    return tuple(Staff(e.address, e.name) for e in policy.roster.staff)
