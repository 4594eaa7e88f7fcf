"""An attacker's suite, end to end through Dovecot and the SMTP sink: nobody can make maild mail a
third party, write into someone else's ticket, land a forged bounce on a thread, or flood it."""

from __future__ import annotations

import email
import json
from datetime import timedelta
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path
from typing import Iterator

import pytest

from maild.app import App
from maild.clock import FrozenClock
from maild.config import load_config
from maild.store.models import Ticket
from maild.testing.configs import local_config

from .mails import customer_mail, lead_mail, mail_with_attachment
from .test_cli import maild
from .tnef_fixture import winmail_dat
from .test_triage import TEAM, WEDNESDAY_0930, ticket

STRANGER = "mallory@evil.example"
VICTIM = "victim@elsewhere.example"
CUSTOMER = "alice@customer.example"


@pytest.fixture
def attacked(dovecot, smtp_sink, database_url, state_dir) -> Iterator[tuple[App, FrozenClock, Path]]:
    app, clock, config = helpdesk(dovecot, smtp_sink, database_url, state_dir)
    yield app, clock, config
    app.close()


def helpdesk(dovecot, smtp_sink, database_url, state_dir, **overrides) -> tuple[App, FrozenClock, Path]:
    config = state_dir / "maild.toml"
    config.write_text(local_config(dovecot, smtp_sink, database_url, state_dir, **TEAM, **overrides), encoding="utf-8")
    clock = FrozenClock(WEDNESDAY_0930)
    return App(load_config(config), clock), clock, config


def mails_to(sink, address: str) -> list:
    return [m.message for m in sink.messages if address in m.rcpt_tos]


def shown(config: Path, number: str) -> dict:
    return json.loads(maild(config, "show", number, "--json").stdout)


# -- reflection ---------------------------------------------------------------------------------

def test_a_reply_to_elsewhere_does_not_aim_the_acknowledgement_at_a_victim(attacked, dovecot, smtp_sink) -> None:
    app, _, _ = attacked
    dovecot.append(customer_mail(sender=STRANGER, headers={"Reply-To": VICTIM}))
    app.once()
    assert mails_to(smtp_sink, VICTIM) == []
    [ack] = mails_to(smtp_sink, STRANGER)
    assert ack["Subject"].startswith(f"[{ticket().number}]")


def test_a_reply_to_within_the_senders_domain_is_honoured(attacked, dovecot, smtp_sink) -> None:
    app, _, _ = attacked
    dovecot.append(customer_mail(headers={"Reply-To": "it-desk@customer.example"}))
    app.once()
    assert len(mails_to(smtp_sink, "it-desk@customer.example")) == 1 and mails_to(smtp_sink, CUSTOMER) == []


def test_the_acknowledgement_echoes_at_most_120_characters_of_the_subject_and_never_the_body(
        attacked, dovecot, smtp_sink) -> None:
    app, _, _ = attacked
    advert = "Cheap watches at http://spam.example/buy now " * 10
    dovecot.append(customer_mail(sender=STRANGER, subject=advert, body="BODY-MARKER visit http://spam.example/x"))
    app.once()
    [ack] = mails_to(smtp_sink, STRANGER)
    number = ticket().number
    echoed = ack["Subject"].removeprefix(f"[{number}] ")
    assert len(echoed) <= 120 and advert.startswith(echoed.removesuffix("…"))
    for part in ("plain", "html"):
        text = ack.get_body((part,)).get_content()
        assert "BODY-MARKER" not in text and advert[:200] not in text


def test_a_ticket_number_the_sender_wrote_is_not_echoed_beside_the_new_one(attacked, dovecot, smtp_sink) -> None:
    app, _, _ = attacked
    dovecot.append(customer_mail(sender=STRANGER, subject="[TS20261101001] your account is closed"))
    app.once()
    [ack] = mails_to(smtp_sink, STRANGER)
    assert ack["Subject"] == f"[{ticket().number}] your account is closed"


