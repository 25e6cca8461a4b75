"""Messages that database workers post back to the screens."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui_crm.core.types import CustomerProfile, CustomerRow


@dataclass
class SearchDone(Message):
    """Results (or the error) for the query text the user typed."""

    text: str
    rows: list[CustomerRow]
    error: str | None
    book_empty: bool


@dataclass
class ProfileLoaded(Message):
    profile: CustomerProfile | None
    error: str | None


class BookChanged(Message):
    """Another program (a colleague's app, a script, a restore) changed the book: the screen
    on top shows it again, keeping its place and what is being typed."""
