"""TOML → frozen dataclasses. Every error names the dotted key (`smtp.port: expected an integer`).

Secrets come from `password` or, better, `password_file`; a relative `password_file` is read from
systemd's `$CREDENTIALS_DIRECTORY` (LoadCredential=) when that is set. With `auth = "xoauth2"`
there is no password: `oauth_token_command` prints an OAuth2 access token (never one in the file).

The workflow's sections are lists of entries (`[[staff]]`, `[[module]]`, `[[rota]]`, `[[rule]]`,
`[[customer]]`), counted from 1 in the keys their errors name (`rota[1].staff: not a staff
address`), beside two tables (`[classify]`, `[workflow]`).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
import string
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
ROLES = ("supervisor", "senior", "engineer", "rnd", "pm", "agent", "kb-admin")  # staff[N].roles
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # rota[N].days, Monday first


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
    secret_file: str | None = None  # the key that signs our Message-IDs; unset: <state_dir>/helpdesk_secret, made once

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ScreenConfig:
    auto_reply_limit: int = 10
    auto_reply_window: int = 3600
    answer_within: int = 259200  # seconds: mail the server received longer ago gets no automatic answer
    automatic_per_hour: int = 500  # automatic mails to customers in any rolling hour, all addresses together
    suppress_days: int = 30  # a hard-bounced address gets no automatic mail for this many days


def _per_priority(**seconds: int | str):
    return field(default_factory=lambda: dict(seconds))


@dataclass(frozen=True)
class SlaConfig:
    """The guideline's clocks, in seconds (a table per priority may name only some priorities);
    a resolution window may also be "N working days", counted by the [calendar]."""

    record: int = 900  # G3: from receipt until the intake record is complete
    assignment: int = 1800  # G7: from receipt until classified and assigned
    first_response: dict[str, int] = _per_priority(P0=7200, P1=86400, P2=86400, P3=86400)  # G2
    resolution: dict[str, int | str] = _per_priority(P0=14400, P1=86400, P2=259200, P3="5 working days")  # G12
    solution: int = 172800  # G9: from #complex until a solution, or an expected time, is given
    business_hours: bool = False  # the hour clocks count working hours only
    pause_when_waiting: bool = True  # the resolution clock stops while the ticket waits on the customer
    progress_every: dict[str, int] = _per_priority(P0=14400, P1=14400)  # G13: updates to the customer while open
    update_reminder: int = 900  # the assignee is reminded this long before a progress update is due
    warn_at: float = 0.75  # share of a window after which the assignee is warned


_WORKING_DAYS = re.compile(r"\s*([1-9][0-9]*)\s+working\s+days?\s*")


def working_days_in(window: int | str) -> int | None:
    """N of a window written "N working days"; None for one in seconds."""
    found = _WORKING_DAYS.fullmatch(window) if isinstance(window, str) else None
    return int(found[1]) if found else None


@dataclass(frozen=True)
class CalendarConfig:
    """The business calendar (G20); checked as it loads, so the properties cannot fail."""

    country: str = "CN"  # public holidays (for CN also the make-up working days) by ISO code; "" none
    working_hours: tuple[str, ...] = ("09:00", "18:00")  # opens, closes ("HH:MM", helpdesk time zone)
    working_days: tuple[str, ...] = WEEKDAYS[:5]
    holidays: tuple[str, ...] = ()  # extra days off, "YYYY-MM-DD"
    workdays: tuple[str, ...] = ()  # extra working days (a Sunday made one)

    @property
    def hours(self) -> tuple[datetime.time, datetime.time]:
        opens, closes = self.working_hours
        return datetime.time.fromisoformat(opens), datetime.time.fromisoformat(closes)

    @property
    def days_off(self) -> frozenset[datetime.date]:
        return frozenset(map(datetime.date.fromisoformat, self.holidays))

    @property
    def days_on(self) -> frozenset[datetime.date]:
        return frozenset(map(datetime.date.fromisoformat, self.workdays))


@dataclass(frozen=True)
class ProcessingConfig:
    max_attempts: int = 3
    batch_size: int = 100
    max_mail_bytes: int = 25 * 1024 * 1024  # a bigger mail is ticketed by its headers and text, attachments left packed


@dataclass(frozen=True)
class StaffMember:
    name: str
    address: str  # stored lower-cased
    roles: tuple[str, ...] = ()  # of ROLES
    modules: tuple[str, ...] = ()  # [[module]] names this engineer answers for (P1 routing)


@dataclass(frozen=True)
class Module:
    name: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class RotaEntry:
    """Who is on duty for P2/P3; the first entry that covers the moment wins."""

    staff: str  # lower-cased address of a [[staff]] entry
    days: tuple[str, ...] = ()  # of WEEKDAYS; empty: every day
    date: datetime.date | None = None  # a one-day override ("date" in TOML), instead of days
    start: datetime.time | None = None  # TOML key "from" (HH:MM, helpdesk time zone)
    end: datetime.time | None = None  # TOML key "to"; before start: the shift crosses midnight


@dataclass(frozen=True)
class Rule:
    """A classification rule, tried in order; the first rule that sets a field decides it."""

    match: tuple[str, ...] = ()  # case-insensitive phrases in subject or body
    priority: str | None = None  # one of PRIORITIES
    type: str | None = None
    module: str | None = None  # a [[module]] name
    tier: str | None = None  # only for customers of this tier (when set)


@dataclass(frozen=True)
class Customer:
    organisation: str
    domain: str | None = None  # lower-cased; exactly one of domain / address
    address: str | None = None  # lower-cased
    tier: str | None = None


@dataclass(frozen=True)
class ClassifyConfig:
    default_priority: str = "P2"
    default_type: str = "未分类"
    builtin_rules: bool = True  # the shipped rule set runs after the config's own [[rule]] entries


@dataclass(frozen=True)
class WorkflowConfig:
    reopen_within: int = 604800  # seconds after resolution a customer's reply reopens; later: a new linked ticket
    authserv_id: str = ""  # set: staff mail counts only with dkim=pass or spf=pass from this authserv-id


@dataclass(frozen=True)
class SurveyConfig:
    after: int = 7200  # seconds after resolution; never later than 1 working day after it (G15)
    resend_after_days: int = 30  # no second survey to a customer surveyed within this many days
    listen: str | None = None  # "HOST:PORT" of the survey web endpoint; unset: no links, answers by reply only
    public_url: str | None = None  # how customers reach `listen` (a reverse proxy): the links start with it
    secret_file: str | None = None  # the key that signs the links; unset: <state_dir>/survey_secret, made once
    token_ttl: int = 1209600  # seconds a link stays valid

    @property
    def address(self) -> tuple[str, int]:
        """`listen` as (host, port); "[::1]:8025" for IPv6."""
        host, _, port = (self.listen or "").rpartition(":")
        return host.strip("[]"), int(port)


@dataclass(frozen=True)
class ReportConfig:
    day: int = 5  # the monthly report goes on this day of the month, for the month before (G18)
    to: tuple[str, ...] = ("supervisor",)  # roles (of ROLES) or addresses


ARCHIVE_FIELDS = ("type", "yyyy", "mm", "number")  # what archive.folder may name
ZERO_MEANS_NONE = ("kb.suggest",)  # the numbers that may be 0


@dataclass(frozen=True)
class ArchiveConfig:
    after_working_days: int = 3  # a resolved ticket is archived this many working days later (G16)
    dir: str | None = None  # the files: <dir>/<type>/<yyyy>/<mm>/<number>/; unset: <state_dir>/archive
    folder: str = "Archive/{type}/{yyyy}-{mm}"  # the IMAP folder ({type} {yyyy} {mm} {number}; / = hierarchy)


@dataclass(frozen=True)
class KbConfig:
    dir: str | None = None  # the Markdown export, one file per entry; unset: <state_dir>/kb
    review: bool = False  # True: an entry waits for a kb-admin (`maild kb publish ID`, `#kb publish`)
    suggest: int = 3  # published entries suggested in a new ticket's acknowledgement (0: none)


@dataclass(frozen=True)
class Config:
    imap: ImapConfig
    smtp: SmtpConfig
    helpdesk: HelpdeskConfig
    database: DatabaseConfig = DatabaseConfig()
    screen: ScreenConfig = ScreenConfig()
    processing: ProcessingConfig = ProcessingConfig()
    sla: SlaConfig = SlaConfig()
    calendar: CalendarConfig = CalendarConfig()
    staff: tuple[StaffMember, ...] = ()
    modules: tuple[Module, ...] = ()
    rota: tuple[RotaEntry, ...] = ()
    rules: tuple[Rule, ...] = ()
    customers: tuple[Customer, ...] = ()
    classify: ClassifyConfig = ClassifyConfig()
    workflow: WorkflowConfig = WorkflowConfig()
    survey: SurveyConfig = SurveyConfig()
    report: ReportConfig = ReportConfig()
    archive: ArchiveConfig = ArchiveConfig()
    kb: KbConfig = KbConfig()
    source: str = ""

    @property
    def attachments_dir(self) -> Path:
        return Path(self.helpdesk.state_dir) / "attachments"

    @property
    def archive_dir(self) -> Path:
        return Path(self.archive.dir or Path(self.helpdesk.state_dir) / "archive")

    @property
    def kb_dir(self) -> Path:
        return Path(self.kb.dir or Path(self.helpdesk.state_dir) / "kb")

    @property
    def staff_by_address(self) -> dict[str, StaffMember]:
        """Each [[staff]] entry by its lower-cased address."""
        return {member.address: member for member in self.staff}

    def with_role(self, role: str) -> tuple[StaffMember, ...]:
        """The staff who have `role` (one of ROLES), in the file's order."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
        return tuple(member for member in self.staff if role in member.roles)


