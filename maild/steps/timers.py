"""The timers step: the guideline's time rules carried out on time (G2, G9, G12, G13, G15-G17).

One run, one transaction: the tickets due to be looked at (`timers_at` by now: a timer of theirs
is due, or a mail moved them) are claimed, their timers worked out as they stand
(rules.timers.schedule), the due ones latched and fired (rules.timers.fire: mails queued, a line
on the trail), and each ticket told when to be looked at next.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Callable, Mapping

from ..config import Config
from ..outgoing.notices import MailWriter
from ..rules import actions
from ..rules.survey import SurveyFacts
from ..rules.timers import TicketNow, Timer, fire, schedule, timer_policy
from ..store import archive, surveys, tickets, timers
from ..store.db import transaction
from ..store.timers import TicketState
from . import clocks_started, queue_notice, ticket_now, write_kb_entry

# rating → link of a ticket's survey: (number, survey id, now) → links (steps.survey.SurveyLinks)
LinksFor = Callable[[str, int, datetime], Mapping[str, str]]

log = logging.getLogger(__name__)

BATCH = 200  # tickets looked at per run: a transaction of a fraction of a second
class Timers:
    name = "timers"

    def __init__(self, config: Config, writer: MailWriter, survey_links: LinksFor = lambda *_: {}) -> None:
        self.config = config
        self.writer = writer
        self.policy = timer_policy(config)
        self.survey_links = survey_links  # none: the survey is answered by reply only
        self.total = 0  # timers fired since start, for `maild once` to report

    def run(self, now: datetime) -> int:
        """Returns how many tickets it looked at; 0: none was due."""
        with transaction():
            due = timers.tickets_due(now, BATCH)
            for state in timers.ticket_states(due).values():
                self._look(state, now)
        return len(due)

    def next_look(self) -> datetime | None:
        """When a ticket's timers are next to be looked at (the daemon sleeps until then)."""
        return timers.next_look()

    def _look(self, state: TicketState, now: datetime) -> None:
        """Fire the ticket's timers that are due and not fired yet; say when to look next: at its
        next timer, or at once when one fired (it moved: an update counts the next from itself)."""
        if not clocks_started(state):
            timers.look_again(state.id, None)
            return
        ticket = ticket_now(state)
        scheduled = schedule(ticket, now, self.policy)
        waiting = [t for t in scheduled if (t.kind, t.period) not in state.fired]
        fired = [t for t in waiting if t.due <= now and timers.latch(state.id, t.kind, t.period, t.due, now)]
        events = []
        for timer in fired:
            for action in fire(timer, ticket_for(timer, ticket, state), scheduled, now, self.policy):
                if isinstance(action, actions.QueueMail) and action.kind == "survey":
                    self._survey(action, state, now)
                elif isinstance(action, actions.QueueMail):
                    queue_notice(action, (state.id, state.number), None, self.writer, now)
                elif isinstance(action, actions.RecordEvent):
                    events.append((action.kind, action.actor, action.detail, state.status, action.feedback))
                elif isinstance(action, actions.FileInArchive):
                    archive.file_due(state.id, timer.due)
                elif isinstance(action, actions.ReturnFromArchive):
                    archive.start_return(state.id)
                elif isinstance(action, actions.WriteKbEntry):
                    entry = write_kb_entry(state.id, self.config, now)
                    events.append(("kb-entry", "maild", f"entry {entry}", state.status, None))
            log.info("ticket %s: %s fired (due %s)", state.number, timer.kind, timer.due.isoformat())
        if events:
            tickets.add_events(state.id, now, events)
        self.total += len(fired)
        later = [t.due for t in waiting if t.due > now]
        timers.look_again(state.id, now if fired else min(later, default=None))

    def _survey(self, queued: actions.QueueMail, state: TicketState, now: datetime) -> None:
        """The survey mail, with its links (they name the survey row, T3, which remembers it went)."""
        survey_id = surveys.start(state.id, state.customer, now)
        queued = replace(queued, context={**queued.context, "links": self.survey_links(state.number, survey_id, now)})
        queue_notice(queued, (state.id, state.number), None, self.writer, now)


def ticket_for(timer: Timer, ticket: TicketNow, state: TicketState) -> TicketNow:
    """A due survey needs to know more of the store than the other timers: read only for it."""
    if timer.kind != "survey":
        return ticket
    return replace(ticket, survey=SurveyFacts(surveys.last_sent_to(state.customer),
                                              surveys.customer_mail_screened(state.id)))
