"""A mail maild cannot handle is kept, reported, and can be replayed after a fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from maild.app import App
from maild.config import load_config
from maild.outgoing.templates import default_templates_dir
from maild.steps.process_views import quarantined
from maild.steps.process import requeue
from maild.store import inbound, queries
from maild.store.db import transaction

from .mails import customer_mail


@pytest.fixture
def broken_templates(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), templates)
    # A typo an admin could make: the template loads, but names a variable that does not exist.
    (templates / "en" / "ack.txt").write_text("Dear {{ customer_nmae }}\n", encoding="utf-8")
    return templates


@pytest.fixture
def app_with_broken_template(config_file: Path, broken_templates: Path, clock) -> App:
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace("[helpdesk]\n", f'[helpdesk]\ntemplates_dir = "{broken_templates}"\n'),
                           encoding="utf-8")
    app = App(load_config(config_file), clock)
    yield app
    app.close()


def test_a_mail_that_fails_is_quarantined_with_its_error(app_with_broken_template, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    app_with_broken_template.once()
    [entry] = quarantined()
    assert "customer_nmae" in entry["error"]
    assert entry["from"] == "alice@customer.example"
    assert queries.list_tickets() == [] and smtp_sink.messages == []


def test_the_daemon_goes_on_after_a_quarantined_mail(app_with_broken_template, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    dovecot.append(customer_mail(subject="系统无法登录", body="请处理", sender="li@kehu.example.cn"))
    app_with_broken_template.once()
    assert len(quarantined()) == 1
    assert [t["customer"] for t in queries.list_tickets()] == ["li@kehu.example.cn"]


def test_the_mails_of_its_batch_get_one_ticket_and_one_ack_each_in_order(app_with_broken_template, dovecot,
                                                                          smtp_sink) -> None:
    dovecot.append(customer_mail(subject="系统无法登录", body="请处理", sender="li@kehu.example.cn"))
    dovecot.append(customer_mail())  # English: its acknowledgement's template is broken
    dovecot.append(customer_mail(subject="导出报表失败", body="请处理", sender="wang@kehu.example.cn"))
    app_with_broken_template.once()
    assert [entry["from"] for entry in quarantined()] == ["alice@customer.example"]
    tickets = sorted(queries.list_tickets(), key=lambda t: t["number"])
    assert [t["customer"] for t in tickets] == ["li@kehu.example.cn", "wang@kehu.example.cn"]
    assert [t["number"][-3:] for t in tickets] == ["001", "002"]  # no number lost to the failed mail
    assert sorted(m.rcpt_tos for m in smtp_sink.wait_for(2)) == [("li@kehu.example.cn",), ("wang@kehu.example.cn",)]


def test_requeue_replays_a_quarantined_mail_after_the_fix(app_with_broken_template, broken_templates, dovecot,
                                                         smtp_sink) -> None:
    dovecot.append(customer_mail())
    app_with_broken_template.once()
    [entry] = quarantined()
    shutil.copy(default_templates_dir() / "en" / "ack.txt", broken_templates / "en" / "ack.txt")
    assert requeue(entry["id"])
    app_with_broken_template.once()
    assert quarantined() == []
    assert len(queries.list_tickets()) == 1 and len(smtp_sink.wait_for(1)) == 1


def test_a_mail_that_kept_killing_the_process_is_quarantined_after_three_attempts(app, dovecot, smtp_sink) -> None:
    dovecot.append(customer_mail())
    with app.mailbox() as mailbox:
        app.fetch_step(mailbox).run(app.clock.now())
    for _ in range(3):  # each claim is an attempt whose process then died before finishing
        die_after_claiming(expected=1)
    with transaction():
        assert inbound.claim_batch(limit=100, max_bytes=2**20, max_attempts=3) == []
    [entry] = quarantined()
    assert entry["attempts"] == 3 and "gave up after 3 attempts" in entry["error"]


def test_after_a_crash_each_mail_of_the_batch_is_tried_alone_and_all_get_through(app, dovecot, smtp_sink) -> None:
    for n in range(3):
        dovecot.append(customer_mail(subject=f"Problem {n}", sender=f"user{n}@customer.example"))
    with app.mailbox() as mailbox:
        app.fetch_step(mailbox).run(app.clock.now())
    die_after_claiming(expected=3)
    assert app.process.run(app.clock.now()) == 1  # tried before: alone, so it can only take itself down
    app.once()
    assert quarantined() == [] and len(queries.list_tickets()) == 3


def die_after_claiming(expected: int) -> None:
    """What a process that claimed a batch and was killed leaves behind: attempts counted, no claim
    held (PostgreSQL releases a dead session's locks)."""
    with transaction():
        claimed = inbound.claim_batch(limit=100, max_bytes=2**20, max_attempts=3)
    assert len(claimed) == expected
    inbound.unclaim(claimed)


def test_the_log_says_once_what_happened_to_each_mail_of_a_batch_with_a_bad_one(app_with_broken_template,
                                                                                 config_file, dovecot,
                                                                                 smtp_sink) -> None:
    dovecot.append(customer_mail(subject="系统无法登录", body="请处理", sender="li@kehu.example.cn"))
    dovecot.append(customer_mail())  # English: its acknowledgement's template is broken
    dovecot.append(customer_mail(subject="导出报表失败", body="请处理", sender="wang@kehu.example.cn"))
    result = subprocess.run([sys.executable, "-m", "maild", "-c", str(config_file), "once"], capture_output=True,
                            text=True, timeout=120)
    lines = [line for line in result.stderr.splitlines() if " maild.steps.process: mail " in line]
    assert len(lines) == 3
    assert sum("new ticket" in line for line in lines) == 2
    assert sum("quarantined" in line and "customer_nmae" in line for line in lines) == 1
