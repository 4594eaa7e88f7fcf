"""The satisfaction survey (G15, T3): when it goes, to whom it does not, what a customer's answer
says, and whether a survey link still holds.

Pure: times, addresses and text in; values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..parsing import Address
from .actions import Action, QueueMail, RecordEvent, RecordSurvey
from .calendar import WorkCalendar
from .routing import Roster

RATINGS = ("satisfied", "basically-satisfied", "unsatisfied")  # T3's, as the survey's form fields name them
BY_NUMBER = {"1": "satisfied", "2": "basically-satisfied", "3": "unsatisfied"}
BY_WORD = {"满意": "satisfied", "基本满意": "basically-satisfied", "不满意": "unsatisfied",
           "satisfied": "satisfied", "basically satisfied": "basically-satisfied",
           "basically-satisfied": "basically-satisfied", "unsatisfied": "unsatisfied"}
# A number 1-3 standing alone, a rating word, or both ("2 基本满意"), at the start of the first line.
# Longer words first: 不满意 and 基本满意 end in 满意. "满意度" (satisfaction) is no answer.
_ANSWER = re.compile(r"\s*(?:(?P<number>[123])(?![0-9])[\s.、,，:：)）-]*)?"
                     r"(?P<word>基本满意|不满意|满意(?!度)|basically[ -]satisfied(?![a-z])|unsatisfied(?![a-z])"
                     r"|satisfied(?![a-z]))?", re.IGNORECASE)
_PUNCTUATION = " \t.。,，;；:：!！-—"

# A customer's last mail screened so: a machine answers there (a bounce, an out-of-office), or
# nobody wants automatic mail; no survey goes to it.
NO_SURVEY_SCREENINGS = {"bounce", "auto-reply", "looks-automatic", "no-answer-asked", "bulk", "no-sender",
                        "bad-address"}
_MACHINE_MAILBOX = re.compile(r"(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+._-]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    rating: str  # of RATINGS
    suggestions: str


def read_answer(text: str) -> Answer | None:
    """The rating the first line of a reply gives (its quoted history already gone), and the rest
    as the suggestions; None when it gives none, or a number and a word that disagree."""
    lines = text.strip().splitlines()
    if not lines:
        return None
    found = _ANSWER.match(lines[0])
    assert found is not None  # every group is optional
    number, word = found["number"], found["word"]
    by_number = BY_NUMBER.get(number or "")
    by_word = BY_WORD.get(re.sub(r"\s+", " ", word.lower())) if word else None
    if not (by_number or by_word) or (by_number and by_word and by_number != by_word):
        return None
    rest = [lines[0][found.end():].lstrip(_PUNCTUATION), *lines[1:]]
    return Answer(by_word or by_number or "", "\n".join(rest).strip())


@dataclass(frozen=True)
class Surveyed:
    """The ticket an answer is about, as the supervisors' notice names it."""

    number: str
    customer: str
    customer_name: str
    subject: str
    assignee: str | None


def answered(ticket: Surveyed, answer: Answer, via: str, key: str, roster: Roster, language: str,
             by: str = "maild") -> list[Action]:
    """The answer kept (T3) and on the trail; "unsatisfied" tells the supervisors at once.
    `via`: "reply", "link" or "staff"; `key`: what makes this answer's notices once-only; `by`:
    who took it, maild or the staff member who asked the customer (by phone, say)."""
    said = f"{answer.rating} (by {via})"
    done: list[Action] = [RecordSurvey(ticket.customer, answer.rating, answer.suggestions, by),
                          RecordEvent("survey-answer", ticket.customer if by == "maild" else by, said,
                                      answer.suggestions or None)]
    if answer.rating == "unsatisfied":
        assignee = roster.member(ticket.assignee or "")
        context = {"customer": ticket.customer, "customer_name": ticket.customer_name, "via": via,
                   "suggestions": answer.suggestions, "assignee": assignee.name if assignee else ticket.assignee}
        done += [QueueMail("unsatisfied", f"unsatisfied:{key}:{e.address}", Address(e.address, e.name), language,
                           ticket.subject, context, on_thread=False) for e in roster.with_role("supervisor")]
    return done


def survey_due(resolved_at: datetime, after: int, calendar: WorkCalendar) -> datetime:
    """`after` seconds past the resolution, and never later than one working day after it."""
    return min(resolved_at + timedelta(seconds=after), calendar.add_working_days(resolved_at, 1))


@dataclass(frozen=True)
class SurveyFacts:
    """What the store knows that bears on surveying a ticket's customer."""

    last_sent_to_customer: datetime | None  # the latest survey that went to this address
    customer_mail_screened: str | None  # how the customer's latest mail on the ticket was screened


def why_no_survey(customer: str, is_staff: bool, reopened: bool, facts: SurveyFacts, now: datetime,
                  resend_after_days: int) -> str | None:
    """Why this ticket's customer gets no survey; None: they get one."""
    if not customer:
        return "the ticket has no customer address"
    if is_staff:
        return f"{customer} is on the staff"
    if reopened:
        return "the ticket was reopened"
    if _MACHINE_MAILBOX.match(customer.partition("@")[0]):
        return f"{customer} is a machine's address"
    if facts.customer_mail_screened in NO_SURVEY_SCREENINGS:
        return f"the customer's latest mail was screened: {facts.customer_mail_screened}"
    last = facts.last_sent_to_customer
    if last is not None and now - last < timedelta(days=resend_after_days):
        return f"{customer} was surveyed on {last:%Y-%m-%d} (survey.resend_after_days = {resend_after_days})"
    return None


@dataclass(frozen=True)
class LinkClaims:
    """What a survey link's signed token says: the survey it answers, and until when."""

    number: str  # the ticket's
    survey: int  # the survey row's id: a link of an earlier survey answers nothing newer
    expires: datetime

    def as_dict(self) -> dict[str, object]:
        return {"t": self.number, "s": self.survey, "e": int(self.expires.timestamp())}

    @classmethod
    def from_dict(cls, claims: dict[str, object]) -> "LinkClaims | None":
        """None for claims of another shape (signed by this key, so never a customer's doing)."""
        number, survey, expires = claims.get("t"), claims.get("s"), claims.get("e")
        if not (isinstance(number, str) and isinstance(survey, int) and isinstance(expires, int)):
            return None
        return cls(number, survey, datetime.fromtimestamp(expires, timezone.utc))
