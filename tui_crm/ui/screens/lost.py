"""Mark a customer lost, recording what broke the deal."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui_crm.core.customers import update_customer
from tui_crm.core.types import CustomerProfile
from tui_crm.ui.format import naming
from tui_crm.ui.screens.dialog import FormDialog, Saved, form_row


class MarkLostScreen(FormDialog[Saved | None]):
    FIELDS = {"lost_reason": "lost-reason"}
    DISCARD_QUESTION = "Discard the reason?"

    def __init__(self, profile: CustomerProfile) -> None:
        super().__init__()
        self.profile = profile

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="lost-dialog"):
            yield Static(naming("Mark ", self.profile.name, " as lost"), classes="dialog-title")
            yield from form_row(
                "Why",
                Input(
                    placeholder="what broke the deal, e.g. went with a cheaper competitor",
                    id="lost-reason",
                    compact=True,
                ),
            )
            yield Static("ctrl+s save · esc cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#lost-reason", Input).focus()

    def perform(self, values: dict[str, Any]) -> Saved:
        update_customer(
            self.app.db,
            self.profile.id,
            {"status": "lost", "lost_reason": values["lost_reason"]},
            expected_version=self.profile.version,
        )
        return Saved(self.profile.id, f"{self.profile.name} marked lost: {values['lost_reason']}")
