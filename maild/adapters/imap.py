"""imapclient adapter: UIDs and UIDVALIDITY only, BODY.PEEK[] so fetching marks nothing.

Foreign exceptions (imapclient's, socket and TLS errors) become ImapError here.
"""

from __future__ import annotations

import socket
import ssl
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ..config import ImapConfig
from ..errors import ImapError
from . import oauth_token

PIECE = 1 << 20  # bytes of a large mail per FETCH

FOREIGN_ERRORS = (IMAPClientError, OSError, ssl.SSLError, socket.timeout)


@contextmanager
def translated(action: str) -> Iterator[None]:
    try:
        yield
    except FOREIGN_ERRORS as exc:
        raise ImapError(f"IMAP {action} failed: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class ServerFacts:
    size: int
    received_at: datetime | None  # INTERNALDATE, in UTC
    answered: bool  # flagged \Answered: someone has answered it already
    seen: bool  # flagged \Seen: someone has read it


def _utc(value: object) -> datetime | None:
    return value.astimezone(timezone.utc) if isinstance(value, datetime) and value.tzinfo else None


class ImapMailbox:
    def __init__(self, config: ImapConfig) -> None:
        self.config = config
        self.name = f"{config.username}@{config.host}:{config.port}/{config.folder}"
        self.uidvalidity = 0
        self.uidnext: int | None = None
        self._highest_uid = 0
        self._client: IMAPClient | None = None

    def connect(self) -> "ImapMailbox":
        c = self.config
        context = ssl.create_default_context(cafile=c.ca_file) if c.security != "none" else None
        with translated(f"connect to {c.host}:{c.port}"):
            client = IMAPClient(c.host, port=c.port, ssl=c.security == "tls", ssl_context=context,
                                timeout=c.timeout)
        try:
            with translated("login"):
                if c.security == "starttls":
                    client.starttls(context)
                if c.auth == "xoauth2":
                    _xoauth2_login(client, c)
                else:
                    client.login(c.username, c.password or "")
            with translated(f"select {c.folder}"):
                selected = client.select_folder(c.folder)
        except ImapError:
            _close_quietly(client)
            raise
        self.uidvalidity = int(selected[b"UIDVALIDITY"])
        self.uidnext = int(selected.get(b"UIDNEXT", 0)) or None  # the UID the next mail will get
        client.normalise_times = False  # INTERNALDATE with the server's offset, not as naive local time
        self._client = client
        return self

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _close_quietly(client)

    def __enter__(self) -> "ImapMailbox":
        return self.connect()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise ImapError("IMAP mailbox is not connected")
        return self._client

    def uids_after(self, last_uid: int) -> list[int]:
        with translated("search"):
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        # "n:*" always matches the highest UID, even one below n (RFC 3501 §6.4.8).
        uids = sorted(uid for uid in found if uid > last_uid)
        self._highest_uid = max([self._highest_uid, *uids])
        return uids

    def last_uid(self) -> int:
        """The highest UID in the folder now (0 when it is empty)."""
        if self.uidnext is not None:
            return self.uidnext - 1
        with translated("search"):
            return max(self.client.search(["ALL"]), default=0)

    def describe(self, uids: list[int]) -> dict[int, ServerFacts]:
        """What the server knows of these mails besides their bytes, in one round trip."""
        if not uids:
            return {}
        with translated("fetch sizes and flags"):
            found = self.client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE", "FLAGS"])
        return {uid: ServerFacts(int(data[b"RFC822.SIZE"]), _utc(data.get(b"INTERNALDATE")),
                                 b"\\Answered" in data.get(b"FLAGS", ()), b"\\Seen" in data.get(b"FLAGS", ()))
                for uid, data in found.items()}

    def fetch(self, uids: list[int], sizes: dict[int, int]) -> dict[int, bytes]:
        """The mails' bytes, by UID; a UID expunged meanwhile is missing. A mail larger than PIECE
        comes a piece per round trip into one buffer: fetched whole, imaplib and imapclient hold
        about three copies of it at once."""
        whole = [uid for uid in uids if sizes.get(uid, 0) <= PIECE]
        found: dict[int, bytes] = {}
        if whole:
            with translated("fetch"):
                answer = self.client.fetch(whole, ["BODY.PEEK[]"])
            found = {uid: data[b"BODY[]"] for uid, data in answer.items() if b"BODY[]" in data}
        for uid in uids:
            if sizes.get(uid, 0) > PIECE and (raw := self._fetch_in_pieces(uid)) is not None:
                found[uid] = raw
        return found

    def _fetch_in_pieces(self, uid: int) -> bytes | None:
        """RFC 3501 §6.4.5 partial fetch, until a piece comes back short; None if the mail
        vanished on the way (half a mail must never be stored)."""
        buffer = bytearray()
        while True:
            with translated("fetch"):
                answer = self.client.fetch([uid], [f"BODY.PEEK[]<{len(buffer)}.{PIECE}>"])
            piece = answer.get(uid, {}).get(f"BODY[]<{len(buffer)}>".encode())
            if piece is None:
                return None
            buffer += piece
            if len(piece) < PIECE:
                return buffer  # type: ignore[return-value] - bytes-like all the way to the store

    def mark_processed(self, uids: list[int]) -> None:
        """Cosmetic, after the database commit: the cursor, not a flag, is the record."""
        if not uids:
            return
        target = self.config.processed_folder
        with translated("mark processed"):
            if target and self.client.has_capability("MOVE"):
                self.client.move(uids, target)
            elif target:
                self.client.copy(uids, target)
                self.client.add_flags(uids, [b"\\Seen"])
            else:
                self.client.add_flags(uids, [b"\\Seen"])

    # -- the archive's folders (G16): each call selects the folder it works in ---------------------

    def delimiter(self) -> str:
        """The server's hierarchy delimiter ("." or "/"; a flat server: none, so "/" is kept)."""
        with translated("list"):
            found = self.client.list_folders("", "")
        delimiter = found[0][1] if found else None
        return (delimiter.decode() if isinstance(delimiter, bytes) else delimiter) or "/"

    def ensure_folder(self, name: str) -> None:
        with translated(f"create {name}"):
            if not self.client.folder_exists(name):
                self.client.create_folder(name)
                self.client.subscribe_folder(name)

    def find(self, folder: str, criteria: list[str | int]) -> list[int]:
        """The UIDs in `folder` of the mails that match IMAP SEARCH `criteria` (none: no such folder)."""
        with translated(f"search {folder}"):
            if not self.client.folder_exists(folder):
                return []
            self.client.select_folder(folder)
            return sorted(self.client.search(criteria))

    def move(self, folder: str, uids: list[int], target: str) -> None:
        """UID MOVE (or COPY, then \\Deleted and UID EXPUNGE of just those) from `folder`."""
        with translated(f"move from {folder} to {target}"):
            self.client.select_folder(folder)
            if self.client.has_capability("MOVE"):
                self.client.move(uids, target)
            else:
                self.client.copy(uids, target)
                self.client.delete_messages(uids)
                self.client.uid_expunge(uids)

    def append(self, folder: str, raw: bytes, when: datetime) -> None:
        with translated(f"append to {folder}"):
            self.client.append(folder, raw, flags=(b"\\Seen",), msg_time=when)

    def ensure_processed_folder(self) -> None:
        if self.config.processed_folder:
            self.ensure_folder(self.config.processed_folder)

    def wait_for_mail(self, timeout: float, should_stop: Callable[[], bool], tick: Callable[[], None]) -> None:
        """Block until the server reports a change (IDLE) or the poll interval passes.
        Wakes every second to call `tick` (the watchdog) and to honour a stop request."""
        # A mail that arrived while we fetched was announced (EXISTS) in the answer to another
        # command and will not be announced again in IDLE: look before waiting.
        if self.uids_after(self._highest_uid):
            return
        if self.config.idle and self.client.has_capability("IDLE"):
            self._idle(timeout, should_stop, tick)
        else:
            _sleep(timeout, should_stop, tick)
            with translated("noop"):
                self.client.noop()

    def _announced_meanwhile(self) -> bool:
        """Did the server announce new mail (EXISTS) in answer to an earlier command, or before
        its "+ idling"? imaplib files such lines away, and IDLE would not repeat them. Or right
        after "+ idling", in the same packet: imaplib then holds the line in its read buffer,
        where idle_check, which polls the socket, would never look."""
        pending = self.client._imap.untagged_responses  # imapclient exposes no public view
        return bool(pending.pop("EXISTS", None) or pending.pop("RECENT", None)) or self._line_buffered()

    def _line_buffered(self) -> bool:
        sock = self.client.socket()
        timeout = sock.gettimeout()
        sock.setblocking(False)  # peek must not wait for the socket: only what is read already counts
        try:
            return bool(self.client._imap.file.peek(1))
        except OSError:  # nothing buffered and nothing to read (SSL says so with an error)
            return False
        finally:
            sock.settimeout(timeout)

    def _idle(self, timeout: float, should_stop: Callable[[], bool], tick: Callable[[], None]) -> None:
        deadline = time.monotonic() + timeout
        with translated("IDLE"):
            self.client.idle()
            if self._announced_meanwhile():
                self.client.idle_done()
                return
            try:
                while time.monotonic() < deadline and not should_stop():
                    tick()
                    if self.client.idle_check(timeout=1):
                        break
            finally:
                self.client.idle_done()


def _xoauth2_login(client: IMAPClient, c: ImapConfig) -> None:
    """AUTHENTICATE XOAUTH2 with the token imap.oauth_token_command printed. A kept token the
    server rejects may only have expired: the command runs again and its token is tried once."""
    if not client.has_capability("AUTH=XOAUTH2"):
        raise ImapError(f"IMAP server {c.host}:{c.port} does not offer AUTH=XOAUTH2 (imap.auth = \"xoauth2\")")
    tokens = oauth_token.source("imap.oauth_token_command", c.oauth_token_command or "", c.timeout, ImapError)
    while True:
        token, fresh = tokens.token()
        try:
            client.oauth2_login(c.username, token)
            return
        except LoginError as exc:
            tokens.rejected(token)
            if fresh:
                raise ImapError(f"IMAP login as {c.username} rejected the XOAUTH2 token from "
                                f"imap.oauth_token_command ({exc})") from exc


def _sleep(seconds: float, should_stop: Callable[[], bool], tick: Callable[[], None]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not should_stop():
        tick()
        time.sleep(min(1.0, max(deadline - time.monotonic(), 0)))


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except FOREIGN_ERRORS:
        try:
            client.shutdown()
        except FOREIGN_ERRORS:
            pass


def probe(config: ImapConfig) -> str:
    """Log in and select once, for check-config."""
    with ImapMailbox(config) as mailbox:
        count = len(mailbox.uids_after(0))
    return f"IMAP {config.host}:{config.port} ({config.security}) ok, {config.folder}: {count} message(s)"
