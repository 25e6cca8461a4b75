"""A modal form: fields with their errors beside them, ctrl+s saves in a worker, escape asks
before throwing typed text away."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Select, Static, TextArea

from tui_crm.errors import CrmError, ValidationError
from tui_crm.ui.screens.confirm import ConfirmScreen

ResultT = TypeVar("ResultT")


@dataclass
class Saved:
    """What a dialog hands back: the new row's id and a line for the notification."""

    id: int
    summary: str


class FormDialog(ModalScreen[ResultT], Generic[ResultT]):
    """Subclasses map field names to widget ids in FIELDS and implement `perform`.

    Each field widget `#x` may have a `#x-error` Static under it for its message.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="dialog.save"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]
    FIELDS: dict[str, str] = {}
    DISCARD_QUESTION = "Discard what you typed?"

    @dataclass
    class Failed(Message):
        errors: dict[str, str]

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, widget_id in self.FIELDS.items():
            widget = self.query_one(f"#{widget_id}")
            if isinstance(widget, TextArea):
                out[name] = widget.text
            elif isinstance(widget, Select):
                out[name] = "" if widget.value is Select.BLANK else str(widget.value)
            elif isinstance(widget, Input):
                out[name] = widget.value
        return out

    def perform(self, values: dict[str, Any]) -> ResultT:
        """Write to the database (runs in a worker thread); raise CrmError to refuse."""
        raise AssertionError(f"{type(self).__name__} must define perform()")

    def is_dirty(self) -> bool:
        return any(str(v).strip() for k, v in self.values().items() if k not in self.DEFAULTS)

    DEFAULTS: tuple[str, ...] = ()  # fields prefilled for the user; not "typed text"

    def action_save(self) -> None:
        self._clear_errors()
        self._save(self.values())

    @work(thread=True, exclusive=True, exit_on_error=False, group="dialog-save")
    def _save(self, values: dict[str, Any]) -> None:
        db = self.app.db
        try:
            result = self.perform(values)
        except ValidationError as err:
            self.post_message(self.Failed(err.errors))
            return
        except CrmError as err:
            self.post_message(self.Failed({"": str(err)}))
            return
        finally:
            db.close()
        self.app.call_from_thread(self.dismiss, result)

    def _clear_errors(self) -> None:
        for widget_id in self.FIELDS.values():
            for error in self.query(f"#{widget_id}-error"):
                error.update("")

    def on_form_dialog_failed(self, message: Failed) -> None:
        first = None
        for field, text in message.errors.items():
            widget_id = self.FIELDS.get(field) or next(iter(self.FIELDS.values()))
            errors = self.query(f"#{widget_id}-error")
            if errors:
                errors.first(Static).update(text)
            else:
                self.app.notify(text, severity="error")
            first = first or widget_id
        if first:
            self.query_one(f"#{first}").focus()

    def action_cancel(self) -> None:
        if not self.is_dirty():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(self.DISCARD_QUESTION, "Discard", "Keep editing"), answered
        )