SECTIONS: dict[str, type] = {
    "imap": ImapConfig,
    "smtp": SmtpConfig,
    "database": DatabaseConfig,
    "helpdesk": HelpdeskConfig,
    "screen": ScreenConfig,
    "processing": ProcessingConfig,
    "sla": SlaConfig,
    "calendar": CalendarConfig,
    "classify": ClassifyConfig,
    "workflow": WorkflowConfig,
    "survey": SurveyConfig,
    "report": ReportConfig,
    "archive": ArchiveConfig,
    "kb": KbConfig,
}

# The lists of entries: TOML name ([[staff]]) → the Config field that holds them and their type.
ENTRIES: dict[str, tuple[str, type]] = {
    "staff": ("staff", StaffMember),
    "module": ("modules", Module),
    "rota": ("rota", RotaEntry),
    "rule": ("rules", Rule),
    "customer": ("customers", Customer),
}
TOML_NAMES: dict[type, dict[str, str]] = {RotaEntry: {"start": "from", "end": "to"}}  # field → key, where they differ


def toml_keys(cls: type) -> list[str]:
    """The keys an entry of this type takes in the file, in field order."""
    return [TOML_NAMES.get(cls, {}).get(f.name, f.name) for f in fields(cls)]


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
    unknown = sorted(set(data) - set(SECTIONS) - set(ENTRIES))
    if unknown:
        raise ConfigError(unknown[0], f"unknown section (known: {', '.join([*SECTIONS, *ENTRIES])})")
    sections: dict[str, object] = {}
    for name, cls in SECTIONS.items():
        raw = data.get(name)
        if raw is None and _required_fields(cls):
            raise ConfigError(name, "missing section")
        if raw is not None and not isinstance(raw, dict):
            raise ConfigError(name, "expected a table")
        sections[name] = _build(name, cls, raw or {})
    for name, (attribute, cls) in ENTRIES.items():
        sections[attribute] = _entries(name, cls, data.get(name, []))
    config = Config(source=source, **sections)
    _validate(config)
    _validate_calendar(config.calendar)
    _validate_workflow(config)
    _validate_survey(config.survey)
    _validate_report(config.report)
    _validate_archive(config.archive)
    return config


