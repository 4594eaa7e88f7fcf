"""A mail over processing.max_mail_bytes: read for its headers and text, its attachments left packed.

The whole mail stays stored; parsing 30 MB of attachments would cost the memory of several copies
for files maild will not keep. Text comes before attachments in every mail client's layout, so
the first megabytes hold it (a text part longer than that is kept as far as it goes).
"""

from __future__ import annotations

import dataclasses

from .mail import ParsedMail, parse_mail

READ_BYTES = 2 * 1024 * 1024


def parse_within(raw: bytes, max_bytes: int) -> ParsedMail:
    """The mail parsed whole, or over `max_bytes` (processing.max_mail_bytes) as parse_large_mail."""
    return parse_large_mail(raw) if len(raw) > max_bytes else parse_mail(raw)


def parse_large_mail(raw: bytes) -> ParsedMail:
    """Headers and text of the first READ_BYTES; no attachments; a defect that says so."""
    mail = parse_mail(raw[:READ_BYTES])
    note = (f"{len(raw)} bytes, over processing.max_mail_bytes: headers and text read from the first "
            f"{READ_BYTES} bytes, attachments not unpacked")
    return dataclasses.replace(mail, attachments=(), defects=(*mail.defects, note))
