"""What happens to a mail of ours the SMTP server did not take: retry later, or give up."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..config import SmtpConfig


def retry_delay(attempts: int, config: SmtpConfig) -> timedelta:
    """Exponential backoff: retry_initial, doubled per attempt, capped at retry_max."""
    seconds = config.retry_initial * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config.retry_max))


def next_attempt(attempts: int, queued_at: datetime, permanent: bool, now: datetime,
                 config: SmtpConfig) -> datetime | None:
    """When to try again after a failed attempt (`attempts` counts it); None: give up.
    RFC 5321 §4.2.1: a 5yz answer is permanent; a 4yz one or no answer is retried until
    smtp.give_up_after has passed since the mail was queued."""
    if permanent or now - queued_at >= timedelta(seconds=config.give_up_after):
        return None
    return now + retry_delay(attempts, config)
