"""The needs-attention queue, pinned with hand-built histories: every reason, the purchase
rhythm rule, snoozing, done, the ranking, and the first items of a long queue."""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, time, timedelta

import pytest

from tests.builders import category
from tests.versions import current_version
from tui_crm.core.attention import (
    REASONS,
    WHITESPACE,
    AttentionPage,
    attention_page,
    attention_queue,
    attention_ranking,
    attention_state,
    book_gap,
    ensure_rhythms,
    lapse_limit,
    lapse_of,
    lapsed_ids,
    mark_done,
    reason_ids,
    rhythm,
    snooze,
    still_buying,
    usual_gap,
)
from tui_crm.core.customers import (
    add_purchase,
    create_customer,
    log_interaction,
    trash_customer,
    update_customer,
)
from tui_crm.core.plans import Touch, parse_plan, plan_for, set_plan
from tui_crm.errors import CrmError, ValidationError

pytestmark = pytest.mark.both_engines

TODAY = date(2026, 11, 20)
LONG_AGO = datetime(2024, 1, 2, 9, 0)  # customers are added then unless a test says otherwise


def _days_ago(n: int, hour: int = 10) -> datetime:
    return datetime.combine(TODAY - timedelta(days=n), time(hour))


def _customer(db, first: str, last: str = "Test", *, added: datetime = LONG_AGO, **values) -> int:
    fields = {"first_name": first, "last_name": last, "source": "website", "why_chose_us": "price"}
    fields.update(values)
    return create_customer(db, fields, now=added)


def _call(db, cid: int, days_ago: int, **kwargs) -> None:
    at = _days_ago(days_ago)
    log_interaction(db, cid, notes=kwargs.pop("notes", "talked"), at=at, now=at, **kwargs)


def _buy_every(db, cid: int, gap: int, count: int, last_days_ago: int, cents: int = 10000):
    for n in range(count):
        day = TODAY - timedelta(days=last_days_ago + n * gap)
        add_purchase(db, cid, amount=cents, day=day, now=datetime.combine(day, time(12)))


def _reasons(db, as_of: date = TODAY, **kwargs) -> dict[int, dict[str, str]]:
    """customer id → {reason code: text}"""
    return {
        item.customer_id: {r.code: r.text for r in item.reasons}
        for item in attention_queue(db, as_of, **kwargs)
    }


def _codes(db, cid: int, as_of: date = TODAY) -> set[str]:
    return set(_reasons(db, as_of).get(cid, {}))


# -- the purchase rhythm and "stopped buying" ----------------------------------------------------
#
# The rule (core/attention.py): a customer who bought on n days over a span of t days and has
# been silent for s days still buys with a chance of (t + g) / (t + g + s), g their usual gap
# shrunk toward the book's; lapsed below 1 in 6. The book's usual gap is the median of every
# repeat buyer's gaps, so these tests put each customer in a book of monthly buyers.


def _monthly_book(db, buyers: int = 4) -> list[int]:
    """A book whose usual gap between purchase days is 30 days (bought this week)."""
    ids = [_customer(db, f"Regular{n}") for n in range(buyers)]
    for cid in ids:
        _buy_every(db, cid, gap=30, count=12, last_days_ago=3)
        _call(db, cid, 3)
    return ids


def _lapsed_text(db, cid: int, as_of: date = TODAY) -> str | None:
    return _reasons(db, as_of, reasons=["lapsed"]).get(cid, {}).get("lapsed")


def test_rhythm_needs_two_purchase_days():
    assert rhythm([]) is None
    assert rhythm([date(2026, 1, 1)] * 5) is None  # one day, however many orders
    kept = rhythm([date(2026, 2, 1), date(2026, 1, 1), date(2026, 2, 1)])
    assert (kept.purchases, kept.span) == (2, 31)


