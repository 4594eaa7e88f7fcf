"""The exceptions maild raises for faults (decisions are values, never exceptions).

    MaildError
    ├── ConfigError        a bad or unknown key in the TOML file; names the dotted key
    ├── TemplateFault      a template is missing or does not compile
    ├── StoreError         the database could not be opened, or failed under a transaction
    │   └── NoStore        a command that only reads found no store: maild has stored nothing yet
    └── AdapterError       a side-effect adapter failed; foreign exceptions are translated here
        ├── TokenForged    a signed token (a survey link) whose signature does not hold
        ├── ImapError      login, select, fetch or IDLE failed
        └── SmtpError      the SMTP connection itself could not be set up
            └── SmtpLoginRefused  the server refused the login (password or token): no retry mends it
"""

import traceback


class MaildError(Exception):
    """Base of every fault maild raises on purpose."""


class ConfigError(MaildError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem


class StoreError(MaildError):
    pass


class NoStore(StoreError):
    pass


class TemplateFault(MaildError):
    pass


class AdapterError(MaildError):
    pass


class TokenForged(AdapterError):
    pass


class ImapError(AdapterError):
    pass


class SmtpError(AdapterError):
    pass


class SmtpLoginRefused(SmtpError):
    pass


def describe_fault(exc: BaseException) -> str:
    """The error and where it happened, in one or two lines an admin can act on."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"
