"""Raw RFC 5322 bytes to a frozen ParsedMail value.

Pure: no I/O, and parse_mail never raises for any input; problems are
recorded in ``ParsedMail.defects`` instead.

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
  So bodies and attachments are extracted here, from the single parse.
* compat32 rather than ``policy.default``: the modern header registry raises
  on access for some malformed DSN headers; compat32 leaves values as text.
* mail-parser supplies what it does better than the stdlib: structural
  address parsing with defect reports (``get_addresses``: it refuses to turn
  a display name that looks like an address into the mailbox) and an RFC
  5322 date reader used when the stdlib's lenient one gives up.
"""

from __future__ import annotations

import binascii
import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from io import BytesIO
from types import MappingProxyType

from mailparser.dates import parse_mail_date
from mailparser.utils import get_addresses

from maild import charsets


@dataclass(frozen=True)
class Address:
    address: str  # as written, e.g. "Zhang.San@Example.com"; "" if unparseable
    name: str  # decoded display name, "" if none

    @property
    def key(self) -> str:
        """Lower-cased address, for comparison."""
        return self.address.lower()


@dataclass(frozen=True)
class Attachment:
    filename: str  # safe for a file system, see safe_filename()
    content_type: str
    payload: bytes
    inline: bool  # has a Content-ID and is not disposition "attachment"


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

    def header(self, name: str) -> str | None:
        """First decoded value of a header, case-insensitive."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


class _RawHeaderPolicy(Compat32):
    """compat32, but 8-bit header values come back as parsed.

    Stock compat32 wraps them in email.header.Header objects whose str()
    turns every non-ASCII byte into U+FFFD, losing raw GBK subjects and
    filenames before they could be decoded.  Here they stay surrogate-
    escaped text, and maild.charsets decodes them.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        return value


class _VerbatimPolicy(_RawHeaderPolicy):
    """Writes headers back exactly as parsed when re-serialising a part.

    compat32 would re-fold every header through email.header.Header, which
    alters the bytes and was a third of the corpus parse time.
    """

    def fold_binary(self, name: str, value: str) -> bytes:  # type: ignore[override]
        return charsets.to_bytes(f"{name}: {value}{self.linesep}")


_POLICY = _RawHeaderPolicy()
_VERBATIM = _VerbatimPolicy()
_PARSER = BytesParser(policy=_POLICY)


