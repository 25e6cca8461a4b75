"""A Select whose list of options is built when it is first opened, not when it is shown,
and whose current value is one widget.

Textual's `Select` mounts its drop-down (an `OptionList` with every option) as it mounts,
although most are never opened: the customer form's 9 cost a tenth of its opening. It
shows its value in four widgets (a row holding the label, a ▼ and a hidden ▲), 36 of the
form's 152, each styled and laid out as the form opens (125 now). A `Choice` is a `Select` in every
other way (its value, options, keys, messages and looks): the drop-down is mounted, filled
and opened on the first Enter, ↑ ↓, space or click, and the value with its arrow is drawn
by one `ChoiceCurrent`.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widgets import Select
from textual.widgets._select import NoSelection, SelectCurrent, SelectOverlay

NULL = Select.NULL
ARROW_WIDTH = 2  # " ▼": Select's arrow is one cell with one of padding before it


class ChoiceCurrent(SelectCurrent):
    """The value (or the prompt, dimmed) and the arrow of a `Choice`, drawn in one line.

    A value given as text is drawn as that text, never read as markup."""

    COMPONENT_CLASSES = {"choice-current--prompt", "choice-current--arrow"}
    DEFAULT_CSS = """
    ChoiceCurrent {
        & > .choice-current--prompt { color: $foreground 50%; }
        & > .choice-current--arrow { color: $foreground 50%; }
    }
    """

    def compose(self):
        return ()

    def update(self, label: Any) -> None:
        self.label = label
        self.has_value = label is not NULL
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1

    def _colour(self, component: str) -> Style:
        """A component's colour as drawn (its 50% blended over the background): the widget's
        own background stays, focused or not."""
        return Style.from_color(self.get_component_rich_style(component).color)

    def render(self) -> Text:
        width = max(0, self.content_size.width - ARROW_WIDTH)
        if isinstance(self.label, NoSelection):
            shown = Text(
                str(self.placeholder),
                style=self._colour("choice-current--prompt"),
            )
        elif isinstance(self.label, Text):
            shown = self.label.copy()
        else:
            shown = Text(str(self.label))
        shown.truncate(width, overflow="ellipsis", pad=True)
        expanded = self.parent is not None and self.parent.has_class("-expanded")
        shown.append(" ")
        shown.append("▲" if expanded else "▼", style=self._colour("choice-current--arrow"))
        shown.no_wrap = True
        return shown


class Choice(Select):
    _overlay: SelectOverlay | None = None

    def compose(self):
        yield ChoiceCurrent(self.prompt)

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
        self.query_one(ChoiceCurrent).refresh()  # ▼ or ▲

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
