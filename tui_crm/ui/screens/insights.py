"""Insights as of a date: gold and silver customers, spend by source, referrers, why-us, who
stopped buying, lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Static

from tui_crm.core.dates import parse_day
from tui_crm.core.display import printable
from tui_crm.core.insights import AnswerCounts, Insights, Tier, insights, share
from tui_crm.errors import CrmError
from tui_crm.ui.background import FollowsTheBook, when_read
from tui_crm.ui.format import data, format_money_short
from tui_crm.ui.keys import TypeToSearch
from tui_crm.ui.screens.styled import StyledAsNeeded
from tui_crm.ui.widgets.bar_chart import BarChart
from tui_crm.ui.widgets.bars import BarRow
from tui_crm.ui.widgets.compact import compact
from tui_crm.ui.widgets.footer import KeysFooter
from tui_crm.ui.widgets.row_list import Column, Row, RowList

if TYPE_CHECKING:
    from concurrent.futures import Future

WIDE = 120  # from this width, pairs of sections sit side by side
NAME_WIDTH = 28


def percent(fraction: float) -> str:
    return f"{fraction * 100:.1f} %"


def tier_columns(wide: bool) -> tuple[Column, ...]:
    """Gold's and silver's columns; side by side (wide), the name takes what the figures
    leave of half the width, else its own width."""
    return (
        Column("#", 5, "right"),
        Column("Customer", 0 if wide else NAME_WIDTH),
        Column("12 months", 11, "right"),
        Column("Share", 7, "right"),
    )


REFERRER_COLUMNS = (
    Column("Referrer", NAME_WIDTH),
    Column("Referred", 8, "right"),
    Column("Brought 12m", 11, "right"),
    Column("Lifetime", 11, "right"),
)


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class CustomerList(TypeToSearch, RowList):
    """A list of customers; Enter opens the profile, letters typed here search."""

    BINDINGS = [
        Binding("enter", "select", "Open", id="insights.open"),
    ]

    def __init__(self, columns: tuple[Column, ...], *, id: str) -> None:  # noqa: A002
        super().__init__(columns, id=id, zebra_stripes=False)

    def refill(self, rows: list[Row], placeholder: tuple[str, ...]) -> None:
        """Replace the rows, keeping the cursor on the row it was on.

        The figures are recomputed on coming back from a profile; the cursor should still
        be on the row the user left from. An empty list gets a placeholder row without a key.
        """
        self.replace(rows or [Row(None, placeholder)])

    # A list shows all its rows (at most `top`), so PageUp/PageDown are the page's: skipping
    # the list's own paging lets the keys reach the InsightsBody around it.
    def action_page(self, step: int) -> None:
        raise SkipAction()


class InsightsBody(VerticalScroll, can_focus=False):
    """The scrolling page; PageUp/PageDown scroll a screenful whatever has focus."""

    def action_page_down(self) -> None:
        self._page(+1)

    def action_page_up(self) -> None:
        self._page(-1)

    def _page(self, direction: int) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        target = self.scroll_y + direction * self.scrollable_content_region.height
        target = max(0, min(target, self.max_scroll_y))
        moved = target - self.scroll_y
        self.scroll_to(y=target, animate=False)
        self._focus_in_view(moved)

    def _focus_in_view(self, moved: float) -> None:
        """Keep the focus on what is shown: when the focused list or chart leaves the screen,
        the first one coming into view takes it (so Enter opens a customer the user can see).
        Where each will be is where it is now, `moved` lines up."""
        view = self.region

        def shown(widget: Widget) -> Region:
            return widget.region.translate((0, -int(moved)))

        focused = self.screen.focused
        if focused is not None and (
            isinstance(focused, Input) or view.contains_region(shown(focused))
        ):
            return  # a date being typed keeps the focus too
        candidates = [w for w in self.query("CustomerList, Chart") if w.focusable]
        in_view = [w for w in candidates if view.contains_region(shown(w))] or [
            w for w in candidates if view.overlaps(shown(w))
        ]
        if in_view:
            in_view[0].focus(scroll_visible=False)


class Chart(BarChart, can_focus=True):
    """A bar chart that takes focus, so tab brings it into view."""


class InsightsScreen(StyledAsNeeded, FollowsTheBook, Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="insights.back"),
        Binding("f7", "edit_as_of", "As of", id="insights.as-of"),
    ]

    @dataclass
    class Computed(Message):
        """The worker's figures (or its error) for one as-of day."""

        as_of: date
        insights: Insights | None
        error: str | None

    def __init__(self, as_of: date) -> None:
        super().__init__()
        self.as_of = as_of
        self.figures: Insights | None = None
        self.error: str | None = None  # why the last computation failed
        # Read from the key that opens the screen, while it is built.
        self._reading: Future[Insights] | None = self._read(as_of)

    def compose(self) -> ComposeResult:
        # Its width's class before its widgets are styled, not after (which styled them all
        # again): they are styled as they mount.
        self._set_width_class(update=False)
        yield Header()
        with InsightsBody(id="insights-body"):
            with Horizontal(id="insights-as-of-row"):
                yield Static("As of", id="insights-as-of-label")
                yield compact(
                    Input(
                        self.as_of.isoformat(),
                        id="insights-as-of",
                        select_on_focus=True,
                    )
                )
                yield Static("", id="insights-as-of-hint")
            yield Static("", id="insights-error")
            yield Static("Computing…", id="insights-summary")
            # Not laid out or drawn until the first figures are read: drawn once, filled.
            sections = Vertical(id="insights-sections")
            sections.display = False
            with sections:
                with Horizontal(classes="insights-pair"):
                    for tier in ("gold", "silver"):
                        with Vertical(classes="insights-section"):
                            yield Static(tier.title(), id=f"insights-{tier}-title", classes="title")
                            yield CustomerList(
                                tier_columns(self.has_class("wide")), id=f"insights-{tier}"
                            )
                with Vertical(classes="insights-section"):
                    yield Static(
                        "12-month spend by acquisition source",
                        id="insights-sources-title",
                        classes="title",
                    )
                    yield Chart(id="insights-sources", empty="no customers yet")
                with Vertical(classes="insights-section"):
                    yield Static("Top referrers", id="insights-referrers-title", classes="title")
                    yield CustomerList(REFERRER_COLUMNS, id="insights-referrers")
                with Horizontal(classes="insights-pair"):
                    with Vertical(classes="insights-section"):
                        yield Static("Why they chose us", id="insights-why-title", classes="title")
                        yield Chart(id="insights-why", label_last=True, max_bar=24)
                    with Vertical(classes="insights-section"):
                        yield Static("Lost reasons", id="insights-lost-title", classes="title")
                        yield Chart(id="insights-lost", label_last=True, max_bar=24)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Insights"
        field = self.query_one("#insights-as-of", Input)
        field.cursor_blink = self.app.cursor_blink
        self.query_one("#insights-error").display = False
        # Keys typed before the figures come go to the gold list (Enter, or letters that
        # search), not to the date; not scrolled to while hidden, so the page starts at its top.
        self.query_one("#insights-gold", CustomerList).focus(scroll_visible=False)
        self.compute(self.as_of)

    def on_resize(self) -> None:
        self._set_width_class()

    def _set_width_class(self, *, update: bool = True) -> None:
        wide = self.app.size.width >= WIDE
        if wide != self.has_class("wide") and update:
            for tier in ("gold", "silver"):
                self.query_one(f"#insights-{tier}", CustomerList).set_columns(tier_columns(wide))
        self.set_class(wide, "wide", update=update)

    def refresh_from_book(self) -> None:
        if self.figures is not None:  # back from a profile: something may have changed
            self.compute(self.as_of)

    # The as-of date

    def action_edit_as_of(self) -> None:
        self.query_one("#insights-as-of", Input).focus()

    @on(Input.Submitted, "#insights-as-of")
    def as_of_entered(self, event: Input.Submitted) -> None:
        try:
            day = parse_day(event.value, self.app.today())
        except CrmError as err:
            # The figures and the date stay as they were; the text stays so it can be fixed.
            self._show_error(str(err))
            return
        self._show_error(None)
        event.input.value = day.isoformat()
        if self.figures is None or self.figures.as_of != day or self.error:
            self.as_of = day
            self.error = None
            self.compute(day)
        self.query_one("#insights-gold", CustomerList).focus()

    def _show_error(self, error: str | None) -> None:
        status = self.query_one("#insights-error", Static)
        status.update(data(error))
        status.display = error is not None

    def _refresh_hint(self) -> None:
        if self.query_one("#insights-as-of", Input).has_focus:
            hint = "2026-06-30, -1m, -2w, yesterday, today · Esc cancels"
        elif self.error:
            hint = "f7, then Enter, tries again"
        elif self.figures is None or self.figures.as_of != self.as_of:
            hint = "computing…"
        else:
            hint = "f7 changes the date"
        self.query_one("#insights-as-of-hint", Static).update(hint)

    def on_descendant_focus(self) -> None:
        self._refresh_hint()

    def on_descendant_blur(self) -> None:
        self._refresh_hint()

    def action_back(self) -> None:
        field = self.query_one("#insights-as-of", Input)
        if field.has_focus:  # leave the date as it was
            field.value = self.as_of.isoformat()
            self._show_error(None)
            self.query_one("#insights-gold", CustomerList).focus()
            return
        self.app.action_back()

    # Opening customers

    @on(RowList.Selected)
    def row_selected(self, event: RowList.Selected) -> None:
        if event.key is not None:  # placeholder rows ("no gold customers") have no id
            self.app.open_profile(event.key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit_as_of":
            return not self.query_one("#insights-as-of", Input).has_focus
        if action == "back":  # leaves the date field, or goes back a step when there is one
            field = self.query_one("#insights-as-of", Input).has_focus
            return field or self.app.check_action(action, parameters)
        return True

    # Computing

    def _read(self, as_of: date) -> Future[Insights]:
        # Who stopped buying and the referrers are read meanwhile on the search's line, idle
        # while Insights is on top (a search typed meanwhile waits for them, some 50 ms).
        beside = self.app.search_line.submit

        def read(db) -> Insights:
            result = insights(db, as_of, beside=beside)
            self.reading_book()  # after its own kept figures were written
            return result

        return self.app.screen_line.submit(read)

    def compute(self, as_of: date) -> None:
        def answered(result: Insights | None, error: CrmError | None) -> None:
            said = f"Could not compute the insights: {error}" if error else None
            self.post_message(self.Computed(as_of, result, said))  # e.g. locked too long

        # The first read began as the screen was made; any later one begins now.
        reading, self._reading = self._reading or self._read(as_of), None
        when_read(self, reading, answered, group="insights")

    def on_insights_screen_computed(self, message: Computed) -> None:
        if message.as_of != self.as_of:
            return  # a date the user has since changed away from
        if message.insights is None:
            self.error = message.error
            self._refresh_hint()
            self.query_one("#insights-summary", Static).update(data(message.error, "bold red"))
            return
        self.error = None
        self.figures = result = message.insights
        self.sub_title = f"Insights as of {result.as_of.isoformat()}"
        self._refresh_hint()
        self.query_one("#insights-summary", Static).update(self._summary(result))
        self._fill_tier(result.gold)
        self._fill_tier(result.silver)
        self._fill_sources(result)
        self._fill_referrers(result)
        self._fill_answers("why", result.why, "Why they chose us", self._why_detail(result))
        self._fill_answers("lost", result.lost, "Lost reasons", self._lost_detail(result))
        self.query_one("#insights-sections").display = True
        # Its scrollbar drawn for the sections once they are laid out: on a busy machine its
        # refresh could come before the bar had its place, and it stayed as it was (empty)
        # until the next repaint (a switch to the screen used to repaint all, 50 ms later).
        self.call_after_refresh(self._scrollbar_drawn)

    def _scrollbar_drawn(self) -> None:
        body = self.query_one("#insights-body")
        if body.show_vertical_scrollbar:
            body.vertical_scrollbar.refresh()

    # Filling the sections

    def _summary(self, result: Insights) -> Text:
        if not result.customers:
            return Text(
                "No customers yet: add one with ctrl+n, or explore the demo book (tui-crm --demo).",
                style="italic",
            )
        text = Text()
        text.append(plural(result.customers, "customer"))
        text.append(f" · {result.buyers:,} bought in the 12 months to {result.as_of} · revenue ")
        text.append(format_money_short(result.total_12m), style="bold")
        # The customers status:lapsed finds: they stopped buying (the lost are counted below).
        text.append(f" · {result.lapsed:,} stopped buying (lapsed)")
        return text

    def _fill_tier(self, tier: Tier) -> None:
        title = Text(tier.name.title(), style="bold")
        detail = f"  {plural(tier.count, 'customer')}"
        if tier.count:
            detail += f" · {format_money_short(tier.spent_12m)} · {percent(tier.share)} of revenue"
        if tier.count > len(tier.members):
            detail += f" · top {len(tier.members)} shown"
        title.append(detail, style="not bold")
        self.query_one(f"#insights-{tier.name}-title", Static).update(title)
        self.query_one(f"#insights-{tier.name}", CustomerList).refill(
            [
                Row(
                    member.customer_id,
                    (
                        f"{member.rank:,}",
                        data(member.name),
                        format_money_short(member.spent_12m),
                        percent(member.share),
                    ),
                )
                for member in tier.members
            ],
            ("", f"no {tier.name} customers yet", "", ""),
        )

    def _fill_sources(self, result: Insights) -> None:
        money = [format_money_short(s.spent_12m) for s in result.sources]
        shares = [percent(s.share) for s in result.sources]
        counts = [plural(s.customers, "customer") for s in result.sources]
        widths = [max(map(len, column), default=0) for column in (money, shares, counts)]
        rows = [
            BarRow(
                printable(source.source),
                source.spent_12m,
                f"{m:>{widths[0]}}  {s:>{widths[1]}}  {c:>{widths[2]}}",
            )
            for source, m, s, c in zip(result.sources, money, shares, counts, strict=True)
        ]
        self.query_one("#insights-sources", Chart).set_rows(rows)

    def _fill_referrers(self, result: Insights) -> None:
        title = Text("Top referrers by value brought", style="bold")
        title.append(
            f"  {plural(result.referrer_count, 'customer')} referred someone", style="not bold"
        )
        self.query_one("#insights-referrers-title", Static).update(title)
        self.query_one("#insights-referrers", CustomerList).refill(
            [
                Row(
                    referrer.customer_id,
                    (
                        data(referrer.name),
                        f"{referrer.referrals:,}",
                        format_money_short(referrer.brought_12m),
                        format_money_short(referrer.brought_lifetime),
                    ),
                )
                for referrer in result.referrers
            ],
            ("no referrals yet", "", "", ""),
        )

    def _why_detail(self, result: Insights) -> str:
        why = result.why
        return f"{why.answered:,} of {plural(result.customers, 'customer')} answered"

    def _lost_detail(self, result: Insights) -> str:
        lost = result.lost
        detail = plural(lost.answered + lost.unanswered, "customer") + " lost"
        if lost.unanswered:
            detail += f", {lost.unanswered:,} without a reason"
        return detail

    def _fill_answers(self, key: str, counts: AnswerCounts, heading: str, detail: str) -> None:
        title = Text(heading, style="bold")
        shown = len(counts.answers)
        if counts.distinct > shown:
            detail += f" · top {shown} of {counts.distinct:,} answers"
        title.append(f"  {detail}", style="not bold")
        self.query_one(f"#insights-{key}-title", Static).update(title)
        width = max((len(f"{a.count:,}") for a in counts.answers), default=0)
        rows = [
            BarRow(
                printable(answer.text),
                answer.count,
                f"{answer.count:>{width},}  {percent(share(answer.count, counts.answered)):>7}",
            )
            for answer in counts.answers
        ]
        self.query_one(f"#insights-{key}", Chart).set_rows(rows, empty="no answers yet")
