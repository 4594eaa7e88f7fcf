"""What the guideline wants done on time (G2, G9, G12, G13), as timers of a ticket and what each
does when it fires.

`schedule` says which timers a ticket has as it stands: each a kind, a period and a due time.
With the ticket, the kind and the period are a latch: the store keeps one row each, so a timer
fires once however often the ticket is scheduled again, by however many daemons. `fire` says what
a due timer does, as actions, from the ticket as it stands when it fires.

  first-response-reminder  the assignee, at warn_at of the first-response window (G2)
  first-response-breach    the supervisors, at its deadline
  resolution-warning       the assignee, at warn_at of the resolution window (G12)
  resolution-breach        the supervisors, at its deadline (escalation; the customer gets nothing)
  solution-breach          the supervisors and the rnd and pm staff, 48 h after #complex (G9)
  progress-reminder        the assignee, sla.update_reminder before a progress update is due
  eta-notice               the customer, at once, when an engineer's #eta lies beyond the
                           resolution deadline: the progress and the expected time (G9)
  progress-update          the customer, every sla.progress_every for P0/P1 while open (G13),
                           counted from receipt or the last mail an engineer or maild sent them
                           (or the reopening)
  survey                   the customer, survey.after the resolution and within 1 working day of
                           it (G15): the satisfaction survey, unless rules.survey says not to them
  kb-entry                 at the resolution of a ticket proposed with #kb: its knowledge-base entry (G17)
  archive                  archive.after_working_days after the resolution: the ticket is archived (G16)
  unarchive                at once when an archived ticket is open again: its mails back to the inbox

A catch-up after downtime is one firing per kind: an update's period is its due time, counted from
the last one sent, so the next is counted from the late one; a reminder whose deadline is due too
has nothing left to remind of and fires without a mail.

Pure: the ticket, now and the policy in; timers and actions out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Mapping

from ..config import Config, working_days_in
from ..parsing import Address
from .actions import Action, FileInArchive, QueueMail, RecordEvent, ReturnFromArchive, WriteKbEntry
from .archive import archive_due
from .calendar import WorkCalendar, calendar_from
from .routing import Roster, roster_from
from .sla import FINISHED, UPDATES, Clock, SlaPolicy, TicketTimes, clocks, sla_policy_from
from .survey import SurveyFacts, survey_due, why_no_survey

ONCE = "1"  # the period of a timer that fires once per ticket
# What restarts the progress interval: a mail to the customer, or a reopening (resolved, the
# ticket owed the customer no updates).
RESTARTS_UPDATES = (*UPDATES, "reopened")
REMINDERS = {"first-response-reminder": "first-response-breach", "resolution-warning": "resolution-breach",
             "progress-reminder": "progress-update"}  # a reminder, and the deadline it reminds of


@dataclass(frozen=True)
class Timer:
    kind: str
    period: str
    due: datetime


@dataclass(frozen=True)
class TimerPolicy:
    sla: SlaPolicy
    calendar: WorkCalendar
    roster: Roster
    progress_every: Mapping[str, int] = field(hash=False)  # seconds per priority; a priority not named: none
    update_reminder: int = 900
    warn_at: float = 0.75
    default_language: str = "zh"
    survey_after: int = 7200  # survey.after
    resend_after_days: int = 30  # survey.resend_after_days
    archive_after: int = 3  # archive.after_working_days


@dataclass(frozen=True)
class TicketNow:
    """A ticket as its timers read it."""

    number: str
    status: str
    times: TicketTimes
    assignee: str | None
    customer: str
    customer_name: str
    language: str
    subject: str
    eta: datetime | None
    last_customer_message_id: str | None
    latest_action: str  # the latest step the customer may know of (a kind of the trail)
    resolved_at: datetime | None = None
    reopened: bool = False  # ever, by the customer's mail
    kb_proposed: bool = False  # proposed as a typical case (#kb)
    survey: SurveyFacts | None = None  # given by the timers step to a survey that is due


def schedule(ticket: TicketNow, now: datetime, policy: TimerPolicy) -> list[Timer]:
    """The ticket's timers as it stands now (some may be due already: they fire at once)."""
    if ticket.status in FINISHED:
        return after_resolution(ticket, policy)
    found = clocks(ticket.times, now, policy.sla, policy.calendar)
    timers: list[Timer] = []
    filed = next((s for s in reversed(ticket.times.steps) if s.kind in ("archived", "unarchived")), None)
    if filed is not None and filed.kind == "archived":  # archived, and open again since
        timers.append(Timer("unarchive", period_at(filed.at), filed.at))
    answer = found["first_response"]
    if answer.done is None:
        timers += [Timer("first-response-reminder", ONCE, share(answer, policy.warn_at)),
                   Timer("first-response-breach", ONCE, answer.due)]
    resolution = found["resolution"]
    if resolution.done is None and resolution.state != "paused":
        timers += [Timer("resolution-warning", ONCE, share(resolution, policy.warn_at)),
                   Timer("resolution-breach", ONCE, resolution.due)]
    solution = found.get("solution")
    if solution is not None and solution.done is None:
        timers.append(Timer("solution-breach", ONCE, solution.due))
    given = next((s.at for s in reversed(ticket.times.steps) if s.kind == "eta"), None)
    if given is not None and ticket.eta is not None and ticket.eta > resolution.due:
        timers.append(Timer("eta-notice", period_at(given), given))
    every = policy.progress_every.get(ticket.times.priority)
    if every and ticket.status != "waiting":  # waiting on the customer: nothing new to tell them
        last = max([ticket.times.received_at, *(s.at for s in ticket.times.steps if s.kind in RESTARTS_UPDATES)])
        due = last + timedelta(seconds=every)
        timers += [Timer("progress-reminder", period_at(due), due - timedelta(seconds=policy.update_reminder)),
                   Timer("progress-update", period_at(due), due)]
    return timers


