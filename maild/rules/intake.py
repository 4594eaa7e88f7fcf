"""The intake record's fields (guideline G3, T1) that a mail gives away: the customer's
organisation, their phone numbers, and the sentences that describe the problem.

Pure text in, values out; a field the mail does not give is None ("unknown" on the record), never
a guess dressed up as a fact. The organisation comes from the customer directory first, then a
company name in the signature, then the mail domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

# Chinese mobile numbers (138 0013 8000, +86 138-0013-8000) and landlines (010-6552 9988, 0755 8888 6666).
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?\(?0\d{2,3}\)?[\s-]?\d{3,4}[\s-]?\d{4}(?!\d)")
_INTERNATIONAL = re.compile(r"(?<![\d+])\+(?!86)\d{1,3}[\s-]?\(?\d{1,4}\)?(?:[\s-]?\d{2,4}){2,4}(?!\d)")

# A company's name as signatures write it.
_COMPANY = re.compile(r"([\u4e00-\u9fff（）()A-Za-z0-9]{2,40}(?:有限责任公司|股份有限公司|有限公司|集团|公司|研究院|大学|医院|银行))"
                      r"|([A-Z][\w&.,' -]{1,60}?\b(?:Co\.,? Ltd\.?|Ltd\.?|Inc\.?|GmbH|LLC|Corporation|Corp\.?|Limited))")
SIGNATURE_LINES = 12  # a signature is in the last lines of the new text

# Words of a problem's description (G3: symptom, the time it happened, impact scope, environment).
DESCRIBING = ("提示", "报错", "错误", "无法", "不能", "失败", "出现", "开始", "从", "以来", "影响", "所有", "全部", "部分",
              "用户", "员工", "版本", "系统", "浏览器", "windows", "mac", "android", "ios", "chrome", "since",
              "error", "cannot", "can't", "fails", "failed", "when", "affect", "users", "version", "browser")
_DESCRIBING = re.compile("|".join(map(re.escape, DESCRIBING)), re.IGNORECASE)
_SENTENCE = re.compile(r"[^。！？!?\n.]+[。！？!?.]?")
_DIGITS = re.compile(r"\d{3}")  # no phone number without three digits in a row
DESCRIPTION_CHARS = 1000


@dataclass(frozen=True)
class IntakeFacts:
    organisation: str | None
    phones: tuple[str, ...]
    description: str


def intake_facts(address: str, text: str, directory: Mapping[str, str]) -> IntakeFacts:
    """`directory`: lower-cased address or domain → organisation (the config's [[customer]])."""
    return IntakeFacts(organisation(address, text, directory), phones(text), description(text))


def organisation(address: str, text: str, directory: Mapping[str, str]) -> str | None:
    domain = address.rpartition("@")[2]
    known = directory.get(address) or directory.get(domain)
    if known:
        return known
    for line in reversed(text.strip().splitlines()[-SIGNATURE_LINES:]):
        found = _COMPANY.search(line)
        if found:
            return (found.group(1) or found.group(2)).strip()
    return domain or None


def phones(text: str) -> tuple[str, ...]:
    """Every phone number in the text, as written, once each, in order."""
    found: dict[str, None] = {}
    if not _DIGITS.search(text):
        return ()
    for pattern in (_MOBILE, _LANDLINE, _INTERNATIONAL):
        for match in pattern.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if not any(re.sub(r"\D", "", known).endswith(digits[-8:]) for known in found):
                found[match.group().strip()] = None
    return tuple(found)


def description(text: str) -> str:
    """The sentences that say what happens, since when, to whom and where; the whole start of the
    text when none does."""
    said = [s.strip() for s in _SENTENCE.findall(text[:DESCRIPTION_CHARS * 4]) if _DESCRIBING.search(s)]
    chosen = " ".join(said) if said else text.strip()
    return chosen[:DESCRIPTION_CHARS]


URGENCY = {"P0": "紧急", "P1": "高", "P2": "中", "P3": "低"}


def urgency(priority: str) -> str:
    """As the guideline's table writes it: P1(高)."""
    return f"{priority}({URGENCY.get(priority, '?')})"
