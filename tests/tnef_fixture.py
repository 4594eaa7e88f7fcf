"""winmail.dat files written the way Outlook writes them, small enough to read.

TNEF (MS-OXTNEF): a signature, a key, then attributes. Each attribute is a level (1 the
message, 2 an attachment), a 32-bit id whose low word names it and whose high word gives its
type, the length of its data, the data, and a checksum (the data's bytes summed, mod 65536).
An attachment starts at its rendering attribute; the ones after it describe it, among them a
block of MAPI properties that carries the long (Unicode) file name. (tnefparse skips a last
attribute of 12 bytes or less, so a tiny one never ends the file here.)
"""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
LEVEL_MESSAGE = 1
LEVEL_ATTACHMENT = 2

# Attribute ids: type << 16 | name (MS-OXTNEF 2.1.3.2).
TNEF_VERSION = 0x0008_9006
OEM_CODEPAGE = 0x0006_9007
MESSAGE_CLASS = 0x0007_8008
BODY = 0x0002_800C
ATTACH_RENDERING = 0x0006_9002
ATTACH_TITLE = 0x0001_8010
ATTACH_DATA = 0x0006_800F
ATTACHMENT_PROPERTIES = 0x0006_9005

PT_UNICODE = 0x001F
PID_ATTACH_LONG_FILENAME = 0x3707


def attribute(level: int, attribute_id: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute_id, len(data)) + data + struct.pack("<H", checksum)


def unicode_property(property_id: int, text: str) -> bytes:
    """One MAPI string property: type, id, one value, its length, UTF-16 with a NUL, padded to 4."""
    value = (text + "\0").encode("utf-16-le")
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("<HHII", PT_UNICODE, property_id, 1, len(value)) + value + padding


def attachment(name: str, payload: bytes, codepage: str, long_name: bool = True) -> bytes:
    """One file; without ``long_name`` only the short title names it, as older Outlooks write."""
    rendering = struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0)  # a file, no position, no size, no flags
    attributes = [
        attribute(LEVEL_ATTACHMENT, ATTACH_RENDERING, rendering),
        attribute(LEVEL_ATTACHMENT, ATTACH_DATA, payload),
        # The short title is in the sender's code page; a name it cannot hold is a "?" there.
        attribute(LEVEL_ATTACHMENT, ATTACH_TITLE, name.encode(codepage, "replace") + b"\0"),
    ]
    if long_name:
        properties = struct.pack("<I", 1) + unicode_property(PID_ATTACH_LONG_FILENAME, name)
        attributes.append(attribute(LEVEL_ATTACHMENT, ATTACHMENT_PROPERTIES, properties))
    return b"".join(attributes)


def winmail_dat(files: dict[str, bytes] | None = None, body: str | None = None, codepage: int = 936,
                long_names: bool = True) -> bytes:
    """A TNEF blob carrying ``files`` (name to bytes) and, if given, a plain-text body."""
    python_codepage = f"cp{codepage}"
    parts = [
        struct.pack("<IH", SIGNATURE, 0x1234),
        attribute(LEVEL_MESSAGE, TNEF_VERSION, struct.pack("<I", 0x0001_0000)),
        attribute(LEVEL_MESSAGE, OEM_CODEPAGE, struct.pack("<II", codepage, 0)),
        attribute(LEVEL_MESSAGE, MESSAGE_CLASS, b"IPM.Microsoft Mail.Note\0"),
    ]
    if body is not None:
        parts.append(attribute(LEVEL_MESSAGE, BODY, body.encode(python_codepage) + b"\0"))
    parts += [attachment(name, payload, python_codepage, long_names) for name, payload in (files or {}).items()]
    return b"".join(parts)
