"""Address headers to Address values: mail-parser first, the stdlib second.

mail-parser's ``get_addresses`` parses structurally and reports defects; it
refuses to turn a display name that looks like an address into the mailbox.
The stdlib's ``getaddresses`` is the fallback when it finds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from mailparser.utils import get_addresses

from .header_decoding import decode_header_value, decode_header_value_8bit
from .message_ids import ANGLE_BRACKETS, angle_content, unfold


@dataclass(frozen=True)
class Address:
    address: str  # as written, e.g. "Zhang.San@Example.com"; "" if unparseable
    name: str  # decoded display name, "" if none

    @property
    def key(self) -> str:
        """Lower-cased address, for comparison."""
        return self.address.lower()


def read_sender(msg: Message, hint: str | None, defects: list[str]) -> Address | None:
    """The From mailbox; with no address in it, at least its readable name."""
    raw = msg.get("from")
    if raw is None:
        defects.append("missing From")
        return None
    found = _addresses(raw, "from", hint, defects)
    if found:
        return found[0]
    # "MAILER-DAEMON <>", "Mail System": keep what a person would read.
    return Address("", _tidy_name(ANGLE_BRACKETS.sub("", decode_header_value(raw, hint))))


def read_address_list(msg: Message, name: str, hint: str | None, defects: list[str]) -> tuple[Address, ...]:
    """The mailboxes of every occurrence of an address header, in order."""
    values = msg.get_all(name) or []
    return tuple(address for value in values for address in _addresses(value, name, hint, defects))


def read_return_path(raw: str | None) -> str | None:
    """The Return-Path address; "" for the null reverse-path "<>"."""
    if raw is None:
        return None
    return angle_content(decode_header_value(raw))


def _addresses(raw: str, header: str, hint: str | None, defects: list[str]) -> list[Address]:
    """Mailboxes of one address header value.

    8-bit text is decoded first (mail-parser rejects it), encoded words are
    decoded only in the display names mail-parser returns, so a decoded
    comma or angle bracket cannot split or forge an address.
    """
    text = unfold(decode_header_value_8bit(raw, hint))
    if not text.strip():
        return []
    reported = len(defects)
    pairs = _simple_pair(text) or _mailparser_pairs(text, header, defects) or _stdlib_pairs(text)
    # An empty group ("undisclosed-recipients:;") or "<>" is no address by design.
    if not pairs and len(defects) == reported and not text.strip().endswith(("<>", ":;")):
        defects.append(f"{header}: no address in {text.strip()[:120]!r}")
    return [Address(addr, _display_name(name, addr, hint)) for name, addr in pairs]


# One mailbox in the plain forms nearly every client writes — `addr`, `<addr>`, `Name <addr>`,
# `"Name" <addr>` — with an ASCII dot-atom address and a name free of RFC 5322 specials. These
# mean one thing only, so they skip mail-parser's general scanner (a sixth of parsing a mail).
_ADDR = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_WORD = r'[^\s()<>\[\]:;@\\,."]+'  # a name's words: no RFC 5322 specials, no white space
_SIMPLE = re.compile(rf'(?:"(?P<quoted>[^"\\@]*)"|(?P<name>{_WORD}(?: {_WORD})*))? ?<(?P<bracketed>{_ADDR})>'
                     rf'|(?P<bare>{_ADDR})')
_SIMPLE_LONGEST = 320  # anything longer is no plain form, and the general scanner takes it


def _simple_pair(text: str) -> list[tuple[str, str]]:
    text = " ".join(text.split())  # one space between words: the pattern can match only one way
    found = _SIMPLE.fullmatch(text) if len(text) <= _SIMPLE_LONGEST else None
    if found is None:
        return []
    if found["bare"]:
        return [("", found["bare"])]
    name = found["quoted"] if found["quoted"] is not None else found["name"] or ""
    return [(name.strip(), found["bracketed"])]


def _mailparser_pairs(text: str, header: str, defects: list[str]) -> list[tuple[str, str]]:
    diagnostics: list[dict[str, object]] = []
    try:
        pairs = get_addresses(text, defects=diagnostics)
    except Exception:  # noqa: BLE001 - third-party code on hostile input
        return []
    for item in diagnostics:
        defects.append(f"{header}: {item.get('reason')} in {str(item.get('raw'))[:120]!r}")
    return [(name, addr) for name, addr in pairs if addr]


def _stdlib_pairs(text: str) -> list[tuple[str, str]]:
    return [(name, addr) for name, addr in getaddresses([text]) if "@" in addr]


def _display_name(name: str, address: str, hint: str | None) -> str:
    """The decoded name; "" when it only repeats the address."""
    decoded = _tidy_name(decode_header_value(name, hint))
    return "" if decoded == address else decoded


def _tidy_name(text: str) -> str:
    """Whitespace collapsed, surrounding quotes dropped."""
    return " ".join(text.split()).strip("\"' ")
