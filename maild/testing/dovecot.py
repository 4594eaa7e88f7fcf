"""A private Dovecot IMAP server on loopback, for tests, the demo and benchmarks.

Each instance writes its own config into a private directory and runs
``dovecot -F`` as its own child process, so it never touches (or is touched
by) a system Dovecot that may be running on the same machine.
"""

from __future__ import annotations

import copy
import grp
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from types import TracebackType

import imapclient

DOVECOT = "dovecot"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
APPEND_BATCH = 500

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth_mechanisms}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_location = maildir:{tmp}/mail/%u
first_valid_uid = 100
# Tests open many parallel connections for the same user from 127.0.0.1.
mail_max_userip_connections = 1000
# IDLE is woken by inotify; this is only the fallback poll if inotify is unavailable.
mailbox_idle_check_interval = 1 secs
{oauth_passdb}passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={tmp}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
{anvil_penalty}}}
"""

# With an introspection URL: XOAUTH2 and OAUTHBEARER logins are checked by Dovecot's oauth2
# passdb, which asks the URL about each token; PLAIN and LOGIN still take the static password
# (the helpers below log in with it). A rejected token must answer fast, and in Dovecot 2.3 that
# takes two settings: auth_failure_delay = 0 (a failure waits for the auth process's next
# half-second check instead of 2 s), and an anvil-auth-penalty socket nobody may connect to,
# which turns anvil's penalty off (else each failure from 127.0.0.1 makes the next login from
# there wait 4, 8, then 15 s, the good ones too; login_trusted_networks, which the documentation
# says skips it, does not in 2.3.19).
OAUTH_PASSDB = """\
auth_failure_delay = 0
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {tmp}/oauth2.conf.ext
}}
"""

NO_PENALTY = """\
  unix_listener anvil-auth-penalty {
    mode = 0
  }
"""

OAUTH_ARGS = """\
introspection_url = {introspection_url}
introspection_mode = post
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
"""


def _program(name: str) -> str | None:
    """Dovecot's programs live in sbin, which a non-root PATH often lacks."""
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