def _required_fields(cls: type) -> list[str]:
    return [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]


def _build(section: str, cls: type, raw: dict):
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{section}.{key}", f"unknown key (known: {', '.join(sorted(known))})")
    for name in _required_fields(cls):
        if name not in raw:
            raise ConfigError(f"{section}.{name}", "missing")
    values = {key: _entry_value(f"{section}.{key}", hints[key], value) for key, value in raw.items()}
    for f in fields(cls):  # a table names some priorities; the others keep their defaults
        if f.name in values and isinstance(values[f.name], dict):
            values[f.name] = {**f.default_factory(), **values[f.name]}
    if "password_file" in known:
        values["password"] = _secret(section, values.get("password"), values.get("password_file"))
    return cls(**values)


def _typed(key: str, hint, value):
    if typing.get_origin(hint) is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a table such as {{P0 = 7200, P1 = 86400}}, got {value!r}")
        for name, item in value.items():
            if name not in PRIORITIES:
                raise ConfigError(f"{key}.{name}", f"unknown priority (known: {', '.join(PRIORITIES)})")
            _typed(f"{key}.{name}", typing.get_args(hint)[1], item)
            if isinstance(item, str) and working_days_in(item) is None:
                raise ConfigError(f"{key}.{name}", f'expected seconds or "N working days", got {item!r}')
        return value
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for kind in allowed:
        if kind is type(None):
            continue
        # bool is an int in Python; TOML keeps them apart and so do we.
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
    names = " or ".join({int: "an integer", str: "a string", bool: "true or false", float: "a number"}[k]
                        for k in allowed if k is not type(None))
    raise ConfigError(key, f"expected {names}, got {value!r}")


