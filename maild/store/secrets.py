"""Keys maild keeps: the one that signs survey links."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..config import SurveyConfig, credential_path
from ..errors import ConfigError

GENERATED = "survey_secret"  # in the state directory, when survey.secret_file is not set


def survey_secret(survey: SurveyConfig, state_dir: str) -> bytes:
    """survey.secret_file's key; without one, a key made once in the state directory (mode 0600),
    so links stay valid across restarts and every process on this host signs alike."""
    if survey.secret_file is not None:
        path = credential_path("survey.secret_file", survey.secret_file)
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError("survey.secret_file", f"cannot read {path}: {exc.strerror}") from exc
        if len(key) < 16:
            raise ConfigError("survey.secret_file", f"{path} holds {len(key)} bytes: a signing key needs at least "
                                                    "16 (e.g. `openssl rand -hex 32 > FILE`)")
        return key
    path = Path(state_dir) / GENERATED
    if not path.exists():
        # Written whole under another name, then linked in: a process starting beside this one
        # reads either no file or the whole key, and only the first link wins.
        draft = path.with_name(f".{GENERATED}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_bytes().strip()