class DovecotError(RuntimeError):
    pass


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _batches(items: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class PrivateDovecot:
    """A Dovecot IMAP server on 127.0.0.1 with a static passdb.

    The static passdb accepts any user name with the configured password, and
    every user gets its own maildir, so ``with_user()`` hands out isolated
    mailboxes on one running server. With `introspection_url` (e.g. an
    ``IntrospectionServer``'s) it takes AUTH=XOAUTH2 and AUTH=OAUTHBEARER too,
    each token checked there; the password still works for PLAIN and LOGIN.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        workdir: Path | None = None,
        user: str = "support@example.com",
        password: str = "secret",
        introspection_url: str | None = None,
    ) -> None:
        self.user = user
        self.password = password
        self.introspection_url = introspection_url
        self._workdir = Path(workdir) if workdir is not None else None
        self._dir: Path | None = None
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = True

    @property
    def port(self) -> int:
        if self._port is None:
            raise DovecotError("dovecot is not started")
        return self._port

    @property
    def directory(self) -> Path:
        if self._dir is None:
            raise DovecotError("dovecot is not started")
        return self._dir

    @property
    def log_path(self) -> Path:
        return self.directory / "dovecot.log"

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> PrivateDovecot:
        self._require_owner()
        if self._proc is not None:
            raise DovecotError("dovecot is already running")
        binary = _program(DOVECOT)
        if binary is None:
            raise DovecotError("dovecot-imapd is not installed (apt-get install dovecot-imapd)")

        if self._dir is None:
            if self._workdir is not None:
                self._workdir.mkdir(parents=True, exist_ok=True)
                self._dir = self._workdir.resolve()
            else:
                self._dir = Path(tempfile.mkdtemp(prefix="maild-dovecot-"))
        try:
            config = self._prepare(self._dir)
            with open(self._dir / "dovecot.log", "ab") as log:
                self._proc = subprocess.Popen(
                    [binary, "-F", "-c", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and remove its directory (unless it was given as workdir).

        Takes about a second: Dovecot's master sleeps 1 s on shutdown to let
        its log process flush.
        """
        self._require_owner()
        self._terminate()
        if self._dir is not None and self._workdir is None:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
        self._port = None

    def restart(self, down_for: float = 0.0) -> None:
        """Stop, stay down for `down_for` seconds, then start on the same port with the same mail.
        Open connections are dropped first, as a real server's restart would: Dovecot's own imap
        processes would otherwise outlive their master and go on serving them."""
        self._require_owner()
        port = self.port
        self._drop_connections()
        self._terminate()
        time.sleep(down_for)
        self._port = port
        self.start()

    def _drop_connections(self) -> None:
        assert self._dir is not None
        doveadm = _program("doveadm")
        if doveadm is None:
            raise DovecotError("doveadm is missing (it comes with dovecot-core)")
        # Not checked: with nobody connected, doveadm kick exits non-zero.
        subprocess.run([doveadm, "-c", str(self._dir / "dovecot.conf"), "kick", self.user],
                       capture_output=True, timeout=STOP_TIMEOUT)

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # By our own pid only: another Dovecot may run on this machine.
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _require_owner(self) -> None:
        if not self._owner:
            raise DovecotError(
                "this handle shares a server started elsewhere; "
                "start your own PrivateDovecot to stop or restart it"
            )

    def __enter__(self) -> PrivateDovecot:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare(self, tmp: Path) -> Path:
        if os.geteuid() == 0:
            # imap-login refuses to run as root, and mail processes run as the
            # unprivileged `dovecot` user, which must reach and own the maildirs.
            internal, login = "dovecot", "dovenull"
            _check_traversable(tmp)
        else:
            internal = login = pwd.getpwuid(os.geteuid()).pw_name
        mail_user = pwd.getpwnam(internal)

        tmp.chmod(0o755)
        for name in ("run", "state", "mail"):
            (tmp / name).mkdir(exist_ok=True)
        os.chown(tmp / "mail", mail_user.pw_uid, mail_user.pw_gid)

        if self._port is None:
            self._port = _free_port(self.host)
        oauth = self.introspection_url is not None
        if oauth:
            (tmp / "oauth2.conf.ext").write_text(OAUTH_ARGS.format(introspection_url=self.introspection_url))
        config = tmp / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                tmp=tmp,
                oauth_mechanisms=" xoauth2 oauthbearer" if oauth else "",
                oauth_passdb=OAUTH_PASSDB.format(tmp=tmp) if oauth else "",
                anvil_penalty=NO_PENALTY if oauth else "",
                port=self._port,
                password=self.password,
                internal_user=internal,
                internal_group=_group_name(mail_user.pw_gid),
                login_user=login,
                mail_uid=mail_user.pw_uid,
                mail_gid=mail_user.pw_gid,
            )
        )
        return config

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise DovecotError(
                    f"dovecot exited with status {self._proc.returncode}\n{self._log_tail()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    greeting = sock.recv(1024)
                if greeting.startswith(b"* OK"):
                    return
                last_error = DovecotError(f"unexpected greeting {greeting!r}")
            except OSError as error:
                last_error = error
            time.sleep(0.02)
        raise DovecotError(
            f"dovecot did not answer on {self.host}:{self._port} within {START_TIMEOUT:.0f}s "
            f"({last_error})\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "--- dovecot.log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])

    # -- helpers -----------------------------------------------------------

    def with_user(self, user: str) -> PrivateDovecot:
        """Another handle on this running server that logs in as `user` (its own mailbox).

        The handle cannot stop or restart the server.
        """
        view = copy.copy(self)
        view.user = user
        view._proc = None
        view._owner = False
        return view

    def client(self, timeout: float = 10.0) -> imapclient.IMAPClient:
        """A new connection, logged in. The caller closes it (``with`` or ``logout()``)."""
        client = imapclient.IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
        try:
            client.login(self.user, self.password)
        except BaseException:
            client.shutdown()
            raise
        return client

    def append(self, raw: bytes, folder: str = "INBOX", flags: Iterable[str] = (),
               received_at: datetime | None = None) -> None:
        """`received_at`: the INTERNALDATE the server gives the message (now, if not given)."""
        with self.client() as imap:
            imap.append(folder, raw, flags=tuple(flags), msg_time=received_at)

    def append_many(self, raws: Iterable[bytes], folder: str = "INBOX",
                    allow_refused: bool = False) -> list[tuple[int, str]]:
        """Append many messages over one connection, in MULTIAPPEND batches.

        Returns the (index, reason) of each message the server refused (it refuses a zero-byte
        one); unless `allow_refused`, a refusal raises instead.
        """
        refused: list[tuple[int, str]] = []
        with self.client() as imap:
            start = 0
            for batch in _batches(raws, APPEND_BATCH):
                # MULTIAPPEND is all or nothing, and imapclient returns a NO instead of raising.
                if imap.multiappend(folder, batch)[0] != "OK":
                    refused += _append_each(imap, folder, batch, start)
                start += len(batch)
        if refused and not allow_refused:
            raise DovecotError(f"the server refused {len(refused)} message(s): {refused[:5]}")
        return refused

    def create_folder(self, name: str) -> None:
        with self.client() as imap:
            imap.create_folder(name)

    def list_messages(self, folder: str = "INBOX") -> list[tuple[int, tuple[str, ...]]]:
        """(uid, flags) of every message in `folder`, by uid.

        ``\\Recent`` is left out: it depends on which session looked first.
        """
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)
            uids = imap.search("ALL")
            if not uids:
                return []
            data = imap.fetch(uids, ["FLAGS"])
        return [
            (uid, tuple(f.decode() for f in data[uid][b"FLAGS"] if f != b"\\Recent"))
            for uid in sorted(data)
        ]

    def fetch_raw(self, folder: str = "INBOX") -> list[bytes]:
        """The raw bytes of every message in `folder`, by uid, without setting \\Seen."""
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)
            uids = imap.search("ALL")
            if not uids:
                return []
            data = imap.fetch(uids, ["BODY.PEEK[]"])
        return [data[uid][b"BODY[]"] for uid in sorted(data)]


def _append_each(imap: imapclient.IMAPClient, folder: str, raws: list[bytes],
                 start: int) -> list[tuple[int, str]]:
    refused = []
    for offset, raw in enumerate(raws):
        try:
            imap.append(folder, raw)
        except imapclient.exceptions.IMAPClientError as exc:
            refused.append((start + offset, str(exc)))
    return refused


def _group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


def _check_traversable(path: Path) -> None:
    for parent in path.resolve().parents:
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise DovecotError(
                f"{parent} is not world-traversable, so Dovecot's mail processes "
                f"(user dovecot) cannot reach {path}; use a directory under /tmp"
            )
