"""Attachment filenames made safe to store, whatever the sender declared."""

from __future__ import annotations

import re
import unicodedata

_MAX_NAME_BYTES = 200  # NAME_MAX is 255 bytes; leave room for de-duplication suffixes
_MAX_EXTENSION = 16
_INVISIBLE = ("Cc", "Cf", "Cs")  # controls, format characters (bidi overrides, zero-width), surrogates
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
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
    cleaned = "".join(ch for ch in (name or "") if unicodedata.category(ch) not in _INVISIBLE)
    cleaned = cleaned.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _WINDOWS_FORBIDDEN.sub("_", " ".join(cleaned.split())).strip(". ")
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
