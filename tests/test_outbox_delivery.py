"""The outbox: a 4xx or a dead server is retried with backoff, a 5xx is marked failed."""

from __future__ import annotations

from datetime import timedelta

from maild.steps.flush import BATCH
from maild.store import queries

from .mails import customer_mail


def test_a_4xx_answer_is_retried_after_the_backoff(app, dovecot, smtp_sink, clock) -> None:
    smtp_sink.fail_next(451)
    dovecot.append(customer_mail())
    first = app.once()
    assert (first.flushed.sent, first.flushed.retried) == (0, 1)
    assert queries.status()["outbox"]["queued"] == 1
    clock.advance(timedelta(seconds=61))
    app.once()
    assert len(smtp_sink.wait_for(1)) == 1
    assert queries.status()["outbox"] == {"queued": 0, "sent": 1, "failed": 0, "bounced": 0, "suppressed": 0}


def test_a_retry_waits_for_its_backoff(app, dovecot, smtp_sink, clock) -> None:
    smtp_sink.fail_next(451)
    dovecot.append(customer_mail())
    app.once()
    clock.advance(timedelta(seconds=30))
    app.once()
    [row] = queries.outbox()
    assert (row["status"], row["attempts"]) == ("queued", 1) and "451" in row["last_error"]
    assert smtp_sink.messages == []


def test_a_5xx_answer_marks_the_mail_failed_and_the_cli_shows_it(app, dovecot, smtp_sink) -> None:
    smtp_sink.fail_always(550)
    dovecot.append(customer_mail())
    app.once()
    [row] = queries.outbox()
    assert row["status"] == "failed" and "550" in row["last_error"]
    assert queries.status()["outbox"]["failed"] == 1


def test_a_dead_smtp_server_keeps_mail_queued_until_it_returns(app, dovecot, smtp_sink, clock) -> None:
    smtp_sink.stop()
    dovecot.append(customer_mail())
    app.once()
    assert queries.status()["outbox"]["queued"] == 1
    smtp_sink.start()
    clock.advance(timedelta(minutes=2))
    app.once()
    assert len(smtp_sink.wait_for(1)) == 1


def test_a_mail_never_accepted_is_given_up_after_the_configured_time(app, dovecot, smtp_sink, clock) -> None:
    smtp_sink.fail_always(451)
    dovecot.append(customer_mail())
    app.once()
    clock.advance(timedelta(days=3))
    app.once()
    assert queries.status()["outbox"]["failed"] == 1


def _queue_acknowledgements(app, dovecot, smtp_sink, count: int) -> None:
    """`count` new tickets whose acknowledgements wait in the outbox (the server was down)."""
    smtp_sink.stop()
    dovecot.append_many(customer_mail(sender=f"customer{i}@customer.example") for i in range(count))
    app.once()
    smtp_sink.start()


def test_batch_after_batch_goes_over_the_same_connections(app, dovecot, smtp_sink, clock) -> None:
    _queue_acknowledgements(app, dovecot, smtp_sink, BATCH + 10)
    clock.advance(timedelta(minutes=2))
    app.once()
    received = smtp_sink.wait_for(BATCH + 10)
    assert len({mail.peer for mail in received}) == app.config.smtp.connections


def test_a_connection_the_server_closed_between_batches_is_opened_again(app, dovecot, smtp_sink, clock) -> None:
    _queue_acknowledgements(app, dovecot, smtp_sink, BATCH + 10)
    clock.advance(timedelta(minutes=2))
    assert app.flush.run(clock.now()) == BATCH
    smtp_sink.restart()  # drops the connections kept for the next batch
    assert app.flush.run(clock.now()) == 10
    assert len(smtp_sink.wait_for(BATCH + 10)) == BATCH + 10
    assert queries.status()["outbox"] == {"queued": 0, "sent": BATCH + 10, "failed": 0, "bounced": 0, "suppressed": 0}


def test_the_outbox_names_each_mails_ticket(app, dovecot, smtp_sink) -> None:
    smtp_sink.fail_always(550)
    dovecot.append(customer_mail())
    app.once()
    [ticket] = queries.list_tickets()
    [row] = queries.outbox()
    assert row["ticket"] == ticket["number"]