def test_the_chance_of_still_buying_falls_with_silence_measured_in_their_buying_life():
    # Bought on 4 days over 9 days, in a book whose usual gap is 30 days: their usual gap is
    # (9 + 2 × 30) / (3 + 2) = 13.8 days, so they have been a customer for about 22.8 days.
    assert usual_gap(4, 9, 30.0) == pytest.approx(13.8)
    assert still_buying(4, 9, 0, 30.0) == 1.0
    assert still_buying(4, 9, 77, 30.0) == pytest.approx(22.8 / 99.8)
    assert lapse_limit(4, 9, 30.0) == pytest.approx(5 * 22.8)  # chance 1 in 6 from here
    # A customer of two years may be silent far longer for the same chance.
    assert still_buying(13, 730, 77, 30.0) > 0.9


def test_a_burst_of_orders_then_silence_is_not_called_lapsed_too_soon(db):
    """The burst buyer of issue 16: four orders in nine days say little about their rhythm."""
    _monthly_book(db)
    cid = _customer(db, "Burst")
    for days_ago in (86, 83, 80, 77):
        add_purchase(db, cid, amount=2000, day=TODAY - timedelta(days=days_ago))
    assert _lapsed_text(db, cid) is None  # the old rule: "buys about every 3 days; 77 days"
    later = TODAY + timedelta(days=40)
    assert _lapsed_text(db, cid, later) == (
        "bought on 4 days within 9 days; nothing for 4 months — probably gone "
        "(1 in 6 chance still buying)"
    )


def test_a_twice_a_year_buyer_silent_for_a_year_has_not_lapsed(db):
    _monthly_book(db)
    cid = _customer(db, "Seasonal")
    _buy_every(db, cid, gap=182, count=5, last_days_ago=365)
    assert _lapsed_text(db, cid) is None
    assert still_buying(5, 4 * 182, 365, 30.0) > 0.6


def test_a_monthly_buyer_who_stopped_early_has_lapsed(db):
    _monthly_book(db)
    cid = _customer(db, "Tried")
    _buy_every(db, cid, gap=30, count=4, last_days_ago=650)  # lapsed after 5 × 120 days
    _call(db, cid, 660)  # before they lapsed (a call after it would answer it)
    assert _lapsed_text(db, cid) == (
        "bought on 4 days over 3 months, about every 4 weeks; nothing for 21 months — "
        "probably gone (1 in 6 chance still buying)"
    )


def test_a_long_standing_monthly_buyer_gets_a_longer_silence(db):
    _monthly_book(db)
    short = _customer(db, "Short")
    long = _customer(db, "Long")
    _buy_every(db, short, gap=30, count=3, last_days_ago=500)
    _buy_every(db, long, gap=30, count=25, last_days_ago=500)
    assert _lapsed_text(db, short) is not None
    assert _lapsed_text(db, long) is None


def test_the_limit_is_the_same_day_in_the_queue_and_in_python(db):
    _monthly_book(db)
    cid = _customer(db, "Edge")
    _buy_every(db, cid, gap=20, count=3, last_days_ago=0)
    limit = lapse_limit(3, 40, 30.0)  # 5 × (40 + 25) = 325 days
    assert limit == 325
    assert _lapsed_text(db, cid, TODAY + timedelta(days=325)) is None
    assert _lapsed_text(db, cid, TODAY + timedelta(days=326)) is not None


def test_a_customer_who_lapsed_and_came_back_is_not_lapsed(db):
    _monthly_book(db)
    cid = _customer(db, "Returning")
    _buy_every(db, cid, gap=30, count=3, last_days_ago=500)
    assert "lapsed" in _codes(db, cid)
    add_purchase(db, cid, amount=5000, day=TODAY - timedelta(days=10))
    assert "lapsed" not in _codes(db, cid)


def test_one_purchase_day_is_no_rhythm(db):
    _monthly_book(db)
    cid = _customer(db, "Once")
    for _ in range(3):
        add_purchase(db, cid, amount=1000, day=TODAY - timedelta(days=900))
    assert "lapsed" not in _codes(db, cid)