def test_a_flood_from_many_addresses_is_ticketed_but_answered_only_as_the_hour_allows(
        dovecot, smtp_sink, database_url, state_dir) -> None:
    app, clock, _ = helpdesk(dovecot, smtp_sink, database_url, state_dir, screen={"automatic_per_hour": 3})
    try:
        senders = [f"victim{n}@elsewhere{n}.example" for n in range(5)]
        for sender in senders:
            dovecot.append(customer_mail(sender=sender, subject="hello"))
        app.once()
        assert Ticket.select().count() == 5
        acknowledged = [s for s in senders if mails_to(smtp_sink, s)]
        assert len(acknowledged) == 3
        [told] = mails_to(smtp_sink, "zhoumin@example.com")  # the supervisor, once
        assert "more than 3" in told["Subject"]
        assert len(mails_to(smtp_sink, "zhao@example.com")) + len(mails_to(smtp_sink, "li@example.com")) == 5
        clock.advance(timedelta(minutes=59))
        app.once()
        assert len([s for s in senders if mails_to(smtp_sink, s)]) == 3
        clock.advance(timedelta(minutes=2))
        app.once()
        assert all(mails_to(smtp_sink, s) for s in senders)
        assert len(mails_to(smtp_sink, "zhoumin@example.com")) == 1
    finally:
        app.close()


# -- forgery into a thread ------------------------------------------------------------------------

def test_an_id_forged_in_our_format_opens_a_new_ticket(attacked, dovecot, smtp_sink, state_dir) -> None:
    app, _, config = attacked
    dovecot.append(customer_mail())
    app.once()
    number = ticket().number
    forged = f"<{number}.0123456789abcdef.0123456789abcdef01234567@example.com>"
    dovecot.append(customer_mail(sender=CUSTOMER, subject="more", in_reply_to=forged, body="FORGED-REPLY"))
    app.once()
    assert Ticket.select().count() == 2
    assert all("FORGED-REPLY" not in m["body"] for m in shown(config, number)["messages"])


def test_a_stranger_answering_a_real_id_of_ours_opens_a_ticket_of_their_own(attacked, dovecot, smtp_sink) -> None:
    app, _, config = attacked
    dovecot.append(customer_mail())
    app.once()
    number = ticket().number
    [ack] = mails_to(smtp_sink, CUSTOMER)
    dovecot.append(customer_mail(sender=STRANGER, subject="Re: x", in_reply_to=ack["Message-ID"], body="INTRUDER"))
    app.once()
    assert Ticket.select().count() == 2
    assert all("INTRUDER" not in m["body"] for m in shown(config, number)["messages"])
    other = Ticket.get(Ticket.number != number)
    assert any(e["kind"] == "tag-refused" and STRANGER in e["detail"] for e in shown(config, other.number)["events"])


def test_the_customer_answering_our_mail_joins_their_ticket(attacked, dovecot, smtp_sink) -> None:
    app, _, _ = attacked
    dovecot.append(customer_mail())
    app.once()
    [ack] = mails_to(smtp_sink, CUSTOMER)
    assert ack["Message-ID"].startswith(f"<{ticket().number}.")
    dovecot.append(customer_mail(subject="Re: x", in_reply_to=ack["Message-ID"]))
    app.once()
    assert Ticket.select().count() == 1


