"""Textual's form widgets in their compact style, without styling them twice."""

from __future__ import annotations

from typing import TypeVar

from textual.widget import Widget

W = TypeVar("W", bound=Widget)


def compact(widget: W) -> W:
    """`widget` (an Input, Select, Button or Checkbox made without `compact=True`) in its
    compact style. Textual's `compact=True` toggles the style's class from inside the
    constructor, which styles the widget there and then, before it is mounted (where it is
    styled anyway): ~1 ms a widget, some 40 ms for the customer form's. Here the class is
    set without styling, and mounting styles it once."""
    widget.set_reactive(type(widget).compact, True)  # type: ignore[attr-defined]
    widget.set_class(True, "-textual-compact", update=False)
    return widget
