"""Log an interaction in seconds: `l`, the note, ctrl+s. Kind defaults to a call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from tui_crm.core.customers import INTERACTION_KINDS, log_interaction
from tui_crm.core.dates import parse_follow_up, said_follow_up
from tui_crm.core.drafts import Draft, discard_draft, save_draft
from tui_crm.ui.background import in_background
from tui_crm.ui.format import data
from tui_crm.ui.screens.dialog import (
    FormDialog,
    FormFailed,
    Saved,
    show_when,
    widget_value,
)
from tui_crm.ui.widgets.compact import compact


class LogInteractionScreen(FormDialog[Saved | None]):
    FIELDS = {
        "kind": "log-kind",
        "notes": "log-notes",
        "outcome": "log-outcome",
        "follow_up": "log-follow-up",
        "at": "log-at",
    }
    DISCARD_QUESTION = "Discard this note?"
    KEEPS_DRAFTS = True  # a new note is kept as a draft while typed (a correction is not)

    def __init__(
        self,
        customer_id: int,
        customer_name: str,
        *,
        kind: str = "call",
        regarding: int | None = None,
        regarding_name: str = "",
        draft: Draft | None = None,
    ) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.kind = draft.kind if draft else kind
        self.regarding = draft.regarding if draft else regarding
        # whom the thanks is for, in the title
        self.regarding_name = draft.regarding_name if draft else regarding_name
        self.draft = draft
        self._draft_timer = None
        self._fields: dict[str, Widget] = {}
        self._draft_path = None  # the book's file: drafts are kept per book
        self._draft_changed = draft is not None  # a draft to keep: typed, or brought back
        self._draft_done = False  # saved or thrown away: nothing to keep

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="log-dialog"):
            title = Text.assemble("Log for ", data(self.customer_name, "bold"))
            if self.regarding_name:
                title.append_text(
                    Text.assemble(" · for referring ", data(self.regarding_name, "bold"))
                )
            yield Static(title, classes="dialog-title")
            # Someone contacted them in the last days: said first (never shown empty).
            yield Static("", id="log-recent", classes="recent-contact")
            with Horizontal(classes="form-row"):
                yield Label("Kind", classes="form-label")
                yield compact(
                    Select(
                        [(k, k) for k in INTERACTION_KINDS],
                        value=self.kind,
                        allow_blank=False,
                        id="log-kind",
                    )
                )
            yield Label("Notes", classes="form-label")
            yield TextArea(id="log-notes", tab_behavior="focus", soft_wrap=True)
            yield Static("", id="log-notes-error", classes="field-error")
            with Horizontal(classes="form-row"):
                yield Label("Outcome", classes="form-label")
                yield compact(
                    Input(
                        placeholder="e.g. ordered, call back, not interested",
                        id="log-outcome",
                    )
                )
            with Horizontal(classes="form-row"):
                yield Label("Follow-up", classes="form-label")
                yield compact(
                    Input(
                        placeholder="+3d  +2w  tomorrow 14:00  mon  2026-12-01",
                        id="log-follow-up",
                    )
                )
            yield Static("", id="log-follow-up-error", classes="field-hint")
            with Horizontal(classes="form-row"):
                yield Label("When", classes="form-label")
                yield compact(
                    Input(
                        placeholder="now  ·  15:30  ·  yesterday 15:30  ·  2026-12-01 09:00",
                        id="log-at",
                    )
                )
            yield Static("", id="log-at-error", classes="field-error")
            yield Static("ctrl+s save · esc cancel · tab next field", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        notes = self.query_one("#log-notes", TextArea)
        if self.draft is not None:
            notes.text = self.draft.notes
            notes.move_cursor(notes.document.end)
            self.query_one("#log-outcome", Input).value = self.draft.outcome
            self.query_one("#log-follow-up", Input).value = self.draft.follow_up
            self.query_one("#log-at", Input).value = self.draft.at
        notes.focus()
        if self.CHECKS_RECENT:
            self._check_recent()
        # Read directly when the session ends (from a signal handler, or after the widgets
        # were taken down), without asking the app or the DOM.
        self._fields = {name: self.query_one(f"#{wid}") for name, wid in self.FIELDS.items()}
        self._draft_path = self.app.db_path
        keepers = getattr(self.app, "draft_keepers", None)
        if keepers is not None:
            keepers.append(self)

    CHECKS_RECENT = True  # a new note says a recent contact first (a correction does not)

    def _check_recent(self) -> None:
        """Whether someone contacted them in the last days: "Anna called them yesterday:
        'sent the quote'", above the note, so nobody calls twice."""
        from tui_crm.core.config import settings
        from tui_crm.core.recent_contact import read_recent_contact, said
        from tui_crm.ui.screens.dialog import show_message

        customer_id, days = self.customer_id, settings().double_contact_days
        now = datetime.now().replace(microsecond=0)

        def shown(found) -> None:
            if found is not None and self.is_mounted:
                recent = self.query_one("#log-recent", Static)
                show_message(recent, said(found, self.app.user, now))

        in_background(
            self,
            lambda db: read_recent_contact(db, customer_id, now, days),
            shown,
            failed=lambda _: None,  # a help, not the task: a busy book leaves it unsaid
            group="log-recent",
        )

    # A draft is written to disk shortly after each change, so a dropped connection loses
    # nothing; it is removed when the note is saved or deliberately discarded.
    @on(TextArea.Changed)
    @on(Input.Changed)
    @on(Select.Changed)
    def keep_draft(self) -> None:
        if self.app.db_path is None or not self.is_mounted or not self.KEEPS_DRAFTS:
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_changed = True
        self._draft_timer = self.set_timer(0.4, self.write_draft)

    def flush_draft(self) -> None:
        """Write the note as it is this instant (the session is ending), unless it was saved
        or thrown away, or nothing was typed."""
        if self._draft_done or not self._draft_changed or self._draft_path is None:
            return
        if self.KEEPS_DRAFTS:
            self.write_draft()

    def on_unmount(self) -> None:
        self.flush_draft()  # closed some other way than save or discard: keep what was typed
        keepers = getattr(self.app, "draft_keepers", [])
        if self in keepers:
            keepers.remove(self)

    def write_draft(self) -> None:
        values = {name: widget_value(widget) for name, widget in self._fields.items()}
        save_draft(
            self._draft_path,
            Draft(
                self.customer_id,
                self.customer_name,
                values["kind"] or "call",
                values["notes"],
                values["outcome"],
                values["follow_up"],
                datetime.now().replace(microsecond=0).isoformat(),
                self.regarding,
                self.regarding_name,
                values["at"],
            ),
        )

    def _forget_draft(self) -> None:
        self._draft_done = True
        if self._draft_timer is not None:
            self._draft_timer.stop()
        if self.app.db_path is not None and self.KEEPS_DRAFTS:
            discard_draft(self.app.db_path, self.customer_id)

    def on_discarded(self) -> None:
        self._forget_draft()

    def is_dirty(self) -> bool:
        # A note brought back from a draft counts as typed: leaving asks before dropping it.
        return super().is_dirty() or (self.draft is not None and not self.draft.is_empty)

    @on(Input.Changed, "#log-follow-up")
    def show_follow_up(self, event: Input.Changed) -> None:
        hint = self.query_one("#log-follow-up-error", Static)
        show_when(hint, event.value, self.app.today(), clock=True)

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
            at=values["at"].strip() or None,  # back-dated: "yesterday 15:30"; never ahead
            regarding=self.regarding,
            now=now,
        )
        self.app.call_from_thread(self._forget_draft)
        summary = f"Logged {values['kind']} with {self.customer_name}"
        if values["follow_up"].strip():
            summary += (
                f"; follow-up {said_follow_up(*parse_follow_up(values['follow_up'], now.date()))}"
            )
        return Saved(interaction_id, summary)
