"""Which mail gets no automatic answer, and which opens no ticket: a table of rules.

Screened mail is still stored and, where it belongs to a ticket, attached to it.
Order matters only for the reason shown; every rule is a plain predicate on the parsed mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .parse import Address, ParsedMail

BULK_PRECEDENCE = {"bulk", "junk", "list"}
# RFC 5321 §4.1.2 Mailbox, dot-atom form and ASCII only: what any SMTP server accepts in RCPT TO.
ANSWERABLE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
DAEMON_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|noreply-dsn|mail\.delivery\.system)@",
                            re.I)
# Subjects that MTAs and vacation responders put first; a person forwarding one writes "Fwd:" before it.
BOUNCE_SUBJECTS = re.compile(
    r"^\s*(returned mail|undelivered mail|undeliverable|delivery status notification|delivery failure|"
    r"mail delivery failed|mail could not be delivered|delivery has failed|failure notice|"
    r"returned mail - error during delivery|系统退信|退信|邮件投递失败|投递失败)", re.I)
AUTO_REPLY_SUBJECTS = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|auto(matische)? ?antwort|out of (the )?office|abwesenheitsnotiz|"
    r"自动回复|自動回覆|自动答复)\b", re.I)


@dataclass(frozen=True)
class Screening:
    reason: str | None = None  # None: a person wrote this and may be answered
    opens_ticket: bool = True  # bounces and auto-replies never open tickets of their own

    @property
    def answer(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class ScreenPolicy:
    loop_header: str
    auto_reply_limit: int


def is_our_loop(mail: ParsedMail, policy: ScreenPolicy) -> bool:
    return mail.header(policy.loop_header) is not None


def is_bounce(mail: ParsedMail, policy: ScreenPolicy) -> bool:
    # RFC 6522: multipart/report is only ever a machine's report (DSN, MDN, feedback), and
    # RFC 5321 §4.5.5: a null reverse-path marks a notification that must never be answered.
    if mail.content_type == "multipart/report" or mail.return_path == "":
        return True
    sender = mail.sender.key if mail.sender else ""
    return bool(DAEMON_SENDERS.match(sender) or DAEMON_SENDERS.match(mail.return_path or ""))


def is_auto_reply(mail: ParsedMail, policy: ScreenPolicy) -> bool:
    # RFC 3834 §5: Auto-Submitted other than "no"; then the headers vendors use instead.
    auto_submitted = (mail.header("auto-submitted") or "no").strip().lower()
    if not auto_submitted.startswith("no"):
        return True
    if (mail.header("precedence") or "").strip().lower() == "auto_reply":
        return True
    if any(mail.header(name) is not None for name in ("x-autoreply", "x-autorespond")):
        return True
    if (mail.header("x-qq-auto-reply") or "").strip().lower() in ("true", "yes", "1"):
        return True
    return (mail.header("x-apple-action") or "").strip().upper() == "VACATION"


def looks_automatic(mail: ParsedMail, policy: ScreenPolicy) -> bool:
    """Only the subject says bounce or out-of-office: a person might have written it."""
    return bool(BOUNCE_SUBJECTS.match(mail.subject) or AUTO_REPLY_SUBJECTS.match(mail.subject))


def asks_for_no_answer(mail: ParsedMail, policy: ScreenPolicy) -> bool:
    # Exchange's X-Auto-Response-Suppress asks us not to answer; people's Outlook sets it too.
    return mail.header("x-auto-response-suppress") is not None


def is_bulk(mail: ParsedMail, policy: ScreenPolicy) -> bool:
    precedence = (mail.header("precedence") or "").strip().lower()
    return precedence in BULK_PRECEDENCE or mail.header("list-id") is not None


# (reason, rule, opens a ticket). Only hard evidence of a machine keeps a mail from opening a
# ticket; on weaker signs (a subject, a list, a request not to answer) a person may have
# written, so the team sees it, unanswered.
RULES: tuple[tuple[str, Callable[[ParsedMail, ScreenPolicy], bool], bool], ...] = (
    ("own-loop", is_our_loop, False),
    ("bounce", is_bounce, False),
    ("auto-reply", is_auto_reply, False),
    ("looks-automatic", looks_automatic, True),
    ("no-answer-asked", asks_for_no_answer, True),
    ("bulk", is_bulk, True),
)


def reply_target(mail: ParsedMail) -> Address | None:
    """Where an answer goes: the first Reply-To, else From."""
    return mail.reply_to[0] if mail.reply_to else mail.sender


def reply_address(mail: ParsedMail) -> str:
    target = reply_target(mail)
    return target.address if target else ""


def screen(mail: ParsedMail, policy: ScreenPolicy, recent_auto_replies: int) -> Screening:
    """`recent_auto_replies`: automatic mails sent to this sender within the rate window."""
    for reason, rule, opens_ticket in RULES:
        if rule(mail, policy):
            return Screening(reason, opens_ticket)
    if mail.sender is None or not mail.sender.key:
        return Screening("no-sender", True)
    if not ANSWERABLE.match(reply_address(mail)):
        return Screening("bad-address", True)
    if recent_auto_replies >= policy.auto_reply_limit:
        return Screening("rate-limit", True)
    return Screening()
