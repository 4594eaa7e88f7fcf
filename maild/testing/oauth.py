"""An OAuth2 identity provider's two halves that mail servers talk to, on loopback, for tests.

`Tokens` holds the access tokens it has issued (token → user name) and can revoke them.
`IntrospectionServer` answers RFC 7662 token introspection over HTTP on 127.0.0.1, as Dovecot's
oauth2 passdb asks it (`introspection_mode = post`: a POST with `token=…`): `{"active": true,
"username": …}` for a token it issued and has not revoked, `{"active": false}` for any other.
An `SmtpSink` given the same `Tokens` takes AUTH XOAUTH2 with them, so one set of tokens serves
IMAP and SMTP, as one tenant's tokens do.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs


class Tokens:
    """Access tokens issued and not revoked; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, str] = {}

    def issue(self, user: str, token: str | None = None) -> str:
        """A token valid for `user` from now on (a new random one unless `token` is given)."""
        token = token if token is not None else secrets.token_urlsafe(24)
        with self._lock:
            self._users[token] = user
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._users.pop(token, None)

    def user_of(self, token: str) -> str | None:
        """Whom the token is valid for; None for a token never issued or revoked."""
        with self._lock:
            return self._users.get(token)


class IntrospectionServer:
    """POST /introspect with `token=…` → `{"active": true, "username": …}` or `{"active": false}`.

    `requests` counts the introspections answered, `tokens_seen` lists the tokens asked about.
    """

    host = "127.0.0.1"
    path = "/introspect"

    def __init__(self, tokens: Tokens | None = None) -> None:
        self.tokens = tokens if tokens is not None else Tokens()
        self._lock = threading.Lock()
        self._seen: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("introspection server is not started")
        return f"http://{self.host}:{self._server.server_address[1]}{self.path}"

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self._seen)

    @property
    def tokens_seen(self) -> list[str]:
        with self._lock:
            return list(self._seen)

    def start(self) -> IntrospectionServer:
        if self._server is not None:
            raise RuntimeError("introspection server is already running")
        self._server = ThreadingHTTPServer((self.host, 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="introspection", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> IntrospectionServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _answer(self, token: str) -> dict[str, object]:
        with self._lock:
            self._seen.append(token)
        user = self.tokens.user_of(token)
        return {"active": True, "username": user} if user is not None else {"active": False}


def _handler(owner: IntrospectionServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # Dovecot's HTTP client keeps its connection open

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.split("?", 1)[0] != owner.path:
                self._reply(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            self._reply(200, owner._answer(form.get("token", [""])[0]))

        def _reply(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # quiet: tests read their own output
            pass

    return Handler
