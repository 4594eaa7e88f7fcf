"""Decoding bytes whose charset label may be wrong; never raises.

Labels are mapped to codecs by charset_labels; here the data gets the
last word: "us-ascii" or unlabelled parts often carry 8-bit UTF-8 or GBK,
and a declared codec that rejects the data usually has a superset that
accepts it.  A label no codec answers to ("x-foo") is a guess: valid UTF-8,
else charset-normalizer's, else the unlabelled heuristics.  Everything here
is pure: bytes and labels in, text out, and no LookupError or
UnicodeDecodeError ever escapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .charset_labels import lookup_codec, unknown_label

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

# charset-normalizer judges by how the decoded text reads; with fewer 8-bit
# bytes than this it guesses wrong more often than the heuristics below (on
# the shared corpus: GBK signatures read as Big5 or cp1250, umlauts as Big5).
_GUESS_MIN_HIGH_BYTES = 32
# The charsets mail is written in; left to itself charset-normalizer also
# weighs EBCDIC, DOS and Mac code pages, and picks them on short text.
# UTF-8 is not among them: valid UTF-8 is taken before it is asked.
_MAIL_CHARSETS = [
    "gb18030", "big5hkscs", "cp932", "euc_jp", "cp949",
    "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_15", "koi8_r", "koi8_u", "cp874",
]

_HIGH_BYTES = bytes(range(0x80, 0x100))
_DOUBLE_BYTE = re.compile(rb"[\x81-\xfe][\x40-\x7e\x80-\xfe]")
_JIS_ESCAPE = re.compile(rb"\x1b\$[@B]")
_JIS_SEGMENTS = re.compile(rb"\x1b(\$[@B]|\([BJI])")
_OTHER_SURROGATES = re.compile(r"[\ud800-\udc7f\udd00-\udfff]")


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
    unknown = unknown_label(label)
    if unknown and not data.isascii():
        return _guessed(data, label)
    note = f"unknown charset {label!r}" if unknown else None
    codec = _jis_if_escaped(data, lookup_codec(label))
    if codec and codec.startswith(_NOT_ASCII_SUPERSET):
        text = _seven_bit(data, codec)
        if text is not None:
            return text, note
    if data.isascii():
        return data.decode("ascii"), note
    decoded = _first_strict(data, _candidates(codec, data))
    if decoded is not None:
        text, used = decoded
        return text, _mismatch_note(note, label, codec, used)
    return _least_damaged(data, codec, label)


def to_bytes(text: str) -> bytes:
    """Text back to the octets it came from (surrogate escapes restored)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return _OTHER_SURROGATES.sub("\ufffd", text).encode("utf-8", "surrogateescape")


def _guessed(data: bytes, label: str | None) -> tuple[str, str]:
    """8-bit data under a label no codec answers to: the charset guessed, and the note says which.

    Valid UTF-8 first (charset-normalizer itself reads short UTF-8 as cp949
    or cp1125 now and then), then charset-normalizer, then what unlabelled
    data gets.
    """
    said = f"unknown charset {label!r}"
    text = _strict(data, "utf-8")
    if text is not None:
        return text, f"{said}: guessed utf-8 (valid UTF-8)"
    guess = _normaliser_guess(data)
    if guess is not None:
        text, codec = guess
        return text, f"{said}: guessed {codec} (charset-normalizer)"
    if _plausibly_chinese(data):
        text = _strict(data, "gb18030")
        if text is not None:
            return text, f"{said}: guessed gb18030 (heuristic)"
    return _least_damaged(data, None, label)


def _normaliser_guess(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's text and codec, when there is enough 8-bit text to judge by."""
    if _high_byte_count(data) < _GUESS_MIN_HIGH_BYTES:
        return None
    # Imported here: only mail with an unknown label needs it, and it costs ~20 ms to load.
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(data, cp_isolation=_MAIL_CHARSETS).best()
    except Exception:  # noqa: BLE001 - a failed guess leaves the heuristics
        return None
    if best is None:
        return None
    # It samples a large payload; the whole of it must decode too.
    text = _strict(data, best.encoding)
    return None if text is None else (text, best.encoding)


def _high_byte_count(data: bytes) -> int:
    return len(data) - len(data.translate(None, _HIGH_BYTES))


def _jis_if_escaped(data: bytes, codec: str | None) -> str | None:
    """Unlabelled or "us-ascii" 7-bit data with JIS escapes is ISO-2022-JP."""
    if codec in (None, "utf-8") and data.isascii() and _JIS_ESCAPE.search(data):
        return "iso2022_jp"
    return codec


def _seven_bit(data: bytes, codec: str) -> str | None:
    """Stateful/wide codecs, whose bytes are not ASCII-compatible."""
    decoded = _first_strict(data, (codec, *_SUPERSETS.get(codec, ())))
    if decoded is not None:
        return decoded[0]
    if codec.startswith("iso2022_jp") and data.isascii():
        return _jis_via_cp932(data)
    return None


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


def _first_strict(data: bytes, codecs: Iterable[str]) -> tuple[str, str] | None:
    """The text and codec of the first codec that decodes the data cleanly."""
    for codec in codecs:
        text = _strict(data, codec)
        if text is not None:
            return text, codec
    return None


def _strict(data: bytes, codec: str) -> str | None:
    """Decode or return None; a BOM is dropped for UTF-8."""
    try:
        return data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except (UnicodeError, LookupError):
        return None


def _mismatch_note(note: str | None, label: str | None, codec: str | None, used: str) -> str | None:
    """Say so when the bytes were not in the declared charset."""
    # Latin-1 is what windows-1252's five gaps fall back to: not a mismatch.
    if note or codec in (None, used) or (codec, used) == ("cp1252", "iso8859-1"):
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
    best_name, best = _fewest_replacements(data, names)
    high_bytes = _high_byte_count(data)
    described = repr(label) if label else "(none declared)"
    if best.count("\ufffd") * 4 > high_bytes:
        return _western(data), f"charset {described} undecodable; shown as windows-1252"
    return best, f"charset {described}: undecodable bytes replaced ({best_name})"


def _fewest_replacements(data: bytes, names: list[str]) -> tuple[str, str]:
    """The codec, and its text, that needs the fewest U+FFFD (first on ties)."""
    return min(
        ((name, data.decode(name, "replace")) for name in dict.fromkeys(names)),
        key=lambda pair: pair[1].count("\ufffd"),
    )


def _western(data: bytes) -> str:
    """windows-1252 (what "Latin-1" mail really is), Latin-1 for its 5 gaps."""
    return _strict(data, "cp1252") or data.decode("latin-1")
