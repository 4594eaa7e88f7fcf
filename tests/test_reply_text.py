"""What an engineer's or customer's reply adds, without the quoted history and the signature, as
each common mail client writes them; held against the reply parsers' own expectations too."""

from __future__ import annotations

import json

import pytest

from maild.parsing import parse_mail
from maild.rules.reply_text import new_text, without_quotes

from .corpus import require_corpus

OUTLOOK = """您好，已经为您重置了验证码服务，请再试一次。

-----Original Message-----
From: 张三 <zhangsan@kehu.example.cn>
Sent: Wednesday, November 25, 2026 9:15 AM
To: support@example.com
Subject: 系统无法登录

今天上午开始提示验证码错误。
"""
OUTLOOK_WEB = """Please try again now.

________________________________
From: Alice Smith <alice@customer.example>
Sent: Wednesday, November 25, 2026 09:15
To: Support
Subject: Cannot log in
"""
OUTLOOK_HEADERS_ONLY = """Fixed on our side.

From: Alice Smith [mailto:alice@customer.example]
Sent: Wednesday, November 25, 2026 9:15 AM
To: support@example.com
Subject: Cannot log in

Since this morning the login page says 'invalid captcha'.
"""
GMAIL = """Thanks, it works again.

On Wed, Nov 25, 2026 at 9:15 AM Example Support <support@example.com>
wrote:

> Dear Alice,
> We have received your request.
"""
GMAIL_CHINESE = """好的，谢谢。

在 2026年11月25日周三 09:15，Example Support <support@example.com> 写道：

> 张三，您好：
> 我们已收到您的问题。
"""
FOXMAIL = """问题已解决。

------------------ 原始邮件 ------------------
发件人: "张三"<zhangsan@kehu.example.cn>;
发送时间: 2026年11月25日(星期三) 上午9:15
收件人: "support"<support@example.com>;
主题: 系统无法登录
"""
NETEASE = """收到，我们再观察一下。

张三 于 2026-11-25 09:15 写道：
工程师将尽快处理并与您联系。
"""
APPLE = """Great, thanks!

Sent from my iPhone

> On 25 Nov 2026, at 09:15, Example Support <support@example.com> wrote:
>
> Dear Alice,
"""
THUNDERBIRD_BOTTOM = """On 25/11/2026 09:15, Example Support wrote:
> Dear Alice, we have received your request.

Thanks, the export works now.

-- 
Alice Smith
Customer Ltd
"""
INLINE = """> Which browser do you use?
Chrome 120.
> And which version of the app?
4.2.1
"""


@pytest.mark.parametrize("text,expected", [
    (OUTLOOK, "您好，已经为您重置了验证码服务，请再试一次。"),
    (OUTLOOK_WEB, "Please try again now."),
    (OUTLOOK_HEADERS_ONLY, "Fixed on our side."),
    (GMAIL, "Thanks, it works again."),
    (GMAIL_CHINESE, "好的，谢谢。"),
    (FOXMAIL, "问题已解决。"),
    (NETEASE, "收到，我们再观察一下。"),
    (APPLE, "Great, thanks!"),
    (THUNDERBIRD_BOTTOM, "Thanks, the export works now."),
    (INLINE, "Chrome 120.\n4.2.1"),
], ids=["outlook", "outlook-web", "outlook-headers", "gmail", "gmail-zh", "foxmail", "netease", "apple-mail",
        "thunderbird", "inline-answers"])
def test_a_reply_keeps_only_what_its_writer_added(text, expected) -> None:
    assert new_text(text) == expected


def test_a_text_without_history_stays_as_it_is() -> None:
    text = "Line one.\n\nLine two -- with a dash in it."
    assert new_text(text) == text


def _plain(raw: bytes) -> str:
    return parse_mail(raw).text


def test_the_talon_replies_from_ten_real_clients_lose_their_quotations() -> None:
    root = require_corpus() / "mailgun-talon"
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    for name, want in expected.items():
        got = without_quotes(_plain((root / name).read_bytes()))
        normalise = lambda text: "\n".join(line.rstrip() for line in text.strip().splitlines())  # noqa: E731
        assert normalise(got) == normalise(want["reply_text"]), name


def test_the_zapier_parsers_own_expectations_hold() -> None:
    root = require_corpus() / "zapier-email-reply-parser"
    for name, want in json.loads((root / "expected.json").read_text(encoding="utf-8")).items():
        got = new_text((root / name).read_text(encoding="utf-8", errors="replace"))
        if "reply_text" in want:
            assert got == want["reply_text"], (name, got)
        if "reply_must_not_contain" in want:
            assert want["reply_must_not_contain"] not in got, (name, got)


def test_no_github_reply_keeps_a_quotation_or_its_attribution() -> None:
    # That project ships no expected.json: what every one of its replies must lose is held instead.
    for path in sorted((require_corpus() / "github-email_reply_parser").glob("*.txt")):
        got = new_text(path.read_text(encoding="utf-8", errors="replace"))
        assert got, path.name
        assert not any(line.startswith(">") for line in got.splitlines()), path.name
        assert "-----Original Message-----" not in got and not got.rstrip().endswith("wrote:"), path.name
