"""The fetch step: new mail from IMAP into the store, raw bytes first, exactly once."""

from __future__ import annotations

import logging
from datetime import datetime

from ..adapters.imap import ImapMailbox, ServerFacts
from ..parsing import message_key
from ..store.db import transaction
from ..store.inbound import FetchedMail, hold_mailbox, mailbox_cursor, save_cursor, store_fetched

log = logging.getLogger(__name__)

BATCH_BYTES = 2 * 1024 * 1024  # bounds memory: imaplib holds about three copies of a FETCH answer


class Fetch:
    """Each run stores one batch of the mail past the cursor (at most `batch_size` mails and
    about 8 MB) and moves the cursor past it in the same transaction. Of several maild processes
    on one PostgreSQL store, one fetches a mailbox and the others only process what it stored:
    fetching the same mail twice would be work for nothing.

    The first run on a mailbox (no cursor yet) follows `imap.first_run`: "all" takes every mail
    there, "new" none of them (the cursor starts at the last UID), "unseen" only those not read
    yet; the boundary is stored with the cursor, so a run cut short goes on the same way."""

    name = "fetch"

    def __init__(self, mailbox: ImapMailbox, batch_size: int, first_run: str = "all") -> None:
        self.mailbox = mailbox
        self.batch_size = batch_size
        self.first_run = first_run
        self.stored = 0  # mails new to the store since start, for `maild once` to report
        self.passed = 0  # mails the cursor passed since start
        self.left = 0  # mails past the cursor still on the server, as the last run saw them
        self.fetching = False  # this process is the mailbox's fetcher

    def run(self, now: datetime) -> int:
        """Returns how many mails the cursor passed (fetched, already in the store, or left out
        by the first run); 0: none left, or another process is fetching this mailbox."""
        mailbox = self.mailbox
        self.fetching = self.fetching or hold_mailbox(mailbox.name)
        if not self.fetching:
            return 0
        last_uid, seen_until = self._cursor(now)
        uids = mailbox.uids_after(last_uid)
        self.left = len(uids)
        if not uids:
            with transaction():  # no mail, but `maild status` shows when we last looked
                save_cursor(mailbox.name, mailbox.uidvalidity, last_uid, now)
            return 0
        taken = uids[:self.batch_size]  # if all of them vanish before FETCH, the cursor still passes them
        facts = mailbox.describe(taken)
        sizes = {uid: known.size for uid, known in facts.items()
                 if not (uid <= seen_until and known.seen)}  # read before the first run: left out
        group = first_fitting(sizes, BATCH_BYTES)
        raws = mailbox.fetch(group, sizes)
        if len(raws) < len(group):  # expunged by another client meanwhile: nothing left to fetch
            log.warning("%s: UIDs %s vanished before they could be fetched", mailbox.name,
                        sorted(set(group) - set(raws)))
        mails = [fetched(uid, raw, facts.get(uid)) for uid, raw in sorted(raws.items())]
        # UIDs that vanished meanwhile, or that the first run leaves out, the cursor passes for good.
        passed = group[-1] if group else taken[-1]
        with transaction():  # the cursor commits with the mails it covers
            self.stored += store_fetched(mailbox.name, mails, now)
            save_cursor(mailbox.name, mailbox.uidvalidity, passed, now)
        mailbox.mark_processed(group)
        moved = sum(1 for uid in taken if uid <= passed)
        self.passed += moved
        self.left -= moved
        return moved

    def _cursor(self, now: datetime) -> tuple[int, int]:
        """The last UID taken, and up to which UID mail already read is left out (0: none)."""
        cursor = mailbox_cursor(self.mailbox.name)
        if cursor.uidvalidity is None:
            return self._start(now)
        if cursor.uidvalidity != self.mailbox.uidvalidity:
            # RFC 3501 §2.3.1.1: old UIDs mean nothing now. Rescan; the unique key keeps it harmless.
            log.warning("%s: UIDVALIDITY changed %s → %s, rescanning", self.mailbox.name, cursor.uidvalidity,
                        self.mailbox.uidvalidity)
            return 0, 0
        return cursor.last_uid, cursor.first_run_until or 0

    def _start(self, now: datetime) -> tuple[int, int]:
        """The first run on this mailbox: where the cursor starts, saved at once."""
        mailbox = self.mailbox
        there = mailbox.last_uid() if self.first_run != "all" else 0
        start, seen_until = (there, 0) if self.first_run == "new" else (0, there)
        with transaction():
            save_cursor(mailbox.name, mailbox.uidvalidity, start, now, seen_until or None)
        if self.first_run != "all":
            log.info("%s: first run, imap.first_run = %s: %s up to UID %d", mailbox.name, self.first_run,
                     "nothing taken" if self.first_run == "new" else "only unseen mail taken", there)
        return start, seen_until


def fetched(uid: int, raw: bytes, known: ServerFacts | None) -> FetchedMail:
    if known is None:  # no answer of the server described it: only its bytes are known
        return FetchedMail(uid, message_key(raw), raw)
    return FetchedMail(uid, message_key(raw), raw, known.received_at, known.answered)


def first_fitting(sizes: dict[int, int], max_bytes: int) -> list[int]:
    """The UIDs in order while their sizes stay under max_bytes (a larger first mail goes alone)."""
    group: list[int] = []
    total = 0
    for uid in sorted(sizes):
        if group and total + sizes[uid] > max_bytes:
            break
        group.append(uid)
        total += sizes[uid]
    return group
