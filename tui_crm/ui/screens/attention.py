"""Needs attention: whom to call today and why; log, snooze, done or mark lost from the list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from tui_crm.core.attention import REASONS, AttentionItem, attention_page, mark_done
from tui_crm.core.types import CustomerRef
from tui_crm.errors import CrmError
from tui_crm.ui.background import FollowsTheBook, book, in_background
from tui_crm.ui.format import ago, data, format_money_short, tier_text
from tui_crm.ui.keys import ListHoldsKeys
from tui_crm.ui.screens.actions import CustomerActions
from tui_crm.ui.screens.search import ResultsList
from tui_crm.ui.screens.styled import StyledAsNeeded
from tui_crm.ui.widgets.footer import KeysFooter
from tui_crm.ui.widgets.row_list import Column, Row, RowList

SHOWN = 500  # rows in the list; the rest are counted (the CLI prints them all)
WIDE = 110  # columns from which the phone is shown


@dataclass
class AttentionLoaded(Message):
    items: list[AttentionItem]  # the first SHOWN of the queue
    total: int  # customers in the whole queue
    error: str | None


class AttentionScreen(StyledAsNeeded, FollowsTheBook, ListHoldsKeys, CustomerActions, Screen):
    BINDINGS = [
        Binding("enter", "open", "Open", id="attention.open"),
        # ctrl-keys: letters typed on the queue search for a name (TypeToSearch).
        Binding("ctrl+l", "log", "Log call", id="attention.log"),
        Binding("ctrl+t", "snooze", "Snooze", id="attention.snooze"),
        Binding("ctrl+d", "done", "Done", id="attention.done"),
        Binding("ctrl+x", "lost", "Lost", id="attention.lost"),
        Binding("ctrl+e", "edit", "Edit", show=False, id="attention.edit"),
        Binding("ctrl+b", "purchase", "Purchase", show=False, id="attention.purchase"),
        Binding("f7", "plans", "Plans", id="attention.plans"),
        Binding("escape", "back", "Back", id="attention.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[AttentionItem] = []
        self._width = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="attention-body"):
            yield Static("Working out whom to call…", id="attention-status")
            # Drawn line by line: only the rows on screen are styled (a DataTable measured
            # and rendered all 500 as the queue opened and after each done or snooze).
            yield ResultsList(id="attention-table")
            yield Static("", id="attention-why")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Needs attention"
        self._set_columns()
        self.query_one(ResultsList).focus()
        self.load()

    def refresh_from_book(self) -> None:
        if self._width:  # back from a profile or dialog: the queue may have changed
            self.load()

    def on_resize(self) -> None:
        if self._set_columns():
            self._fill_table()

    def _set_columns(self) -> bool:
        width = self.size.width
        if width == self._width:
            return False
        self._width = width
        fixed = [("Tier", 6, "tier"), ("Value", 8, "value"), ("Contact", 8, "last")]
        if width >= WIDE:
            fixed.insert(0, ("Phone", 17, "phone"))
        rest = max(30, width - 2 - 2 * (len(fixed) + 2) - sum(w for _, w, _ in fixed))
        name_width = min(24, rest * 2 // 5)
        columns = [Column("Name", name_width), Column("Why", rest - name_width)]
        columns += [Column(t, w, "right" if k == "value" else "left") for t, w, k in fixed]
        self.query_one(ResultsList).set_columns(columns)
        return True

    def load(self) -> None:
        """Read the queue (again) in a worker; keys for it wait until it is shown, so they act
        on the list as it is now (a customer just marked done has left it)."""
        self.hold_keys()
        self._read_queue()

    LOAD_GROUP = "attention"

    @work(thread=True, exclusive=True, exit_on_error=False, group=LOAD_GROUP)
    def _read_queue(self) -> None:
        worker = get_current_worker()
        try:
            with book(self) as db:
                page = attention_page(db, self.app.today(), limit=SHOWN)
                self.reading_book()  # after its own kept figures were written
            items, total, error = page.items, page.total, None
        except CrmError as err:  # e.g. a locked or damaged file: say so, never die silently
            items, total, error = [], 0, str(err)
        except Exception as err:  # a fault of ours: say so rather than wait for ever
            items, total, error = [], 0, f"could not work out the queue: {err}"
        if not worker.is_cancelled:
            self.post_message(AttentionLoaded(items, total, error))

    def on_attention_loaded(self, message: AttentionLoaded) -> None:
        try:
            self._show_queue(message)
        finally:
            self.release_keys()

    def _show_queue(self, message: AttentionLoaded) -> None:
        status = self.query_one("#attention-status", Static)
        if message.error:
            status.update(data(message.error))
            status.set_class(True, "error")
            return
        status.set_class(False, "error")
        self.items = message.items
        self.refresh_bindings()  # the row keys apply now that there are rows
        count = message.total
        today = self.app.today()
        if not count:
            status.update(f"Nobody needs attention on {today:%a %-d %b}. Well done.")
        else:
            shown = "" if count <= SHOWN else f" · the first {SHOWN} shown"
            status.update(
                f"{count} customer{'s' if count != 1 else ''} to look at on {today:%a %-d %b}, "
                f"most valuable and most overdue first{shown}"
            )
        self._fill_table()

    def _fill_table(self) -> None:
        """The queue's rows, the highlight kept on the customer it was on while listed, else
        on the row it was on."""
        rows = self.query_one(ResultsList)
        today = self.app.today()
        wide, room = self._width >= WIDE, rows.columns[1].width
        shown = []
        for item in self.items[:SHOWN]:
            more = f" +{len(item.reasons) - 1}" if len(item.reasons) > 1 else ""
            text = item.reasons[0].text
            if len(text) + len(more) > room:  # cut the text, never the count of other reasons
                text = text[: max(room - len(more) - 1, 1)] + "…"
            why = data(text)
            why.append(more, style="bold")
            cells = [data(item.name), why]
            if wide:
                cells.append(data(item.phone))  # as shown, kept with the number
            cells += [
                tier_text(item.tier),
                Text(format_money_short(item.value_12m)),
                ago(item.last_contact, today),
            ]
            shown.append(Row(item.customer_id, tuple(cells)))
        rows.replace(shown)
        self._show_reasons()

    @on(RowList.Highlighted, "#attention-table")
    def _show_reasons(self) -> None:
        why = self.query_one("#attention-why", Static)
        item = self.highlighted()
        if item is None:
            why.update("")
            return
        text = Text.assemble(data(item.name, "bold"))
        if item.company:
            text.append_text(data(f" · {item.company}"))
        if item.phone:
            text.append_text(data(f" · {item.phone}"))
        for reason in item.reasons:
            text.append("\n• ")
            text.append_text(data(reason.text))
            text.append(f"  ({REASONS[reason.code]})", style="dim")
        why.update(text)

    def highlighted(self) -> AttentionItem | None:
        at = self.query_one(ResultsList).cursor_row
        shown = self.items[:SHOWN]
        if not shown:
            return None
        return shown[at if 0 <= at < len(shown) else 0]

    def current_customer(self) -> CustomerRef | None:
        item = self.highlighted()
        return CustomerRef(item.customer_id, item.name) if item else None

    def refresh_after_write(self) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open", "log", "snooze", "done", "lost", "edit", "purchase"):
            return bool(self.items)
        if action == "back":
            return self.app.check_action(action, parameters)
        return True

    @on(RowList.Selected, "#attention-table")
    def action_open(self) -> None:
        item = self.highlighted()
        if item is not None:
            self.app.open_profile(item.customer_id)

    def action_log(self) -> None:
        """Log a call; a thanks when all they are waiting for is a thank-you."""
        from tui_crm.ui.screens.log import LogInteractionScreen

        item = self.highlighted()
        if item is None:
            return
        codes = {reason.code for reason in item.reasons}
        kind = "thanks" if codes == {"thank_referrer"} else "call"
        self.app.push_screen(
            LogInteractionScreen(item.customer_id, item.name, kind=kind), self.after_dialog
        )

    def action_snooze(self) -> None:
        from tui_crm.ui.screens.snooze import SnoozeScreen

        item = self.highlighted()
        if item is not None:
            self.app.push_screen(SnoozeScreen(item), self.after_dialog)

    def action_done(self) -> None:
        item = self.highlighted()
        if item is None:
            return
        now = datetime.combine(self.app.today(), datetime.now().time())  # the app's clock
        codes = [reason.code for reason in item.reasons]

        def done(_) -> None:
            self.app.notify(f"{item.name}: done ({', '.join(REASONS[c] for c in codes)})")
            self.load()

        def refused(err: CrmError) -> None:
            self.app.notify(str(err), severity="error")
            self.load()  # refused because it changed: show it as it is now

        self.hold_keys()  # the next key acts on the queue without them
        in_background(
            self,
            lambda db: mark_done(db, item.customer_id, codes, seen=item.seen, now=now),
            done,
            failed=refused,
        )

    def action_lost(self) -> None:
        from tui_crm.core.customers import get_profile
        from tui_crm.ui.screens.lost import MarkLostScreen

        item = self.highlighted()
        if item is None:
            return
        self._open_after(
            lambda db: get_profile(db, item.customer_id, self.app.today()),
            lambda profile: MarkLostScreen(profile),
        )

    def action_plans(self) -> None:
        from tui_crm.core.plans import read_plans
        from tui_crm.ui.screens.plans import PlanScreen

        self._open_after(read_plans, PlanScreen)

    def _open_after(self, read, dialog) -> None:
        """Read what a dialog needs off the UI thread, then open it; keys typed meanwhile
        wait for it."""

        def show(values) -> None:
            self.app.push_screen(dialog(values), self.after_dialog)
            self.release_keys()

        def refused(err: CrmError) -> None:
            self.app.notify(str(err), severity="error")
            self.release_keys()

        self.hold_keys()
        in_background(self, read, show, failed=refused)

    def action_back(self) -> None:
        self.app.action_back()
