"""Microsoft 365 and Gmail: maild logs in to IMAP and SMTP with an OAuth2 access token (XOAUTH2)
that the admin's command prints. Real servers: Dovecot's oauth2 passdb asks a token-introspection
endpoint on loopback about each token, and the SMTP sink takes AUTH XOAUTH2 with the same tokens."""

from __future__ import annotations

import asyncio
import base64
import itertools
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import imapclient
import pytest

from maild.adapters import imap, smtp
from maild.config import config_from_dict, load_config
from maild.errors import ConfigError, ImapError, SmtpError
from maild.testing.configs import local_config
from maild.testing.dovecot import PrivateDovecot
from maild.testing.oauth import IntrospectionServer, Tokens
from maild.testing.smtpsink import SmtpSink

from .mails import customer_mail
from .test_cli import maild
from .test_daemon import notify_socket, receive_until, start_daemon  # noqa: F401 - notify_socket is a fixture

_users = itertools.count(1)


# -- the servers: one identity provider, one Dovecot that asks it, a sink per test ----------------

@pytest.fixture(scope="module")
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture(scope="module")
def introspection(tokens: Tokens) -> Iterator[IntrospectionServer]:
    with IntrospectionServer(tokens) as server:
        yield server


@pytest.fixture(scope="module")
def oauth_dovecot_server(introspection: IntrospectionServer) -> Iterator[PrivateDovecot]:
    with PrivateDovecot(introspection_url=introspection.url) as server:
        yield server


@pytest.fixture
def oauth_dovecot(oauth_dovecot_server: PrivateDovecot) -> PrivateDovecot:
    """A mailbox of its own, for a user whose tokens the identity provider issues."""
    return oauth_dovecot_server.with_user(f"helpdesk{next(_users)}@example.com")


@pytest.fixture
def oauth_sink(tokens: Tokens) -> Iterator[SmtpSink]:
    with SmtpSink(xoauth2_tokens=tokens) as sink:
        yield sink


class TokenCommand:
    """What an admin would point oauth_token_command at (msal, a vault…): a script that prints the
    token in its file, which a test rotates, and counts its runs."""

    def __init__(self, directory: Path, name: str = "token-command") -> None:
        self.token_file = directory / f"{name}.token"
        self.count_file = directory / f"{name}.runs"
        self.path = directory / name
        self.path.write_text(f"#!/bin/sh\necho run >> '{self.count_file}'\ncat '{self.token_file}'\n")
        self.path.chmod(0o755)
        self.prints("")

    def prints(self, token: str) -> None:
        self.token_file.write_text(token + "\n")

    @property
    def runs(self) -> int:
        return len(self.count_file.read_text().splitlines()) if self.count_file.exists() else 0

    def __str__(self) -> str:
        return str(self.path)


@pytest.fixture
def imap_command(tmp_path: Path) -> TokenCommand:
    return TokenCommand(tmp_path, "imap-token")


@pytest.fixture
def smtp_command(tmp_path: Path) -> TokenCommand:
    return TokenCommand(tmp_path, "smtp-token")


def xoauth2_config(dovecot: PrivateDovecot, sink: SmtpSink, state_dir: Path, imap_command: object,
                   smtp_command: object, **overrides: dict) -> Path:
    path = state_dir / "maild.toml"
    imap_section = {"password": None, "auth": "xoauth2", "oauth_token_command": str(imap_command),
                    **overrides.pop("imap", {})}
    smtp_section = {"username": dovecot.user, "auth": "xoauth2", "oauth_token_command": str(smtp_command),
                    **overrides.pop("smtp", {})}
    path.write_text(local_config(dovecot, sink, f"sqlite:///{state_dir / 'maild.db'}", state_dir,
                                 imap=imap_section, smtp=smtp_section, **overrides), encoding="utf-8")
    return path


@pytest.fixture
def config_path(oauth_dovecot, oauth_sink, state_dir, imap_command, smtp_command) -> Path:
    return xoauth2_config(oauth_dovecot, oauth_sink, state_dir, imap_command, smtp_command)


@pytest.fixture
def valid_tokens(tokens, oauth_dovecot, imap_command, smtp_command) -> tuple[str, str]:
    """Both commands print a token the identity provider has issued for the helpdesk's user."""
    imap_token, smtp_token = tokens.issue(oauth_dovecot.user), tokens.issue(oauth_dovecot.user)
    imap_command.prints(imap_token)
    smtp_command.prints(smtp_token)
    return imap_token, smtp_token


