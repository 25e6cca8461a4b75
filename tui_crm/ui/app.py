"""The Textual application: one database, a clock, and the search screen as home."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from peewee import Database
from textual.app import App
from textual.binding import Binding

from tui_crm.ui.screens.search import SearchScreen


class CrmApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tui-crm"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(
        self,
        db: Database,
        db_path: Path | None = None,
        *,
        today: Callable[[], date] = date.today,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.db = db
        self.db_path = db_path
        self.today = today
        self.cursor_blink = cursor_blink  # off in snapshot tests, so frames are stable
        if db_path is not None:
            self.sub_title = db_path.name

    def on_mount(self) -> None:
        self.push_screen(SearchScreen())
