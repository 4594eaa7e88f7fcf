"""The demo: a private Dovecot and SMTP sink, sample customer mail and a small support team,
`maild once`, what came out, an engineer's answer from their mail client reaching the customer,
the resolution, the satisfaction survey with its links two hours later, the knowledge-base entry
the engineer proposed, the archive three working days later, and the month's report.

    python -m maild.testing.demo [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from .configs import local_config
from .dovecot import PrivateDovecot
from .smtpsink import SmtpSink

SAMPLES = [
    ("张三", "zhangsan@kehu.example.cn", "系统瘫痪，所有用户无法登录",
     "您好：\n今天 9:10 开始，我们公司所有员工都无法登录贵司系统，提示“验证码错误”，核心业务已中断。\n请尽快处理！\n\n张三\n某某科技有限公司 运维部\n电话：138 0013 8000", {}),
    ("Alice Smith", "alice@customer.example", "Export to Excel fails for reports over 10,000 rows",
     "Hello,\n\nsince yesterday exporting the monthly report to Excel stops at 10,000 rows.\n"
     "Smaller reports work. Browser: Firefox 128.\n\nAlice", {}),
    ("李四", "lisi@kehu.example.cn", "如何修改账号绑定的手机号？",
     "请问在哪里修改账号绑定的手机号？谢谢。", {}),
    ("王五", "wangwu@qq.example.com", "自动回复: 我正在休假",
     "您好，我正在休假，11 月 30 日回来后回复您的邮件。", {"X-QQ-AUTO-REPLY": "true"}),
    ("Mail Delivery Subsystem", "mailer-daemon@mx.example.net", "Delivery Status Notification (Failure)",
     "Your message to nobody@example.net could not be delivered.", {"Auto-Submitted": "auto-replied"}),
]


# The team the workflow routes to (the example config documents every key).
TEAM = {
    "staff": [
        {"name": "周敏", "address": "zhoumin@example.com", "roles": ["supervisor"]},
        {"name": "王强", "address": "wangqiang@example.com", "roles": ["senior"]},
        {"name": "李雷", "address": "lilei@example.com", "roles": ["engineer"], "modules": ["账号"]},
        {"name": "Anna Berg", "address": "anna@example.com", "roles": ["engineer"]},
    ],
    "module": [{"name": "账号", "keywords": ["账号", "手机号", "登录"]}],
    "rota": [{"staff": "anna@example.com", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"},
             {"staff": "lilei@example.com"}],
}
# A Wednesday morning in the helpdesk's zone: the rota's day shift is on. `--now` makes the run
# the same whenever the demo is shown.
MORNING, LATER = "2026-11-25T09:30:00+08:00", "2026-11-25T10:05:00+08:00"
RESOLVED, SURVEYED = "2026-11-25T10:30:00+08:00", "2026-11-25T12:30:00+08:00"
ARCHIVED = "2026-11-30T10:30:00+08:00"  # the same time on the third working day after RESOLVED
REPORT_DAY = "2026-12-05T09:00:00+08:00"
SURVEY_PORT = 8025  # in the links only: `maild serve` would answer them there


def from_wang(notification: EmailMessage, message_id: str, body: str) -> bytes:
    """王强's answer to his notification, from his own mail client."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "王强 <wangqiang@example.com>"
    msg["To"] = "Example Support <support@example.com>"
    msg["Subject"] = f"RE: {notification['Subject']}"
    msg["Message-ID"] = message_id
    msg["In-Reply-To"] = notification["Message-ID"]
    msg["References"] = notification["Message-ID"]
    msg.set_content(body)
    return msg.as_bytes()


def engineer_answer(notification: EmailMessage) -> bytes:
    """王强 answers the P0 notification from Outlook, quoting it as Outlook does."""
    return from_wang(notification, "<demo-answer@example.com>",
                     "张先生您好：\n\n验证码服务的证书昨晚过期，已经更换，登录已恢复。请您再试一次。\n\n"
                     "-----Original Message-----\nFrom: Example Support <support@example.com>\n"
                     "Sent: Wednesday, November 25, 2026 9:30 AM\nTo: 王强 <wangqiang@example.com>\n"
                     f"Subject: {notification['Subject']}\n\n" + notification.get_body(("plain",)).get_content())


def engineer_resolves(notification: EmailMessage) -> bytes:
    """王强 resolves the ticket with the analysis report (G11)."""
    return from_wang(notification, "<demo-resolve@example.com>",
                     "#kb 全员无法登录，提示验证码错误\n#resolve\n原因：验证码服务的证书过期\n解决方案：更换证书并重启验证码服务\n验证结果：客户确认全部员工可以登录\n")


def sample_mails() -> list[bytes]:
    mails = []
    for n, (name, address, subject, body, headers) in enumerate(SAMPLES, 1):
        msg = EmailMessage(policy=SMTP)
        msg["From"] = f"{name} <{address}>"
        msg["To"] = "Example Support <support@example.com>"
        msg["Subject"] = subject
        msg["Message-ID"] = f"<demo-{n}@{address.split('@')[1]}>"
        for key, value in headers.items():
            msg[key] = value
        msg.set_content(body)
        mails.append(msg.as_bytes())
    return mails


