"""A mail the rules queued, written out: rendered from its template, composed, ready to send."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Mapping

from ..config import HelpdeskConfig
from ..rules.actions import QueueMail
from ..rules.signed_ids import signed_message_id
from .compose import Outgoing, compose
from .templates import Renderer


# RFC 3834 §5: an acknowledgement answers the mail it follows (auto-replied); an engineer's reply
# and resolution notice relayed to the customer are a person's mail ("no"); anything else maild writes by itself, a
# notification to staff, is auto-generated.
AUTO_SUBMITTED = {"ack": "auto-replied", "reply": "no", "resolved": "no"}


@dataclass(frozen=True)
class Notice:
    message_id: str  # normalised, no angle brackets
    subject: str
    text: str  # the plain-text body, as the ticket's thread shows it
    raw: bytes  # the mail as it goes on the wire
    automatic: bool = True  # maild's own doing (RFC 3834 Auto-Submitted other than "no"), not a person's


@dataclass(frozen=True)
class MailWriter:
    """Writes out what the rules queue: the helpdesk's templates, and its key for our Message-IDs."""

    helpdesk: HelpdeskConfig
    renderer: Renderer
    id_key: bytes = field(repr=False)  # helpdesk.secret_file's: never in a trace

    def write(self, queued: QueueMail, number: str | None, now: datetime) -> Notice:
        """`number`: the ticket's, before the subject and in the Message-ID; None for staff mail
        about no ticket."""
        helpdesk = self.helpdesk
        context = {**as_read(queued.context, helpdesk.zone, queued.language), "number": number or "",
                   "subject": queued.subject, "helpdesk_name": helpdesk.name,
                   "helpdesk_address": helpdesk.address}
        body = self.renderer.render(queued.kind, queued.language, context)
        subject = f"[{number}] {queued.subject}" if number else queued.subject
        auto_submitted = AUTO_SUBMITTED.get(queued.kind, "auto-generated")
        out = Outgoing(helpdesk.name, helpdesk.address, queued.to.name, queued.to.address, subject,
                       queued.in_reply_to, queued.references, helpdesk.loop_header, auto_submitted)
        message_id = signed_message_id(number, secrets.token_hex(8), self.id_key,
                                       helpdesk.address.rpartition("@")[2] or "localhost")
        return Notice(message_id, subject, body.text,
                      compose(out, body, message_id, now, queued.attachments, queued.images), auto_submitted != "no")


def as_read(context: Mapping[str, Any], zone: tzinfo, language: str) -> dict[str, Any]:
    """Times and durations as a customer reads them, in their language: a time in the helpdesk's
    zone, to the minute, with the zone named; a duration in whole units."""
    return {key: local_time(value, zone, language) if isinstance(value, datetime)
            else duration(value, language) if isinstance(value, timedelta) else value
            for key, value in context.items()}


# Zones that keep Beijing time, as a Chinese reader calls it.
BEIJING_TIME_ZONES = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"}


@functools.lru_cache(maxsize=256)  # a batch's mails share their fetch time and their `now`
def local_time(value: datetime, zone: tzinfo, language: str) -> str:
    """2026-12-02 03:15 (UTC+08:00); in Chinese 2026-12-02 03:15（北京时间）, or the offset."""
    local = value.astimezone(zone)
    offset = local.strftime("%z")
    named = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    if language == "zh":
        return f"{local:%Y-%m-%d %H:%M}（{'北京时间' if str(zone) in BEIJING_TIME_ZONES else named}）"
    return f"{local:%Y-%m-%d %H:%M} ({named})"


UNITS = {"en": (("day", "days"), ("hour", "hours"), ("minute", "minutes")),
         "zh": (("天", "天"), ("小时", "小时"), ("分钟", "分钟"))}


@functools.lru_cache(maxsize=64)  # the same few promised response times in every acknowledgement
def duration(value: timedelta, language: str) -> str:
    """The largest unit that measures it whole: 2 hours, 3 days, 90 minutes (2 小时, 3 天)."""
    seconds = int(value.total_seconds())
    units = UNITS["zh" if language == "zh" else "en"]
    for (one, many), size in zip(units, (86400, 3600, 60)):
        # a day counts as 24 hours up to three of them: the guideline speaks of 24 h and 72 h
        if seconds % size == 0 and (size != 86400 or seconds > 3 * 86400):
            count = seconds // size
            return f"{count} {one if count == 1 else many}"
    count = -(-seconds // 60)  # odd seconds: the promise rounds up, never down
    return f"{count} {units[2][0] if count == 1 else units[2][1]}"
