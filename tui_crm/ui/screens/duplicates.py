"""Duplicates: pairs of customers that may be one person, and merging a pair field by field."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tui_crm.core.duplicates import DuplicatePair, dismiss_pair, find_duplicate_pairs
from tui_crm.core.merge import MergePreview, MergeResult, merge, merge_preview
from tui_crm.errors import ConflictError, CrmError
from tui_crm.ui.background import FollowsTheBook, book, in_background
from tui_crm.ui.format import data
from tui_crm.ui.keys import ListHoldsKeys, resume_keys
from tui_crm.ui.screens.search import ResultsList, ResultsTable
from tui_crm.ui.screens.styled import StyledAsNeeded
from tui_crm.ui.widgets.footer import KeysFooter
from tui_crm.ui.widgets.row_list import Column, Row, RowList


def _side(ref_id: int, name: str) -> str:
    return f"{name} #{ref_id}".strip()


def _moves(moves: tuple[tuple[str, int], ...]) -> str:
    parts = [f"{count} {kind}" for kind, count in moves if count]
    return ", ".join(parts) if parts else "nothing else"


@dataclass
class PairsLoaded(Message):
    pairs: list[DuplicatePair]
    error: str | None


class MergeTable(ResultsTable):
    """The fields of a merge: a letter typed here must not leave a merge half chosen."""

    searches_typing = False


class DuplicatesScreen(StyledAsNeeded, FollowsTheBook, ListHoldsKeys, Screen):
    """Candidate pairs, strongest first: Enter merges, ctrl+d says they are different people."""

    BINDINGS = [
        Binding("enter", "merge", "Merge…", id="duplicates-list.merge"),
        Binding("ctrl+d", "dismiss_pair", "Not the same", id="duplicates-list.dismiss"),
        Binding("ctrl+left", "open_first", "Open left", show=False, id="duplicates-list.open-a"),
        Binding("ctrl+right", "open_second", "Open right", show=False, id="duplicates-list.open-b"),
        Binding("escape", "app.back", "Back", id="duplicates-list.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[DuplicatePair] = []
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="duplicates-body"):
            yield Static("Looking for customers entered twice…", id="duplicates-status")
            # Drawn line by line: only the pairs on screen are styled (2 000 pairs at 100 000
            # customers, each measured and rendered by a DataTable as the list opened).
            yield ResultsList(id="duplicates-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Duplicates"
        pairs = self.query_one(ResultsList)
        names = 24 if self.app.size.width >= 100 else 18
        why = max(20, self.app.size.width - 5 - 2 * names - 2 * 4 - 2)
        pairs.set_columns(
            [
                Column("Score", 5, "right"),
                Column("Customer", names),
                Column("and", names),
                Column("Why", why),
            ]
        )
        pairs.focus()
        self.load()

    def refresh_from_book(self) -> None:
        if self._loaded:  # back from a merge or a profile: pairs may have gone
            self.load()

    def load(self) -> None:
        """Look for the pairs (again) in a worker; keys for the list wait until it is shown,
        so ctrl+d ctrl+d marks two pairs, not the first one twice."""
        self.hold_keys()
        self._find_pairs()

    LOAD_GROUP = "duplicates"

    @work(thread=True, exclusive=True, exit_on_error=False, group=LOAD_GROUP)
    def _find_pairs(self) -> None:
        worker = get_current_worker()
        try:
            with book(self) as db:
                pairs, error = find_duplicate_pairs(db), None
                self.reading_book()  # after its own kept figures were written
        except CrmError as err:  # a locked or damaged file: say so, never die silently
            pairs, error = [], str(err)
        except Exception as err:  # a fault of ours: say so rather than wait for ever
            pairs, error = [], f"could not look for duplicates: {err}"
        if not worker.is_cancelled:
            self.post_message(PairsLoaded(pairs, error))

    def on_pairs_loaded(self, message: PairsLoaded) -> None:
        self._loaded = True
        try:
            self._show_pairs(message)
        finally:
            self.release_keys()

    def _show_pairs(self, message: PairsLoaded) -> None:
        status = self.query_one("#duplicates-status", Static)
        status.set_class(bool(message.error), "error")
        if message.error:
            status.update(data(message.error))
            return
        shown = self.query_one(ResultsList)
        self.pairs = message.pairs
        count = len(self.pairs)
        status.update(
            f"{count} pair{'s' if count != 1 else ''} that may be one person · "
            "Enter merges · ctrl+d: not the same person"
            if count
            else "No probable duplicates. Pairs you marked as different people stay hidden."
        )
        rows = [
            Row(
                pair.ids,
                (
                    Text(str(pair.score)),
                    data(_side(pair.a.id, pair.a.name)),
                    data(_side(pair.b.id, pair.b.name)),
                    data(pair.reason_text),
                ),
            )
            for pair in self.pairs
        ]
        shown.replace(rows)
        self.refresh_bindings()

    def highlighted(self) -> DuplicatePair | None:
        if not self.pairs:
            return None
        row = self.query_one(ResultsList).cursor_row
        return self.pairs[row if 0 <= row < len(self.pairs) else 0]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("merge", "dismiss_pair", "open_first", "open_second"):
            return bool(self.pairs)
        return True

    @on(RowList.Selected, "#duplicates-table")
    def action_merge(self) -> None:
        pair = self.highlighted()
        if pair is not None:
            # The older record (lower id) survives by default; f7 in the dialog swaps.
            self.app.push_screen(MergeScreen(pair.a.id, pair.b.id), self._merged)

    def _merged(self, result: MergeResult | None) -> None:
        if result is not None:
            self.app.notify(result_summary(result, self._names()))

    def _names(self) -> dict[int, str]:
        names: dict[int, str] = {}
        for pair in self.pairs:
            names[pair.a.id], names[pair.b.id] = pair.a.name, pair.b.name
        return names

    def action_dismiss_pair(self) -> None:
        pair = self.highlighted()
        if pair is None:
            return

        def dismissed(_) -> None:
            self.app.notify(f"{pair.a.name} and {pair.b.name}: marked as different people")
            self.load()

        def refused(err: CrmError) -> None:
            self.app.notify(str(err), severity="error")
            self.release_keys()

        self.hold_keys()  # ctrl+d ctrl+d marks two pairs, not this one twice
        in_background(
            self,
            lambda db: dismiss_pair(
                db, pair.a.id, pair.b.id, a_version=pair.a.version, b_version=pair.b.version
            ),
            dismissed,
            failed=refused,
        )

    def action_open_first(self) -> None:
        if (pair := self.highlighted()) is not None:
            self.app.open_profile(pair.a.id)

    def action_open_second(self) -> None:
        if (pair := self.highlighted()) is not None:
            self.app.open_profile(pair.b.id)


def result_summary(result: MergeResult, names: dict[int, str]) -> str:
    other = _side(result.other_id, names.get(result.other_id, ""))
    survivor = _side(result.survivor_id, names.get(result.survivor_id, ""))
    return f"Merged {other} into {survivor}: moved {_moves(result.moved)}; {other} is in the trash"


@dataclass
class PreviewLoaded(Message):
    preview: MergePreview | None
    error: str | None


@dataclass
class MergeDone(Message):
    result: MergeResult | None
    error: str | None
    conflict: bool = False


class MergeScreen(StyledAsNeeded, Screen[MergeResult | None]):
    """Both records side by side: choose each differing field, then ctrl+s merges.

    The left record survives; the right one's interactions, purchases, referrals, thanks and
    marks move to it, and the right record goes to the trash (restorable).
    """

    HOLDS_WORK = True  # the choices made: ctrl+f does not close it (app.py)

    BINDINGS = [
        # Priority: the table's own ← → would scroll it sideways when it is wider than the
        # terminal, and then no key would choose a side.
        Binding(
            "left,h",
            "choose('survivor')",
            "Keep left",
            key_display="←",
            id="merge.left",
            priority=True,
        ),
        Binding(
            "right",
            "choose('other')",
            "Take right",
            key_display="→",
            id="merge.right",
            priority=True,
        ),
        Binding("space", "choose('both')", "Both", id="merge.both"),
        Binding("f7", "swap", "Swap sides", id="merge.swap"),
        Binding("ctrl+s", "merge", "Merge", id="merge.save"),
        Binding("escape", "app.back", "Cancel", id="merge.cancel"),
    ]

    def __init__(self, survivor_id: int, other_id: int) -> None:
        super().__init__()
        self.survivor_id = survivor_id
        self.other_id = other_id
        self.preview: MergePreview | None = None
        self.choices: dict[str, str] = {}
        self._busy = False
        self._preview_error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="merge-body"):
            yield Static("Reading both records…", id="merge-title")
            yield MergeTable(id="merge-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="merge-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Merge"
        self.load_preview()

    @property
    def holding_keys(self) -> bool:
        """Keys wait for both records to be shown, and after ctrl+s for the merge."""
        return self._busy or (self.preview is None and self._preview_error is None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "merge" and event.state == WorkerState.ERROR:
            self._busy, self._preview_error = False, "failed"  # keys no longer wait
            resume_keys(self.app)

    @work(thread=True, exclusive=True, exit_on_error=False, group="merge")
    def load_preview(self) -> None:
        try:
            with book(self) as db:
                message = PreviewLoaded(merge_preview(db, self.survivor_id, self.other_id), None)
        except CrmError as err:
            message = PreviewLoaded(None, str(err))
        self.post_message(message)

    def on_preview_loaded(self, message: PreviewLoaded) -> None:
        self._preview_error = message.error or (None if message.preview else "no preview")
        try:
            self._show_preview(message)
        finally:
            resume_keys(self.app)

    def _show_preview(self, message: PreviewLoaded) -> None:
        title = self.query_one("#merge-title", Static)
        if message.error or message.preview is None:
            title.update(data(message.error, "bold red"))
            return
        preview = self.preview = message.preview
        self.choices = {choice.field: choice.suggested for choice in preview.differences}
        left, right = preview.survivor, preview.other
        text = Text.assemble(
            "Keep ",
            data(_side(left.id, left.name), "bold"),
            " and merge ",
            data(_side(right.id, right.name), "bold"),
            " into it.\n",
            f"Moves to the left: {_moves(preview.moves)}. The right record goes to the trash.",
        )
        title.update(text)
        table = self.query_one(ResultsTable)
        table.clear(columns=True)
        table.add_column("Field", width=18, key="field")
        width = max(16, (self.size.width - 18 - 8 - 10) // 2)
        table.add_column(data(_side(left.id, left.name)), width=width, key="left")
        table.add_column(data(_side(right.id, right.name)), width=width, key="right")
        table.add_column("Keep", width=8, key="keep")
        for choice in preview.differences:
            table.add_row(*self._cells(choice.field), key=choice.field)
        table.focus()
        self._status()
        self.refresh_bindings()

    def _cells(self, field: str) -> list[Text]:
        choice = next(c for c in self.preview.differences if c.field == field)
        kept = self.choices[field]
        left_on = kept in ("survivor", "both")
        right_on = kept in ("other", "both")
        return [
            Text(choice.label),
            data(choice.survivor or "—", "bold" if left_on else "dim"),
            data(choice.other or "—", "bold" if right_on else "dim"),
            Text({"survivor": "← left", "other": "right →", "both": "both"}[kept]),
        ]

    def _status(self, text: str = "") -> None:
        status = self.query_one("#merge-status", Static)
        if text:
            status.update(data(text, "bold red"))
            return
        if self.preview is not None and not self.preview.differences:
            status.update("The two records hold the same details. ctrl+s merges them.")
        else:
            status.update(
                "← / h keeps the left value, → takes the right, space keeps both (lists, "
                "notes) · f7 swaps which record stays · ctrl+s merges"
            )

    def _current_field(self) -> str | None:
        if self.preview is None or not self.preview.differences:
            return None
        row = self.query_one(ResultsTable).cursor_row
        return self.preview.differences[max(row, 0)].field

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            field = self._current_field()
            if field is None:
                return False
            choice = next(c for c in self.preview.differences if c.field == field)
            return parameters[0] in choice.choices or None
        if action in ("merge", "swap"):
            return self.preview is not None and not self._busy
        return True

    def action_choose(self, side: str) -> None:
        field = self._current_field()
        if field is None:
            return
        choice = next(c for c in self.preview.differences if c.field == field)
        if side not in choice.choices:
            self._status(f"{choice.label}: the two values cannot both be kept")
            return
        self.choices[field] = side
        table = self.query_one(ResultsTable)
        for column, cell in zip(
            ("field", "left", "right", "keep"), self._cells(field), strict=True
        ):
            table.update_cell(field, column, cell)
        self._status()

    def on_data_table_row_highlighted(self) -> None:
        self.refresh_bindings()  # "both" applies to some fields only

    def action_swap(self) -> None:
        self.survivor_id, self.other_id = self.other_id, self.survivor_id
        self.preview = None
        self._preview_error = None
        self.load_preview()

    def action_merge(self) -> None:
        if self.preview is None or self._busy:
            return
        self._busy = True
        self._status()
        self.query_one("#merge-status", Static).update("Merging…")
        self.run_merge(self.preview, dict(self.choices))

    @work(thread=True, exclusive=True, exit_on_error=False, group="merge")
    def run_merge(self, preview: MergePreview, choices: dict[str, str]) -> None:
        try:
            with book(self) as db:
                result = merge(
                    db,
                    preview.survivor.id,
                    preview.other.id,
                    choices,
                    survivor_version=preview.survivor_version,
                    other_version=preview.other_version,
                )
            message = MergeDone(result, None)
        except ConflictError as err:
            message = MergeDone(None, str(err), conflict=True)
        except CrmError as err:  # a locked or damaged file: say so, never die silently
            message = MergeDone(None, str(err))
        except Exception as err:  # a fault of ours: say so rather than wait for ever
            message = MergeDone(None, f"could not merge: {err}")
        self.post_message(message)

    def on_merge_done(self, message: MergeDone) -> None:
        self._busy = False
        resume_keys(self.app)
        if message.result is not None:
            self.dismiss(message.result)
            return
        if message.conflict:  # someone changed a record meanwhile: show the fresh values
            self.app.notify(message.error or "", severity="error", timeout=10)
            self.load_preview()
            return
        self._status(message.error or "")
