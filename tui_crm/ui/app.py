"""The Textual application: one database, a clock, and the search screen as home."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from tui_crm.core.book import BookClock, BookLine, sees_whole_book, watch_book
from tui_crm.core.config import settings, user_of
from tui_crm.core.display import printable
from tui_crm.paths import BookPlace, place_title
from tui_crm.ui.arrange import arrange_once
from tui_crm.ui.background import in_background
from tui_crm.ui.commands import CustomerProvider
from tui_crm.ui.crash import keep_report
from tui_crm.ui.keys import KeysInOrder
from tui_crm.ui.messages import BookChanged
from tui_crm.ui.screens.search import SearchScreen
from tui_crm.ui.session import SessionGuard
from tui_crm.ui.stylesheet import KeptStylesheet

if TYPE_CHECKING:  # only a type: screens reach the book through ui/background.py
    from peewee import Database
    from textual.widget import AwaitMount

    from tui_crm.ui.first_answer import FirstAnswer


arrange_once()


def _holds_work(screen: Screen) -> bool:
    """Whether closing `screen` would throw away what is being done there: a form or dialog
    being filled in, a merge being chosen, an import. Screens say so with `HOLDS_WORK`; a
    dialog (a modal screen) does unless it says otherwise (the help)."""
    return getattr(screen, "HOLDS_WORK", isinstance(screen, ModalScreen))


# The garbage collector's thresholds once the app has started: its full passes (the third
# number) never by themselves, but in a pause of the user's (`_collect_when_idle`).
GC_THRESHOLDS = (2_000, 10, 1_000_000)
FULL_PASS_AFTER = 10  # passes over the middle generation before a full one is due
FULL_PASS_IDLE = 1.5  # seconds without a key or a click: the user is reading, not waiting
FULL_PASS_AT_MOST = 30  # due this many times over: done without waiting for a pause
TIDY_EVERY = 60.0  # seconds between looks for the search index's pending upkeep
WARM_UP_AFTER = 0.5  # seconds after the first rows before the other screens' modules load

# Loaded in a thread of their own once the first rows are drawn, while the user reads them:
# each screen's first visit paid for its modules (the profile's ~30 ms, the form's ~30 ms,
# the phone metadata ~25 ms). Any left out still loads when first used.
WARM_UP = (
    "tui_crm.ui.screens.profile",
    "tui_crm.ui.screens.log",
    "tui_crm.ui.screens.customer_form",
    "tui_crm.ui.screens.attention",
    "tui_crm.ui.screens.referrals",
    "tui_crm.ui.screens.insights",
    "tui_crm.ui.screens.duplicates",
    "tui_crm.ui.screens.trash",
    "tui_crm.ui.screens.purchase",
    "tui_crm.ui.screens.snooze",
    "tui_crm.ui.screens.help",
    "tui_crm.core.duplicates_kept",
    "phonenumbers",
)


def _warm_up(modules: tuple[str, ...]) -> None:
    for name in modules:
        with contextlib.suppress(Exception):  # a failure shows where the module is used
            importlib.import_module(name)
    gc.freeze()  # they live as long as the app, like what was built to start


# Loaded in the workers that use them, after the first frame: the undo journal and the daily
# backup are not what a salesperson waits for when the app starts.
def _newest_step(db: Database) -> int:
    from tui_crm.core.undo import newest_step

    return newest_step(db)


def _undo_last(db: Database, **how) -> str:
    from tui_crm.core.undo import undo_last

    return undo_last(db, **how)


def _tidy(db: Database, stop: Callable[[], bool]) -> int:
    from tui_crm.core.search import tidy_search_index

    return tidy_search_index(db, stop=stop)


def _backup_if_due(db: Database, path: BookPlace) -> Path | None:
    from tui_crm.core.backups import backup_if_due

    return backup_if_due(path, db=db)


class CrmApp(SessionGuard, KeysInOrder, App[None]):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "tui-crm"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("ctrl+f", "go_search", "Search", id="go-search", priority=True),
        Binding("ctrl+n", "new_customer", "New", id="new-customer"),
        Binding("f2", "attention", "Attention", id="attention"),
        Binding("f3", "referrals", "Referrals", id="referrals"),
        Binding("f4", "insights", "Insights", id="insights"),
        Binding("f5", "duplicates", "Duplicates", show=False, id="duplicates"),
        Binding("f6", "trash", "Trash", show=False, id="trash"),
        Binding("f10", "agenda", "Agenda", show=False, id="agenda"),
        Binding("ctrl+o", "import_file", "Import", show=False, id="import"),
        Binding("ctrl+z", "undo", "Undo", show=False, id="undo"),
        Binding("f1", "toggle_help", "Help", id="help"),
        Binding(
            "question_mark", "toggle_help", "Help", key_display="?", show=False, id="help.question"
        ),
    ]
    COMMANDS = App.COMMANDS | {CustomerProvider}
    # The app starts on Search, a mode of its own: not switched to from an empty first screen,
    # which held back every frame for Textual's 50 ms of `delay_update` (then up to a frame's
    # 17 ms for the next refresh), a third of the time to the first rows.
    DEFAULT_MODE = "search"
    _crash_line = ""
    _settled = False  # settle_in() has run
    _gc_thresholds: tuple[int, ...] = ()  # the collector's, to give back when the app ends

    def __init__(
        self,
        db: Database,
        db_path: BookPlace | None = None,
        *,
        today: Callable[[], date] = date.today,
        cursor_blink: bool = True,
        watch_every: float | None = 1.0,
        fit_terminal: bool = False,
        first: FirstAnswer | None = None,
    ) -> None:
        super().__init__()
        self.stylesheet = KeptStylesheet(variables=self.get_css_variables())
        # The theme follows the terminal's colours (`theme_for_terminal`); tests leave it off,
        # so what they draw does not depend on the terminal they run in.
        self.fit_terminal = fit_terminal
        self.db = db
        # Whether the book changed since a screen read it, and a warm connection for the reads
        # behind each key; `first` brings both, the line reading the search's first answer
        # since before Textual loaded (the search screen takes it).
        self.first = first
        self.book_clock = first.clock if first else BookClock(db)
        self.search_line = first.line if first else BookLine(db)
        # The heavier reads of whole screens (Insights' figures), on a line of their own: its
        # connection stays open too, and a key's search never waits behind them.
        self.screen_line = BookLine(db)
        self.watch_every = watch_every  # seconds between looks for others' changes; None: never
        self._stop_watching = threading.Event()
        # ctrl+z undoes what this session did: the journal's steps after this one.
        self.undo_after: int | None = None
        self.db_path = db_path
        # Who this session writes as (history, owner:me, "You" in the recent-contact line):
        # the book's role on a server, known since it was opened; else the config's user.
        self.user = user_of(db)
        self.today = today
        self.cursor_blink = cursor_blink  # off in snapshot tests, so frames are stable
        if db_path is not None:
            self.sub_title = place_title(db_path)
            if not sees_whole_book(db):  # known since the book was opened: no query here
                self.sub_title += f" · {self.user}'s customers"
        # The top-level screens are modes: each keeps its own stack (a profile opened from the
        # queue stays on the queue's), and the f-keys switch between them in place.
        for mode, screen in self._mode_screens().items():
            self.add_mode(mode, screen)

    def _mode_screens(self) -> dict[str, Callable[[], Screen]]:
        def attention() -> Screen:
            from tui_crm.ui.screens.attention import AttentionScreen

            return AttentionScreen()

        def referrals() -> Screen:
            from tui_crm.ui.screens.referrals import ReferralTreeScreen

            return ReferralTreeScreen(self.today(), None)

        def insights() -> Screen:
            from tui_crm.ui.screens.insights import InsightsScreen

            return InsightsScreen(self.today())

        def duplicates() -> Screen:
            from tui_crm.ui.screens.duplicates import DuplicatesScreen

            return DuplicatesScreen()

        def trash() -> Screen:
            from tui_crm.ui.screens.trash import TrashScreen

            return TrashScreen()

        def agenda() -> Screen:
            from tui_crm.ui.screens.agenda import AgendaScreen

            return AgendaScreen()

        return {
            "search": SearchScreen,
            "attention": attention,
            "referrals": referrals,
            "insights": insights,
            "duplicates": duplicates,
            "trash": trash,
            "agenda": agenda,
        }

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification is plain text: they quote names, notes and file names, which
        must never be read as markup or reach the terminal as control characters."""
        super().notify(
            printable(message, multiline=True, limit=2_000),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _fatal_error(self) -> None:
        """An unexpected error ends the app with one line, not a traceback (Textual's shows
        local variables: customer data, raw). The details go to a private file."""
        if os.environ.get("TUI_CRM_DEBUG"):
            super()._fatal_error()
            return
        error = sys.exc_info()[1] or self._exception
        line = f"{type(error).__name__}: {printable(error)}"
        details = keep_report(error) if error is not None else "set TUI_CRM_DEBUG=1 for details"
        self._crash_line = f"tui-crm: internal error: {line} ({details})"
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """The one line of `_fatal_error`, once the terminal is restored: whole, unwrapped."""
        if self._crash_line:
            print(self._crash_line, file=sys.stderr)
            self._crash_line = ""
            self._exit_renderables.clear()
        super()._print_error_renderables()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Without blinking, every field's cursor holds still, whichever screen made the field
        # (snapshots compare frames; each screen setting it for its own fields missed some).
        if not self.cursor_blink and getattr(event.widget, "cursor_blink", False):
            event.widget.cursor_blink = False

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header: screens put customer and file names in their sub-titles."""
        return super().format_title(printable(title), printable(sub_title))

    def on_mount(self) -> None:
        keys = settings().keys
        if keys:
            self.set_keymap(keys)
        theme = settings().theme or self.theme_for_terminal()
        if theme:
            if theme not in self.available_themes:
                known = ", ".join(sorted(self.available_themes))
                self.notify(f"unknown theme '{theme}' (known: {known})", severity="error")
            else:
                self.theme = theme
        # What is not needed for the first rows waits for them (or a second at most): each
        # is Python work (imports, reads) taking turns with the screen being built.
        self.set_timer(1.0, self.settle_in)

    def first_rows_shown(self) -> None:
        """The search screen showed rows: settle in once they are drawn (the first time)."""
        if not self._settled:
            self.call_after_refresh(self.settle_in)

    def settle_in(self) -> None:
        """Once, when the first rows are drawn: offer back unsaved notes, read the undo
        journal, start the watcher and the day's backup, freeze the start-up heap and load
        the other screens' modules."""
        if self._settled:
            return
        self._settled = True
        # Tiers and due dates take their colours as rows are drawn (ui/format.py colours()):
        # with another theme the screen on top draws its rows again. (Not for the theme set
        # as the app starts: the first rows are drawn in it.)
        self.theme_changed_signal.subscribe(self, lambda _: self.book_changed())
        self.offer_drafts()
        KeptStylesheet.keep_on_disk(wait=False)  # for the next start, when it parsed anew
        # What was built to start (Textual, the screens, the stylesheet) lives as long as the
        # app: once the first frame is out, the garbage collector stops walking it. Its full
        # passes took 17-53 ms each over that heap, a keystroke's rows waiting behind them.
        # (Given back to the collector when the app ends: on_unmount.) The collector is started
        # again here if the app was started without it (cli.py).
        gc.freeze()
        gc.enable()
        # And it looks for cycles less often: a screen builds tens of thousands of objects
        # (the customer form more), and at Python's default of a look every 700 new ones,
        # opening a dialog or a form spent up to 100-190 ms in the collector (measured with
        # it off). Every 2 000: about half of that, for some 15 MB more held between looks
        # (every 10 000 saved the most but held 150 MB more). A closed screen's widgets,
        # which refer to each other, are freed as before, a little later.
        self._gc_thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        # Its full passes walk everything built since the start (the screens opened, what they
        # keep): up to 130 ms, which landed in a screen opening or a keystroke's rows at
        # random (a profile opened again in 116 ms or 246). They now wait for a pause.
        self.set_interval(1.0, self._collect_when_idle, name="full collection")
        # Half a second on, while the user reads the first rows: a key pressed at once (f2 for
        # the day's queue) does not open its screen while the thread takes turns with it.
        self.set_timer(WARM_UP_AFTER, self._start_warm_up)
        if self.watch_every:
            self.run_worker(self._watch_book, thread=True, group="watch", exit_on_error=False)
        in_background(self, _newest_step, self._undo_from, group="undo")
        if self.db_path is not None:  # a copy a day, whenever the app is started that day
            in_background(
                self,
                lambda db: _backup_if_due(db, self.db_path),
                lambda _: None,
                failed=lambda err: self.notify(
                    f"No backup today: {err}", severity="warning", timeout=10
                ),
                group="backup",
            )
        # Not at once: its writes would have every screen read again as the first rows show
        # (a round that finds nothing to do writes nothing).
        self.set_interval(TIDY_EVERY, self._tidy_search_index, name="tidy search index")

    def theme_for_terminal(self) -> str:
        """The ANSI theme in a terminal of 16 colours (TERM=xterm without COLORTERM, the Linux
        console, TERM=screen): Textual's own themes are drawn there in the nearest of the 16,
        where errors, warnings and the gold tier all come out bright red and most marks of
        focus vanish; the ANSI theme draws in the terminal's own colours. Elsewhere Textual's
        default (""). A theme set in the config wins over this."""
        if self.fit_terminal and self.console.color_system in ("standard", "windows"):
            return "ansi-dark"
        return ""

    def _undo_from(self, step: int) -> None:
        self.undo_after = step

    def action_undo(self) -> None:
        """Undo the last delete, merge, mark-lost, done, snooze or correction made in this
        session, whichever screen it was made on; a line says what was undone."""
        after = self.undo_after
        if after is None:
            return  # the journal is still being read (the first moments after start)

        def undone(said: str) -> None:
            self.notify(said)
            self.book_changed()

        in_background(
            self,
            lambda db: _undo_last(db, who=self.user, after=after),
            undone,
            failed=lambda err: self.notify(str(err), severity="warning", timeout=8),
            group="undo",
        )

    def _watch_book(self) -> None:
        """In a thread of its own: tell the screen on top when another program changed the
        book, so two salespeople on one server see each other's work without searching again.
        """
        watch_book(
            self.book_clock.reading,
            lambda: self.call_from_thread(self.book_changed),
            self._stop_watching,
            self.watch_every or 1.0,
        )

    def book_changed(self) -> None:
        """The screen on top reads the book again (the others do when they are back on top)."""
        self.screen.post_message(BookChanged())

    def _start_warm_up(self) -> None:
        threading.Thread(
            target=_warm_up, args=(WARM_UP,), name="tui-crm-warm-up", daemon=True
        ).start()

    _last_input = 0.0  # time.monotonic() of the last key, paste or click

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste, events.MouseDown)):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _tidy_search_index(self) -> None:
        """The search index's upkeep that writes left (this app's, others', a bulk action's
        and its undo), in the background while the user pauses: short writes, each ended by
        a key. Nothing is said of it; a busy book is tried again at the next look."""
        if any(w.group == "tidy" and not w.is_finished for w in self.workers):
            return
        typing = lambda: time.monotonic() - self._last_input < FULL_PASS_IDLE  # noqa: E731
        quiet = lambda _: None  # noqa: E731
        in_background(self, partial(_tidy, stop=typing), quiet, failed=quiet, group="tidy")

    def _collect_when_idle(self) -> None:
        due = gc.get_count()[2]  # middle-generation passes since the last full one
        idle = time.monotonic() - self._last_input >= FULL_PASS_IDLE
        if due >= FULL_PASS_AFTER and (idle or due >= FULL_PASS_AT_MOST):
            gc.collect()

    def on_unmount(self) -> None:
        self._stop_watching.set()
        self.book_clock.close()
        self.search_line.close()
        self.screen_line.close()
        gc.unfreeze()
        if self._gc_thresholds:
            gc.set_threshold(*self._gc_thresholds)

    def offer_drafts(self) -> None:
        """Offer back notes that were being typed when the last session ended."""
        from tui_crm.core.drafts import discard_draft, load_drafts

        drafts = load_drafts(self.db_path) if self.db_path is not None else []
        if not drafts:
            return
        from tui_crm.ui.screens.confirm import ConfirmScreen
        from tui_crm.ui.screens.log import LogInteractionScreen

        draft = drafts[0]
        preview = draft.notes.strip().splitlines()[0][:70] if draft.notes.strip() else "…"
        when = draft.saved_at.replace("T", " ")[:16]

        def answered(resume: bool | None) -> None:
            if resume:
                self.push_screen(
                    LogInteractionScreen(draft.customer_id, draft.customer_name, draft=draft),
                    lambda result: (
                        self.notify(result.summary) if result else None,
                        self.offer_drafts(),
                    ),
                )
            else:
                discard_draft(self.db_path, draft.customer_id)
                self.offer_drafts()

        self.push_screen(
            ConfirmScreen(
                f"You were writing a note for {draft.customer_name} ({when}):\n“{preview}”\n"
                "Continue it?",
                "Continue",
                "Discard",
                destructive=False,
            ),
            answered,
        )

    def get_system_commands(self, screen: Screen):
        yield SystemCommand("Search", "Back to the search screen", self.action_go_search)
        yield SystemCommand("New customer", "Add a customer (ctrl+n)", self.action_new_customer)
        yield SystemCommand(
            "Needs attention", "Whom to call today and why (f2)", self.action_attention
        )
        yield SystemCommand(
            "Referral tree",
            "Who brought whom, what it is worth, who still needs thanking (f3)",
            self.action_referrals,
        )
        yield SystemCommand(
            "Insights",
            "Gold and silver, spend by source, top referrers, why us, lost reasons (f4)",
            self.action_insights,
        )
        yield SystemCommand(
            "Duplicates",
            "Customers entered twice: review the pairs and merge them (f5)",
            self.action_duplicates,
        )
        yield SystemCommand(
            "Trash",
            "Deleted and merged-away customers: restore one whole, or purge it (f6)",
            self.action_trash,
        )
        yield SystemCommand(
            "Agenda",
            "The follow-ups of the week ahead, overdue first: log, move, open (f10)",
            self.action_agenda,
        )
        yield SystemCommand(
            "Communication plans",
            "Which touches each category gets, how often (f7 in the queue)",
            self.action_plans,
        )
        yield SystemCommand(
            "Undo",
            "Undo the last delete, merge, lost, done, snooze or correction (ctrl+z)",
            self.action_undo,
        )
        yield SystemCommand(
            "Import a file",
            "Customers from CSV (Google, Outlook, LinkedIn…) or vCard, or purchases (ctrl+o)",
            self.action_import_file,
        )
        if isinstance(screen, SearchScreen):
            yield SystemCommand(
                "Export this search",
                "The customers the search finds as CSV, vCard, mailing labels or an email list",
                screen.action_export,
            )
        yield from super().get_system_commands(screen)

    _switching_mode = False

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual's, without holding back every frame for 50 ms (`delay_update`) as it does to
        hide a screen being built: ours are drawn as a pushed screen is, once built, and
        coming back to a screen built before (f2 again) was 50 ms slower than it needs be."""
        self._switching_mode = True
        try:
            return super().switch_mode(mode)
        finally:
            self._switching_mode = False

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._switching_mode:  # the command palette's, as it closes, stays
            super().delay_update(delay)

    def go_mode(self, mode: str) -> None:
        """Switch to a top-level screen as it was left; its own key again goes to its home."""
        if self.current_mode == mode:
            while len(self.screen_stack) > 1 and not self.screen.is_modal:
                self.pop_screen()
            # A home that moved in place (the tree re-centred on "→ more below") goes back.
            home = getattr(self.screen, "show_home", None)
            if len(self.screen_stack) == 1 and home is not None:
                home()
            return
        self.switch_mode(mode)

    def action_attention(self) -> None:
        self.go_mode("attention")

    def action_referrals(self) -> None:
        self.go_mode("referrals")

    def open_referrals(self, centre: int | None = None) -> None:
        """The referral tree: every root referrer (its mode), or centred on one customer, over
        the screen it was asked from."""
        from tui_crm.ui.screens.referrals import ReferralTreeScreen

        if centre is None:
            self.go_mode("referrals")
            return
        screen = self.screen
        if isinstance(screen, ReferralTreeScreen) and screen.centre == centre:
            return
        self.push_screen(ReferralTreeScreen(self.today(), centre))

    def action_insights(self) -> None:
        self.go_mode("insights")

    def action_duplicates(self) -> None:
        self.go_mode("duplicates")

    def action_trash(self) -> None:
        self.go_mode("trash")

    def action_agenda(self) -> None:
        self.go_mode("agenda")

    def action_plans(self) -> None:
        """The plan editor over the screen you are on, read off the UI thread first."""
        from tui_crm.core.plans import read_plans
        from tui_crm.ui.screens.plans import PlanScreen

        screen = self.screen
        plans_here = getattr(screen, "action_plans", None)
        if plans_here is not None:  # the queue's own f7: it reads the queue again after
            plans_here()
            return

        def saved(result) -> None:
            if result is not None:
                self.notify(result.summary)
                refresh = getattr(self.screen, "refresh_after_write", None)
                if refresh is not None:
                    refresh()

        in_background(screen, read_plans, lambda plans: self.push_screen(PlanScreen(plans), saved))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # nothing to go back to at a top-level screen's home
            return len(self.screen_stack) > 1
        if action == "go_search":  # it closes the screens on the way: never unsaved work
            return not any(_holds_work(screen) for screen in self.screen_stack[1:])
        return True

    def action_back(self) -> None:
        """One step back inside the current top-level screen; nothing at its home."""
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_import_file(self) -> None:
        from tui_crm.ui.screens.interchange import ImportScreen

        if not isinstance(self.screen, ImportScreen):
            self.push_screen(ImportScreen())

    def action_go_search(self) -> None:
        """Back to Search, from anywhere, with the search field focused."""
        if self.current_mode != "search":
            self.switch_mode("search")
        while len(self.screen_stack) > 1:
            self.pop_screen()
        if isinstance(self.screen, SearchScreen):
            self.screen.action_focus_search()

    def search_typed(self, text: str) -> None:
        """Text typed on a list: it goes to the search field. On Search it carries on the
        query there; from anywhere else it starts a new search."""
        carry_on = self.current_mode == "search" and len(self.screen_stack) == 1
        self.action_go_search()
        screen = self.screen
        if isinstance(screen, SearchScreen):
            screen.type_into_query(text, carry_on=carry_on)

    def action_toggle_help(self) -> None:
        """Show (or close) the help over the current screen: its keys, then the app's, and on
        Search the query language. Not a priority key: `?` typed into a field stays a `?`."""
        from tui_crm.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(self.screen))

    def action_show_help_panel(self) -> None:
        """The palette's "Keys" command: the same help, not Textual's panel beside the screen."""
        from tui_crm.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_new_customer(self) -> None:
        from tui_crm.ui.screens.customer_form import CustomerFormScreen

        def saved(result) -> None:
            if result is None:
                return
            self.notify(result.summary)
            if result.merge_into is None:
                self.open_profile(result.id)
                return
            from tui_crm.ui.screens.duplicates import MergeScreen, result_summary

            def merged(outcome) -> None:
                if outcome is not None:
                    self.notify(result_summary(outcome, {}))
                    self.open_profile(outcome.survivor_id)
                else:  # the merge was cancelled: the new customer stays, as added
                    self.open_profile(result.id)

            self.push_screen(MergeScreen(result.merge_into, result.id), merged)

        self.push_screen(CustomerFormScreen(), saved)

    def edit_customer(self, customer_id: int, then=None, *, name: str | None = None) -> None:
        from tui_crm.ui.screens.customer_form import CustomerFormScreen

        def saved(result) -> None:
            if result is not None:
                self.notify(result.summary)
            if then is not None:
                then(result)

        self.push_screen(CustomerFormScreen(customer_id, name), saved)

    def open_profile(self, customer_id: int) -> None:
        from tui_crm.ui.screens.profile import ProfileScreen

        self.push_screen(ProfileScreen(customer_id))
