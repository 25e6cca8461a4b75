"""Categories and their contact cadence: how often each kind of customer wants a call."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from tui_crm.core.attention import parse_cadence
from tui_crm.core.cadence import save_cadences
from tui_crm.errors import ValidationError
from tui_crm.ui.format import data
from tui_crm.ui.screens.dialog import FormDialog, Saved
from tui_crm.ui.widgets.compact import compact


class CadenceScreen(FormDialog[Saved | None]):
    """One field per category, one for customers without a category, one to add a category.

    The queue's "no contact for too long" reason reads these on its next run."""

    DISCARD_QUESTION = "Discard the cadence changes?"

    def __init__(self, categories: list[tuple[int, str, int]], default: int) -> None:
        super().__init__()
        # Read before it opens (cadence_values, in a worker): complete from its first frame.
        self.categories = categories
        self.default = default
        self.FIELDS = {"default": "cadence-default"}
        for category_id, _, _ in self.categories:
            self.FIELDS[f"category-{category_id}"] = f"cadence-{category_id}"
        self.FIELDS |= {"new_name": "cadence-new-name", "new_days": "cadence-new-days"}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="cadence-dialog"):
            yield Static("Contact cadence, in days", classes="dialog-title")
            yield from self._row("No category", "cadence-default", str(self.default))
            for category_id, name, days in sorted(self.categories, key=lambda c: c[1].casefold()):
                yield from self._row(name, f"cadence-{category_id}", str(days))
            with Horizontal(classes="form-row"):
                yield Label("New category", classes="form-label cadence-label")
                yield compact(Input(placeholder="name", id="cadence-new-name"))
                yield compact(Input(placeholder="days", id="cadence-new-days"))
            yield Static("", id="cadence-new-name-error", classes="field-error field-hint")
            yield Static("", id="cadence-new-days-error", classes="field-error field-hint")
            yield Static("ctrl+s save · esc cancel · tab next field", classes="dialog-keys")

    def _row(self, label: str, widget_id: str, value: str) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(data(label), classes="form-label cadence-label")
            yield compact(Input(value=value, id=widget_id, classes="cadence-days"))
        yield Static("", id=f"{widget_id}-error", classes="field-error field-hint")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#cadence-default", Input).focus()

    def perform(self, values: dict[str, Any]) -> Saved:
        errors: dict[str, str] = {}
        days: dict[str, int] = {}
        for field, text in values.items():
            if field == "new_name" or (field == "new_days" and not values["new_name"].strip()):
                continue
            try:
                days[field] = parse_cadence(text)
            except ValidationError as err:
                errors[field] = err.errors["cadence_days"]
        if values["new_days"].strip() and not values["new_name"].strip():
            errors["new_name"] = "give the new category a name"
        if errors:
            raise ValidationError(errors)
        save_cadences(
            self.app.db,
            (days["default"], self.default),
            [(name, days[f"category-{cid}"], read) for cid, name, read in self.categories],
            (values["new_name"], days["new_days"]) if values["new_name"].strip() else None,
        )
        return Saved(0, "Contact cadence saved")
