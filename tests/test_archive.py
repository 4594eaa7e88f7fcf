"""The archive (G16, T4), end to end through Dovecot at a frozen clock: three working days after
the resolution the ticket's mails are in the IMAP folder built from archive.folder, its files on
disk; a pass repeated moves nothing twice; a reopened ticket's mails come back to the inbox."""

from __future__ import annotations

import csv
import email
import io
import json
import mailbox
from dataclasses import replace
from datetime import timedelta
from email.policy import default

from maild.adapters.imap import ImapMailbox
from maild.store.models import ArchivedTicket, Ticket

from .mails import chinese_mail, lead_mail, mail_with_attachment
from .test_cli import maild
from .test_survey import CUSTOMER, LEAD, free_port, resolved_ticket, survey_app  # noqa: F401 - the fixture

SURVEYED = timedelta(hours=2)
RESOLVED_TO_ARCHIVED = timedelta(days=5)  # Wednesday 10:30 → Monday 10:30: Thursday, Friday, Monday


def surveyed_ticket(app, clock, dovecot, smtp_sink, mail: bytes | None = None) -> str:
    """A ticket resolved, and surveyed two hours later: the thread as it stands when archived."""
    number = resolved_ticket(app, clock, dovecot, smtp_sink, mail=mail)
    clock.advance(SURVEYED)
    app.once()
    return number


def folder_of(number: str) -> str:
    """The folder Dovecot's maildir names "Archive/{type}/{yyyy}-{mm}" with its "." delimiter."""
    ticket = Ticket.get(Ticket.number == number)
    return f"Archive.{ticket.problem_type}.2026-11"


