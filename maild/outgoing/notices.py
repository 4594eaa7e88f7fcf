"""A mail the rules queued, written out: rendered from its template, composed, ready to send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Mapping

from ..config import HelpdeskConfig
from ..rules.actions import QueueMail
from .compose import Outgoing, compose, new_message_id
from .templates import Renderer


@dataclass(frozen=True)
class Notice:
    message_id: str  # normalised, no angle brackets
    subject: str
    text: str  # the plain-text body, as the ticket's thread shows it
    raw: bytes  # the mail as it goes on the wire


def write_notice(queued: QueueMail, number: str, helpdesk: HelpdeskConfig, renderer: Renderer,
                 now: datetime) -> Notice:
    context = {**local_times(queued.context, helpdesk.zone), "number": number, "subject": queued.subject,
               "helpdesk_name": helpdesk.name, "helpdesk_address": helpdesk.address}
    body = renderer.render(queued.kind, queued.language, context)
    subject = f"[{number}] {queued.subject}"
    out = Outgoing(helpdesk.name, helpdesk.address, queued.to.name, queued.to.address, subject,
                   queued.in_reply_to, queued.references, helpdesk.loop_header)
    message_id = new_message_id(helpdesk.address)
    return Notice(message_id, subject, body.text, compose(out, body, message_id, now))


def local_times(context: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    """Times as a customer reads them: in the helpdesk's zone, to the minute."""
    return {key: value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value
            for key, value in context.items()}
