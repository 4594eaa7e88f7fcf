"""Build the outgoing mail: headers that thread (RFC 5322 §3.6.4) and that stop mail loops
(RFC 3834 Auto-Submitted, Microsoft's X-Auto-Response-Suppress, our own loop header)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from .render import Rendered


@dataclass(frozen=True)
class Outgoing:
    sender_name: str
    sender_address: str
    to_name: str
    to_address: str
    subject: str
    in_reply_to: str | None  # normalised Message-ID, no angle brackets
    references: tuple[str, ...]
    loop_header: str
    auto_submitted: str = "auto-replied"


def new_message_id(helpdesk_address: str) -> str:
    """A Message-ID of ours, normalised (no angle brackets); recognisable in bounces."""
    domain = helpdesk_address.rpartition("@")[2] or "localhost"
    return f"maild.{uuid.uuid4().hex}@{domain}"


def compose(out: Outgoing, body: Rendered, message_id: str, now: datetime) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(out.sender_name, addr_spec=out.sender_address)
    msg["To"] = _address(out.to_name, out.to_address)
    msg["Subject"] = out.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<{message_id}>"
    if out.in_reply_to:
        msg["In-Reply-To"] = f"<{out.in_reply_to}>"
    if out.references:
        msg["References"] = " ".join(f"<{ref}>" for ref in out.references[-20:])
    msg["Auto-Submitted"] = out.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg[out.loop_header] = out.sender_address
    msg.set_content(body.text)
    msg.add_alternative(body.html, subtype="html")
    return msg


def _address(name: str, address: str) -> Address:
    try:
        return Address(name, addr_spec=address)
    except (ValueError, IndexError):
        # A display name the header registry cannot carry: the address alone still reaches them.
        return Address("", addr_spec=address)
