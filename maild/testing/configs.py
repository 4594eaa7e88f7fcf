"""A maild configuration for the private servers, as TOML text (what an admin would write)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .dovecot import PrivateDovecot
from .smtpsink import SmtpSink


def local_config(dovecot: PrivateDovecot, sink: SmtpSink, database_url: str, state_dir: Path,
                 **overrides: dict[str, Any]) -> str:
    """The servers' settings with `overrides` (section → key → value) on top; a value of None
    leaves the key out. A list is the entries of an array of tables (staff=[{…}, {…}])."""
    sections: dict[str, dict[str, Any]] = {
        "imap": {"host": dovecot.host, "port": dovecot.port, "security": "none", "username": dovecot.user,
                 "password": dovecot.password, "poll_interval": 1},
        "smtp": {"host": sink.host, "port": sink.port, "security": "none", "retry_initial": 60},
        "database": {"url": database_url},
        "helpdesk": {"address": "support@example.com", "name": "Example Support",
                     "timezone": "Asia/Shanghai", "state_dir": str(state_dir)},
    }
    for name, values in overrides.items():
        if isinstance(values, list):  # entries of an array of tables
            sections[name] = values
            continue
        section = sections.setdefault(name, {})
        section.update(values)
        for key in [key for key, value in values.items() if value is None]:
            del section[key]
    return "\n".join(_table(name, values) for name, values in sections.items())


def _table(name: str, values: dict[str, Any] | list[dict[str, Any]]) -> str:
    """A table, or for a list of them an array of tables ([[staff]] …)."""
    if isinstance(values, list):
        return "".join(_entries(f"[[{name}]]", entry) for entry in values)
    return _entries(f"[{name}]", values)


def _entries(head: str, values: dict[str, Any]) -> str:
    # JSON string, number and list literals are valid TOML basic strings, integers and arrays.
    lines = [head] + [f"{key} = {_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)
