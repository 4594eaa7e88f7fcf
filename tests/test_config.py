"""One TOML file; a wrong or unknown key is an error naming the dotted key."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path

import pytest

from maild.config import ENTRIES, SECTIONS, config_from_dict, load_config, toml_keys
from maild.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "maild.example.toml"

MINIMAL = {
    "imap": {"host": "imap.example.com", "username": "support@example.com", "password": "x"},
    "smtp": {"host": "smtp.example.com"},
    "helpdesk": {"address": "support@example.com", "name": "Example Support"},
}


def with_change(section: str, key: str, value) -> dict:
    data = {name: dict(values) for name, values in MINIMAL.items()}
    data.setdefault(section, {})[key] = value
    return data


def test_the_example_file_documents_every_key(tmp_path, monkeypatch) -> None:
    for name in ("imap_password", "smtp_password"):  # as the unit's LoadCredential= provides them
        (tmp_path / name).write_text("secret\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    text = EXAMPLE.read_text()
    (tmp_path / "maild.toml").write_text(text)
    config = load_config(tmp_path / "maild.toml")
    assert config.imap.password == "secret" and config.smtp.username == "support@example.com"
    assert config.helpdesk.timezone == "Asia/Shanghai"
    for section in SECTIONS:
        documented = {line.split("=")[0].strip("# ").strip() for line in _section(text, section)}
        assert {f for f in getattr(config, section).__dataclass_fields__} <= documented, section
    for name, (attribute, cls) in ENTRIES.items():  # [[staff]] ...: the keys of all its entries together
        documented = {line.split("=")[0].strip("# ").strip() for line in _entries(text, name)}
        assert set(toml_keys(cls)) <= documented, name
        assert getattr(config, attribute), f"the example has no [[{name}]] entry"


def _section(text: str, name: str) -> list[str]:
    body = text.split(f"[{name}]\n", 1)[1].split("\n[", 1)[0]
    return [line for line in body.splitlines() if "=" in line]


def _entries(text: str, name: str) -> list[str]:
    bodies = [body.split("\n[", 1)[0] for body in text.split(f"[[{name}]]\n")[1:]]
    return [line for body in bodies for line in body.splitlines() if "=" in line]


def test_defaults_verify_tls_for_imap_and_smtp() -> None:
    config = config_from_dict(MINIMAL)
    assert (config.imap.security, config.imap.port) == ("tls", 993)
    assert (config.smtp.security, config.smtp.port) == ("tls", 465)


@pytest.mark.parametrize("section,key,value,message", [
    ("smtp", "port", "465", "smtp.port: expected an integer"),
    ("imap", "security", "ssl", "imap.security: expected one of tls, starttls, none"),
    ("imap", "hots", "x", "imap.hots: unknown key"),
    ("helpdesk", "timezone", "Mars/Olympus", "helpdesk.timezone: unknown time zone"),
    ("imap", "idle", "yes", "imap.idle: expected true or false"),
    ("screen", "auto_reply_limit", True, "screen.auto_reply_limit: expected an integer"),
])
def test_a_wrong_key_is_named_in_the_error(section, key, value, message) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict(with_change(section, key, value))
    assert str(error.value).startswith(message)


def test_an_unknown_section_is_named() -> None:
    with pytest.raises(ConfigError, match="^smpt: unknown section"):
        config_from_dict({**MINIMAL, "smpt": {}})


def test_a_missing_password_file_is_named(tmp_path) -> None:
    data = with_change("imap", "password_file", str(tmp_path / "absent"))
    del data["imap"]["password"]
    with pytest.raises(ConfigError, match="^imap.password_file: cannot read"):
        config_from_dict(data)


def test_a_relative_password_file_comes_from_systemd_credentials(tmp_path, monkeypatch) -> None:
    (tmp_path / "imap_password").write_text("from-credentials\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    data = with_change("imap", "password_file", "imap_password")
    del data["imap"]["password"]
    assert config_from_dict(data).imap.password == "from-credentials"


@pytest.mark.parametrize("section, key", [("smtp", "retry_initial"), ("screen", "auto_reply_limit"),
                                          ("imap", "poll_interval"), ("processing", "batch_size")])
@pytest.mark.parametrize("value", [0, -5])
def test_a_count_or_duration_below_one_is_named(section, key, value) -> None:
    with pytest.raises(ConfigError, match=rf"{section}\.{key}.*positive"):
        config_from_dict(with_change(section, key, value))


def test_a_response_window_table_may_name_only_some_priorities() -> None:
    config = config_from_dict(with_change("sla", "first_response", {"P0": 3600}))
    assert config.sla.first_response == {"P0": 3600, "P1": 86400, "P2": 86400, "P3": 86400}


@pytest.mark.parametrize("value,message", [
    ({"P5": 60}, "sla.first_response.P5: unknown priority (known: P0, P1, P2, P3)"),
    ({"P1": 0}, "sla.first_response.P1: expected a positive integer"),
    ({"P0": "2h"}, "sla.first_response.P0: expected an integer"),
    (7200, "sla.first_response: expected a table"),
])
def test_a_wrong_response_window_is_named(value, message) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict(with_change("sla", "first_response", value))
    assert str(error.value).startswith(message)


def test_the_calendar_is_chinas_working_week_unless_the_file_says_otherwise() -> None:
    default = config_from_dict(MINIMAL).calendar
    assert (default.country, default.working_days, default.hours) == (
        "CN", ("mon", "tue", "wed", "thu", "fri"), (time(9), time(18)))
    config = config_from_dict(MINIMAL | {
        "calendar": {"country": "DE", "holidays": ["2026-12-31"], "workdays": ["2026-12-27"],
                     "working_hours": ["08:30", "17:00"], "working_days": ["mon", "tue", "wed", "thu"]}})
    assert (config.calendar.days_off, config.calendar.days_on) == ({date(2026, 12, 31)}, {date(2026, 12, 27)})
    assert (config.calendar.country, config.calendar.working_days, config.calendar.hours) == (
        "DE", ("mon", "tue", "wed", "thu"), (time(8, 30), time(17)))


@pytest.mark.parametrize("key,value,message", [
    ("country", "XX", 'calendar.country: unknown country "XX"'),
    ("working_hours", ["18:00", "09:00"], "calendar.working_hours: the closing time must come after"),
    ("working_hours", ["9am", "6pm"], 'calendar.working_hours: expected a time "HH:MM"'),
    ("working_hours", ["09:00"], "calendar.working_hours: expected two times"),
    ("working_days", ["mon", "fri day"], 'calendar.working_days: unknown day "fri day"'),
    ("working_days", [], "calendar.working_days: empty"),
    ("holidays", ["2026-13-01"], 'calendar.holidays: expected a date "YYYY-MM-DD", got \'2026-13-01\''),
    ("workdays", "2026-12-27", "calendar.workdays: expected a list of strings"),
])
def test_a_wrong_calendar_is_named(key, value, message) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict(with_change("calendar", key, value))
    assert str(error.value).startswith(message)


def test_a_resolution_window_may_be_working_days() -> None:
    config = config_from_dict(with_change("sla", "resolution", {"P2": "3 working days"}))
    assert config.sla.resolution == {"P0": 14400, "P1": 86400, "P2": "3 working days", "P3": "5 working days"}


@pytest.mark.parametrize("key,value,message", [
    ("resolution", {"P3": "a week"}, 'sla.resolution.P3: expected seconds or "N working days", got \'a week\''),
    ("resolution", {"P1": -5}, "sla.resolution.P1: expected a positive integer"),
    ("warn_at", 1.5, "sla.warn_at: expected a share of the window between 0 and 1"),
    ("pause_when_waiting", "yes", "sla.pause_when_waiting: expected true or false"),
])
def test_a_wrong_clock_is_named(key, value, message) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict(with_change("sla", key, value))
    assert str(error.value).startswith(message)


def test_a_relative_sqlite_path_is_refused() -> None:
    with pytest.raises(ConfigError, match="database.url.*ABSOLUTE"):
        config_from_dict(with_change("database", "url", "sqlite:///maild.db"))


def test_a_relative_password_file_outside_systemd_says_where_it_is_read_from(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    data = with_change("imap", "password_file", "imap_password")
    del data["imap"]["password"]
    with pytest.raises(ConfigError, match=r"imap.password_file.*\$CREDENTIALS_DIRECTORY"):
        config_from_dict(data)


def test_a_config_file_with_a_byte_order_mark_is_read(tmp_path) -> None:
    path = tmp_path / "maild.toml"
    path.write_bytes(b"\xef\xbb\xbf" + _toml(MINIMAL).encode())
    assert load_config(path).imap.host == "imap.example.com"


@pytest.mark.parametrize("encoding", ["gbk", "latin-1"])
def test_a_config_file_not_in_utf8_is_a_configuration_error(tmp_path, encoding) -> None:
    path = tmp_path / "maild.toml"
    data = with_change("helpdesk", "name", "客服中心" if encoding == "gbk" else "Kundendienst Müller")
    path.write_bytes(_toml(data).encode(encoding))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def _toml(data: dict) -> str:
    return "".join(f"[{name}]\n" + "".join(f"{key} = {json.dumps(value, ensure_ascii=False)}\n"
                                           for key, value in values.items())
                   for name, values in data.items())


def test_the_units_documentation_is_a_file_the_install_steps_create() -> None:
    root = EXAMPLE.parents[1]
    [documentation] = [line.split("=", 1)[1] for line in (root / "systemd" / "maild.service").read_text().splitlines()
                       if line.startswith("Documentation=")]
    path = documentation.removeprefix("file://")
    assert f"install -D -m 0644 README.md {path}" in (root / "README.md").read_text()



def test_no_knowledge_base_suggestions_is_kb_suggest_0_and_fewer_is_refused() -> None:
    assert config_from_dict(with_change("kb", "suggest", 0)).kb.suggest == 0
    with pytest.raises(ConfigError) as error:
        config_from_dict(with_change("kb", "suggest", -1))
    assert str(error.value).startswith("kb.suggest: expected 0 or more")


@pytest.mark.parametrize(("section", "key", "value"), [("archive", "after_working_days", 0), ("report", "day", 0),
                                                       ("report", "day", 29)])
def test_an_archive_delay_or_report_day_out_of_range_is_named(section, key, value) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict(with_change(section, key, value))
    assert str(error.value).startswith(f"{section}.{key}")
