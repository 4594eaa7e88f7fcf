"""Which mail gets no automatic answer, and which opens no ticket: a table of rules.

Screened mail is still stored and, where it belongs to a ticket, attached to it.
The first row that matches gives the reason shown to staff; every rule is a plain predicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..parsing import Address, ParsedMail

BULK_PRECEDENCE = {"bulk", "junk", "list"}
# RFC 5321 §4.1.2 Mailbox, dot-atom form and ASCII only: what any SMTP server accepts in RCPT TO.
MAILBOX = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
ANSWERABLE = re.compile(f"^{MAILBOX.pattern}$")
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
    answer_within: float = 259200  # seconds after the server received a mail: later, no automatic answer


@dataclass(frozen=True)
class MailboxFacts:
    """What the mailbox said of a mail when it was fetched."""

    age: float | None = None  # seconds from the server receiving it (INTERNALDATE) to now
    answered: bool = False  # flagged \Answered: a person has answered it already


@dataclass(frozen=True)
class ScreenInput:
    """What a rule looks at: the mail, the policy, how many automatic mails we sent lately to
    the address an answer would go to, and what the mailbox said of it."""

    mail: ParsedMail
    policy: ScreenPolicy
    recent_auto_replies: int = 0
    mailbox: MailboxFacts = MailboxFacts()

    def header(self, name: str) -> str:
        return (self.mail.header(name) or "").strip()


def reply_target(mail: ParsedMail) -> Address | None:
    """Where an automatic answer goes: the sender (From). A Reply-To counts only within the From's
    domain: anyone may write someone else's address there and have maild mail them."""
    sender = mail.sender
    if mail.reply_to and sender and domain_of(mail.reply_to[0].key) == domain_of(sender.key) != "":
        return mail.reply_to[0]
    return sender


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower() if "@" in address else ""


def reply_address(mail: ParsedMail) -> str:
    target = reply_target(mail)
    return target.address if target else ""


# -- machines: hard evidence, no ticket of their own ----------------------------------------

def carries_our_loop_header(s: ScreenInput) -> bool:
    return s.mail.header(s.policy.loop_header) is not None


def is_report(s: ScreenInput) -> bool:
    # RFC 6522: multipart/report is only ever a machine's report (DSN, MDN, feedback).
    return s.mail.content_type == "multipart/report"


def has_null_return_path(s: ScreenInput) -> bool:
    # RFC 5321 §4.5.5: a null reverse-path marks a notification that must never be answered.
    return s.mail.return_path == ""


def comes_from_a_mailer_daemon(s: ScreenInput) -> bool:
    sender = s.mail.sender.key if s.mail.sender else ""
    return bool(DAEMON_SENDERS.match(sender) or DAEMON_SENDERS.match(s.mail.return_path or ""))


def is_auto_submitted(s: ScreenInput) -> bool:
    # RFC 3834 §5: any Auto-Submitted value other than "no".
    return not (s.header("auto-submitted").lower() or "no").startswith("no")


def has_auto_reply_precedence(s: ScreenInput) -> bool:
    return s.header("precedence").lower() == "auto_reply"


def has_x_autoreply(s: ScreenInput) -> bool:
    return s.mail.header("x-autoreply") is not None


def has_x_autorespond(s: ScreenInput) -> bool:
    return s.mail.header("x-autorespond") is not None


def is_qq_auto_reply(s: ScreenInput) -> bool:
    # QQ Mail's holiday replies carry no RFC 3834 header, only their own.
    return s.header("x-qq-auto-reply").lower() in ("true", "yes", "1")


def is_apple_vacation(s: ScreenInput) -> bool:
    return s.header("x-apple-action").upper() == "VACATION"


# -- mail from before maild: a person wrote it, but an answer now would come too late ---------

def is_older_than_the_answer_window(s: ScreenInput) -> bool:
    # The first run on a mailbox with years of mail in it must not answer all of them.
    return s.mailbox.age is not None and s.mailbox.age > s.policy.answer_within


