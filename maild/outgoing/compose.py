"""Build the outgoing mail: headers that thread (RFC 5322 §3.6.4) and that stop mail loops
(RFC 3834 Auto-Submitted, Microsoft's X-Auto-Response-Suppress, our own loop header).

Written out directly rather than through the stdlib's MIME classes and generator: every new
ticket sends one, and the generic header folding and boundary search made composing most of
the cost of an acknowledgement. What we write is always the same shape — a multipart/alternative
of two UTF-8 parts in base64, whose lines can never begin with "--", so the boundary needs no
search; headers are ASCII, or RFC 2047 encoded words where a name or subject is not.
"""

from __future__ import annotations

import base64
import functools
import re
import uuid
from urllib.parse import quote
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, formataddr

from ..parsing import Attachment
from .templates import Rendered

CRLF = "\r\n"
MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")  # what a Content-Type may carry of a received one  # SMTP DATA is CRLF-terminated (RFC 5321 §2.3.8)
WORD_BYTES = 36  # UTF-8 bytes per encoded word: 48 base64 characters, a word well under 75 (RFC 2047 §2)


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


def compose(out: Outgoing, body: Rendered, message_id: str, now: datetime,
            attachments: tuple[Attachment, ...] = (), images: tuple[Attachment, ...] = ()) -> bytes:
    """The mail as it goes on the wire; with attachments, a multipart/mixed of the text and them.
    `images`: shown in the HTML part, which names each `cid:FILENAME` (a multipart/related)."""
    boundary = f"=_maild.{uuid.uuid4().hex}"
    headers = [
        ("From", mailbox(out.sender_name, out.sender_address)),
        # Said outright, so an answer comes back through the helpdesk whatever the client makes of From.
        ("Reply-To", out.sender_address),
        ("To", mailbox(out.to_name, out.to_address)),
        ("Subject", header_text(out.subject, len("Subject: "))),
        ("Date", date_header(now, now.utcoffset())),
        ("Message-ID", f"<{message_id}>"),
    ]
    if out.in_reply_to:
        headers.append(("In-Reply-To", f"<{out.in_reply_to}>"))
    if out.references:
        headers.append(("References", f"{CRLF} ".join(f"<{ref}>" for ref in out.references[-20:])))
    headers += [
        ("Auto-Submitted", out.auto_submitted),
        ("X-Auto-Response-Suppress", "All"),
        (out.loop_header, out.sender_address),
        ("MIME-Version", "1.0"),
    ]
    head = "".join(f"{name}: {value}{CRLF}" for name, value in headers)
    parts = "".join(f"--{boundary}{CRLF}{text_part(text, subtype)}" for text, subtype in
                    ((body.text, "plain"), (body.html, "html")))
    alternative = f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}{CRLF}{parts}--{boundary}--{CRLF}'
    if images:
        related = f"=_maild.{uuid.uuid4().hex}"
        shown = "".join(f"--{related}{CRLF}{image_part(image)}" for image in images)
        alternative = (f'Content-Type: multipart/related;{CRLF} type="multipart/alternative";{CRLF} '
                       f'boundary="{related}"{CRLF}{CRLF}--{related}{CRLF}{alternative}{shown}--{related}--{CRLF}')
    if not attachments:
        return f"{head}{alternative}".encode("ascii")
    mixed = f"=_maild.{uuid.uuid4().hex}"
    files = "".join(f"--{mixed}{CRLF}{attachment_part(a)}" for a in attachments)
    return (f'{head}Content-Type: multipart/mixed;{CRLF} boundary="{mixed}"{CRLF}{CRLF}'
            f"--{mixed}{CRLF}{alternative}{files}--{mixed}--{CRLF}").encode("ascii")


@functools.lru_cache(maxsize=8)  # one `now` for all the mails of a batch
def date_header(now: datetime, offset: timedelta | None) -> str:
    """`offset` keys the cache too: equal times in two zones are written with their own."""
    return format_datetime(now)


def attachment_part(attachment: Attachment) -> str:
    """A file as it was received: its type, its name (RFC 2231 where it is not ASCII), base64."""
    name = " ".join(attachment.filename.split()) or "attachment"
    if name.isascii() and '"' not in name and "\\" not in name:
        filename = f'filename="{name}"'
    else:
        filename = f"filename*=utf-8''{quote(name, safe='')}"
    encoded = base64_lines(attachment.payload)
    content_type = attachment.content_type if MEDIA_TYPE.fullmatch(attachment.content_type) else "application/octet-stream"
    return (f"Content-Type: {content_type}{CRLF}Content-Disposition: attachment;{CRLF} {filename}{CRLF}"
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{encoded}")


def image_part(image: Attachment) -> str:
    """An image the HTML part shows by `cid:` its file name (ours: ASCII, no quotes)."""
    return (f"Content-Type: {image.content_type}{CRLF}Content-ID: <{image.filename}>{CRLF}"
            f'Content-Disposition: inline; filename="{image.filename}"{CRLF}'
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{base64_lines(image.payload)}")


def text_part(text: str, subtype: str) -> str:
    encoded = base64_lines(text.encode("utf-8"))
    return (f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{encoded}")


def base64_lines(data: bytes) -> str:
    """Base64 in lines of 76 characters, each ending in CRLF (RFC 2045 §6.8), as
    base64.encodebytes writes them but with a third less work."""
    encoded = base64.b64encode(data).decode("ascii")
    if not encoded:
        return ""
    return CRLF.join([encoded[i:i + 76] for i in range(0, len(encoded), 76)]) + CRLF


@functools.lru_cache(maxsize=1024)  # our own From in every mail, the staff's names in theirs
def mailbox(name: str, address: str) -> str:
    name = " ".join(name.split())  # no line breaks may reach a header
    if name.isascii():
        return formataddr((name, address))  # quotes the name where RFC 5322 wants it
    return f"{header_text(name, len('From: '))} <{address}>"


def header_text(text: str, taken: int = 0) -> str:
    """The text as it may stand in a header, on lines of at most 78 characters (RFC 5322 §2.1.1):
    ASCII as it is, folded at spaces; anything else, or a word too long to fold, as RFC 2047
    encoded words of whole characters, one per folded line. `taken`: what the header's name
    takes of the first line."""
    text = " ".join(text.split())  # no line breaks may reach a header
    if text.isascii() and all(len(word) <= 70 for word in text.split(" ")):
        return folded(text.split(" "), taken)
    return f"{CRLF} ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in utf8_words(text))


def utf8_words(text: str) -> list[bytes]:
    """The text's UTF-8 in pieces of at most WORD_BYTES, each of whole characters: a piece ends
    before the last lead byte that would not fit (a continuation byte is 10xxxxxx)."""
    data = text.encode("utf-8")
    words, start = [], 0
    while start < len(data):
        end = min(start + WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1
        words.append(data[start:end])
        start = end
    return words or [b""]


def folded(words: list[str], taken: int, width: int = 76) -> str:
    lines = [""]
    for word in words:
        room = width - (taken if len(lines) == 1 else 1)
        if lines[-1] and len(lines[-1]) + 1 + len(word) > room:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
    return f"{CRLF} ".join(lines)