def after_resolution(ticket: TicketNow, policy: TimerPolicy) -> list[Timer]:
    """A resolved ticket's timers, once per resolution: its survey, its knowledge-base entry when
    proposed, its archiving."""
    resolved = ticket.resolved_at
    if resolved is None:  # closed without a resolution, or resolved before maild kept the time
        return []
    period = period_at(resolved)
    kb = [Timer("kb-entry", period, resolved)] if ticket.kb_proposed else []
    return [Timer("survey", period, survey_due(resolved, policy.survey_after, policy.calendar)), *kb,
            Timer("archive", period, archive_due(resolved, policy.archive_after, policy.calendar))]


def period_at(moment: datetime) -> str:
    """The period of a timer that may fire again later: the instant it belongs to, in UTC."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def first_look(priority: str, received_at: datetime, policy: TimerPolicy) -> datetime:
    """When a new ticket's first timer may come due at the earliest: a bound that needs no
    calendar (N working days are at least N days less the hour a DST change takes), so opening a
    ticket costs nothing more; the timers step works out the real times when it looks."""
    sla = policy.sla
    windows = [sla.first_response[priority], sla.resolution[priority]]
    bounds = [w if isinstance(w, int) else working_days_in(w) * 86400 - 3600 for w in windows]
    soonest = min(bounds) * policy.warn_at
    every = policy.progress_every.get(priority)
    if every:
        soonest = min(soonest, every - policy.update_reminder)
    return received_at + timedelta(seconds=max(0.0, soonest))


def timer_policy(config: Config) -> TimerPolicy:
    sla = config.sla
    return TimerPolicy(sla_policy_from(sla), calendar_from(config.calendar, config.helpdesk.zone),
                       roster_from(config), sla.progress_every, sla.update_reminder, sla.warn_at,
                       config.helpdesk.default_language, config.survey.after, config.survey.resend_after_days,
                       config.archive.after_working_days)


def share(clock: Clock, part: float) -> datetime:
    """The moment `part` of the clock's window (pauses included) has passed."""
    return clock.start + (clock.due - clock.start) * part