def was_answered_on_the_server(s: ScreenInput) -> bool:
    return s.mailbox.answered


# -- weaker signs: a person may have written it, so the team sees it, unanswered -------------

def has_bounce_subject(s: ScreenInput) -> bool:
    return bool(BOUNCE_SUBJECTS.match(s.mail.subject))


def has_auto_reply_subject(s: ScreenInput) -> bool:
    return bool(AUTO_REPLY_SUBJECTS.match(s.mail.subject))


def asks_for_no_auto_response(s: ScreenInput) -> bool:
    # Exchange's X-Auto-Response-Suppress asks us not to answer; people's Outlook sets it too.
    return s.mail.header("x-auto-response-suppress") is not None


def has_bulk_precedence(s: ScreenInput) -> bool:
    return s.header("precedence").lower() in BULK_PRECEDENCE


def comes_from_a_list(s: ScreenInput) -> bool:
    # RFC 2919: List-Id marks mailing-list traffic; answering it would write to the whole list.
    return s.mail.header("list-id") is not None


def has_no_sender(s: ScreenInput) -> bool:
    return s.mail.sender is None or not s.mail.sender.key


def has_unanswerable_address(s: ScreenInput) -> bool:
    return s.mail.sender is not None and not ANSWERABLE.match(reply_address(s.mail))


def is_past_the_rate_limit(s: ScreenInput) -> bool:
    # A flood from one address (or a forged Reply-To aimed at a victim) gets tickets, not answers.
    return s.recent_auto_replies >= s.policy.auto_reply_limit


Rule = Callable[[ScreenInput], bool]

# (reason, rule, opens a ticket), in order.
RULES: tuple[tuple[str, Rule, bool], ...] = (
    ("own-loop", carries_our_loop_header, False),
    ("bounce", is_report, False),
    ("bounce", has_null_return_path, False),
    ("bounce", comes_from_a_mailer_daemon, False),
    ("auto-reply", is_auto_submitted, False),
    ("auto-reply", has_auto_reply_precedence, False),
    ("auto-reply", has_x_autoreply, False),
    ("auto-reply", has_x_autorespond, False),
    ("auto-reply", is_qq_auto_reply, False),
    ("auto-reply", is_apple_vacation, False),
    ("old-mail", is_older_than_the_answer_window, True),
    ("answered", was_answered_on_the_server, True),
    ("looks-automatic", has_bounce_subject, True),
    ("looks-automatic", has_auto_reply_subject, True),
    ("no-answer-asked", asks_for_no_auto_response, True),
    ("bulk", has_bulk_precedence, True),
    ("bulk", comes_from_a_list, True),
    ("no-sender", has_no_sender, True),
    ("bad-address", has_unanswerable_address, True),
    ("rate-limit", is_past_the_rate_limit, True),
)


@dataclass(frozen=True)
class Verdict:
    """One row of the table on one mail, for its decision trace."""

    reason: str
    rule: str  # the predicate's name, which says what it looks for
    matched: bool
    opens_ticket: bool


def verdicts(mail: ParsedMail, policy: ScreenPolicy, recent_auto_replies: int,
             mailbox: MailboxFacts = MailboxFacts()) -> tuple[Verdict, ...]:
    """Every row's verdict, in order (screen stops at the first that matches)."""
    seen = ScreenInput(mail, policy, recent_auto_replies, mailbox)
    return tuple(Verdict(reason, rule.__name__, rule(seen), opens_ticket) for reason, rule, opens_ticket in RULES)


def screen(mail: ParsedMail, policy: ScreenPolicy, recent_auto_replies: int,
           mailbox: MailboxFacts = MailboxFacts()) -> Screening:
    """`recent_auto_replies`: automatic mails sent to the answer's address within the rate window."""
    seen = ScreenInput(mail, policy, recent_auto_replies, mailbox)
    for reason, rule, opens_ticket in RULES:
        if rule(seen):
            return Screening(reason, opens_ticket)
    return Screening()
