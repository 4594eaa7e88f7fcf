"""Our Message-IDs carry a signature bound to their ticket: `<TS….nonce.mac@domain>`.

A reply threads on one of our ids only when its signature verifies, so an id seen in a forwarded
mail, guessed, or made up in our format leads nowhere but to what the subject tag allows. Mail
about no ticket (staff notices) is signed for "maild".
"""

from __future__ import annotations

import hashlib
import hmac
import re

NO_TICKET = "maild"
SIGNED = re.compile(r"(TS\d{11,12}|maild)\.([0-9a-f]{16})\.([0-9a-f]{24})@", re.IGNORECASE)


def signed_message_id(number: str | None, nonce: str, key: bytes, domain: str) -> str:
    """A normalised Message-ID (no angle brackets); `nonce`: 16 random hex digits."""
    tag = number or NO_TICKET
    return f"{tag}.{nonce}.{_mac(tag, nonce, key)}@{domain}"


def signed_ticket(message_id: str, key: bytes) -> str | None:
    """The ticket number an id of ours was signed for ("" for mail about no ticket); None when
    the id is not ours or its signature does not verify."""
    found = SIGNED.match(message_id)
    if found is None:
        return None
    tag = found[1].upper() if found[1][:2].upper() == "TS" else NO_TICKET
    nonce, mac = found[2].lower(), found[3].lower()
    if not hmac.compare_digest(mac, _mac(tag, nonce, key)):
        return None
    return "" if tag == NO_TICKET else tag


def signed_ids(message_ids: tuple[str, ...], key: bytes) -> tuple[str, ...]:
    """Those of the ids that are ours, signature verified."""
    return tuple(mid for mid in message_ids if signed_ticket(mid, key) is not None)


def _mac(tag: str, nonce: str, key: bytes) -> str:
    return hmac.new(key, f"message-id:{tag}.{nonce}".encode("ascii"), hashlib.sha256).hexdigest()[:24]
