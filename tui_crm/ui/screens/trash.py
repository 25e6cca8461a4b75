"""The trash: deleted and merged-away customers, newest first; restore one whole, or purge it
for ever after an explicit yes."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from tui_crm.core.trash import TrashedCustomer, purge_customer, restore_from_trash, trash_list
from tui_crm.errors import CrmError
from tui_crm.ui.background import FollowsTheBook, book, in_background
from tui_crm.ui.format import data
from tui_crm.ui.keys import ListHoldsKeys
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.search import ResultsList
from tui_crm.ui.screens.styled import StyledAsNeeded
from tui_crm.ui.widgets.footer import KeysFooter
from tui_crm.ui.widgets.row_list import Column, Row


@dataclass
class TrashLoaded(Message):
    items: list[TrashedCustomer]
    error: str | None


class TrashScreen(StyledAsNeeded, FollowsTheBook, ListHoldsKeys, Screen):
    """Who was deleted or merged away, when and by whom; Enter brings one back whole."""

    BINDINGS = [
        # Priority: the list's own Enter (select the row) would answer first.
        Binding("enter", "restore", "Restore", id="trash.restore", priority=True),
        Binding("ctrl+d", "purge", "Purge…", id="trash.purge"),
        Binding("escape", "app.back", "Back", id="trash.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[TrashedCustomer] = []
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="trash-body"):
            yield Static("Reading the trash…", id="trash-status")
            yield ResultsList(id="trash-table")  # drawn line by line: only what is on screen
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Trash"
        trashed = self.query_one(ResultsList)
        name = 28 if self.app.size.width >= 100 else 20
        # What is left of the width (cells are padded by one on each side; a scrollbar).
        rest = max(20, self.app.size.width - name - 12 - 8 - 4 * 2 - 2)
        trashed.set_columns(
            [
                Column("Customer", name),
                Column("Deleted", 12),
                Column("By", 8),
                Column("How, and what comes back", rest),
            ]
        )
        trashed.focus()
        self.load()

    def refresh_from_book(self) -> None:
        if self._loaded:
            self.load()

    def load(self) -> None:
        """Read the trash (again) in a worker; keys wait for it, so Enter acts on the row shown."""
        self.hold_keys()
        self._read()

    LOAD_GROUP = "trash"

    @work(thread=True, exclusive=True, exit_on_error=False, group=LOAD_GROUP)
    def _read(self) -> None:
        worker = get_current_worker()
        try:
            with book(self) as db:
                items, error = trash_list(db), None
                self.reading_book()  # after its own kept figures were written
        except CrmError as err:
            items, error = [], str(err)
        if not worker.is_cancelled:
            self.post_message(TrashLoaded(items, error))

    def on_trash_loaded(self, message: TrashLoaded) -> None:
        self._loaded = True
        try:
            self._show(message)
        finally:
            self.release_keys()

    def _show(self, message: TrashLoaded) -> None:
        status = self.query_one("#trash-status", Static)
        if message.error:
            status.update(data(message.error, "red"))
            return
        self.items = message.items
        self.refresh_bindings()  # Restore and Purge apply once there is a row to act on
        self.query_one(ResultsList).replace(
            [Row(item.id, self._cells(item)) for item in self.items]
        )
        count = len(self.items)
        status.update(
            "The trash is empty."
            if not count
            else f"{count} customer{'s' if count != 1 else ''} in the trash · "
            "Enter restores one whole · ctrl+d deletes it for ever"
        )

    @staticmethod
    def _cells(item: TrashedCustomer) -> tuple:
        name = item.name
        if item.company and item.company != item.name:
            name += f" ({item.company})"
        counts = ", ".join(
            f"{n} {what}{'s' if n != 1 else ''}"
            for n, what in ((item.interactions, "interaction"), (item.purchases, "purchase"))
            if n
        )
        return (
            data(name),
            f"{item.deleted_at:%-d %b %H:%M}",
            data(item.who),
            data(f"{item.how} · {counts}" if counts else item.how),
        )

    @property
    def current(self) -> TrashedCustomer | None:
        at = self.query_one(ResultsList).cursor_row
        if not self.items or not 0 <= at < len(self.items):
            return None
        return self.items[at]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("restore", "purge"):
            return bool(self.items)
        return True

    def action_restore(self) -> None:
        item = self.current
        if item is None:
            return
        self.hold_keys()
        in_background(
            self,
            lambda db: restore_from_trash(db, item.id, expected_version=item.version),
            self._written,
            failed=self._refused,
            group="trash-write",
        )

    def action_purge(self) -> None:
        item = self.current
        if item is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self.hold_keys()
            in_background(
                self,
                lambda db: purge_customer(db, item.id, expected_version=item.version),
                lambda _: self._written(f"Deleted {item.name} for ever"),
                failed=self._refused,
                group="trash-write",
            )

        self.app.push_screen(
            ConfirmScreen(
                f"Delete {item.name} for ever?\n"
                "Their interactions, purchases and history go with them. "
                "This cannot be undone.",
                "Delete for ever",
                "Keep in trash",
            ),
            answered,
        )

    def _written(self, said: str) -> None:
        self.app.notify(said)
        self.load()

    def _refused(self, err: CrmError) -> None:
        self.app.notify(str(err), severity="error", timeout=10)
        self.load()
