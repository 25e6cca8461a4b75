"""A yes/no question in a modal: y or Enter confirms, n or Escape declines."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui_crm.ui.format import data


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self, question: str, yes: str = "Yes", no: str = "No", *, destructive: bool = True
    ) -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no
        self.destructive = destructive  # then "no" is the safe default under Enter

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            # Questions quote names and paths: plain text, never markup.
            yield Static(data(self.question, multiline=True), id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                variant = "error" if self.destructive else "primary"
                yield Button(f"{self.yes} (y)", variant=variant, id="confirm-yes")
                yield Button(f"{self.no} (n)", id="confirm-no")

    def on_mount(self) -> None:
        default = "#confirm-no" if self.destructive else "#confirm-yes"
        self.query_one(default, Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
