"""Forms: fields with their errors beside them, ctrl+s saves in a worker, escape asks before
throwing changes away. `FormDialog` is the modal kind, `FormScreen` the full-screen one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea
from textual.worker import Worker

from tui_crm.core.dates import parse_follow_up, parse_when
from tui_crm.errors import CrmError, ValidationError
from tui_crm.ui.background import book
from tui_crm.ui.format import data
from tui_crm.ui.keys import resume_keys
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.styled import StyledAsNeeded

ResultT = TypeVar("ResultT")


@dataclass
class Saved:
    """What a form hands back: the written row's id and a line for the notification."""

    id: int
    summary: str
    merge_into: int | None = None  # a new customer the user chose to merge into this one


@dataclass
class FormFailed(Message):
    """The write was refused; `errors` maps field names ("" for the form) to messages."""

    errors: dict[str, str]


def form_row(label: str, widget: Widget, *, errors: bool = True) -> ComposeResult:
    """A labelled field on one line, and under it (unless `errors` is False) the place for its
    error, `#<widget id>-error`, which takes no room while empty."""
    with Horizontal(classes="form-row"):
        yield Label(label, classes="form-label")
        yield widget
    if errors:
        yield Static("", id=f"{widget.id}-error", classes="field-error field-hint")


def widget_value(widget) -> Any:
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, Select):
        return "" if widget.value is Select.NULL else str(widget.value)
    if isinstance(widget, Checkbox):
        return widget.value
    return widget.value if isinstance(widget, Input) else None


def show_when(
    hint: Static, text: str, today: date, label: str = "{text} →", *, clock: bool = False
) -> None:
    """Under a date field: the day the typed text means ("+2w → Mon 7 Dec 2026"; with
    `clock`, a time of day too: "tomorrow 14:00 → Tue 8 Dec 2026 14:00"), or why it means
    none (the hint turns into an error)."""
    text = text.strip()
    hint.set_class(False, "field-error")
    try:
        if not text:
            day, at = None, ""
        elif clock:
            day, at = parse_follow_up(text, today)
        else:
            day, at = parse_when(text, today), ""
    except CrmError as err:
        hint.set_class(True, "field-error")
        show_message(hint, str(err))
        return
    said = f"{label.format(text=text)} {day:%a} {day.day} {day:%b %Y}" if day else ""
    show_message(hint, said + (f" {at}" if at else ""))


def show_message(widget: Static, text: str) -> None:
    """Put a message under a field; an empty one takes no room. Messages quote what was typed
    or stored, so they are plain text. Clearing a message already gone changes nothing (as a
    form is filled, every value changes: none of that lays the form out again)."""
    if not text and not widget.display:
        return
    widget.update(data(text, multiline=True))
    widget.display = bool(text)


class FormLogic:
    """Shared by both kinds of form. Subclasses map field names to widget ids in FIELDS and
    implement `perform` (runs in a worker thread; raise CrmError to refuse).

    A field `x` shown by widget `#w` has its message in a Static `#w-error` when there is one;
    form-wide messages go to `#form-error` or a notification.
    """

    FIELDS: dict[str, str] = {}
    DISCARD_QUESTION = "Discard your changes?"
    BINDINGS = [
        # Not a priority binding: the key must queue behind the keys typed just before it,
        # or a quick ctrl+s would save a field before its last characters arrive.
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    _initial: dict[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        return {name: widget_value(self.query_one(f"#{wid}")) for name, wid in self.FIELDS.items()}

    def remember_initial_values(self) -> None:
        """Call once the form is filled in: changes are measured against this."""
        self._initial = self.values()

    def is_dirty(self) -> bool:
        return self._initial is not None and self.values() != self._initial

    def perform(self, values: dict[str, Any]) -> Any:
        raise AssertionError(f"{type(self).__name__} must define perform()")

    def handle_refusal(self, error: CrmError) -> bool:
        """Let a form deal with a special refusal itself (True when handled)."""
        return False

    def action_save(self) -> None:
        self.clear_errors()
        self._saving = True
        self._save(self.values())

    # Keys typed after ctrl+s wait for the save: they belong to the screen it returns to
    # (or, when it is refused, to the field it points at), not to the form on its way out.
    _saving = False

    @property
    def holding_keys(self) -> bool:
        return self._saving

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "form-save" and event.worker.is_finished:
            self._saving = False
            resume_keys(self.app)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form-save")
    def _save(self, values: dict[str, Any]) -> None:
        try:
            with book(self):
                result = self.perform(values)
        except ValidationError as err:
            self.post_message(FormFailed(err.errors))
            return
        except CrmError as err:
            if not self.app.call_from_thread(self.handle_refusal, err):
                self.post_message(FormFailed({"": str(err)}))
            return
        self.app.call_from_thread(self.dismiss, result)

    # An error says what was wrong with a value: once the value changes it no longer applies,
    # so it goes at once rather than on the next save. Form-wide messages (a conflict, say)
    # stay; hints that show what a value means update themselves.

    def message_of(self, widget: Widget) -> Static | None:
        """The Static where `widget`'s error is shown: `#<widget id>-error`, when there is one
        (a form whose fields share one place for errors says where)."""
        return self.message_at(widget.id) if widget.id else None

    def message_at(self, widget_id: str) -> Static | None:
        """`#<widget_id>-error`, when there is one."""
        found = self.query(f"#{widget_id}-error")
        return found.first(Static) if found else None

    def value_changed(self, widget: Widget) -> None:
        message = self.message_of(widget)
        if message is not None and message.has_class("field-error"):
            show_message(message, "")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.value_changed(event.control)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.value_changed(event.control)

    def on_select_changed(self, event: Select.Changed) -> None:
        self.value_changed(event.control)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.value_changed(event.control)

    def clear_errors(self) -> None:
        for widget in self.query(".field-error"):
            if isinstance(widget, Static):
                show_message(widget, "")

    def on_form_failed(self, message: FormFailed) -> None:
        first = None
        for field, text in message.errors.items():
            widget_id = self.FIELDS.get(field)
            target = self.query(f"#{widget_id}-error") if widget_id else self.query("#form-error")
            if target:
                show_message(target.first(Static), text)
            else:
                self.app.notify(text, severity="error", timeout=10)
            first = first or widget_id
        if first:
            self.query_one(f"#{first}").focus()
            message_widget = self.query(f"#{first}-error")
            if message_widget:  # the message may sit below the field: bring it into view too
                self.call_after_refresh(message_widget.first().scroll_visible)

    def on_discarded(self) -> None:
        """Called when the user leaves without saving (nothing typed, or confirmed)."""

    def action_cancel(self) -> None:
        if not self.is_dirty():
            self.on_discarded()
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.on_discarded()
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(self.DISCARD_QUESTION, "Discard", "Keep editing"), answered
        )


class FormDialog(FormLogic, StyledAsNeeded, ModalScreen[ResultT], Generic[ResultT]):
    BINDINGS = FormLogic.BINDINGS

    def on_mount(self) -> None:
        self.call_after_refresh(self.remember_initial_values)


class FormScreen(FormLogic, StyledAsNeeded, Screen[ResultT], Generic[ResultT]):
    BINDINGS = FormLogic.BINDINGS
    HOLDS_WORK = True  # ctrl+f does not close it (app.py)
