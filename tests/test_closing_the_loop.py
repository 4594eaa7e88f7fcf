"""The guideline's sections 4-5 running by themselves, end to end at a frozen clock through Dovecot
and the SMTP sink: resolved → the resolution notice → the survey two hours later → the customer's
"2 基本满意 …" recorded as T3 → archived three working days after the resolution (the IMAP folder
and the files) → the month's report lists the ticket and its rating."""

from __future__ import annotations

import json
from datetime import timedelta

from maild.store.models import Ticket

from .mails import chinese_mail, lead_mail
from .test_archive import folder_of, subjects_in
from .test_cli import maild
from .test_survey import CUSTOMER, resolved_ticket, survey_app  # noqa: F401 - the fixture


def test_resolution_survey_archive_and_report(survey_app, dovecot, smtp_sink, state_dir) -> None:
    app, clock = survey_app
    config = state_dir / "maild.toml"
    dovecot.append(chinese_mail(subject="系统无法登录"))
    app.once()
    number = Ticket.get().number
    clock.advance(timedelta(hours=1))
    dovecot.append(lead_mail(number, "#resolve\n解决方案：已重置验证码服务"))
    app.once()
    _ack, notice = [m for m in smtp_sink.messages if m.message["To"].addresses[0].addr_spec == CUSTOMER]
    assert "已重置验证码服务" in notice.message.get_body(("plain",)).get_content()
    smtp_sink.clear()

    clock.advance(timedelta(hours=2))  # Wednesday 12:30
    app.once()
    [survey] = smtp_sink.messages
    clock.advance(timedelta(hours=1))
    dovecot.append(chinese_mail(subject=f"Re: [{number}] 系统无法登录", body="2 基本满意 希望增加在线客服响应提示",
                                in_reply_to=survey.message["Message-ID"]))
    app.once()
    shown = json.loads(maild(config, "show", number, "--json").stdout)
    assert (shown["status"], shown["survey"]["rating"], shown["survey"]["suggestions"]) == (
        "resolved", "basically-satisfied", "希望增加在线客服响应提示")

    clock.advance(timedelta(days=5, hours=-3))  # Monday 10:30: the third working day after Wednesday 10:30
    app.once()
    archive = json.loads(maild(config, "show", number, "--json").stdout)["archive"]
    assert archive["folder"] == folder_of(number) and len(subjects_in(dovecot, folder_of(number))) == 6
    assert subjects_in(dovecot, "INBOX") == []
    files = state_dir / "archive" / archive["path"]
    assert {p.name for p in files.iterdir()} == {"thread.mbox", "thread.html", "ticket.json"}
    assert json.loads((files / "ticket.json").read_text(encoding="utf-8"))["survey"]["rating"] == "basically-satisfied"

    report = json.loads(maild(config, "report", "--month", "2026-11", "--json").stdout)
    assert report["tickets"] == 1 and report["satisfaction"]["basically_satisfied"] == 1
    assert "希望增加在线客服响应提示" in json.dumps(report["suggestions"], ensure_ascii=False)
    assert maild(config, "report", "--month", "2026-11", "--out", str(state_dir / "out")).returncode == 0
    listed = (state_dir / "out" / "report.csv").read_text(encoding="utf-8-sig")
    assert number in listed and "basically-satisfied" in listed
