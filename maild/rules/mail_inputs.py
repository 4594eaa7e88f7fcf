"""What the mail rule is given: the helpdesk's policy, and what the store knows about one mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Mapping

from .classify import BUILTIN, ClassifyPolicy
from .correlate import KnownTicket
from .kb import EMPTY, KbIndex
from .routing import Roster
from .screen import MailboxFacts, ScreenPolicy


@dataclass(frozen=True)
class MailPolicy:
    helpdesk_address: str
    zone: tzinfo  # the helpdesk's: ticket numbers carry its date
    default_language: str
    screen: ScreenPolicy
    # seconds to the first engineer's answer, per priority (guideline G2), as an acknowledgement
    # promises them before anyone has classified the mail
    first_response: Mapping[str, int] = field(hash=False)  # sla.first_response
    classify: ClassifyPolicy = ClassifyPolicy(BUILTIN, {})
    roster: Roster = Roster((), ())
    tiers: Mapping[str, str] = field(default_factory=dict, hash=False)  # address or domain → customer tier
    directory: Mapping[str, str] = field(default_factory=dict, hash=False)  # address or domain → organisation
    authserv_id: str = ""  # workflow.authserv_id: whose Authentication-Results prove a staff From
    reopen_within: float = 604800  # workflow.reopen_within: seconds after resolution a reply reopens
    kb_suggest: int = 3  # kb.suggest: knowledge-base entries an acknowledgement suggests
    suppress_days: int = 30  # screen.suppress_days: a hard-bounced address gets no automatic mail so long
    max_mail_bytes: int = 25 * 1024 * 1024  # processing.max_mail_bytes: a bigger mail's attachments stay packed
    id_key: bytes = field(default=b"", repr=False)  # helpdesk.secret_file's: verifies our Message-IDs

    def __post_init__(self) -> None:
        if len(self.id_key) < 32:  # an empty key would let anyone sign an id of ours
            raise ValueError("MailPolicy needs the key that signs our Message-IDs (at least 32 bytes)")

    @property
    def promised_response(self) -> dict[str, timedelta]:
        """Urgent problems (P0) within one window, everything else within the longest of the rest."""
        others = max(seconds for priority, seconds in self.first_response.items() if priority != "P0")
        return {"urgent_response_within": timedelta(seconds=self.first_response["P0"]),
                "response_within": timedelta(seconds=others)}


@dataclass(frozen=True)
class MailFacts:
    """What the store knows that bears on this mail."""

    message_key: str
    received_at: datetime  # when it was fetched
    threads: Mapping[str, str] = field(hash=False)  # our Message-IDs among its thread ids → ticket
    tickets: Mapping[str, KnownTicket] = field(hash=False)  # tickets those ids or the subject tag name
    recent_auto_replies: int = 0  # automatic mails sent lately to the address an answer goes to
    mailbox: MailboxFacts = MailboxFacts()  # what the mailbox said of it when fetched
    load: Mapping[str, int] = field(default_factory=dict, hash=False)  # open tickets per assignee
    kb: KbIndex = field(default=EMPTY, hash=False)  # the published knowledge-base entries, searchable
    sent: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict, hash=False)  # our ids → kind, recipients
    size: int = 0  # bytes of the mail as stored

    @property
    def answers_survey(self) -> bool:
        """It answers one of our survey mails (the outbox row's kind)."""
        return any(kind == "survey" for kind, _ in self.sent.values())