def test_a_call_after_they_lapsed_answers_it_until_another_cycle_passes(db):
    _monthly_book(db)
    cid = _customer(db, "Asked")
    _buy_every(db, cid, gap=30, count=3, last_days_ago=400)  # lapsed after 5 × 90 = 450 days
    assert "lapsed" not in _codes(db, cid)
    assert "lapsed" in _codes(db, cid, TODAY + timedelta(days=51))
    _call(db, cid, -60, notes="asked what went wrong: budget freeze until spring")
    assert "lapsed" not in _codes(db, cid, TODAY + timedelta(days=61))
    # Due again one cycle of theirs (span 60 + usual gap 30 = 90 days) after the call.
    assert "lapsed" not in _codes(db, cid, TODAY + timedelta(days=60 + 90))
    assert "lapsed" in _codes(db, cid, TODAY + timedelta(days=60 + 91))


def test_the_books_usual_gap_is_the_median_gap_and_kept_until_the_gaps_move(db):
    assert book_gap(db) == 30.0  # no repeat buyers yet
    ids = _monthly_book(db, buyers=2)  # 22 gaps of 30 days
    ensure_rhythms(db)
    assert book_gap(db) == 30.0
    weekly = _customer(db, "Weekly")
    _buy_every(db, weekly, gap=7, count=30, last_days_ago=1)  # 29 gaps of 7 days
    assert ensure_rhythms(db) == 7.0
    add_purchase(db, ids[0], amount=100, day=TODAY - timedelta(days=1))  # one more gap
    assert ensure_rhythms(db) == 7.0  # 52 gaps against 51: kept


def test_lost_customers_are_not_in_the_queue(db):
    cid = _customer(db, "Gone")
    _buy_every(db, cid, gap=30, count=6, last_days_ago=200)
    update_customer(
        db,
        cid,
        {"status": "lost", "lost_reason": "moved to a competitor"},
        expected_version=current_version(cid),
    )
    assert cid not in _reasons(db)


# -- follow-ups, cadence, valuable and quiet -----------------------------------------------------


def test_follow_ups_due_and_overdue(db):
    due = _customer(db, "Due")
    late = _customer(db, "Late")
    soon = _customer(db, "Soon")
    _call(db, due, 7, follow_up=TODAY)
    _call(db, late, 10, follow_up=TODAY - timedelta(days=3))
    _call(db, soon, 1, follow_up=TODAY + timedelta(days=2))
    found = _reasons(db)
    assert found[due] == {"follow_up_due": "follow-up due today"}
    assert found[late] == {"follow_up_overdue": "follow-up was due Tue 17 Nov (3 days ago)"}
    assert soon not in found


def test_a_logged_call_clears_the_follow_up_and_the_cadence(db):
    cid = _customer(db, "Caller")
    _call(db, cid, 120, follow_up=TODAY - timedelta(days=100))
    assert _codes(db, cid) == {"follow_up_overdue", "cadence"}
    log_interaction(db, cid, notes="caught up", at=_days_ago(0, 9), now=_days_ago(0, 9))
    assert cid not in _reasons(db)


def test_cadence_comes_from_the_category_or_the_plan_without_one(db):
    category(db, "key account", 14)
    key = _customer(db, "Key", category="key account")
    plain = _customer(db, "Plain")
    for cid in (key, plain):
        _call(db, cid, 20)
    assert _reasons(db)[key]["cadence"] == "no contact for 20 days (every 14 days wanted)"
    assert plain not in _reasons(db)
    assert plan_for(db, None) == (Touch("contact", 90),)  # a new book's
    set_plan(db, "none", parse_plan("contact every 15 days"), expected=plan_for(db, None))
    assert _reasons(db)[plain]["cadence"] == "no contact for 20 days (every 15 days wanted)"


@pytest.mark.parametrize(
    "bad", ["contact every 0 days", "contact every -3 days", "soon", "contact every 11 years"]
)
def test_a_bad_plan_is_refused(db, bad):
    with pytest.raises(ValidationError):
        set_plan(db, "none", parse_plan(bad), expected=plan_for(db, None))
    assert plan_for(db, None) == (Touch("contact", 90),)


