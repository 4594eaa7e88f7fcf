"""The steps of the mail loop: fetch, process, timers, report, archive, flush.

Every step has one shape, `run(now) -> int`: do one bounded piece of work and say how much was
done, 0 when there is nothing to do now. `maild once` drains the steps until all of them say 0;
the daemon schedules the same steps. A step imports every layer below it, never another step.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Callable, Protocol, Sequence

from ..config import Config
from ..outgoing.kb_markdown import markdown
from ..outgoing.notices import MailWriter, Notice
from ..outgoing.templates import renderer_for
from ..rules.actions import QueueMail
from ..rules.archive import unique_names
from ..rules.kb import KbSource, entry_from
from ..rules.report import module_of
from ..rules.sla import Step as TrailStep
from ..rules.sla import TicketTimes
from ..rules.timers import TicketNow
from ..store import kb, kb_files, outbox, tickets
from ..store.secrets import generated_helpdesk_key, helpdesk_secret
from ..store.timers import TicketState

log = logging.getLogger(__name__)


class Step(Protocol):
    name: str

    def run(self, now: datetime) -> int: ...


def drain(steps: Sequence[Step], now: Callable[[], datetime], stopping: Callable[[], bool] = lambda: False,
          progress: Callable[[str, int], None] = lambda name, work: None) -> Counter[str]:
    """Run each step until it has nothing left, in order, and again until a whole round found
    nothing to do (a later step can make work for an earlier one). Returns the work per step."""
    done: Counter[str] = Counter()
    while not stopping():
        before = sum(done.values())
        for step in steps:
            while not stopping() and (work := step.run(now())):
                done[step.name] += work
                progress(step.name, work)
        if sum(done.values()) == before:
            break
    return done


def mail_writer(config: Config, compiled_dir: Path | None = None, make_key: bool = True) -> MailWriter:
    """What writes out every mail maild sends: the templates (kept compiled in `compiled_dir`)
    and the key that signs our Message-IDs (helpdesk.secret_file; see id_key for `make_key`)."""
    return MailWriter(config.helpdesk, renderer_for(config.helpdesk, compiled_dir), id_key(config, make_key))


def id_key(config: Config, make: bool = True) -> bytes:
    """The key that signs our Message-IDs. Without `make` (the commands that only look), a key
    that was never made is a passing one: no id was ever signed with it."""
    key = helpdesk_secret(config.helpdesk, make)
    return key if key is not None else secrets.token_bytes(32)


def signing_key(config: Config) -> str:
    """What check-config says of helpdesk.secret_file: where the key is, never what it is; it
    makes none (check-config may run as another user than maild)."""
    key = helpdesk_secret(config.helpdesk, make=False)
    where = config.helpdesk.secret_file or generated_helpdesk_key(config.helpdesk)
    return f"{len(key)} bytes from {where}" if key is not None else f"{where}: made at the first start"


def queue_notice(queued: QueueMail, ticket: tuple[int, str] | None, inbound_id: int | None, writer: MailWriter,
                 now: datetime) -> tuple[bool, Notice]:
    """A mail a rule queued, written out and put in the outbox once per dedupe key, and shown on
    its ticket's thread when it goes to the customer; False when that key was queued before.
    `ticket`: (id, number), None for staff mail about no ticket (a filing refused)."""
    notice = writer.write(queued, ticket[1] if ticket else None, now)
    helpdesk = writer.helpdesk
    if not queued.on_thread:
        return outbox.enqueue(dedupe_key=queued.dedupe_key, raw=notice.raw, message_id=notice.message_id,
                              kind=queued.kind, sender=helpdesk.address, recipients=[queued.to.address], now=now,
                              ticket_id=ticket[0] if ticket else None, inbound_id=inbound_id), notice
    assert ticket is not None, "a mail on a ticket's thread needs the ticket"
    return outbox.enqueue_on_thread(dedupe_key=queued.dedupe_key, raw=notice.raw, message_id=notice.message_id,
                                    kind=queued.kind, sender=helpdesk.address, recipients=[queued.to.address],
                                    now=now, ticket_id=ticket[0], subject=notice.subject, text=notice.text,
                                    rate_key=queued.rate_key, inbound_id=inbound_id,
                                    automatic=notice.automatic), notice


PUBLIC = ("opened", "classified", "assigned", "engineer-reply", "customer-mail", "status", "eta", "resolved",
          "reopened", "progress-update")  # the steps of the trail a progress update may name


def ticket_now(state: TicketState) -> TicketNow:
    assert state.priority and state.received_at  # the step schedules only classified tickets
    steps = tuple(TrailStep(at, kind, status) for at, kind, status in state.events)
    times = TicketTimes(state.received_at, state.priority, state.recorded_at,
                        state.assigned_at if state.assignee else None, steps)
    latest = next((kind for _, kind, _ in reversed(state.events) if kind in PUBLIC), "opened")
    return TicketNow(state.number, state.status, times, state.assignee, state.customer, state.customer_name,
                     state.language, state.subject, state.eta, state.last_customer_message_id, latest,
                     state.resolved_at, state.reopened, state.kb_proposed)


def clocks_started(state: TicketState) -> bool:
    """A ticket's clocks start when it is classified."""
    return bool(state.priority and state.received_at)


def named_files(files: list[tuple[str, str]], root: Path) -> list[tuple[str, Path]]:
    """Stored files (name, path under `root`) as (a safe name unique among them, the file)."""
    return list(zip(unique_names([name for name, _ in files]), (root / stored for _, stored in files)))


def write_kb_entry(ticket_id: int, config: Config, now: datetime) -> int | None:
    """The resolved #kb ticket's knowledge-base entry (G17), new or updated, and its Markdown file
    with the screenshots; published at once unless kb.review wants a kb-admin. Returns its id."""
    found = kb.source(ticket_id)
    if found is None:
        return None
    draft = entry_from(KbSource(**found, module=module_of(found["problem_type"]).strip("-") or None))
    entry_id = kb.write(ticket_id, draft.title, draft.problem_type, draft.module, draft.steps, draft.faq,
                        not config.kb.review, now)
    images = named_files(tickets.stored_files(ticket_id, "image/%"), config.attachments_dir)
    try:
        kb.set_screenshots(entry_id, kb_files.copy_screenshots(config.kb_dir, entry_id, images))
    except OSError as exc:
        log.error("knowledge-base entry %d: its screenshots were not copied to %s: %s", entry_id, config.kb_dir, exc)
    export_kb_entry(entry_id, config)
    return entry_id


def export_kb_entry(entry_id: int, config: Config) -> None:
    """The entry's Markdown file, as it stands. A file that cannot be written (kb.dir not
    writable) is logged: the entry is in the store, and the next update writes it again."""
    for entry in kb.entries(entry_id):
        try:
            kb_files.write_entry(config.kb_dir, entry_id, markdown(entry))
        except OSError as exc:
            log.error("knowledge-base entry %d: %s not written: %s", entry_id, config.kb_dir, exc)


def publish_kb_entry(entry_id: int, by: str, config: Config, now: datetime) -> bool:
    """A kb-admin publishes a draft (kb.review); False when it is no draft (unknown, or published)."""
    if not kb.publish(entry_id, by, now):
        return False
    export_kb_entry(entry_id, config)
    return True
