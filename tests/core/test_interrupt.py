"""A search nobody waits for any more is stopped, not finished (issue 18: typing ahead never
waits behind a stale search)."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from tui_crm.core.book import connection_of, interrupt, worker_connection
from tui_crm.errors import CrmError

pytestmark = pytest.mark.both_engines

ENDLESS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"


def test_interrupting_a_connection_stops_its_statement_at_once(db):
    started, outcome = threading.Event(), {}

    def job() -> None:
        try:
            with worker_connection(db) as book:
                outcome["connection"] = connection_of(book)
                started.set()
                book.execute_sql(ENDLESS).fetchone()
        except CrmError as err:
            outcome["refused"] = str(err)

    thread = threading.Thread(target=job)
    thread.start()
    assert started.wait(5)
    time.sleep(0.05)  # inside the statement
    begun = time.perf_counter()
    interrupt(outcome["connection"])
    thread.join(5)
    assert not thread.is_alive() and time.perf_counter() - begun < 1
    assert "refused" in outcome  # one line, as any refusal
    # The connection is closed now: interrupting it again, or none, does nothing.
    interrupt(outcome["connection"])
    interrupt(None)


def test_an_idle_connection_interrupted_runs_its_next_statement(db):
    with worker_connection(db) as book:
        interrupt(connection_of(book))
        assert book.execute_sql("SELECT 1").fetchone() == (1,)


def test_the_search_line_keeps_one_connection_and_goes_on_after_an_interrupt(db):
    """The reads behind each keystroke run on one thread whose connection stays open (warm);
    the next key interrupts the one running, which is refused, and the next read runs."""
    from tui_crm.core.book import BookLine

    line = BookLine(db)
    try:
        first = line.run(connection_of)
        assert line.run(connection_of) is first  # the same connection, kept open
        assert line.run(lambda book: book.execute_sql("SELECT 1").fetchone()) == (1,)

        outcome: dict[str, str] = {}

        def endless() -> None:
            try:
                line.run(lambda book: book.execute_sql(ENDLESS).fetchone())
            except CrmError as err:
                outcome["refused"] = str(err)

        thread = threading.Thread(target=endless)
        thread.start()
        time.sleep(0.1)  # inside the statement
        interrupt(line.connection)
        thread.join(5)
        assert not thread.is_alive() and "refused" in outcome
        assert line.run(lambda book: book.execute_sql("SELECT 2").fetchone()) == (2,)
    finally:
        line.close()


ASKER: contextvars.ContextVar[str] = contextvars.ContextVar("asker")


def test_a_read_on_the_line_runs_in_the_context_it_was_asked_from(db):
    """A screen's read begins as the screen is made, before the screen is on the app: what the
    read asks of the app (its clock, its day) it finds through the context it was asked from,
    as in a Textual worker. Without it the read failed now and then and Insights said
    'Computing…' for ever."""
    from tui_crm.core.book import BookLine

    line = BookLine(db)
    try:
        token = ASKER.set("the insights screen")
        try:
            asked = line.submit(lambda book: ASKER.get("nobody"))
        finally:
            ASKER.reset(token)
        assert asked.result(5) == "the insights screen"
        assert line.run(lambda book: ASKER.get("nobody")) == "nobody"  # each its own
    finally:
        line.close()