# ---------------------------------------------------------------- entry points


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse a raw message; never raises, records defects instead."""
    data = _as_bytes(raw)
    try:
        return _build(_PARSER.parsebytes(data))
    except Exception as exc:  # noqa: BLE001 - any input must yield a value
        failure = f"MIME structure unparseable: {type(exc).__name__}: {exc}"
    try:
        # Typically multipart nesting deep enough for a RecursionError: keep
        # the headers, and the body as one undivided text.
        parsed = _build(_PARSER.parsebytes(data, headersonly=True))
        return dataclasses.replace(parsed, defects=(failure, *parsed.defects))
    except Exception as exc:  # noqa: BLE001
        return _unparseable(data, exc)


def message_key(raw: bytes) -> str:
    """The normalised Message-ID, or "sha256:<hex>" of the raw bytes.

    Cheap: only the header block is parsed, with the same parser and policy
    as parse_mail, so the two always agree on the Message-ID.
    """
    data = _as_bytes(raw)
    try:
        headers = _PARSER.parsebytes(_header_block(data), headersonly=True)
        message_id = normalise_message_id(headers.get("message-id"))
    except Exception:  # noqa: BLE001 - fall back to the content hash
        message_id = None
    return message_id or "sha256:" + hashlib.sha256(data).hexdigest()


def _as_bytes(raw: object) -> bytes:
    """Accept any bytes-like input (and str, for convenience)."""
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return charsets.to_bytes(raw)
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


# ---------------------------------------------------------------- message ids

_ANGLE = re.compile(r"<([^<>]*)>")
_FOLDING = re.compile(r"\r?\n")


def normalise_message_id(value: str | None) -> str | None:
    """A msg-id without angle brackets, comments or whitespace; case kept.

    None unless the result is usable as a key: exactly one "@" with text on
    both sides, printable ASCII only, at most 250 characters.
    """
    if not value:
        return None
    text = _strip_comments(_FOLDING.sub("", value)).strip()
    match = _ANGLE.search(text)
    candidate = (match[1] if match else text).strip()
    return candidate if _usable_id(candidate) else None


def _usable_id(candidate: str) -> bool:
    local, at, domain = candidate.partition("@")
    return (
        0 < len(candidate) <= 250
        and bool(at and local and domain)
        and "@" not in domain
        and all("!" <= ch <= "~" and ch not in "<>" for ch in candidate)
    )


def message_ids(value: str) -> tuple[str, ...]:
    """All usable msg-ids of an In-Reply-To/References value, in order.

    RFC 5322 §3.6.4 wants a list of "<id>"; older mailers add phrases or
    comments ("<id> (Joe's message of ...)") or forget the brackets, so
    bracketed ids are taken when there are any, bare words otherwise.
    """
    text = _strip_comments(_FOLDING.sub("", value))
    bracketed = _ANGLE.findall(text)
    words = bracketed or text.replace(",", " ").split()
    return tuple(dict.fromkeys(filter(None, map(normalise_message_id, words))))


def _strip_comments(text: str) -> str:
    """Remove RFC 5322 comments (nested, with quoted pairs) outside <...>."""
    out: list[str] = []
    depth, escaped, in_angle = 0, False, False
    for ch in text:
        if depth:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            else:
                depth += {"(": 1, ")": -1}.get(ch, 0)
            continue
        if ch == "(" and not in_angle:
            depth = 1
            out.append(" ")
            continue
        in_angle = (in_angle or ch == "<") and ch != ">"
        out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- subjects

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


# ---------------------------------------------------------------- building


@dataclass
class _Parts:
    """Accumulates what the walk over the MIME tree finds."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def _build(msg: Message) -> ParsedMail:
    """The ParsedMail of a parsed message tree."""
    hint = _charset_hint(msg)
    parts = _Parts()
    for part in _walk(msg):
        _collect(part, parts, hint)
    headers = _header_map(msg, hint)
    defects = [*_stdlib_defects(msg)]
    return ParsedMail(
        message_id=_message_id(msg, defects),
        sender=_sender(msg, hint, defects),
        reply_to=_address_list(msg, "reply-to", hint, defects),
        to=_address_list(msg, "to", hint, defects),
        cc=_address_list(msg, "cc", hint, defects),
        subject=" ".join(_first_decoded(msg, "subject", hint).split()),
        text=_body_text(parts),
        html="\n".join(parts.html) if parts.html else None,
        attachments=tuple(parts.attachments),
        in_reply_to=_id_list(msg, "in-reply-to"),
        references=_id_list(msg, "references"),
        date=_date(msg.get("date"), defects),
        return_path=_return_path(msg.get("return-path")),
        content_type=msg.get_content_type(),
        report_type=_param_text(msg.get_param("report-type"), hint).lower() or None,
        headers=headers,
        defects=tuple(dict.fromkeys(defects + parts.defects)),
    )


def _walk(msg: Message) -> Iterator[Message]:
    """Every part, depth first and in order, without entering message/*.

    An attached or returned message (message/rfc822, a DSN's original) is
    one attachment: its own text must not leak into this mail's text.
    """
    stack = [msg]
    while stack:
        part = stack.pop()
        yield part
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            stack.extend(reversed(part.get_payload()))


def _charset_hint(msg: Message) -> str | None:
    """The first declared body charset: the best guess for raw 8-bit headers."""
    for part in _walk(msg):
        label = part.get_param("charset")
        if label and not part.is_multipart():
            return _param_text(label, None) or None
    return None


def _stdlib_defects(msg: Message) -> Iterator[str]:
    """The stdlib parser's defects, as "content/type: Name: explanation"."""
    for part in _walk(msg):
        for defect in part.defects:
            doc = (type(defect).__doc__ or "").strip().splitlines()
            detail = f": {doc[0]}" if doc else ""
            yield f"{part.get_content_type()}: {type(defect).__name__}{detail}"


# ---------------------------------------------------------------- headers


