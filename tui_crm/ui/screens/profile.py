"""A customer's profile: who they are, how to reach them, what they are worth, recent contact."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.widgets.data_table import ColumnKey

from tui_crm.core.corrections import delete_interaction, delete_purchase
from tui_crm.core.customers import get_profile, trash_customer, update_customer
from tui_crm.core.types import CustomerProfile, CustomerRef, InteractionView, PurchaseView
from tui_crm.errors import CrmError
from tui_crm.ui.background import FollowsTheBook, in_background, when_read
from tui_crm.ui.format import ago, data, day, due, format_money, tier_text
from tui_crm.ui.keys import ListHoldsKeys
from tui_crm.ui.messages import ProfileLoaded
from tui_crm.ui.screens.actions import CustomerActions
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.dialog import show_message
from tui_crm.ui.screens.search import ResultsTable
from tui_crm.ui.screens.styled import StyledAsNeeded
from tui_crm.ui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from concurrent.futures import Future

GENDERS = {"f": "female", "m": "male", "x": "other", "": ""}


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    return grid


Column = tuple[str, int | None, str]  # title, width (None: what the others leave), key
NARROWEST = 12  # the wrapping column at its narrowest, however narrow the screen
TIMELINE: tuple[Column, ...] = (
    ("When", 16, "at"),
    ("Kind", 7, "kind"),
    ("Note", None, "note"),
    ("Follow-up", 10, "follow"),
)
PURCHASES: tuple[Column, ...] = (
    ("Date", 10, "day"),
    ("Amount", 14, "amount"),
    ("What", None, "what"),
    ("Invoice", 14, "invoice"),
)
HISTORY: tuple[Column, ...] = (
    ("When", 16, "at"),
    ("Who", 8, "who"),
    ("Field", 12, "field"),
    ("Change", None, "change"),
)


class TimelineTable(ResultsTable):
    """Interactions, purchases or changes; filled in again, the highlight stays on the row it
    was on (`ResultsTable.refill`). One column takes the width the others leave and its text
    wraps within its row, which grows to hold it: nothing is cut and nothing scrolls sideways.
    """

    def __init__(self, columns: tuple[Column, ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.spec = columns
        self._shown: list[tuple[str, tuple]] = []
        self._empty = ""

    def on_mount(self) -> None:
        for title, width, key in self.spec:
            self.add_column(title, width=width or self._rest(), key=key)

    def _rest(self) -> int:
        """The width the fixed columns leave for the wrapping one."""
        columns = self.spec
        fixed = sum(width or 0 for _, width, _ in columns) + 2 * self.cell_padding * len(columns)
        return max(NARROWEST, self.scrollable_content_region.width - fixed)

    def on_resize(self) -> None:
        # Rows measure their height once, as they are added: at a new width they are added
        # again, to wrap there.
        rest = self._rest()
        (wraps,) = (key for _, width, key in self.spec if width is None)
        column = self.columns[ColumnKey(wraps)]
        if column.width != rest or self._waiting:
            column.width = rest
            self.refill(self._shown, self._empty)

    _waiting = False  # rows given before the table had a width: added when it has one

    def refill(
        self, rows: Iterable[tuple[str, tuple]], empty: str = "", *, height: int | None = None
    ) -> None:
        self._shown, self._empty = list(rows), empty
        # Not laid out yet (a page filled while hidden): rows measured now would wrap at no
        # width, to be measured again at the real one.
        self._waiting = not self.size.width
        if not self._waiting:
            super().refill(self._shown, empty, height=height)


class ProfileScreen(FollowsTheBook, ListHoldsKeys, CustomerActions, StyledAsNeeded, Screen):
    BINDINGS = [
        Binding("escape", "app.back", "Back", id="profile.back"),
        Binding("e", "edit", "Edit", id="profile.edit"),
        Binding("l", "log", "Log call", id="profile.log"),
        Binding("b", "purchase", "Purchase", id="profile.purchase"),
        Binding("r", "referrals", "Referrals", id="profile.referrals"),
        Binding("x", "mark_lost", "Lost", id="profile.lost"),
        Binding("x", "reactivate", "Active again", id="profile.reactivate"),
        Binding("d", "trash", "Delete", id="profile.delete"),
        Binding("c", "correct", "Correct", id="profile.correct"),
        Binding("delete", "remove_entry", "Remove entry", key_display="del", id="profile.remove"),
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.profile: CustomerProfile | None = None
        # Keys typed as the profile opens ("Enter l" in one go) wait for it, to act on this
        # customer; a failed read lets them go too.
        self.hold_keys()
        # Read from the key that opens it, while the page is built (the read is mostly
        # SQLite's, which lets the building go on): by the time the page is, so is the read.
        self._reading: Future[CustomerProfile] | None = self._read()

    def compose(self) -> ComposeResult:
        yield Header()
        body = VerticalScroll(id="profile-body")
        # Not laid out or drawn until the profile is read (`release_keys`): drawn once,
        # filled, not first empty and then again (issue 18). Keys wait meanwhile.
        body.display = False
        with body:
            yield Static("Loading…", id="profile-title")
            yield Static("", id="profile-recent", classes="recent-contact")
            with Horizontal(id="profile-panels"):
                yield Static("", id="profile-contact", classes="panel")
                yield Static("", id="profile-value", classes="panel")
            yield Static("", id="profile-about", classes="panel")
            yield Static("Interactions, newest first", classes="section-title")
            yield TimelineTable(
                TIMELINE, id="profile-timeline", cursor_type="row", zebra_stripes=True
            )
            yield Static("Purchases, newest first", classes="section-title")
            yield TimelineTable(
                PURCHASES, id="profile-purchases", cursor_type="row", zebra_stripes=True
            )
            yield Static("Change history", classes="section-title")
            yield TimelineTable(
                HISTORY, id="profile-history", cursor_type="row", zebra_stripes=True
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load()

    def current_customer(self) -> CustomerRef | None:
        return CustomerRef(self.profile.id, self.profile.name) if self.profile else None

    def refresh_after_write(self) -> None:
        self.load()

    def _entry(self) -> InteractionView | PurchaseView | None:
        """The interaction or purchase highlighted in the focused list, if one is."""
        focused = self.focused
        if self.profile is None or not isinstance(focused, TimelineTable) or not focused.row_count:
            return None
        entries = {
            "profile-timeline": self.profile.interactions,
            "profile-purchases": self.profile.purchases,
        }.get(focused.id or "", ())
        key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value
        return next((entry for entry in entries if str(entry.id) == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("correct", "remove_entry"):
            return self._entry() is not None
        if action == "mark_lost":  # x: lost, or for a customer who is lost already …
            return self.profile is None or self.profile.status != "lost"
        if action == "reactivate":  # … active again
            return self.profile is not None and self.profile.status == "lost"
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # "Correct" and "Remove entry" belong to the entry lists

    def on_data_table_row_highlighted(self) -> None:
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: TimelineTable.RowSelected) -> None:
        if event.data_table.id in ("profile-timeline", "profile-purchases"):
            self.action_correct()

    def action_correct(self) -> None:
        """Correct the highlighted interaction or purchase in the dialog that logged it."""
        from tui_crm.ui.screens.corrections import CorrectInteractionScreen, CorrectPurchaseScreen

        entry = self._entry()
        if entry is None or self.profile is None:
            return
        screen = (
            CorrectInteractionScreen(self.customer_id, self.profile.name, entry)
            if isinstance(entry, InteractionView)
            else CorrectPurchaseScreen(self.customer_id, self.profile.name, entry)
        )
        self.app.push_screen(screen, self.after_dialog)

    def action_remove_entry(self) -> None:
        """Delete the highlighted interaction or purchase, after confirming (ctrl+z undoes)."""
        from tui_crm.ui.screens.corrections import interaction_said, purchase_said

        entry = self._entry()
        if entry is None:
            return
        if isinstance(entry, InteractionView):
            what, remove = interaction_said(entry), delete_interaction
            quoted = entry.notes.strip().splitlines()[0][:60] if entry.notes.strip() else ""
        else:
            what, remove = purchase_said(entry), delete_purchase
            quoted = entry.description
        question = f"Delete {what}" + (f" (“{quoted}”)" if quoted else "") + "?"

        def removed(_) -> None:
            self.app.notify(f"Deleted {what} (ctrl+z undoes it)")
            self.load()

        def answered(yes: bool | None) -> None:
            if yes:
                in_background(
                    self,
                    lambda db: remove(db, entry.id, expected_version=entry.version),
                    removed,
                    failed=lambda err: self.app.notify(str(err), severity="error", timeout=10),
                    group="profile-write",
                )

        self.app.push_screen(
            ConfirmScreen(
                f"{question}\nThe figures follow; ctrl+z brings it back.", "Delete", "Keep"
            ),
            answered,
        )

    def action_referrals(self) -> None:
        """The referral tree centred on this customer."""
        self.app.open_referrals(self.customer_id)

    def action_mark_lost(self) -> None:
        from tui_crm.ui.screens.lost import MarkLostScreen

        if self.profile is not None and self.profile.status != "lost":
            self.app.push_screen(MarkLostScreen(self.profile), self.after_dialog)

    def action_reactivate(self) -> None:
        """A lost customer came back: active again, after a yes."""
        if self.profile is None or self.profile.status != "lost":
            return

        def reactivate(yes: bool | None) -> None:
            if yes:
                self._write(
                    update_customer,
                    {"status": "active", "lost_reason": ""},
                    expected_version=self.profile.version,
                    done=f"{self.profile.name} is active again",
                )

        self.app.push_screen(
            ConfirmScreen(
                f"{self.profile.name} was lost: {self.profile.lost_reason}.\n"
                "Mark them active again?",
                "Reactivate",
                "Keep lost",
                destructive=False,
            ),
            reactivate,
        )

    def action_trash(self) -> None:
        if self.profile is None:
            return
        profile = self.profile

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(
                    trash_customer,
                    expected_version=profile.version,
                    done=f"Moved {profile.name} to the trash",
                    leave=True,
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Move {profile.name} to the trash?\nIt can be restored later.",
                "Move to trash",
                "Keep",
            ),
            answered,
        )

    def _write(self, function, *args, done: str, leave: bool = False, **kwargs) -> None:
        """Run a core write for this customer off the UI thread, then reload or leave."""

        def written(_) -> None:
            self.app.notify(done)
            if leave:
                self.dismiss()
            else:
                self.load()

        in_background(
            self,
            lambda db: function(db, self.customer_id, *args, **kwargs),
            written,
            failed=lambda err: self.app.notify(str(err), severity="error", timeout=10),
            group="profile-write",
        )

    def refresh_from_book(self) -> None:
        if self.profile is not None:
            self.load()  # something may have changed while another screen was on top

    LOAD_GROUP = "profile"

    def _read(self) -> Future[CustomerProfile]:
        """The profile read on the app's line, from now."""
        customer_id, today = self.customer_id, self.app.today()

        def read(db) -> CustomerProfile:
            profile = get_profile(db, customer_id, today)
            self.reading_book()  # after its own kept figures were written
            return profile

        return self.app.search_line.submit(read)

    def load(self) -> None:
        def answered(profile: CustomerProfile | None, error: CrmError | None) -> None:
            self.post_message(ProfileLoaded(profile, str(error) if error else None))

        # The first read began as the screen was made; any later one begins now.
        reading, self._reading = self._reading or self._read(), None
        when_read(self, reading, answered, group=self.LOAD_GROUP)

    def release_keys(self) -> None:
        body = self.query_one("#profile-body")
        if not body.display:  # the first answer (or the read failed): the page, shown once
            body.display = True
            if self.focused is None:
                self.set_focus(body)
        super().release_keys()

    def _say_recent(self, p: CustomerProfile) -> None:
        """Someone contacted them in the last days (config: double_contact_days): said under
        the name, before anyone calls or mails them again."""
        from datetime import datetime

        from tui_crm.core.config import settings
        from tui_crm.core.recent_contact import recent_contact, said

        now = datetime.now().replace(microsecond=0)
        found = recent_contact(p.interactions, now, settings().double_contact_days)
        show_message(
            self.query_one("#profile-recent", Static),
            said(found, self.app.user, now) if found else "",
        )

    def on_profile_loaded(self, message: ProfileLoaded) -> None:
        if message.profile is None:
            self.query_one("#profile-title", Static).update(data(message.error, "red"))
            self.release_keys()
            return
        self.profile = p = message.profile
        self.refresh_bindings()  # "Lost" only for a customer not lost already
        today = self.app.today()
        self.sub_title = p.name
        named = p.name != p.company  # a person: with their prefix and suffix (Dr. … PhD)
        title = data(
            " ".join(x for x in (p.prefix, p.name, p.suffix) if x) if named else p.name, "bold"
        )
        role = ", ".join(x for x in (p.job_title, p.company) if x)
        if role and p.name != p.company:
            title.append_text(data(f"  ·  {role}"))
        if p.nickname:
            title.append_text(data(f"  (“{p.nickname}”)", "italic"))
        if p.value.tier:
            title.append("  ")
            title.append_text(tier_text(p.value.tier))
        if p.shown_status != "active":  # lost as someone said, or lapsed as the purchases say
            title.append(f"  {p.shown_status.upper()}", style="bold red")
        if p.deleted_at:
            title.append("  IN TRASH", style="bold red")
        self.query_one("#profile-title", Static).update(title)
        self._say_recent(p)

        contact = _grid()
        for email in p.emails:
            contact.add_row(data(email.label), data(email.value))
        for phone in p.phones:
            number = data(phone.value)
            if not phone.verified:  # kept as typed: phonenumbers could not check it
                number.append(" (unverified)", style="dim italic")
            contact.add_row(data(phone.label), number)
        address = ", ".join(
            x for x in (p.street, f"{p.postal_code} {p.city}".strip(), p.region, p.country) if x
        )
        if address:
            contact.add_row("address", data(address))
        if p.birthday:
            contact.add_row("birthday", f"{p.birthday:%d %b %Y} (age {p.age(today)})")
        if p.gender:
            contact.add_row("gender", data(GENDERS.get(p.gender, p.gender)))
        if p.email_opt_out:
            contact.add_row("email", Text("opted out of email", style="bold red"))
        if not contact.row_count:
            contact.add_row("", "no contact details")
        self.query_one("#profile-contact", Static).update(contact)

        value = _grid()
        value.add_row("30 days", format_money(p.value.spent_30d))
        value.add_row("12 months", format_money(p.value.spent_12m))
        value.add_row("lifetime", format_money(p.value.lifetime))
        if p.value.rank and p.value.spent_12m > 0:
            value.add_row("rank", f"#{p.value.rank} by 12-month value")
        value.add_row("purchases", f"{p.purchase_count}, last {day(p.last_purchase_on)}")
        if p.lapse:  # why they count as lapsed: what the rule read, in numbers
            value.add_row("lapsed", data(p.lapse))
        value.add_row("last contact", f"{day(p.last_contact)} ({ago(p.last_contact, today)})")
        if p.next_follow_up:
            value.add_row(
                "follow-up", Text(f"{p.next_follow_up} ").append_text(due(p.next_follow_up, today))
            )
        self.query_one("#profile-value", Static).update(value)

        about = _grid()
        source = p.source or "—"
        if p.referred_by:
            source += f" (referred by {p.referred_by.name})"
        if p.acquired_on:
            source += f", since {p.acquired_on}"
        about.add_row("source", data(source))
        if p.referrals:
            about.add_row("referred", data(", ".join(r.name for r in p.referrals)))
        about.add_row("why us", data(p.why_chose_us or "—", multiline=True))
        about.add_row("category", data(p.category or "—"))
        about.add_row("plan", data(p.plan or "no touches", multiline=True))
        about.add_row("owner", data(" · ".join(x for x in (p.owner, p.territory) if x) or "—"))
        if p.status == "lost":
            about.add_row("lost", data(f"{p.lost_reason} ({day(p.lost_on)})", multiline=True))
        if p.tags:
            about.add_row("tags", data(", ".join(p.tags)))
        if p.notes:
            about.add_row("notes", data(p.notes, multiline=True))
        self.query_one("#profile-about", Static).update(about)

        self.query_one("#profile-timeline", TimelineTable).refill(
            (
                (
                    str(item.id),
                    (
                        day(item.at),
                        data(item.kind),
                        data(item.notes + (f" → {item.outcome}" if item.outcome else "")),
                        f"{item.follow_up} {item.follow_up_time}".strip() if item.follow_up else "",
                    ),
                )
                for item in p.interactions
            ),
            "no interactions yet",
        )
        self.query_one("#profile-purchases", TimelineTable).refill(
            (
                (
                    str(item.id),
                    (
                        day(item.day),
                        Text(format_money(item.cents, item.currency), justify="right"),
                        data(" · ".join(x for x in (item.description, item.category) if x)),
                        data(item.invoice_ref),
                    ),
                )
                for item in p.purchases
            ),
            "no purchases yet",
        )
        self.query_one("#profile-history", TimelineTable).refill(
            (
                (
                    f"{change.at}|{index}",
                    (day(change.at), data(change.who), data(change.field), data(_said(change))),
                )
                for index, change in enumerate(p.changes)
            )
        )
        self.release_keys()  # handled once this is shown


def _said(change) -> str:
    """A change as the history shows it."""
    if change.field == "created":
        return f"created as {change.new}"
    return f"{change.old or '—'} → {change.new or '—'}"
