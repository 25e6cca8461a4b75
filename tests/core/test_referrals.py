"""The referral forest: thanked marks, loops, the trash, self-referrals, deep and wide books."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta

import pytest

from tests.versions import current_version
from tui_crm.core.bulk import bulk_load
from tui_crm.core.customers import (
    add_purchase,
    create_customer,
    log_interaction,
    trash_customer,
)
from tui_crm.core.referrals import referral_forest, referrals, render_tree
from tui_crm.db.store import store_of

pytestmark = pytest.mark.both_engines

AS_OF = date(2026, 11, 18)
RECENT = AS_OF - timedelta(days=10)  # inside every 12-month window used here


def _customer(db, first: str, *, cents: int = 0, referred_by: int | None = None, **values) -> int:
    cid = create_customer(
        db, {"first_name": first, "last_name": "Test", "referred_by": referred_by, **values}
    )
    if cents:
        add_purchase(db, cid, amount=cents, day=RECENT)
    return cid


def _refer(db, customer_id: int, referrer_id: int | None) -> None:
    """Set a referrer with raw SQL: the app refuses loops and self-referrals, bad data does not."""
    db.execute_sql(
        "UPDATE customer SET referred_by_id = ? WHERE id = ?", (referrer_id, customer_id)
    )


def _ids(nodes) -> list[int]:
    return [n.customer_id for n in nodes]


def _walk(forest) -> list[tuple[int, int]]:
    """Every (depth, customer id) place of the forest, top down, without recursion."""
    out: list[tuple[int, int]] = []
    stack = [(0, node) for node in reversed(forest.roots())]
    while stack:
        depth, node = stack.pop()
        out.append((depth, node.customer_id))
        if node.has_children:
            stack.extend((depth + 1, c) for c in reversed(forest.children(node.customer_id)))
    return out


def _bulk_customers(db, rows: list[tuple[int, str, int | None]], cents: int = 0) -> None:
    """Insert (id, first name, referrer id) rows fast, each with a purchase of `cents`."""
    stamp = "2026-01-01 09:00:00"
    store = store_of(db)
    with bulk_load(db):
        store.executemany(
            "INSERT INTO customer (id, first_name, last_name, referred_by_id, acquired_on, "
            "created_at, updated_at) VALUES (?, ?, 'Test', ?, '2026-01-01', ?, ?)",
            [(cid, name, ref, stamp, stamp) for cid, name, ref in rows],
        )
        if cents:
            store.executemany(
                "INSERT INTO purchase (customer_id, day, cents, currency, created_at) "
                "VALUES (?, ?, ?, 'USD', ?)",
                [(cid, RECENT.isoformat(), cents, stamp) for cid, _, _ in rows],
            )


# Thanked or not ------------------------------------------------------------------------


def test_a_referral_is_thanked_by_a_thanks_naming_it_or_a_later_thanks_naming_no_one(db):
    ada = _customer(db, "Ada")
    named = _customer(db, "Named", referred_by=ada, acquired_on="2026-03-01")
    covered = _customer(db, "Covered", referred_by=ada, acquired_on="2026-05-01")
    later = _customer(db, "Later", referred_by=ada, acquired_on="2026-06-01")
    called = _customer(db, "Called", referred_by=ada, acquired_on="2026-07-01")
    # A thanks naming a referral counts whenever it was logged, even before the referral day.
    log_interaction(db, ada, kind="thanks", regarding=named, at=datetime(2026, 2, 1, 10))
    # A thanks naming no one covers the referrals made on or before its day ...
    log_interaction(db, ada, kind="thanks", at=datetime(2026, 5, 1, 10))
    # ... so this one, a month after that thanks, is not covered; nor is one with only a call.
    log_interaction(db, ada, kind="call", notes="Thanks!", regarding=called)

    forest = referral_forest(db, AS_OF)
    thanked = {n.customer_id: n.thanked for n in forest.children(ada)}
    assert thanked == {named: True, covered: True, later: False, called: False}
    # The same rule as the SQL one the attention queue and the profile use.
    assert thanked == {r.referred_id: r.thanked for r in referrals(db)}
    assert forest.roots()[0].thanked is None  # a root was referred by no one
    assert forest.node(later).thanked is False


def test_a_thanks_before_the_referral_naming_no_one_does_not_count(db):
    ada = _customer(db, "Ada")
    log_interaction(db, ada, kind="thanks", at=datetime(2026, 3, 31, 18))
    bob = _customer(db, "Bob", referred_by=ada, acquired_on="2026-04-01")
    forest = referral_forest(db, AS_OF)
    assert forest.node(bob).thanked is False
    log_interaction(db, ada, kind="thanks", at=datetime(2026, 4, 1, 9))  # the same day counts
    forest.reload_thanks([ada])
    assert forest.node(bob).thanked is True
    assert forest.children(ada)[0].thanked is True


def test_without_acquired_on_the_referral_day_is_the_day_the_customer_was_added(db):
    ada = _customer(db, "Ada")
    log_interaction(db, ada, kind="thanks", at=datetime(2026, 4, 2, 9))
    early = create_customer(
        db, {"first_name": "Early", "referred_by": ada}, now=datetime(2026, 4, 1, 9)
    )
    late = create_customer(
        db, {"first_name": "Late", "referred_by": ada}, now=datetime(2026, 4, 3, 9)
    )
    forest = referral_forest(db, AS_OF)
    assert {n.customer_id: n.thanked for n in forest.children(ada)} == {early: True, late: False}


def test_the_thanked_marks_agree_with_the_sql_rule_on_the_demo_book(db):
    from tui_crm.core.demo import build_demo

    build_demo(db, customers=120, seed=7, today=AS_OF)
    forest = referral_forest(db, AS_OF)
    forest.preload()
    marks = {}
    for _, cid in _walk(forest):
        for child in forest.children(cid):
            marks[(cid, child.customer_id)] = child.thanked
    expected = {(r.referrer_id, r.referred_id): r.thanked for r in referrals(db)}
    assert marks == expected
    assert True in marks.values() and False in marks.values()


# Values and order ----------------------------------------------------------------------


def test_values_below_count_each_customer_once_and_children_go_by_value_then_name(db):
    root = _customer(db, "Root", cents=1_000)
    amy = _customer(db, "Amy", cents=100, referred_by=root)
    ben = _customer(db, "Ben", cents=200, referred_by=amy)
    cat = _customer(db, "Cat", cents=25, referred_by=amy)
    dan = _customer(db, "Dan", cents=325, referred_by=root)  # ties with Amy's 100 + 225
    eve = _customer(db, "Eve", referred_by=root)

    forest = referral_forest(db, AS_OF)
    [top] = forest.roots()
    assert (top.customer_id, top.own_12m_cents, top.below_12m_cents) == (root, 1_000, 650)
    assert (top.referred_count, top.descendant_count, top.has_children) == (3, 5, True)
    assert top.name == "Root Test"
    assert _ids(forest.children(root)) == [amy, dan, eve]  # 325, 325 (Amy before Dan), 0
    amy_node = forest.children(root)[0]
    assert (amy_node.below_12m_cents, amy_node.descendant_count) == (225, 2)
    assert amy_node.referrer_id == root
    assert _ids(forest.children(amy)) == [ben, cat]
    assert not forest.children(amy)[0].has_children
    assert forest.path_to(cat) == [root, amy, cat]
    assert len(forest) == 6


def test_roots_go_by_value_then_name_and_pages_agree_with_the_whole_list(db):
    for name in ("Zoe", "Al", "Mo", "Bea", "Cy"):
        cid = _customer(db, name)
        _customer(db, f"{name}'s friend", referred_by=cid)
    rich = _customer(db, "Rich", cents=500)
    _customer(db, "Rich's friend", referred_by=rich)

    forest = referral_forest(db, AS_OF)
    pages = forest.roots(0, 2) + forest.roots(2, 2) + forest.roots(4, 2)
    names = [n.name.split()[0] for n in pages]
    assert names == ["Rich", "Al", "Bea", "Cy", "Mo", "Zoe"]
    assert _ids(pages) == _ids(referral_forest(db, AS_OF).roots())
    assert forest.roots(6, 2) == []


def test_tier_and_twelve_month_value_come_from_the_value_summary(db):
    big = _customer(db, "Big", cents=10_000)
    small = _customer(db, "Small", cents=60, referred_by=big)
    add_purchase(db, small, amount=5_000, day=AS_OF - timedelta(days=400))  # outside 12 months
    for n in range(8):
        _customer(db, f"Other{n}", cents=50)
    forest = referral_forest(db, AS_OF)
    [root] = forest.roots()
    assert (root.tier, root.own_12m_cents, root.below_12m_cents) == ("gold", 10_000, 60)
    assert forest.children(big)[0].tier == "silver"


def test_an_empty_book_and_one_without_referrals_have_no_roots(db):
    forest = referral_forest(db, AS_OF)
    assert (forest.roots(), len(forest), render_tree(forest)) == ([], 0, [])
    lone = _customer(db, "Lone")
    forest = referral_forest(db, AS_OF)
    assert forest.roots() == [] and forest.path_to(lone) == [] and forest.node(lone) is None
    assert forest.name_of(lone) == "Lone Test"


# Bad data ------------------------------------------------------------------------------


def test_a_two_customer_loop_shows_once_from_its_lowest_id_and_closes_as_a_leaf(db):
    ann = _customer(db, "Ann", cents=100)
    bob = _customer(db, "Bob", cents=200, referred_by=ann)
    _refer(db, ann, bob)

    forest = referral_forest(db, AS_OF)
    [entry] = forest.roots()
    assert (entry.customer_id, entry.in_loop, entry.cycle, entry.thanked) == (
        ann,
        True,
        False,
        None,
    )
    assert (entry.below_12m_cents, entry.descendant_count) == (200, 1)  # Ann is not below Ann
    [b] = forest.children(ann)
    assert (b.customer_id, b.in_loop, b.cycle, b.has_children) == (bob, True, False, True)
    [closing] = forest.children(bob)
    assert (closing.customer_id, closing.cycle, closing.has_children) == (ann, True, False)
    assert closing.thanked is False  # Bob referred Ann and never thanked
    assert forest.referrer_of(ann) == bob
    assert forest.path_to(bob) == [ann, bob]
    assert forest.path_to(ann) == [ann]
    assert _walk(forest) == [(0, ann), (1, bob), (2, ann)]
    lines = render_tree(forest)
    assert len(lines) == 3 and "referral loop" in lines[0] and "already shown" in lines[2]


def test_a_three_customer_loop_with_a_customer_hanging_below_it(db):
    a = _customer(db, "A", cents=1)
    b = _customer(db, "B", cents=10, referred_by=a)
    c = _customer(db, "C", cents=100, referred_by=b)
    tail = _customer(db, "Tail", cents=1_000, referred_by=b)
    _refer(db, a, c)

    forest = referral_forest(db, AS_OF)
    assert _ids(forest.roots()) == [a]
    assert _walk(forest) == [(0, a), (1, b), (2, tail), (2, c), (3, a)]
    values = {n.customer_id: n.below_12m_cents for n in forest.children(b)}
    assert values == {tail: 0, c: 0}  # the loop closes on A without counting A again
    assert forest.roots()[0].below_12m_cents == 1_110
    assert forest.roots()[0].descendant_count == 3
    assert forest.path_to(tail) == [a, b, tail]
    assert not forest.node(tail).in_loop and forest.node(c).in_loop


def test_a_loop_cut_out_of_a_roots_tree_leaves_the_root_and_shows_the_loop(db):
    root = _customer(db, "Root")
    x = _customer(db, "X", cents=5, referred_by=root)
    y = _customer(db, "Y", cents=7, referred_by=x)
    z = _customer(db, "Z", referred_by=root)
    _refer(db, x, y)  # X now says Y referred them: X and Y refer each other, below no root

    forest = referral_forest(db, AS_OF)
    assert sorted(_ids(forest.roots())) == sorted([root, x])
    assert _ids(forest.children(root)) == [z]
    assert forest.node(root).below_12m_cents == 0
    assert _walk(forest).count((0, x)) == 1
    assert forest.path_to(y) == [x, y]


def test_a_referrer_in_the_trash_makes_its_referrals_roots(db):
    gone = _customer(db, "Gone", cents=1_000)
    mid = _customer(db, "Mid", cents=10, referred_by=gone)
    leaf = _customer(db, "Leaf", cents=1, referred_by=mid)
    lonely = _customer(db, "Lonely", referred_by=gone)
    trash_customer(db, gone, expected_version=current_version(gone))

    forest = referral_forest(db, AS_OF)
    assert _ids(forest.roots()) == [mid]
    assert gone not in forest and lonely not in forest  # Lonely referred no one
    assert forest.roots()[0].below_12m_cents == 1
    assert forest.path_to(leaf) == [mid, leaf]
    assert forest.node(mid).thanked is None
    assert all("Gone" not in line for line in render_tree(forest))


def test_a_referred_customer_in_the_trash_is_not_below_anyone(db):
    ref = _customer(db, "Ref")
    kept = _customer(db, "Kept", cents=3, referred_by=ref)
    gone = _customer(db, "Gone", cents=400, referred_by=ref)
    _customer(db, "Below gone", cents=50_000, referred_by=gone)
    trash_customer(db, gone, expected_version=current_version(gone))

    forest = referral_forest(db, AS_OF)
    assert _ids(forest.children(ref)) == [kept]
    assert forest.node(ref).below_12m_cents == 3
    assert gone not in forest


def test_a_self_referral_is_ignored(db):
    me = _customer(db, "Me", cents=10)
    _refer(db, me, me)
    assert referral_forest(db, AS_OF).roots() == []
    friend = _customer(db, "Friend", cents=20, referred_by=me)

    forest = referral_forest(db, AS_OF)
    [root] = forest.roots()
    assert (root.customer_id, root.in_loop, root.below_12m_cents) == (me, False, 20)
    assert forest.path_to(friend) == [me, friend]
    assert _walk(forest) == [(0, me), (1, friend)]


# Deep and wide -------------------------------------------------------------------------


def test_a_chain_of_a_thousand_builds_and_walks_without_recursion(db):
    depth = 1_000
    _bulk_customers(
        db, [(i, f"C{i:04d}", i - 1 if i > 1 else None) for i in range(1, depth + 2)], 100
    )
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # far below the chain: anything recursive would fail
    try:
        forest = referral_forest(db, AS_OF)
        [top] = forest.roots()
        path = forest.path_to(depth + 1)
        lines = render_tree(forest)
    finally:
        sys.setrecursionlimit(limit)
    assert (top.customer_id, top.below_12m_cents, top.descendant_count) == (1, 100 * depth, depth)
    assert path == list(range(1, depth + 2))
    assert len(lines) == depth + 1
    assert lines[-1].startswith("  " * depth + "C1001 Test #1001")
    assert forest.node(500).below_12m_cents == 100 * (depth + 1 - 500)


def test_a_chain_of_a_thousand_closed_into_a_loop_terminates(db):
    depth = 1_000
    _bulk_customers(
        db, [(i, f"C{i:04d}", i - 1 if i > 1 else None) for i in range(1, depth + 1)], 1
    )
    _refer(db, 1, depth)
    forest = referral_forest(db, AS_OF)
    [entry] = forest.roots()
    assert (entry.customer_id, entry.in_loop, entry.below_12m_cents) == (1, True, depth - 1)
    assert forest.path_to(depth) == list(range(1, depth + 1))
    assert forest.children(depth)[0].cycle
    assert len(render_tree(forest)) == depth + 1


def test_a_referrer_of_five_thousand_pages_its_children(db):
    wide = 5_000
    rows = [(1, "Hub", None)] + [(i, f"R{i:05d}", 1) for i in range(2, wide + 2)]
    _bulk_customers(db, rows)
    add_purchase(db, 4_321, amount=999, day=RECENT)
    log_interaction(db, 1, kind="thanks", regarding=77)

    forest = referral_forest(db, AS_OF)
    [hub] = forest.roots()
    assert (hub.referred_count, hub.descendant_count, hub.below_12m_cents) == (wide, wide, 999)
    assert forest.child_count(1) == wide
    first = forest.children(1, 0, 200)
    assert len(first) == 200 and first[0].customer_id == 4_321  # the one with value first
    assert _ids(first[1:4]) == [2, 3, 4]  # then by name
    pages = [forest.children(1, offset, 200) for offset in range(0, wide, 200)]
    seen = [n.customer_id for page in pages for n in page]
    assert sorted(seen) == list(range(2, wide + 2))
    thanked = [n.customer_id for page in pages for n in page if n.thanked]
    assert thanked == [77]


@pytest.mark.parametrize("centre", [None, "ada", "bob", "cy"])
def test_render_tree_indents_and_marks_and_centres_on_a_customer(db, centre):
    ada = _customer(db, "Ada", cents=120_000)
    bob = _customer(db, "Bob", cents=3_450, referred_by=ada)
    _customer(db, "Cy", referred_by=bob)
    log_interaction(db, ada, kind="thanks", regarding=bob)
    cy = 3
    ids = {None: None, "ada": ada, "bob": bob, "cy": cy}
    lines = render_tree(referral_forest(db, AS_OF), ids[centre])
    # Centred or not, the whole chain shows: the way down to the centre and all below it.
    assert lines == [
        f"Ada Test #{ada}  gold  own 1,200.00  below 34.50 (2)",
        f"  Bob Test #{bob}  own 34.50  below 0.00 (1)",
        f"    Cy Test #{cy}  own 0.00  below 0.00 (0)  (not thanked)",
    ]


def test_render_tree_centred_shows_only_the_centres_branch(db):
    ada = _customer(db, "Ada", cents=500)
    bob = _customer(db, "Bob", referred_by=ada)
    _customer(db, "Cy", referred_by=ada)
    dee = _customer(db, "Dee", referred_by=bob)
    lines = render_tree(referral_forest(db, AS_OF), bob)
    assert [line.split(" #")[0] for line in lines] == ["Ada Test", "  Bob Test", "    Dee Test"]
    assert render_tree(referral_forest(db, AS_OF), dee)[-1].startswith("    Dee Test")
    loner = _customer(db, "Lone")
    assert render_tree(referral_forest(db, AS_OF), loner) == []
