"""Horizontal bar charts as plain text: Unicode blocks filled to an eighth of a cell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

# Left-aligned blocks from one eighth to a full cell. They draw in the text colour, so a
# chart reads the same in 16 colours, in monochrome and in a copied screen.
EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█")
GAP = "  "
MIN_BAR = 8  # narrower bars no longer tell values apart
MIN_LABEL = 6


def bar(value: float, maximum: float, width: int) -> str:
    """`value` out of `maximum` as a bar exactly `width` cells wide (padded with spaces).

    Rounded to the nearest eighth of a cell; a positive value too small to round to one
    eighth still shows one, so "a little" never looks like "nothing". Zero and negative
    values (a refund-heavy source) give an empty bar.
    """
    if width <= 0:
        return ""
    if value <= 0 or maximum <= 0:
        return " " * width
    eighths = max(1, min(width * 8, round(min(value / maximum, 1.0) * width * 8)))
    full, part = divmod(eighths, 8)
    return ("█" * full + EIGHTHS[part]).ljust(width)


@dataclass(frozen=True)
class BarRow:
    """One bar to draw: a label, the value the bar shows, and text after it (the figures)."""

    label: str
    value: float
    note: str = ""


@dataclass(frozen=True)
class BarLine:
    """A row laid out to a width: each part padded, so the parts can be styled on their own."""

    label: str
    bar: str
    note: str
    label_last: bool = False

    def __str__(self) -> str:
        if self.label_last:
            return f"{self.note}{GAP}{self.bar}{GAP}{self.label}".rstrip()
        return f"{self.label}{GAP}{self.bar}{GAP}{self.note}".rstrip()


def bar_lines(
    rows: Sequence[BarRow],
    width: int,
    *,
    max_label: int | None = None,
    label_last: bool = False,
    max_bar: int | None = None,
) -> list[BarLine]:
    """Lay `rows` out in `width` cells, bars scaled to the largest value.

    Label first (`source  ████▍   12,345  40.1 %`): labels take up to `max_label` cells
    (a third of the width by default) and are cut with an ellipsis; the bar gets the rest.
    Label last (`  23  ████▍   Fast delivery and…`): for long free text, the label gets the
    room it needs and the bar the rest, between MIN_BAR and `max_bar` cells (a third of the
    width by default).
    Notes are right-aligned so their figures line up.
    """
    if not rows:
        return []
    maximum = max(row.value for row in rows)
    note_width = max(cell_len(row.note) for row in rows)
    longest = max(cell_len(row.label) for row in rows)
    spare = max(0, width - note_width - 2 * len(GAP))
    if label_last:
        # The words matter more than the bar's resolution: the label takes what it needs,
        # the bar keeps at least MIN_BAR cells (64 steps) and at most `max_bar`.
        bar_width = min(max_bar or max(MIN_BAR, width // 3), max(MIN_BAR, spare - longest))
        bar_width = max(1, min(bar_width, spare - MIN_LABEL))
        label_width = max(1, min(longest, spare - bar_width))
    else:
        label_width = min(longest, max_label or max(MIN_LABEL, width // 3))
        # Give the bar its minimum before the labels get their full width.
        label_width = max(1, min(label_width, spare - MIN_BAR))
        bar_width = max(1, spare - label_width)
        if max_bar:
            bar_width = min(bar_width, max_bar)
    return [
        BarLine(
            _fit(row.label, label_width),
            bar(row.value, maximum, bar_width),
            row.note.rjust(note_width + len(row.note) - cell_len(row.note)),
            label_last,
        )
        for row in rows
    ]


def bar_chart(rows: Sequence[BarRow], width: int, **layout) -> str:
    """The chart as text, one row a line (for a terminal, a log or a test)."""
    return "\n".join(str(line) for line in bar_lines(rows, width, **layout))


def _fit(text: str, width: int) -> str:
    """`text` padded or cut to `width` cells, an ellipsis marking a cut."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(set_cell_size(text, width - 1).rstrip() + "…", width)