def _secret(section: str, password: str | None, password_file: str | None) -> str | None:
    if password is not None and password_file is not None:
        raise ConfigError(f"{section}.password_file", "set either password or password_file, not both")
    if password_file is None:
        return password
    path = credential_path(f"{section}.password_file", password_file)
    try:
        return path.read_text(encoding="utf-8").strip("\r\n")
    except OSError as exc:
        raise ConfigError(f"{section}.password_file", f"cannot read {path}: {exc.strerror}") from exc


def credential_path(key: str, name: str) -> Path:
    """A secret's file: an absolute path, or a name in systemd's $CREDENTIALS_DIRECTORY (LoadCredential=)."""
    path = Path(name)
    if path.is_absolute():
        return path
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if not credentials:
        raise ConfigError(key, f"{name!r} is a relative name, read from $CREDENTIALS_DIRECTORY (systemd's "
                               "LoadCredential=), which is not set here: run maild under its unit, set "
                               "CREDENTIALS_DIRECTORY to the directory holding it, or write an absolute path")
    return Path(credentials) / path


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
    if not 0 < config.sla.warn_at < 1:
        raise ConfigError("sla.warn_at", "expected a share of the window between 0 and 1, such as 0.75")
    if config.imap.first_run not in FIRST_RUN:
        raise ConfigError("imap.first_run", f"expected one of {', '.join(FIRST_RUN)}")
    for section in SECTIONS:  # every number is a count, a size or a duration: none can be 0 or less
        part = getattr(config, section)
        for key, value in vars(part).items():
            numbers = value.items() if isinstance(value, dict) else [(None, value)]
            for name, number in numbers:
                dotted = ".".join(filter(None, (section, key, name)))
                least = 0 if dotted in ZERO_MEANS_NONE else 1
                if isinstance(number, int) and not isinstance(number, bool) and number < least:
                    raise ConfigError(dotted, "expected 0 or more" if least == 0 else "expected a positive integer")


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


_LISTEN = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})")


def _validate_survey(survey: SurveyConfig) -> None:
    if survey.listen is None:
        return
    found = _LISTEN.fullmatch(survey.listen)
    if not found or not 0 < int(found[2]) < 65536:
        raise ConfigError("survey.listen", f'expected "HOST:PORT" such as "127.0.0.1:8025", got {_quoted(survey.listen)}')
    url = survey.public_url or ""
    if not url:
        raise ConfigError("survey.public_url", "missing: survey.listen is set, and the links in survey mails start "
                                               'with this address, e.g. "https://support.example.com/survey"')
    if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", url):
        raise ConfigError("survey.public_url", f"expected an http:// or https:// address without ?query or #fragment, "
                                               f"got {_quoted(url)}")


def _validate_archive(archive: ArchiveConfig) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(archive.folder) if name is not None}
    except ValueError as exc:
        raise ConfigError("archive.folder", f"not a pattern: {exc}") from exc
    if names - set(ARCHIVE_FIELDS) or not archive.folder.strip("/ "):
        raise ConfigError("archive.folder", f"expected a folder name with any of {{type}} {{yyyy}} {{mm}} {{number}}, "
                                            f"got {_quoted(archive.folder)}")


