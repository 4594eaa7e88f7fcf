"""OAuth2 access tokens for XOAUTH2 logins, from the command the admin wrote in
`imap.oauth_token_command` or `smtp.oauth_token_command` (msal, oauth2ms, a vault's client…).

The command runs through /bin/sh (so pipes work) with nothing on its stdin, within the section's
`timeout`; what it prints, stripped, is the token. A token is kept for the life of the process,
shared by every connection, until a server rejects it: then the next login runs the command
again. Failures raise the error class the adapter asks for (ImapError, SmtpError), naming the key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading

from ..errors import AdapterError

SHELL = "/bin/sh"

_lock = threading.Lock()
_sources: dict[tuple[str, str], "TokenSource"] = {}


class TokenSource:
    def __init__(self, key: str, command: str, timeout: float, error: type[AdapterError]) -> None:
        self.key = key  # "imap.oauth_token_command": what every error names
        self.command = command
        self.timeout = timeout
        self.error = error
        self._lock = threading.Lock()
        self._token: str | None = None

    def token(self) -> tuple[str, bool]:
        """The token to log in with, and whether the command printed it just now (a fresh token
        that is rejected will not be better when asked again at once)."""
        with self._lock:
            if self._token is not None:
                return self._token, False
            self._token = self._run()
            return self._token, True

    def rejected(self, token: str) -> None:
        """A server refused `token`: forget it, so the next login runs the command again."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _run(self) -> str:
        try:
            process = subprocess.Popen([SHELL, "-c", self.command], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       start_new_session=True)  # a group of its own, to end it with its pipes
        except OSError as exc:
            raise self.error(f"cannot run {self.key}: {exc.strerror}") from exc
        try:
            out, err = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _end(process)
            raise self.error(f"{self.key} did not finish within {self.timeout:g} s") from None
        said = _first_line(err)
        if process.returncode != 0:
            status = (f"killed by signal {-process.returncode}" if process.returncode < 0
                      else f"exit status {process.returncode}")
            raise self.error(f"{self.key} failed ({status})" + (f": {said}" if said else ""))
        token = out.decode("utf-8", "replace").strip()
        if not token:
            raise self.error(f"{self.key} printed no token" + (f" ({said})" if said else ""))
        if any(c.isspace() for c in token):
            raise self.error(f"{self.key} printed more than a token: it must print the access token alone")
        return token


def source(key: str, command: str, timeout: float, error: type[AdapterError]) -> TokenSource:
    """The process's one TokenSource for this key and command: its token outlives connections."""
    with _lock:
        found = _sources.get((key, command))
        if found is None:
            found = _sources[(key, command)] = TokenSource(key, command, timeout, error)
        return found


def _first_line(data: bytes) -> str:
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def _end(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()
