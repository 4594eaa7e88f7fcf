"""The limits on maild's automatic mail to customers, and who is told when one holds mail back.

A stranger can make maild write to addresses of their choosing (a forged From, a list of victims):
besides the rate limit per address (rules/screen), all automatic mail to customers together is
capped per rolling hour (screen.automatic_per_hour), and an address that hard-bounced is
suppressed for a while (screen.suppress_days). Mail to staff is never held back.
"""

from __future__ import annotations

from datetime import datetime

from ..parsing import Address
from .actions import QueueMail
from .routing import Roster

CAP_SUBJECTS = {"zh": "自动邮件已暂缓：一小时内超过 {cap} 封", "en": "Automatic mail held back: more than {cap} within an hour"}


def cap_reached(cap: int, since: datetime, time_held: int, roster: Roster, language: str) -> tuple[QueueMail, ...]:
    """The supervisors told, once per time the cap holds mail back (`time_held` names that time)."""
    return tuple(QueueMail("automatic-cap", f"automatic-cap:{time_held}:{e.address}", Address(e.address, e.name),
                           language, CAP_SUBJECTS[language].format(cap=cap), {"cap": cap, "since": since},
                           on_thread=False)
                 for e in roster.with_role("supervisor"))
