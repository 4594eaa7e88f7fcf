"""Raw RFC 5322 bytes to a frozen ParsedMail value.

Pure: no I/O, and parse_mail never raises for any input; problems are
recorded in ``ParsedMail.defects`` instead.  The pieces live in their own
modules (ids, addresses, dates, MIME parts, charsets); this one assembles
them.

Which library does what, and why (measured on a 14 MB mail carrying a 10 MB
base64 attachment, and on the shared corpus):

* The MIME tree comes from one stdlib ``BytesParser`` pass with a compat32
  policy (about 0.3 s for the 14 MB mail, nearly all of parse_mail's time).
  ``mailparser.parse_from_bytes`` runs that same stdlib parser, so using
  both would parse every mail twice; it then hands base64 attachments back
  as base64 text whose lenient re-decoding takes another 0.17 s per 10 MB
  (``binascii.a2b_base64`` on the raw payload: 0.03 s).  Its body decoding
  falls back to UTF-8 for undecodable text, which garbles GBK mail, and it
  raises AttributeError on 8 of the 1,297 corpus files (epilogue handling).
  So bodies and attachments are extracted by mime_parts, from the
  single parse (compat32: see mime_tree).
* mail-parser supplies what it does better than the stdlib: structural
  address parsing with defect reports (``get_addresses``: it refuses to turn
  a display name that looks like an address into the mailbox) and an RFC
  5322 date reader used when the stdlib's lenient one gives up.
* tnefparse opens Outlook's winmail.dat into the files it carries (tnef).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from types import MappingProxyType

from .addresses import Address, read_address_list, read_return_path, read_sender
from .charsets import to_bytes
from .dates import parse_date
from .header_decoding import decode_header_value, param_text
from .message_ids import normalise_message_id, read_id_list, read_message_id
from .mime_parts import Attachment, body_html, body_text, collect_parts
from .mime_tree import PARSER, charset_hint, parse_message, stdlib_defects
from .tnef import open_tnef_parts


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    date: datetime | None
    return_path: str | None
    content_type: str
    report_type: str | None
    headers: Mapping[str, tuple[str, ...]] = field(hash=False)
    defects: tuple[str, ...]
    text_from_html: bool = False  # no text/plain part: `text` is the HTML made readable

    def header(self, name: str) -> str | None:
        """First decoded value of a header, case-insensitive."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse a raw message; never raises, records defects instead."""
    data = _as_bytes(raw)
    try:
        return _build(parse_message(data))
    except Exception as exc:  # noqa: BLE001 - any input must yield a value
        failure = f"MIME structure unparseable: {type(exc).__name__}: {exc}"
    try:
        # Typically multipart nesting deep enough for a RecursionError: keep
        # the headers, and the body as one undivided text.
        parsed = _build(PARSER.parsebytes(data, headersonly=True))
        return dataclasses.replace(parsed, defects=(failure, *parsed.defects))
    except Exception as exc:  # noqa: BLE001
        return _unparseable(data, exc)


def parse_headers(raw: bytes) -> ParsedMail:
    """The ParsedMail of the header block (sender, subject, ids, …): cheap however large the
    mail, as its body is not read (a byte or two of it may show as the text)."""
    return parse_mail(_header_block(_as_bytes(raw)))


def message_key(raw: bytes) -> str:
    """The normalised Message-ID, or "sha256:<hex>" of the raw bytes.

    Cheap: only the header block is parsed, with the same parser and policy
    as parse_mail, so the two always agree on the Message-ID.
    """
    data = _as_bytes(raw)
    return header_message_id(data) or "sha256:" + hashlib.sha256(data).hexdigest()


def header_message_id(raw: bytes) -> str | None:
    """The normalised Message-ID of a mail or a header block, from its headers alone; None when
    missing or unusable (bounces often return a mangled copy)."""
    try:
        headers = PARSER.parsebytes(_header_block(_as_bytes(raw)), headersonly=True)
        return normalise_message_id(headers.get("message-id"))
    except Exception:  # noqa: BLE001 - no usable id is an answer, not a fault
        return None


def _build(msg: Message) -> ParsedMail:
    """The ParsedMail of a parsed message tree.

    Defects are listed in field order, the MIME parts' last.
    """
    hint = charset_hint(msg)
    parts = open_tnef_parts(collect_parts(msg, hint))
    headers = _header_map(msg, hint)
    defects = [*stdlib_defects(msg)]
    return ParsedMail(
        message_id=read_message_id(msg, defects),
        sender=read_sender(msg, hint, defects),
        reply_to=read_address_list(msg, "reply-to", hint, defects),
        to=read_address_list(msg, "to", hint, defects),
        cc=read_address_list(msg, "cc", hint, defects),
        subject=" ".join(decode_header_value(msg.get("subject"), hint).split()),
        text=body_text(parts),
        html=body_html(parts),
        attachments=tuple(parts.attachments),
        in_reply_to=read_id_list(msg, "in-reply-to"),
        references=read_id_list(msg, "references"),
        date=parse_date(msg.get("date"), defects),
        return_path=read_return_path(msg.get("return-path")),
        content_type=msg.get_content_type(),
        report_type=param_text(msg.get_param("report-type"), hint).lower() or None,
        headers=headers,
        defects=tuple(dict.fromkeys(defects + parts.defects)),
        text_from_html=parts.text_from_html,
    )


def _header_map(msg: Message, hint: str | None) -> Mapping[str, tuple[str, ...]]:
    """Every header, lower-case name to decoded values in order."""
    collected: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        key = decode_header_value(name).strip().lower()
        decoded = decode_header_value(value, hint).strip()
        collected.setdefault(key, []).append(decoded)
    return MappingProxyType({key: tuple(values) for key, values in collected.items()})


def _as_bytes(raw: object) -> bytes:
    """Accept any bytes-like input (and str, for convenience); a bytearray (a large mail as
    fetched) is read as it is, not copied."""
    if isinstance(raw, (bytes, bytearray)):
        return raw  # type: ignore[return-value] - read only, like bytes
    if isinstance(raw, str):
        return to_bytes(raw)
    try:
        return bytes(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return b""


_BLANK_LINE = re.compile(rb"\n[\r\n]|\r\r")


def _header_block(data: bytes) -> bytes:
    """The bytes up to just past the first blank line (or all of them).

    Every line ending pair that can end the header block contains one of
    "\\n\\n", "\\n\\r" or "\\r\\r"; cutting a few bytes after it is harmless,
    as the parser stops at the real blank line anyway.
    """
    match = _BLANK_LINE.search(data)
    return data if match is None else data[: match.start() + 4]


def _unparseable(data: bytes, exc: Exception) -> ParsedMail:
    """The value for input the parser itself could not handle."""
    return ParsedMail(
        message_id=None, sender=None, reply_to=(), to=(), cc=(), subject="", text="", html=None,
        attachments=(), in_reply_to=(), references=(), date=None, return_path=None,
        content_type="text/plain", report_type=None, headers=MappingProxyType({}),
        defects=(f"unparseable message ({len(data)} bytes): {type(exc).__name__}: {exc}",),
    )
