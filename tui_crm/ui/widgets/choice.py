"""A Select whose list of options is built when it is first opened, not when it is shown.

Textual's `Select` mounts its drop-down (an `OptionList` with every option) as it mounts,
although most are never opened: the customer form's 15 cost a tenth of its opening. A
`Choice` is a `Select` in every other way (its value, options, keys, messages and looks):
the drop-down is mounted, filled and opened on the first Enter, ↑ ↓, space or click.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay

NULL = Select.NULL


class Choice(Select):
    _overlay: SelectOverlay | None = None

    def compose(self):
        yield SelectCurrent(self.prompt)

    def _setup_options_renderables(self) -> None:
        if self._overlay is not None:
            super()._setup_options_renderables()

    def _watch_value(self, value: Any) -> None:
        # Select's own, without the drop-down's highlight until there is a drop-down.
        self._value = value
        current = self.query(SelectCurrent)
        if not current:
            return
        if value == NULL:
            current.first().update(NULL)
        else:
            for index, (prompt, option) in enumerate(self._options):
                if option == value:
                    if self._overlay is not None:
                        self._overlay.highlighted = index
                    current.first().update(prompt)
                    break
        self.post_message(self.Changed(self, value))

    def _watch_prompt(self, prompt: str) -> None:
        if self._overlay is not None or not self.is_mounted:
            super()._watch_prompt(prompt)
            return
        current = self.query_one(SelectCurrent)
        current.placeholder = prompt
        if self._allow_blank and self.value == NULL:
            current.update(NULL)

    def _watch_expanded(self, expanded: bool) -> None:
        if expanded and self._overlay is None:
            self.call_later(self._open_first_time)
            return
        super()._watch_expanded(expanded)

    def action_show_overlay(self) -> None:
        if self._overlay is None:
            self.query_one(SelectCurrent).has_value = True
            self.expanded = True  # the drop-down is made, then opened
            return
        super().action_show_overlay()

    async def _open_first_time(self) -> None:
        if self._overlay is not None or not self.expanded:
            return
        overlay = SelectOverlay(type_to_search=self._type_to_search).data_bind(
            compact=Select.compact
        )
        self._overlay = overlay
        await self.mount(overlay)
        self._setup_options_renderables()
        super()._watch_expanded(True)  # as Select opens it: on the value, focused
        if overlay.highlighted is None:
            overlay.action_first()
