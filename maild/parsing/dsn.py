"""What a bounce says about delivery: the per-recipient fields of an RFC 3464 report.

Pure, and never raises: a report block that cannot be read is skipped. The report is the
message/delivery-status part (message/global-delivery-status, RFC 6533, for internationalised
addresses) among the mail's own parts; a returned or forwarded message is one attachment, so a
report inside it is never read as this mail's.

compat32 parses a message/delivery-status body into one sub-message per block and the
attachment's payload is those blocks written out again, one blank line apart: the same shape as
the report on the wire, which is what the small parser below reads.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .mail import ParsedMail

STATUS_PART_TYPES = ("message/delivery-status", "message/global-delivery-status")
MAX_FAILURES = 100
MAX_DIAGNOSTIC = 300
# A report is a few kilobytes; what lies past a megabyte is no report worth reading.
MAX_REPORT_BYTES = 1 << 20
# RFC 3464 §2.3.3: the actions that say the message got through, or went on elsewhere.
DELIVERED_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
# Words some MTAs write for "failed".
FAILED_SPELLINGS = frozenset({"failed", "failure", "fail"})

# RFC 3463: class.subject.detail, class 2, 4 or 5.
# Not part of a longer dotted number such as an IP address.
_STATUS_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_FIELD = re.compile(r"([!-9;-~]+)[ \t]*:(.*)")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# "smtp;", "X-Postfix;": the diagnostic type before its text.
_DIAGNOSTIC_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9./+-]{0,40}[ \t]*;")
# RFC 5321 source route ("@relay.example:user@example.com"), which some reports keep.
_SOURCE_ROUTE = re.compile(r"^@[^:\s]*:")
# RFC 6533 §3: a non-ASCII character of a utf-8 address may be written \x{HEX}.
_UNITEXT_ESCAPE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_BASE64_BLOCK = re.compile(r"[A-Za-z0-9+/=\s]{16,}")


@dataclass(frozen=True)
class DeliveryFailure:
    recipient: str  # lower-cased address (Final-Recipient, else Original-Recipient)
    status: str  # e.g. "5.1.1", "4.2.2"; "" when the report gives none
    action: str  # "failed", "delayed", ... lower-case; "" if missing
    diagnostic: str  # Diagnostic-Code text, single line, at most MAX_DIAGNOSTIC chars

    @property
    def hard(self) -> bool:
        """A permanent failure: status class 5 (RFC 3463), action failed (or no action)."""
        return self.status.startswith("5.") and self.action in ("failed", "")


def delivery_failures(mail: ParsedMail) -> tuple[DeliveryFailure, ...]:
    """The per-recipient fields of an RFC 3464 delivery-status report (message/delivery-status part
    of a multipart/report), failed and delayed ones; () when the mail carries none.

    Some MTAs (McAfee, Domino, OpenSMTPD) send the same report parts in a multipart/mixed: the part
    is read wherever it sits among the mail's own parts. At most MAX_FAILURES, in report order."""
    found: dict[DeliveryFailure, None] = {}
    for attachment in mail.attachments:
        if attachment.content_type not in STATUS_PART_TYPES:
            continue
        for failure in _failures_in(attachment.payload):
            found.setdefault(failure)
            if len(found) >= MAX_FAILURES:
                return tuple(found)
    return tuple(found)


def _failures_in(payload: bytes) -> Iterator[DeliveryFailure]:
    try:
        blocks = _blocks(payload[:MAX_REPORT_BYTES])
    except Exception:  # noqa: BLE001 - an unreadable part is skipped, never the mail
        return
    for block in blocks:
        try:
            failure = _failure_of(_fields(block))
        except Exception:  # noqa: BLE001 - an unreadable block is skipped, never the mail
            continue
        if failure is not None:
            yield failure


def _blocks(payload: bytes) -> list[str]:
    """The report's header-like blocks, a base64 block read as the blocks it encodes."""
    blocks = []
    for block in _split(_text(payload)):
        decoded = _base64_text(block)
        blocks += _split(decoded) if decoded else [block]
    return blocks