def fire(timer: Timer, ticket: TicketNow, scheduled: list[Timer], now: datetime, policy: TimerPolicy) -> list[Action]:
    """What a due timer does; `scheduled`: the ticket's timers as `schedule` gives them now. Every
    mail is keyed by the timer, so a firing queues it once."""
    deadlines = {t.kind: t.due for t in scheduled}
    deadline = deadlines.get(REMINDERS.get(timer.kind, timer.kind), timer.due)  # what it reminds of, or itself
    if timer.kind in REMINDERS and deadline <= now:
        return [RecordEvent(timer.kind, "maild", "not sent: its deadline is due as well")]
    key = f"timer:{ticket.number}:{timer.kind}:{timer.period}"
    if timer.kind == "survey":
        return survey(ticket, key, now, policy)
    if timer.kind == "kb-entry":
        return [WriteKbEntry()]
    if timer.kind == "archive":
        return [FileInArchive()]
    if timer.kind == "unarchive":
        return [ReturnFromArchive()]
    context = {"what": timer.kind, "due": deadline, "priority": ticket.times.priority,
               "customer": ticket.customer, "customer_name": ticket.customer_name, "status": ticket.status,
               "assignee": name_of(ticket.assignee, policy.roster), "received_at": ticket.times.received_at}
    subject = f"[{ticket.times.priority}] {ticket.subject}"
    if timer.kind in ("progress-update", "eta-notice"):
        if not ticket.customer:
            return [RecordEvent(timer.kind, "maild", "not sent: the ticket has no customer address")]
        expected = ticket.eta or deadlines["resolution-breach"]  # open and not waiting: that clock runs
        update = {"status": ticket.status, "handler": name_of(ticket.assignee, policy.roster),
                  "action": ticket.latest_action, "expected": expected, "customer_name": ticket.customer_name}
        last = ticket.last_customer_message_id
        return [QueueMail("progress", key, Address(ticket.customer, ticket.customer_name), ticket.language,
                          ticket.subject, update, last, (last,) if last else ()),
                RecordEvent(timer.kind, "maild", f"sent to {ticket.customer}")]
    if timer.kind in REMINDERS:
        people = [e for e in (policy.roster.member(ticket.assignee or ""),) if e is not None]
        people = people or list(policy.roster.with_role("supervisor"))  # nobody handles it: the supervisors
        template = "reminder"
    else:
        people = list(policy.roster.with_role("supervisor"))
        if timer.kind == "solution-breach":
            people += [e for e in policy.roster.staff if e.roles & {"rnd", "pm"} and e not in people]
        template = "escalation"
    mails = [QueueMail(template, f"{key}:{e.address}", Address(e.address, e.name), policy.default_language, subject,
                       context, on_thread=False) for e in people]
    told = ", ".join(e.address for e in people) or "nobody (no staff with that role)"
    return [*mails, RecordEvent(timer.kind, "maild", f"told {told}")]


def survey(ticket: TicketNow, key: str, now: datetime, policy: TimerPolicy) -> list[Action]:
    """The satisfaction survey to the customer, threaded on their latest mail; its links are the
    timers step's to add (they are signed)."""
    assert ticket.survey is not None, "the timers step gives a due survey its facts"
    why = why_no_survey(ticket.customer, policy.roster.member(ticket.customer) is not None, ticket.reopened,
                        ticket.survey, now, policy.resend_after_days)
    if why:
        return [RecordEvent("survey", "maild", f"not sent: {why}")]
    last = ticket.last_customer_message_id
    context = {"customer_name": ticket.customer_name, "resolved_at": ticket.resolved_at, "links": {}}
    return [QueueMail("survey", key, Address(ticket.customer, ticket.customer_name), ticket.language, ticket.subject,
                      context, last, (last,) if last else ()),
            RecordEvent("survey", "maild", f"sent to {ticket.customer}")]


def name_of(address: str | None, roster: Roster) -> str:
    member = roster.member(address or "")
    return member.name if member else (address or "")
