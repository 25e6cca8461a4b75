"""A widget showing a horizontal bar chart (widgets/bars.py) fitted to its width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from tui_crm.ui.widgets.bars import GAP, BarRow, bar_lines


class BarChart(Widget):
    """One line per row: label, bar and figures; redrawn to fit whenever the width changes."""

    COMPONENT_CLASSES = {"bar-chart--bar", "bar-chart--note", "bar-chart--empty"}

    DEFAULT_CSS = """
    BarChart {
        width: 1fr;
        height: auto;
    }
    BarChart > .bar-chart--bar {
        color: $accent;
    }
    BarChart > .bar-chart--note {
        color: $text-muted;
    }
    BarChart > .bar-chart--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    def __init__(
        self,
        rows: Sequence[BarRow] = (),
        *,
        empty: str = "nothing to show",
        label_last: bool = False,
        max_label: int | None = None,
        max_bar: int | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: tuple[BarRow, ...] = tuple(rows)
        self.empty = empty
        self.label_last = label_last
        self.max_label = max_label
        self.max_bar = max_bar

    def set_rows(self, rows: Sequence[BarRow], *, empty: str | None = None) -> None:
        self.rows = tuple(rows)
        if empty is not None:
            self.empty = empty
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.rows))

    def render(self) -> Text:
        if not self.rows:
            return Text(self.empty, style=self.get_component_rich_style("bar-chart--empty"))
        bar_style = self.get_component_rich_style("bar-chart--bar")
        note_style = self.get_component_rich_style("bar-chart--note")
        text = Text(no_wrap=True, overflow="crop", end="")
        lines = bar_lines(
            self.rows,
            self.size.width,
            label_last=self.label_last,
            max_label=self.max_label,
            max_bar=self.max_bar,
        )
        for index, line in enumerate(lines):
            if index:
                text.append("\n")
            if line.label_last:
                text.append(line.note, note_style)
                text.append(GAP)
                text.append(line.bar, bar_style)
                text.append(GAP)
                text.append(line.label.rstrip())
            else:
                text.append(line.label)
                text.append(GAP)
                text.append(line.bar, bar_style)
                text.append(GAP)
                text.append(line.note, note_style)
        return text