def send_once(config: smtp.SmtpConfig) -> smtp.Outcome:
    async def go() -> smtp.Outcome:
        async with smtp.SmtpSender(config) as sender:
            return await sender.send(b"Subject: hi\r\n\r\nhello\r\n", "support@example.com", ["a@customer.example"])
    return asyncio.run(go())


# -- the test servers themselves ------------------------------------------------------------------

def test_dovecot_takes_an_issued_token_and_refuses_others_within_a_second(oauth_dovecot, tokens,
                                                                          introspection) -> None:
    token = tokens.issue(oauth_dovecot.user)
    for attempt in ("not-issued", token, tokens.issue("someone-else@example.com"), "not-issued", token):
        started = time.monotonic()
        with imapclient.IMAPClient(oauth_dovecot.host, port=oauth_dovecot.port, ssl=False, timeout=10) as client:
            if attempt == token:
                client.oauth2_login(oauth_dovecot.user, attempt)
            else:
                with pytest.raises(imapclient.exceptions.LoginError):
                    client.oauth2_login(oauth_dovecot.user, attempt)
        # No failure delay and no anvil penalty: a good login right after bad ones is not held back.
        assert time.monotonic() - started < 1.5, attempt
    assert token in introspection.tokens_seen
    oauth_dovecot.append(customer_mail())  # the password still works for the test's own helpers
    assert len(oauth_dovecot.list_messages()) == 1


def test_the_sink_offers_xoauth2_only_when_given_tokens(smtp_sink, oauth_sink) -> None:
    import smtplib

    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as plain:
        assert "AUTH LOGIN PLAIN" in plain.ehlo()[1].decode().splitlines()
    with smtplib.SMTP(oauth_sink.host, oauth_sink.port, timeout=5) as oauth:
        assert "AUTH XOAUTH2" in oauth.ehlo()[1].decode().splitlines()
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            oauth.sendmail("support@example.com", ["a@customer.example"], b"Subject: x\r\n\r\nx\r\n")
        assert refused.value.smtp_code == 530


# -- logging in -----------------------------------------------------------------------------------

def test_once_logs_in_by_xoauth2_to_imap_and_smtp_and_sends_the_ack(config_path, oauth_dovecot, oauth_sink,
                                                                     valid_tokens, introspection) -> None:
    oauth_dovecot.append(customer_mail())
    result = maild(config_path, "once")
    assert result.returncode == 0, result.stderr
    [ack] = oauth_sink.wait_for(1)
    assert ack.message["Subject"].startswith("[TS")
    assert oauth_sink.xoauth2_logins == [(oauth_dovecot.user, valid_tokens[1], True)]
    assert valid_tokens[0] in introspection.tokens_seen


def test_no_access_token_appears_in_any_output(config_path, oauth_dovecot, oauth_sink, valid_tokens, imap_command,
                                               smtp_command, tokens) -> None:
    oauth_dovecot.append(customer_mail())
    outputs = [maild(config_path, "-v", "once"), maild(config_path, "check-config")]
    assert outputs[0].returncode == 0 and len(oauth_sink.messages) == 1  # both logins were made
    imap_command.prints(tokens.issue("someone-else@example.com"))  # valid for another user: refused
    outputs.append(maild(config_path, "-v", "once"))
    assert outputs[-1].returncode == 1
    for token in (*valid_tokens, imap_command.token_file.read_text().strip()):
        sasl = base64.b64encode(f"user={oauth_dovecot.user}\x01auth=Bearer {token}\x01\x01".encode()).decode()
        assert not any(token in output.stdout + output.stderr or sasl in output.stdout + output.stderr
                       for output in outputs)


def test_a_token_is_kept_for_every_login_of_the_process(config_path, oauth_dovecot, oauth_sink, valid_tokens,
                                                        imap_command, smtp_command) -> None:
    config = load_config(config_path)
    for _ in range(2):
        imap.probe(config.imap)
        assert isinstance(send_once(config.smtp), smtp.Sent)
    assert (imap_command.runs, smtp_command.runs) == (1, 1)
    assert [accepted for _, _, accepted in oauth_sink.xoauth2_logins] == [True, True]


