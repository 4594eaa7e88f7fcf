"""parse_mail over the shared corpus of real-world mail, read in place (never copied).

One test per property, each iterating every file and collecting failures: a parametrized
test per file would cost more than the parsing. Each file is one raw mail, mbox files
included (the daemon stores a file's bytes as one mail too).
"""

from __future__ import annotations

import email
import hashlib
import json
import re
from email.policy import compat32
from pathlib import Path

import pytest

from maild.parsing import ParsedMail, message_key, mime_tree, parse_mail
from maild.parsing.multipart import parse_multipart

from .corpus import CORPUS, require_corpus

NOT_MAIL = {"README.md", "SOURCE.md"}
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
RETURNED_MESSAGE_TYPES = ("message/rfc822", "text/rfc822-headers")


@pytest.fixture(autouse=True, scope="module")
def corpus() -> Path:
    return require_corpus()


def corpus_files() -> list[Path]:
    return sorted(
        path for path in CORPUS.rglob("*")
        if path.is_file() and path.name not in NOT_MAIL and path.suffix not in (".json", ".jsonl")
    )


@pytest.fixture(scope="module")
def parsed() -> dict[str, tuple[bytes, ParsedMail | Exception]]:
    """Every file: its bytes, its ParsedMail (or what parse_mail raised), seconds taken."""
    results: dict[str, tuple[bytes, ParsedMail | Exception]] = {}
    for path in corpus_files():
        raw = path.read_bytes()
        try:
            outcome: ParsedMail | Exception = parse_mail(raw)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            outcome = exc
        results[str(path.relative_to(CORPUS))] = (raw, outcome)
    return results


@pytest.fixture(scope="module")
def cjk_labelled() -> set[str]:
    lines = (CORPUS / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return {label["path"] for label in map(json.loads, filter(None, lines)) if label.get("cjk_text")}


def test_corpus_is_all_there(parsed: dict[str, tuple[bytes, ParsedMail | Exception]]) -> None:
    assert len(parsed) >= 1297


def test_parse_mail_never_raises_on_the_corpus(parsed: dict[str, tuple[bytes, ParsedMail | Exception]]) -> None:
    raised = [f"{name}: {outcome!r}" for name, (_, outcome) in parsed.items() if not isinstance(outcome, ParsedMail)]
    assert raised == []


def test_message_key_agrees_with_parse_mail(parsed: dict[str, tuple[bytes, ParsedMail | Exception]]) -> None:
    disagreements = []
    for name, (raw, outcome) in parsed.items():
        expected = getattr(outcome, "message_id", None) or "sha256:" + hashlib.sha256(raw).hexdigest()
        if message_key(raw) != expected:
            disagreements.append(f"{name}: {message_key(raw)!r} != {expected!r}")
    assert disagreements == []


def readable_text(mail: ParsedMail) -> str:
    """Subject and text, plus those of a returned message (a bounce's CJK lives there).

    ParsedMail keeps an attached or returned message out of ``text`` on purpose; a reader
    of the bounce parses that attachment again, and so does this test.
    """
    pieces = [mail.subject, mail.text]
    for attachment in mail.attachments:
        if attachment.content_type in RETURNED_MESSAGE_TYPES:
            returned = parse_mail(attachment.payload)
            pieces += [returned.subject, returned.text]
    return "\n".join(pieces)


def replacement_characters_in_source(raw: bytes) -> bool:
    """The sender's own text already holds U+FFFD (an earlier hop mangled it).

    Checked with the plain stdlib, independently of maild: some text part's decoded
    bytes contain the UTF-8 encoding of U+FFFD.
    """
    for part in email.message_from_bytes(raw, policy=compat32).walk():
        data = part.get_payload(decode=True) if part.get_content_maintype() == "text" else None
        if isinstance(data, bytes) and b"\xef\xbf\xbd" in data:
            return True
    return False


def test_cjk_mail_decodes_to_clean_cjk_text(
    parsed: dict[str, tuple[bytes, ParsedMail | Exception]], cjk_labelled: set[str]
) -> None:
    clean, damaged_at_source, failed = [], [], []
    for name in sorted(cjk_labelled & parsed.keys()):
        raw, outcome = parsed[name]
        text = readable_text(outcome) if isinstance(outcome, ParsedMail) else ""
        if CJK.search(text) and "\ufffd" not in text:
            clean.append(name)
        elif replacement_characters_in_source(raw):
            damaged_at_source.append(name)
        else:
            failed.append(f"{name}: cjk={bool(CJK.search(text))} U+FFFD={text.count(chr(0xFFFD))}")
    judged = len(clean) + len(failed)
    print(f"\nCJK-labelled: {len(cjk_labelled)}; clean: {len(clean)}; "
          f"U+FFFD already in the source: {len(damaged_at_source)} {damaged_at_source}; failed: {failed}")
    assert judged >= 80
    assert len(clean) >= 0.95 * judged, failed


def test_splitting_at_boundaries_reads_every_mail_as_the_full_parse_does(
        parsed: dict[str, tuple[bytes, ParsedMail | Exception]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mime_tree, "parse_multipart", lambda data, policy: None)
    differ = [name for name, (raw, outcome) in parsed.items() if parse_mail(raw) != outcome]
    split = sum(parse_multipart(raw, mime_tree.PARSER.parser.policy) is not None for raw, _ in parsed.values())
    assert differ == []
    assert split > 200  # the fast way is the common one for real multipart mail, not a rarity
