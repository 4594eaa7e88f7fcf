"""The archive step (G16, T4): a ticket whose archiving came due (the timers step's `archive`
timer, archive.after_working_days after its resolution) is filed by "type + date + number".

On the IMAP server the ticket's mails move from the inbox (or the processed folder, or the folder
of an earlier archiving) into the folder archive.folder names, and maild's own mails of the thread
are appended there, so the folder holds the whole conversation. On disk
<archive.dir>/<type>/<yyyy>/<mm>/<number>/ gets thread.mbox, the attachments and ticket.json.
Then the T4 row says `archived`, in one transaction with a line on the trail.

Every move looks first: a mail already in the folder is left there, one in a source folder is
moved, one on neither is appended from its stored bytes. So a pass cut off anywhere finishes on
the next one, nothing moved twice, nothing lost. A reopened ticket (`returning`) gets its fetched
mails moved back to the inbox (fetching them again finds them stored already), and is archived
again after its next resolution.
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from ..adapters.imap import ImapMailbox
from ..config import Config
from ..errors import ImapError
from ..outgoing.thread_page import thread_page
from ..parsing.large import parse_within
from ..rules.archive import filing
from ..store import archive, tickets
from ..store.archive import ArchiveWork, ThreadMail
from ..store.archive_files import mbox_entry, write_ticket_folder
from ..store.db import transaction
from . import named_files
from ..store.inbound import hold_mailbox

log = logging.getLogger(__name__)

BATCH = 20  # tickets per run: each is a few IMAP round trips per mail
RETRY = timedelta(hours=1)  # a ticket whose pass failed (the server refused a folder, a disk full) waits this long
# number, now → what ticket.json holds (`maild show --json`'s document), given by the wiring
Describe = Callable[[str, datetime], dict[str, Any]]


class Archive:
    name = "archive"

    def __init__(self, config: Config, mailbox: Callable[[], ImapMailbox], describe: Describe) -> None:
        self.config = config
        self.mailbox = mailbox  # a connection of its own, opened only when there is work
        self.describe = describe
        self.holding = False  # this process is the mailbox's archiver

    def run(self, now: datetime) -> int:
        """Returns how many tickets it archived or brought back; 0: none was waiting. A ticket whose
        files cannot be written (a disk full) is tried again RETRY later, the error on its row and in
        the log, and the others go on; an IMAP failure (the server down or refusing) does the same
        for that ticket and the rest of the batch."""
        with transaction():
            # One archiver per mailbox: on PostgreSQL a session lock, like fetching.
            self.holding = self.holding or hold_mailbox(f"{self.mailbox().name} archive")
            work = archive.waiting(now, BATCH) if self.holding else []
        if not work:
            return 0
        done, at = 0, 0  # `at`: the ticket in hand, where an IMAP failure stops the batch
        try:
            with self.mailbox() as imap:
                delimiter = imap.delimiter()
                for at, item in enumerate(work):
                    try:
                        if item.status == "returning":
                            self._bring_back(imap, item, now)
                        else:
                            self._file(imap, item, delimiter, now)
                        done += 1
                    except OSError as exc:  # the disk: this ticket's folder
                        self._failed([item], exc, now)
        except ImapError as exc:  # the server: this ticket and the rest of the batch
            self._failed(work[at:], exc, now)
        return done

    def _failed(self, items: list[ArchiveWork], exc: Exception, now: datetime) -> None:
        with transaction():
            for item in items:
                log.error("ticket %s: archiving failed, tried again in an hour: %s", item.number, exc)
                archive.failed(item.ticket_id, str(exc), now + RETRY)

    def _file(self, imap: ImapMailbox, item: ArchiveWork, delimiter: str, now: datetime) -> None:
        with transaction():
            problem_type, solution, kb_entry = archive.ticket_facts(item.ticket_id)
            thread = archive.thread(item.ticket_id)
            files = tickets.stored_files(item.ticket_id)
        place = filing(self.config.archive.folder, item.number, problem_type)
        folder = place.folder_name(delimiter)
        imap.ensure_folder(folder)
        earlier = [item.folder] if item.folder and item.folder != folder else []  # archived before, as another type
        fetched_in = [self.config.imap.folder, *filter(None, (self.config.imap.processed_folder,)), *earlier]
        mbox, shown = [], []
        for mail in thread:
            raw = mail.raw()
            gather(imap, raw, search_criteria(mail, lambda: raw), fetched_in if mail.direction == "in" else earlier,
                   folder, mail.at)
            mbox.append(mbox_entry(raw, self.config.helpdesk.address if mail.direction == "out" else "", mail.at))
            shown.append((mail.direction, mail.at.astimezone(self.config.helpdesk.zone),
                          parse_within(raw, self.config.processing.max_mail_bytes)))
        path = Path(*place.path)
        document = self.describe(item.number, now)
        write_ticket_folder(self.config.archive_dir / path, mbox, named_files(files, self.config.attachments_dir),
                            document, thread_page(item.number, document.get("subject", ""), shown))
        with transaction():
            archive.filed(item.ticket_id, now, folder, str(path), problem_type, solution, kb_entry)
            tickets.add_events(item.ticket_id, now, [("archived", "maild", f"{folder}; {path}", None, None)])
        log.info("ticket %s archived: IMAP %s, %s", item.number, folder, self.config.archive_dir / path)

    def _bring_back(self, imap: ImapMailbox, item: ArchiveWork, now: datetime) -> None:
        """The reopened ticket's fetched mails back to the inbox; maild's own stay in the folder."""
        with transaction():
            thread = archive.thread(item.ticket_id)
        inbox = self.config.imap.folder
        folder = item.folder or ""  # a returning ticket was archived: it has one
        for mail in (m for m in thread if m.direction == "in" and folder):
            criteria = search_criteria(mail, mail.raw)
            found = [] if imap.find(inbox, criteria) else imap.find(folder, criteria)
            if found:
                imap.move(folder, found, inbox)
        with transaction():
            archive.returned(item.ticket_id)
            tickets.add_events(item.ticket_id, now, [("unarchived", "maild", f"mails back in {inbox}", None, None)])
        log.info("ticket %s reopened: its mails are back in %s", item.number, inbox)


def gather(imap: ImapMailbox, raw: bytes, criteria: list[str | int], sources: list[str], folder: str,
           at: datetime) -> None:
    """A mail into `folder`: there already, moved from the first source that has it, or appended."""
    if imap.find(folder, criteria):
        return
    for source in sources:
        found = imap.find(source, criteria)
        if found:
            imap.move(source, found, folder)
            return
    imap.append(folder, raw, at)


def search_criteria(mail: ThreadMail, read: Callable[[], bytes]) -> list[str | int]:
    """How IMAP SEARCH finds this mail: its Message-ID; a mail without one by its Date, From and
    size (the bytes the server gave us, read only then)."""
    if mail.message_id:
        return ["HEADER", "Message-ID", f"<{mail.message_id}>"]
    raw = read()
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw[:1 << 16])
    criteria: list[str | int] = ["LARGER", len(raw) - 1, "SMALLER", len(raw) + 1]
    for name in ("Date", "From"):
        value = str(headers.get(name, "")).strip()
        if value and value.isascii():
            criteria += ["HEADER", name, value]
    return criteria
