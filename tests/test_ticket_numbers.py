"""Ticket numbers: TS + date in the helpdesk's time zone + daily serial, never a collision."""

from __future__ import annotations

import multiprocessing
from datetime import date

import pytest

from maild.rules.tickets import ticket_number
from maild.store.db import open_database, savepoint, transaction
from maild.store.tickets import next_ticket


def next_ticket_number(day: date) -> str:
    return ticket_number(day, next_ticket(day).serial)


def test_number_is_ts_date_and_three_digit_serial() -> None:
    assert ticket_number(date(2026, 11, 25), 1) == "TS20261125001"


def test_the_thousandth_ticket_of_a_day_gets_a_fourth_digit() -> None:
    assert ticket_number(date(2026, 11, 25), 999) == "TS20261125999"
    assert ticket_number(date(2026, 11, 25), 1000) == "TS202611251000"


def test_the_serial_restarts_each_day(database_url) -> None:
    open_database(database_url)
    with transaction():
        first = [next_ticket_number(date(2026, 11, 25)) for _ in range(2)]
        second = next_ticket_number(date(2026, 11, 26))
    assert first == ["TS20261125001", "TS20261125002"] and second == "TS20261126001"


def _allocate(url: str, count: int, per_transaction: int, queue) -> None:
    open_database(url)
    numbers = []
    for _ in range(count // per_transaction):
        with transaction():
            numbers += [next_ticket_number(date(2026, 11, 25)) for _ in range(per_transaction)]
    queue.put(numbers)


@pytest.mark.parametrize("per_transaction", [1, 10], ids=["a ticket per transaction", "ten per transaction"])
def test_two_processes_never_get_the_same_number(database_url, per_transaction) -> None:
    open_database(database_url)  # create the tables before the race
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_allocate, args=(database_url, 100, per_transaction, queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    numbers = [n for _ in workers for n in queue.get(timeout=60)]
    for worker in workers:
        worker.join()
    assert len(numbers) == len(set(numbers)) == 200
    assert max(numbers) == "TS20261125200"


def test_a_number_given_back_by_a_rolled_back_part_is_given_again(database_url) -> None:
    open_database(database_url)
    with transaction():
        first = next_ticket_number(date(2026, 11, 25))
        with pytest.raises(ValueError), savepoint():
            next_ticket_number(date(2026, 11, 25))
            raise ValueError("the mail failed")
        again = next_ticket_number(date(2026, 11, 25))
    assert (first, again) == ("TS20261125001", "TS20261125002")
