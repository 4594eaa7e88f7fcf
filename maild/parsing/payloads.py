"""Part bodies as bytes: transfer encodings undone, attached messages re-serialised.

The stored payload is decoded here with ``binascii`` rather than through
get_payload(decode=True): the reasons, and what they save on large
attachments, are given at each function and in mail.py.
"""

from __future__ import annotations

import binascii
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO

from .charsets import to_bytes
from .header_decoding import decode_base64
from .mime_tree import VERBATIM, main_value
from .multipart import RAW_BODY

_UUENCODE = ("x-uuencode", "uuencode", "uue", "x-uue")


def payload_bytes(part: Message) -> bytes:
    """The part's body with the transfer encoding undone.

    Reads the stored payload directly: get_payload() without decode=True
    already applies the declared charset (with replacement), and with it
    compares the unstripped Content-Transfer-Encoding and re-joins every
    base64 line before decoding.
    """
    payload = getattr(part, "_payload", None)
    if not isinstance(payload, str):
        return b""
    data = getattr(part, RAW_BODY, None) or to_bytes(payload)  # the same bytes, without a copy
    encoding = main_value(part, "content-transfer-encoding")
    if encoding == "base64":
        return _base64(data, payload)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if encoding in _UUENCODE:
        return _stdlib_decoded(part) or bytes(data)
    return bytes(data)


def attachment_bytes(part: Message) -> bytes:
    """Leaf payload bytes; attached messages are serialised again.

    compat32 has already parsed message/rfc822 and message/delivery-status
    bodies into sub-messages, so their bytes are regenerated (header values
    stay byte-exact, line endings become "\\n").
    """
    if not part.is_multipart():
        return payload_bytes(part)
    buffer = BytesIO()
    try:
        generator = BytesGenerator(buffer, mangle_from_=False, policy=VERBATIM)
        for sub in part.get_payload():
            generator.flatten(sub)
    except Exception:  # noqa: BLE001 - fall back to the text form
        return to_bytes(str(part.get_payload(0)))
    return buffer.getvalue()


def _base64(data: bytes, payload: str) -> bytes:
    # binascii skips line breaks itself: no split-and-join copy of 10 MB.
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return decode_base64(payload)


def _stdlib_decoded(part: Message) -> bytes | None:
    try:
        decoded = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - malformed uuencode
        return None
    return decoded if isinstance(decoded, bytes) else None
