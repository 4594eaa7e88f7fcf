"""Which language to answer in: Chinese when the customer wrote Chinese, else English."""

from __future__ import annotations

import re

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_language(subject: str, text: str, default: str = "en") -> str:
    sample = f"{subject}\n{text[:2000]}"
    han = len(HAN.findall(sample))
    if han == 0:
        return "en" if LATIN_WORD.search(sample) else default
    # A Chinese mail quoting English logs is still Chinese; a few Han in an English mail is not.
    words = len(LATIN_WORD.findall(sample))
    return "zh" if han >= 5 or han >= words else "en"
