"""The demo: a private Dovecot and SMTP sink, sample customer mail, `maild once`, and what came out.

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


def maild(config: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "maild", "-c", str(config), *args],
                            capture_output=True, text=True, check=True)
    return result.stdout


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
            config.write_text(local_config(dovecot, sink, f"sqlite:///{state / 'maild.db'}", state),
                              encoding="utf-8")
            dovecot.append_many(sample_mails())
            automatic = [subject for _, _, subject, _, headers in SAMPLES if headers]
            print(f"== {len(SAMPLES)} mails put in the demo mailbox (Dovecot on port {dovecot.port}): "
                  f"{len(SAMPLES) - len(automatic)} from customers, {len(automatic)} automatic "
                  f"({'; '.join(automatic)}), which maild stores and screens but never answers")
            print(f"== maild -c {config} once")
            print(maild(config, "once"))
            print("== maild tickets")
            print(maild(config, "tickets"))
            first = json.loads(maild(config, "tickets", "--json"))[0]["number"]
            print(f"== maild show {first}")
            print(maild(config, "show", first))
            print("== maild status   (the screened mails are the automatic ones: no ticket, no answer)")
            print(maild(config, "status"))
            for received in sink.messages:
                message = received.message
                print(f"== acknowledgement to {message['To']}: {message['Subject']}")
                print(message.get_body(("plain",)).get_content())
    return 0


if __name__ == "__main__":
    sys.exit(main())