def bounce_of(our_mail, recipient: str, status: str = "5.1.1", text: str = "The mail system") -> bytes:
    """A delivery-status report (RFC 3464) from a mailer daemon about one of our mails."""
    returned = "".join(f"{name}: {our_mail[name]}\r\n" for name in ("From", "To", "Subject", "Message-ID"))
    return (f"From: MAILER-DAEMON@mx.elsewhere.example\r\nTo: support@example.com\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: {make_msgid(domain='mx.elsewhere.example')}\r\n"
            "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
            f"--b\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
            "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.elsewhere.example\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; 550 {status} user unknown\r\n\r\n"
            f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n{returned}\r\n--b--\r\n").encode()


def test_a_forged_bounce_quoting_no_id_of_ours_is_kept_on_no_ticket(attacked, dovecot, smtp_sink) -> None:
    app, _, config = attacked
    dovecot.append(customer_mail())
    app.once()
    [ack] = mails_to(smtp_sink, CUSTOMER)
    del ack["Message-ID"]
    ack["Message-ID"] = f"<{ticket().number}.0123456789abcdef.0123456789abcdef01234567@example.com>"
    dovecot.append(bounce_of(ack, CUSTOMER, text="WIRE-MONEY to account 123"))
    app.once()
    stored = json.loads(maild(config, "mails", "--json").stdout)
    [bounce] = [m for m in stored if m["screened"] == "bounce"]
    assert bounce["ticket"] is None
    assert maild(config, "suppressed", "--json").stdout.strip() == "[]"


def test_a_hard_bounce_is_a_delivery_failure_staff_see_and_the_address_is_suppressed(
        attacked, dovecot, smtp_sink) -> None:
    app, _, config = attacked
    dovecot.append(customer_mail(subject="cannot log in"))
    app.once()
    number, handler = ticket().number, ticket().assignee
    [ack] = mails_to(smtp_sink, CUSTOMER)
    dovecot.append(bounce_of(ack, CUSTOMER, text="WIRE-MONEY to account 123"))
    app.once()
    trail = shown(config, number)
    assert all("WIRE-MONEY" not in m["body"] for m in trail["messages"])
    [bounce] = [e for e in trail["events"] if e["kind"] == "bounce"]
    assert "alice@customer.example: not delivered (5.1.1" in bounce["detail"]
    outbox = json.loads(maild(config, "outbox", "--json").stdout)
    assert [(o["kind"], o["status"]) for o in outbox] == [("ack", "bounced")]
    [listed] = json.loads(maild(config, "suppressed", "--json").stdout)
    assert (listed["address"], listed["status"], listed["ticket"]) == (CUSTOMER, "5.1.1", number)
    [told] = [m for m in mails_to(smtp_sink, handler) if "could not be delivered" in m.get_body(("plain",)).get_content()]
    assert told["Subject"] == f"[{number}] cannot log in"


def test_a_suppressed_address_gets_a_ticket_but_no_automatic_mail_until_lifted(attacked, dovecot, smtp_sink) -> None:
    app, _, config = attacked
    dovecot.append(customer_mail(subject="cannot log in"))
    app.once()
    [ack] = mails_to(smtp_sink, CUSTOMER)
    dovecot.append(bounce_of(ack, CUSTOMER))
    app.once()
    smtp_sink.clear()
    dovecot.append(customer_mail(subject="hello again"))
    app.once()
    assert Ticket.select().count() == 2 and mails_to(smtp_sink, CUSTOMER) == []
    outbox = json.loads(maild(config, "outbox", "--json").stdout)
    assert [o["status"] for o in outbox if o["kind"] == "ack"] == ["bounced", "suppressed"]
    assert maild(config, "unsuppress", CUSTOMER).returncode == 0
    assert maild(config, "suppressed", "--json").stdout.strip() == "[]"
    assert maild(config, "unsuppress", CUSTOMER).returncode == 1
    dovecot.append(customer_mail(subject="third time"))
    app.once()
    assert len(mails_to(smtp_sink, CUSTOMER)) == 1


def test_a_soft_bounce_is_shown_but_suppresses_nothing(attacked, dovecot, smtp_sink) -> None:
    app, _, config = attacked
    dovecot.append(customer_mail())
    app.once()
    [ack] = mails_to(smtp_sink, CUSTOMER)
    dovecot.append(bounce_of(ack, CUSTOMER, status="4.2.2"))
    app.once()
    assert any(e["kind"] == "bounce" for e in shown(config, ticket().number)["events"])
    assert maild(config, "suppressed", "--json").stdout.strip() == "[]"


# -- size ---------------------------------------------------------------------------------------------

def test_a_30_mb_mail_is_ticketed_by_its_text_and_the_sender_told_the_limit(attacked, dovecot, smtp_sink) -> None:
    app, _, config = attacked
    dovecot.append(mail_with_attachment(b"\x00" * (30 * 1024 * 1024), "application", "octet-stream", "disk.img",
                                        subject="the disk image", body="Here is the image of the broken disk."))
    app.once()
    number = ticket().number
    trail = shown(config, number)
    [message] = [m for m in trail["messages"] if m["direction"] == "in"]
    assert "image of the broken disk" in message["body"] and message["attachments"] == []
    assert any(e["kind"] == "too-large" for e in trail["events"])
    told = [m for m in mails_to(smtp_sink, CUSTOMER) if "25 MB" in m.get_body(("plain",)).get_content()]
    assert len(told) == 1
    [stored] = json.loads(maild(config, "mails", "--json").stdout)
    assert stored["size"] > 30 * 1024 * 1024  # kept whole


def test_an_engineers_answer_follows_the_reply_to_as_a_mail_client_would(attacked, dovecot, smtp_sink) -> None:
    app, _, _ = attacked
    dovecot.append(customer_mail(sender=STRANGER, headers={"Reply-To": VICTIM}))
    app.once()
    opened = ticket()
    dovecot.append(customer_mail(sender=opened.assignee, subject=f"Re: [{opened.number}] x",
                                 body="We have looked into it: please try again now."))
    app.once()
    [answer] = mails_to(smtp_sink, VICTIM)
    assert "please try again now" in answer.get_body(("plain",)).get_content()


# -- shapes: TNEF and HTML ------------------------------------------------------------------------

def test_an_outlook_winmail_dat_reaches_the_ticket_as_its_real_files(attacked, dovecot, smtp_sink) -> None:
    app, _, config = attacked
    dovecot.append(mail_with_attachment(winmail_dat({"报价单.pdf": b"%PDF-1.4 quotation"}), "application", "ms-tnef",
                                        "winmail.dat", subject="quotation"))
    app.once()
    [message] = [m for m in shown(config, ticket().number)["messages"] if m["direction"] == "in"]
    assert [(a["filename"], a["content_type"]) for a in message["attachments"]] == [("报价单.pdf", "application/pdf")]
    assert Path(config.parent / "attachments" / message["attachments"][0]["path"]).read_bytes() == \
        b"%PDF-1.4 quotation"


HOSTILE_HTML = ('<p>Please <b>help</b>: the portal is down.</p><script>steal(document.cookie)</script>'
                '<img src="cid:x.png" onerror="steal(1)"><a href="javascript:steal(2)">here</a>'
                '<iframe src="https://evil.example/"></iframe><form action="https://evil.example/"><input></form>')
ACTIVE = ("<script", "steal(", "onerror", "javascript:", "<iframe", "<form")


def html_mail(sender: str = CUSTOMER) -> bytes:
    """An HTML-only mail, as web forms and some clients send: staff see its HTML, sanitised."""
    message = email.message_from_bytes(customer_mail(sender=sender, subject="portal down"), policy=SMTP)
    message.set_content(HOSTILE_HTML, subtype="html")
    return message.as_bytes()


def test_html_with_scripts_and_handlers_reaches_staff_sanitised(attacked, dovecot, smtp_sink) -> None:
    app, _, _ = attacked
    dovecot.append(html_mail())
    app.once()
    [notice] = mails_to(smtp_sink, ticket().assignee)
    shown_html = notice.get_body(("html",)).get_content()
    assert "<b>help</b>" in shown_html
    assert not any(active in shown_html for active in ACTIVE)


def test_the_archived_thread_shows_html_only_sanitised(attacked, dovecot, smtp_sink, state_dir) -> None:
    app, clock, _ = attacked
    dovecot.append(html_mail())
    app.once()
    number = ticket().number
    dovecot.append(lead_mail(number, "#resolve\n根因：portal\n解决方案：restarted"))
    app.once()
    clock.advance(timedelta(days=7))
    app.once()
    [page] = list((state_dir / "archive").rglob("thread.html"))
    text = page.read_text(encoding="utf-8")
    assert "<b>help</b>" in text and not any(active in text for active in ACTIVE)
