"""TOML → frozen dataclasses. Every error names the dotted key (`smtp.port: expected an integer`).

Secrets come from `password` or, better, `password_file`; a relative `password_file` is read from
systemd's `$CREDENTIALS_DIRECTORY` (LoadCredential=) when that is set. With `auth = "xoauth2"`
there is no password: `oauth_token_command` prints an OAuth2 access token (never one in the file).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

SECURITY_MODES = ("tls", "starttls", "none")
FIRST_RUN = ("all", "unseen", "new")  # imap.first_run
AUTH_METHODS = ("password", "xoauth2")  # imap.auth, smtp.auth
PRIORITIES = ("P0", "P1", "P2", "P3")  # the guideline's, most urgent first
ROLES = ("supervisor", "senior", "engineer", "rnd", "pm", "agent", "kb-admin")  # staff[].roles (G19)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # rota[].days


def sqlite_path(url: str) -> str | None:
    """The file a sqlite: database url names (sqlite:////abs/path, sqlite:///rel/path); None for
    any other url."""
    return url.removeprefix("sqlite:").removeprefix("///").removeprefix("//") if url.startswith("sqlite:") else None


@dataclass(frozen=True)
class ImapConfig:
    host: str
    username: str
    port: int = 993
    security: str = "tls"
    password: str | None = field(default=None, repr=False)
    password_file: str | None = None
    auth: str = "password"  # or "xoauth2": log in with an access token that oauth_token_command prints
    oauth_token_command: str | None = None
    ca_file: str | None = None
    folder: str = "INBOX"
    processed_folder: str | None = None
    idle: bool = True
    poll_interval: int = 60
    idle_timeout: int = 300
    batch_size: int = 200
    timeout: int = 60
    first_run: str = "all"  # with no cursor yet: import "all" the mail there, only the "unseen", or none ("new")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 465
    security: str = "tls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    password_file: str | None = None
    auth: str = "password"  # or "xoauth2", as imap.auth
    oauth_token_command: str | None = None
    ca_file: str | None = None
    timeout: int = 60
    connections: int = 2
    retry_initial: int = 60
    retry_max: int = 3600
    give_up_after: int = 172800


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:////var/lib/maild/maild.db"


@dataclass(frozen=True)
class HelpdeskConfig:
    address: str
    name: str
    timezone: str = "UTC"
    default_language: str = "en"
    state_dir: str = "/var/lib/maild"
    templates_dir: str | None = None
    loop_header: str = "X-Maild-Loop"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ScreenConfig:
    auto_reply_limit: int = 10
    auto_reply_window: int = 3600
    answer_within: int = 259200  # seconds: mail the server received longer ago gets no automatic answer


def _per_priority(**seconds: int):
    return field(default_factory=lambda: dict(seconds))


@dataclass(frozen=True)
class SlaConfig:
    """The guideline's clocks, in seconds per priority; a table in the file may name only some."""

    first_response: dict[str, int] = _per_priority(P0=7200, P1=86400, P2=86400, P3=86400)  # G2


@dataclass(frozen=True)
class ProcessingConfig:
    max_attempts: int = 3
    batch_size: int = 100


# -- the workflow: who works here, what they answer for, when, and how mail is classified --------

@dataclass(frozen=True)
class StaffMember:
    name: str
    address: str  # lower-cased
    roles: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()  # the modules this engineer answers for (P1 routing)

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", self.address.lower())


@dataclass(frozen=True)
class Module:
    name: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class RotaEntry:
    """An on-duty shift: on `date`, or on `days` (all days when empty), from `start` to `end` in the
    helpdesk's zone (all day when unset; across midnight when `end` is not after `start`)."""

    staff: str  # lower-cased address of a [[staff]] entry
    days: tuple[str, ...] = ()
    date: dt.date | None = None
    start: dt.time | None = field(default=None, metadata={"toml": "from"})
    end: dt.time | None = field(default=None, metadata={"toml": "to"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "staff", self.staff.lower())


@dataclass(frozen=True)
class Rule:
    """A classification rule: any phrase of `match` in the subject or text (case-insensitive) sets
    the fields it names; `tier`: only for customers of that tier."""

    match: tuple[str, ...] = ()
    priority: str | None = None
    type: str | None = None
    module: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class Customer:
    organisation: str
    domain: str | None = None  # lower-cased; this or `address`
    address: str | None = None  # lower-cased
    tier: str | None = None

    def __post_init__(self) -> None:
        for name in ("domain", "address"):
            if getattr(self, name):
                object.__setattr__(self, name, getattr(self, name).lower())


@dataclass(frozen=True)
class ClassifyConfig:
    default_priority: str = "P2"
    default_type: str = "未分类"
    builtin_rules: bool = True  # the shipped rules run after the config's own [[rule]] entries


@dataclass(frozen=True)
class WorkflowConfig:
    reopen_within: int = 604800  # seconds after resolution a customer's reply reopens the ticket
    authserv_id: str = ""  # set: staff mail counts only with dkim=pass or spf=pass from this authserv-id


@dataclass(frozen=True)
class Config:
    imap: ImapConfig
    smtp: SmtpConfig
    helpdesk: HelpdeskConfig
    database: DatabaseConfig = DatabaseConfig()
    screen: ScreenConfig = ScreenConfig()
    processing: ProcessingConfig = ProcessingConfig()
    sla: SlaConfig = SlaConfig()
    classify: ClassifyConfig = ClassifyConfig()
    workflow: WorkflowConfig = WorkflowConfig()
    staff: tuple[StaffMember, ...] = ()
    modules: tuple[Module, ...] = ()
    rota: tuple[RotaEntry, ...] = ()
    rules: tuple[Rule, ...] = ()
    customers: tuple[Customer, ...] = ()
    source: str = ""

    def with_role(self, role: str) -> tuple[StaffMember, ...]:
        return tuple(member for member in self.staff if role in member.roles)


SECTIONS: dict[str, type] = {
    "imap": ImapConfig,
    "smtp": SmtpConfig,
    "database": DatabaseConfig,
    "helpdesk": HelpdeskConfig,
    "screen": ScreenConfig,
    "processing": ProcessingConfig,
    "sla": SlaConfig,
    "classify": ClassifyConfig,
    "workflow": WorkflowConfig,
}
# Arrays of tables ([[staff]] …): TOML name → (Config field, entry class). Errors count entries from 1.
LISTS: dict[str, tuple[str, type]] = {
    "staff": ("staff", StaffMember),
    "module": ("modules", Module),
    "rota": ("rota", RotaEntry),
    "rule": ("rules", Rule),
    "customer": ("customers", Customer),
}


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))  # an editor's byte-order mark is fine
    except OSError as exc:
        raise ConfigError("", f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("", f"{path} is not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start}): "
                              "save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("", f"{path}: not valid TOML: {exc}") from exc
    return config_from_dict(data, source=str(path))


def config_from_dict(data: dict, source: str = "") -> Config:
    unknown = sorted(set(data) - set(SECTIONS) - set(LISTS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown section (known: {', '.join([*SECTIONS, *LISTS])})")
    sections = {}
    for name, cls in SECTIONS.items():
        raw = data.get(name)
        if raw is None and _required_fields(cls):
            raise ConfigError(name, "missing section")
        if raw is not None and not isinstance(raw, dict):
            raise ConfigError(name, "expected a table")
        sections[name] = _build(name, cls, raw or {})
    for name, (attribute, cls) in LISTS.items():
        entries = data.get(name, [])
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise ConfigError(name, f"expected [[{name}]] entries (an array of tables), not [{name}]")
        sections[attribute] = tuple(_build(f"{name}[{n}]", cls, entry) for n, entry in enumerate(entries, 1))
    config = Config(source=source, **sections)
    _validate(config)
    return config


def _required_fields(cls: type) -> list[str]:
    return [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]


def _build(section: str, cls: type, raw: dict):
    hints = typing.get_type_hints(cls)
    names = {f.metadata.get("toml", f.name): f.name for f in fields(cls)}  # TOML key → field
    for key in raw:
        if key not in names:
            raise ConfigError(f"{section}.{key}", f"unknown key (known: {', '.join(sorted(names))})")
    for name in _required_fields(cls):
        if name not in raw:
            raise ConfigError(f"{section}.{name}", "missing")
    values = {names[key]: _typed(f"{section}.{key}", hints[names[key]], value) for key, value in raw.items()}
    known = set(names.values())
    for f in fields(cls):  # a table names some priorities; the others keep their defaults
        if f.name in values and isinstance(values[f.name], dict):
            values[f.name] = {**f.default_factory(), **values[f.name]}
    if "password_file" in known:
        values["password"] = _secret(section, values.get("password"), values.get("password_file"))
    return cls(**values)


def _typed(key: str, hint, value):
    if typing.get_origin(hint) is tuple:  # a list of strings
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(key, f"expected a list of strings, got {value!r}")
        return tuple(value)
    if dt.date in typing.get_args(hint):
        return _date(key, value)
    if dt.time in typing.get_args(hint):
        return _time(key, value)
    if typing.get_origin(hint) is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a table such as {{P0 = 7200, P1 = 86400}}, got {value!r}")
        for name, item in value.items():
            if name not in PRIORITIES:
                raise ConfigError(f"{key}.{name}", f"unknown priority (known: {', '.join(PRIORITIES)})")
            _typed(f"{key}.{name}", int, item)
        return value
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for kind in allowed:
        if kind is type(None):
            continue
        # bool is an int in Python; TOML keeps them apart and so do we.
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
    names = " or ".join({int: "an integer", str: "a string", bool: "true or false"}[k]
                        for k in allowed if k is not type(None))
    raise ConfigError(key, f"expected {names}, got {value!r}")


def _date(key: str, value) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(key, f"expected a date YYYY-MM-DD, got {value!r}") from None


def _time(key: str, value) -> dt.time:
    if isinstance(value, str) and len(value) == 5 and value[2] == ":":
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(key, f"expected a time HH:MM (24-hour), got {value!r}")


def _secret(section: str, password: str | None, password_file: str | None) -> str | None:
    if password is not None and password_file is not None:
        raise ConfigError(f"{section}.password_file", "set either password or password_file, not both")
    if password_file is None:
        return password
    path = Path(password_file)
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if not path.is_absolute() and not credentials:
        raise ConfigError(f"{section}.password_file",
                          f"{password_file!r} is a relative name, read from $CREDENTIALS_DIRECTORY (systemd's "
                          "LoadCredential=), which is not set here: run maild under its unit, set "
                          "CREDENTIALS_DIRECTORY to the directory holding it, or write an absolute path")
    if not path.is_absolute():
        path = Path(credentials) / path
    try:
        return path.read_text(encoding="utf-8").strip("\r\n")
    except OSError as exc:
        raise ConfigError(f"{section}.password_file", f"cannot read {path}: {exc.strerror}") from exc


def _validate(config: Config) -> None:
    for section in ("imap", "smtp"):
        part = getattr(config, section)
        if part.security not in SECURITY_MODES:
            raise ConfigError(f"{section}.security", f"expected one of {', '.join(SECURITY_MODES)}")
        if not 0 < part.port < 65536:
            raise ConfigError(f"{section}.port", "expected a port number 1-65535")
        _validate_auth(section, part)
    if config.imap.auth == "password" and config.imap.password is None:
        raise ConfigError("imap.password_file", "missing (or imap.password)")
    if config.smtp.auth == "password" and config.smtp.username and config.smtp.password is None:
        raise ConfigError("smtp.password_file", "missing: smtp.username is set without a password")
    try:
        config.helpdesk.zone
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("helpdesk.timezone", f"unknown time zone {config.helpdesk.timezone!r}") from exc
    if config.helpdesk.default_language not in ("zh", "en"):
        raise ConfigError("helpdesk.default_language", "expected \"zh\" or \"en\"")
    if "@" not in config.helpdesk.address:
        raise ConfigError("helpdesk.address", "expected an email address")
    url = config.database.url
    if not url.startswith(("sqlite:", "postgresql:", "postgres:")):
        raise ConfigError("database.url", "expected sqlite:////ABSOLUTE/PATH or postgresql://USER@HOST/DB")
    path = sqlite_path(url)
    if path is not None and path != ":memory:" and not path.startswith("/"):
        raise ConfigError("database.url", "a relative SQLite path would depend on the directory maild starts "
                                          "in: write sqlite:////ABSOLUTE/PATH (four slashes)")
    _validate_workflow(config)
    if config.imap.first_run not in FIRST_RUN:
        raise ConfigError("imap.first_run", f"expected one of {', '.join(FIRST_RUN)}")
    for section in SECTIONS:  # every number is a count, a size or a duration: none can be 0 or less
        part = getattr(config, section)
        for key, value in vars(part).items():
            numbers = value.items() if isinstance(value, dict) else [(None, value)]
            for name, number in numbers:
                if isinstance(number, int) and not isinstance(number, bool) and number < 1:
                    raise ConfigError(".".join(filter(None, (section, key, name))), "expected a positive integer")


def _validate_auth(section: str, part: ImapConfig | SmtpConfig) -> None:
    if part.auth not in AUTH_METHODS:
        raise ConfigError(f"{section}.auth", f"expected one of {', '.join(AUTH_METHODS)}")
    if part.auth != "xoauth2":
        if part.oauth_token_command is not None:
            raise ConfigError(f"{section}.oauth_token_command",
                              f'used only with {section}.auth = "xoauth2": set that too, or remove this key')
        return
    if not (part.oauth_token_command or "").strip():
        raise ConfigError(f"{section}.oauth_token_command",
                          f'missing: {section}.auth = "xoauth2" logs in with the access token this command prints')
    if part.password is not None:
        raise ConfigError(f"{section}.password_file", f'not used with {section}.auth = "xoauth2" (the access token '
                                                      f"comes from {section}.oauth_token_command): remove "
                                                      f"{section}.password and {section}.password_file")
    if not part.username:
        raise ConfigError(f"{section}.username", f'missing: {section}.auth = "xoauth2" logs in as this user')


def _validate_workflow(config: Config) -> None:
    """The workflow's entries must name each other correctly: a rota of someone who is not staff
    would leave a shift to nobody."""
    modules = [module.name for module in config.modules]
    addresses: set[str] = set()
    for n, member in enumerate(config.staff, 1):
        key = f"staff[{n}]"
        if "@" not in member.address:
            raise ConfigError(f"{key}.address", "expected an email address")
        if member.address in addresses:
            raise ConfigError(f"{key}.address", f"{member.address} is listed twice")
        addresses.add(member.address)
        for role in member.roles:
            if role not in ROLES:
                raise ConfigError(f"{key}.roles", f"unknown role {role!r} (known: {', '.join(ROLES)})")
        for module in member.modules:
            if module not in modules:
                raise ConfigError(f"{key}.modules", f"unknown module {module!r}: define it in a [[module]]")
    for n, shift in enumerate(config.rota, 1):
        key = f"rota[{n}]"
        if shift.staff not in addresses:
            raise ConfigError(f"{key}.staff", f"not a staff address: {shift.staff} (add it as a [[staff]])")
        for day in shift.days:
            if day not in WEEKDAYS:
                raise ConfigError(f"{key}.days", f"unknown day {day!r} (known: {', '.join(WEEKDAYS)})")
        if shift.date and shift.days:
            raise ConfigError(f"{key}.date", "set either date (a one-day override) or days, not both")
        if (shift.start is None) != (shift.end is None):
            raise ConfigError(f"{key}.{'to' if shift.end is None else 'from'}", "a shift needs both from and to")
    for n, rule in enumerate(config.rules, 1):
        key = f"rule[{n}]"
        if not rule.match and rule.tier is None:
            raise ConfigError(f"{key}.match", "missing: a rule matches phrases, a customer tier, or both")
        if rule.priority is not None and rule.priority not in PRIORITIES:
            raise ConfigError(f"{key}.priority", f"expected one of {', '.join(PRIORITIES)}")
        if rule.module is not None and rule.module not in modules:
            raise ConfigError(f"{key}.module", f"unknown module {rule.module!r}: define it in a [[module]]")
    for n, customer in enumerate(config.customers, 1):
        if (customer.domain is None) == (customer.address is None):
            raise ConfigError(f"customer[{n}].domain", "set either domain or address")
    if config.classify.default_priority not in PRIORITIES:
        raise ConfigError("classify.default_priority", f"expected one of {', '.join(PRIORITIES)}")
