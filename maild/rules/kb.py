"""The knowledge base (G17): an entry made of a resolved typical case, and the search that
finds entries for a new mail, in Chinese and English alike.

Chinese has no spaces between words and most of its words are two characters long, shorter
than the three a trigram index needs (SQLite FTS5's trigram tokenizer, PostgreSQL's pg_trgm
find nothing for 登录 or 验证码's 验证). So the terms here are the character pairs of a Chinese
run and the words of Latin text (lower-cased, a plural or -ing/-ed ending taken off), weighed
by how rare they are among the entries (BM25's idf). The index is a few dictionaries in memory,
built from the published entries: a knowledge base holds hundreds of entries, not millions.

"Only real matches": a mail is about an entry when it shares enough distinct terms with it that
are not the small talk of every support mail (您好, 无法, please, problem); a word counts more
than a character pair, which two neighbouring words also make by chance.

Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
WORD_WEIGHT = 1.5  # a Latin word says more than a Chinese character pair
REAL_MATCH = 3.0  # the shared weight a suggestion needs: two words, or three pairs
SEARCH_TEXT = 4000  # characters of a mail's text looked at: the problem is told at the start

# The words of every support mail, which say nothing about what it is about.
STOP_PAIRS = frozenset("""
您好 你好 谢谢 感谢 问题 请问 麻烦 帮忙 一下 可以 没有 现在 今天 昨天 已经 我们 你们 他们 公司 客户 用户 时候 情况
处理 需要 进行 发现 出现 使用 无法 不能 不了 如何 怎么 什么 为什么 是否 能否 一个 这个 那个 还是 但是 因为 所以
如果 或者 以及 然后 目前 系统 功能 正常 非常 希望 尽快 附件 截图 祝好 此致 敬礼 联系 电话 邮件 回复 收到
""".split())
STOP_WORDS = frozenset("""
a an the and or but if of to in on at for from by with about as is are was were be been being it its this that
these those i me my we our you your he she they them their there here not no can cannot could would should will
shall may might do does did done have has had please thanks thank hi hello dear regards best help issue problem
problems error errors question get got when what why how which who any some all also just still yet very since
after before again now today yesterday our us team support system re fw fwd
""".split())


def terms(text: str) -> Counter[str]:
    """The text's search terms with their counts: Chinese character pairs, Latin words."""
    found: Counter[str] = Counter()
    lowered = text.lower()
    for run in CJK.findall(lowered):
        found.update(pair for pair in (run[i:i + 2] for i in range(len(run) - 1)) if pair not in STOP_PAIRS)
    for word in LATIN.findall(lowered):
        stem = _stem(word)
        if len(stem) > 1 and stem not in STOP_WORDS and word not in STOP_WORDS:
            found[stem] += 1
    return found


def _stem(word: str) -> str:
    """Enough of an English stem that "logins", "logging" and "logged" meet "login" and "log"."""
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3 and not word.endswith("ss"):
            word = word[:-len(ending)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":  # logg → log
        word = word[:-1]
    return word


def _weight(term: str) -> float:
    return WORD_WEIGHT if term.isascii() else 1.0


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    score: float
    steps: str = ""  # what the customer can try, shown in a suggestion


class KbIndex:
    """The published entries' terms; `search` ranks them for a text."""

    def __init__(self, entries: list[tuple[int, str, str, str]]) -> None:
        """`entries`: (id, title, what it is about: type, module, question and answer; its steps)."""
        self.titles = {entry_id: title for entry_id, title, _, _ in entries}
        self.steps = {entry_id: steps for entry_id, _, _, steps in entries}
        # The title counts twice: it names the problem.
        self.terms = {entry_id: terms(f"{title}\n{title}\n{text}\n{steps}") for entry_id, title, text, steps in entries}
        counts: Counter[str] = Counter(term for found in self.terms.values() for term in found)
        total = len(entries)
        self.idf = {term: math.log(1 + (total - n + 0.5) / (n + 0.5)) for term, n in counts.items()}
        self.length = {entry_id: sum(found.values()) for entry_id, found in self.terms.items()}
        self.average = (sum(self.length.values()) / total) if total else 1.0

    def search(self, text: str, limit: int, least: float = 0.0) -> list[Hit]:
        """The entries sharing terms with the text, best first; `least`: the shared weight an
        entry needs (REAL_MATCH for a suggestion in an acknowledgement)."""
        if not self.terms or limit <= 0:
            return []
        wanted = terms(text[:SEARCH_TEXT])
        hits = []
        for entry_id, found in self.terms.items():
            shared = wanted.keys() & found.keys()
            if not shared or sum(_weight(t) for t in shared) < least:
                continue
            norm = 1.2 * (0.25 + 0.75 * self.length[entry_id] / self.average)
            score = sum(_weight(t) * self.idf[t] * found[t] * 2.2 / (found[t] + norm) for t in shared)
            hits.append(Hit(entry_id, self.titles[entry_id], round(score, 4), self.steps[entry_id]))
        return sorted(hits, key=lambda hit: (-hit.score, hit.id))[:limit]

    def suggest(self, subject: str, text: str, limit: int) -> list[Hit]:
        """What a new ticket's acknowledgement suggests: only entries the mail is really about."""
        return self.search(f"{subject}\n{text}", limit, REAL_MATCH)


EMPTY = KbIndex([])


@dataclass(frozen=True)
class KbSource:
    """What an entry is made of: the resolved ticket proposed with #kb."""

    subject: str
    title: str | None  # #kb TITLE; None: the subject
    problem_type: str | None
    module: str | None
    description: str | None  # the symptom, from the intake record (T1)
    root_cause: str | None
    solution: str | None
    test_result: str | None


@dataclass(frozen=True)
class KbDraft:
    title: str
    problem_type: str | None
    module: str | None
    steps: str
    faq: str


def entry_from(source: KbSource) -> KbDraft:
    """The entry: its title, where it applies, the steps (the solution and how it was verified)
    and the FAQ (the question as the customer put it, and the answer: the cause)."""
    title = (source.title or "").strip() or source.subject
    steps = "\n".join(line for line in ((source.solution or "").strip(),
                                        f"验证 / Verified: {source.test_result.strip()}" if source.test_result else "")
                      if line)
    question = (source.description or "").strip() or source.subject
    answer = (source.root_cause or "").strip() or (source.solution or "").strip()
    return KbDraft(title, source.problem_type, source.module, steps, f"Q: {question}\nA: {answer}")