def _text(data: bytes) -> str:
    """UTF-8 is what RFC 6533 reports carry and a superset of the ASCII that RFC 3464 ones
    should; anything else only garbles a character or two."""
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def _split(text: str) -> list[str]:
    return [block for block in _BLANK_LINE.split(text) if block.strip()]


def _base64_text(block: str) -> str:
    """The text a base64 block encodes, else "". A base64 part is parsed by compat32 as if it were
    plain, and some gateways re-encode the recipient blocks alone (its declared encoding then sits
    in the per-message block)."""
    if not _BASE64_BLOCK.fullmatch(block):
        return ""
    try:
        return _text(binascii.a2b_base64(block.encode("ascii")))
    except (binascii.Error, ValueError):
        return ""


def _fields(block: str) -> dict[str, str]:
    """Field name (lower-case) → value, folded lines joined; the first of a repeated field wins,
    and a line that is neither a field nor a continuation is passed over."""
    fields: dict[str, str] = {}
    name = None
    for line in block.split("\n"):
        if line[:1] in (" ", "\t"):
            if name is not None:
                fields[name] += " " + line.strip()
            continue
        match = _FIELD.fullmatch(line)
        name = match.group(1).lower() if match else None
        if name is not None and name in fields:
            name = None  # a repeat: its continuation lines are not the first one's
        elif name is not None:
            fields[name] = match.group(2).strip()
    return fields


def _failure_of(fields: Mapping[str, str]) -> DeliveryFailure | None:
    """The block's failure; None for the per-message block, a recipient that is no address, or a
    recipient that was delivered."""
    recipient = _address(fields.get("final-recipient", "")) or _address(fields.get("original-recipient", ""))
    if not recipient:
        return None
    action = _action(fields.get("action", ""))
    if action in DELIVERED_ACTIONS:
        return None
    diagnostic = _diagnostic(fields.get("diagnostic-code", ""))
    status = _status_code(fields.get("status", "")) or _status_code(diagnostic)
    if not action and status.startswith("2."):
        return None  # no action, but a success code: nothing failed
    return DeliveryFailure(recipient, status, action, diagnostic)


def _address(value: str) -> str:
    """The lower-cased address of a recipient field, or "" when it holds none (a pipe, an X.400
    name, "@host" alone)."""
    kind, semicolon, text = value.strip().partition(";")
    if not semicolon or "@" in kind or "<" in kind:
        text = value.strip()  # no address type in front ("rfc822;", "utf-8;", even "rfc/822;")
    text = _UNITEXT_ESCAPE.sub(_unescaped, text.strip())
    text = re.sub(r"\([^()]*\)", " ", text).strip()  # a trailing comment
    if text.startswith("<") or text.endswith(">"):
        text = text.strip("<>").strip()
    text = _SOURCE_ROUTE.sub("", text)
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or any(c.isspace() or not c.isprintable() or c in "<>" for c in text):
        return ""
    return text.lower()


def _unescaped(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)


def _action(value: str) -> str:
    """The action word, lower-case; "failed (bad destination mailbox address)" → "failed"."""
    words = value.split()
    word = words[0].lower().rstrip(";,.") if words else ""
    return "failed" if word in FAILED_SPELLINGS else word


def _status_code(text: str) -> str:
    """The first RFC 3463 code in the text ("5.1.1"), else ""."""
    match = _STATUS_CODE.search(text)
    return ".".join(match.groups()) if match else ""


def _diagnostic(value: str) -> str:
    """The diagnostic text on one line, without its type ("smtp;"), at most MAX_DIAGNOSTIC chars."""
    text = _DIAGNOSTIC_TYPE.sub("", value.strip(), count=1)
    text = "".join(c if c.isprintable() else " " for c in text)
    text = " ".join(text.split())
    return text[:MAX_DIAGNOSTIC]
