"""RowList (issue 18): a list of 100 000 rows draws and asks for only the rows on screen,
moves its cursor with the keys a list has, and says which row Enter opened."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from tests.ui.conftest import screen_lines
from tui_crm.ui.widgets.row_list import Column, Row, RowList

TOTAL = 100_000
COLUMNS = (Column("Name"), Column("Value", 8, "right"))


def _row(index: int) -> Row:
    return Row(index, (f"Customer {index:06d}", Text(f"{index * 3:,}")))


class ListApp(App[None]):
    """A RowList over TOTAL rows, read (here, made) when it asks for them."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[int, int]] = []
        self.opened: list[object] = []
        self.answer = True

    def compose(self) -> ComposeResult:
        yield RowList(COLUMNS, id="rows")

    def on_mount(self) -> None:
        rows = self.query_one(RowList)
        rows.reset(TOTAL)
        rows.focus()

    def on_row_list_rows_wanted(self, message: RowList.RowsWanted) -> None:
        self.asked.append((message.start, message.end))
        if self.answer:
            message.row_list.fill(
                message.start, [_row(i) for i in range(message.start, message.end)]
            )

    def on_row_list_selected(self, message: RowList.Selected) -> None:
        self.opened.append(message.key)


async def test_only_the_rows_on_screen_are_asked_for_and_drawn():
    app = ListApp()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert lines[0].split() == ["Name", "Value"]  # the header
        assert "Customer 000000" in lines[1] and "Customer 000018" in lines[19]
        asked = sum(end - start for start, end in app.asked)
        assert 0 < asked <= 19 + 2 * 20  # the screen and a margin, not 100 000
        assert len(app.query_one(RowList).held) == asked


async def test_the_keys_move_the_cursor_and_end_reads_the_last_rows():
    app = ListApp()
    async with app.run_test(size=(60, 20)) as pilot:
        rows = app.query_one(RowList)
        await pilot.press("down", "down", "pagedown")
        await pilot.pause()
        assert rows.cursor_row == 2 + 18
        await pilot.press("end")
        await pilot.pause()
        assert rows.cursor_row == TOTAL - 1
        lines = screen_lines(app)
        assert lines[0].split() == ["Name", "Value"]  # still at the top
        assert "Customer 099999" in lines[19] and "299,997" in lines[19]
        assert app.asked[-1][1] == TOTAL  # asked for the end, only
        assert sum(end - start for start, end in app.asked) < 200
        await pilot.press("home", "down", "enter")
        await pilot.pause()
        assert app.opened == [1]


async def test_rows_not_yet_read_show_as_waiting_until_filled():
    app = ListApp()
    app.answer = False
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        assert screen_lines(app)[1].split() == ["…"]
        start, end = app.asked[-1]
        app.query_one(RowList).fill(start, [_row(i) for i in range(start, end)])
        await pilot.pause()
        assert "Customer 000000" in screen_lines(app)[1]


async def test_long_text_is_cut_with_an_ellipsis_and_numbers_keep_to_the_right():
    app = ListApp()
    async with app.run_test(size=(30, 5)) as pilot:
        rows = app.query_one(RowList)
        rows.reset(1, [Row("x", ("A name far too long for its column", Text("1,250")))])
        await pilot.pause()
        line = screen_lines(app)[1]
        assert "…" in line and line.rstrip().endswith("1,250")
        assert len(line) == 30


async def test_a_cell_is_drawn_in_its_text_s_own_style():
    app = ListApp()
    async with app.run_test(size=(40, 5)) as pilot:
        rows = app.query_one(RowList)
        rows.reset(2, [Row(1, ("Ann", Text("gold", style="bold cyan"))), Row(2, ("Bo", "x"))])
        await pilot.press("down")  # the cursor off the row looked at
        await pilot.pause()
        strip = rows.render_line(1)
        gold = [seg for seg in strip if "gold" in seg.text]
        assert gold and gold[0].style.bold and gold[0].style.color.name == "cyan"
