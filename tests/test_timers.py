"""The guideline's time rules run by themselves (G2, G12, G13), end to end through Dovecot and the
SMTP sink: a P0 ticket nobody answers, nine hours of it at a frozen clock, and the exact mails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from maild.app import App
from maild.clock import FrozenClock
from maild.config import load_config
from maild.store.models import Ticket

from .mails import chinese_mail, lead_mail
from .test_cli import maild
from .test_daemon import notify_socket, receive_until  # noqa: F401 - notify_socket is a fixture
from .test_survey import CUSTOMER, LEAD, SUPERVISOR
from .test_triage import WEDNESDAY_0930, team_app  # noqa: F401 - team_app is a fixture



def sent(sink) -> list[tuple[str, str]]:
    """(recipient, what) of every mail since the last clear, in order."""
    found = [(m.message["To"].addresses[0].addr_spec, m.message.get_body(("plain",)).get_content())
             for m in sink.messages]
    sink.clear()
    return [(to, kind_of(text)) for to, text in found]


def kind_of(text: str) -> str:
    text = " ".join(text.split())  # the lines are wrapped where they fall
    for words, kind in (("基本满意", "survey"), ("目前的处理进展", "progress update"),
                        ("got no first answer in time", "first-response escalation"),
                        ("was not resolved in time", "resolution escalation"),
                        ("is waiting for a first answer", "first-response reminder"),
                        ("must be resolved soon", "resolution warning"), ("is due a progress update", "update reminder")):
        if words in text:
            return kind
    return text[:40]


def at(clock, app, hours: float) -> None:
    clock.set(WEDNESDAY_0930 + timedelta(hours=hours))
    app.once()


def test_a_p0_nobody_answers_gets_its_reminders_escalations_and_updates_once_each(team_app, dovecot,
                                                                                   smtp_sink) -> None:
    app, clock = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪"))
    app.once()
    assert Ticket.get().priority == "P0" and len(smtp_sink.messages) == 3  # ack, the lead's, the supervisor's
    smtp_sink.clear()
    at(clock, app, 1.5)
    assert sent(smtp_sink) == [(LEAD, "first-response reminder")]  # 75 % of 2 h
    at(clock, app, 2)
    assert sent(smtp_sink) == [(SUPERVISOR, "first-response escalation")]  # no first answer in 2 h
    at(clock, app, 3)
    assert sent(smtp_sink) == [(LEAD, "resolution warning")]  # 75 % of 4 h
    at(clock, app, 3.75)
    assert sent(smtp_sink) == [(LEAD, "update reminder")]  # an update is due in 15 minutes
    at(clock, app, 4)
    assert sorted(sent(smtp_sink)) == [(CUSTOMER, "progress update"), (SUPERVISOR, "resolution escalation")]
    app.once()
    assert sent(smtp_sink) == []  # the same instant again: nothing twice
    at(clock, app, 7.75)
    assert sent(smtp_sink) == [(LEAD, "update reminder")]
    at(clock, app, 8)
    assert sent(smtp_sink) == [(CUSTOMER, "progress update")]
    at(clock, app, 7)
    assert sent(smtp_sink) == []  # the clock jumped back: nothing
    at(clock, app, 21)  # down overnight: three updates missed, one sent
    assert sent(smtp_sink) == [(CUSTOMER, "progress update")]


def test_an_answer_in_time_and_a_resolution_stop_the_clocks(team_app, dovecot, smtp_sink) -> None:
    app, clock = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪", message_id="<q1@kehu.example.cn>"))
    app.once()
    number = Ticket.get().number
    clock.advance(timedelta(hours=1))
    dovecot.append(lead_mail(number, "正在处理。", "跟进"))
    app.once()
    clock.advance(timedelta(hours=1))
    dovecot.append(lead_mail(number, "#resolve\n解决方案：已恢复"))
    app.once()
    smtp_sink.clear()
    at(clock, app, 12)
    assert sent(smtp_sink) == [(CUSTOMER, "survey")]  # and no reminder, escalation or update


def test_timers_lists_what_comes_next_the_soonest_first(team_app, dovecot, smtp_sink, state_dir) -> None:
    app, _ = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪"))
    app.once()
    number = Ticket.get().number
    listed = json.loads(maild(state_dir / "maild.toml", "--now", "2026-11-25T09:30:00+08:00", "timers", "--json").stdout)
    assert [(t["ticket"], t["kind"], t["due"][11:16]) for t in listed] == [
        (number, "first-response-reminder", "11:00"), (number, "first-response-breach", "11:30"),
        (number, "resolution-warning", "12:30"), (number, "progress-reminder", "13:15"),
        (number, "progress-update", "13:30"), (number, "resolution-breach", "13:30")]


def test_the_daemon_fires_what_is_due_when_it_starts(team_app, dovecot, smtp_sink, state_dir,
                                                     notify_socket) -> None:
    app, _ = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪"))
    app.once()
    smtp_sink.clear()
    config = state_dir / "maild.toml"
    env = {**os.environ, "NOTIFY_SOCKET": notify_socket.getsockname()}
    daemon = subprocess.Popen([sys.executable, "-m", "maild", "-c", str(config), "--now",
                               "2026-11-25T11:00:00+08:00", "run"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        receive_until(notify_socket, "READY=1")
        [reminder] = smtp_sink.wait_for(1, timeout=10)
        assert reminder.message["To"].addresses[0].addr_spec == LEAD
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0, daemon.stderr.read().decode()


def test_an_eta_beyond_the_deadline_reaches_the_customer_in_the_same_run(team_app, dovecot, smtp_sink) -> None:
    app, _ = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪"))
    app.once()
    number = Ticket.get().number
    smtp_sink.clear()
    dovecot.append(lead_mail(number, "#eta 2026-11-26 18:00", "跟进"))
    app.once()
    [notice] = [m.message for m in smtp_sink.messages]
    assert notice["To"].addresses[0].addr_spec == CUSTOMER
    assert "2026-11-26 18:00" in notice.get_body(("plain",)).get_content()


def test_a_restart_between_two_passes_loses_and_repeats_nothing(team_app, dovecot, smtp_sink, state_dir) -> None:
    app, clock = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪"))
    app.once()
    at(clock, app, 1.5)
    app.close()  # maild stops; a new one starts on the same store
    again = App(load_config(state_dir / "maild.toml"), FrozenClock(WEDNESDAY_0930 + timedelta(hours=2)))
    try:
        smtp_sink.clear()
        again.once()
        assert sent(smtp_sink) == [(SUPERVISOR, "first-response escalation")]  # the 1.5 h reminder is not sent again
    finally:
        again.close()


def test_old_mail_of_a_first_run_runs_no_timers(team_app, dovecot, smtp_sink) -> None:
    app, clock = team_app
    dovecot.append(chinese_mail(subject="系统瘫痪"), received_at=datetime(2019, 5, 1, tzinfo=timezone.utc))
    app.once()
    at(clock, app, 9)
    assert smtp_sink.messages == []  # nobody was told of it, and no clock of it reminds anyone
