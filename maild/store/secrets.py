"""Keys maild keeps: the one that signs survey links, and the one that signs our Message-IDs."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..config import HelpdeskConfig, SurveyConfig, credential_path
from ..errors import ConfigError


def survey_secret(survey: SurveyConfig, state_dir: str) -> bytes:
    """survey.secret_file's key; without one, a key made once in the state directory."""
    return _key("survey.secret_file", survey.secret_file, Path(state_dir) / "survey_secret", least=16)


def helpdesk_secret(helpdesk: HelpdeskConfig) -> bytes:
    """helpdesk.secret_file's key, which signs every Message-ID maild sends; without one, a key
    made once in the state directory. Several hosts on one store must share one file."""
    return _key("helpdesk.secret_file", helpdesk.secret_file, Path(helpdesk.state_dir) / "helpdesk_secret", least=32)


def _key(setting: str, configured: str | None, generated: Path, least: int) -> bytes:
    """The configured file's key (at least `least` bytes: a config error otherwise), else the
    generated one (mode 0600), so signatures stay valid across restarts."""
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
    if not generated.exists():
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
    return generated.read_bytes().strip()
