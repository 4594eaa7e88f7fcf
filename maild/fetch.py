"""The fetch step: new mail from IMAP into the store, raw bytes first, exactly once."""

from __future__ import annotations

import logging
from typing import Callable, Iterator

from .clock import Clock
from .db import transaction
from .imap import ImapMailbox
from .parse import message_key
from .store import FetchedMail, mailbox_cursor, save_cursor, store_fetched

log = logging.getLogger(__name__)

BATCH_BYTES = 8 * 1024 * 1024  # bounds memory: a few large mails per round trip, not all


def fetch_new(mailbox: ImapMailbox, clock: Clock, batch_size: int,
              progress: Callable[[], bool] = lambda: True) -> int:
    """Store every mail past the cursor; returns how many were new to the store.
    `progress` is called after each batch (the watchdog); when it returns False, fetching stops
    there and the cursor says where to go on."""
    known_validity, last_uid = mailbox_cursor(mailbox.name)
    if known_validity is not None and known_validity != mailbox.uidvalidity:
        # RFC 3501 §2.3.1.1: old UIDs mean nothing now. Rescan; the unique key keeps it harmless.
        log.warning("%s: UIDVALIDITY changed %s → %s, rescanning", mailbox.name, known_validity,
                    mailbox.uidvalidity)
        last_uid = 0
    uids = mailbox.uids_after(last_uid)
    new = 0
    for group in size_batches(mailbox.sizes(uids), BATCH_BYTES, batch_size):
        raws = mailbox.fetch(group)
        if len(raws) < len(group):  # expunged by another client meanwhile: nothing left to fetch
            log.warning("%s: UIDs %s vanished before they could be fetched", mailbox.name,
                        sorted(set(group) - set(raws)))
        mails = [FetchedMail(uid, message_key(raw), raw) for uid, raw in sorted(raws.items())]
        last_uid = group[-1]  # UIDs of the group that vanished meanwhile are gone for good
        with transaction():  # the cursor commits with the mails it covers
            new += store_fetched(mailbox.name, mails, clock.now())
            save_cursor(mailbox.name, mailbox.uidvalidity, last_uid, clock.now())
        mailbox.mark_processed(group)
        if not progress():
            return new
    if not uids:
        with transaction():
            save_cursor(mailbox.name, mailbox.uidvalidity, last_uid, clock.now())
    return new


def size_batches(sizes: dict[int, int], max_bytes: int, max_count: int) -> Iterator[list[int]]:
    """Group UIDs in order so that a group stays under max_bytes (a single larger mail goes alone)."""
    group: list[int] = []
    total = 0
    for uid in sorted(sizes):
        if group and (total + sizes[uid] > max_bytes or len(group) >= max_count):
            yield group
            group, total = [], 0
        group.append(uid)
        total += sizes[uid]
    if group:
        yield group
