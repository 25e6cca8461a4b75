"""Marking results and acting on them all (issue 19): space marks the customer under the cursor,
* every customer the query finds (not only the rows read), the marks stay through scrolling,
sorting and other queries; f9 asks what to do, says it with the count, and does it on ctrl+s
again; ctrl+z takes the whole action back."""

from __future__ import annotations

from tests.ui.conftest import joined, settle
from tui_crm.core.search import search
from tui_crm.ui.first_answer import WINDOW
from tui_crm.ui.screens.marked import MarkedActionScreen
from tui_crm.ui.screens.search import MARK


def _names_tagged(app, tag: str) -> set[str]:
    return {row.name for row in search(app.db, f"tag:{tag}", as_of=app.today(), limit=None)}


async def _query(pilot, text: str) -> None:
    await pilot.press(*text)
    await settle(pilot)


async def test_space_marks_and_moves_on_and_esc_unmarks_first(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        screen = demo_app.screen
        await _query(pilot, "city:oslo")
        await pilot.press("down", "space", "space")
        await settle(pilot)
        first, second = screen.rows[0], screen.rows[1]
        assert screen.marked == {first.id, second.id}
        assert screen.highlighted() is screen.rows[2]
        assert f"{MARK}{first.name}" in joined(demo_app)
        assert "2 marked (f9: act on them" in joined(demo_app)
        await pilot.press("up", "space")  # again: unmarked
        assert screen.marked == {first.id}
        await pilot.press("escape")
        assert screen.marked == set() and MARK not in joined(demo_app)
        assert screen.query_one("#query").value == "city:oslo"  # the query stays, this time


async def test_star_marks_every_customer_found_and_marks_outlive_other_queries(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        screen = demo_app.screen
        everyone = search(demo_app.db, "", as_of=demo_app.today(), limit=None)
        assert len(everyone) > WINDOW  # more than the rows read at first
        await pilot.press("down", "asterisk")
        await settle(pilot)
        assert screen.marked == {row.id for row in everyone}
        assert f"{len(everyone):,} marked" in joined(demo_app)
        await _query(pilot, "sort:-value")  # sorted otherwise: still marked
        assert screen.rows[0].id in screen.marked and MARK in joined(demo_app)
        await pilot.press("down", "asterisk")  # all of them marked already: unmarked
        await settle(pilot)
        assert screen.marked == set()


async def test_f9_tags_the_marked_customers_after_asking_and_ctrl_z_undoes_it(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        screen = demo_app.screen
        await _query(pilot, "city:oslo")
        await pilot.press("down", "space", "space", "space")
        await settle(pilot)
        marked = {row.name for row in screen.rows[:3]}
        await pilot.press("f9")
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, MarkedActionScreen)
        assert "3 customers marked" in joined(demo_app)
        await pilot.press(*"+fair -nothing", "ctrl+s")
        await settle(pilot)
        assert "Tags +fair -nothing on 3 customers: ctrl+s again to do it" in joined(demo_app)
        assert _names_tagged(demo_app, "fair") == set()  # asked, not done
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        assert _names_tagged(demo_app, "fair") == marked
        said = [n.message for n in demo_app._notifications]
        assert said[-1] == "tags +fair -nothing: changed 3 of the 3 customers marked"
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert _names_tagged(demo_app, "fair") == set()
        said = [n.message for n in demo_app._notifications]
        assert said[-1] == "Undid: tags +fair -nothing on 3 customers"


async def test_a_change_after_the_question_asks_again_and_bad_words_are_said(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "space", "f9")
        await settle(pilot)
        await pilot.press(*"vip", "ctrl+s")
        await settle(pilot)
        assert "a tag to add starts with +" in joined(demo_app)
        await pilot.press("home", "+", "ctrl+s")
        await settle(pilot)
        assert "Tags +vip on 1 customer: ctrl+s again" in joined(demo_app)
        await pilot.press("end", "x")  # changed after the question: asked again, not done
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Tags +vipx on 1 customer: ctrl+s again" in joined(demo_app)
        assert _names_tagged(demo_app, "vipx") == set()


async def test_one_interaction_is_logged_for_each_marked_customer(demo_app):
    from textual.widgets import Select

    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        screen = demo_app.screen
        await _query(pilot, "city:oslo")
        await pilot.press("down", "space", "space", "f9")
        await settle(pilot)
        demo_app.screen.query_one("#marked-action", Select).value = "log"
        await settle(pilot)
        assert demo_app.screen.query_one("#marked-kind").parent.display
        await pilot.press(*"Summer gift sent", "ctrl+s", "ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        found = {row.id for row in search(demo_app.db, "summer gift", as_of=demo_app.today())}
        assert found == screen.marked


async def test_the_marked_go_to_the_trash_and_ctrl_z_brings_them_all_back(demo_app):
    from textual.widgets import Select

    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        screen = demo_app.screen
        await _query(pilot, "city:oslo")
        found = len(screen.rows)
        await pilot.press("down", "space", "space", "f9")
        await settle(pilot)
        demo_app.screen.query_one("#marked-action", Select).value = "trash"
        await settle(pilot)
        assert not demo_app.screen.query_one("#marked-value").parent.display  # nothing to type
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Move 2 customers to the trash: ctrl+s again" in joined(demo_app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen and screen.marked == set()
        assert len(screen.rows) == found - 2
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert len(screen.rows) == found


async def test_the_marked_are_exported_to_a_file(demo_app, tmp_path):
    from textual.widgets import Input, Select

    target = tmp_path / "marked.csv"
    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        await _query(pilot, "city:oslo")
        await pilot.press("down", "space", "space", "f9")
        await settle(pilot)
        demo_app.screen.query_one("#marked-action", Select).value = "export"
        await settle(pilot)
        await pilot.press("ctrl+s")  # the export dialog asks the format and the file
        await settle(pilot)
        assert "Export the 2 customers marked" in joined(demo_app)
        demo_app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3  # the header and the two marked


async def test_the_marked_are_snoozed_until_a_day_then_marked_lost_and_active_again(demo_app):
    from datetime import timedelta

    from textual.widgets import Select

    from tui_crm.core.attention import reason_ids
    from tui_crm.db.models import Customer

    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        screen = demo_app.screen
        today = demo_app.today()
        await _query(pilot, "city:oslo")
        await pilot.press("down", "space", "space", "space", "f9")
        await settle(pilot)
        marked = set(screen.marked)
        action = demo_app.screen.query_one("#marked-action", Select)
        action.value = "snooze"
        await settle(pilot)
        await pilot.press(*"today", "ctrl+s")  # not after today: said, nothing asked
        await settle(pilot)
        assert "snooze until a day after" in joined(demo_app)
        demo_app.screen.query_one("#marked-value").value = "+3w"
        await pilot.press("ctrl+s")
        await settle(pilot)
        until = today + timedelta(weeks=3)
        assert f"Snooze 3 customers until {until:%a %-d %b}" in joined(demo_app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        assert not marked & set(reason_ids(demo_app.db, today, ["cadence", "gold_quiet"]))
        # The same three, lost; then active again.
        await pilot.press("f9")
        await settle(pilot)
        demo_app.screen.query_one("#marked-action", Select).value = "lost"
        await settle(pilot)
        await pilot.press("ctrl+s")  # no reason given: said
        await settle(pilot)
        assert "say what broke the deal" in joined(demo_app)
        await pilot.press(*"Moved away", "ctrl+s", "ctrl+s")
        await settle(pilot)
        rows = Customer.select().where(Customer.id.in_(marked))
        assert {(r.status, r.lost_reason) for r in rows} == {("lost", "Moved away")}
        await pilot.press("f9")
        await settle(pilot)
        demo_app.screen.query_one("#marked-action", Select).value = "active"
        await settle(pilot)
        assert not demo_app.screen.query_one("#marked-value").parent.display
        await pilot.press("ctrl+s", "ctrl+s")
        await settle(pilot)
        assert {r.status for r in Customer.select().where(Customer.id.in_(marked))} == {"active"}