def test_a_never_contacted_customer_counts_from_when_they_were_added(db):
    cid = _customer(db, "Silent", added=_days_ago(100))
    assert _reasons(db)[cid]["cadence"] == "no contact for 100 days (every 90 days wanted)"


def test_gold_and_silver_customers_who_went_quiet(db):
    big = [_customer(db, f"Big{n}") for n in range(2)]
    small = [_customer(db, f"Small{n}") for n in range(8)]
    for n, cid in enumerate(big + small):
        add_purchase(db, cid, amount=(100 - n) * 1000, day=TODAY - timedelta(days=20))
        _call(db, cid, 40)
    found = _reasons(db)
    assert found[big[0]]["gold_quiet"] == "gold customer, no contact for 40 days"
    assert "gold_quiet" not in found.get(big[1], {})  # silver: quiet only after 60 days
    assert all("gold_quiet" not in found.get(cid, {}) for cid in small)
    assert "gold_quiet" in _codes(db, big[1], TODAY + timedelta(days=21))


# -- referrals and new customers -------------------------------------------------------------------


def test_a_referrer_is_thanked_or_not(db):
    thanked = _customer(db, "Thanked")
    unthanked = _customer(db, "Unthanked")
    for referrer, name in ((thanked, "Friend"), (unthanked, "Neighbour")):
        _customer(db, name, referred_by=referrer, acquired_on=TODAY - timedelta(days=20))
    _call(db, thanked, 1)
    _call(db, unthanked, 1)
    found = _reasons(db)
    assert found[unthanked]["thank_referrer"] == "referred Neighbour Test; not thanked yet"
    assert found[thanked]["thank_referrer"]
    log_interaction(db, thanked, kind="thanks", notes="flowers", at=_days_ago(0), now=_days_ago(0))
    assert thanked not in _reasons(db)


def test_a_thanks_before_the_referral_does_not_count(db):
    referrer = _customer(db, "Early")
    log_interaction(db, referrer, kind="thanks", at=_days_ago(30), now=_days_ago(30))
    _customer(db, "Later", referred_by=referrer, acquired_on=TODAY - timedelta(days=10))
    _call(db, referrer, 1)
    assert "thank_referrer" in _codes(db, referrer)


def test_a_thanks_naming_another_referral_does_not_count(db):
    referrer = _customer(db, "Two")
    first = _customer(db, "First", referred_by=referrer, acquired_on=TODAY - timedelta(days=40))
    _customer(db, "Second", referred_by=referrer, acquired_on=TODAY - timedelta(days=40))
    log_interaction(db, referrer, kind="thanks", regarding=first, at=_days_ago(5), now=_days_ago(5))
    _call(db, referrer, 1)
    assert _reasons(db)[referrer]["thank_referrer"] == "referred Second Test; not thanked yet"


def test_a_referral_in_the_trash_needs_no_thanks(db):
    referrer = _customer(db, "Ref")
    gone = _customer(db, "Gone", referred_by=referrer, acquired_on=TODAY - timedelta(days=5))
    _call(db, referrer, 1)
    trash_customer(db, gone, expected_version=current_version(gone))
    assert referrer not in _reasons(db)


def test_a_new_customer_without_source_or_why(db):
    fresh = _customer(db, "Fresh", added=_days_ago(3), source="", why_chose_us="")
    half = _customer(db, "Half", added=_days_ago(3), why_chose_us="")
    old = _customer(db, "Old", added=_days_ago(60), source="", why_chose_us="")
    _call(db, old, 1)
    found = _reasons(db)
    assert found[fresh]["incomplete_profile"] == (
        "new customer without source and why they chose us"
    )
    assert found[half]["incomplete_profile"] == "new customer without why they chose us"
    assert old not in found
    update_customer(
        db,
        half,
        {"why_chose_us": "recommended by a friend"},
        expected_version=current_version(half),
    )
    assert half not in _reasons(db)


# -- snooze and done -----------------------------------------------------------------------------


