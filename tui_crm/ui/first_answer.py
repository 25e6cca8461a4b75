"""The search's answer to a query, and the first one, read while the app is still loading.

Nothing here imports Textual: the command line starts the first answer (everyone, as the
search screen opens on an empty query) before it loads Textual, so the rows are there when
the screen is and its first frame shows them. Read after the screen was built instead, the
reading and the building took turns on one interpreter and the rows came a frame later."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from tui_crm.core.book import BookClock, BookLine

if TYPE_CHECKING:
    from concurrent.futures import Future

    from peewee import Database

    from tui_crm.core.rows import CustomerRow

WINDOW = 60  # rows read with the answer to a query; the rest as the list is scrolled

Answer = tuple[list["CustomerRow"], bool, int | None]  # rows, book empty, clock after reading


def answer(db: Database, text: str, today: date) -> tuple[list[CustomerRow], bool]:
    """The first WINDOW rows `text` finds, and whether the book is empty (when none)."""
    from tui_crm.core.book import book_is_empty
    from tui_crm.core.search import search

    rows = search(db, text, as_of=today, limit=WINDOW)
    return rows, not rows and book_is_empty(db)


@dataclass
class FirstAnswer:
    """The app's line and clock (`CrmApp`'s `search_line` and `book_clock`), the line reading
    the empty query's answer."""

    line: BookLine
    clock: BookClock
    rows: Future[Answer]

    def taken(self) -> Answer | None:
        """The answer, if it has been read (and read without a fault), once: else None."""
        rows, self.rows = self.rows, None  # type: ignore[assignment]
        if rows is None or not rows.done() or rows.exception() is not None:
            return None
        return rows.result()


def start_first_answer(db: Database, today: Callable[[], date]) -> FirstAnswer:
    line, clock = BookLine(db), BookClock(db)

    def read(db: Database) -> Answer:
        rows, empty = answer(db, "", today())
        return rows, empty, clock.reading()  # after reading: what the rows have seen

    return FirstAnswer(line, clock, line.submit(read))