def test_a_revoked_imap_token_is_fetched_again_once_and_the_new_one_works(config_path, oauth_dovecot, tokens,
                                                                          valid_tokens, imap_command) -> None:
    config = load_config(config_path)
    imap.probe(config.imap)
    tokens.revoke(valid_tokens[0])  # expired, say
    imap_command.prints(tokens.issue(oauth_dovecot.user))
    assert imap.probe(config.imap).startswith("IMAP ")
    assert imap_command.runs == 2


def test_a_revoked_smtp_token_is_fetched_again_once_and_the_new_one_works(config_path, oauth_dovecot, oauth_sink,
                                                                          tokens, valid_tokens,
                                                                          smtp_command) -> None:
    config = load_config(config_path)
    send_once(config.smtp)
    tokens.revoke(valid_tokens[1])
    renewed = tokens.issue(oauth_dovecot.user)
    smtp_command.prints(renewed)
    assert isinstance(send_once(config.smtp), smtp.Sent)
    assert smtp_command.runs == 2
    assert [(token, accepted) for _, token, accepted in oauth_sink.xoauth2_logins] == [
        (valid_tokens[1], True), (valid_tokens[1], False), (renewed, True)]


def test_a_kept_token_rejected_and_a_fresh_one_rejected_too_is_one_error(config_path, oauth_dovecot, tokens,
                                                                         valid_tokens, imap_command) -> None:
    config = load_config(config_path)
    imap.probe(config.imap)
    tokens.revoke(valid_tokens[0])  # and the command still prints it
    with pytest.raises(ImapError, match=f"^IMAP login as {oauth_dovecot.user} rejected the XOAUTH2 token "
                                        "from imap.oauth_token_command"):
        imap.probe(config.imap)
    assert imap_command.runs == 2  # once more, not in a loop


# -- what the admin sees when a token is rejected ------------------------------------------------

@pytest.fixture
def rejected_tokens(imap_command, smtp_command) -> None:
    imap_command.prints("never-issued")
    smtp_command.prints("never-issued-either")


def test_check_config_names_imap_and_smtp_when_their_tokens_are_rejected(config_path, oauth_dovecot,
                                                                          rejected_tokens) -> None:
    result = maild(config_path, "check-config")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"imap: FAILED: IMAP login as {oauth_dovecot.user} rejected the XOAUTH2 token from " \
           "imap.oauth_token_command" in "\n".join(lines)
    assert any(line.startswith(f"smtp: FAILED: SMTP login as {oauth_dovecot.user} rejected the XOAUTH2 token "
                               "from smtp.oauth_token_command") for line in lines)


def test_once_with_a_rejected_token_exits_1_with_one_clear_line(config_path, oauth_dovecot,
                                                                 rejected_tokens) -> None:
    oauth_dovecot.append(customer_mail())
    result = maild(config_path, "once")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"maild: IMAP login as {oauth_dovecot.user} rejected the XOAUTH2 token from "
                           "imap.oauth_token_command")
    assert "Traceback" not in result.stderr


def test_once_whose_smtp_token_is_rejected_exits_1_and_keeps_the_mail_queued(config_path, oauth_dovecot,
                                                                            valid_tokens, smtp_command) -> None:
    smtp_command.prints("never-issued")
    oauth_dovecot.append(customer_mail())
    result = maild(config_path, "once")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        f"maild: SMTP login as {oauth_dovecot.user} rejected the XOAUTH2 token from smtp.oauth_token_command")
    assert "retrying 1" in result.stdout and "Traceback" not in result.stderr


def test_a_failing_token_command_is_named_with_what_it_said(oauth_dovecot, oauth_sink, state_dir,
                                                            tmp_path) -> None:
    vault = tmp_path / "vault"
    vault.write_text("#!/bin/sh\necho 'vault: sealed, try later' >&2\necho 'more detail' >&2\nexit 3\n")
    vault.chmod(0o755)
    config_path = xoauth2_config(oauth_dovecot, oauth_sink, state_dir, vault, "true")
    result = maild(config_path, "check-config")
    assert result.returncode == 1
    assert "imap: FAILED: imap.oauth_token_command failed (exit status 3): vault: sealed, try later\n" \
        in result.stdout
    assert "smtp: FAILED: smtp.oauth_token_command printed no token\n" in result.stdout


