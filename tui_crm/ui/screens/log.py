"""Log an interaction in seconds: `l`, the note, ctrl+s. Kind defaults to a call."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea

from tui_crm.core.customers import log_interaction
from tui_crm.core.dates import parse_when
from tui_crm.db.models import INTERACTION_KINDS
from tui_crm.errors import CrmError, ValidationError
from tui_crm.ui.screens.confirm import ConfirmScreen

FIELD_WIDGETS = {
    "notes": "#log-notes",
    "follow_up": "#log-follow-up",
    "kind": "#log-kind",
    "at": "#log-notes",
}


@dataclass
class Logged:
    interaction_id: int
    summary: str


class LogInteractionScreen(ModalScreen[Logged | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="log.save"),
        Binding("escape", "cancel", "Cancel", id="log.cancel"),
    ]

    @dataclass
    class Failed(Message):
        errors: dict[str, str]

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
            yield Static(f"Log for [b]{self.customer_name}[/b]", id="log-title", markup=True)
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
            yield Static("", id="log-follow-up-hint", classes="field-hint")
            yield Static("ctrl+s save · esc cancel · tab next field", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#log-notes", TextArea).focus()

    @on(Input.Changed, "#log-follow-up")
    def show_follow_up(self, event: Input.Changed) -> None:
        hint = self.query_one("#log-follow-up-hint", Static)
        text = event.value.strip()
        if not text:
            hint.update("")
            hint.set_class(False, "field-error")
            return
        try:
            when = parse_when(text, self.app.today())
        except CrmError as err:
            hint.update(str(err))
            hint.set_class(True, "field-error")
            return
        hint.set_class(False, "field-error")
        hint.update(f"{text} → {when:%a} {when.day} {when:%b %Y}")

    def action_save(self) -> None:
        kind = self.query_one("#log-kind", Select).value
        self.save(
            notes=self.query_one("#log-notes", TextArea).text,
            kind=str(kind),
            outcome=self.query_one("#log-outcome", Input).value,
            follow_up=self.query_one("#log-follow-up", Input).value,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="log")
    def save(self, *, notes: str, kind: str, outcome: str, follow_up: str) -> None:
        db = self.app.db
        today = self.app.today()
        try:
            from datetime import datetime

            now = datetime.now().replace(microsecond=0)
            if now.date() != today:  # a fixed clock (tests, screenshots) wins
                now = datetime.combine(today, now.time())
            interaction_id = log_interaction(
                db,
                self.customer_id,
                notes=notes,
                kind=kind,
                outcome=outcome,
                follow_up=follow_up or None,
                regarding=self.regarding,
                now=now,
            )
        except ValidationError as err:
            self.post_message(self.Failed(err.errors))
            return
        except CrmError as err:
            self.post_message(self.Failed({"notes": str(err)}))
            return
        finally:
            db.close()
        summary = f"Logged {kind} with {self.customer_name}"
        if follow_up.strip():
            when = parse_when(follow_up, now.date())
            summary += f"; follow-up {when:%a} {when.day} {when:%b}"
        self.app.call_from_thread(self.dismiss, Logged(interaction_id, summary))

    def on_log_interaction_screen_failed(self, message: Failed) -> None:
        first = None
        notes_error = self.query_one("#log-notes-error", Static)
        notes_error.update("")
        for field, text in message.errors.items():
            if field == "follow_up":
                hint = self.query_one("#log-follow-up-hint", Static)
                hint.update(text)
                hint.set_class(True, "field-error")
            else:
                notes_error.update(text)
            first = first or FIELD_WIDGETS.get(field, "#log-notes")
        if first:
            self.query_one(first).focus()

    def action_cancel(self) -> None:
        typed = self.query_one("#log-notes", TextArea).text.strip()
        if not typed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard this note?", "Discard", "Keep editing"), answered
        )
