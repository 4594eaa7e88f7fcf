"""aiosmtplib adapter: a connection that sends mail after mail, each → Sent | TempFail | PermFail.

Foreign exceptions are translated here and nowhere else. TLS certificates are verified;
"none" is plaintext only because the admin wrote it, never as a fallback.
"""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass

import aiosmtplib

from ..config import SmtpConfig
from ..errors import SmtpError, SmtpLoginRefused
from . import oauth_token


@dataclass(frozen=True)
class Sent:
    response: str


@dataclass(frozen=True)
class TempFail:
    reason: str


@dataclass(frozen=True)
class PermFail:
    reason: str


Outcome = Sent | TempFail | PermFail


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


class SmtpSender:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._client: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> "SmtpSender":
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def open(self) -> "SmtpSender":
        c = self.config
        client = aiosmtplib.SMTP(
            hostname=c.host, port=c.port, timeout=c.timeout,
            use_tls=c.security == "tls",
            start_tls=True if c.security == "starttls" else False,
            tls_context=tls_context(c.ca_file) if c.security != "none" else None,
        )
        try:
            await client.connect()
            if c.auth == "xoauth2":
                await _xoauth2_login(client, c)
            elif c.username:
                await client.login(c.username, c.password or "")
        except aiosmtplib.SMTPAuthenticationError as exc:
            client.close()
            raise SmtpLoginRefused(f"SMTP login as {c.username} refused by {c.host}:{c.port}: {describe(exc)}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise SmtpError(f"cannot connect to SMTP {c.host}:{c.port}: {describe(exc)}") from exc
        except SmtpError:
            client.close()
            raise
        self._client = client
        return self

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> Outcome:
        assert self._client is not None, "use SmtpSender as an async context manager"
        try:
            errors, response = await self._client.sendmail(sender, recipients, raw)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return classify(min(e.code for e in exc.recipients), describe(exc))
        except aiosmtplib.SMTPResponseException as exc:
            return classify(exc.code, describe(exc))
        except (aiosmtplib.SMTPException, OSError) as exc:
            return TempFail(describe(exc))
        except UnicodeEncodeError as exc:  # a non-ASCII address, and no SMTPUTF8 to carry it
            return PermFail(describe(exc))
        if errors:
            code, message = next(iter(errors.values()))
            return classify(code, f"{code} {message}")
        return Sent(response)


async def _xoauth2_login(client: aiosmtplib.SMTP, c: SmtpConfig) -> None:
    """AUTH XOAUTH2 with the token smtp.oauth_token_command printed; a kept token the server
    rejects may only have expired: the command runs again and its token is tried once."""
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    if "xoauth2" not in client.server_auth_methods:
        raise SmtpError(f"SMTP server {c.host}:{c.port} does not offer AUTH XOAUTH2 (smtp.auth = \"xoauth2\")")
    tokens = oauth_token.source("smtp.oauth_token_command", c.oauth_token_command or "", c.timeout, SmtpError)
    while True:
        token, fresh = tokens.token()
        try:
            await _auth_xoauth2(client, c.username or "", token)
            return
        except aiosmtplib.SMTPAuthenticationError as exc:
            tokens.rejected(token)
            if fresh:
                raise SmtpLoginRefused(f"SMTP login as {c.username} rejected the XOAUTH2 token from "
                                f"smtp.oauth_token_command ({exc.code} {exc.message})") from exc


async def _auth_xoauth2(client: aiosmtplib.SMTP, user: str, token: str) -> None:
    """AUTH XOAUTH2 with the initial response, by hand: not every aiosmtplib maild accepts has it
    built in. A refusal comes as a 334 challenge carrying the error (base64 JSON), which the
    client answers with an empty line; then the server's 5xx."""
    blob = base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode("ascii")
    response = await client.execute_command(b"AUTH", b"XOAUTH2", blob.encode("ascii"))
    if response.code == 334:
        response = await client.execute_command(b"")
    if response.code != 235:
        raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)


def classify(code: int, reason: str) -> Outcome:
    # RFC 5321 §4.2.1: 4yz is transient, 5yz permanent.
    return PermFail(reason) if 500 <= code < 600 else TempFail(reason)


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def probe(config: SmtpConfig) -> str:
    """Connect (and log in) once, for check-config."""
    async with SmtpSender(config) as sender:
        assert sender._client is not None
        return f"SMTP {config.host}:{config.port} ({config.security}) ok"