def _header_map(msg: Message, hint: str | None) -> Mapping[str, tuple[str, ...]]:
    """Every header, lower-case name to decoded values in order."""
    collected: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        key = charsets.decode_header_value(name).strip().lower()
        decoded = charsets.decode_header_value(value, hint).strip()
        collected.setdefault(key, []).append(decoded)
    return MappingProxyType({key: tuple(values) for key, values in collected.items()})


def _first_decoded(msg: Message, name: str, hint: str | None) -> str:
    value = msg.get(name)
    return charsets.decode_header_value(value, hint) if value is not None else ""


def _message_id(msg: Message, defects: list[str]) -> str | None:
    raw = msg.get("message-id")
    if raw is None:
        defects.append("missing Message-ID")
        return None
    value = normalise_message_id(raw)
    if value is None:
        defects.append(f"unusable Message-ID {str(raw).strip()[:120]!r}")
    return value


def _id_list(msg: Message, name: str) -> tuple[str, ...]:
    """Threading ids (RFC 5322 §3.6.4) over all occurrences of the header."""
    values = msg.get_all(name) or []
    ids = (mid for value in values for mid in message_ids(str(value)))
    return tuple(dict.fromkeys(ids))


def _return_path(raw: str | None) -> str | None:
    """The Return-Path address; "" for the null reverse-path "<>"."""
    if raw is None:
        return None
    text = _strip_comments(_FOLDING.sub("", charsets.decode_header_value(raw))).strip()
    match = _ANGLE.search(text)
    return (match[1] if match else text).strip()


def _date(raw: str | None, defects: list[str]) -> datetime | None:
    """An aware datetime; the stdlib's lenient reader first, mail-parser's next."""
    if raw is None:
        return None
    text = charsets.decode_header_value(raw).strip()
    value = _stdlib_date(text) or _mailparser_date(text)
    if value is None:
        defects.append(f"unparseable Date {text[:80]!r}")
        return None
    # RFC 5322 §3.3: "-0000" is UTC with an unknown local zone.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _stdlib_date(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _mailparser_date(text: str) -> datetime | None:
    try:
        return parse_mail_date(text).value
    except Exception:  # noqa: BLE001 - third-party code on hostile input
        return None


# ---------------------------------------------------------------- addresses


def _sender(msg: Message, hint: str | None, defects: list[str]) -> Address | None:
    raw = msg.get("from")
    if raw is None:
        defects.append("missing From")
        return None
    found = _addresses(raw, "from", hint, defects)
    if found:
        return found[0]
    # "MAILER-DAEMON <>", "Mail System": keep what a person would read.
    name = _ANGLE.sub("", charsets.decode_header_value(raw, hint))
    return Address("", " ".join(name.split()).strip("\"' "))


def _address_list(msg: Message, name: str, hint: str | None, defects: list[str]) -> tuple[Address, ...]:
    values = msg.get_all(name) or []
    return tuple(address for value in values for address in _addresses(value, name, hint, defects))


def _addresses(raw: str, header: str, hint: str | None, defects: list[str]) -> list[Address]:
    """Mailboxes of one address header value.

    8-bit text is decoded first (mail-parser rejects it), encoded words are
    decoded only in the display names mail-parser returns, so a decoded
    comma or angle bracket cannot split or forge an address.
    """
    text = _FOLDING.sub("", charsets.decode_header_value_8bit(raw, hint))
    if not text.strip():
        return []
    reported = len(defects)
    pairs = _mailparser_pairs(text, header, defects)
    if not pairs:
        pairs = [(name, addr) for name, addr in getaddresses([text]) if "@" in addr]
    if not pairs and len(defects) == reported and not text.strip().endswith(("<>", ":;")):
        defects.append(f"{header}: no address in {text.strip()[:120]!r}")
    return [Address(addr, _display_name(name, addr, hint)) for name, addr in pairs]


def _mailparser_pairs(text: str, header: str, defects: list[str]) -> list[tuple[str, str]]:
    diagnostics: list[dict[str, object]] = []
    try:
        pairs = get_addresses(text, defects=diagnostics)
    except Exception:  # noqa: BLE001 - third-party code on hostile input
        return []
    for item in diagnostics:
        defects.append(f"{header}: {item.get('reason')} in {str(item.get('raw'))[:120]!r}")
    return [(name, addr) for name, addr in pairs if addr]


