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
    fetching the same mail twice would be work for nothing."""

    name = "fetch"

    def __init__(self, mailbox: ImapMailbox, batch_size: int) -> None:
        self.mailbox = mailbox
        self.batch_size = batch_size
        self.stored = 0  # mails new to the store since start, for `maild once` to report
        self.fetching = False  # this process is the mailbox's fetcher

    def run(self, now: datetime) -> int:
        """Returns how many mails were fetched (new, or already in the store); 0: none left, or
        another process is fetching this mailbox."""
        mailbox = self.mailbox
        self.fetching = self.fetching or hold_mailbox(mailbox.name)
        if not self.fetching:
            return 0
        last_uid = self._last_uid()
        uids = mailbox.uids_after(last_uid)
        if not uids:
            with transaction():  # no mail, but `maild status` shows when we last looked
                save_cursor(mailbox.name, mailbox.uidvalidity, last_uid, now)
            return 0
        taken = uids[:self.batch_size]  # if all of them vanish before FETCH, the cursor still passes them
        facts = mailbox.describe(taken)
        sizes = {uid: known.size for uid, known in facts.items()}
        group = first_fitting(sizes, BATCH_BYTES) or taken
        raws = mailbox.fetch(group, sizes)
        if len(raws) < len(group):  # expunged by another client meanwhile: nothing left to fetch
            log.warning("%s: UIDs %s vanished before they could be fetched", mailbox.name,
                        sorted(set(group) - set(raws)))
        mails = [fetched(uid, raw, facts.get(uid)) for uid, raw in sorted(raws.items())]
        with transaction():  # the cursor commits with the mails it covers
            self.stored += store_fetched(mailbox.name, mails, now)
            # UIDs of the group that vanished meanwhile are gone for good: the cursor passes them.
            save_cursor(mailbox.name, mailbox.uidvalidity, group[-1], now)
        mailbox.mark_processed(group)
        return len(group)

    def _last_uid(self) -> int:
        known_validity, last_uid = mailbox_cursor(self.mailbox.name)
        if known_validity is not None and known_validity != self.mailbox.uidvalidity:
            # RFC 3501 §2.3.1.1: old UIDs mean nothing now. Rescan; the unique key keeps it harmless.
            log.warning("%s: UIDVALIDITY changed %s → %s, rescanning", self.mailbox.name, known_validity,
                        self.mailbox.uidvalidity)
            return 0
        return last_uid


def fetched(uid: int, raw: bytes, known: ServerFacts | None) -> FetchedMail:
    if known is None:  # the server described it not: only its bytes are known
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
