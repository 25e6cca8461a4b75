"""The agenda (issue 19): the follow-ups and plan touches of the week ahead, overdue follow-ups
first, by day, each with the customer, what was promised and the value. ctrl+l logs (a contact
answers the follow-ups due by its day, an interaction of a touch's kind the touch; they leave
the agenda), ctrl+t moves one to another day (a touch is snoozed in the queue until then),
Enter opens the profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Static
from textual.worker import get_current_worker

from tui_crm.core.agenda import Agenda, AgendaItem, said_day, week_ahead
from tui_crm.core.corrections import close_follow_up, edit_interaction
from tui_crm.core.dates import parse_follow_up, said_follow_up
from tui_crm.core.money import format_money_short
from tui_crm.core.rows import CustomerRef
from tui_crm.errors import CrmError
from tui_crm.ui.background import FollowsTheBook, book, in_background
from tui_crm.ui.format import data, naming
from tui_crm.ui.keys import ListHoldsKeys
from tui_crm.ui.screens.actions import CustomerActions
from tui_crm.ui.screens.dialog import FormDialog, Saved
from tui_crm.ui.screens.search import ResultsList
from tui_crm.ui.screens.styled import StyledAsNeeded
from tui_crm.ui.widgets.compact import compact
from tui_crm.ui.widgets.footer import KeysFooter
from tui_crm.ui.widgets.row_list import Column, Row

DAYS = 7  # the week ahead


@dataclass
class AgendaLoaded(Message):
    agenda: Agenda
    error: str | None


class AgendaScreen(StyledAsNeeded, FollowsTheBook, ListHoldsKeys, CustomerActions, Screen):
    BINDINGS = [
        # Priority: the list's own Enter (select the row) would answer first.
        Binding("enter", "open", "Open", id="agenda.open", priority=True),
        Binding("ctrl+l", "log", "Log", id="agenda.log"),
        Binding("ctrl+t", "move", "Move…", id="agenda.move"),
        Binding("escape", "app.back", "Back", id="agenda.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[AgendaItem] = []
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="agenda-body"):
            yield Static("Reading the agenda…", id="agenda-status")
            yield ResultsList(id="agenda-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Agenda"
        wide = self.app.size.width >= 100
        name = 24 if wide else 18
        rest = max(16, self.app.size.width - 16 - name - 17 - 8 - 5 * 2 - 2)
        table = self.query_one(ResultsList)
        table.set_columns(
            [
                Column("When", 16),
                Column("Customer", name),
                Column("Phone", 17),
                Column("Value", 8, "right"),
                Column("Promised", rest),
            ]
        )
        table.focus()
        self.load()

    def refresh_from_book(self) -> None:
        if self._loaded:
            self.load()

    def refresh_after_write(self) -> None:
        self.load()

    def load(self) -> None:
        self.hold_keys()
        self._read(self.app.today())

    LOAD_GROUP = "agenda"

    @work(thread=True, exclusive=True, exit_on_error=False, group=LOAD_GROUP)
    def _read(self, today: date) -> None:
        worker = get_current_worker()
        try:
            with book(self) as db:
                found, error = week_ahead(db, today, DAYS), None
                self.reading_book()
        except CrmError as err:
            found, error = Agenda([], 0), str(err)
        if not worker.is_cancelled:
            self.post_message(AgendaLoaded(found, error))

    def on_agenda_loaded(self, message: AgendaLoaded) -> None:
        self._loaded = True
        try:
            self._show(message)
        finally:
            self.release_keys()

    def _show(self, message: AgendaLoaded) -> None:
        status = self.query_one("#agenda-status", Static)
        if message.error:
            status.update(data(message.error, "red"))
            return
        self.items = message.agenda.items
        self.refresh_bindings()
        today = self.app.today()
        table = self.query_one(ResultsList)
        table.replace(
            [Row((item.customer.id, item.what), self._cells(item, today)) for item in self.items]
        )
        status.update(self._said(message.agenda, today))

    @staticmethod
    def _said(found: Agenda, today: date) -> str:
        def count(n: int, one: str, many: str) -> str:
            return f"{n:,} {one if n == 1 else many}"

        follow_ups = [item for item in found.items if item.touch is None]
        late = sum(1 for item in follow_ups if item.day < today)
        touches = len(found.items) - len(follow_ups)
        parts = []
        if follow_ups:
            parts.append(count(len(follow_ups), "follow-up", "follow-ups"))
            parts[-1] += f" ({late} overdue)" if late else ""
        if touches:
            parts.append(count(touches, "plan touch", "plan touches"))
        said = (" and ".join(parts) + " this week") if parts else "Nothing due this week."
        if found.touches_overdue:
            overdue = count(found.touches_overdue, "plan touch", "plan touches")
            said += f" · {overdue} overdue: f2 ranks them"
        if found.items:
            said += " · ctrl+l logs · ctrl+t moves · Enter opens"
        return said

    @staticmethod
    def _cells(item: AgendaItem, today: date) -> tuple:
        late = item.day < today
        return (
            data(
                f"{said_day(item.day, today, dated=True)} {item.time}".strip(),
                "bold red" if late else "",
            ),
            data(item.customer.name),
            data(item.customer.phone),
            format_money_short(item.customer.value_12m),
            data(item.promised),
        )

    @property
    def current(self) -> AgendaItem | None:
        row = self.query_one(ResultsList).cursor_row
        return self.items[row] if 0 <= row < len(self.items) else None

    def current_customer(self) -> CustomerRef | None:
        item = self.current
        return CustomerRef(item.customer.id, item.customer.name) if item else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open", "log", "move"):
            return self.current is not None
        return True

    def action_log(self) -> None:
        """Log, with a touch's kind to start with (a call for "contact"); what is logged for a
        follow-up answers it, even before its day (the promise is marked answered, based on
        the version read with the agenda, as a correction ctrl+z takes back)."""
        from tui_crm.ui.screens.log import LogInteractionScreen

        item = self.current
        if item is None:
            return
        kind = "call" if item.touch is None or item.touch.kind == "contact" else item.touch.kind

        def logged(result) -> None:
            if result is None or item.interaction_id is None:
                self.after_dialog(result)
                return
            self.app.notify(result.summary)
            self.hold_keys()
            in_background(
                self,
                lambda db: close_follow_up(db, item.interaction_id, expected_version=item.version),
                lambda _: self.load(),
                failed=self._not_closed,
                group=self.LOAD_GROUP,  # keys wait for it; a fault of ours lets them go
            )

        self.app.push_screen(
            LogInteractionScreen(item.customer.id, item.customer.name, kind=kind), logged
        )

    def _not_closed(self, error: CrmError) -> None:
        """The promise changed since the agenda was read: logged, but said, not closed."""
        self.app.notify(f"Logged; the follow-up stays: {error}", severity="warning", timeout=8)
        self.load()

    def action_open(self) -> None:
        item = self.current
        if item is not None:
            self.app.open_profile(item.customer.id)

    def action_move(self) -> None:
        item = self.current
        if item is None or (item.interaction_id is None and item.seen is None):
            return

        def moved(saved: Saved | None) -> None:
            if saved is not None:
                self.notify(saved.summary, timeout=6)
                self.load()

        self.app.push_screen(MoveFollowUpScreen(item), moved)


class MoveFollowUpScreen(FormDialog[Saved | None]):
    """Another day for a follow-up (the interaction that promised it, corrected), or for a
    plan touch (snoozed in the queue until that day)."""

    FIELDS = {"day": "move-day"}
    DISCARD_QUESTION = "Leave the follow-up where it is?"

    def __init__(self, item: AgendaItem) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="move-dialog"):
            what = "follow-up" if self.item.touch is None else "plan touch"
            yield Static(
                naming(f"Move the {what} with ", self.item.customer.name), classes="dialog-title"
            )
            yield Static(data(self.item.promised), classes="field-hint")
            with Horizontal(classes="form-row"):
                yield Label("To", classes="form-label")
                yield compact(
                    Input(value="+1w", placeholder="+3d  +2w  fri 10:00  2026-12-01", id="move-day")
                )
            yield Static("", id="move-day-error", classes="field-error")
            yield Static("ctrl+s move · esc cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#move-day", Input).focus()

    def perform(self, values: dict[str, Any]) -> Saved:
        from tui_crm.errors import ValidationError

        text = (values["day"] or "").strip()
        today = self.app.today()
        try:
            day, clock = parse_follow_up(text, today)
        except CrmError as err:
            raise ValidationError({"day": str(err)}) from None
        clock = clock or self.item.time  # "+1w" keeps the time of day it had
        if day < today:
            raise ValidationError({"day": f"{day} is in the past: move it to today or later"})
        if self.item.touch is not None:
            return self._snooze(day, today)
        assert self.item.interaction_id is not None
        when = datetime.combine(day, time.fromisoformat(clock)) if clock else day
        edit_interaction(
            self.app.db,
            self.item.interaction_id,
            {"follow_up": when},
            expected_version=self.item.version,
        )
        return Saved(
            self.item.customer.id,
            f"{self.item.customer.name}: follow-up {said_follow_up(day, clock)}",
        )

    def _snooze(self, day: date, today: date) -> Saved:
        from tui_crm.core.attention import snooze
        from tui_crm.errors import ValidationError

        if day <= today:
            raise ValidationError({"day": "a plan touch moves to tomorrow or later"})
        assert self.item.seen is not None
        snooze(
            self.app.db, self.item.customer.id, ["cadence"], day, seen=self.item.seen, as_of=today
        )
        return Saved(
            self.item.customer.id,
            f"{self.item.customer.name}: {self.item.promised} {day:%a %-d %b}",
        )
