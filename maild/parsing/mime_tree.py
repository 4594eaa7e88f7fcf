"""The stdlib's parse of a message, and reading its tree of MIME parts.

compat32 rather than ``policy.default``: the modern header registry raises
on access for some malformed DSN headers; compat32 leaves values as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message
from email.feedparser import BytesFeedParser
from email.parser import BytesParser
from email.policy import Compat32

from .charsets import to_bytes
from .header_decoding import param_text
from .multipart import parse_multipart


class RawHeaderPolicy(Compat32):
    """compat32, but 8-bit header values come back as parsed.

    Stock compat32 wraps them in email.header.Header objects whose str()
    turns every non-ASCII byte into U+FFFD, losing raw GBK subjects and
    filenames before they could be decoded.  Here they stay surrogate-
    escaped text, and header_decoding decodes them.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        return value


class VerbatimPolicy(RawHeaderPolicy):
    """Writes headers back exactly as parsed when re-serialising a part.

    compat32 would re-fold every header through email.header.Header, which
    alters the bytes and was a third of the corpus parse time.
    """

    def fold_binary(self, name: str, value: str) -> bytes:  # type: ignore[override]
        return to_bytes(f"{name}: {value}{self.linesep}")


PARSER = BytesParser(policy=RawHeaderPolicy())
VERBATIM = VerbatimPolicy()
FEED_CHUNK = 64 * 1024


def parse_message(data: bytes) -> Message:
    """The whole MIME tree, fed in chunks: `parsebytes` would first decode the entire mail into
    one str, and a 10 MB attachment would then cost ten times its size in memory at once."""
    split = parse_multipart(data, PARSER.parser.policy)
    if split is not None:
        return split
    parser = BytesFeedParser(policy=PARSER.parser.policy)
    view = memoryview(data)
    for start in range(0, len(view), FEED_CHUNK):
        parser.feed(bytes(view[start:start + FEED_CHUNK]))
    return parser.close()


def walk(msg: Message) -> Iterator[Message]:
    """Every part, depth first and in order, without entering message/*.

    An attached or returned message (message/rfc822, a DSN's original) is
    one attachment: its own text must not leak into this mail's text.
    """
    stack = [msg]
    while stack:
        part = stack.pop()
        yield part
        if is_container(part):
            stack.extend(reversed(part.get_payload()))


def is_container(part: Message) -> bool:
    """A multipart whose children were parsed (not message/*, not a leaf)."""
    return part.is_multipart() and part.get_content_maintype() == "multipart"


def charset_hint(msg: Message) -> str | None:
    """The first declared body charset: the best guess for raw 8-bit headers."""
    for part in walk(msg):
        if part.get_param("charset") and not part.is_multipart():
            return declared_charset(part)
    return None


def declared_charset(part: Message) -> str | None:
    """The part's charset parameter, decoded; None when absent or empty."""
    return param_text(part.get_param("charset"), None) or None


def main_value(part: Message, header: str) -> str:
    """A header's value before any parameters, lower-case and unquoted.

    Stripped too: the stdlib compares raw values, so a trailing space
    ("base64 ") would leave a payload undecoded.
    """
    value = part.get(header)
    if value is None:
        return ""
    return str(value).split(";", 1)[0].strip().strip("\"'").lower()


def stdlib_defects(msg: Message) -> Iterator[str]:
    """The stdlib parser's defects, as "content/type: Name: explanation"."""
    for part in walk(msg):
        for defect in part.defects:
            doc = (type(defect).__doc__ or "").strip().splitlines()
            detail = f": {doc[0]}" if doc else ""
            yield f"{part.get_content_type()}: {type(defect).__name__}{detail}"
