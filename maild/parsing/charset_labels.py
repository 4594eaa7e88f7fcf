"""Charset labels, as mail writes them, to the Python codec that reads the data.

Real mail lies about its charset.  Text labelled GB2312 is usually GBK or
GB18030 (Outlook and Foxmail write the narrow label for the wide encoding),
labels such as ``X-GBK`` or ``iso-gb2312`` are unknown to Python, and others
(``ks_c_5601-1987``) name a narrower codec than the sender used.  The table
below maps every such label to the widest codec that explains the data.
"""

from __future__ import annotations

import codecs
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

_LABEL_JUNK = " \t\r\n\"';"


def codec_for(label: str | None) -> str:
    """A Python codec name that exists for any label (UTF-8 when unknown)."""
    return lookup_codec(label) or "utf-8"


def unknown_label(label: str | None) -> bool:
    """Whether a label names something, but no codec that can be used."""
    return bool(label and label.strip(_LABEL_JUNK)) and lookup_codec(label) is None


@lru_cache(maxsize=256)
def lookup_codec(label: str | None) -> str | None:
    """The codec for a label, or None when it is missing or unknown."""
    if not label:
        return None
    for candidate in _spellings(_normalise_label(label)):
        codec = _ALIASES.get(candidate) or _python_codec(candidate)
        if codec:
            return codec
    return None


def _normalise_label(label: str) -> str:
    """Lower-case a label and drop quoting and an RFC 2231 ``*lang`` suffix."""
    return label.strip(_LABEL_JUNK).split("*", 1)[0].strip(_LABEL_JUNK).lower()


def _spellings(name: str) -> list[str]:
    """The label as written, then as it was before a known mangling."""
    spellings = [name]
    if name.startswith("3d"):
        # "charset=3Dutf-8": a quoted-printable encoder mangled the header.
        spellings.append(name[2:])
    if name.startswith("x-"):
        spellings.append(name[2:])
    return spellings


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
