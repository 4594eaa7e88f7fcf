"""Message-IDs as threading keys, and the RFC 5322 syntax around them.

Folding, comments and angle brackets are read here once, for Message-ID,
In-Reply-To and References, and for the Return-Path (addresses),
whose "<address>" follows the same rules.
"""

from __future__ import annotations

import re
from email.message import Message

ANGLE_BRACKETS = re.compile(r"<([^<>]*)>")
_LINE_BREAKS = re.compile(r"\r?\n")
_MAX_ID_LENGTH = 250


def normalise_message_id(value: str | None) -> str | None:
    """A msg-id without angle brackets, comments or whitespace; case kept.

    None unless the result is usable as a key: exactly one "@" with text on
    both sides, printable ASCII only, at most 250 characters.
    """
    if not value:
        return None
    candidate = angle_content(value)
    return candidate if _usable_id(candidate) else None


def message_ids(value: str) -> tuple[str, ...]:
    """All usable msg-ids of an In-Reply-To/References value, in order.

    RFC 5322 §3.6.4 wants a list of "<id>"; older mailers add phrases or
    comments ("<id> (Joe's message of ...)") or forget the brackets, so
    bracketed ids are taken when there are any, bare words otherwise.
    """
    text = _strip_comments(unfold(value))
    bracketed = ANGLE_BRACKETS.findall(text)
    words = bracketed or text.replace(",", " ").split()
    return tuple(dict.fromkeys(filter(None, map(normalise_message_id, words))))


def read_message_id(msg: Message, defects: list[str]) -> str | None:
    """The normalised Message-ID; a missing or unusable one is a defect."""
    raw = msg.get("message-id")
    if raw is None:
        defects.append("missing Message-ID")
        return None
    value = normalise_message_id(raw)
    if value is None:
        defects.append(f"unusable Message-ID {str(raw).strip()[:120]!r}")
    return value


def read_id_list(msg: Message, name: str) -> tuple[str, ...]:
    """Threading ids (RFC 5322 §3.6.4) over all occurrences of the header."""
    values = msg.get_all(name) or []
    ids = (mid for value in values for mid in message_ids(str(value)))
    return tuple(dict.fromkeys(ids))


def unfold(value: str) -> str:
    """The header value on one line: every line break removed."""
    return _LINE_BREAKS.sub("", value)


def angle_content(value: str) -> str:
    """What the first <...> holds, else the whole value; no comments, no folding."""
    text = _strip_comments(unfold(value)).strip()
    match = ANGLE_BRACKETS.search(text)
    return (match[1] if match else text).strip()


def _usable_id(candidate: str) -> bool:
    local, at, domain = candidate.partition("@")
    return (
        0 < len(candidate) <= _MAX_ID_LENGTH
        and bool(at and local and domain)
        and "@" not in domain
        and all("!" <= ch <= "~" and ch not in "<>" for ch in candidate)
    )


def _strip_comments(text: str) -> str:
    """Remove RFC 5322 comments (nested, with quoted pairs) outside <...>.

    Each comment leaves one space, so the words around it stay apart.
    """
    out: list[str] = []
    depth, escaped, in_angle = 0, False, False
    for ch in text:
        if depth:
            depth, escaped = _inside_comment(ch, depth, escaped)
        elif ch == "(" and not in_angle:
            depth = 1
            out.append(" ")
        else:
            in_angle = (in_angle or ch == "<") and ch != ">"
            out.append(ch)
    return "".join(out)


def _inside_comment(ch: str, depth: int, escaped: bool) -> tuple[int, bool]:
    """Comment depth and quoted-pair state after one character of a comment."""
    if escaped:
        return depth, False
    if ch == "\\":
        return depth, True
    return depth + {"(": 1, ")": -1}.get(ch, 0), False
