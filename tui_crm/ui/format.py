"""Short, glanceable text for dates, money and tiers, and the one way data reaches the screen.

`data()` is how every value from the book (names, notes, tags, reasons, reports, errors that
quote them) becomes something a widget shows: Rich `Text`, never markup, with control
characters made visible (core/display.printable). A plain `str` handed to a `Static`, a
`DataTable` cell, a Rich table, a tree label or an option is read as markup: never give one
data.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime

from rich.text import Text
from textual._context import active_app

from tui_crm.core.display import printable
from tui_crm.core.fields import format_money, format_money_short

__all__ = [
    "format_money",
    "format_money_short",
    "ago",
    "due",
    "tier_text",
    "day",
    "data",
    "naming",
    "editable",
]


def data(
    value: object, style: str = "", *, multiline: bool = False, justify=None, limit=None
) -> Text:
    """A value from the book as text to show: never markup, no control character, cut to a
    length a screen can show (`multiline` keeps its line breaks)."""
    return Text(printable(value, multiline=multiline, limit=limit), style=style, justify=justify)


def editable(value: object, *, multiline: bool = False) -> str:
    """A stored value put into an input to edit: whole, with control characters shown as
    placeholders (an input draws its value as it is, escapes included); saving keeps what
    the field shows, and the history keeps the value it replaced."""
    return printable(value, multiline=multiline, limit=sys.maxsize)


def naming(before: str, name: object, after: str = "") -> Text:
    """A title around a customer's name in bold: `naming("Snooze ", name)`."""
    return Text.assemble(before, data(name, "bold"), after)


def ago(moment: datetime | date | None, today: date) -> str:
    """'today', '5d ago', '3w ago', '4mo ago', '2y ago' or '—'."""
    if moment is None:
        return "—"
    day_ = moment.date() if isinstance(moment, datetime) else moment
    days = (today - day_).days
    if days < 0:
        return day_.isoformat()
    if days == 0:
        return "today"
    if days < 14:
        return f"{days}d ago"
    if days < 60:
        return f"{days // 7}w ago"
    if days < 730:
        return f"{days // 30}mo ago"
    return f"{days // 365}y ago"


@dataclass(frozen=True)
class Colours:
    """The styles that carry a meaning in lists and titles (besides their words)."""

    gold: str
    silver: str
    late: str  # an error: an overdue follow-up
    soon: str  # a warning: due today
    next: str  # due tomorrow


# Textual's own themes draw the terminal's colour names in a palette of their own.
THEME_COLOURS = Colours("bold yellow", "bold", "bold red", "bold yellow", "yellow")
# The ANSI themes draw them in the terminal's 16, where errors are red and warnings yellow
# ($error and $warning there): gold takes a colour of its own, never an error's or a warning's.
ANSI_COLOURS = Colours("bold cyan", "bold", "bold red", "bold yellow", "yellow")


def colours() -> Colours:
    """The styles for the app on screen: its theme's, or the 16 colours' of an ANSI theme."""
    try:
        ansi = active_app.get().native_ansi_color
    except LookupError:  # no app running: text made for a test
        ansi = False
    return ANSI_COLOURS if ansi else THEME_COLOURS


def due(day_: date | None, today: date) -> Text:
    """A follow-up date relative to today, red when overdue."""
    if day_ is None:
        return Text("")
    days = (day_ - today).days
    if days < 0:
        return Text(f"{-days}d late", style=colours().late)
    if days == 0:
        return Text("today", style=colours().soon)
    if days == 1:
        return Text("tomorrow", style=colours().next)
    return Text(f"in {days}d")


def tier_text(tier: str) -> Text:
    if tier == "gold":
        return Text("gold", style=colours().gold)
    if tier == "silver":
        return Text("silver", style=colours().silver)
    return Text("")


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return f"{value:%Y-%m-%d}"
