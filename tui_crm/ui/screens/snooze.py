"""Snooze a needs-attention item until a day: it comes back on that day."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from tui_crm.core.attention import REASONS, AttentionItem, snooze
from tui_crm.core.dates import parse_when
from tui_crm.errors import CrmError, ValidationError
from tui_crm.ui.format import data, naming
from tui_crm.ui.screens.dialog import FormDialog, Saved, show_when
from tui_crm.ui.widgets.compact import compact


class SnoozeScreen(FormDialog[Saved | None]):
    FIELDS = {"until": "snooze-until"}
    DISCARD_QUESTION = "Leave without snoozing?"

    def __init__(self, item: AttentionItem) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        reasons = ", ".join(REASONS[reason.code] for reason in self.item.reasons)
        with Vertical(classes="dialog", id="snooze-dialog"):
            yield Static(naming("Snooze ", self.item.name), classes="dialog-title")
            yield Static(data(reasons), classes="field-hint")
            with Horizontal(classes="form-row"):
                yield Label("Until", classes="form-label")
                yield compact(
                    Input(
                        value="+1w",
                        placeholder="+3d  +2w  +1m  mon  2026-12-01",
                        id="snooze-until",
                    )
                )
            yield Static("", id="snooze-until-error", classes="field-hint")
            yield Static("ctrl+s snooze · esc cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        field = self.query_one("#snooze-until", Input)
        field.focus()
        self._show_day(field.value)

    @on(Input.Changed, "#snooze-until")
    def _changed(self, event: Input.Changed) -> None:
        self._show_day(event.value)

    def _show_day(self, text: str) -> None:
        hint = self.query_one("#snooze-until-error", Static)
        show_when(hint, text, self.app.today(), "back on")

    def perform(self, values: dict[str, Any]) -> Saved:
        text = values["until"].strip()
        if not text:
            raise ValidationError({"until": "say until when, e.g. +1w or mon"})
        today = self.app.today()
        try:
            until = parse_when(text, today)
        except CrmError as err:
            raise ValidationError({"until": str(err)}) from None
        snooze(
            self.app.db,
            self.item.customer_id,
            [reason.code for reason in self.item.reasons],
            until,
            seen=self.item.seen,
            as_of=today,
        )
        return Saved(self.item.customer_id, f"{self.item.name} snoozed until {until:%a %-d %b}")

    def on_form_failed(self, message) -> None:
        self.query_one("#snooze-until-error", Static).set_class(True, "field-error")
        super().on_form_failed(message)
