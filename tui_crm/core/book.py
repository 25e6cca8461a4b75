"""The book as a screen's worker reaches it: one connection per job, closed after it (or one
kept open on a thread of its own, for the reads behind each keystroke), database faults as one
clear refusal, and counters that tell when another connection changed it."""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from peewee import Database, DatabaseError, InterfaceError

from tui_crm.db.database import explain
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from tui_crm.db.store.writes import ChangeClock

T = TypeVar("T")


@contextmanager
def worker_connection(db: Database) -> Iterator[Database]:
    """`db` for one job in a worker thread: the thread's connection is closed at the end (peewee
    keeps one per thread, and a thread that ends with it open leaks it), and a database fault (a
    lock held too long, a full disk, a damaged page) is raised as a CrmError saying what went
    wrong in one line."""
    try:
        yield db
    except (DatabaseError, InterfaceError) as err:
        raise CrmError(explain(err) or f"the database refused: {err}") from err
    finally:
        db.close()


def connection_of(db: Database) -> object:
    """This thread's connection to the book: what `interrupt` takes, from another thread."""
    return db.connection()


def interrupt(connection: object | None) -> None:
    """Stop the statement running on `connection` (opened by another thread): it raises
    at once, and its job ends as a refusal. A connection that was closed meanwhile, or none,
    is left alone."""
    if connection is not None:
        # SQLite's connection interrupts; a PostgreSQL one asks the server to cancel.
        stop = getattr(connection, "interrupt", None) or getattr(connection, "cancel_safe", None)
        with contextlib.suppress(Exception):  # closed already: nothing runs on it
            if stop is not None:
                stop()


class BookLine:
    """One thread that keeps its connection to the book open, for the reads that follow each
    keystroke. A job's own connection (`worker_connection`) starts cold: SQLite parses the
    schema again and its page cache is empty, which costs more than the search itself. Jobs
    run one at a time, in order; `interrupt(line.connection)` stops the one running (the next
    keystroke's search then starts at once). A database fault is raised as a CrmError, as
    `worker_connection` does."""

    def __init__(self, db: Database) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._db = db
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tui-crm-line")
        self.connection: object | None = None  # the line's connection, once it has one

    def run(self, job: Callable[[Database], T]) -> T:
        """`job(db)` on the line's thread (waiting for the jobs before it); its result."""
        return self.submit(job).result()

    def submit(self, job: Callable[[Database], T]) -> Future[T]:
        """`job(db)` on the line's thread, after the jobs before it; its result to come. The
        job runs in the context it was submitted from, as a Textual worker does: what it
        reads of the app (its clock, its day) it finds even when the screen that asked is not
        on the app yet (a screen's read begins as it is made)."""
        return self._pool.submit(contextvars.copy_context().run, self._call, job)

    def _call(self, job: Callable[[Database], T]) -> T:
        try:
            self.connection = self._db.connection()
            return job(self._db)
        except (DatabaseError, InterfaceError) as err:
            raise CrmError(explain(err) or f"the database refused: {err}") from err

    def close(self) -> None:
        """Close the line's connection (on its thread) and let the thread end."""
        with contextlib.suppress(RuntimeError):  # shut down already
            self._pool.submit(self._db.close)
        self._pool.shutdown(wait=False)


class BookClock:
    """Whether the book changed since a reading, for a screen that is back on top: a counter
    the book's store reads on a connection of the clock's own (on SQLite its `data_version`,
    which every commit moves, this program's workers and other programs alike). One reading
    is cheap; call it from a worker thread like any database call. None when it cannot tell:
    a book no second connection reaches (one in memory), or one locked or gone for a moment;
    a screen then reads again, as it always did."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._clock: ChangeClock | None = None
        self._made = False

    def reading(self) -> int | None:
        with self._lock:
            if not self._made:
                self._clock, self._made = store_of(self._db).change_clock(), True
            clock = self._clock
        return clock.reading() if clock is not None else None

    def close(self) -> None:
        with self._lock:
            if self._clock is not None:
                self._clock.close()


def sees_whole_book(db: Database) -> bool:
    """Whether this session sees every customer, or only those its role owns (team mode's
    row-level security: README "Team mode"). Known since the book was opened."""
    return store_of(db).sees_whole_book()


def book_is_empty(db: Database) -> bool:
    """No customer at all, not even in the trash: a new book, where the search screen says how
    to add or import the first ones rather than "no match"."""
    return store_of(db).book_is_empty()


def purchase_amount(db: Database, purchase_id: int) -> tuple[int, str]:
    """A purchase's amount as stored (cents, currency): what a screen confirms after adding."""
    cents, currency = store_of(db).purchase_amount(purchase_id)
    return int(cents), str(currency)


def watch_book(
    reading: Callable[[], int | None],
    changed: Callable[[], None],
    stop: threading.Event,
    every: float = 1.0,
    at_least_every: float | None = None,
) -> None:
    """Call `changed()` each time the book's change counter (`BookClock.reading`) moves,
    looking every `every` seconds until `stop` is set (and, with `at_least_every`, after that
    many seconds without a change too); run it in a thread of its own. A reading that cannot
    tell (the book locked for a moment) is tried again at the next tick."""
    seen: int | None = None
    last = time.monotonic()
    while not stop.is_set():
        counter = reading()
        due = at_least_every is not None and time.monotonic() - last >= at_least_every
        if counter is not None:
            if (seen is not None and counter != seen) or due:
                changed()
                last = time.monotonic()
            seen = counter
        stop.wait(every)
