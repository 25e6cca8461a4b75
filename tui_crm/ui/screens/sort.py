"""Choose the order of the results: a first and an optional second key, each either way."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from tui_crm.core.query import SortKey
from tui_crm.ui.widgets.compact import compact

KEYS = (
    ("name", "name (first, last)"),
    ("last_name", "last name"),
    ("company", "company"),
    ("city", "city"),
    ("spent12m", "value, 12 months"),
    ("spent30d", "spent, 30 days"),
    ("lifetime", "lifetime value"),
    ("last_contact", "last contact"),
    ("next_follow_up", "next follow-up"),
    ("created", "added"),
)
# The direction people usually want first for each key.
DESCENDING_FIRST = {"spent12m", "spent30d", "lifetime", "created"}


def _choices() -> list[tuple[str, str]]:
    out = []
    for key, label in KEYS:
        both = [(f"{label} ↓", f"-{key}"), (f"{label} ↑", key)]
        out += both if key in DESCENDING_FIRST else both[::-1]
    return out


def _token(key: SortKey) -> str:
    return ("-" if key.descending else "") + key.key


class SortScreen(ModalScreen[list[SortKey] | None]):
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="sort.apply"),
        Binding("escape", "dismiss(None)", "Cancel", id="sort.cancel"),
    ]

    def __init__(self, current: tuple[SortKey, ...]) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        first = _token(self.current[0]) if self.current else Select.NULL
        second = _token(self.current[1]) if len(self.current) > 1 else Select.NULL
        with Vertical(classes="dialog", id="sort-dialog"):
            yield Static("Sort the results", classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label("Sort by", classes="form-label")
                yield compact(Select(_choices(), value=first, prompt="default", id="sort-first"))
            with Horizontal(classes="form-row"):
                yield Label("then by", classes="form-label")
                yield compact(Select(_choices(), value=second, prompt="—", id="sort-second"))
            yield Static("Enter opens a list · ctrl+s apply · esc cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#sort-first", Select).focus()

    def action_apply(self) -> None:
        keys = []
        for select_id in ("#sort-first", "#sort-second"):
            value = self.query_one(select_id, Select).value
            if value is not Select.NULL:
                keys.append(SortKey(str(value).lstrip("-"), str(value).startswith("-")))
        if len(keys) == 2 and keys[0].key == keys[1].key:
            keys = keys[:1]
        self.dismiss(keys)