def test_a_snoozed_item_reappears_on_its_day(db):
    cid = _customer(db, "Sleepy")
    _call(db, cid, 100)
    until = TODAY + timedelta(days=7)
    snooze(db, cid, ["cadence"], until, as_of=TODAY, seen=attention_state(db, cid))
    assert cid not in _reasons(db)
    assert cid not in _reasons(db, until - timedelta(days=1))
    assert "cadence" in _codes(db, cid, until)


def test_a_snooze_must_end_in_the_future(db):
    cid = _customer(db, "Sleepy")
    with pytest.raises(ValidationError):
        snooze(db, cid, ["cadence"], TODAY, as_of=TODAY, seen=attention_state(db, cid))


def test_snoozing_one_reason_leaves_the_others(db):
    cid = _customer(db, "Busy")
    _call(db, cid, 100, follow_up=TODAY - timedelta(days=90))
    snooze(
        db, cid, ["cadence"], TODAY + timedelta(days=30), as_of=TODAY, seen=attention_state(db, cid)
    )
    assert _codes(db, cid) == {"follow_up_overdue"}


def test_done_restarts_the_clock_of_a_cadence(db):
    cid = _customer(db, "Handled")
    _call(db, cid, 100)
    mark_done(
        db, cid, ["cadence"], now=datetime.combine(TODAY, time(15)), seen=attention_state(db, cid)
    )
    assert cid not in _reasons(db)
    assert cid not in _reasons(db, TODAY + timedelta(days=90))
    assert "cadence" in _codes(db, cid, TODAY + timedelta(days=91))


def test_done_closes_a_follow_up_for_good(db):
    cid = _customer(db, "Promise")
    _call(db, cid, 5, follow_up=TODAY - timedelta(days=1))
    mark_done(
        db,
        cid,
        ["follow_up_overdue"],
        now=datetime.combine(TODAY, time(15)),
        seen=attention_state(db, cid),
    )
    assert cid not in _reasons(db)
    assert cid not in _reasons(db, TODAY + timedelta(days=30))


def test_done_thanks_comes_back_with_a_new_referral(db):
    referrer = _customer(db, "Generous")
    _customer(db, "One", referred_by=referrer, acquired_on=TODAY - timedelta(days=20))
    _call(db, referrer, 1)
    mark_done(
        db,
        referrer,
        ["thank_referrer"],
        now=datetime.combine(TODAY, time(9)),
        seen=attention_state(db, referrer),
    )
    assert referrer not in _reasons(db)
    _customer(db, "Two", referred_by=referrer, acquired_on=TODAY + timedelta(days=3))
    assert "thank_referrer" in _codes(db, referrer, TODAY + timedelta(days=5))


def test_marks_on_unknown_customers_or_reasons_are_refused(db):
    cid = _customer(db, "Someone")
    with pytest.raises(CrmError, match="no customer"):
        mark_done(db, 999, ["cadence"], seen=attention_state(db, 999))
    with pytest.raises(CrmError, match="unknown reason"):
        mark_done(db, cid, ["bored"], seen=attention_state(db, cid))
    with pytest.raises(CrmError, match="unknown reason"):
        attention_queue(db, TODAY, reasons=["bored"])


# -- ranking -------------------------------------------------------------------------------------


def test_more_valuable_and_more_overdue_come_first(db):
    rich_late = _customer(db, "RichLate")
    rich_soon = _customer(db, "RichSoon")
    poor_late = _customer(db, "PoorLate")
    for cid, cents in ((rich_late, 900000), (rich_soon, 900000), (poor_late, 1000)):
        add_purchase(db, cid, amount=cents, day=TODAY - timedelta(days=100))
    _call(db, rich_late, 30, follow_up=TODAY - timedelta(days=20))
    _call(db, rich_soon, 5, follow_up=TODAY - timedelta(days=1))
    _call(db, poor_late, 30, follow_up=TODAY - timedelta(days=20))
    order = [item.customer_id for item in attention_queue(db, TODAY)]
    assert order.index(rich_late) < order.index(rich_soon)
    assert order.index(rich_late) < order.index(poor_late)
    scores = [item.score for item in attention_queue(db, TODAY)]
    assert scores == sorted(scores, reverse=True)


