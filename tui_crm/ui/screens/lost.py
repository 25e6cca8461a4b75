"""Mark a customer lost, recording what broke the deal (the book's reasons suggested)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from tui_crm.core.customers import update_customer
from tui_crm.core.insights import lost_reasons
from tui_crm.core.types import CustomerProfile
from tui_crm.errors import CrmError
from tui_crm.ui.background import in_background
from tui_crm.ui.format import naming
from tui_crm.ui.screens.dialog import FormDialog, Saved, form_row
from tui_crm.ui.widgets.compact import compact


def suggest_reasons(field: Input, reasons: list[str]) -> None:
    """Complete `field` from the reasons the book already holds (most given first, case
    ignored; → takes it as the book spells it), so one reason stays one row in
    Insights instead of splitting by spelling."""
    field.suggester = SuggestFromList(reasons, case_sensitive=False)


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
                compact(
                    Input(
                        placeholder="what broke the deal, e.g. went with a cheaper competitor",
                        id="lost-reason",
                    )
                ),
            )
            yield Static("ctrl+s save · esc cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        field = self.query_one("#lost-reason", Input)
        field.focus()
        in_background(
            self,
            lost_reasons,
            lambda reasons: suggest_reasons(field, reasons),
            failed=self._no_suggestions,
            group="lost-reasons",
        )

    def _no_suggestions(self, error: CrmError) -> None:
        """Suggestions are a help, not the task: a book too busy to read them now leaves the
        reason to be typed in full rather than getting in the way with an error."""

    def perform(self, values: dict[str, Any]) -> Saved:
        update_customer(
            self.app.db,
            self.profile.id,
            {"status": "lost", "lost_reason": values["lost_reason"]},
            expected_version=self.profile.version,
        )
        return Saved(self.profile.id, f"{self.profile.name} marked lost: {values['lost_reason']}")
