"""What an admin sees of single mails: `maild mails`, `maild mail` and the dry run `maild replay`."""

from __future__ import annotations

import json
from pathlib import Path

from maild.testing.configs import local_config

from .mails import customer_mail
from .test_cli import maild


def mails_json(config_file: Path, *options: str) -> list[dict]:
    return json.loads(maild(config_file, "mails", "--json", *options).stdout)


def trace(config_file: Path, reference: str) -> dict:
    result = maild(config_file, "mail", reference, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_mails_lists_each_stored_mail_with_its_fate(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(subject="Printer offline"))
    dovecot.append(customer_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    maild(config_file, "once")
    [ack] = smtp_sink.messages
    dovecot.append(customer_mail(subject="Re: Printer offline", in_reply_to=ack.message["Message-ID"]))
    maild(config_file, "once")
    listed = mails_json(config_file)
    number = listed[0]["ticket"]
    assert [(m["subject"], m["fate"]) for m in listed] == [
        ("Printer offline", f"new ticket {number}"),
        ("Out of office", "screened: auto-reply"),
        ("Re: Printer offline", f"joined {number}"),
    ]
    assert [m["subject"] for m in mails_json(config_file, "--screened")] == ["Out of office"]
    assert mails_json(config_file, "--quarantined") == []
    assert "Out of office" in maild(config_file, "mails").stdout


def test_mails_limit_shows_the_latest(config_file, dovecot, smtp_sink) -> None:
    for n in range(3):
        dovecot.append(customer_mail(subject=f"Question {n}", sender=f"c{n}@customer.example"))
    maild(config_file, "once")
    assert [m["subject"] for m in mails_json(config_file, "--limit", "2")] == ["Question 1", "Question 2"]


def test_mail_traces_an_acknowledged_mail_rule_by_rule(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(message_id="<question@customer.example>"))
    maild(config_file, "once")
    t = trace(config_file, "question@customer.example")
    assert t["parsed"]["from"] == {"address": "alice@customer.example", "name": "Alice Smith"}
    assert t["parsed"]["language"] == "en" and t["parsed"]["defects"] == []
    assert not any(rule["matched"] for rule in t["screening"]["rules"])
    assert t["screening"]["screened"] is None
    assert t["correlation"]["via"] == "new"
    assert t["decision"]["opens_ticket"] and t["mail"]["fate"] == f"new ticket {t['mail']['ticket']}"
    assert [a["action"] for a in t["decision"]["actions"]][0] == "OpenTicket"
    [article] = t["produced"]["articles"]
    [ack] = t["produced"]["outbox"]
    assert (ack["kind"], ack["to"], ack["status"]) == ("ack", "alice@customer.example", "sent")
    assert "differs" not in t


def test_mail_by_id_names_the_screening_rule_that_decided(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    maild(config_file, "once")
    [stored] = mails_json(config_file)
    t = trace(config_file, str(stored["id"]))
    assert [r["rule"] for r in t["screening"]["rules"] if r["matched"]][0] == "is_auto_submitted"
    assert t["decision"]["actions"] == [] and t["produced"] == {"articles": [], "outbox": []}
    text = maild(config_file, "mail", str(stored["id"])).stdout
    assert "is_auto_submitted" in text and "yes (the first: decides)" in text


def test_mail_shows_how_a_reply_was_threaded(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    maild(config_file, "once")
    [ack] = smtp_sink.messages
    dovecot.append(customer_mail(subject="Re: Cannot log in", message_id="<reply@customer.example>",
                                 in_reply_to=ack.message["Message-ID"]))
    maild(config_file, "once")
    t = trace(config_file, "<reply@customer.example>")
    number = t["mail"]["ticket"]
    assert (t["correlation"]["via"], t["correlation"]["ticket"]) == ("message-id", number)
    assert list(t["correlation"]["ours"].values()) == [number]
    assert t["mail"]["fate"] == f"joined {number}" and t["produced"]["outbox"] == []


def test_mail_that_is_not_stored_is_an_error(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    maild(config_file, "once")
    result = maild(config_file, "mail", "999")
    assert result.returncode == 1 and "no stored mail 999" in result.stderr


def test_replay_shows_what_a_file_would_do_and_stores_nothing(config_file, dovecot, smtp_sink, tmp_path) -> None:
    dovecot.append(customer_mail(subject="First"))
    maild(config_file, "once")
    [first] = mails_json(config_file)
    smtp_sink.clear()
    file = tmp_path / "question.eml"
    file.write_bytes(customer_mail(subject="Second", sender="bob@customer.example"))
    result = maild(config_file, "replay", str(file), "--json")
    assert result.returncode == 0, result.stderr
    t = json.loads(result.stdout)
    assert t["decision"]["opens_ticket"]
    assert t["ticket_number"] == first["ticket"][:-3] + "002"  # the number it would get: the day's next
    [ack] = t["would_send"]
    assert (ack["kind"], ack["to"]) == ("ack", "bob@customer.example")
    assert ack["subject"] == f"[{t['ticket_number']}] Second" and t["ticket_number"] in ack["text"]
    assert [m["subject"] for m in mails_json(config_file)] == ["First"]
    assert smtp_sink.messages == []
    assert "dry run" in maild(config_file, "replay", str(file)).stdout


def test_replay_of_a_reply_joins_its_ticket_and_sends_nothing(config_file, dovecot, smtp_sink, tmp_path) -> None:
    dovecot.append(customer_mail())
    maild(config_file, "once")
    [ack] = smtp_sink.messages
    file = tmp_path / "reply.eml"
    file.write_bytes(customer_mail(subject="Re: Cannot log in", in_reply_to=ack.message["Message-ID"]))
    t = json.loads(maild(config_file, "replay", str(file), "--json").stdout)
    assert t["correlation"]["via"] == "message-id"
    assert t["parsed"]["new_text"] == "Since this morning the login page says 'invalid captcha'."
    assert t["decision"]["ticket"] == t["ticket_number"] and t["would_send"] == []


def test_replay_before_the_first_run_creates_no_store(dovecot, smtp_sink, tmp_path) -> None:
    database = tmp_path / "store" / "maild.db"
    config_file = tmp_path / "maild.toml"
    config_file.write_text(local_config(dovecot, smtp_sink, f"sqlite:///{database}", tmp_path), encoding="utf-8")
    file = tmp_path / "question.eml"
    file.write_bytes(customer_mail())
    result = maild(config_file, "replay", str(file), "--json")
    assert result.returncode == 0, result.stderr
    assert "empty store" in result.stderr
    assert json.loads(result.stdout)["would_send"][0]["to"] == "alice@customer.example"
    assert not database.parent.exists()
