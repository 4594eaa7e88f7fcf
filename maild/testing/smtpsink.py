"""An SMTP sink on loopback that records what it accepts and fails on demand."""

from __future__ import annotations

import asyncio
import base64
import binascii
import email
import email.policy
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, Session

from .oauth import Tokens

DEFAULT_REPLIES = {
    421: "4.3.2 service not available",
    450: "4.2.0 mailbox busy",
    451: "4.3.0 try later",
    452: "4.3.1 insufficient system storage",
    550: "5.1.1 no such user",
    552: "5.3.4 message too big",
    554: "5.0.0 transaction failed",
}


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    at: float = 0.0  # time.monotonic() when the sink took it, for latency figures
    peer: tuple[str, int] | None = None  # the client's end of the connection it came over

    @property
    def message(self) -> EmailMessage:
        # `data` is as on the wire (CRLF); parse it with LF so bodies read naturally.
        text = self.data.replace(b"\r\n", b"\n")
        return cast(EmailMessage, email.message_from_bytes(text, policy=email.policy.default))


def _reply(code: int, message: str | None) -> str:
    if not 400 <= code < 600:
        raise ValueError(f"not an SMTP error code: {code}")
    text = message if message is not None else DEFAULT_REPLIES.get(code, f"{code // 100}.0.0 failed")
    return f"{code} {text}"


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _accept_any_login(*_: Any) -> AuthResult:
    return AuthResult(success=True)


# What Gmail sends, base64-encoded, as the challenge that says a token was refused.
XOAUTH2_ERROR = b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'
XOAUTH2_REFUSED = "535 5.7.8 Username and Password not accepted"


def _xoauth2_user_and_token(blob: bytes) -> tuple[str, str] | None:
    """`user=U^Aauth=Bearer T^A^A` → (U, T); None for anything else."""
    fields = dict(part.split("=", 1) for part in blob.decode("utf-8", "replace").split("\x01") if "=" in part)
    user, auth = fields.get("user"), fields.get("auth", "")
    if user is None or not auth.startswith("Bearer "):
        return None
    return user, auth.removeprefix("Bearer ")


class SmtpSink:
    """Records every message accepted on 127.0.0.1:`port`.

    ``fail_next``/``fail_always`` make DATA answer an error instead (nothing is
    recorded then, but the attempt shows up in ``refused``). AUTH PLAIN/LOGIN
    is offered without TLS and accepts any credentials, so clients configured
    with a login work too. ``stop()`` then ``start()`` (or ``restart()``)
    keeps the port, to simulate a server that is down and comes back.

    Given `xoauth2_tokens`, it offers AUTH XOAUTH2 alone and takes mail only
    after it: a token those `Tokens` hold for the user logs in; any other gets
    Gmail's error challenge and then a 535. ``xoauth2_logins`` lists each
    attempt as (user, token, accepted).
    """

    host = "127.0.0.1"

    def __init__(self, port: int | None = None, xoauth2_tokens: Tokens | None = None) -> None:
        self._port = port
        self._tokens = xoauth2_tokens
        self._xoauth2_logins: list[tuple[str, str, bool]] = []
        self._controller: Controller | None = None
        self._cond = threading.Condition()
        self._messages: list[Received] = []
        self._refused: list[Received] = []
        self._pending_failures: deque[str] = deque()
        self._always: str | None = None
        self._answer_after = 0.0

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SMTP sink was never started")
        return self._port

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> SmtpSink:
        if self._controller is not None:
            raise RuntimeError("SMTP sink is already running")
        if self._port is None:
            self._port = _free_port(self.host)
        oauth = self._tokens is not None
        controller = Controller(
            self,
            hostname=self.host,
            port=self._port,
            # Without it aiosmtpd calls socket.getfqdn(), slow on hosts with broken DNS.
            server_hostname="localhost",
            authenticator=_accept_any_login,
            auth_require_tls=False,
            auth_exclude_mechanism=["PLAIN", "LOGIN"] if oauth else ["XOAUTH2"],
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- failure control ---------------------------------------------------

    def fail_next(self, code: int, times: int = 1, message: str | None = None) -> None:
        """Answer the next `times` DATA commands with e.g. ``451 4.3.0 try later``."""
        reply = _reply(code, message)
        with self._cond:
            self._pending_failures.extend([reply] * times)

    def fail_always(self, code: int, message: str | None = None) -> None:
        reply = _reply(code, message)
        with self._cond:
            self._always = reply

    def answer_slowly(self, seconds: float) -> None:
        """Record each message at once but give its answer only `seconds` later, like a busy server."""
        self._answer_after = seconds

    def accept(self) -> None:
        """Go back to accepting everything."""
        with self._cond:
            self._always = None
            self._pending_failures.clear()

    # -- what arrived ------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        with self._cond:
            return list(self._messages)

    @property
    def refused(self) -> list[Received]:
        """Messages whose DATA was answered with a requested error."""
        with self._cond:
            return list(self._refused)

    def clear(self) -> None:
        with self._cond:
            self._messages.clear()
            self._refused.clear()

    @property
    def xoauth2_logins(self) -> list[tuple[str, str, bool]]:
        """(user, token, accepted) of each AUTH XOAUTH2, in order."""
        with self._cond:
            return list(self._xoauth2_logins)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """Block until at least `count` messages were accepted; return all of them."""
        with self._cond:
            if self._cond.wait_for(lambda: len(self._messages) >= count, timeout):
                return list(self._messages)
            got = [(m.mail_from, m.rcpt_tos, m.message["Subject"]) for m in self._messages]
        raise AssertionError(
            f"expected {count} message(s) within {timeout}s, got {len(got)}: {got}"
        )

    # -- aiosmtpd handler hook (runs in the controller's thread) -----------

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        if self._tokens is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address  # what aiosmtpd does without this hook
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content or b""),
            at=time.monotonic(),
            peer=tuple(session.peer) if session.peer else None,
        )
        with self._cond:
            reply = self._pending_failures.popleft() if self._pending_failures else self._always
            if reply is not None:
                self._refused.append(received)
                return reply
            self._messages.append(received)
            self._cond.notify_all()
        await asyncio.sleep(self._answer_after)
        return "250 2.0.0 OK"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's naming
        """AUTH XOAUTH2 [initial response] (Google's and Microsoft's SASL mechanism)."""
        if len(args) > 1:
            try:
                blob: bytes = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            answer = await server.challenge_auth("", encode_to_b64=False)
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            blob = answer  # type: ignore[assignment]
        parsed = _xoauth2_user_and_token(blob)
        accepted = (parsed is not None and self._tokens is not None
                    and self._tokens.user_of(parsed[1]) == parsed[0])
        with self._cond:
            self._xoauth2_logins.append((*(parsed or ("", "")), accepted))
        if accepted:
            return AuthResult(success=True, auth_data=parsed[0] if parsed else None)
        # The client answers the error challenge with an empty line, and then hears the refusal.
        if await server.challenge_auth(XOAUTH2_ERROR) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message=XOAUTH2_REFUSED)