def test_a_token_command_that_hangs_is_stopped_after_the_timeout(oauth_dovecot, oauth_sink, state_dir) -> None:
    config = load_config(xoauth2_config(oauth_dovecot, oauth_sink, state_dir, "sleep 30 | cat", "true",
                                        imap={"timeout": 1}))
    started = time.monotonic()
    with pytest.raises(ImapError, match=r"^imap.oauth_token_command did not finish within 1 s$"):
        imap.probe(config.imap)
    assert time.monotonic() - started < 5


def test_a_token_command_must_print_the_token_alone(oauth_dovecot, oauth_sink, state_dir) -> None:
    config = load_config(xoauth2_config(oauth_dovecot, oauth_sink, state_dir, "true",
                                        "echo 'Access token:'; echo abc"))
    with pytest.raises(SmtpError, match="smtp.oauth_token_command printed more than a token"):
        send_once(config.smtp)


def test_the_daemon_survives_a_rejected_token_and_fetches_once_it_is_valid_again(
        config_path, oauth_dovecot, oauth_sink, tokens, valid_tokens, imap_command, notify_socket) -> None:  # noqa: F811
    imap_command.prints("never-issued")
    daemon = start_daemon(config_path, notify_socket)
    log = config_path.parent / "daemon.log"
    try:
        receive_until(notify_socket, "READY=1")
        deadline = time.monotonic() + 10
        while "rejected the XOAUTH2 token" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "retrying in" in log.read_text()
        oauth_dovecot.append(customer_mail())
        imap_command.prints(valid_tokens[0])  # the vault is fixed
        [ack] = oauth_sink.wait_for(1, timeout=15)
        assert ack.message["Subject"].startswith("[TS")
        assert daemon.poll() is None
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0, log.read_text()


# -- the configuration ----------------------------------------------------------------------------

MINIMAL = {
    "imap": {"host": "imap.example.com", "username": "support@example.com", "auth": "xoauth2",
             "oauth_token_command": "oauth2ms"},
    "smtp": {"host": "smtp.example.com", "username": "support@example.com", "auth": "xoauth2",
             "oauth_token_command": "oauth2ms"},
    "helpdesk": {"address": "support@example.com", "name": "Example Support"},
}


def changed(section: str, **values) -> dict:
    data = {name: dict(part) for name, part in MINIMAL.items()}
    data[section].update(values)
    for key in [key for key, value in values.items() if value is None]:
        del data[section][key]
    return data


def test_xoauth2_needs_no_password() -> None:
    config = config_from_dict(MINIMAL)
    assert (config.imap.auth, config.imap.password, config.imap.oauth_token_command) == ("xoauth2", None, "oauth2ms")
    assert (config.smtp.auth, config.smtp.password) == ("xoauth2", None)


def test_password_stays_the_default() -> None:
    data = changed("imap", auth=None, oauth_token_command=None, password="x")
    data["smtp"] = {"host": "smtp.example.com"}
    config = config_from_dict(data)
    assert (config.imap.auth, config.smtp.auth) == ("password", "password")


@pytest.mark.parametrize("section,values,message", [
    ("imap", {"auth": "oauth"}, "imap.auth: expected one of password, xoauth2"),
    ("smtp", {"auth": "XOAUTH2"}, "smtp.auth: expected one of password, xoauth2"),
    ("imap", {"oauth_token_command": None}, 'imap.oauth_token_command: missing: imap.auth = "xoauth2"'),
    ("smtp", {"oauth_token_command": "  "}, 'smtp.oauth_token_command: missing: smtp.auth = "xoauth2"'),
    ("smtp", {"username": None}, 'smtp.username: missing: smtp.auth = "xoauth2" logs in as this user'),
    ("imap", {"password": "x"}, 'imap.password_file: not used with imap.auth = "xoauth2"'),
    ("imap", {"auth": "password", "password": "x"},
     'imap.oauth_token_command: used only with imap.auth = "xoauth2"'),
    ("smtp", {"auth": None, "password": "x"}, 'smtp.oauth_token_command: used only with smtp.auth = "xoauth2"'),
    ("imap", {"oauth_token_command": ["oauth2ms"]}, "imap.oauth_token_command: expected a string"),
    ("imap", {"auth": "password", "oauth_token_command": None}, "imap.password_file: missing (or imap.password)"),
])
def test_a_wrong_xoauth2_setting_names_its_key(section, values, message) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict(changed(section, **values))
    assert str(error.value).startswith(message)
