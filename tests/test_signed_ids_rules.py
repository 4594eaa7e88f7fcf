"""Our Message-IDs are signed for their ticket (rules/signed_ids): only we can make one that verifies."""

from __future__ import annotations

from maild.rules.signed_ids import signed_ids, signed_message_id, signed_ticket

KEY = b"0123456789abcdef0123456789abcdef"
NONCE = "00112233aabbccdd"


def test_our_id_names_its_ticket_and_verifies() -> None:
    message_id = signed_message_id("TS20261125001", NONCE, KEY, "example.com")
    assert message_id.startswith("TS20261125001.00112233aabbccdd.") and message_id.endswith("@example.com")
    assert signed_ticket(message_id, KEY) == "TS20261125001"


def test_mail_about_no_ticket_is_signed_too() -> None:
    message_id = signed_message_id(None, NONCE, KEY, "example.com")
    assert message_id.startswith("maild.") and signed_ticket(message_id, KEY) == ""


def test_a_changed_ticket_number_breaks_the_signature() -> None:
    message_id = signed_message_id("TS20261125001", NONCE, KEY, "example.com")
    assert signed_ticket(message_id.replace("TS20261125001", "TS20261125002"), KEY) is None


def test_another_key_does_not_verify() -> None:
    assert signed_ticket(signed_message_id("TS20261125001", NONCE, b"y" * 32, "example.com"), KEY) is None


def test_a_mail_client_changing_the_case_does_not_matter() -> None:
    message_id = signed_message_id("TS20261125001", NONCE, KEY, "example.com")
    assert signed_ticket(message_id.upper(), KEY) == "TS20261125001"


def test_other_peoples_ids_are_not_ours() -> None:
    ours = signed_message_id("TS20261125001", NONCE, KEY, "example.com")
    assert signed_ids(("CAF=abc@mail.gmail.com", ours, "maild.0123@example.com"), KEY) == (ours,)
