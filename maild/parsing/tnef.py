"""A winmail.dat (TNEF, Outlook's rich-text wrapper) opened into the files and text it carries.

Outlook can send a mail's attachments, and sometimes its only body, inside one
application/ms-tnef part that other mail programs cannot read.  tnefparse
reads it; it is imported on first use, as few mails carry TNEF and start-up
should stay cheap.  Never raises: a winmail.dat that cannot be opened stays
as it is, with a defect saying why.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from functools import cache
from typing import Any

from .charsets import decode_bytes
from .filenames import safe_filename
from .mime_parts import Attachment, BodyParts

_TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")
_TNEF_NAME = "winmail.dat"
_ATTACH_LONG_FILENAME = 0x3707  # MAPI PidTagAttachLongFilename: the name as the sender saw it
_FALLBACK_TYPE = "application/octet-stream"
_TNEF_HEADER_BYTES = 6  # signature and key


@dataclass(frozen=True)
class TnefContents:
    """What a TNEF blob carries: its files (declared name, bytes) and its body, if readable."""

    files: tuple[tuple[str | None, bytes], ...]
    text: str | None
    html: str | None
    rtf_only: bool  # a body tnefparse hands over only as compressed RTF
    damaged: bool  # a checksum does not match, or bytes are left over: cut short or corrupted


def open_tnef_parts(parts: BodyParts) -> BodyParts:
    """The parts with each TNEF attachment replaced by the files it carries.

    Its body becomes the mail's text when the mail has none.  One that cannot
    be opened, or holds nothing, is kept as it is and a defect says why.
    """
    if not any(_is_tnef(attachment) for attachment in parts.attachments):
        return parts
    opened = BodyParts(plain=list(parts.plain), html=list(parts.html), defects=list(parts.defects))
    for attachment in parts.attachments:
        if _is_tnef(attachment):
            _open_into(attachment, opened)
        else:
            opened.attachments.append(attachment)
    return opened


def read_tnef(data: bytes) -> TnefContents:
    """The files and body of a TNEF blob; raises what tnefparse raises on a broken one."""
    tnef = _tnef_class()(data)
    codepage = tnef.codepage
    named = ((_declared_name(found, codepage), bytes(found.data or b"")) for found in tnef.attachments)
    files = tuple((name, payload) for name, payload in named if name or payload)
    text = _as_text(tnef.body, codepage)
    html = _as_text(tnef.htmlbody, None)
    damaged = not all(found.good_checksum for found in tnef.objects) or _leftover(tnef, data)
    return TnefContents(files, text, html, rtf_only=tnef.has_body() and not (text or html), damaged=damaged)


def _leftover(tnef: Any, data: bytes) -> bool:
    """Whether bytes are left after the last attribute: tnefparse drops a cut-off one silently."""
    return _TNEF_HEADER_BYTES + sum(found.length for found in tnef.objects) != len(data)


def _is_tnef(attachment: Attachment) -> bool:
    return attachment.content_type in _TNEF_TYPES or attachment.filename.lower() == _TNEF_NAME


def _open_into(tnef_part: Attachment, parts: BodyParts) -> None:
    """Add what the TNEF part carries to ``parts``, or the part itself and a defect."""
    try:
        contents = read_tnef(tnef_part.payload)
    except Exception as exc:  # noqa: BLE001 - a broken winmail.dat is the sender's defect
        _keep(tnef_part, parts, f"{type(exc).__name__}: {exc}")
        return
    if not (contents.files or contents.text or contents.html):
        reason = "it holds only an RTF body" if contents.rtf_only else "it holds no files and no body"
        _keep(tnef_part, parts, reason)
        return
    if contents.damaged:
        parts.defects.append(f"{tnef_part.filename}: damaged (cut short or corrupted); "
                             "what it carried may be incomplete")
    if not _has_body(parts):
        parts.plain.extend([contents.text] if contents.text else [])
        parts.html.extend([contents.html] if contents.html else [])
    for name, payload in contents.files:
        parts.attachments.append(_attachment(name, payload, len(parts.attachments) + 1))


def _keep(tnef_part: Attachment, parts: BodyParts, reason: str) -> None:
    parts.attachments.append(tnef_part)
    parts.defects.append(f"{tnef_part.filename}: not opened: {reason}")


def _has_body(parts: BodyParts) -> bool:
    return any(text.strip() for text in parts.plain) or any(html.strip() for html in parts.html)


def _attachment(name: str | None, payload: bytes, number: int) -> Attachment:
    content_type = (mimetypes.guess_type(name)[0] if name else None) or _FALLBACK_TYPE
    return Attachment(safe_filename(name, number, content_type), content_type, payload, inline=False)


def _declared_name(found: Any, codepage: str | None) -> str | None:
    """The long file name, else the short title, which comes in the sender's code page.

    tnefparse's own ``name`` reads the title as UTF-8 and raises on a GBK
    one, so its raw bytes are decoded here, as forgivingly as any mail text.
    """
    long_names = [attr.data for attr in found.mapi_attrs if attr.name == _ATTACH_LONG_FILENAME]
    raw = long_names[0] if long_names else getattr(found, "_name", b"")
    return _as_text(raw, codepage)


def _as_text(value: object, codepage: str | None) -> str | None:
    """A TNEF string (text already, or bytes in ``codepage``) without its NULs; None when empty."""
    if isinstance(value, (bytes, bytearray)):
        value = decode_bytes(bytes(value).rstrip(b"\0"), codepage)
    if not isinstance(value, str):
        return None
    text = value.strip("\0").replace("\r\n", "\n").replace("\r", "\n")
    return text if text.strip() else None


@cache
def _tnef_class() -> Any:
    """tnefparse's reader, imported on first use.

    It warns about checksums and versions of files it opens anyway; for
    maild those are the sender's business, not the daemon's log's.
    """
    logging.getLogger("tnefparse").setLevel(logging.ERROR)
    from tnefparse import TNEF

    return TNEF
