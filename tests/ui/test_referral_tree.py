"""The referral tree driven by keys: levels, thanks marks, profiles, centring, big and bad data."""

from __future__ import annotations

from textual.widgets import Static

from tests.ui.conftest import TODAY, settle
from tests.ui.test_palette_and_help import _palette
from tui_crm.core.bulk import bulk_load
from tui_crm.core.customers import log_interaction
from tui_crm.core.referrals import referral_forest
from tui_crm.db.models import Interaction
from tui_crm.db.store import store_of
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.referrals import (
    BATCH,
    DEPTH_LIMIT,
    Deeper,
    Elided,
    More,
    ReferralTree,
    ReferralTreeScreen,
)
from tui_crm.ui.screens.search import SearchScreen


async def _open_tree(pilot, key: str = "f3") -> ReferralTreeScreen:
    await settle(pilot)
    await pilot.press(key)
    await _loaded(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReferralTreeScreen)
    return screen


async def _loaded(pilot) -> None:
    for _ in range(100):  # the forest is read in a thread
        await settle(pilot)
        screen = pilot.app.screen
        if isinstance(screen, ReferralTreeScreen) and screen.forest is not None:
            break
        await pilot.pause(0.05)
    await settle(pilot)


def _tree(screen: ReferralTreeScreen) -> ReferralTree:
    return screen.query_one(ReferralTree)


def _lines(screen: ReferralTreeScreen) -> list[str]:
    """The visible lines of the tree as text, top down."""
    tree = _tree(screen)
    return [str(tree.get_node_at_line(n).label) for n in range(tree.last_line + 1)]


def _ids(nodes) -> list[int]:
    return [n.data.customer_id for n in nodes]


def _bulk(db, rows: list[tuple[int, str, int | None]]) -> None:
    """Insert (id, first name, referrer id) customers fast, as a large or damaged book would."""
    stamp = "2026-01-01 09:00:00"
    with bulk_load(db):
        store_of(db).executemany(
            "INSERT INTO customer (id, first_name, last_name, referred_by_id, acquired_on, "
            "created_at, updated_at) VALUES (?, ?, 'Test', ?, '2026-01-01', ?, ?)",
            [(cid, name, ref, stamp, stamp) for cid, name, ref in rows],
        )


