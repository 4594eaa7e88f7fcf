"""The customer's mail inside a forward: attached whole (message/rfc822, "forward as attachment")
or inline, under the header block each mail client writes above the original:

    ---------- Forwarded message ---------        Gmail
    From: 张三 <zhangsan@kehu.example.cn>
    -----Original Message----- / ______          Outlook: From: … [mailto:…]  Sent: …
    Begin forwarded message:                      Apple Mail
    -------- Forwarded Message --------           Thunderbird: Subject: … Date: … From: …
    ------------------ 原始邮件 ------------------  Foxmail, QQ: 发件人: "张三"<…>; 发送时间: … 主题: …
    -------- 转发邮件信息 --------                   NetEase: 发件人：… 日期：… 主题：…

Pure: the forwarding mail in, the original's sender, subject, text and Message-ID out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..parsing import Address, ParsedMail, parse_mail
from .screen import MAILBOX

# A forward says so first in its subject, whatever the client.
FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|fw|wg|转发|轉寄|转寄|轉發)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]", re.IGNORECASE)
_HEADER_LINE = re.compile(r"^\s*\**\s*(from|sent|date|to|cc|subject|发件人|寄件者|发送时间|发送日期|日期|时间|寄件日期|收件人|收件者|"
                          r"抄送|副本|主题|主旨)\s*\**\s*[:：]\**\s*(.*?)\s*$", re.IGNORECASE)
_FROM = {"from", "发件人", "寄件者"}
_SUBJECT = {"subject", "主题", "主旨"}
# The line a client writes over the header block: dashes or underscores around words, or Apple's.
_MARKER = re.compile(r"^\s*(?:[-_]{3,}.*|.*[-_]{3,}|begin forwarded message:)\s*$", re.IGNORECASE)
_NAME_NOISE = re.compile(r"""[<\[(].*|["'“”;；]|mailto:""", re.IGNORECASE)


@dataclass(frozen=True)
class Original:
    sender: Address
    subject: str
    text: str
    message_id: str | None  # known when the original came attached whole
    above: str  # what the forwarding person wrote above it


def forwarded_original(mail: ParsedMail) -> Original | None:
    """The original of a forwarded mail, or None when this is no forward or names no sender."""
    if not FORWARD_SUBJECT.match(mail.subject):
        return None
    for attachment in mail.attachments:
        if attachment.content_type == "message/rfc822":
            inner = parse_mail(attachment.payload)
            if inner.sender and inner.sender.address:
                return Original(inner.sender, inner.subject, inner.text, inner.message_id, mail.text.strip())
    return inline_original(mail.text)


def inline_original(text: str) -> Original | None:
    """The first header block that names a sender, and the text below it."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        fields: dict[str, str] = {}
        j = i
        while j < len(lines) and (found := _HEADER_LINE.match(lines[j])):
            fields.setdefault(found.group(1).lower(), found.group(2))
            j += 1
        sender = next((fields[k] for k in fields if k in _FROM), None)
        if sender is not None and (address := MAILBOX.search(sender)):
            name = _NAME_NOISE.sub("", sender).strip() if not sender.strip().startswith(address.group()) else ""
            subject = next((fields[k] for k in fields if k in _SUBJECT), "")
            above = "\n".join(line for line in lines[:i] if not _MARKER.match(line)).strip()
            return Original(Address(address.group(), name), subject, "\n".join(lines[j:]).strip(), None, above)
        i = j + 1 if j > i else i + 1
    return None