def test_more_reasons_rank_a_customer_higher(db):
    one = _customer(db, "One")
    two = _customer(db, "Two")
    _call(db, one, 100)
    _call(db, two, 100, follow_up=TODAY - timedelta(days=1))
    _customer(db, "Ref", referred_by=two, acquired_on=TODAY - timedelta(days=200))
    [first, second] = attention_queue(db, TODAY)[:2]
    assert first.customer_id == two and len(first.reasons) == 3
    assert first.score > first.reasons[0].score


def test_filtering_by_reason(db):
    late = _customer(db, "Late")
    quiet = _customer(db, "Quiet")
    _call(db, late, 10, follow_up=TODAY - timedelta(days=3))
    _call(db, quiet, 100)
    found = _reasons(db, reasons=["cadence"])
    assert set(found) == {quiet}


def test_trashed_customers_are_not_in_the_queue(db):
    cid = _customer(db, "Trash")
    _call(db, cid, 100)
    trash_customer(db, cid, expected_version=current_version(cid))
    assert cid not in _reasons(db)


def test_equal_scores_go_by_name_then_id(db):
    ids = [_customer(db, first, "Same", added=_days_ago(100)) for first in ("Bob", "Ann", "Bob")]
    queue = attention_queue(db, TODAY)
    assert len({item.score for item in queue}) == 1
    assert [item.customer_id for item in queue] == [ids[1], ids[0], ids[2]]


def test_a_reason_score_rounds_half_to_even_as_python_does(db):
    """1.5 (cadence) × 1.5 (half a cadence late) = 2.25: Python's round gives 2.2, SQLite's
    round() would give 2.3."""
    cid = _customer(db, "Half", added=_days_ago(135))
    [item] = attention_queue(db, TODAY)
    assert item.customer_id == cid
    assert (item.score, item.reasons[0].score) == (2.2, 2.2)


def test_four_reasons_score_the_best_plus_a_quarter_of_the_others(db):
    cid = _customer(db, "Busy")
    _buy_every(db, cid, gap=30, count=6, last_days_ago=100, cents=300000)
    _call(db, cid, 95, follow_up=TODAY - timedelta(days=2))  # overdue, quiet, lapsed
    _customer(db, "Friend", referred_by=cid, acquired_on=TODAY - timedelta(days=50))
    [item] = [item for item in attention_queue(db, TODAY) if item.customer_id == cid]
    scores = [reason.score for reason in item.reasons]
    assert len(scores) >= 4 and scores == sorted(scores, reverse=True)
    assert item.score == round(scores[0] + sum(scores[1:]) / 4, 1)


# -- only the first items, the ranking and the count ---------------------------------------------


@pytest.fixture
def crowd(db):
    """Customers with one or several reasons, equal and different scores, a snooze."""
    for n in range(12):
        cid = _customer(db, f"C{n % 5}", added=_days_ago(91 + 7 * (n % 4)))
        if n % 3 == 0:
            _call(db, cid, 100, follow_up=TODAY - timedelta(days=n))
        if n % 4 == 1:
            add_purchase(db, cid, amount=50_000 * n, day=TODAY - timedelta(days=200))
        if n == 5:
            snooze(
                db,
                cid,
                ["cadence"],
                TODAY + timedelta(days=3),
                as_of=TODAY,
                seen=attention_state(db, cid),
            )
    _customer(db, "Fine")  # added long ago, but called yesterday
    _call(db, _customer(db, "Called"), 1)
    return db


@pytest.mark.parametrize("limit", [0, 1, 5, 11, 50])
def test_a_limit_gives_the_first_items_of_the_whole_queue(crowd, limit):
    queue = attention_queue(crowd, TODAY)
    assert 5 < len(queue) < 50
    assert attention_queue(crowd, TODAY, limit=limit) == queue[:limit]
    page = attention_page(crowd, TODAY, limit=limit)
    assert (page.items, page.total) == (queue[:limit], len(queue))


def test_a_page_without_a_limit_is_the_whole_queue(crowd):
    page = attention_page(crowd, TODAY)
    assert page.items == attention_queue(crowd, TODAY)
    assert page.total == len(page.items)


