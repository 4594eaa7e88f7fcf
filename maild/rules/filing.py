"""A ticket staff open on a customer's behalf (G1): a phone call or a chat written up in a new mail
to the support address, starting with `#customer ADDRESS` (and `#channel phone`), or a customer's
mail forwarded. The customer gets the acknowledgement; the intake record says who took it in.

The filing mail's other commands set the new ticket up: `#priority`, `#type` and `#assign` decide
over the rules and the rota, the rest are carried out as on any ticket.
"""

from __future__ import annotations

from email.utils import parseaddr

from ..parsing import Address, ParsedMail
from .actions import Action, Assign, Classify, OpenTicket
from .commands import parse
from .correlate import KnownTicket, Match
from .engineer import carried_out, command_errors, staff_of
from .forwarded import forwarded_original
from .mail_inputs import MailFacts, MailPolicy
from .opening import Request, open_ticket
from .reply_text import new_text
from .routing import Engineer
from .screen import Screening

TAKEN_IN = ("customer", "channel", "priority", "type", "assign")  # commands the request itself carries
NO_CUSTOMER = ("a new mail with commands opens a ticket for a customer: it needs #customer ADDRESS "
               "(or forward the customer's mail)")


def filed_for_customer(mail: ParsedMail, engineer: Engineer, facts: MailFacts, policy: MailPolicy, match: Match,
                       screening: Screening) -> tuple[Action, ...] | None:
    """The new ticket's actions; only the engineer's answer when a command is wrong (no ticket is
    opened); None when the mail is no filing (a staff member's own problem, written like anyone's)."""
    original = forwarded_original(mail)
    if original is not None and original.sender.key in {*policy.roster.addresses, policy.helpdesk_address.lower()}:
        original = None  # a forward of our own or a colleague's mail brings no customer
    own = original.above if original else new_text(mail.text)  # what the engineer wrote: commands first
    parsed = parse(own, staff_of(policy), policy.zone, facts.received_at, opening=True)
    if original is None and not parsed.commands and not parsed.errors:
        return None
    given = {c.name: c.value for c in parsed.commands}
    errors = parsed.errors or (() if "customer" in given or original else (NO_CUSTOMER,))
    if errors:
        return command_errors(errors, mail.subject, engineer, facts, policy, on_ticket=False)
    if "customer" in given:
        name, address = parseaddr(given["customer"])
        customer = Address(address, name)
    else:
        assert original is not None
        customer = original.sender
    answers = original.message_id if original else None
    request = Request(customer, (original.subject or mail.subject) if original else mail.subject,
                      original.text if original else parsed.text, customer, answers,
                      (answers,) if answers else (), ((customer.key, "customer"),),
                      channel=given.get("channel", "email"), received_by=engineer.address,
                      judgement=(parsed.text or None) if original else None, priority=given.get("priority"),
                      type=given.get("type"), assignee=policy.roster.member(given.get("assign", "")))
    opened = open_ticket(request, mail, facts, policy, match, screening)
    ticket = new_ticket(opened)
    done = [a for c in parsed.commands if c.name not in TAKEN_IN
            for a in carried_out(c, parsed, ticket, engineer, facts, policy)]
    return (*opened, *done)


def new_ticket(opened: tuple[Action, ...]) -> KnownTicket:
    """The ticket these actions open, as the commands that follow see it."""
    ticket = next(a for a in opened if isinstance(a, OpenTicket))
    priority = next(a.priority for a in opened if isinstance(a, Classify))
    assignee = next(a.assignee for a in opened if isinstance(a, Assign))
    return KnownTicket("", "new", frozenset({ticket.customer}), ticket.customer, ticket.customer_name, ticket.subject,
                       ticket.language, priority, assignee)