def _validate_report(report: ReportConfig) -> None:
    if report.day > 28:
        raise ConfigError("report.day", f"expected a day of the month 1-28 (every month has it), got {report.day}")
    for recipient in report.to:
        if "@" not in recipient:
            _one_of("report.to", recipient, ROLES, "role")


def _validate_calendar(calendar: CalendarConfig) -> None:
    if calendar.country not in ("", CalendarConfig.country):  # the default is known: no library to load
        from holidays import list_supported_countries  # 70 ms to import: only for a country written here

        if calendar.country not in list_supported_countries():
            raise ConfigError("calendar.country", f"unknown country {_quoted(calendar.country)}: an ISO 3166 code "
                                                  'such as "CN", "DE", "US", or "" for no public holidays')
    if len(calendar.working_hours) != 2:
        raise ConfigError("calendar.working_hours", 'expected two times, opening and closing: ["09:00", "18:00"]')
    opens, closes = (_time("calendar.working_hours", value) for value in calendar.working_hours)
    if opens >= closes:
        raise ConfigError("calendar.working_hours", "the closing time must come after the opening time")
    if not calendar.working_days:
        raise ConfigError("calendar.working_days", "empty: name the working weekdays, e.g. [\"mon\", \"tue\"]")
    for day in calendar.working_days:
        if day not in WEEKDAYS:
            raise ConfigError("calendar.working_days", f"unknown day {_quoted(day)} (known: {', '.join(WEEKDAYS)})")
    for key in ("holidays", "workdays"):
        for value in getattr(calendar, key):
            _date(f"calendar.{key}", value)


# -- the workflow's sections ---------------------------------------------------------------------

_HH_MM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def _entries(name: str, cls: type, raw) -> tuple:
    if isinstance(raw, dict):
        raise ConfigError(name, f"expected [[{name}]] entries (an array of tables, one [[{name}]] header "
                                f"per entry), not a single [{name}] table")
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise ConfigError(name, f"expected [[{name}]] entries (an array of tables)")
    return tuple(_normalised(f"{name}[{number}]", _entry(f"{name}[{number}]", cls, entry))
                 for number, entry in enumerate(raw, 1))


def _entry(prefix: str, cls: type, raw: dict):
    hints = typing.get_type_hints(cls)
    names = TOML_NAMES.get(cls, {})
    by_key = {names.get(f.name, f.name): f.name for f in fields(cls)}
    for key in raw:
        if key not in by_key:
            raise ConfigError(f"{prefix}.{key}", f"unknown key (known: {', '.join(sorted(by_key))})")
    for name in _required_fields(cls):
        if names.get(name, name) not in raw:
            raise ConfigError(f"{prefix}.{names.get(name, name)}", "missing")
    values = {by_key[key]: _entry_value(f"{prefix}.{key}", hints[by_key[key]], value) for key, value in raw.items()}
    for name in _required_fields(cls):
        if isinstance(values[name], str) and not values[name].strip():
            raise ConfigError(f"{prefix}.{names.get(name, name)}", "empty")
    return cls(**values)


def _entry_value(key: str, hint, value):
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(key, f'expected a list of strings such as ["a", "b"], got {value!r}')
        if any(not item.strip() for item in value):
            raise ConfigError(key, "an empty string in the list")
        return tuple(value)
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if datetime.date in allowed:
        return _date(key, value)
    if datetime.time in allowed:
        return _time(key, value)
    return _typed(key, hint, value)


def _date(key: str, value) -> datetime.date:
    # A TOML date comes as a date; a TOML date-time is a datetime, which is a date too: not a day.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(key, f'expected a date "YYYY-MM-DD", got {value!r}')


