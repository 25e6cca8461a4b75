"""Small modal choosers: a customer (for "referred by"), and what to do about duplicates."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui_crm.core.duplicates import DuplicateCandidate
from tui_crm.core.query import Query, Word
from tui_crm.core.search import search
from tui_crm.core.types import CustomerRef, CustomerRow
from tui_crm.errors import CrmError
from tui_crm.ui.background import book
from tui_crm.ui.format import data, naming


class PickList(OptionList):
    """The picker's choices (letters typed here are not commands)."""


class CustomerPickerScreen(ModalScreen[CustomerRef | None]):
    """Type a few letters, ↓ into the list, Enter picks; Escape leaves it as it was."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel"),
        Binding("down", "focus_list", "List", show=False, id="picker.list"),
    ]

    def __init__(self, title: str, *, exclude: int | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.exclude = exclude
        self.rows: list[CustomerRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="picker-dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(placeholder="type a name, company, phone…", id="picker-query")
            yield PickList(id="picker-list")
            yield Static("↓ list · Enter choose · Esc cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#picker-query", Input).focus()

    @on(Input.Changed, "#picker-query")
    def changed(self, event: Input.Changed) -> None:
        self.find(event.value)

    @on(Input.Submitted, "#picker-query")
    def submitted(self) -> None:
        if self.rows:
            self.dismiss(CustomerRef(self.rows[0].id, self.rows[0].name))

    @work(thread=True, exclusive=True, exit_on_error=False, group="picker")
    def find(self, text: str) -> None:
        worker = get_current_worker()
        words = tuple(Word(w) for w in text.split())
        try:
            with book(self) as db:
                rows = (
                    search(db, Query(words=words), as_of=self.app.today(), limit=30)
                    if words
                    else []
                )
        except CrmError as err:
            self.app.call_from_thread(self.app.notify, str(err), severity="error")
            return
        rows = [r for r in rows if r.id != self.exclude]
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show, rows)

    def show(self, rows: list[CustomerRow]) -> None:
        self.rows = rows
        options = self.query_one(PickList)
        options.clear_options()
        options.add_options(
            Option(data(" · ".join(x for x in (r.name, r.company, r.city) if x)), id=str(r.id))
            for r in rows
        )

    def action_focus_list(self) -> None:
        if self.rows:
            self.app.set_focus(self.query_one(PickList))

    @on(OptionList.OptionSelected, "#picker-list")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        row = next(r for r in self.rows if str(r.id) == event.option.id)
        self.dismiss(CustomerRef(row.id, row.name))


class DuplicatesScreen(ModalScreen[str | None]):
    """Before a new customer is written: open an existing one, merge into it, create anyway,
    or go back."""

    BINDINGS = [
        Binding("ctrl+n", "dismiss('create')", "Create anyway", id="duplicates.create"),
        Binding("m", "merge", "Merge into it", id="duplicates.merge"),
        Binding("escape", "dismiss(None)", "Back to the form", id="duplicates.back"),
    ]

    def __init__(self, name: str, candidates: list[DuplicateCandidate]) -> None:
        super().__init__()
        self.new_name = name
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="duplicates-dialog"):
            yield Static(
                naming("", self.new_name, " may already be in your book:"), classes="dialog-title"
            )
            yield PickList(
                *(
                    Option(
                        data(
                            f"{c.name}" + "".join(f" · {x}" for x in (c.company, c.city) if x)
                        ).append_text(data(f"\n  {'; '.join(c.reasons)}", multiline=True)),
                        id=str(c.id),
                    )
                    for c in self.candidates
                ),
                id="duplicates-list",
            )
            yield Static(
                "Enter open it · m merge into it · c create anyway · Esc back",
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        self.query_one(PickList).focus()

    def action_merge(self) -> None:
        """Add the new customer, then choose field by field what the existing one keeps."""
        option = self.query_one(PickList).highlighted_option
        if option is not None:
            self.dismiss(f"merge:{option.id}")

    @on(OptionList.OptionSelected, "#duplicates-list")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(f"open:{event.option.id}")
