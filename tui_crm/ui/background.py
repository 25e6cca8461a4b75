"""Database work off the UI thread, through one helper: `book(node)` gives a worker the app's
database and closes the worker's connection after the job; `in_background` runs such a job and
hands its result (or the refusal) back on the UI thread. The reads a user waits on as they type
or open a customer go to one of the app's lines instead (`when_read`)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from textual.dom import DOMNode

from tui_crm.core.book import worker_connection
from tui_crm.errors import CrmError
from tui_crm.ui.crash import said
from tui_crm.ui.messages import BookChanged

if TYPE_CHECKING:
    from concurrent.futures import Future

    from textual.worker import Worker

T = TypeVar("T")


def book(node: DOMNode) -> AbstractContextManager[Any]:
    """`with book(self) as db:` inside a thread worker: the app's database, its connection closed
    when the block ends, and a database fault raised as a one-line CrmError."""
    return worker_connection(node.app.db)


def in_background(
    node: DOMNode,
    work: Callable[[Any], T],
    done: Callable[[T], None],
    *,
    failed: Callable[[CrmError], None] | None = None,
    group: str = "background",
) -> Worker[None]:
    """Run `work(db)` in a thread with the app's database and close that thread's connection;
    then call `done(result)` on the UI thread, or `failed(error)` when the domain refused (a
    notification saying why when no `failed` is given). The worker, in case it is waited for."""
    app = node.app

    def job() -> None:
        try:
            with book(node) as db:
                result = work(db)
        except CrmError as err:
            app.call_from_thread(failed or _notify_refusal(app), err)
            return
        except Exception as err:
            # A fault of ours: said in one line where a refusal would be (the worker still
            # fails, so a test sees it), never a screen waiting for ever.
            app.call_from_thread(failed or _notify_refusal(app), CrmError(said(err)))
            raise
        app.call_from_thread(done, result)

    return node.run_worker(job, thread=True, group=group, exit_on_error=False)


def when_read(
    node: DOMNode,
    reading: Future[T],
    answered: Callable[[T | None, CrmError | None], None],
    *,
    group: str,
) -> Worker[None]:
    """Call `answered(result, None)`, or `answered(None, refusal)`, when `reading` is done, on
    the line's thread (the UI thread if it is done already): it should only post a message.
    For the reads a user waits on, handed to one of the app's lines (`CrmApp.search_line`,
    `screen_line`) as soon as they are wanted: a line's connection stays open where a worker's
    starts cold (the schema parsed again, an empty page cache), and a Textual worker's thread
    starts only after whatever the UI thread draws first, a few milliseconds later.
    A worker of `group` waits for it meanwhile, so the read is waited for as the node's other
    work is, and an unexpected fault fails that worker as it would have failed the read's."""

    posted = threading.Event()

    def done(read: Future[T]) -> None:
        try:
            if read.cancelled():
                return
            error = read.exception()
            if error is None:
                answered(read.result(), None)
            elif isinstance(error, CrmError):
                answered(None, error)
            else:  # a fault of ours: one line, as a refusal would be (the worker still fails)
                answered(None, CrmError(said(error)))
        finally:
            posted.set()

    def wait() -> None:
        # Until the answer is posted, not only read: a future wakes those waiting on it
        # before it runs its callbacks, and whoever waits for the worker expects the answer.
        with contextlib.suppress(CrmError):
            reading.result()
        posted.wait()

    reading.add_done_callback(done)
    return node.run_worker(wait, thread=True, group=group, exclusive=True, exit_on_error=False)


def _notify_refusal(app) -> Callable[[CrmError], None]:
    return lambda err: app.notify(str(err), severity="error")


class FollowsTheBook:
    """A screen that shows the book again whenever it may have changed: when it is back on top
    after another screen, and when another program wrote to the book (`BookChanged`, from the
    app's watcher). Each such screen defines `refresh_from_book`, which reads it again keeping
    the place in the list; a class that does not is refused when it is defined.

    Back on top, it reads again only if the book changed (the app's `BookClock`) or the day
    moved since it last read: coming back to a list nothing touched costs a redraw, not a read.
    The screen's loading worker calls `reading_book()` as soon as it has read: not before, since
    reading may write what the book keeps for it (the day's scores), which moves the clock.
    (A write by another program in the microseconds between is seen by the app's watcher.)"""

    refresh_from_book: Callable[[], None]
    _book_seen: tuple[int | None, date] | None = None
    _resumed = False  # shown before

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not callable(getattr(cls, "refresh_from_book", None)):
            raise TypeError(f"{cls.__name__} follows the book: define refresh_from_book()")

    def reading_book(self) -> None:
        """In the loading worker, right after it read: what the screen has seen."""
        self.saw_book(self.app.book_clock.reading())  # type: ignore[attr-defined]

    def saw_book(self, reading: int | None) -> None:
        """What the screen has seen: the book at the clock's `reading` (None: can't tell)."""
        self._book_seen = (reading, self.app.today())  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        app = self.app  # type: ignore[attr-defined]
        seen = self._book_seen
        first, self._resumed = not self._resumed, True
        if seen is None:  # its first read is under way (just mounted), or it failed: again
            # Under way includes not started yet: a screen's first resume comes before its
            # loading worker runs, and reading twice at start cost the first rows ~30 ms.
            if not any(w.node is self and not w.is_finished for w in app.workers):
                self.refresh_from_book()
            return
        if first:  # read as it was built, a moment ago (another program's write since: the
            return  # app's watcher says so)

        def compare(now: int | None) -> None:
            unsure = now is None  # the clock could not tell: read again
            if (unsure or (now, app.today()) != seen) and self._book_seen == seen:
                self.refresh_from_book()

        in_background(self, lambda _db: app.book_clock.reading(), compare, group="book-clock")

    def on_book_changed(self, message: BookChanged) -> None:
        self.refresh_from_book()
