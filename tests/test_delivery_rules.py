"""When a mail the SMTP server did not take is tried again, and when maild gives up on it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from maild.config import SmtpConfig
from maild.rules.delivery import next_attempt, retry_delay

SMTP = SmtpConfig(host="smtp.example.com", retry_initial=60, retry_max=3600, give_up_after=172800)
QUEUED = datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc)


def test_the_backoff_doubles_from_the_first_delay() -> None:
    assert [retry_delay(n, SMTP).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


def test_the_backoff_stops_growing_at_its_cap() -> None:
    assert retry_delay(20, SMTP) == timedelta(hours=1)


def test_a_temporary_failure_is_tried_again_after_the_backoff() -> None:
    now = QUEUED + timedelta(minutes=5)
    assert next_attempt(2, QUEUED, permanent=False, now=now, config=SMTP) == now + timedelta(minutes=2)


def test_a_permanent_failure_is_not_tried_again() -> None:
    assert next_attempt(1, QUEUED, permanent=True, now=QUEUED, config=SMTP) is None


def test_a_mail_refused_for_two_days_is_given_up() -> None:
    assert next_attempt(30, QUEUED, permanent=False, now=QUEUED + timedelta(days=2), config=SMTP) is None