def _display_name(name: str, address: str, hint: str | None) -> str:
    decoded = " ".join(charsets.decode_header_value(name, hint).split()).strip("\"' ")
    return "" if decoded == address else decoded


# ---------------------------------------------------------------- parts


def _collect(part: Message, parts: _Parts, hint: str | None) -> None:
    """Sort one MIME part into body text, HTML or attachments."""
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        return
    content_type = part.get_content_type()
    disposition = _disposition(part)
    filename = _filename(part, hint)
    if content_type.startswith("multipart/"):
        # A multipart without a usable boundary: its raw text is all we have.
        content_type = "text/plain"
    if content_type in ("text/plain", "text/html") and disposition != "attachment" and filename is None:
        target = parts.html if content_type == "text/html" else parts.plain
        target.append(_decode_text(part, content_type, parts.defects, hint))
        return
    number = len(parts.attachments) + 1
    parts.attachments.append(
        Attachment(
            filename=safe_filename(filename, number, content_type),
            content_type=content_type,
            payload=_attachment_bytes(part),
            inline=part.get("content-id") is not None and disposition != "attachment",
        )
    )


def _disposition(part: Message) -> str | None:
    value = part.get("content-disposition")
    if value is None:
        return None
    return str(value).split(";", 1)[0].strip().strip("\"'").lower() or None


def _filename(part: Message, hint: str | None) -> str | None:
    """The declared filename (Content-Disposition, else Content-Type name)."""
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        try:
            value = part.get_param(param, header=header)
        except Exception:  # noqa: BLE001 - malformed parameters
            value = None
        if value:
            return _param_text(value, hint)
    return None


def _param_text(value: object, hint: str | None) -> str:
    """A MIME parameter as text: RFC 2231 triples or RFC 2047/8-bit strings."""
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            data = str(text).encode("latin-1")  # the stdlib unquotes %XX as latin-1
        except UnicodeEncodeError:
            data = charsets.to_bytes(str(text))
        return charsets.decode_bytes(data, charset or hint)
    return charsets.decode_header_value(value, hint) if value else ""


def _cte(part: Message) -> str:
    # Stripped and unquoted: the stdlib compares the raw value, so a
    # trailing space ("base64 ") would leave the payload undecoded.
    value = str(part.get("content-transfer-encoding", ""))
    return value.split(";", 1)[0].strip().strip("\"'").lower()


def _payload_bytes(part: Message) -> bytes:
    """The part's body with the transfer encoding undone.

    Reads the stored payload directly: get_payload() without decode=True
    already applies the declared charset (with replacement), and with it
    compares the unstripped Content-Transfer-Encoding and re-joins every
    base64 line before decoding.
    """
    payload = getattr(part, "_payload", None)
    if not isinstance(payload, str):
        return b""
    data = charsets.to_bytes(payload)
    cte = _cte(part)
    if cte == "base64":
        return _base64(data, payload)
    if cte == "quoted-printable":
        return binascii.a2b_qp(data)
    if cte in ("x-uuencode", "uuencode", "uue", "x-uue"):
        return _stdlib_decoded(part) or data
    return data


def _base64(data: bytes, payload: str) -> bytes:
    # binascii skips line breaks itself: no split-and-join copy of 10 MB.
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return charsets.decode_base64(payload)


def _stdlib_decoded(part: Message) -> bytes | None:
    try:
        decoded = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - malformed uuencode
        return None
    return decoded if isinstance(decoded, bytes) else None


def _attachment_bytes(part: Message) -> bytes:
    """Leaf payload bytes; attached messages are serialised again.

    compat32 has already parsed message/rfc822 and message/delivery-status
    bodies into sub-messages, so their bytes are regenerated (header values
    stay byte-exact, line endings become "\\n").
    """
    if not part.is_multipart():
        return _payload_bytes(part)
    buffer = BytesIO()
    try:
        generator = BytesGenerator(buffer, mangle_from_=False, policy=_VERBATIM)
        for sub in part.get_payload():
            generator.flatten(sub)
    except Exception:  # noqa: BLE001 - fall back to the text form
        return charsets.to_bytes(str(part.get_payload(0)))
    return buffer.getvalue()


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)