async def test_f3_lists_the_root_referrers_by_value_with_what_they_brought(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_tree(pilot)
        forest = referral_forest(demo_app.db, TODAY)
        roots = forest.roots()
        assert _ids(_tree(screen).root.children) == [r.customer_id for r in roots]
        first = _lines(screen)[0]
        assert roots[0].name in first and f"({roots[0].descendant_count})" in first
        assert "not thanked" in str(screen.query_one("#tree-legend", Static).render())


async def test_space_expands_a_referrer_and_marks_the_unthanked_referrals(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_tree(pilot)
        forest = referral_forest(demo_app.db, TODAY)
        top = forest.roots()[0]
        await pilot.press("space")
        await settle(pilot)
        expected = forest.children(top.customer_id)
        shown = _tree(screen).root.children[0].children
        assert _ids(shown) == [c.customer_id for c in expected]
        for node, child in zip(shown, expected, strict=True):
            assert ("! not thanked" in str(node.label)) == (child.thanked is False)


async def test_ctrl_l_logs_a_thanks_from_the_referrer_naming_the_referral_and_the_mark_goes(
    demo_app,
):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_tree(pilot)
        forest = referral_forest(demo_app.db, TODAY)
        # The first root with an unthanked referral directly below it.
        root_index, root, child = next(
            (i, r, c)
            for i, r in enumerate(forest.roots())
            for c in forest.children(r.customer_id)
            if c.thanked is False
        )
        tree = _tree(screen)
        tree.move_cursor(tree.root.children[root_index])
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert not isinstance(demo_app.screen, LogInteractionScreen)  # a root has no referrer
        await pilot.press("space")
        await settle(pilot)
        row = next(n for n in tree.cursor_node.children if n.data.customer_id == child.customer_id)
        tree.move_cursor(row)
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, LogInteractionScreen)
        assert (dialog.customer_id, dialog.kind, dialog.regarding) == (
            root.customer_id,
            "thanks",
            child.customer_id,
        )
        await pilot.press(*"Sent a hamper", "ctrl+s")
        await _loaded(pilot)
        assert demo_app.screen is screen
        thanks = Interaction.get(
            Interaction.customer == root.customer_id, Interaction.notes == "Sent a hamper"
        )
        assert (thanks.kind, thanks.regarding_id) == ("thanks", child.customer_id)
        for _ in range(50):  # the marks are read again in a thread when the screen resumes
            label = str(tree.cursor_node.label)
            if "not thanked" not in label:
                break
            await pilot.pause(0.05)
            await settle(pilot)
        assert child.name in label and "not thanked" not in label


async def test_enter_opens_the_profile_r_there_centres_the_tree_and_f3_shows_all(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_tree(pilot)
        forest = referral_forest(demo_app.db, TODAY)
        # Someone two levels down: their root and referrer show above them when centred.
        deep = next(cid for cid in range(1, 200) if cid in forest and len(forest.path_to(cid)) == 3)
        top, referrer, _ = forest.path_to(deep)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.customer_id == forest.roots()[0].customer_id
        await pilot.press("escape")
        await settle(pilot)
        assert demo_app.screen is screen

        demo_app.open_profile(deep)
        await settle(pilot)
        centred = await _open_tree(pilot, "r")
        assert centred is not screen and centred.centre == deep
        tree = _tree(centred)
        assert tree.cursor_node.data.customer_id == deep
        assert _ids(tree.root.children) == [top]  # only the branch that leads to the centre
        assert tree.cursor_node.parent.data.customer_id == referrer
        assert forest.name_of(deep) in centred.sub_title
        await pilot.press("escape")  # back to the profile, and from there to all referrers
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        await pilot.press("r")
        await _loaded(pilot)
        assert demo_app.screen.centre == deep
        await pilot.press("f3")  # the tree's own key again: its home, every root referrer
        await _loaded(pilot)
        assert demo_app.screen is screen and screen.centre is None
        assert len(_tree(screen).root.children) == min(forest.root_count, BATCH)


async def test_palette_opens_the_referral_tree(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _palette(pilot, "Referral tree")
        await pilot.press("enter")
        await _loaded(pilot)
        tree_screen = demo_app.screen
        assert isinstance(tree_screen, ReferralTreeScreen) and tree_screen.centre is None
        await pilot.press("escape")  # the tree is its mode's home: Escape stays
        await settle(pilot)
        assert demo_app.screen is tree_screen
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)


async def test_an_empty_book_says_how_referrals_get_there(empty_app):
    async with empty_app.run_test(size=(80, 24)) as pilot:
        screen = await _open_tree(pilot)
        status = str(screen.query_one("#tree-status", Static).render())
        # Two paragraphs, as written (its line breaks were once drawn as ␤ marks).
        assert status.splitlines() == [
            "Nobody in the book was referred by another customer yet.",
            "",
            "Set “Referred by” on a customer's form (e on their profile) and the referral "
            "shows here.",
        ]
        assert not _tree(screen).display


async def test_a_referrer_of_five_thousand_shows_them_in_batches(empty_app):
    wide = 5_000
    _bulk(empty_app.db, [(1, "Hub", None)] + [(i, f"R{i:05d}", 1) for i in range(2, wide + 2)])
    log_interaction(empty_app.db, 1, kind="thanks", regarding=3)
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_tree(pilot)
        await pilot.press("space")
        await settle(pilot)
        hub = _tree(screen).root.children[0]
        assert len(hub.children) == BATCH + 1
        more = hub.children[-1]
        assert isinstance(more.data, More) and f"{wide - BATCH:,} more" in str(more.label)
        _tree(screen).move_cursor(more)
        await pilot.press("enter")
        await settle(pilot)
        assert len(hub.children) == 2 * BATCH + 1
        names = [str(n.label).split()[0] for n in hub.children[:-1]]
        assert names[:2] == ["R00002", "R00003"] and len(set(names)) == 2 * BATCH
        assert "not thanked" not in str(hub.children[1].label)  # R00003 was thanked for
        assert "not thanked" in str(hub.children[0].label)


async def test_a_chain_of_a_thousand_opens_centred_on_its_end_without_freezing(empty_app):
    depth = 1_000
    _bulk(empty_app.db, [(i, f"C{i:04d}", i - 1 if i > 1 else None) for i in range(1, depth + 2)])
    async with empty_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        empty_app.open_profile(depth + 1)
        await settle(pilot)
        centred = await _open_tree(pilot, "r")
        tree = _tree(centred)
        assert tree.cursor_node.data.customer_id == depth + 1
        top = tree.root.children[0]
        assert top.data.customer_id == 1
        elided = top.children[0]
        assert isinstance(elided.data, Elided) and "more levels" in str(elided.label)
        assert tree.last_line < 20  # the root, the gap, a few levels above the centre

        # From the top (f3: the tree of every root referrer), expanding level after level
        # stops at the depth limit and re-centres.
        screen = await _open_tree(pilot, "f3")
        assert screen is not centred and screen.centre is None
        tree = _tree(screen)
        for _ in range(DEPTH_LIMIT + 1):
            await pilot.press("right", "down")
            await settle(pilot)
        assert isinstance(tree.cursor_node.data, Deeper)
        deeper = tree.cursor_node.data.customer_id
        await pilot.press("enter")
        await _loaded(pilot)
        assert screen.centre == deeper
        assert tree.cursor_node.data.customer_id == deeper
        # f3 again: every root referrer, however the tree was moved in place.
        await pilot.press("f3")
        await _loaded(pilot)
        assert empty_app.screen is screen
        assert screen.centre is None and _ids(tree.root.children) == [1]


async def test_a_referral_loop_and_a_self_referral_neither_hang_nor_crash(empty_app):
    # 1 → 2 → 3 → 1 is a loop; 4 referred themselves; 5 was referred by 3.
    _bulk(empty_app.db, [(1, "Ann", None), (2, "Ben", 1), (3, "Cat", 2), (4, "Dan", None)])
    _bulk(empty_app.db, [(5, "Eve", 3)])
    # The app refuses loops and self-referrals; damaged or imported data may hold them.
    empty_app.db.execute_sql("UPDATE customer SET referred_by_id = 3 WHERE id = 1")
    empty_app.db.execute_sql("UPDATE customer SET referred_by_id = 4 WHERE id = 4")
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_tree(pilot)
        tree = _tree(screen)
        assert _ids(tree.root.children) == [1]
        assert "referral loop" in str(tree.root.children[0].label)
        for _ in range(4):
            await pilot.press("right", "down")
            await settle(pilot)
        lines = _lines(screen)
        assert [line.split()[0] for line in lines] == ["Ann", "Ben", "Cat", "Ann", "Eve"]
        assert "referral loop: shown above" in lines[3]
        assert not tree.get_node_at_line(3).allow_expand