def test_a_limit_with_reasons_counts_only_those(crowd):
    queue = attention_queue(crowd, TODAY, reasons=["follow_up_overdue"])
    page = attention_page(crowd, TODAY, reasons=["follow_up_overdue"], limit=2)
    assert (page.items, page.total) == (queue[:2], len(queue))
    assert attention_page(crowd, TODAY, reasons=[], limit=2) == AttentionPage([], 0)


def test_the_ranking_is_the_queue_without_its_items(crowd):
    queue = attention_queue(crowd, TODAY)
    assert attention_ranking(crowd, TODAY) == [(item.customer_id, item.score) for item in queue]
    codes = ["cadence", "gold_quiet"]
    assert sorted(reason_ids(crowd, TODAY, codes)) == sorted(
        item.customer_id for item in attention_queue(crowd, TODAY, reasons=codes)
    )
    with pytest.raises(CrmError, match="unknown reason"):
        attention_ranking(crowd, TODAY, reasons=["bored"])


def test_the_whitespace_sql_trims_is_what_str_strip_removes():
    assert set(WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


def test_lapsed_is_a_fact_about_purchases_and_the_reason_what_needs_attention_now(db):
    _monthly_book(db)
    cid = _customer(db, "Gone")
    _buy_every(db, cid, gap=30, count=3, last_days_ago=500)
    assert lapsed_ids(db, TODAY) == [cid]
    assert lapsed_ids(db, TODAY, among=[cid + 1]) == []
    assert lapse_of(db, cid, TODAY) == _lapsed_text(db, cid)
    assert lapse_of(db, cid, TODAY).startswith("bought on 3 days over 2 months")
    _call(db, cid, 1, notes="asked: they moved their orders to a cheaper shop")
    assert "lapsed" not in _codes(db, cid)  # answered for now …
    assert lapsed_ids(db, TODAY) == [cid]  # … but they still have not bought
    update_customer(
        db, cid, {"status": "lost", "lost_reason": "price"}, expected_version=current_version(cid)
    )
    assert lapsed_ids(db, TODAY) == [] and lapse_of(db, cid, TODAY) is None


def test_a_day_gone_back_to_is_read_as_cheaply_as_any_other(db, monkeypatch):
    from tui_crm.db.store.queue import LATER_SCORES

    anna = _customer(db, "Anna")
    _call(db, anna, 200)  # long unheard of
    later = TODAY + timedelta(days=5)
    assert [i.customer_id for i in attention_queue(db, later)] == [anna]
    # The clock set back: the scores of the later day are worked out again for this one ...
    assert [i.customer_id for i in attention_queue(db, TODAY)] == [anna]
    looked = []
    execute = db.execute_sql
    monkeypatch.setattr(
        db,
        "execute_sql",
        lambda sql, *a, **k: looked.append(sql == LATER_SCORES) or execute(sql, *a, **k),
    )
    # ... once: the next reads of the day do not look at every score for later ones again.
    assert [i.customer_id for i in attention_queue(db, TODAY)] == [anna]
    assert looked and not any(looked)


# -- the same book on both engines --------------------------------------------------------------


def _random_book(db, seed: int) -> None:
    """A book of random customers, purchases, contacts, follow-ups, referrals, plans and marks,
    the same for the same seed (ids included: both engines count them from 1)."""
    from tests.builders import category
    from tui_crm.core.plans import set_plan as set_plan_of

    rng = random.Random(seed)
    category(db, "key", 21)
    category(db, "small", 120)
    set_plan_of(
        db,
        "small",
        parse_plan("meeting every 3 months, call every month"),
        expected=[Touch("contact", 120)],
    )
    ids: list[int] = []
    for n in range(70):
        added = TODAY - timedelta(days=rng.randint(0, 900))
        referrer = rng.choice(ids) if ids and rng.random() < 0.3 else None
        cid = create_customer(
            db,
            {
                "first_name": rng.choice(["Ann", "Bob", "Øyvind", "Zoë", "ann", "Li", ""]),
                "last_name": f"N{n % 9}",
                "company": rng.choice(["", "Acme", "Fjord AS"]),
                "source": rng.choice(["", "web", " ", "fair"]),
                "why_chose_us": rng.choice(["", "price", "service"]),
                "category": rng.choice([None, "key", "small"]),
                "referred_by": referrer,
                "acquired_on": added.isoformat() if rng.random() < 0.3 else None,
            },
            now=datetime.combine(added, time(9)),
        )
        ids.append(cid)
        for _ in range(rng.choice([0, 0, 1, 2, 3, 6, 9])):
            day = TODAY - timedelta(days=rng.randint(0, 700))
            cents = rng.choice([1999, 12500, 250000, 77, -500, 999999])
            add_purchase(db, cid, amount=cents, day=day, now=datetime.combine(day, time(12)))
        for _ in range(rng.choice([0, 1, 1, 2, 4])):
            at = datetime.combine(TODAY - timedelta(days=rng.randint(0, 400)), time(11))
            follow_up = (
                at.date() + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.4 else None
            )
            log_interaction(
                db,
                cid,
                kind=rng.choice(["call", "email", "meeting", "thanks", "note"]),
                notes="talked",
                at=at,
                now=at,
                follow_up=follow_up,
            )
        if rng.random() < 0.1:
            update_customer(
                db,
                cid,
                {"status": "lost", "lost_reason": "price"},
                expected_version=current_version(cid),
            )
    for cid in rng.sample(ids, 12):
        seen = attention_state(db, cid)
        codes = rng.sample(sorted(REASONS), 2)
        if rng.random() < 0.5:
            snooze(db, cid, codes, TODAY + timedelta(days=rng.randint(1, 20)), seen=seen)
        else:
            at = datetime.combine(TODAY - timedelta(days=rng.randint(0, 60)), time(15))
            mark_done(db, cid, codes, seen=seen, now=at)
    trash_customer(db, ids[5], expected_version=current_version(ids[5]))


def _everything(db) -> dict:
    """What the queue, the value summary, lapse, insights and the agenda say of the book."""
    from tui_crm.core.agenda import week_ahead
    from tui_crm.core.attention import scores_from_scratch
    from tui_crm.core.insights import insights
    from tui_crm.core.value import customer_value

    out: dict = {}
    for day in (TODAY, TODAY + timedelta(days=9), TODAY + timedelta(days=40)):
        out[f"queue {day}"] = attention_queue(db, day)
        out[f"page {day}"] = attention_page(db, day, limit=7)
        out[f"some {day}"] = attention_ranking(db, day, reasons=["cadence", "lapsed"])
        out[f"ids {day}"] = sorted(reason_ids(db, day, ["gold_quiet", "thank_referrer"]))
        # Every kept figure but the touch's id (SQLite gives a deleted row's id again).
        out[f"scratch {day}"] = sorted(row[:-2] + row[-1:] for row in scores_from_scratch(db, day))
        out[f"lapsed {day}"] = sorted(lapsed_ids(db, day))
        out[f"lapse {day}"] = [lapse_of(db, cid, day) for cid in range(1, 72)]
        out[f"values {day}"] = [customer_value(db, cid, day) for cid in range(1, 72)]
        out[f"insights {day}"] = insights(db, day, top=5)
        out[f"agenda {day}"] = week_ahead(db, day, 30)
    out["gap"] = book_gap(db)
    return out


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [20, 21, 22])
def test_the_same_book_reads_the_same_on_sqlite_and_postgresql(db_path, pg_url, seed):
    from tui_crm.db.database import close_database, open_database

    read = []
    for place in (str(db_path), pg_url):
        db = open_database(place)
        try:
            _random_book(db, seed)
            read.append(_everything(db))
        finally:
            close_database()
    sqlite, postgres = read
    assert sqlite.keys() == postgres.keys()
    for key in sqlite:
        assert sqlite[key] == postgres[key], key
    assert any(sqlite[f"queue {TODAY}"]) and sqlite[f"insights {TODAY}"].gold.members
