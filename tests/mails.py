"""The project's own sample mails, built the way customers' clients send them."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid


def customer_mail(subject: str = "Cannot log in to the portal",
                  body: str = "Since this morning the login page says 'invalid captcha'.",
                  sender: str = "alice@customer.example", name: str = "Alice Smith",
                  to: str = "support@example.com", cc: tuple[str, ...] = (),
                  message_id: str | None = None, in_reply_to: str | None = None,
                  references: str | None = None, headers: dict[str, str] | None = None,
                  charset: str = "utf-8") -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = str(Address(name, addr_spec=sender))
    msg["To"] = to
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = "Wed, 25 Nov 2026 09:15:00 +0800"
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body, charset=charset)
    return msg.as_bytes()


def chinese_mail(**kwargs) -> bytes:
    kwargs.setdefault("subject", "系统无法登录，请尽快处理")
    kwargs.setdefault("body", "您好：\n今天上午开始，我们公司所有员工都无法登录系统，提示验证码错误。\n张三")
    kwargs.setdefault("sender", "zhangsan@kehu.example.cn")
    kwargs.setdefault("name", "张三")
    return customer_mail(**kwargs)


def lead_mail(number: str, body: str, subject: str = "已解决") -> bytes:
    """王强 (the team's senior engineer, wang@example.com) writes on ticket `number` from his mail client."""
    return chinese_mail(subject=f"[{number}] {subject}", body=body, sender="wang@example.com", name="王强")


def mail_with_attachment(payload: bytes, maintype: str, subtype: str, filename: str | None = None,
                         sender: str = "alice@customer.example", subject: str = "See the attachment",
                         body: str = "Please see the attachment.") -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg.set_content(body)
    msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