def subjects_in(dovecot, folder: str) -> list[str]:
    with dovecot.client() as client:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        found = client.fetch(client.search(["ALL"]), ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
    return sorted(email.message_from_bytes(data[b"BODY[HEADER.FIELDS (SUBJECT)]"], policy=default)["Subject"]
                  for data in found.values())


def test_a_resolved_ticket_is_archived_on_the_third_working_day_at_the_same_time(survey_app, dovecot, smtp_sink,
                                                                                  state_dir) -> None:
    app, clock = survey_app
    number = surveyed_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(RESOLVED_TO_ARCHIVED - SURVEYED - timedelta(minutes=1))
    app.once()
    assert json.loads(maild(state_dir / "maild.toml", "show", number, "--json").stdout)["archive"] is None
    clock.advance(timedelta(minutes=1))
    app.once()
    folder = folder_of(number)
    # The customer's mail and the lead's, moved; maild's acknowledgement, resolution notice and survey, appended.
    assert len(subjects_in(dovecot, folder)) == 5
    assert subjects_in(dovecot, "INBOX") == []
    shown = json.loads(maild(state_dir / "maild.toml", "show", number, "--json").stdout)
    assert shown["archive"] == {"archived_at": clock.now().isoformat(), "folder": folder,
                                "path": f"{shown['type']}/2026/11/{number}"}


def test_the_archive_on_disk_holds_the_thread_the_attachments_and_the_records(survey_app, dovecot, smtp_sink,
                                                                              state_dir) -> None:
    app, clock = survey_app
    screenshot = mail_with_attachment(b"\x89PNG fake screen", "image", "png", "登录报错.png", sender=CUSTOMER,
                                      subject="系统无法登录", body="今天上午开始无法登录系统，截图见附件。")
    number = surveyed_ticket(app, clock, dovecot, smtp_sink, mail=screenshot)
    clock.advance(RESOLVED_TO_ARCHIVED - SURVEYED)
    app.once()
    ticket = Ticket.get(Ticket.number == number)
    folder = state_dir / "archive" / ticket.problem_type / "2026" / "11" / number
    thread = mailbox.mbox(folder / "thread.mbox", factory=lambda f: email.message_from_binary_file(f, policy=default))
    assert [m["Subject"] for m in thread][:2] == ["系统无法登录", f"[{number}] 系统无法登录"]  # the mail, the ack
    assert [m["From"].addresses[0].addr_spec for m in thread][2:] == [LEAD, "support@example.com",
                                                                       "support@example.com"]  # resolved, surveyed
    assert (folder / "attachments" / "登录报错.png").read_bytes() == b"\x89PNG fake screen"
    record = json.loads((folder / "ticket.json").read_text(encoding="utf-8"))
    assert record["number"] == number and record["intake"]["address"] == CUSTOMER  # T1
    assert record["progress"][0]["action"] == f"opened: from {CUSTOMER}"  # T2
    assert record["report"]["solution"] == "已重置验证码服务"  # the analysis report
    assert set(record["sla"]) >= {"first_response", "resolution"}  # the clocks


def test_t4_lists_the_archived_ticket_with_its_type_and_solution(survey_app, dovecot, smtp_sink, state_dir) -> None:
    app, clock = survey_app
    number = surveyed_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(RESOLVED_TO_ARCHIVED - SURVEYED)
    app.once()
    config = state_dir / "maild.toml"
    [row] = json.loads(maild(config, "archive", "--month", "2026-11", "--json").stdout)
    assert (row["number"], row["solution"], row["kb_entry"]) == (number, "已重置验证码服务", None)
    assert json.loads(maild(config, "archive", "--month", "2026-10", "--json").stdout) == []
    table = list(csv.DictReader(io.StringIO(maild(config, "archive", "--csv").stdout.lstrip("\ufeff"))))
    assert [r["number"] for r in table] == [number]
    assert [t["number"] for t in json.loads(maild(config, "tickets", "--archived", "--json").stdout)] == [number]
    assert [t["archived"] for t in json.loads(maild(config, "tickets", "--json").stdout)] == [True]


def test_a_pass_cut_off_before_its_commit_moves_nothing_twice(survey_app, dovecot, smtp_sink) -> None:
    app, clock = survey_app
    number = surveyed_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(RESOLVED_TO_ARCHIVED - SURVEYED)
    app.once()
    folder = folder_of(number)
    before = subjects_in(dovecot, folder)
    ArchivedTicket.update(status="due").execute()  # as if the pass had died after the moves
    assert app.archive.run(clock.now()) == 1
    assert subjects_in(dovecot, folder) == before


def test_a_reopened_archived_ticket_comes_back_to_the_inbox_and_is_archived_again(survey_app, dovecot,
                                                                                  smtp_sink) -> None:
    app, clock = survey_app
    number = surveyed_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(RESOLVED_TO_ARCHIVED - SURVEYED)
    app.once()
    folder = folder_of(number)
    clock.advance(timedelta(hours=1))
    dovecot.append(chinese_mail(subject=f"Re: [{number}] 系统无法登录", body="还是不行，又出现了。"))
    app.once()
    assert Ticket.get(Ticket.number == number).status == "open"
    assert ArchivedTicket.get().status == "returned"
    assert subjects_in(dovecot, "INBOX") == sorted([f"Re: [{number}] 系统无法登录", "系统无法登录", f"[{number}] 已解决"])
    assert len(subjects_in(dovecot, folder)) == 3  # maild's own mails wait there
    dovecot.append(lead_mail(number, "#resolve\n解决方案：更换了短信网关"))
    app.once()
    clock.advance(timedelta(days=3))  # Monday 11:30 → Thursday 11:30
    app.once()
    assert ArchivedTicket.get().status == "archived"
    assert subjects_in(dovecot, "INBOX") == []
    # and three more: the customer's reply, the second #resolve and its notice (a reopened ticket gets no survey)
    assert len(subjects_in(dovecot, folder)) == 8


def test_a_pass_that_fails_is_tried_again_an_hour_later(survey_app, dovecot, smtp_sink, state_dir, caplog) -> None:
    app, clock = survey_app
    number = surveyed_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(RESOLVED_TO_ARCHIVED - SURVEYED)
    (state_dir / "archive").write_text("a file where archive.dir should be")
    app.once()
    row = ArchivedTicket.get()
    assert row.status == "due" and row.error and "archiving failed" in caplog.text
    (state_dir / "archive").unlink()
    clock.advance(timedelta(minutes=59))
    app.once()
    assert ArchivedTicket.get().status == "due"
    clock.advance(timedelta(minutes=1))
    app.once()
    assert ArchivedTicket.get().status == "archived" and len(subjects_in(dovecot, folder_of(number))) == 5


def test_a_server_out_of_reach_leaves_the_archiving_due_for_an_hour_later(survey_app, dovecot, smtp_sink,
                                                                           caplog) -> None:
    app, clock = survey_app
    number = surveyed_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(RESOLVED_TO_ARCHIVED - SURVEYED)
    reachable = app.archive.mailbox
    app.archive.mailbox = lambda: ImapMailbox(replace(app.config.imap, port=free_port()))  # nobody listens there
    app.once()
    assert ArchivedTicket.get().status == "due" and "archiving failed" in caplog.text
    app.archive.mailbox = reachable
    clock.advance(timedelta(hours=1))
    app.once()
    assert ArchivedTicket.get().status == "archived" and len(subjects_in(dovecot, folder_of(number))) == 5
