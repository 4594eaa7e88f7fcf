"""Keys maild keeps: the one that signs survey links, and the one that signs our Message-IDs."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..config import HelpdeskConfig, SurveyConfig, credential_path
from ..errors import ConfigError

GENERATED_HELPDESK_KEY = "helpdesk_secret"  # in the state directory, when helpdesk.secret_file is not set


def survey_secret(survey: SurveyConfig, state_dir: str) -> bytes:
    """survey.secret_file's key; without one, a key made once in the state directory."""
    return _key("survey.secret_file", survey.secret_file, Path(state_dir) / "survey_secret", least=16)


def helpdesk_secret(helpdesk: HelpdeskConfig, make: bool = True) -> bytes | None:
    """helpdesk.secret_file's key, which signs every Message-ID maild sends; without one, a key
    made once in the state directory (with `make`; else None while there is none). Several hosts
    on one store must share one file."""
    generated = generated_helpdesk_key(helpdesk)
    if helpdesk.secret_file is None and not make and not generated.exists():
        return None
    return _key("helpdesk.secret_file", helpdesk.secret_file, generated, least=32)


def generated_helpdesk_key(helpdesk: HelpdeskConfig) -> Path:
    """Where the key is made when helpdesk.secret_file is not set."""
    return Path(helpdesk.state_dir) / GENERATED_HELPDESK_KEY


def _key(setting: str, configured: str | None, generated: Path, least: int) -> bytes:
    """The configured file's key (at least `least` bytes: a config error otherwise), else the
    generated one (mode 0600), so signatures stay valid across restarts. A generated key that
    cannot be made or read (say a root-owned file from a command run as root) is a config error
    too, naming the file."""
    if configured is not None:
        path = credential_path(setting, configured)
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(setting, f"cannot read {path}: {exc.strerror}") from exc
        if len(key) < least:
            raise ConfigError(setting, f"{path} holds {len(key)} bytes: a signing key needs at least {least} "
                                       "(e.g. `openssl rand -hex 32 > FILE`)")
        return key
    try:
        if not generated.exists():
            _make(generated)
        return generated.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(setting, f"unset, so the key is {generated}, which cannot be made or read: "
                                   f"{exc.strerror} (it belongs to the user maild runs as)") from exc


def _make(generated: Path) -> None:
    generated.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under another name, then linked in: a process starting beside this one
    # reads either no file or the whole key, and only the first link wins.
    draft = generated.with_name(f".{generated.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, generated)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
