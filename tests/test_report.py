"""The monthly report (G18): on the 5th the supervisor gets last month's report once, an HTML part
with the charts inline and the month's tickets as CSV; `maild report` gives the same figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone


from .mails import chinese_mail
from .test_cli import maild
from .test_survey import SUPERVISOR, resolved_ticket, survey_app  # noqa: F401 - a fixture

SHANGHAI = timezone(timedelta(hours=8))


def answered_in_november(app, clock, dovecot, smtp_sink) -> str:
    """A November ticket: resolved, surveyed and answered "2 基本满意 …"; then a second one left open."""
    number = resolved_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(timedelta(hours=2))
    app.once()
    [survey] = smtp_sink.messages
    dovecot.append(chinese_mail(subject=f"Re: [{number}] 系统无法登录", body="2 基本满意 希望增加在线客服响应提示",
                                in_reply_to=survey.message["Message-ID"]))
    dovecot.append(chinese_mail(subject="发票开错了", sender="lisi@kehu.example.cn", name="李四"))
    app.once()
    smtp_sink.clear()
    return number


def reports(sink) -> list:
    """The monthly reports the supervisor got (the open ticket's escalations go to them too)."""
    return [m.message for m in sink.messages
            if m.rcpt_tos == (SUPERVISOR,) and "monthly report" in m.message["Subject"]]


def test_the_supervisor_gets_last_months_report_on_the_5th_once(survey_app, dovecot, smtp_sink) -> None:  # noqa: F811
    app, clock = survey_app
    number = answered_in_november(app, clock, dovecot, smtp_sink)
    clock.set(datetime(2026, 12, 4, 23, 0, tzinfo=SHANGHAI))
    app.once()
    assert reports(smtp_sink) == []
    smtp_sink.clear()
    clock.set(datetime(2026, 12, 5, 0, 5, tzinfo=SHANGHAI))  # a Saturday: the day counts, not the weekday
    app.once()
    [report] = reports(smtp_sink)
    assert "2026-11" in report["Subject"]
    html = report.get_body(("html",)).get_content()
    images = {part["Content-ID"]: part for part in report.walk() if part.get_content_type() == "image/png"}
    assert {"<sla.png>", "<types.png>", "<satisfaction.png>"} <= set(images)
    assert all(f'src="cid:{cid.strip("<>")}"' in html for cid in images)
    assert all(part.get_content().startswith(b"\x89PNG") for part in images.values())
    [table] = [part for part in report.walk() if part.get_filename() == "tickets-2026-11.csv"]
    rows = list(csv.DictReader(io.StringIO(table.get_payload(decode=True).decode("utf-8-sig"))))
    assert [(r["number"], r["rating"], r["suggestions"]) for r in rows][0] == (
        number, "basically-satisfied", "希望增加在线客服响应提示")
    assert len(rows) == 2
    smtp_sink.clear()
    clock.advance(timedelta(days=1))
    app.once()
    assert reports(smtp_sink) == []  # once


def test_maild_report_json_gives_the_months_figures(survey_app, dovecot, smtp_sink, state_dir) -> None:  # noqa: F811
    app, clock = survey_app
    answered_in_november(app, clock, dovecot, smtp_sink)
    found = json.loads(maild(state_dir / "maild.toml", "--now", "2026-12-02T10:00:00+08:00", "report",
                             "--month", "2026-11", "--json").stdout)
    assert found["month"] == "2026-11" and found["tickets"] == 2
    assert found["satisfaction"] == {"satisfied": 0, "basically_satisfied": 1, "unsatisfied": 0}
    assert found["reopened"] == 0
    assert set(found["sla"]) == {"record", "assignment", "first_response", "resolution", "progress"}
    assert found["sla"]["first_response"]["met"] == 1  # the lead resolved it within the hour
    assert sum(found["by_priority"].values()) == 2 and sum(found["by_organisation"].values()) == 2
    assert found["top_types"] == [{"type": "软件异常-账号登录", "tickets": 2}]
    december = json.loads(maild(state_dir / "maild.toml", "--now", "2026-12-02T10:00:00+08:00", "report",
                                "--month", "2026-12", "--json").stdout)
    assert december["tickets"] == 0


def test_maild_report_out_writes_the_html_the_csv_and_the_charts(survey_app, dovecot, smtp_sink, state_dir,  # noqa: F811
                                                                 tmp_path) -> None:
    app, clock = survey_app
    number = answered_in_november(app, clock, dovecot, smtp_sink)
    result = maild(state_dir / "maild.toml", "--now", "2026-12-06T10:00:00+08:00", "report", "--out", str(tmp_path))
    assert result.returncode == 0 and "2026-11" in result.stdout
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'src="sla.png"' in html and (tmp_path / "sla.png").read_bytes().startswith(b"\x89PNG")
    rows = (tmp_path / "report.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 3 and number in rows[1] + rows[2]  # a header and the month's two tickets


def test_a_new_install_sends_no_report_for_the_month_before_its_first_mail(survey_app, dovecot,  # noqa: F811
                                                                            smtp_sink) -> None:
    app, clock = survey_app
    dovecot.append(chinese_mail(subject="系统无法登录"))
    app.once()  # on 25 November: October's report day has passed, but maild was not there in October
    assert reports(smtp_sink) == []
