"""One action on every customer marked in the results (issue 19): tags added or removed, a
category or owner set, lost or active again, snoozed until a day, one interaction logged for
each, an export, or all of them to the trash. The dialog says the action and the
count, and asks for ctrl+s again before anything is written; the book writes it in one
transaction after a backup, and ctrl+z takes it back as one (core/bulk_actions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select, Static

from tui_crm.core.bulk_actions import (
    log_for_each,
    parse_assignments,
    parse_tag_changes,
    set_fields,
    snooze_customers,
    snooze_day,
    tag_customers,
    trash_customers,
)
from tui_crm.core.customers import INTERACTION_KINDS
from tui_crm.errors import CrmError
from tui_crm.ui.screens.dialog import FormDialog, FormFailed, form_row, show_message
from tui_crm.ui.widgets.choice import Choice
from tui_crm.ui.widgets.compact import compact

ACTIONS = (
    ("Add or remove tags", "tags"),
    ("Set the category", "category"),
    ("Set the owner", "owner"),
    ("Mark them lost", "lost"),
    ("Mark them active again", "active"),
    ("Snooze them until a day", "snooze"),
    ("Log one interaction for each", "log"),
    ("Export them to a file", "export"),
    ("Move them to the trash", "trash"),
)
PLACEHOLDERS = {
    "tags": "+vip -prospect (+ adds a tag, - removes one)",
    "category": "a category of the book, e.g. Key account (empty: none)",
    "owner": "who looks after them, e.g. anna (empty: nobody)",
    "log": "what was done, e.g. Summer gift sent",
    "lost": "what broke the deal, e.g. Moved away",
    "active": "",
    "snooze": "until +2w, mon, 2026-12-01: out of the queue until then",
    "trash": "",
    "export": "",
}


NOTHING_TO_TYPE = ("trash", "export", "active")


@dataclass(frozen=True)
class Done:
    """What the action changed, said in one line (the app notifies it)."""

    said: str
    unmark: bool = False  # the marked customers are gone from the list (the trash)
    export: bool = False  # nothing done yet: the export dialog asks where, for the marked


class MarkedActionScreen(FormDialog[Done | None]):
    FIELDS = {"action": "marked-action", "value": "marked-value", "kind": "marked-kind"}
    DISCARD_QUESTION = "Leave without changing anything?"

    def __init__(self, ids: list[int], today) -> None:
        super().__init__()
        self.ids = ids
        self.today = today
        self._asked: tuple | None = None  # the values ctrl+s was asked to confirm

    def compose(self) -> ComposeResult:
        count = len(self.ids)
        with Vertical(classes="dialog", id="marked-dialog"):
            yield Static(
                f"{count:,} customer{'s' if count != 1 else ''} marked", classes="dialog-title"
            )
            yield from form_row(
                "Do",
                compact(Choice(ACTIONS, value="tags", allow_blank=False, id="marked-action")),
                errors=False,
            )
            yield from form_row(
                "What",
                compact(Input(placeholder=PLACEHOLDERS["tags"], id="marked-value")),
                errors=False,
            )
            kinds = [(kind, kind) for kind in INTERACTION_KINDS]
            yield from form_row(
                "Kind",
                compact(Choice(kinds, value="thanks", allow_blank=False, id="marked-kind")),
                errors=False,
            )
            yield Static("", id="form-error", classes="field-error")
            yield Static("ctrl+s do it · esc cancel", classes="dialog-keys", id="marked-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_kind("tags")
        self.query_one("#marked-value", Input).focus()

    def _show_kind(self, action: str) -> None:
        """The rows the action asks for: a kind to log; nothing to type for the trash."""
        self.query_one("#marked-kind").parent.display = action == "log"
        self.query_one("#marked-value").parent.display = action not in NOTHING_TO_TYPE

    # (FormLogic's own handlers of these messages run too: Textual calls each class's.)
    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "marked-action" and isinstance(event.value, str):
            self._show_kind(event.value)
            self.query_one("#marked-value", Input).placeholder = PLACEHOLDERS[event.value]
        self._unask()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._unask()

    def _unask(self) -> None:
        """A change after the question: the next ctrl+s asks again."""
        if self._asked is not None:
            self._asked = None
            self._say("")

    def _say(self, text: str) -> None:
        show_message(self.query_one("#form-error", Static), text)
        self.query_one("#form-error").set_class(False, "confirm")

    def action_save(self) -> None:
        values = self.values()
        if values["action"] == "export":  # the export dialog asks the format and the file
            self.dismiss(Done("", export=True))
            return
        try:
            question = self._question(values)
        except CrmError as err:
            self.post_message(FormFailed({"": str(err)}))
            return
        key = tuple(values.items())
        if self._asked != key:  # the first ctrl+s: say what it will do, and to how many
            self._asked = key
            self.clear_errors()
            status = self.query_one("#form-error", Static)
            show_message(status, f"{question}: ctrl+s again to do it, esc to leave it")
            status.set_class(True, "confirm")
            return
        super().action_save()

    def _question(self, values: dict[str, Any]) -> str:
        """What ctrl+s will do, checked as far as it can be without the book."""
        count = len(self.ids)
        whom = f"{count:,} customer{'s' if count != 1 else ''}"
        action, value = values["action"], (values["value"] or "").strip()
        if action == "tags":
            add, remove = parse_tag_changes(value.split())
            said = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
            return f"Tags {said} on {whom}"
        if action in ("category", "owner"):
            parse_assignments([f"{action}={value}"])
            return (
                f"Set the {action} to “{value}” on {whom}"
                if value
                else (f"Clear the {action} of {whom}")
            )
        if action == "trash":
            return f"Move {whom} to the trash"
        if action == "active":
            return f"Mark {whom} active again"
        if action == "lost":
            if not value:
                raise CrmError("say what broke the deal, e.g. Moved away")
            parse_assignments(["status=lost", f"lost_reason={value}"])
            return f"Mark {whom} lost (“{value}”)"
        if action == "snooze":
            until = self._until(value)
            return f"Snooze {whom} until {until:%a %-d %b}: out of the queue until then"
        if not value:
            raise CrmError("write what was done, e.g. Summer gift sent")
        return f"Log {values['kind']} “{value}” for {whom}"

    def _until(self, text: str):
        if not text:
            raise CrmError("until when? e.g. +2w, mon or 2026-12-01")
        return snooze_day(text, self.today)

    def perform(self, values: dict[str, Any]) -> Done:
        db, today = self.app.db, self.today
        action, value = values["action"], (values["value"] or "").strip()
        if action == "tags":
            add, remove = parse_tag_changes(value.split())
            return Done(tag_customers(db, self.ids, add, remove, as_of=today).summary())
        if action in ("category", "owner"):
            values_set = parse_assignments([f"{action}={value}"])
            return Done(set_fields(db, self.ids, values_set, as_of=today).summary())
        if action == "trash":
            return Done(trash_customers(db, self.ids, as_of=today).summary(), unmark=True)
        if action in ("lost", "active"):
            words = ["status=active"] if action == "active" else ["status=lost"]
            if action == "lost":
                words.append(f"lost_reason={value}")
            return Done(set_fields(db, self.ids, parse_assignments(words), as_of=today).summary())
        if action == "snooze":
            until = self._until(value)
            return Done(snooze_customers(db, self.ids, until, as_of=today).summary())
        result = log_for_each(db, self.ids, notes=value, kind=values["kind"], as_of=today)
        return Done(result.summary())
