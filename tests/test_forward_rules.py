"""A customer's mail forwarded by staff: the original's sender, subject and text, as each mail
client writes the forward (G1: staff file a ticket on the customer's behalf)."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from maild.parsing import parse_mail
from maild.rules.forwarded import forwarded_original

from .mails import chinese_mail, customer_mail

# The header block each client writes above a forwarded mail, in its own words.
CLIENT_FORWARDS = {
    "gmail": ("Fwd: 无法登录", "---------- Forwarded message ---------\nFrom: 张三 <zhangsan@kehu.example.cn>\n"
              "Date: Wed, Nov 25, 2026 at 9:15 AM\nSubject: 无法登录\nTo: <li@example.com>\n\n"),
    "outlook": ("FW: 无法登录", "________________________________\nFrom: 张三 [mailto:zhangsan@kehu.example.cn]\n"
                "Sent: Wednesday, November 25, 2026 9:15 AM\nTo: 李雷\nSubject: 无法登录\n\n"),
    "apple-mail": ("Fwd: 无法登录", "Begin forwarded message:\n\nFrom: 张三 <zhangsan@kehu.example.cn>\n"
                   "Subject: 无法登录\nDate: 25 November 2026 at 09:15:00 GMT+8\nTo: li@example.com\n\n"),
    "thunderbird": ("Fwd: 无法登录", "-------- Forwarded Message --------\nSubject: \t无法登录\n"
                    "Date: \tWed, 25 Nov 2026 09:15:00 +0800\nFrom: \t张三 <zhangsan@kehu.example.cn>\n"
                    "To: \tli@example.com\n\n"),
    "foxmail-qq": ("转发：无法登录", "------------------ 原始邮件 ------------------\n"
                   "发件人: \"张三\"<zhangsan@kehu.example.cn>;\n发送时间: 2026年11月25日(星期三) 上午9:15\n"
                   "收件人: \"李雷\"<li@example.com>;\n主题: 无法登录\n\n"),
    "netease": ("转发：无法登录", "-------- 转发邮件信息 --------\n发件人：\"张三\" <zhangsan@kehu.example.cn>\n"
                "发送日期：2026-11-25 09:15:00\n收件人：li@example.com\n主题：无法登录\n\n"),
}


@pytest.mark.parametrize("client", CLIENT_FORWARDS)
def test_an_inline_forward_gives_the_customers_mail(client: str) -> None:
    subject, block = CLIENT_FORWARDS[client]
    mail = parse_mail(customer_mail(subject=subject, sender="li@example.com", name="李雷",
                                    body="客户来电补充：影响全部员工。\n\n" + block + "今天上午开始提示验证码错误。\n张三"))
    original = forwarded_original(mail)
    assert original is not None
    assert (original.sender.address, original.sender.name) == ("zhangsan@kehu.example.cn", "张三")
    assert original.subject == "无法登录"
    assert original.text == "今天上午开始提示验证码错误。\n张三"
    assert original.above == "客户来电补充：影响全部员工。"


def test_a_mail_forwarded_as_an_attachment_keeps_the_originals_message_id() -> None:
    forward = EmailMessage()
    forward["From"], forward["To"], forward["Subject"] = "li@example.com", "support@example.com", "Fwd: 无法登录"
    forward.set_content("请处理。")
    forward.add_attachment(message_from_bytes(chinese_mail(message_id="<q1@kehu.example.cn>"), policy=default))
    original = forwarded_original(parse_mail(forward.as_bytes()))
    assert original is not None
    assert (original.sender.address, original.message_id) == ("zhangsan@kehu.example.cn", "q1@kehu.example.cn")
    assert "无法登录系统" in original.text


def test_a_mail_that_is_no_forward_has_no_original() -> None:
    quoting = customer_mail(subject="无法登录", body="见下。\n\nFrom: 张三 <zhangsan@kehu.example.cn>\nSubject: 无法登录\n\n…")
    assert forwarded_original(parse_mail(quoting)) is None


def test_a_forward_that_names_no_sender_has_no_original() -> None:
    assert forwarded_original(parse_mail(customer_mail(subject="Fwd: notes", body="Just notes, no headers."))) is None

