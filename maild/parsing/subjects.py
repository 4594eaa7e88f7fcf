"""Subjects compared across a thread: reply and forward prefixes removed."""

from __future__ import annotations

import re

# Reply and forward prefixes of the common mail clients: English, German
# (AW/WG), Nordic (SV/VS), Dutch (Antw), Italian (R), Chinese (Foxmail,
# Outlook, QQ Mail, Coremail), with an optional "[2]"/"(2)" counter and an
# ASCII or full-width colon.
_REPLY_PREFIX = re.compile(
    r"\s*(?:re|fwd?|aw|wg|sv|vs|antw|r|回复|回覆|答复|答覆|转发|轉寄|转寄|轉發)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.IGNORECASE,
)


def strip_reply_prefixes(subject: str) -> str:
    """Remove any chain of reply/forward prefixes; keep the rest as is."""
    end = 0
    while match := _REPLY_PREFIX.match(subject, end):
        end = match.end()
    return subject[end:] if end else subject
