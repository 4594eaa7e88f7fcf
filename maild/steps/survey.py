"""The satisfaction survey's web side (G15): the survey mail's links, one per rating, each with a
signed token bound to the ticket's survey and its expiry; and what the endpoint answers to them.

Not a step of the mail loop: the wiring hands `SurveyLinks.links` to the timers step, which writes
the survey mail, and `SurveyDesk` to the web endpoint (maild/web.py), which speaks HTTP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from urllib.parse import urlencode

from ..adapters.signing import Signer
from ..config import Config
from ..errors import TokenForged
from ..outgoing.notices import MailWriter
from ..rules import actions
from ..rules.survey import RATINGS, Answer, LinkClaims, Surveyed, answered
from ..rules.routing import roster_from
from ..store import surveys, tickets
from ..store.db import transaction
from ..store.secrets import survey_secret
from ..store.surveys import SurveyRow
from . import queue_notice

log = logging.getLogger(__name__)

PURPOSE = "maild-survey-link"  # the signing salt: a token signed for anything else is forged here


class SurveyLinks:
    def __init__(self, config: Config) -> None:
        self.survey = config.survey
        self.state_dir = config.helpdesk.state_dir
        self._signer: Signer | None = None  # the key is read at the first link, not at start

    @property
    def enabled(self) -> bool:
        """Links only where an endpoint answers them: survey.listen is set."""
        return self.survey.listen is not None

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            self._signer = Signer(survey_secret(self.survey, self.state_dir), PURPOSE)
        return self._signer

    def links(self, number: str, survey_id: int, now: datetime) -> dict[str, str]:
        """Rating → its link; none without an endpoint."""
        if not self.enabled:
            return {}
        claims = LinkClaims(number, survey_id, now + timedelta(seconds=self.survey.token_ttl))
        token = self.signer.sign(claims.as_dict())
        return {rating: f"{self.survey.public_url}?{urlencode({'token': token, 'rating': rating})}"
                for rating in RATINGS}

    def read(self, token: str) -> LinkClaims:
        """What a link's token says; TokenForged when this key did not sign it as a survey link."""
        claims = LinkClaims.from_dict(self.signer.claims(token))
        if claims is None:
            raise TokenForged("the link carries no survey")
        return claims


@dataclass(frozen=True)
class Page:
    status: int  # HTTP
    html: str


# What a customer sees when a link does not hold: in both languages (the link says neither), and
# nothing of why beyond that.
REFUSALS = {
    400: ("请选择一项评价。", "Please choose a rating."),
    403: ("此链接无效。", "This link is not valid."),
    410: ("此链接已过期。如需反馈，请直接回复满意度调查邮件。",
          "This link has expired. To give your feedback, reply to the survey mail."),
}


def refusal(status: int) -> Page:
    zh, en = REFUSALS[status]
    return Page(status, f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{status}</title></head>'
                        f"<body><p>{zh}</p><p>{en}</p></body></html>\n")


class SurveyDesk:
    """What the endpoint answers. A GET shows the survey with the link's rating chosen and records
    nothing (mail scanners follow every link); a POST records the answer, which replaces an
    earlier one until the link expires. A forged token: 403; an expired one: 410 — both alike."""

    def __init__(self, config: Config, writer: MailWriter, links: SurveyLinks,
                 queued: Callable[[], None] = lambda: None) -> None:
        self.config = config
        self.writer = writer
        self.renderer = writer.renderer
        self.links = links
        self.roster = roster_from(config)
        self.queued = queued  # called after a commit that queued mail (the outbox loop wakes)

    def show(self, token: str, rating: str, now: datetime) -> Page:
        with transaction():
            found = self._survey(token, now)
        if isinstance(found, Page):
            return found
        chosen = rating if rating in RATINGS else (found.rating or "")
        return Page(200, self.renderer.page("survey-page", found.language, self._context(found, token, chosen)))

    def answer(self, token: str, rating: str, suggestions: str, now: datetime) -> Page:
        with transaction():
            found = self._survey(token, now)
            if isinstance(found, Page):
                return found
            if rating not in RATINGS:
                return refusal(400)
            queued = self._record(found, Answer(rating, suggestions.strip()), now)
        log.info("ticket %s: survey answered by link: %s", found.number, rating)
        if queued:
            self.queued()
        return Page(200, self.renderer.page("survey-thanks", found.language,
                                            self._context(found, token, rating)))

    def _survey(self, token: str, now: datetime) -> SurveyRow | Page:
        try:
            claims = self.links.read(token)
        except TokenForged:
            return refusal(403)
        if now >= claims.expires:
            return refusal(410)
        found = surveys.by_id(claims.survey)
        if found is None or found.number != claims.number:  # the ticket is gone since
            return refusal(410)
        return found

    def _record(self, survey: SurveyRow, answer: Answer, now: datetime) -> bool:
        """The answer and what it causes, carried out; True when it queued mail."""
        about = Surveyed(survey.number, survey.customer, survey.customer_name, survey.subject, survey.assignee)
        done = answered(about, answer, "link", f"survey-link:{survey.id}:{answer.rating}", self.roster,
                        self.config.helpdesk.default_language)
        queued = False
        for action in done:
            match action:
                case actions.RecordSurvey(customer, rating, suggestions, by):
                    surveys.answer(survey.ticket_id, customer, rating, suggestions, by, now)
                case actions.RecordEvent(kind, actor, detail, feedback):
                    tickets.add_events(survey.ticket_id, now, [(kind, actor, detail, survey.status, feedback)])
                case actions.QueueMail():
                    fresh, _ = queue_notice(action, (survey.ticket_id, survey.number), None, self.writer, now)
                    queued = queued or fresh
        return queued

    def _context(self, survey: SurveyRow, token: str, rating: str) -> dict[str, object]:
        return {"number": survey.number, "subject": survey.subject, "helpdesk_name": self.config.helpdesk.name,
                "token": token, "rating": rating, "suggestions": survey.suggestions or ""}
