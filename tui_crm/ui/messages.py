"""Messages that database workers post back to the screens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the profile's types load with the profile, not before the first frame
    from tui_crm.core.types import CustomerProfile, CustomerRow


@dataclass
class SearchDone(Message):
    """Results (or the error) for the query text the user typed."""

    text: str
    rows: list[CustomerRow]
    error: str | None
    book_empty: bool
    total: int | None = None  # how many it finds, when the rows are all of them
    why: str = ""  # why it finds no one, when that is the book (core/search.py why_none)


@dataclass
class SearchCounted(Message):
    """How many customers the query text finds (read after its first rows)."""

    text: str
    total: int


@dataclass
class NotesFound(Message):
    """What the query text matched in the notes of some customers shown, by id (snippets
    with the words found marked, core/search.py `note_snippets`)."""

    text: str
    found: dict[int, str]


@dataclass
class SearchPageRead(Message):
    """More rows of the query text's results, from place `start` on."""

    text: str
    start: int
    rows: list[CustomerRow]


@dataclass
class ProfileLoaded(Message):
    profile: CustomerProfile | None
    error: str | None


class BookChanged(Message):
    """Another program (a colleague's app, a script, a restore) changed the book: the screen
    on top shows it again, keeping its place and what is being typed."""
