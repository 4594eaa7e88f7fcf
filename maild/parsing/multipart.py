"""A multipart mail split at its boundaries, as the stdlib's feed parser would split it.

The feed parser reads every line of every part to look for the next boundary: for a mail with
an attachment that is tens of thousands of lines, each a Python string, later joined again.
Here a boundary is found with one byte search, each part's header block still goes through the
stdlib parser, and a leaf part's body is set as the bytes between its header block and the next
boundary. Only the plain shape is taken: any mail the feed parser would see a defect in, or
would read differently (an enclosed message, a digest, two boundary lines in a row, a missing
first or closing boundary), returns None and takes the full parse.
The test suite checks on the whole corpus that both give the same ParsedMail.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy

# Line ends as the parser reads them: CRLF, or a lone CR or LF.
_EOL = rb"(?:\r\n|\r(?!\n)|\n)"
_HEADER_END = re.compile(_EOL + _EOL)  # a line end, then an empty line
_EMPTY_FIRST_LINE = re.compile(_EOL)
RAW_BODY = "maild_raw_body"  # a leaf part's body bytes, kept beside its text payload: see payloads
_BOUNDARY_TAIL = re.compile(rb"(--)?[ \t]*(?:\r\n|\r|\n|\Z)")  # after "--boundary": RFC 2046 §5.1.1


def parse_multipart(data: bytes, policy: Policy) -> Message | None:
    """The message tree of a multipart mail, or None when it must take the full parse."""
    parser = BytesParser(policy=policy)
    top = _part(parser, memoryview(data), 0, len(data))
    return top if top is not None and top.is_multipart() else None


def _part(parser: BytesParser, data: memoryview, start: int, end: int) -> Message | None:
    """The part held by data[start:end], its line end before the next boundary included."""
    header_end = _header_end(data, start, end)
    if header_end is None:
        return None
    msg = parser.parsebytes(bytes(data[start:header_end]), headersonly=True)
    if msg.defects or msg.get_payload():
        return None
    maintype = msg.get_content_maintype()
    if maintype == "multipart":
        return msg if _split(parser, msg, data, header_end, end) else None
    if maintype == "message" or msg.get_default_type() != "text/plain":
        return None  # the parser reads an enclosed message as parts of its own
    body = _body(data, header_end, end)
    msg.set_payload(_decode(body))
    setattr(msg, RAW_BODY, body)
    return msg


def _split(parser: BytesParser, msg: Message, data: memoryview, start: int, end: int) -> bool:
    """Fill the multipart `msg` from data[start:end]; False where the feed parser would differ."""
    boundary = msg.get_boundary()
    encoding = str(msg.get("content-transfer-encoding", "8bit")).lower()
    if not boundary or encoding not in ("7bit", "8bit", "binary") or msg.get_content_subtype() == "digest":
        return False
    try:
        separator = b"--" + boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return False
    lines = _boundary_lines(data, separator, start, end)
    if len(lines) < 2 or lines[0][2] or not lines[-1][2] or any(close for _, _, close in lines[:-1]):
        return False
    msg.set_payload(None)
    if lines[0][0] > start:
        msg.preamble = _decode(_body(data, start, lines[0][0]))
    for (_, body_start, _), (next_line, _, _) in zip(lines, lines[1:]):
        if body_start == next_line:
            return False  # two boundary lines in a row: the parser skips the empty part
        part = _part(parser, data, body_start, next_line)
        if part is None:
            return False
        if part.is_multipart():  # the line end before the boundary is not its epilogue's
            part.epilogue = _without_line_end(part.epilogue) if part.epilogue else None
        msg.attach(part)
    msg.epilogue = _decode(data[lines[-1][1]:end])
    return True


def _boundary_lines(data: memoryview, separator: bytes, start: int, end: int) -> list[tuple[int, int, bool]]:
    """Each line of data[start:end] that is a boundary line: where it starts, where the text
    after it starts, and whether it is the closing one. Stops after the closing one."""
    found: list[tuple[int, int, bool]] = []
    raw = data.obj
    at = start
    while (at := raw.find(separator, at, end)) != -1:
        tail = _BOUNDARY_TAIL.match(raw, at + len(separator), end) if at == start or raw[at - 1] in b"\r\n" else None
        if tail is None:
            at += len(separator)
            continue
        found.append((at, tail.end(), bool(tail.group(1))))
        if tail.group(1):
            break
        at = tail.end()
    return found


def _header_end(data: memoryview, start: int, end: int) -> int | None:
    """Just past the blank line that ends the header block; a part without headers starts with it."""
    raw = data.obj
    if empty := _EMPTY_FIRST_LINE.match(raw, start, end):
        return empty.end()
    found = _HEADER_END.search(raw, start, end)
    return found.end() if found else None


def _body(data: memoryview, start: int, end: int) -> memoryview:
    """A body as the parser keeps it, without the line end that belongs to the next boundary
    (cut from the bytes, so a large body is decoded once and never copied again)."""
    raw = data.obj
    if raw.endswith(b"\r\n", start, end):
        end -= 2
    elif raw.endswith((b"\r", b"\n"), start, end):
        end -= 1
    return data[start:end]


def _without_line_end(text: str) -> str:
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith(("\r", "\n")) else text


def _decode(data: memoryview) -> str:
    return str(data, "ascii", "surrogateescape")
