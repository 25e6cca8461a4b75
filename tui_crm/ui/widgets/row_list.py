"""A list of rows drawn line by line: only the rows on screen are ever styled or measured.

`DataTable` measures every cell of every row it is given to size its columns and renders
them all through Rich, so a search that shows 20 rows of 200 pays for 200 (issue 18). A
`RowList` has fixed column widths (one may take the rest of the width), knows how many rows
there are (`total`) without holding them, and draws a row only when it is on screen. The
rows it lacks for what is on screen it asks for with a `RowsWanted` message; the screen
reads them in a worker and hands them over with `fill`. Rows are drawn from text as given:
callers pass `Text` built by `ui/format.py`, so data is never markup.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

MARGIN = 20  # rows asked for beyond those on screen, above and below, so a scroll finds them


@dataclass(frozen=True)
class Column:
    label: str
    width: int = 0  # 0: the width the other columns leave (one such column at most)
    justify: str = "left"


@dataclass(frozen=True)
class Row:
    key: Hashable  # what the row stands for (a customer id)
    cells: tuple[str | Text, ...]


class RowList(ScrollView, can_focus=True):
    """Rows under a header line that stays put; a cursor row; ↑ ↓ PageUp PageDown Home End."""

    BINDINGS: ClassVar = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "to(0)", "First", show=False),
        Binding("end", "to(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-list--header",
        "row-list--cursor",
        "row-list--even-row",
        "row-list--missing",
    }
    DEFAULT_CSS = """
    RowList {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-x: hidden;
        & > .row-list--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .row-list--header { background: ansi_bright_blue; color: ansi_default; }
        & > .row-list--even-row { background: $surface-lighten-1 50%; }
        & > .row-list--missing { color: $text-muted; }
        & > .row-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .row-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor moved to another row (or the rows under it changed)."""

        def __init__(self, row_list: RowList, index: int, key: Hashable | None) -> None:
            super().__init__()
            self.row_list, self.index, self.key = row_list, index, key

        @property
        def control(self) -> RowList:
            return self.row_list

    class Selected(Highlighted):
        """Enter (or a click) on a row."""

    class RowsWanted(Message):
        """Rows `start` to `end` (exclusive) are on screen, or nearly, and not held."""

        def __init__(self, row_list: RowList, start: int, end: int) -> None:
            super().__init__()
            self.row_list, self.start, self.end = row_list, start, end

        @property
        def control(self) -> RowList:
            return self.row_list

    def __init__(
        self,
        columns: Sequence[Column] = (),
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name for it
        classes: str | None = None,
        zebra_stripes: bool = True,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: tuple[Column, ...] = tuple(columns)
        self.zebra_stripes = zebra_stripes
        self.total = 0
        self._rows: dict[int, Row] = {}
        self._asked: tuple[int, int] | None = None  # the window last asked for
        self._widths: tuple[int, ...] = ()
        self._drawn: LRUCache[tuple, tuple[Row, Strip]] = LRUCache(512)  # (row, its line)

    _base_style: Style | None = None  # the list's own style, kept until its styles change

    def notify_style_update(self) -> None:
        self._base_style = None
        super().notify_style_update()

    # The rows

    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self._widths = ()
        self._drawn.clear()
        self.refresh()

    def reset(self, total: int, rows: Sequence[Row] = (), *, cursor: int = 0) -> None:
        """New rows: `total` of them, the first ones given (the rest asked for when shown)."""
        self.total = max(0, total)
        self._rows = dict(enumerate(rows))
        self._asked = None
        self._size_to_rows()
        self._move(cursor, scroll=True)
        self.refresh()

    def replace(self, rows: Sequence[Row]) -> None:
        """All the rows anew, the cursor kept on the row it was on (by key) while that is
        listed, else at the same place: after a write, a refresh or a resize the user is
        still on the customer they acted on, or on the row that took its place."""
        keep, at = self.cursor_key, self.cursor_row
        keys = [row.key for row in rows]
        if keep in keys:
            at = keys.index(keep)
        self.reset(len(rows), rows, cursor=min(at, max(len(rows) - 1, 0)))

    def set_total(self, total: int) -> None:
        """There are `total` rows (the count came after the first ones); the cursor stays."""
        self.total = max(0, total)
        self._asked = None
        self._size_to_rows()
        self.refresh()

    def fill(self, start: int, rows: Sequence[Row]) -> None:
        """Rows `start`, `start + 1`, … as read; those on screen are drawn again."""
        for offset, row in enumerate(rows):
            if start + offset < self.total:
                self._rows[start + offset] = row
        self.refresh()
        if start <= self.cursor_row < start + len(rows):
            self.post_message(self.Highlighted(self, self.cursor_row, self.key_at(self.cursor_row)))

    def key_at(self, index: int) -> Hashable | None:
        row = self._rows.get(index)
        return None if row is None else row.key

    def index_of(self, key: Hashable) -> int | None:
        """Where the row for `key` is among those held, if it is."""
        for index, row in self._rows.items():
            if row.key == key:
                return index
        return None

    @property
    def held(self) -> dict[int, Row]:
        return self._rows

    @property
    def row_count(self) -> int:
        return self.total

    def get_row_at(self, index: int) -> tuple[str | Text, ...]:
        """The cells of row `index`, if it has been read (KeyError if not)."""
        return self._rows[index].cells

    @property
    def cursor_key(self) -> Hashable | None:
        return self.key_at(self.cursor_row)

    # Moving

    def _move(self, index: int, *, scroll: bool = True) -> None:
        index = min(max(index, 0), max(self.total - 1, 0))
        self.cursor_row = index
        if scroll:
            self._keep_in_view(index)
        self.post_message(self.Highlighted(self, index, self.key_at(index)))

    def _keep_in_view(self, index: int) -> None:
        visible = max(self.size.height - 1, 1)
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + visible:
            self.scroll_to(y=index - visible + 1, animate=False)

    def watch_cursor_row(self, old: int, new: int) -> None:
        # Only the two lines that changed are drawn again (a scroll draws what it must).
        top, width = round(self.scroll_y), self.size.width
        for index in {old, new}:
            self.refresh(Region(0, index - top + 1, width, 1))

    def action_cursor(self, step: int) -> None:
        self._move(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self._move(self.cursor_row + step * max(self.size.height - 2, 1))

    def action_to(self, index: int) -> None:
        self._move(self.total - 1 if index < 0 else index)

    def action_select(self) -> None:
        if self.total:
            self.post_message(self.Selected(self, self.cursor_row, self.cursor_key))

    async def _on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            index = round(self.scroll_y) + event.y - 1
            if index < self.total:
                self._move(index, scroll=False)
                if event.chain > 1:
                    self.action_select()

    def _size_to_rows(self) -> None:
        # As tall as the rows and the header; no wider than the list (it never scrolls
        # sideways), so a new width does not lay the screen out again.
        self.virtual_size = Size(0, self.total + 1)

    def on_resize(self) -> None:
        self._widths = ()
        self._drawn.clear()

    # Drawing

    def _column_widths(self, width: int) -> tuple[int, ...]:
        if len(self._widths) != len(self.columns) or sum(self._widths) + len(self.columns) > width:
            fixed = sum(c.width for c in self.columns if c.width) + 2 * len(self.columns)
            rest = max(width - fixed, 4)
            self._widths = tuple(c.width or rest for c in self.columns)
        return self._widths

    def _line(self, cells: Sequence[str | Text], style: Style, width: int) -> Strip:
        segments: list[Segment] = []
        used = 0
        console = self.app.console
        for column, cell_width, cell in zip(
            self.columns, self._column_widths(width), cells, strict=False
        ):
            if isinstance(cell, str) and (length := cell_len(cell)) <= cell_width:
                # Most cells: plain text that fits, drawn as Text would draw it, without it.
                pad = Segment(" " * (cell_width - length), style)
                drawn = [Segment(cell, style)] if cell else []
            else:
                text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
                text.no_wrap = True
                text.truncate(cell_width, overflow="ellipsis")
                pad = Segment(" " * (cell_width - text.cell_len), style)  # in the row's style
                # Text.render leaves the text's own style (a tier's colour) to its caller.
                under = style + console.get_style(text.style) if text.style else style
                drawn = [
                    Segment(seg.text, under + seg.style if seg.style else under)
                    for seg in text.render(console)
                    if seg.text
                ]
            right = column.justify == "right"
            segments.append(Segment(" ", style))
            segments.extend([pad, *drawn] if right else [*drawn, pad])
            segments.append(Segment(" ", style))
            used += cell_width + 2
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return Strip(segments).crop(0, width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            style = self.get_component_rich_style("row-list--header")
            return self._line([c.label for c in self.columns], style, width)
        top = round(self.scroll_y)
        index = top + y - 1
        base = self._base_style
        if base is None:  # worked out up the widget's ancestors: once, not once a line
            base = self._base_style = self.rich_style
        if index >= self.total:
            return Strip.blank(width, base)
        self._want(top, top + self.size.height - 1)
        style = base
        if self.zebra_stripes and index % 2:
            style += self.get_component_rich_style("row-list--even-row")
        if index == self.cursor_row:
            style += self.get_component_rich_style("row-list--cursor")
        row = self._rows.get(index)
        if row is None:
            style += self.get_component_rich_style("row-list--missing")
            return self._line(["…"], style, width)
        # A row drawn once is drawn from the cache until it, its style or the width changes
        # (a cursor passing by, the list drawn again for a message, a scroll back).
        key = (id(row), style, width)
        drawn = self._drawn.get(key)
        if drawn is None or drawn[0] is not row:
            drawn = (row, self._line(row.cells, style, width))
            self._drawn[key] = drawn
        return drawn[1]

    def _want(self, top: int, bottom: int) -> None:
        """Ask once for the rows around what is on screen when some of it is not held."""
        bottom = min(bottom, self.total)
        if all(i in self._rows for i in range(top, bottom)):
            return
        start, end = max(0, top - MARGIN), min(self.total, bottom + MARGIN)
        if self._asked == (start, end):
            return
        self._asked = (start, end)
        # Not from here: drawing runs in the app's context, and a message made there counts
        # the app as its sender, which stops it before it reaches the app.
        self.call_later(self._ask, start, end)

    def _ask(self, start: int, end: int) -> None:
        if self._asked == (start, end):  # still what the screen needs
            self.post_message(self.RowsWanted(self, start, end))
