"""A staff From counts only when the own server vouches for it (RFC 8601), once that is asked for."""

from __future__ import annotations

from maild.rules.authenticity import verified


def test_without_an_authserv_id_every_staff_from_counts() -> None:
    assert verified((), "")


def test_a_pass_from_the_own_server_counts() -> None:
    assert verified(("mx.example.com; dkim=pass header.d=example.com",), "mx.example.com")
    assert verified(("mx.example.com 1; spf=pass smtp.mailfrom=example.com",), "mx.example.com")


def test_a_fail_or_another_servers_pass_does_not() -> None:
    assert not verified(("mx.example.com; dkim=fail; spf=softfail",), "mx.example.com")
    assert not verified(("evil.example; dkim=pass",), "mx.example.com")
    assert not verified((), "mx.example.com")
    assert not verified(("mx.example.com; dmarc=pass; dkim=none",), "mx.example.com")
