"""The home screen: one input, results as you type, Enter opens the profile."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tui_crm.core.book import interrupt
from tui_crm.core.rows import CustomerRef, CustomerRow
from tui_crm.errors import CrmError
from tui_crm.ui.background import FollowsTheBook, book, when_read
from tui_crm.ui.first_answer import WINDOW, answer
from tui_crm.ui.format import ago, data, due, format_money_short, tier_text
from tui_crm.ui.keys import TypeToSearch, resume_keys
from tui_crm.ui.messages import NotesFound, SearchCounted, SearchDone, SearchPageRead
from tui_crm.ui.screens.actions import CustomerActions
from tui_crm.ui.screens.styled import StyledAsNeeded
from tui_crm.ui.widgets.footer import KeysFooter
from tui_crm.ui.widgets.row_list import Column, Row, RowList

if TYPE_CHECKING:
    from peewee import Database

PLACEHOLDER = "Search: name, company, phone, city… or tag:vip tier:gold due:today sort:-value"
COUNT_AFTER = 0.15  # seconds of no typing before the matches are counted
NOTES_AFTER = 0.15  # and before what the rows shown matched in their notes is read
EMPTY_HINT = (
    "Your customer book is empty.\n\n"
    "• Add your first customer:  ctrl+n\n"
    "• Import contacts from a CSV or vCard file (Google, Outlook…):  ctrl+o\n"
    "• Explore realistic sample data: quit (ctrl+q), then run  tui-crm --demo"
)


class QueryInput(Input):
    """The search input, safe for keys that arrive together ("↓ l" bunched by a slow SSH link,
    or typed quickly): ↓ moves to the results at once, not after the keys queued behind it,
    and a key queued here before the move goes on to the results, as the user meant."""

    typed_elsewhere = False  # the focus comes with text typed on a list: keep the cursor

    def _watch_value(self, value: str) -> None:
        # Input sets its virtual size to its content width at every change, and its next
        # layout sets it back: a layout of the whole screen for every key (some 4 ms, on the
        # way to the key's rows), though the field keeps its size. Set quietly first, Input's
        # own setting changes nothing.
        self.set_reactive(Input.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)

    def _on_focus(self, event: events.Focus) -> None:
        # Runs before Input's and Widget's own handlers for the same event (which must run:
        # Widget's sets has_focus). Input's would select the text just typed on the list.
        if self.typed_elsewhere:
            self.typed_elsewhere, self.select_on_focus = False, False
            self.call_next(setattr, self, "select_on_focus", True)

    async def _on_key(self, event: events.Key) -> None:
        # Not `has_focus`: that follows the focus a message later.
        if self.screen.focused is self:
            # The screen's own bindings (remapped keys included): the input's inherited
            # scroll bindings for ↓ would otherwise answer first.
            bound = self.screen._bindings.key_to_bindings.get(event.key, [])
            if any(binding.action == "focus_results" for binding in bound):
                event.stop()
                event.prevent_default()
                self.screen.action_focus_results()
                return
        elif event.is_printable:
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
        # Otherwise Textual goes on to Input's and Widget's own handlers.


class ResultsTable(TypeToSearch, DataTable):
    """Search results (and the profile's lists): letters typed here go to the search."""

    def refill(
        self, rows: Iterable[tuple[str, tuple]], empty: str = "", *, height: int | None = 1
    ) -> None:
        """Show `rows` (key, cells) instead of what is shown, the highlight kept on the row
        it was on (by key), else at the same place; `empty` is said in the second-to-last
        column when there are none. `height=None`: each row as tall as its wrapped text."""
        keep = (
            self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
            if self.row_count
            else None
        )
        at = self.cursor_row
        self.clear()
        keys = []
        for key, cells in rows:
            self.add_row(*cells, key=key, height=height or self._height_of(cells))
            keys.append(key)
        if not keys and empty:
            self.add_row(*([""] * (len(self.columns) - 2)), empty, "")
        self.stay_on(keys, keep, at)

    def _height_of(self, cells: Sequence[object]) -> int | None:
        """1 when each cell fits its column on one line, else None (as tall as its wrapped
        text): DataTable renders every cell of a row whose height it must find, so rows that
        need no measuring are given theirs (a profile with 200 purchases opens that much
        faster)."""
        for cell, column in zip(cells, self.ordered_columns, strict=False):
            text = cell.plain if isinstance(cell, Text) else str(cell)
            if column.auto_width or "\n" in text or cell_len(text) > column.width:
                return None
        return 1

    def stay_on(self, keys: Sequence[object], keep: object, row: int) -> None:
        """After the rows (`keys`, in order) were filled in again: the highlight on `keep`
        while it is listed, else on row `row`, within the list."""
        if keys:
            self.move_cursor(
                row=keys.index(keep) if keep in keys else min(max(row, 0), len(keys) - 1)
            )


MARK = "● "  # before the name of a marked customer


class ResultsList(TypeToSearch, RowList):
    """A list of customers drawn line by line and read a window at a time: a query that
    finds 90 000 customers costs what one that finds 20 does (issue 18)."""


def found_text(snippet: str, width: int = 0) -> Text:
    """A snippet of the notes a search matched, as shown: in italics, the words found in
    bold, each part from the book through `data` (never markup, no control character). In
    a column `width` wide, the words before the first found are cut to a third of it, so
    that the found word shows."""
    from tui_crm.core.search import FOUND_FROM, FOUND_TO

    parts = snippet.replace(FOUND_TO, FOUND_FROM).split(FOUND_FROM)
    before = parts[0]
    room = max(width // 3, 4)
    if width and len(before) > room:
        cut = before[-(room - 1) :]
        if before[-room] != " " and " " in cut.rstrip():  # from a whole word
            cut = cut[cut.index(" ") + 1 :]
        parts[0] = "…" + cut.lstrip()
    text = Text(style="italic")
    for n, part in enumerate(parts):
        if part:
            text.append_text(data(part, "bold" if n % 2 else ""))
    return text


class SearchResults(ResultsList):
    """The search results: space marks the customer under the cursor (and moves on), *
    every customer the query finds."""

    BINDINGS: ClassVar = [
        Binding("space", "toggle_mark", "Mark", id="search.mark"),
        Binding("asterisk", "mark_all", "Mark all", key_display="*", id="search.mark-all"),
    ]

    def action_toggle_mark(self) -> None:
        self.screen.toggle_mark()

    def action_mark_all(self) -> None:
        self.screen.mark_all()


class SearchScreen(StyledAsNeeded, FollowsTheBook, CustomerActions, Screen):
    BINDINGS = [
        Binding("down", "focus_results", "Results", key_display="↓", id="search.results"),
        Binding("enter", "open_selected", "Open", id="search.open"),
        # ctrl-keys: the search field has the focus most of the time, and letters are text.
        Binding("ctrl+l", "log", "Log call", id="search.log"),
        Binding("ctrl+b", "purchase", "Purchase", id="search.purchase"),
        # Priority: the search field's own ctrl+e (end of line) would answer first.
        Binding("ctrl+e", "edit", "Edit", id="search.edit", priority=True),
        Binding("f7", "sort", "Sort", id="search.sort"),
        Binding("f8", "export", "Export", id="search.export"),
        Binding("f9", "marked", "Marked…", id="search.marked"),
        Binding("slash", "focus_search", "Search", key_display="/", show=False, id="search.focus"),
        Binding("escape", "clear", "Clear", id="search.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.held: dict[int, CustomerRow] = {}  # the rows read, by their place
        self.total = 0  # how many the query finds (the rows read, until counted)
        self._counted = False
        self._rows_for: str | None = None  # the query text the rows shown answer
        self._pending: Callable[[], None] | None = None  # waits for the query's rows
        self._answered: str | None = None  # the query text last answered (rows or an error)
        self._looked_away = False  # another screen was on top since the query was typed
        self._refreshing = False  # the rows are being read again after a write
        # Customers marked for one action on all of them (f9), by id: marks stay through
        # scrolling, sorting and other queries, until Esc or the action's end.
        self.marked: set[int] = set()
        self._wide = False
        self._width = 0
        # What the query matched in the notes of customers shown (by id; read after the
        # rows, once typing pauses), and the ids still to look at.
        self._notes: dict[int, str] = {}
        self._notes_wanted: set[int] = set()
        self._found_header = False  # the company's column titled for what the notes matched
        self._why = ""  # why the query finds no one, when that is the book (why_none)
        self._company_width = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="search-body"):
            yield QueryInput(placeholder=PLACEHOLDER, id="query")
            yield Static("", id="query-status")
            yield SearchResults(id="results")
            yield Static(EMPTY_HINT, id="empty-hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#empty-hint").display = False
        self._set_columns()
        query = self.query_one("#query", Input)
        query.cursor_blink = self.app.cursor_blink
        query.focus()
        first = self.app.first.taken() if self.app.first else None
        if first is None:
            self.run_search("")
        else:  # read as the app started: shown in the first frame
            rows, empty, reading = first
            self.saw_book(reading)
            total = len(rows) if len(rows) < WINDOW else None
            self.on_search_done(SearchDone("", rows, None, empty, total))

    def refresh_from_book(self) -> None:
        if self._width:  # back from a profile or dialog: show what changed meanwhile
            self.refresh_results()

    def on_resize(self) -> None:
        if self._set_columns():
            self._fill_table(self._highlighted_id())

    def _set_columns(self, *, found: bool | None = None) -> bool:
        """Fit the columns to the width; True if they changed.

        Phone, tier, value, last contact and follow-up keep their width; the name (and, from
        100 columns on, the company) share the rest, so nothing scrolls sideways. With
        `found`, the company's column says it shows what the notes matched, or no longer.
        """
        width = self.size.width
        if width == self._width and (found is None or found == self._found_header):
            return False
        self._width = width
        if found is not None:
            self._found_header = found
        self._wide = wide = width >= 100
        fixed = (
            ("Phone", 17, "phone"),
            ("Tier", 6, "tier"),
            ("Value", 8, "value"),
            ("Contact", 8, "last"),
            ("Due", 8, "next"),
        )
        columns = len(fixed) + (2 if wide else 1)
        rest = max(12, width - 2 - 2 * columns - sum(w for _, w, _ in fixed))
        name_width = rest * 11 // 20 if wide else rest
        columns = [Column("Name", name_width)]
        if wide:
            self._company_width = rest - name_width
            title = "Company · notes found" if self._found_header else "Company"
            columns.append(Column(title, self._company_width))
        right = {"value"}
        columns += [Column(t, w, "right" if k in right else "left") for t, w, k in fixed]
        self.query_one(ResultsList).set_columns(columns)
        return True

    @on(Input.Changed, "#query")
    def query_changed(self, event: Input.Changed) -> None:
        self._looked_away = False  # typed since: a name typed on the list carries it on
        self.workers.cancel_group(self, "search-count")  # the old query's count, if waiting
        # The query typed before this key is no longer wanted: stop it rather than wait for
        # it, so typing ahead never waits behind a stale search.
        interrupt(self.app.search_line.connection)
        self.run_search(event.value)

    @on(Input.Submitted, "#query")
    def open_first(self) -> None:
        def open_it() -> None:
            row = self.highlighted()
            if row is not None:
                self.open_profile(row.id)

        self.when_current(open_it)

    def when_current(self, act: Callable[[], None]) -> None:
        """Act on the highlighted customer now if the rows shown answer the query as typed,
        else as soon as they do: "rob ↓ l" typed faster than the search logs a call for a Rob,
        never for whoever headed the list before."""
        if self._rows_for == self.query_one("#query", Input).value:
            act()
        else:
            self._pending = act

    def action_log(self) -> None:
        self.when_current(super().action_log)

    def action_purchase(self) -> None:
        self.when_current(super().action_purchase)

    def action_edit(self) -> None:
        self.when_current(super().action_edit)

    @on(RowList.Selected, "#results")
    def row_selected(self, event: RowList.Selected) -> None:
        if event.key is not None:
            self.open_profile(int(event.key))

    def open_profile(self, customer_id: int) -> None:
        self.app.open_profile(customer_id)

    def action_focus_results(self) -> None:
        # Focus now, not on the next tick, so a quick second ↓ already moves in the list
        # (also while the results are still on their way).
        self.app.set_focus(self.query_one(ResultsList))

    def action_open_selected(self) -> None:
        self.open_first()

    @property
    def rows(self) -> list[CustomerRow]:
        """The rows read, from the first on, as far as they follow on."""
        rows = []
        while len(rows) in self.held:
            rows.append(self.held[len(rows)])
        return rows

    def highlighted(self) -> CustomerRow | None:
        """The customer under the list's cursor (none while that row is still being read)."""
        return self.held.get(self.query_one(ResultsList).cursor_row)

    def toggle_mark(self) -> None:
        """Mark (or unmark) the customer under the cursor, and move on to the next."""
        results = self.query_one(ResultsList)
        place = results.cursor_row
        row = self.held.get(place)
        if row is None:
            return
        self.marked ^= {row.id}
        results.fill(place, [Row(row.id, self._cells(row, self.app.today()))])
        self._say_count(self._rows_for or "")
        self.refresh_bindings()
        if place + 1 < self.total:
            results.action_cursor(1)

    def mark_all(self) -> None:
        """Mark every customer the query finds (all of them, not only those read), or unmark
        them all when they are all marked already."""
        from tui_crm.core.query import parse
        from tui_crm.core.search import search_ids
        from tui_crm.ui.background import in_background

        text, today = self._rows_for, self.app.today()
        if text is None:
            return

        def read(db: Database) -> list[int]:
            return search_ids(db, parse(text), as_of=today, limit=None)

        def found(ids: list[int]) -> None:
            if text != self._rows_for:
                return  # another query since
            wanted = set(ids)
            if wanted <= self.marked:
                self.marked -= wanted
            else:
                self.marked |= wanted
            self._remark()

        in_background(self, read, found, group="search-mark")

    def _remark(self) -> None:
        """Draw the rows read again with their marks, and say how many are marked."""
        results = self.query_one(ResultsList)
        today = self.app.today()
        for place, row in self.held.items():
            results.fill(place, [Row(row.id, self._cells(row, today))])
        self._say_count(self._rows_for or "")
        self.refresh_bindings()

    def action_marked(self) -> None:
        """One action on every customer marked (f9)."""
        from tui_crm.ui.screens.marked import MarkedActionScreen

        def done(result) -> None:
            if result is not None and result.export:
                self._export(ids=sorted(self.marked))
                return
            if result is not None:
                self.notify(result.said, title="Done", timeout=8)
                if result.unmark:
                    self.marked.clear()
                self.refresh_results()

        self.app.push_screen(MarkedActionScreen(sorted(self.marked), self.app.today()), done)

    def action_sort(self) -> None:
        """Pick one or two sort keys; they are written into the query as its sort: token."""
        from tui_crm.core.query import QueryError, parse, with_sort
        from tui_crm.ui.screens.sort import SortScreen

        field = self.query_one("#query", Input)
        try:
            current = parse(field.value).sort
        except QueryError:
            current = ()

        def chosen(keys) -> None:
            if keys is not None:
                field.value = with_sort(field.value, keys)

        self.app.push_screen(SortScreen(current), chosen)

    def action_export(self) -> None:
        """Write the customers the current search finds to a file."""
        self._export()

    def _export(self, ids: list[int] | None = None) -> None:
        """The customers the search finds, or those marked (`ids`), to a file."""
        from tui_crm.ui.screens.interchange import ExportDialog

        def done(summary: str | None) -> None:
            if summary:
                self.notify(summary, title="Exported", timeout=8)

        query = self.query_one("#query", Input).value
        self.app.push_screen(ExportDialog(query, self.app.today(), ids=ids), done)

    def current_customer(self) -> CustomerRef | None:
        row = self.highlighted()
        return CustomerRef(row.id, row.name) if row else None

    def refresh_after_write(self) -> None:
        self.refresh_results()

    def refresh_results(self) -> None:
        """Run the current query again (after something was written)."""
        self._refreshing = True
        self._notes, self._notes_wanted = {}, set()  # a note may have been written
        self.run_search(self.query_one("#query", Input).value)

    @property
    def holding_keys(self) -> bool:
        """Keys for the list wait until it answers the query as typed (and shows what a
        dialog just wrote): "smith ↓ ↓ l" typed in one go moves and logs in Smith's results,
        not in the list that was there before. Typing in the query never waits."""
        if self._pending is not None:
            return True
        if not self.is_mounted or self.focused is not self.query_one(ResultsList):
            return False
        return self._refreshing or self._answered != self.query_one("#query", Input).value

    def _highlighted_id(self) -> int | None:
        row = self.highlighted()
        return row.id if row is not None else None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A search that failed unexpectedly still answers, or keys would wait for it.
        if event.worker.group == "search" and event.state == WorkerState.ERROR:
            self._answered = self.query_one("#query", Input).value
            self._refreshing = False
            self._pending = None
            resume_keys(self.app)

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()

    def on_screen_suspend(self) -> None:
        # A profile, a dialog or another mode was opened from here: a name typed on the list
        # when back is the next lookup, not more of this query.
        self._looked_away = True

    def on_screen_resume(self) -> None:
        # Back in the search field itself (Enter opened the first customer): the query is
        # selected, so the next name typed replaces it, as it does typed on the list.
        field = self.query_one(QueryInput)
        if self._looked_away and self.focused is field and field.value:
            field.select_all()

    def type_into_query(self, text: str, *, carry_on: bool) -> None:
        """Text typed on a list: added to the query (`carry_on`, unless another screen was
        opened from here since) or a new query."""
        field = self.query_one(QueryInput)
        if not carry_on or self._looked_away:
            field.value = ""
        self._looked_away = False
        field.cursor_position = len(field.value)
        field.insert_text_at_cursor(text)
        if not field.has_focus:
            field.typed_elsewhere = True  # what was typed is not selected, to be typed over
            field.focus()

    def action_clear(self) -> None:
        if self.marked:  # Esc: the marks first, then the query
            self.marked.clear()
            self._remark()
            return
        field = self.query_one("#query", Input)
        if field.has_focus and field.value:
            field.value = ""
        field.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_search":
            return not self.query_one("#query", Input).has_focus
        if action == "focus_results":
            return self.query_one("#query", Input).has_focus
        if action == "open_selected":
            return bool(self.held)
        if action == "marked":
            return bool(self.marked)
        if action in ("log", "purchase", "edit", "export"):
            # From the field too ("rob" ctrl+l): the rows of a query still being answered
            # count, as `when_current` waits for them. A query answered with an error has
            # none to act on.
            typed = self.query_one("#query", Input).value
            if self.query_one("#query-status", Static).has_class("error"):
                return typed != self._answered
            return bool(self.held) or self._rows_for != typed
        return True

    _searches = 0  # searches started: a read sees whether a newer one has started since

    def run_search(self, text: str) -> None:
        """Read what `text` finds on the app's search line, from now (`when_read`: a worker's
        thread would start after the frame that echoes the key, 4-10 ms later). A read whose
        query has been typed over meanwhile is not run, or not answered."""
        self._searches += 1
        search, today = self._searches, self.app.today()

        def read(db: Database) -> tuple[list[CustomerRow], bool, str] | None:
            if search != self._searches:
                return None  # typed over while it waited for the line
            rows, empty = answer(db, text, today)
            why = ""
            if not rows and not empty:
                from tui_crm.core.search import why_none

                why = why_none(db, text)
            self.reading_book()  # after its own kept figures were written
            return rows, empty, why

        def answered(
            read: tuple[list[CustomerRow], bool, str] | None, error: CrmError | None
        ) -> None:
            if search != self._searches:
                return  # typed over: its answer is not wanted (and it may have been stopped)
            if error is not None:
                self.post_message(SearchDone(text, [], str(error), False))
            elif read is not None:
                rows, empty, why = read
                total = len(rows) if len(rows) < WINDOW else None
                self.post_message(SearchDone(text, rows, None, empty, total, why))

        when_read(self, self.app.search_line.submit(read), answered, group="search")

    @work(thread=True, exclusive=True, exit_on_error=False, group="search-count")
    def count_results(self, text: str) -> None:
        """Count what `text` finds once typing has paused: a count reads every match, and
        one for each key of a name typed in one go would hold up the rows of the next. A
        newer query's count cancels this one while it waits."""
        from tui_crm.core.search import count_matches

        worker = get_current_worker()
        time.sleep(COUNT_AFTER)
        if worker.is_cancelled:
            return
        today = self.app.today()
        try:
            total = self.app.search_line.run(lambda db: count_matches(db, text, as_of=today))
        except CrmError:  # stopped by the next key, or the book refused: no count to show
            return
        if not worker.is_cancelled:
            self.post_message(SearchCounted(text, total))

    @on(RowList.RowsWanted, "#results")
    def rows_wanted(self, event: RowList.RowsWanted) -> None:
        if self._rows_for is not None:
            self.read_page(self._rows_for, event.start, event.end)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search-page")
    def read_page(self, text: str, start: int, end: int) -> None:
        from tui_crm.core.search import search_window

        worker = get_current_worker()
        today = self.app.today()
        try:
            rows = self.app.search_line.run(
                lambda db: search_window(db, text, as_of=today, offset=start, limit=end - start)
            )
        except CrmError:  # stopped by the next key: its rows are not wanted
            return
        if not worker.is_cancelled:
            self.post_message(SearchPageRead(text, start, rows))

    def on_search_page_read(self, message: SearchPageRead) -> None:
        if message.text != self._rows_for:
            return  # rows of a query no longer shown
        today = self.app.today()
        for offset, row in enumerate(message.rows):
            self.held[message.start + offset] = row
        cells = [Row(row.id, self._cells(row, today)) for row in message.rows]
        self.query_one(ResultsList).fill(message.start, cells)
        self._want_notes(message.text, [row.id for row in message.rows])

    def _want_notes(self, text: str, ids: list[int]) -> None:
        """Look for what `text` matched in the notes of these customers, once typing pauses."""
        from tui_crm.core.search import note_terms  # loaded by the search itself by now

        wanted = [cid for cid in ids if cid not in self._notes]
        if wanted and note_terms(text):
            self._notes_wanted.update(wanted)
            self.read_notes(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search-notes")
    def read_notes(self, text: str) -> None:
        """The snippets of the notes matched, read on a connection of its own: the search
        line stays free for the next key."""
        from tui_crm.core.search import note_snippets

        worker = get_current_worker()
        time.sleep(NOTES_AFTER)
        ids = sorted(self._notes_wanted)
        if worker.is_cancelled or text != self._rows_for or not ids:
            return
        with book(self) as db:
            found = note_snippets(db, text, ids)
        if not worker.is_cancelled:
            self.post_message(NotesFound(text, {cid: found.get(cid, "") for cid in ids}))

    def on_notes_found(self, message: NotesFound) -> None:
        if message.text != self._rows_for:
            return
        self._notes.update(message.found)
        self._notes_wanted -= set(message.found)
        if self._wide and any(message.found.values()):
            self._set_columns(found=True)
        results, today = self.query_one(ResultsList), self.app.today()
        for place, row in self.held.items():
            if message.found.get(row.id):
                results.fill(place, [Row(row.id, self._cells(row, today))])
        self._say_count(message.text)

    def on_search_counted(self, message: SearchCounted) -> None:
        if message.text != self._rows_for:
            return
        self.total, self._counted = message.total, True
        self.query_one(ResultsList).set_total(message.total)
        self._say_count(message.text)

    def _say_count(self, text: str) -> None:
        count = self.total
        more = "" if self._counted else "+"
        marks = len(self.marked)
        said: str | Text = f"{count:,}{more} customer{'s' if count != 1 or more else ''}" + (
            f" · {marks:,} marked (f9: act on them, esc: unmark)"
            if marks
            else f" · {self._why}"
            if self._why and not count
            else ""
            if text.strip()
            else " · type to search, ↓ for the list, Enter opens"
        )
        row = self.highlighted() if not self._wide and self._notes else None
        if row is not None and self._notes.get(row.id):
            # No column to show it in: what the highlighted customer's notes matched, here.
            said = Text.assemble(said, " · ", found_text(self._notes[row.id]))
        status = self.query_one("#query-status", Static)
        # One line where one line was: nothing moves, so no layout of the screen (some 4 ms
        # a key, on the way to the key's rows). An error's lines before it: laid out again.
        one_line = status.size.height == 1 and cell_len(str(said)) <= status.content_size.width
        status.update(said, layout=not one_line)

    @on(RowList.Highlighted, "#results")
    def _highlight_moved(self, event: RowList.Highlighted) -> None:
        if not self._wide and self._notes and self._rows_for is not None:
            self._say_count(self._rows_for)

    def on_search_done(self, message: SearchDone) -> None:
        if message.text != self.query_one("#query", Input).value:
            return  # an older query finished after a newer one started
        self._answered, self._refreshing = message.text, False
        try:
            self._show_results(message)
        finally:
            resume_keys(self.app)
            self.refresh_bindings()
            # The app's start-up work that the first rows did not need: now they are drawn.
            self.app.first_rows_shown()

    def _show_results(self, message: SearchDone) -> None:
        status = self.query_one("#query-status", Static)
        pending, self._pending = self._pending, None
        if message.error:
            status.update(data(message.error))
            status.set_class(True, "error")
            return  # the results stay as they were (and a key waiting for them is dropped)
        status.set_class(False, "error")
        # The same query read again (after a write): stay on the customer highlighted, who
        # is the one just acted on, wherever the new order puts them. A new query: its first.
        keep = self._highlighted_id() if message.text == self._rows_for else None
        self.held = dict(enumerate(message.rows))
        self._counted = message.total is not None
        self.total = len(message.rows)
        if message.text != self._rows_for:
            self._notes, self._notes_wanted = {}, set()
            self._set_columns(found=False)
        self._rows_for = message.text
        self._why = message.why
        if message.book_empty:
            status.update("")
        else:
            self._say_count(message.text)
        self.query_one("#empty-hint").display = message.book_empty
        self.query_one(ResultsList).display = not message.book_empty
        self._fill_table(keep)
        if not self._counted:
            self.count_results(message.text)
        self._want_notes(message.text, [row.id for row in message.rows])
        if pending is not None:
            pending()

    def _fill_table(self, keep: int | None = None) -> None:
        """Show the rows read, the highlight on customer `keep` if given (on the same row
        when they are gone), else on the first."""
        results = self.query_one(ResultsList)
        today = self.app.today()
        first = self.rows  # those further on are read again as they come into view
        self.held = dict(enumerate(first))
        cursor = 0
        if keep is not None:
            places = [place for place, row in enumerate(first) if row.id == keep]
            cursor = places[0] if places else min(results.cursor_row, max(self.total - 1, 0))
        results.reset(
            self.total, [Row(row.id, self._cells(row, today)) for row in first], cursor=cursor
        )

    def _cells(self, row: CustomerRow, today) -> tuple:
        cells = [
            Text.assemble((MARK, "bold"), data(row.name))
            if row.id in self.marked
            else data(row.name)
        ]
        if self._wide:
            found = self._notes.get(row.id)
            cells.append(found_text(found, self._company_width) if found else data(row.company))
        return (
            *cells,
            data(row.phone),
            tier_text(row.tier),
            Text(format_money_short(row.value_12m)),
            ago(row.last_contact, today),
            due(row.next_follow_up, today),
        )
