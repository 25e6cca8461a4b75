"""One layout pass where Textual makes two.

After arranging a screen, Textual hands each widget its new size, and a widget whose size
changed asks for the whole screen to be arranged again (its `virtual_size` is a reactive that
lays out). The second pass finds the sizes the first gave and draws every widget again: for
the customer form's 200 widgets 25–30 ms of the key → form drawn, 10 ms for Insights, at
each opening and each resize. Textual already skips it when a scroll brings widgets into view
(`_size_updated(..., layout=False)`); here it is skipped after every arrangement. A widget
whose content follows its size still hears of it: the `Resize` event is sent as before, and
what it changes there lays out again as it should.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget

_textual_size_updated = Widget._size_updated


def _size_updated(
    self: Widget, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
) -> bool:
    return _textual_size_updated(self, size, virtual_size, container_size, layout=False)


def arrange_once() -> None:
    """From now on, a widget given its size by an arrangement does not ask for another."""
    Widget._size_updated = _size_updated  # type: ignore[method-assign]