def maild(config: Path, *args: str, now: str = MORNING) -> str:
    result = subprocess.run([sys.executable, "-m", "maild", "-c", str(config), "--now", now, *args],
                            capture_output=True, text=True, check=True)
    return result.stdout


def sent(sink: SmtpSink, start: int = 0) -> None:
    for received in sink.messages[start:]:
        message = received.message
        print(f"   to {message['To']}: {message['Subject']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the state (database, attachments, config) in this folder, "
                                                  "to look at with maild -c DIR/maild.toml tickets, show, status")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="maild-demo-") as scratch:
        state = args.keep or Path(scratch)
        state.mkdir(parents=True, exist_ok=True)
        os.chmod(scratch, 0o755)
        with PrivateDovecot() as dovecot, SmtpSink() as sink:
            config = state / "maild.toml"
            survey = {"listen": f"127.0.0.1:{SURVEY_PORT}", "public_url": f"http://127.0.0.1:{SURVEY_PORT}/survey"}
            config.write_text(local_config(dovecot, sink, f"sqlite:///{state / 'maild.db'}", state, **TEAM,
                                           survey=survey), encoding="utf-8")
            dovecot.append_many(sample_mails())
            automatic = [subject for _, _, subject, _, headers in SAMPLES if headers]
            print(f"== {len(SAMPLES)} mails put in the demo mailbox (Dovecot on port {dovecot.port}): "
                  f"{len(SAMPLES) - len(automatic)} from customers, {len(automatic)} automatic "
                  f"({'; '.join(automatic)}), which maild stores and screens but never answers")
            print(f"== maild -c {config} --now {MORNING} once")
            print(maild(config, "once"))
            print("== maild tickets   (each classified P0-P3 and assigned: P0 to the senior, P1 to the module's "
                  "engineer, P2/P3 to the one on duty)")
            print(maild(config, "tickets"))
            first = json.loads(maild(config, "tickets", "--json"))[0]["number"]
            print(f"== maild show {first}")
            print(maild(config, "show", first))
            print("== maild status   (the screened mails are the automatic ones: no ticket, no answer)")
            print(maild(config, "status"))
            print("== what maild sent: an acknowledgement to each customer, a notification to each assignee, "
                  "and for P0 an alert to the supervisor")
            sent(sink)
            ack = next(r.message for r in sink.messages if r.message["To"].addresses[0].addr_spec == SAMPLES[0][1])
            print(f"== the acknowledgement to {ack['To']}")
            print(ack.get_body(("plain",)).get_content())
            notification = next(r.message for r in sink.messages
                                if r.message["To"].addresses[0].addr_spec == "wangqiang@example.com")
            print("== 王强 answers his notification from Outlook (the quoted history below his text); "
                  f"maild -c {config} --now {LATER} once")
            before = len(sink.messages)
            dovecot.append(engineer_answer(notification))
            print(maild(config, "once", now=LATER))
            sent(sink, before)
            relay = sink.messages[before].message
            print(f"== what the customer gets: from {relay['From']}, without the quoted history")
            print(relay.get_body(("plain",)).get_content())
            print(f"== 王强 resolves it (#resolve with the analysis report); maild --now {RESOLVED} once, "
                  f"then two hours later, maild --now {SURVEYED} once")
            before = len(sink.messages)
            dovecot.append(engineer_resolves(notification))
            print(maild(config, "once", now=RESOLVED))
            print(maild(config, "once", now=SURVEYED))
            sent(sink, before)
            survey = next(r.message for r in sink.messages[before:] if "满意" in r.message.get_body(("plain",)).get_content())
            print(f"== the satisfaction survey to {survey['To']}: answered by reply, or by a link "
                  "(`maild serve` answers them on survey.listen)")
            print(survey.get_body(("plain",)).get_content())
            print("== 王强 proposed the case for the knowledge base (#kb TITLE): maild kb list; maild kb search 验证码")
            print(maild(config, "kb", "list", now=SURVEYED))
            print(maild(config, "kb", "search", "验证码", now=SURVEYED))
            print(f"== three working days after the resolution it is archived; maild --now {ARCHIVED} once; "
                  "maild archive")
            print(maild(config, "once", now=ARCHIVED))
            print(maild(config, "archive", now=ARCHIVED))
            print(f"== on the 5th the supervisor gets November's report; maild --now {REPORT_DAY} report "
                  f"--month 2026-11 --out {state / 'report'}")
            print(maild(config, "report", "--month", "2026-11", "--out", str(state / "report"), now=REPORT_DAY))
            print(maild(config, "report", "--month", "2026-11", now=REPORT_DAY))
    return 0


if __name__ == "__main__":
    sys.exit(main())
