"""Customer value as of a day: spend windows, rank, and the gold/silver tiers."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from tests.versions import current_version
from tui_crm.core.customers import add_purchase, create_customer, trash_customer
from tui_crm.core.search import NO_TIERS_YET, search, why_none
from tui_crm.core.value import customer_value

pytestmark = pytest.mark.both_engines

AS_OF = date(2026, 11, 18)


def _customers(db, spends: list[int]) -> list[int]:
    """One customer per amount (cents); a purchase 10 days before AS_OF when the amount is > 0."""
    ids = []
    for n, cents in enumerate(spends):
        cid = create_customer(db, {"first_name": f"C{n:03d}", "last_name": "Test"})
        if cents:
            add_purchase(db, cid, amount=cents, day=AS_OF - timedelta(days=10))
        ids.append(cid)
    return ids


def _tiers(db, ids: list[int], as_of: date = AS_OF) -> dict[int, str]:
    return {cid: customer_value(db, cid, as_of).tier for cid in ids}


def test_spend_windows_are_relative_to_the_as_of_day(db):
    cid = create_customer(db, {"first_name": "Anna"})
    purchases = {
        AS_OF: 100,  # the as-of day counts
        AS_OF - timedelta(days=29): 200,  # still within 30 days
        AS_OF - timedelta(days=30): 400,  # 31st day back: 12 months only
        date(2025, 11, 19): 800,  # first day of the 12-month window
        date(2025, 11, 18): 1600,  # one year back exactly: lifetime only
        date(2020, 1, 1): 3200,
        AS_OF + timedelta(days=1): 6400,  # after as_of: not counted at all
    }
    for day, cents in purchases.items():
        add_purchase(db, cid, amount=cents, day=day)
    value = customer_value(db, cid, AS_OF)
    assert value.spent_30d == 100 + 200
    assert value.spent_12m == 100 + 200 + 400 + 800
    assert value.lifetime == 100 + 200 + 400 + 800 + 1600 + 3200
    assert value.as_of == AS_OF
    later = customer_value(db, cid, AS_OF + timedelta(days=1))
    assert later.spent_30d == 100 + 6400  # the window moved: AS_OF - 29 days fell out
    assert later.spent_12m == 100 + 200 + 400 + 6400
    assert later.lifetime == sum(purchases.values())


@pytest.mark.parametrize("count", [1, 5, 9, 10, 11, 20, 21, 35])
def test_the_top_ten_percent_rounded_up_are_gold_and_the_next_ten_percent_silver(db, count):
    spends = [(n + 1) * 1000 for n in range(count)]
    ids = _customers(db, spends)
    tiers = _tiers(db, ids)
    by_spend = sorted(ids, key=lambda cid: -spends[ids.index(cid)])
    gold = math.ceil(count / 10)
    gold_or_silver = math.ceil(count * 2 / 10)
    assert [tiers[cid] for cid in by_spend] == (
        ["gold"] * gold + ["silver"] * (gold_or_silver - gold) + [""] * (count - gold_or_silver)
    )
    ranks = [customer_value(db, cid, AS_OF).rank for cid in by_spend]
    assert ranks == list(range(1, count + 1))


def test_customers_with_no_spend_are_never_gold_or_silver(db):
    ids = _customers(db, [0] * 8 + [5000, 0])
    tiers = _tiers(db, ids)
    assert tiers[ids[8]] == "gold"
    assert [tiers[cid] for cid in ids if cid != ids[8]] == [""] * 9
    nobody = _customers(db, [0] * 5)
    assert set(_tiers(db, nobody).values()) == {""}


def test_spend_only_after_the_as_of_day_earns_no_tier(db):
    ids = _customers(db, [0] * 10)
    add_purchase(db, ids[3], amount=99999, day=AS_OF + timedelta(days=1))
    assert _tiers(db, ids)[ids[3]] == ""
    assert _tiers(db, ids, AS_OF + timedelta(days=1))[ids[3]] == "gold"


def test_ties_are_broken_by_id_and_stay_the_same(db):
    ids = _customers(db, [5000] * 20)
    first = _tiers(db, ids)
    assert [first[cid] for cid in ids] == ["gold"] * 2 + ["silver"] * 2 + [""] * 16
    assert [customer_value(db, cid, AS_OF).rank for cid in ids] == list(range(1, 21))
    # Recomputed for another day with the same figures: the same customers keep their tiers.
    assert _tiers(db, ids, AS_OF + timedelta(days=1)) == first
    assert _tiers(db, ids) == first


def test_trashed_customers_are_not_counted(db):
    spends = [(n + 1) * 1000 for n in range(11)]
    ids = _customers(db, spends)
    assert list(_tiers(db, ids).values()).count("gold") == 2  # ceil(11 / 10)
    top = ids[-1]
    trash_customer(db, top, expected_version=current_version(top))
    live = ids[:-1]
    tiers = _tiers(db, live)
    assert list(tiers.values()).count("gold") == 1  # ceil(10 / 10)
    assert tiers[ids[-2]] == "gold"
    assert tiers[ids[-3]] == "silver"
    assert customer_value(db, top, AS_OF).tier == ""
    assert [r.id for r in search(db, "tier:gold", as_of=AS_OF)] == [ids[-2]]


def test_figures_refresh_after_a_new_purchase_on_the_same_day(db):
    ids = _customers(db, [1000 * (n + 1) for n in range(10)])
    newcomer = ids[0]
    before = customer_value(db, newcomer, AS_OF)
    assert (before.spent_12m, before.tier) == (1000, "")
    add_purchase(db, newcomer, amount=50000, day=AS_OF)
    after = customer_value(db, newcomer, AS_OF)
    assert (after.spent_30d, after.spent_12m, after.rank, after.tier) == (51000, 51000, 1, "gold")
    assert customer_value(db, ids[-1], AS_OF).tier == "silver"
    assert [r.id for r in search(db, "tier:gold", as_of=AS_OF)] == [newcomer]


def test_a_new_customer_changes_the_tier_counts(db):
    ids = _customers(db, [1000 * (n + 1) for n in range(10)])
    assert list(_tiers(db, ids).values()).count("gold") == 1
    ids.append(_customers(db, [500])[0])
    assert list(_tiers(db, ids).values()).count("gold") == 2  # 11 customers now


def test_no_gold_customer_in_a_book_without_purchases_says_why(db):
    # A book just imported: nobody has bought in 12 months, so nobody is gold or silver, and
    # `tier:gold` finding no one says so rather than looking like a mistyped query.
    ids = [create_customer(db, {"first_name": name}) for name in ("Ada", "Bo", "Cy")]
    assert search(db, "tier:gold", as_of=AS_OF) == []
    for text in ("tier:gold", "tier:silver,gold c", "tier:gold tier:silver"):
        assert why_none(db, text) == NO_TIERS_YET, text
    for text in ("tier:none zz", "-tier:gold zz", "tier:gold,none zz", "zz", "tier:"):
        assert why_none(db, text) == "", text
    add_purchase(db, ids[0], amount=10000, day=AS_OF - timedelta(days=3))
    assert [row.id for row in search(db, "tier:gold", as_of=AS_OF)] == [ids[0]]
    assert why_none(db, "tier:silver zz") == ""  # there are tiers now: the query found no one
