"""Insights on hand-built books: tiers and shares, spend by source, referrers, why-us and lost."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playhouse.test_utils import count_queries

from tests.builders import query_plan, recorded_statements
from tests.versions import current_version
from tui_crm.core.attention import ensure_rhythms, lapsed_ids
from tui_crm.core.customers import (
    add_purchase,
    create_customer,
    known_sources,
    trash_customer,
    update_customer,
)
from tui_crm.core.insights import NO_SOURCE, Answer, insights, lost_reasons, share
from tui_crm.core.search import search
from tui_crm.core.value import ensure_values
from tui_crm.db.store.values import LIVE_REFERRALS, LOST_REASONS_SQL, SOURCES_SQL, WHY_SQL

pytestmark = pytest.mark.both_engines

AS_OF = date(2026, 11, 18)
RECENT = AS_OF - timedelta(days=10)


def _customer(db, name: str, spent: int = 0, **fields) -> int:
    """A customer named `name` (first name) with one purchase of `spent` cents 10 days ago."""
    cid = create_customer(db, {"first_name": name, "last_name": "Test", **fields})
    if spent:
        add_purchase(db, cid, amount=spent, day=RECENT)
    return cid


def test_an_empty_book_has_no_figures_and_divides_by_nothing(db):
    result = insights(db, AS_OF)
    assert (result.customers, result.buyers, result.total_12m) == (0, 0, 0)
    assert (result.gold.count, result.gold.share, result.gold.members) == (0, 0.0, ())
    assert (result.silver.count, result.silver.spent_12m) == (0, 0)
    assert result.sources == () and result.referrers == () and result.referrer_count == 0
    assert (result.why.answers, result.why.answered, result.why.unanswered) == ((), 0, 0)
    assert result.lost.answers == ()
    assert result.as_of == AS_OF


def test_share_is_zero_without_a_positive_total():
    assert share(25, 100) == 0.25
    assert share(5, 0) == 0.0
    assert share(5, -10) == 0.0


def test_gold_and_silver_with_their_shares_of_revenue(db):
    # Ten customers, 100.00 of revenue in all: 1 gold (the top 10 %), 1 silver.
    spends = [4000, 2500, 1500, 1000, 500, 500, 0, 0, 0, 0]
    ids = [_customer(db, f"C{n}", cents) for n, cents in enumerate(spends)]
    result = insights(db, AS_OF)
    assert (result.customers, result.buyers, result.total_12m) == (10, 6, 10000)
    assert (result.gold.name, result.gold.count, result.gold.spent_12m) == ("gold", 1, 4000)
    assert result.gold.share == pytest.approx(0.40)
    [gold] = result.gold.members
    assert (gold.customer_id, gold.name, gold.rank, gold.spent_12m) == (ids[0], "C0 Test", 1, 4000)
    assert gold.share == pytest.approx(0.40)
    [silver] = result.silver.members
    assert (silver.customer_id, silver.rank, silver.spent_12m) == (ids[1], 2, 2500)
    assert silver.share == pytest.approx(0.25)
    assert (result.silver.count, result.silver.share) == (1, pytest.approx(0.25))


def test_ties_go_to_the_older_customer_and_lists_are_capped_by_top(db):
    # 20 customers: 2 gold, 2 silver. The 2nd and 3rd spend the same: the older one is gold.
    spends = [9000, 5000, 5000, 3000] + [100] * 16
    ids = [_customer(db, f"C{n:02d}", cents) for n, cents in enumerate(spends)]
    result = insights(db, AS_OF)
    assert [m.customer_id for m in result.gold.members] == [ids[0], ids[1]]
    assert [m.customer_id for m in result.silver.members] == [ids[2], ids[3]]
    assert [m.rank for m in result.silver.members] == [3, 4]
    assert result.total_12m == 9000 + 5000 + 5000 + 3000 + 1600
    assert result.gold.share == pytest.approx(14000 / 23600)
    assert result.silver.share == pytest.approx(8000 / 23600)
    capped = insights(db, AS_OF, top=1)
    assert [m.customer_id for m in capped.gold.members] == [ids[0]]
    assert capped.gold.count == 2  # the count and share are of the whole tier
    assert capped.gold.spent_12m == 14000


def test_customers_without_spend_count_but_earn_no_tier(db):
    ids = [_customer(db, f"C{n}") for n in range(9)]
    buyer = _customer(db, "Buyer", 700)
    result = insights(db, AS_OF)
    assert (result.customers, result.buyers, result.total_12m) == (10, 1, 700)
    assert [m.customer_id for m in result.gold.members] == [buyer]
    assert result.gold.share == 1.0
    assert result.silver.count == 0 and result.silver.members == ()
    assert buyer not in ids


def test_company_names_stand_in_for_people(db):
    cid = create_customer(db, {"company": "Nordlys AS"})
    add_purchase(db, cid, amount=1000, day=RECENT)
    assert insights(db, AS_OF).gold.members[0].name == "Nordlys AS"


def test_the_twelve_months_end_on_the_as_of_day(db):
    cid = _customer(db, "Anna")
    add_purchase(db, cid, amount=100, day=AS_OF)
    add_purchase(db, cid, amount=200, day=date(2025, 11, 19))  # first day of the window
    add_purchase(db, cid, amount=400, day=date(2025, 11, 18))  # a year back: lifetime only
    add_purchase(db, cid, amount=800, day=AS_OF + timedelta(days=1))  # after as_of
    assert insights(db, AS_OF).total_12m == 300
    later = insights(db, AS_OF + timedelta(days=1))  # 2025-11-19 is a year back now
    assert (later.as_of, later.total_12m) == (AS_OF + timedelta(days=1), 100 + 800)


def test_spend_by_source_with_shares_and_no_source_as_none(db):
    _customer(db, "A", 3000, source="Website")
    _customer(db, "B", 1000, source="website ")  # the same source, typed differently
    _customer(db, "C", 0, source="website")
    _customer(db, "D", 5000, source="trade show")
    _customer(db, "E", 1000)
    _customer(db, "F", 0, source="cold call")
    _customer(db, "G", 0, source="cold call")
    _customer(db, "H", 0, source="walk-in")
    result = insights(db, AS_OF)
    assert result.total_12m == 10000
    got = [(s.source, s.customers, s.spent_12m, s.share) for s in result.sources]
    # Biggest spend first; sources nobody bought through follow, most customers first.
    assert got == [
        ("trade show", 1, 5000, 0.5),
        ("website", 3, 4000, 0.4),  # two of three typed it in lower case
        (NO_SOURCE, 1, 1000, 0.1),
        ("cold call", 2, 0, 0.0),
        ("walk-in", 1, 0, 0.0),
    ]
    assert sum(s.customers for s in result.sources) == result.customers


def test_refunds_lower_a_source_spend(db):
    cid = _customer(db, "A", 5000, source="website")
    add_purchase(db, cid, amount=-1000, day=RECENT)
    _customer(db, "B", 1000, source="fair")
    result = insights(db, AS_OF)
    assert [(s.source, s.spent_12m) for s in result.sources] == [("website", 4000), ("fair", 1000)]
    assert result.sources[0].share == pytest.approx(0.8)


def test_trashed_customers_are_left_out_everywhere(db):
    keep = _customer(db, "Keep", 1000, source="website", why_chose_us="Price")
    big = _customer(
        db,
        "Big",
        90000,
        source="fair",
        why_chose_us="Service",
        status="lost",
        lost_reason="Moved away",
        referred_by=keep,
    )
    friend = _customer(db, "Friend", 500, referred_by=big)
    before = insights(db, AS_OF)
    assert before.total_12m == 91500
    assert [m.customer_id for m in before.gold.members] == [big]
    assert before.referrer_count == 2

    trash_customer(db, big, expected_version=current_version(big))
    result = insights(db, AS_OF)
    assert (result.customers, result.total_12m) == (2, 1500)
    assert [m.customer_id for m in result.gold.members] == [keep]
    assert "fair" not in [s.source for s in result.sources]
    assert [a.text for a in result.why.answers] == ["Price"]
    assert result.lost.answers == () and result.lost.answered == 0
    # Big neither counts as Keep's referral nor as Friend's referrer any more.
    assert result.referrers == () and result.referrer_count == 0
    # Friend stays a customer of their own (no source) with their own spend.
    assert [(s.source, s.customers, s.spent_12m) for s in result.sources] == [
        ("website", 1, 1000),
        (NO_SOURCE, 1, 500),
    ]
    assert friend not in [m.customer_id for m in result.gold.members]


def test_read_beside_on_another_connection_the_figures_are_the_same(db):
    """Who stopped buying and the referrers, read on another line while this connection
    reads the rest, are the figures read here one after the other."""
    from tui_crm.core.book import BookLine, connection_of

    keep = _customer(db, "Keep", 1000, source="website", why_chose_us="Price")
    big = _customer(db, "Big", 90000, source="fair", referred_by=keep)
    _customer(db, "Friend", 500, referred_by=big)
    gone = _customer(db, "Gone")
    for days in (330, 320, 310):  # bought three times, silent for ten months since: lapsed
        add_purchase(db, gone, amount=700, day=AS_OF - timedelta(days=days))
    ensure_rhythms(db)
    line = BookLine(db)
    used: list[object] = []

    def beside(job):
        return line.submit(lambda book: (used.append(connection_of(book)), job(book))[1])

    try:
        read_beside = insights(db, AS_OF, beside=beside)
    finally:
        line.close()
    assert read_beside == insights(db, AS_OF)
    assert used and used[0] is not connection_of(db)  # another connection read them
    assert read_beside.referrer_count == 2
    assert read_beside.lapsed == 1 and lapsed_ids(db, AS_OF) == [gone]


def test_why_they_chose_us_is_grouped_ignoring_case_and_spacing(db):
    answers = [
        "Local company",
        "  local company ",
        "LOCAL   COMPANY",
        "Price",
        "price",
        "Öko-Strom",
        "ÖKO-STROM",
        "",
        "   ",
        "Service",
    ]
    for n, text in enumerate(answers):
        _customer(db, f"C{n}", why_chose_us=text)
    why = insights(db, AS_OF).why
    assert why.answers == (
        Answer("Local company", 3),  # a three-way tie of spellings: not the capitals
        Answer("Price", 2),
        Answer("Öko-Strom", 2),  # folded beyond ASCII
        Answer("Service", 1),
    )
    assert (why.answered, why.distinct, why.unanswered) == (8, 4, 2)
    top_two = insights(db, AS_OF, top=2).why
    assert [a.text for a in top_two.answers] == ["Local company", "Price"]
    assert (top_two.answered, top_two.distinct) == (8, 4)  # counts are of every answer


def test_the_most_common_spelling_names_the_group(db):
    for n, text in enumerate(["fast delivery", "Fast delivery", "fast delivery"]):
        _customer(db, f"C{n}", why_chose_us=text)
    assert insights(db, AS_OF).why.answers == (Answer("fast delivery", 3),)


def test_lost_reasons_count_only_customers_who_are_lost(db):
    for n, reason in enumerate(["Went with a competitor", "went with a competitor ", "Price"]):
        _customer(db, f"L{n}", status="lost", lost_reason=reason)
    back = _customer(db, "Back", status="lost", lost_reason="Price")
    update_customer(
        db, back, {"status": "active", "lost_reason": ""}, expected_version=current_version(back)
    )
    _stopped_buying(db, "Lapsed")  # lapsed, not lost: not counted
    _customer(db, "Active")
    result = insights(db, AS_OF)
    lost = result.lost
    assert lost.answers == (Answer("Went with a competitor", 2), Answer("Price", 1))
    assert (lost.answered, lost.distinct, lost.unanswered) == (3, 2, 0)
    assert result.lapsed == 1


def test_lost_reasons_differing_in_case_and_spaces_are_one_row_in_the_most_common_spelling(db):
    typed = ["price ", "PRICE", "Price", " Price", "pri  ce", "Too   far away", "too far away"]
    for n, reason in enumerate(typed):
        _customer(db, f"L{n}", status="lost", lost_reason=reason)
    lost = insights(db, AS_OF).lost
    # "pri  ce" is another word, not the same one spaced out.
    assert lost.answers == (Answer("Price", 4), Answer("Too far away", 2), Answer("pri ce", 1))
    assert (lost.answered, lost.distinct) == (7, 3)


def test_the_lost_reasons_to_suggest_are_the_insights_rows_most_given_first(db):
    for n, reason in enumerate(["moved away", "Price", "price", "PRICE ", "Moved away"]):
        _customer(db, f"L{n}", status="lost", lost_reason=reason)
    back = _customer(db, "Back", status="lost", lost_reason="Service")
    update_customer(db, back, {"status": "active"}, expected_version=current_version(back))
    trashed = _customer(db, "Trashed", status="lost", lost_reason="Gone bust")
    trash_customer(db, trashed, expected_version=current_version(trashed))
    assert lost_reasons(db) == ["Price", "Moved away"]
    assert lost_reasons(db) == [a.text for a in insights(db, AS_OF).lost.answers]


def _stopped_buying(db, name: str, **fields) -> int:
    """A customer who bought on three days a year and a half ago and nothing since."""
    cid = _customer(db, name, **fields)
    for days in (560, 550, 540):
        add_purchase(db, cid, amount=1000, day=AS_OF - timedelta(days=days))
    return cid


def test_who_stopped_buying_is_counted_as_status_lapsed_finds_them(db):
    """The count of lapsed customers is the lapsed rule's, as `status:lapsed` answers it: not
    the lost (they are lost), not those who buy again, not the trashed."""
    gone = [_stopped_buying(db, f"Gone{n}") for n in range(3)]
    _stopped_buying(db, "Lost", status="lost", lost_reason="Moved away")
    back = _stopped_buying(db, "Back")
    add_purchase(db, back, amount=1000, day=RECENT)
    trashed = _stopped_buying(db, "Trashed")
    trash_customer(db, trashed, expected_version=current_version(trashed))
    _customer(db, "Buying", 5000)
    result = insights(db, AS_OF)
    assert result.lapsed == 3
    found = search(db, "status:lapsed", as_of=AS_OF, limit=None)
    assert sorted(row.id for row in found) == sorted(gone)
    assert result.lapsed == len(lapsed_ids(db, AS_OF))
    # Before they went quiet, nobody had stopped buying.
    assert insights(db, AS_OF - timedelta(days=500)).lapsed == 0


def test_top_referrers_by_the_value_their_referrals_brought(db):
    anna = _customer(db, "Anna")
    dave = _customer(db, "Dave", 99999)  # their own spend is not value brought
    fay = _customer(db, "Fay")
    ivy = _customer(db, "Ivy")
    b = _customer(db, "B", 300, referred_by=anna)
    add_purchase(db, b, amount=1000, day=date(2024, 1, 1))  # lifetime only
    _customer(db, "C", 0, referred_by=anna)
    _customer(db, "E", 500, referred_by=dave)
    gone = _customer(db, "G", 800, referred_by=fay)
    trash_customer(db, gone, expected_version=current_version(gone))
    _customer(db, "J", 0, referred_by=ivy)
    result = insights(db, AS_OF)
    got = [
        (r.customer_id, r.name, r.referrals, r.brought_12m, r.brought_lifetime)
        for r in result.referrers
    ]
    assert got == [
        (dave, "Dave Test", 1, 500, 500),
        (anna, "Anna Test", 2, 300, 1300),
        (ivy, "Ivy Test", 1, 0, 0),  # referred someone who has not bought yet
    ]
    assert result.referrer_count == 3  # Fay's only referral is in the trash
    capped = insights(db, AS_OF, top=1)
    assert [r.customer_id for r in capped.referrers] == [dave]
    assert capped.referrer_count == 3


def test_referrers_tied_on_twelve_months_go_by_lifetime_then_count(db):
    x, y, z = (_customer(db, name) for name in ("X", "Y", "Z"))
    _customer(db, "X1", 500, referred_by=x)
    y1 = _customer(db, "Y1", 500, referred_by=y)
    add_purchase(db, y1, amount=700, day=date(2023, 5, 1))
    _customer(db, "Z1", 250, referred_by=z)
    _customer(db, "Z2", 250, referred_by=z)
    order = [r.customer_id for r in insights(db, AS_OF).referrers]
    assert order == [y, z, x]  # Y: more lifetime; Z: same as X but two referrals


def test_the_number_of_queries_does_not_grow_with_the_book(db):
    def queries() -> int:
        ensure_values(db, AS_OF)
        ensure_rhythms(db)
        with count_queries() as counter:
            insights(db, AS_OF)
        return counter.count

    referrer = _customer(db, "R", 100)
    _customer(db, "A", 100, referred_by=referrer, why_chose_us="Price")
    small = queries()
    for n in range(30):
        _customer(
            db,
            f"C{n}",
            100 * n,
            source=f"s{n % 4}",
            referred_by=referrer if n % 2 else None,
            why_chose_us=f"why {n}",
            status="lost" if n % 3 == 0 else "active",
            lost_reason=f"reason {n}" if n % 3 == 0 else "",
        )
    assert 0 < small <= 15  # five of them work out who stopped buying
    assert queries() == small


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("sql", "index"),
    [
        (WHY_SQL, "customer_why_chose_us"),
        (SOURCES_SQL, "customer_source"),
        (LOST_REASONS_SQL, "customer_lost"),
        (f"SELECT r.id, r.referred_by_id {LIVE_REFERRALS}", "customer_referred_live"),
    ],
)
def test_the_answers_are_counted_from_their_indexes_not_every_customer(db, sql, index):
    # Each read every customer (40-50 ms at 100 000 customers, on every visit).
    assert re.search(rf"USING (COVERING )?INDEX {index}\b", query_plan(db, sql))


@pytest.mark.sqlite_only
def test_the_sources_offered_on_the_form_are_read_from_their_index(db, monkeypatch):
    statements = recorded_statements(db, monkeypatch)
    known_sources(db)
    ((sql, params),) = statements
    assert "INDEX customer_source" in query_plan(db, sql, params)
