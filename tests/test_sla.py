"""The guideline's clocks as staff see them on the command line: `maild show` and
`maild tickets --overdue`, judged at `--now`."""

from __future__ import annotations

import json

from maild.store.models import Ticket

from .mails import chinese_mail
from .test_cli import maild
from .test_triage import team_app  # noqa: F401 - a fixture


def test_show_gives_the_guidelines_clocks_as_of_now(config_file, dovecot, smtp_sink) -> None:
    dovecot.append(chinese_mail(subject="系统瘫痪"))  # P0: resolved within 4 hours
    maild(config_file, "--now", "2026-11-25T09:30:00+08:00", "once")
    number = json.loads(maild(config_file, "tickets", "--json").stdout)[0]["number"]
    later = ("--now", "2026-11-25T13:30:00+08:00")
    sla = json.loads(maild(config_file, *later, "show", number, "--json").stdout)["sla"]
    assert list(sla) == ["record", "assignment", "first_response", "resolution"]
    assert sla["resolution"] == {"due": "2026-11-25T13:30:00+08:00", "done": None, "state": "breached"}
    assert sla["first_response"]["state"] == "breached" and sla["record"]["state"] == "met"
    assert sla["record"]["done"] == "2026-11-25T09:30:00+08:00"
    assert "resolution       due 2026-11-25 13:30  breached" in maild(config_file, *later, "show", number).stdout


def test_overdue_lists_the_tickets_with_a_breached_or_nearly_due_clock(team_app, dovecot, smtp_sink,
                                                                       state_dir) -> None:
    app, _ = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪", sender="a@kehu.example.cn"))  # P0: 2 h to answer, 4 h to resolve
    dovecot.append(chinese_mail(subject="请问如何导出报表", body="在哪里导出？", sender="b@kehu.example.cn"))  # P3
    app.once()
    p0 = Ticket.get(Ticket.priority == "P0").number
    config = state_dir / "maild.toml"
    listed = json.loads(maild(config, "--now", "2026-11-25T12:45:00+08:00", "tickets", "--overdue", "--json").stdout)
    assert [t["number"] for t in listed] == [p0]
    assert [(c["clock"], c["state"]) for c in listed[0]["overdue"]] == [("first_response", "breached"),
                                                                        ("resolution", "running")]
    assert listed[0]["overdue"][1]["due"] == "2026-11-25T13:30:00+08:00"
    early = maild(config, "--now", "2026-11-25T09:40:00+08:00", "tickets", "--overdue")
    assert early.stdout.strip() == "no tickets"
