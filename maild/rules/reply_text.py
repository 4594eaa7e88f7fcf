"""What a reply adds: its text without the quoted history below (or above) it and without the
signature, as the common mail clients write them.

Gmail and Apple Mail ("On … wrote:", "在 … 写道："), Outlook ("-----Original Message-----", a
"From: … Sent: …" block, the line of underscores), Foxmail, QQ and NetEase ("------------------
原始邮件 ------------------", "… 于 … 写道："), Thunderbird, `>` quotes; signatures after "-- " and
the phone clients' "Sent from my iPhone" / "发自我的iPhone". Pure text in, text out.
"""

from __future__ import annotations

import re

# A line that begins the quoted history: everything from it on is the earlier mail.
_HISTORY = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:original message|original|原始邮件|原邮件|邮件原文)\s*-{2,}"  # Outlook, AOL, Foxmail, QQ, NetEase
    r"|_{10,}"  # Outlook on the web, before its header block
    r"|-{5,}\s*(?:回复的原邮件|reply message)\s*-{5,}"
    r")\s*$", re.IGNORECASE)
# The first line of a quoted header block ("From: …" then "Sent:"/"Date:"/"To:"/"Subject:").
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|发件人|寄件者)\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(?:sent|date|to|cc|subject|发送时间|日期|时间|收件人|抄送|主题)\*?\s*[:：]",
                          re.IGNORECASE)
# "On Mon, Apr 2, 2012 at 6:26 PM, Megan One <x@y> wrote:", "在 2026年11月25日 … 写道：",
# "张三 于 2026-11-25 写道：", "… пользователь … написал:", "… a écrit :", "… schrieb:"; clients
# wrap it over two or three lines.
_ATTRIBUTION = re.compile(r"(?:wrote|写道|寫道|написал|a écrit|schrieb|escribió|scrisse)\s*[:：]\s*$", re.IGNORECASE)
ATTRIBUTION_LINES = 3
# An attribution starts with its date or with the word that introduces it, never with the reply.
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|在|le|am|el|il)\b|\d", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*[-_=*]{5,}\s*$")
_SIGNATURE = re.compile(
    r"^\s*(?:sent from my \w+|sent from (?:mail|outlook) for \w+|get outlook for \w+|sent with sparrow"
    r"|sent from yahoo mail|发自我的\w+|来自我的\w+|从我的\w+发送|发自\s*\w*邮箱)", re.IGNORECASE)


def new_text(text: str) -> str:
    """The reply's own text: no quoted history, no signature."""
    return without_signature(without_quotes(text))


def without_quotes(text: str) -> str:
    """The text without the quoted earlier mail, wherever the client put it."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _HISTORY.match(line) or _header_block_at(lines, i):
            break
        span = _attribution_at(lines, i)
        if span:
            after = i + span
            if _quote_follows(lines, after):  # "On … wrote:" then "> …": drop both, read on
                i = _after_quote(lines, after)
                continue
            break  # an attribution over unquoted history: the rest is the earlier mail
        if not line.lstrip().startswith(">"):
            kept.append(line)
        i += 1
    while kept and (not kept[-1].strip() or _SEPARATOR.match(kept[-1])):  # the rule above a cut history
        kept.pop()
    return _tidy(kept)


def without_signature(text: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ") or _SIGNATURE.match(line):
            return _tidy(lines[:i])
    return text


def _header_block_at(lines: list[str], i: int) -> bool:
    """Outlook's "From: …" followed, within a few lines, by two more header lines."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [line for line in lines[i + 1:i + 6] if line.strip()]
    return sum(1 for line in following[:4] if _HEADER_NEXT.match(line)) >= 2


def _attribution_at(lines: list[str], i: int) -> int:
    """How many lines an attribution starting at line i takes (0: none starts here)."""
    if lines[i].lstrip().startswith(">") or not _ATTRIBUTION_START.search(lines[i]):
        return 0
    joined = ""
    for span in range(1, ATTRIBUTION_LINES + 1):
        if i + span > len(lines) or not lines[i + span - 1].strip():
            return 0
        joined = f"{joined} {lines[i + span - 1].strip()}"
        if _ATTRIBUTION.search(joined) and len(joined) < 300:
            return span
    return 0


def _quote_follows(lines: list[str], i: int) -> bool:
    rest = [line for line in lines[i:] if line.strip()]
    return bool(rest) and rest[0].lstrip().startswith(">")


def _after_quote(lines: list[str], i: int) -> int:
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith(">")):
        i += 1
    return i


def _tidy(lines: list[str]) -> str:
    """Without trailing white space at the end, and with at most one blank line in a row."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line.rstrip("\r"))
    return "\n".join(out).strip()