def _time(key: str, value) -> datetime.time:
    # "HH:MM" as a string; a TOML local time (09:00:00, unquoted) is taken as well.
    if isinstance(value, datetime.time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and (hh_mm := _HH_MM.fullmatch(value)):
        return datetime.time(int(hh_mm[1]), int(hh_mm[2]))
    raise ConfigError(key, f'expected a time "HH:MM" (00:00-23:59, helpdesk time zone), got {value!r}')


def _one_of(key: str, value: str, known: tuple[str, ...], what: str) -> None:
    if value not in known:
        raise ConfigError(key, f"unknown {what} {_quoted(value)} "
                               f"(known: {', '.join(known) or f'none: there are no [[{what}]] entries'})")


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _normalised(prefix: str, entry):
    """One entry checked on its own, its addresses, domain and days lower-cased."""
    if isinstance(entry, StaffMember):
        address = entry.address.strip().lower()
        if "@" not in address:
            raise ConfigError(f"{prefix}.address", f"expected an email address, got {_quoted(entry.address)}")
        for role in entry.roles:
            _one_of(f"{prefix}.roles", role, ROLES, "role")
        return dataclasses.replace(entry, address=address)
    if isinstance(entry, RotaEntry):
        days = tuple(day.lower() for day in entry.days)
        for day in days:
            if day not in WEEKDAYS:
                raise ConfigError(f"{prefix}.days", f"unknown day {_quoted(day)} (known: {', '.join(WEEKDAYS)})")
        if entry.date is not None and days:
            raise ConfigError(f"{prefix}.date", "set either days (every week) or date (one day), not both")
        if (entry.start is None) != (entry.end is None):
            missing, given = ("to", "from") if entry.end is None else ("from", "to")
            raise ConfigError(f"{prefix}.{missing}", f"missing: {given} is set without {missing} "
                                                     "(leave both out for the whole day)")
        if entry.start is not None and entry.start == entry.end:
            raise ConfigError(f"{prefix}.to", "the same time as from: leave both out for the whole day")
        return dataclasses.replace(entry, staff=entry.staff.strip().lower(), days=days)
    if isinstance(entry, Rule):
        if not entry.match and entry.tier is None:
            raise ConfigError(prefix, "matches nothing: give match (phrases in subject or body), tier, or both")
        if entry.priority is None and entry.type is None and entry.module is None:
            raise ConfigError(prefix, "sets nothing: give priority, type or module")
        if entry.priority is not None:
            _one_of(f"{prefix}.priority", entry.priority, PRIORITIES, "priority")
        return entry
    if isinstance(entry, Customer):
        if entry.domain is None and entry.address is None:
            raise ConfigError(prefix, "give domain (everyone there) or address (one person)")
        if entry.domain is not None and entry.address is not None:
            raise ConfigError(f"{prefix}.address", "set either domain or address, not both")
        if entry.domain is not None:
            domain = entry.domain.strip().lower().removeprefix("@")
            if not domain or "@" in domain:
                raise ConfigError(f"{prefix}.domain", f"expected a domain such as customer-a.cn, "
                                                      f"got {_quoted(entry.domain)}")
            return dataclasses.replace(entry, domain=domain)
        address = entry.address.strip().lower()
        if "@" not in address:
            raise ConfigError(f"{prefix}.address", f"expected an email address, got {_quoted(entry.address)}")
        return dataclasses.replace(entry, address=address)
    return entry


def _validate_workflow(config: Config) -> None:
    """What one entry says about others: names defined once, and used only where defined."""
    modules = _first_of(config.modules, "module", "name", lambda module: module.name)
    staff = _first_of(config.staff, "staff", "address", lambda member: member.address)
    _first_of(config.customers, "customer", "domain", lambda customer: customer.domain)
    _first_of(config.customers, "customer", "address", lambda customer: customer.address)
    for number, member in enumerate(config.staff, 1):
        for name in member.modules:
            _one_of(f"staff[{number}].modules", name, tuple(modules), "module")
    for number, entry in enumerate(config.rota, 1):
        if entry.staff not in staff:
            raise ConfigError(f"rota[{number}].staff", f"not a staff address: {_quoted(entry.staff)} is the address "
                                                       "of no [[staff]] entry")
    for number, rule in enumerate(config.rules, 1):
        if rule.module is not None:
            _one_of(f"rule[{number}].module", rule.module, tuple(modules), "module")
    _one_of("classify.default_priority", config.classify.default_priority, PRIORITIES, "priority")


def _first_of(entries: tuple, section: str, key: str, value_of) -> dict[str, int]:
    """Each value of `key` among the entries, with the number of the entry that has it; a second
    entry with the same value is an error."""
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, 1):
        value = value_of(entry)
        if value is None:
            continue
        if value in seen:
            raise ConfigError(f"{section}[{number}].{key}", f"{_quoted(value)} is already {section}[{seen[value]}]'s {key}")
        seen[value] = number
    return seen
