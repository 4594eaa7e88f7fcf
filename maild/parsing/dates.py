"""The Date header as an aware datetime, as leniently as mail needs."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from mailparser.dates import parse_mail_date

from .header_decoding import decode_header_value


def parse_date(raw: str | None, defects: list[str]) -> datetime | None:
    """An aware datetime; the stdlib's lenient reader first, mail-parser's next."""
    if raw is None:
        return None
    text = decode_header_value(raw).strip()
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
