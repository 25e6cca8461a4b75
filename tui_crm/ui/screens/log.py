"""Log an interaction in seconds: `l`, the note, ctrl+s. Kind defaults to a call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static, TextArea

from tui_crm.core.customers import log_interaction
from tui_crm.core.dates import parse_when
from tui_crm.db.models import INTERACTION_KINDS
from tui_crm.errors import CrmError
from tui_crm.ui.screens.dialog import FormDialog, FormFailed, Saved, show_message


class LogInteractionScreen(FormDialog[Saved | None]):
    FIELDS = {
        "kind": "log-kind",
        "notes": "log-notes",
        "outcome": "log-outcome",
        "follow_up": "log-follow-up",
    }
    DISCARD_QUESTION = "Discard this note?"

    def __init__(
        self,
        customer_id: int,
        customer_name: str,
        *,
        kind: str = "call",
        regarding: int | None = None,
    ) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.kind = kind
        self.regarding = regarding

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="log-dialog"):
            yield Static(f"Log for [b]{self.customer_name}[/b]", classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label("Kind", classes="form-label")
                yield Select(
                    [(k, k) for k in INTERACTION_KINDS],
                    value=self.kind,
                    allow_blank=False,
                    compact=True,
                    id="log-kind",
                )
            yield Label("Notes", classes="form-label")
            yield TextArea(id="log-notes", tab_behavior="focus", soft_wrap=True)
            yield Static("", id="log-notes-error", classes="field-error")
            with Horizontal(classes="form-row"):
                yield Label("Outcome", classes="form-label")
                yield Input(
                    placeholder="e.g. ordered, call back, not interested",
                    id="log-outcome",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label("Follow-up", classes="form-label")
                yield Input(
                    placeholder="+3d  +2w  tomorrow  mon  2026-12-01",
                    id="log-follow-up",
                    compact=True,
                )
            yield Static("", id="log-follow-up-error", classes="field-hint")
            yield Static("ctrl+s save · esc cancel · tab next field", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#log-notes", TextArea).focus()

    @on(Input.Changed, "#log-follow-up")
    def show_follow_up(self, event: Input.Changed) -> None:
        """Show what a typed follow-up means ("+2w → Sun 6 Dec 2026") or why it is wrong."""
        hint = self.query_one("#log-follow-up-error", Static)
        text = event.value.strip()
        hint.set_class(False, "field-error")
        try:
            when = parse_when(text, self.app.today()) if text else None
        except CrmError as err:
            hint.set_class(True, "field-error")
            show_message(hint, str(err))
            return
        show_message(hint, f"{text} → {when:%a} {when.day} {when:%b %Y}" if when else "")

    def on_form_failed(self, message: FormFailed) -> None:
        hint = self.query_one("#log-follow-up-error", Static)
        hint.set_class("follow_up" in message.errors, "field-error")
        super().on_form_failed(message)

    def perform(self, values: dict[str, Any]) -> Saved:
        now = datetime.now().replace(microsecond=0)
        if now.date() != self.app.today():  # a fixed clock (tests, screenshots) wins
            now = datetime.combine(self.app.today(), now.time())
        interaction_id = log_interaction(
            self.app.db,
            self.customer_id,
            notes=values["notes"],
            kind=values["kind"],
            outcome=values["outcome"],
            follow_up=values["follow_up"] or None,
            regarding=self.regarding,
            now=now,
        )
        summary = f"Logged {values['kind']} with {self.customer_name}"
        if values["follow_up"].strip():
            when = parse_when(values["follow_up"], now.date())
            summary += f"; follow-up {when:%a} {when.day} {when:%b}"
        return Saved(interaction_id, summary)
