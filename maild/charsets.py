"""Charset labels to Python codecs, and decoding that never raises.

Real mail lies about its charset.  Text labelled GB2312 is usually GBK or
GB18030 (Outlook and Foxmail write the narrow label for the wide encoding),
labels such as ``X-GBK`` or ``iso-gb2312`` are unknown to Python, others
(``ks_c_5601-1987``) name a narrower codec than the sender used, and
"us-ascii" or unlabelled parts often carry 8-bit UTF-8 or GBK.  Everything
here is pure: bytes and labels in, text out, and no LookupError or
UnicodeDecodeError ever escapes.
"""

from __future__ import annotations

import binascii
import codecs
import re
from email.header import Header, decode_header
from functools import lru_cache

# Labels Python does not know, or knows as a narrower codec than the mail
# really uses.  GB2312 < GBK < GB18030, so decoding every simplified-Chinese
# label as GB18030 loses nothing and fixes the GBK-only characters; likewise
# CP949 for Korean, CP932 for Shift_JIS and Big5-HKSCS for Big5 (the
# Microsoft/Hong Kong supersets the senders actually use).  ISO-8859-1 is
# read as windows-1252, as browsers do: "Latin-1" mail is full of cp1252
# curly quotes.  US-ASCII maps to UTF-8 (ASCII is a subset; 8-bit data under
# an ASCII label is far more often UTF-8 than anything else).
_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        (
            "gb2312", "gbk", "gb18030", "x-gbk", "iso-gb2312", "gb_2312-80",
            "gb_2312", "gb2312-80", "gb2312_80", "x-gb2312", "csgb2312",
            "csiso58gb231280", "iso-ir-58", "chinese", "cp936", "ms936",
            "windows-936", "euc-cn", "x-euc-cn", "euccn", "x-gb18030",
            "x-mac-chinesesimp",
        ),
        "gb18030",
    ),
    "hz-gb-2312": "hz",
    **dict.fromkeys(
        ("big5", "x-big5", "big-5", "cn-big5", "csbig5", "big5-hkscs", "x-x-big5"),
        "big5hkscs",
    ),
    **dict.fromkeys(
        (
            "ks_c_5601-1987", "ks_c_5601", "ks_c_5601-1989", "ksc5601",
            "ksc_5601", "euc-kr", "x-euc-kr", "korean", "windows-949",
            "x-windows-949", "csksc56011987", "iso-ir-149",
        ),
        "cp949",
    ),
    **dict.fromkeys(
        (
            "shift_jis", "shift-jis", "x-sjis", "sjis", "ms_kanji",
            "windows-31j", "cswindows31j", "x-ms-cp932", "csshiftjis",
        ),
        "cp932",
    ),
    **dict.fromkeys(("us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us"), "utf-8"),
    **dict.fromkeys(
        ("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "windows-1252", "x-cp1252"),
        "cp1252",
    ),
    **dict.fromkeys(
        ("utf-8", "utf8", "uft-8", "utf-8-sig", "x-utf-8", "unicode-1-1-utf-8", "unicode-2-0-utf-8"),
        "utf-8",
    ),
    **dict.fromkeys(
        ("utf-7", "unicode-1-1-utf-7", "unicode-2-0-utf-7", "x-unicode-2-0-utf-7", "csunicode11utf7"),
        "utf-7",
    ),
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-8-e": "iso8859-8",
    "iso-8859-6-i": "iso8859-6",
    "iso-8859-6-e": "iso8859-6",
    "windows-874": "cp874",
    "x-mac-roman": "mac-roman",
}

