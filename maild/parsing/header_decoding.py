"""Header values and MIME parameters to text: RFC 2047 words, raw 8-bit bytes.

The parser hands header values over as text in which raw 8-bit bytes are
surrogate escapes (see mime_tree); those bytes, and the octets of
encoded words, are decoded by charsets, so headers get the same
forgiving charset rules as bodies.
"""

from __future__ import annotations

import binascii
import re
from itertools import groupby

from .charset_labels import codec_for
from .charsets import decode_bytes, to_bytes

# RFC 2047 §2 encoded-word, read leniently: the encoded text may hold spaces
# (broken Q encoders), and words may touch the surrounding text.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_NEWLINES = re.compile(r"[\r\n]+")
_NON_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
_SURROGATES = re.compile(r"[\udc80-\udcff]")

# An encoded word: its charset label and its octets.
_Word = tuple[str, bytes]


def decode_header_value(value: str | None, default_charset: str | None = None) -> str:
    """Decode a raw header value: RFC 2047 words and raw 8-bit text.

    Adjacent encoded words are joined at byte level before decoding, so a
    multi-byte character split across two words (a common encoder bug)
    survives; the whitespace between them is dropped (RFC 2047 §6.2).  Raw
    8-bit bytes, which the stdlib carries as surrogate escapes, are decoded
    with ``default_charset`` (typically the body's) through decode_bytes.
    """
    if not value:
        return ""
    if value.isascii() and "=?" not in value and "\n" not in value and "\r" not in value:
        return value  # most headers: nothing to unfold or decode
    text = _NEWLINES.sub(" ", _FOLD.sub("", value))
    out: list[str] = []
    run: list[_Word] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        if gap and not (run and gap.isspace()):
            out += [_decode_run(run), _decode_raw(gap, default_charset)]
            run = []
        run.append((match[1], _word_bytes(match[2], match[3])))
        pos = match.end()
    out += [_decode_run(run), _decode_raw(text[pos:], default_charset)]
    return "".join(out)


def decode_header_value_8bit(value: str | None, default_charset: str | None = None) -> str:
    """Decode only the raw 8-bit text of a header, keeping RFC 2047 words.

    For structured headers (addresses) whose syntax must be parsed before
    encoded words may be expanded (RFC 2047 §5).
    """
    return _decode_raw(value or "", default_charset)


def param_text(value: object, hint: str | None) -> str:
    """A MIME parameter as text: RFC 2231 triples or RFC 2047/8-bit strings."""
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            data = str(text).encode("latin-1")  # the stdlib unquotes %XX as latin-1
        except UnicodeEncodeError:
            data = to_bytes(str(text))
        return decode_bytes(data, charset or hint)
    return decode_header_value(str(value), hint) if value else ""


def decode_base64(text: str) -> bytes:
    """Lenient base64: drops stray characters and repairs missing padding.

    For encoded words, and for bodies too broken for binascii alone.
    """
    cleaned = _NON_BASE64.sub("", text.split("=", 1)[0])
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return b""


def _word_bytes(encoding: str, encoded: str) -> bytes:
    """The octets of one encoded word, tolerating bad padding and junk."""
    if encoding in "qQ":
        return binascii.a2b_qp(to_bytes(encoded), header=True)
    return decode_base64(encoded)


def _decode_run(run: list[_Word]) -> str:
    """Decode adjacent encoded words, concatenating those of one charset."""
    out: list[str] = []
    for _codec, words in groupby(run, key=lambda word: codec_for(word[0])):
        labels, chunks = zip(*words)
        out.append(decode_bytes(b"".join(chunks), labels[0]))
    return "".join(out)


def _decode_raw(text: str, default_charset: str | None) -> str:
    """Plain header text; surrogate-escaped 8-bit bytes are decoded."""
    if not _SURROGATES.search(text):
        return text
    return decode_bytes(to_bytes(text), default_charset)