def _decode_text(part: Message, content_type: str, defects: list[str], hint: str | None) -> str:
    """A body part as text.

    Without a charset parameter, an HTML <meta> charset, else the charset
    another part of the mail declares, is the best guess: mailers label one
    part and forget its sibling.
    """
    data = _payload_bytes(part)
    label = _param_text(part.get_param("charset"), None) or None
    if label is None and content_type == "text/html":
        sniffed = _META_CHARSET.search(data[:4096])
        label = sniffed[1].decode("ascii") if sniffed else None
    label = label or hint
    text, note = charsets.decode_with_note(data, label)
    if note:
        defects.append(f"{content_type}: {note}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _body_text(parts: _Parts) -> str:
    """text/plain parts; for HTML-only mail, the HTML as readable text."""
    plain = "\n".join(parts.plain)
    if plain.strip() or not parts.html:
        return plain
    return "\n\n".join(html_to_text(html) for html in parts.html)


# ---------------------------------------------------------------- filenames

_MAX_NAME_BYTES = 200  # NAME_MAX is 255 bytes; leave room for de-duplication suffixes
_MAX_EXTENSION = 16
_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com\d|lpt\d)(\.|$)")
_EXTENSIONS = {
    "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "text/csv": ".csv",
    "text/rfc822-headers": ".txt", "message/rfc822": ".eml", "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt", "image/png": ".png", "image/jpeg": ".jpg",
    "image/gif": ".gif", "application/pdf": ".pdf", "application/zip": ".zip",
    "application/ms-tnef": ".dat", "application/pgp-signature": ".asc",
}


def safe_filename(name: str | None, number: int, content_type: str) -> str:
    """A filename safe to store: no directories, dots, controls; capped.

    Chinese and other non-ASCII letters and the extension are kept; a name
    with nothing left becomes "attachment-<number><ext>".
    """
    cleaned = "".join(ch for ch in (name or "") if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    cleaned = cleaned.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r'[<>:"|?*]', "_", " ".join(cleaned.split())).strip(". ")
    if _WINDOWS_RESERVED.match(cleaned):
        cleaned = "_" + cleaned
    if not cleaned:
        return f"attachment-{number}{_EXTENSIONS.get(content_type, '.bin')}"
    return _cap_length(cleaned)


def _cap_length(name: str) -> str:
    """Cut the stem, never the extension, to _MAX_NAME_BYTES of UTF-8."""
    if len(name.encode("utf-8")) <= _MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > _MAX_EXTENSION or not stem:
        stem, extension = name, ""
    suffix = "." + extension if extension else ""
    budget = _MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ") + suffix


# ---------------------------------------------------------------- HTML


# The stdlib html.parser is enough: it is tolerant, fast and dependency-free,
# and a readable approximation is all the helpdesk needs from HTML-only mail.
_SKIPPED = frozenset({"script", "style", "title", "template"})
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "pre", "hr", "dl"})
_LINES = frozenset(
    {"div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "address",
     "center", "form", "fieldset", "main", "nav", "aside", "figure", "caption", "tbody", "thead"}
)
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    """Collects text; block tags become line breaks (paragraphs: blank lines)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._pending = 0  # newlines owed before the next text
        self._skip = 0
        self._bullet = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag == "br":
            self._pending += 1
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        self._block(tag)
        self._bullet = self._bullet or tag == "li"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        self._block(tag)

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self._pending = max(self._pending, 2)
        elif tag in _LINES:
            self._pending = max(self._pending, 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        text = _SPACES.sub(" ", data)
        if self._pending:
            text = text.lstrip()
            if not text:
                return
            if self.chunks:
                self.chunks.append("\n" * self._pending)
            self._pending = 0
        if self._bullet and text.strip():
            text, self._bullet = "- " + text.lstrip(), False
        self.chunks.append(text)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: blocks as lines, entities unescaped."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
        text = "".join(extractor.chunks)
    except Exception:  # noqa: BLE001 - html.parser asserts on some markup
        text = unescape(re.sub(r"<[^>]*>", " ", html))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