# Codecs Python accepts that are not text encodings of mail, or that turn
# data into something other than its text ("unicode_escape" would execute
# backslash escapes; "undefined" always fails).
_REFUSED = frozenset({"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "mbcs", "oem"})

# When the declared codec rejects the data, a superset usually explains it.
_SUPERSETS: dict[str, tuple[str, ...]] = {
    "cp1252": ("iso8859-1",),
    "big5hkscs": ("cp950",),
    "iso2022_jp": ("iso2022_jp_2", "iso2022_jp_ext"),
    "euc_jp": ("euc_jis_2004",),
}

# Codecs whose bytes are not an ASCII superset: they must be tried before the
# "plain ASCII" and "valid UTF-8 wins" shortcuts.
_NOT_ASCII_SUPERSET = ("utf-7", "utf-16", "utf-32", "iso2022", "hz")

_HIGH_BYTES = bytes(range(0x80, 0x100))
_LABEL_JUNK = " \t\r\n\"';"


def _normalise_label(label: str) -> str:
    """Lower-case a label and drop quoting and an RFC 2231 ``*lang`` suffix."""
    return label.strip(_LABEL_JUNK).split("*", 1)[0].strip(_LABEL_JUNK).lower()


@lru_cache(maxsize=256)
def _lookup(label: str | None) -> str | None:
    """The codec for a label, or None when it is missing or unknown."""
    if not label:
        return None
    name = _normalise_label(label)
    candidates = [name]
    if name.startswith("3d"):
        # "charset=3Dutf-8": a quoted-printable encoder mangled the header.
        candidates.append(name[2:])
    if name.startswith("x-"):
        candidates.append(name[2:])
    for candidate in candidates:
        codec = _ALIASES.get(candidate) or _python_codec(candidate)
        if codec:
            return codec
    return None


def _python_codec(name: str) -> str | None:
    """Python's own codec for a label, if it is a usable text encoding."""
    if not name or len(name) > 40 or not name.isascii() or not name.isprintable():
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    return _ALIASES.get(info.name, info.name)


def codec_for(label: str | None) -> str:
    """A Python codec name that exists for any label (UTF-8 when unknown)."""
    return _lookup(label) or "utf-8"


def decode_bytes(data: bytes, label: str | None) -> str:
    """Decode bytes labelled ``label`` as well as possible; never raises."""
    return decode_with_note(data, label)[0]


def decode_with_note(data: bytes, label: str | None) -> tuple[str, str | None]:
    """Like decode_bytes, plus a human-readable note when the label was wrong.

    Order: the declared codec for 7-bit/wide encodings; otherwise strict UTF-8
    first (valid multi-byte UTF-8 is practically never accidental legacy
    text, while GB18030 decodes almost anything, so UTF-8 read as GBK gives
    silent mojibake but not the other way round), then the declared codec
    and its supersets, then GB18030 for unlabelled or UTF-8/ASCII-labelled
    data that looks double-byte, and finally the least damaged decoding with
    replacement, or windows-1252/Latin-1 when every candidate fails badly.
    """
    if not data:
        return "", None
    codec = _lookup(label)
    note = f"unknown charset {label!r}" if label and label.strip(_LABEL_JUNK) and codec is None else None
    if codec in (None, "utf-8") and data.isascii():
        # Unlabelled or "us-ascii" 7-bit data with JIS escapes is ISO-2022-JP.
        codec = "iso2022_jp" if _JIS_ESCAPE.search(data) else codec
    if codec and codec.startswith(_NOT_ASCII_SUPERSET):
        text = _seven_bit(data, codec)
        if text is not None:
            return text, note
    if data.isascii():
        return data.decode("ascii"), note
    for candidate in _candidates(codec, data):
        text = _strict(data, candidate)
        if text is not None:
            return text, _mismatch_note(note, label, codec, candidate)
    return _least_damaged(data, codec, label)


def _seven_bit(data: bytes, codec: str) -> str | None:
    """Stateful/wide codecs, whose bytes are not ASCII-compatible."""
    for candidate in (codec, *_SUPERSETS.get(codec, ())):
        text = _strict(data, candidate)
        if text is not None:
            return text
    if codec.startswith("iso2022_jp") and data.isascii():
        return _jis_via_cp932(data)
    return None


_JIS_ESCAPE = re.compile(rb"\x1b\$[@B]")
_JIS_SEGMENTS = re.compile(rb"\x1b(\$[@B]|\([BJI])")


def _jis_via_cp932(data: bytes) -> str:
    """ISO-2022-JP with vendor characters (NEC row 13: ①, ㈱, ...).

    Japanese mailers write the Microsoft extensions of CP50221 inside
    ISO-2022-JP; Python's iso2022 codecs reject them.  JIS X 0208 row/cell
    pairs map arithmetically to Shift_JIS, which CP932 decodes with those
    extensions.
    """
    out: list[str] = []
    mode = b"(B"
    pos = 0
    for match in [*_JIS_SEGMENTS.finditer(data), None]:
        end = match.start() if match else len(data)
        out.append(_jis_segment(data[pos:end], mode))
        if match:
            mode, pos = match[1], match.end()
    return "".join(out)


def _jis_segment(chunk: bytes, mode: bytes) -> str:
    if mode == b"(I":  # half-width katakana
        return bytes(byte | 0x80 for byte in chunk).decode("cp932", "replace")
    if not mode.startswith(b"$"):
        return chunk.decode("ascii", "replace")
    sjis = bytearray()
    for first, second in zip(chunk[::2], chunk[1::2]):
        lead = (first + 1) // 2 + (0x70 if first <= 0x5E else 0xB0)
        trail = second + (0x7E if first % 2 == 0 else 0x1F + (second >= 0x60))
        sjis += bytes((lead & 0xFF, trail & 0xFF))
    return sjis.decode("cp932", "replace")


def _candidates(codec: str | None, data: bytes) -> list[str]:
    """Strict decoding attempts for 8-bit data, most trustworthy first."""
    ordered = ["utf-8"]
    if codec and codec != "utf-8":
        ordered += [codec, *_SUPERSETS.get(codec, ())]
    if codec in (None, "utf-8") and _plausibly_chinese(data):
        ordered.append("gb18030")
    return ordered


_DOUBLE_BYTE = re.compile(rb"[\x81-\xfe][\x40-\x7e\x80-\xfe]")


def _plausibly_chinese(data: bytes) -> bool:
    """Whether undeclared 8-bit data may be GBK rather than Western text.

    GB18030 decodes most Latin-1 text without error ("Grüße" holds the pair
    FC DF), so it is only tried when most byte pairs end in the GB2312 area
    (second byte >= A1), as the common Chinese characters do; an accented
    Latin letter is almost always followed by an ASCII one instead.
    """
    pairs = _DOUBLE_BYTE.findall(data)
    common = sum(1 for pair in pairs if pair[1] >= 0xA1)
    return common * 2 > len(pairs)


def _strict(data: bytes, codec: str) -> str | None:
    """Decode or return None; a BOM is dropped for UTF-8."""
    try:
        return data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except (UnicodeError, LookupError):
        return None


def _mismatch_note(note: str | None, label: str | None, codec: str | None, used: str) -> str | None:
    """Say so when the bytes were not in the declared charset."""
    if note or codec in (None, used) or (codec, used) in {("cp1252", "iso8859-1")}:
        return note
    return f"charset {label!r} does not match the data; decoded as {used}"


def _least_damaged(data: bytes, codec: str | None, label: str | None) -> tuple[str, str]:
    """Last resort: the decoding with the fewest replacement characters.

    Candidates: the declared codec, UTF-8, and GB18030 when the data may be
    Chinese.  When even the best one mangles a good share of the 8-bit bytes,
    the data is Western 8-bit text, and windows-1252/Latin-1 keep every byte.
    """
    chinese = codec == "gb18030" or (codec in (None, "utf-8") and _plausibly_chinese(data))
    names = [c for c in (codec, "utf-8", "gb18030") if c and (c != "gb18030" or chinese)]
    best_name, best = min(
        ((name, data.decode(name, "replace")) for name in dict.fromkeys(names)),
        key=lambda pair: pair[1].count("\ufffd"),
    )
    high_bytes = len(data) - len(data.translate(None, _HIGH_BYTES))
    described = repr(label) if label else "(none declared)"
    if best.count("\ufffd") * 4 > high_bytes:
        return _western(data), f"charset {described} undecodable; shown as windows-1252"
    return best, f"charset {described}: undecodable bytes replaced ({best_name})"


def _western(data: bytes) -> str:
    """windows-1252 (what "Latin-1" mail really is), Latin-1 for its 5 gaps."""
    return _strict(data, "cp1252") or data.decode("latin-1")


# RFC 2047 §2 encoded-word, read leniently: the encoded text may hold spaces
# (broken Q encoders), and words may touch the surrounding text.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_NEWLINES = re.compile(r"[\r\n]+")
_NON_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
_SURROGATES = re.compile(r"[\udc80-\udcff]")
_OTHER_SURROGATES = re.compile(r"[\ud800-\udc7f\udd00-\udfff]")


def decode_header_value(value: str | bytes | Header | None, default_charset: str | None = None) -> str:
    """Decode a raw header value: RFC 2047 words and raw 8-bit text.

    Adjacent encoded words are joined at byte level before decoding, so a
    multi-byte character split across two words (a common encoder bug)
    survives; the whitespace between them is dropped (RFC 2047 §6.2).  Raw
    8-bit bytes, which the stdlib carries as surrogate escapes, are decoded
    with ``default_charset`` (typically the body's) through decode_bytes.
    """
    text = _NEWLINES.sub(" ", _FOLD.sub("", _as_text(value)))
    out: list[str] = []
    run: list[tuple[str, bytes]] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        if gap and not (run and gap.isspace()):
            out.append(_decode_run(run))
            out.append(_decode_raw(gap, default_charset))
            run = []
        run.append((match[1], _word_bytes(match[2], match[3])))
        pos = match.end()
    out.append(_decode_run(run))
    out.append(_decode_raw(text[pos:], default_charset))
    return "".join(out)


def decode_header_value_8bit(value: str | bytes | Header | None, default_charset: str | None = None) -> str:
    """Decode only the raw 8-bit text of a header, keeping RFC 2047 words.

    For structured headers (addresses) whose syntax must be parsed before
    encoded words may be expanded (RFC 2047 §5).
    """
    return _decode_raw(_as_text(value), default_charset)


def _as_text(value: str | bytes | Header | None) -> str:
    """Header input as str, 8-bit bytes kept as surrogate escapes."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("ascii", "surrogateescape")
    if isinstance(value, Header):
        return "".join(_header_chunk(data, charset) for data, charset in decode_header(value))
    return str(value)


def _header_chunk(data: bytes | str, charset: str | None) -> str:
    """One chunk of an email.header.Header, decoded with our charset rules."""
    if isinstance(data, str):
        return data
    if charset in (None, "unknown-8bit"):
        return data.decode("ascii", "surrogateescape")
    return decode_bytes(data, charset)


def _word_bytes(encoding: str, encoded: str) -> bytes:
    """The octets of one encoded word, tolerating bad padding and junk."""
    if encoding in "qQ":
        return binascii.a2b_qp(to_bytes(encoded), header=True)
    return decode_base64(encoded)


def decode_base64(text: str) -> bytes:
    """Lenient base64: drops stray characters and repairs missing padding."""
    cleaned = _NON_BASE64.sub("", text.split("=", 1)[0])
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return b""


def _decode_run(run: list[tuple[str, bytes]]) -> str:
    """Decode adjacent encoded words, concatenating those of one charset."""
    out: list[str] = []
    index = 0
    while index < len(run):
        label, data = run[index]
        codec = codec_for(label)
        index += 1
        while index < len(run) and codec_for(run[index][0]) == codec:
            data += run[index][1]
            index += 1
        out.append(decode_bytes(data, label))
    return "".join(out)


def _decode_raw(text: str, default_charset: str | None) -> str:
    """Plain header text; surrogate-escaped 8-bit bytes are decoded."""
    if not _SURROGATES.search(text):
        return text
    return decode_bytes(to_bytes(text), default_charset)


def to_bytes(text: str) -> bytes:
    """Text back to the octets it came from (surrogate escapes restored)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return _OTHER_SURROGATES.sub("\ufffd", text).encode("utf-8", "surrogateescape")
