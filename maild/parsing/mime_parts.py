"""The leaves of the MIME tree sorted into body text, HTML and attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from .charsets import decode_with_note
from .filenames import safe_filename
from .header_decoding import param_text
from .html_text import html_to_text
from .mime_tree import declared_charset, is_container, main_value, walk
from .payloads import attachment_bytes, payload_bytes

_BODY_TYPES = ("text/plain", "text/html")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_META_SNIFF_BYTES = 4096


@dataclass(frozen=True)
class Attachment:
    filename: str  # safe for a file system, see safe_filename()
    content_type: str
    payload: bytes
    inline: bool  # has a Content-ID and is not disposition "attachment"


@dataclass
class BodyParts:
    """What the walk over the MIME tree finds."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def text_from_html(self) -> bool:
        """No text/plain part says anything: the text is the HTML made readable."""
        return bool(self.html) and not any(plain.strip() for plain in self.plain)


def collect_parts(msg: Message, hint: str | None) -> BodyParts:
    """Every leaf of the message, sorted; ``hint`` is the mail's charset guess."""
    parts = BodyParts()
    for part in walk(msg):
        if not is_container(part):
            _collect(part, parts, hint)
    return parts


def body_text(parts: BodyParts) -> str:
    """text/plain parts; for HTML-only mail, the HTML as readable text."""
    if not parts.text_from_html:
        return "\n".join(parts.plain)
    return "\n\n".join(html_to_text(html) for html in parts.html)


def body_html(parts: BodyParts) -> str | None:
    return "\n".join(parts.html) if parts.html else None


def _collect(part: Message, parts: BodyParts, hint: str | None) -> None:
    """Sort one leaf into body text, HTML or attachments."""
    content_type = _leaf_type(part)
    disposition = main_value(part, "content-disposition") or None
    filename = _filename(part, hint)
    if content_type in _BODY_TYPES and disposition != "attachment" and filename is None:
        target = parts.html if content_type == "text/html" else parts.plain
        target.append(_decode_text(part, content_type, parts.defects, hint))
    else:
        name = safe_filename(filename, len(parts.attachments) + 1, content_type)
        inline = part.get("content-id") is not None and disposition != "attachment"
        parts.attachments.append(Attachment(name, content_type, attachment_bytes(part), inline))


def _leaf_type(part: Message) -> str:
    content_type = part.get_content_type()
    # A multipart without a usable boundary: its raw text is all we have.
    return "text/plain" if content_type.startswith("multipart/") else content_type


def _filename(part: Message, hint: str | None) -> str | None:
    """The declared filename (Content-Disposition, else Content-Type name)."""
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        try:
            value = part.get_param(param, header=header)
        except Exception:  # noqa: BLE001 - malformed parameters
            value = None
        if value:
            return param_text(value, hint)
    return None


def _decode_text(part: Message, content_type: str, defects: list[str], hint: str | None) -> str:
    """A body part as text, with line endings made "\\n".

    Without a charset parameter, an HTML <meta> charset, else the charset
    another part of the mail declares, is the best guess: mailers label one
    part and forget its sibling.
    """
    data = payload_bytes(part)
    label = declared_charset(part) or _meta_charset(data, content_type) or hint
    text, note = decode_with_note(data, label)
    if note:
        defects.append(f"{content_type}: {note}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _meta_charset(data: bytes, content_type: str) -> str | None:
    if content_type != "text/html":
        return None
    sniffed = _META_CHARSET.search(data[:_META_SNIFF_BYTES])
    return sniffed[1].decode("ascii") if sniffed else None
