"""Build the outgoing mail: headers that thread (RFC 5322 §3.6.4) and that stop mail loops
(RFC 3834 Auto-Submitted, Microsoft's X-Auto-Response-Suppress, our own loop header).

Built with the stdlib's compat32 MIME classes rather than EmailMessage: every new ticket sends
one, and the header registry's parse-and-fold made composing three times slower.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr

from .templates import Rendered

WIRE = compat32.clone(linesep="\r\n")  # SMTP DATA is CRLF-terminated (RFC 5321 §2.3.8)


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


def compose(out: Outgoing, body: Rendered, message_id: str, now: datetime) -> bytes:
    """The mail as it goes on the wire."""
    msg = MIMEMultipart("alternative")
    msg["From"] = formataddr((out.sender_name, out.sender_address), charset="utf-8")
    msg["To"] = formataddr((out.to_name, out.to_address), charset="utf-8")
    msg["Subject"] = _encoded(out.subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<{message_id}>"
    if out.in_reply_to:
        msg["In-Reply-To"] = f"<{out.in_reply_to}>"
    if out.references:
        msg["References"] = " ".join(f"<{ref}>" for ref in out.references[-20:])
    msg["Auto-Submitted"] = out.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg[out.loop_header] = out.sender_address
    msg.attach(MIMEText(body.text, "plain", "utf-8"))
    msg.attach(MIMEText(body.html, "html", "utf-8"))
    return msg.as_bytes(policy=WIRE)


def _encoded(text: str) -> str | Header:
    # RFC 2047 encoded words only where needed: an ASCII subject stays readable on the wire.
    return text if text.isascii() else Header(text, "utf-8")
