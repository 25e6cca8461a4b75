"""Merging two records of one person: choices, everything moved, history, trash, conflicts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.builders import NOW, TODAY, days_ago, merge_as_they_are, smiths
from tests.versions import current_version
from tui_crm.core.customers import (
    create_customer,
    get_profile,
    log_interaction,
    restore_customer,
    update_customer,
)
from tui_crm.core.duplicates import find_duplicate_pairs
from tui_crm.core.merge import (
    HANDLED_FOREIGN_KEYS,
    MERGE_FIELDS,
    customer_foreign_keys,
    merge,
    merge_preview,
)
from tui_crm.core.referrals import referrals
from tui_crm.core.search import search
from tui_crm.core.value import customer_value
from tui_crm.errors import ConflictError, NotFound, ValidationError

pytestmark = pytest.mark.both_engines


def _count(db, table: str, where: str = "", params=()) -> int:
    sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
    return db.execute_sql(sql, params).fetchone()[0]


def _snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every table that merge may touch, to show a refused merge changed nothing."""
    tables = sorted({table for table, _ in customer_foreign_keys(db)} | {"customer", "tag"})
    return {t: sorted(db.execute_sql(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


@pytest.fixture
def book(db):
    return smiths(db, robert={"city": ""})


def test_the_preview_lists_differing_fields_with_suggestions_and_what_moves(db, book):
    preview = merge_preview(db, book["robert"], book["rob"])
    assert preview.survivor.name == "Robert Smith" and preview.other.name == "Rob Smith"
    by_field = {d.field: d for d in preview.differences}
    assert set(by_field) == {
        "first_name",
        "company",
        "emails",
        "phones",
        "birthday",
        "city",
        "referred_by",
        "email_opt_out",
        "tags",
        "notes",
    }
    assert [d.field for d in preview.differences] == [
        f for f in MERGE_FIELDS if f in by_field
    ]  # in the chooser's order
    assert by_field["first_name"].survivor == "Robert"
    assert by_field["first_name"].other == "Rob"
    assert by_field["first_name"].suggested == "survivor"
    assert by_field["first_name"].choices == ("survivor", "other")
    assert by_field["city"].suggested == "other"  # fills a gap
    assert by_field["birthday"].suggested == "survivor"
    assert by_field["email_opt_out"].suggested == "other"  # an opt-out is honoured
    assert by_field["emails"].suggested == "both"
    assert by_field["emails"].choices == ("survivor", "other", "both")
    assert by_field["emails"].other == "rob@gmail.com (home), ROBERT@acme.com (work)"
    assert by_field["referred_by"].other == f"Rita Referrer (#{book['referrer']})"
    assert by_field["referred_by"].suggested == "other"
    assert by_field["tags"].suggested == "both"
    assert by_field["notes"].suggested == "both"
    assert dict(preview.moves) == {
        "interactions": 2,
        "purchases": 2,
        "referrals": 2,
        "attention marks": 2,
    }


def test_a_merge_moves_everything_to_the_survivor(db, book):
    robert, rob = book["robert"], book["rob"]
    before = {
        table: _count(db, table)
        for table in ("interaction", "purchase", "customer_change", "attention_mark")
    }
    result = merge_as_they_are(db, robert, rob, who="ann", now=NOW)
    assert result.survivor_id == robert and result.other_id == rob
    assert dict(result.moved) == {
        "referrals": 2,
        "interactions": 2,
        "thanks naming them": 1,
        "purchases": 2,
        "attention marks": 1,
        "dismissed pairs": 1,
    }
    # Nothing is lost: the same rows, now the survivor's.
    assert _count(db, "interaction") == before["interaction"]
    assert _count(db, "purchase") == before["purchase"]
    assert _count(db, "interaction", "customer_id = ?", (robert,)) == 3
    assert _count(db, "purchase", "customer_id = ?", (robert,)) == 3
    assert _count(db, "customer", "referred_by_id = ?", (robert,)) == 2  # Fay and trashed Gus
    assert _count(db, "interaction", "regarding_id = ?", (robert,)) == 1  # Rita's thanks
    # Attention marks: Rob's snoozed "lapsed" moved; Robert keeps his own "cadence" mark.
    marks = db.execute_sql(
        "SELECT customer_id, reason, snoozed_until IS NOT NULL FROM attention_mark ORDER BY 2, 1"
    ).fetchall()
    assert marks == [(robert, "cadence", 0), (rob, "cadence", 0 + 1), (robert, "lapsed", 1)]
    # The dismissed pair now names the survivor.
    assert db.execute_sql(
        "SELECT customer_a_id, customer_b_id FROM duplicate_dismissal"
    ).fetchall() == [(robert, book["other"])]
    # Nothing of the moved kinds still points at the merged-away record.
    moved_columns = {key for key, how in HANDLED_FOREIGN_KEYS.items() if how == "moved"} | (
        customer_foreign_keys(db) - set(HANDLED_FOREIGN_KEYS)
    )
    for table, column in moved_columns:
        left = _count(db, table, f"{column} = ?", (rob,))
        if (table, column) == ("attention_mark", "customer_id"):
            assert left == 1  # the clash with the survivor's own mark, kept with Rob
        else:
            assert left == 0, (table, column)


def test_the_suggested_values_are_applied(db, book):
    robert, rob = book["robert"], book["rob"]
    merge_as_they_are(db, robert, rob, now=NOW)
    profile = get_profile(db, robert, TODAY)
    assert profile.first_name == "Robert"  # the survivor's
    assert profile.company == "Acme"
    assert profile.city == "Boston"  # a gap filled from the other
    assert profile.birthday == date(1970, 1, 2)
    assert profile.email_opt_out is True
    assert profile.notes == "Prefers calls in the morning\n\nCFO decides"
    assert [e.value for e in profile.emails] == ["robert@acme.com", "rob@gmail.com"]
    assert [(p.label, p.value) for p in profile.phones] == [
        ("work", "+1 212-555-0100"),
        ("mobile", "+1 617-555-0123"),
    ]
    assert profile.tags == ("newsletter", "vip")
    assert profile.referred_by is not None and profile.referred_by.id == book["referrer"]
    # Each keeps its own uid: an import naming the other's follows the merge (interchange).
    uids = dict(db.execute_sql("SELECT id, uid FROM customer").fetchall())
    assert uids[rob] == "vcard-rob" and uids[robert].startswith("urn:uuid:")
    opt_out_at = db.execute_sql(
        "SELECT email_opt_out_at FROM customer WHERE id = ?", (robert,)
    ).fetchone()[0]
    assert opt_out_at.startswith(str(days_ago(300).date()))  # when Rob asked, not the merge


def test_chosen_values_are_applied_and_validated(db, book):
    robert, rob = book["robert"], book["rob"]
    merge_as_they_are(
        db,
        robert,
        rob,
        {
            "first_name": "other",
            "company": "other",
            "city": "Cambridge",
            "emails": "survivor",
            "phones": "other",
            "notes": "survivor",
            "email_opt_out": "survivor",
            "referred_by": None,
        },
        now=NOW,
    )
    profile = get_profile(db, robert, TODAY)
    assert (profile.first_name, profile.company, profile.city) == ("Rob", "Acme Corp", "Cambridge")
    assert [e.value for e in profile.emails] == ["robert@acme.com"]
    assert [p.value for p in profile.phones] == ["+1 617-555-0123"]
    assert profile.notes == "Prefers calls in the morning"
    assert profile.email_opt_out is False
    assert profile.referred_by is None


@pytest.mark.parametrize(
    ("choices", "field"),
    [
        ({"emails": ["not an email"]}, "emails"),
        ({"birthday": "31/31/1999"}, "birthday"),
        ({"first_name": "both"}, "first_name"),  # only lists and free text combine
        ({"colour": "survivor"}, "colour"),
        ({"first_name": "", "last_name": "", "company": ""}, "last_name"),
    ],
)
def test_a_bad_choice_is_refused_and_nothing_changes(db, book, choices, field):
    before = _snapshot(db)
    with pytest.raises(ValidationError) as info:
        merge_as_they_are(db, book["robert"], book["rob"], choices, now=NOW)
    assert field in info.value.errors
    assert _snapshot(db) == before


def test_history_records_the_merge_on_both(db, book):
    robert, rob = book["robert"], book["rob"]
    version_before = merge_preview(db, robert, rob).survivor_version
    result = merge_as_they_are(db, robert, rob, who="ann", now=NOW)
    assert result.version == get_profile(db, robert, TODAY).version > version_before
    survivor = {c.field: c for c in get_profile(db, robert, TODAY).changes}
    assert survivor["merged"].who == "ann"
    assert survivor["merged"].new.startswith(f"Rob Smith (#{rob}): moved ")
    assert "2 interactions" in survivor["merged"].new
    assert not survivor["city"].old and survivor["city"].new == "Boston"
    other = {c.field: c for c in get_profile(db, rob, TODAY).changes}
    assert other["merged_into"].new == f"Robert Smith (#{robert})"
    assert other["trash"].new is not None
    friend = {c.field: c for c in get_profile(db, book["friend"], TODAY).changes}
    assert (friend["referred_by"].old, friend["referred_by"].new) == (str(rob), str(robert))


def test_the_merged_away_record_is_in_the_trash_and_restorable(db, book):
    robert, rob = book["robert"], book["rob"]
    merge_as_they_are(db, robert, rob, now=NOW)
    assert get_profile(db, rob, TODAY).deleted_at is not None
    assert [r.id for r in search(db, "rob@gmail.com", as_of=TODAY)] == [robert]
    restore_customer(db, rob, expected_version=current_version(rob))
    restored = get_profile(db, rob, TODAY)
    assert restored.deleted_at is None
    assert [e.value for e in restored.emails] == ["rob@gmail.com", "ROBERT@acme.com"]
    assert restored.interactions == () and restored.purchases == ()


def test_search_finds_the_survivor_by_what_moved(db, book):
    robert, rob = book["robert"], book["rob"]
    assert [r.id for r in search(db, "zeppelin", as_of=TODAY)] == [rob]
    merge_as_they_are(db, robert, rob, now=NOW)
    assert [r.id for r in search(db, "zeppelin", as_of=TODAY)] == [robert]
    assert [r.id for r in search(db, "newsletter", as_of=TODAY)] == [robert]


def test_value_and_contact_figures_add_up(db, book):
    robert, rob = book["robert"], book["rob"]
    before = customer_value(db, robert, TODAY), customer_value(db, rob, TODAY)
    merge_as_they_are(db, robert, rob, now=NOW)
    after = customer_value(db, robert, TODAY)
    assert after.lifetime == before[0].lifetime + before[1].lifetime == 13250
    assert after.spent_12m == before[0].spent_12m + before[1].spent_12m == 12550
    assert after.spent_30d == 2550
    profile = get_profile(db, robert, TODAY)
    assert profile.purchase_count == 3
    assert profile.last_purchase_on == TODAY - timedelta(days=10)
    assert profile.last_contact == days_ago(15)
    assert profile.next_follow_up == (days_ago(20) + timedelta(days=30)).date()
    gone = db.execute_sql(
        "SELECT lifetime_cents, purchase_count, last_contact_at FROM customer WHERE id = ?",
        (rob,),
    ).fetchone()
    assert gone == (0, 0, None)


def test_referrals_follow_the_survivor_without_self_referrals(db, book):
    robert, rob, referrer = book["robert"], book["rob"], book["referrer"]
    merge_as_they_are(db, robert, rob, now=NOW)
    pairs = {(r.referrer_id, r.referred_id): r.thanked for r in referrals(db)}
    # Fay is now Robert's referral (and Rob's thanks for her came along); Robert is Rita's,
    # and Rita's thanks for bringing Rob now name Robert.
    assert pairs == {(robert, book["friend"]): True, (referrer, robert): True}


def test_a_referral_between_the_two_does_not_become_a_self_referral(db):
    robert = create_customer(db, {"first_name": "Robert", "last_name": "Smith"})
    rob = create_customer(db, {"first_name": "Rob", "last_name": "Smith", "referred_by": robert})
    log_interaction(db, robert, kind="thanks", regarding=rob, notes="thanks")
    merge_as_they_are(db, rob, robert, now=NOW)  # keep Rob, who was referred by Robert
    assert get_profile(db, rob, TODAY).referred_by is None
    assert _count(db, "customer", "referred_by_id = id") == 0
    assert _count(db, "interaction", "regarding_id = customer_id") == 0
    assert referrals(db) == []


def test_a_survivor_referred_by_the_other_takes_the_others_referrer(db):
    rita = create_customer(db, {"first_name": "Rita", "last_name": "Referrer"})
    rob = create_customer(db, {"first_name": "Rob", "last_name": "Smith", "referred_by": rita})
    robert = create_customer(db, {"first_name": "Robert", "last_name": "Smith", "referred_by": rob})
    merge_as_they_are(db, robert, rob, now=NOW)
    assert get_profile(db, robert, TODAY).referred_by.id == rita


def test_a_referral_loop_is_refused(db):
    rob = create_customer(db, {"first_name": "Rob", "last_name": "Smith"})
    xena = create_customer(db, {"first_name": "Xena", "last_name": "X", "referred_by": rob})
    robert = create_customer(
        db, {"first_name": "Robert", "last_name": "Smith", "referred_by": xena}
    )
    before = _snapshot(db)
    with pytest.raises(ValidationError) as info:
        merge_as_they_are(db, robert, rob, now=NOW)
    assert "loop" in info.value.errors["referred_by"]
    assert _snapshot(db) == before
    merge_as_they_are(db, robert, rob, {"referred_by": None}, now=NOW)  # choosing no referrer works
    assert get_profile(db, xena, TODAY).referred_by.id == robert


def test_a_stale_version_refuses_the_merge_and_changes_nothing(db, book):
    robert, rob = book["robert"], book["rob"]
    preview = merge_preview(db, robert, rob)
    update_customer(
        db, robert, {"city": "Denver"}, who="ben", expected_version=current_version(robert)
    )
    before = _snapshot(db)
    with pytest.raises(ConflictError) as info:
        merge(
            db,
            robert,
            rob,
            survivor_version=preview.survivor_version,
            other_version=preview.other_version,
            now=NOW,
        )
    assert "City: " in str(info.value) and "Denver" in str(info.value)
    assert _snapshot(db) == before
    update_customer(db, rob, {"city": "Austin"}, who="ben", expected_version=current_version(rob))
    with pytest.raises(ConflictError):
        merge(
            db,
            robert,
            rob,
            survivor_version=current_version(robert),
            other_version=preview.other_version,
            now=NOW,
        )
    assert _count(db, "customer", "deleted_at IS NULL AND id = ?", (rob,)) == 1


def test_only_two_different_live_customers_merge(db, book):
    robert = book["robert"]
    with pytest.raises(ValidationError):
        merge_as_they_are(db, robert, robert)
    with pytest.raises(NotFound):
        merge_as_they_are(db, robert, 9999)
    with pytest.raises(NotFound, match="trash"):
        merge_as_they_are(db, robert, book["gone"])
    with pytest.raises(NotFound, match="trash"):
        merge_preview(db, book["gone"], robert)


def test_merged_pairs_leave_the_duplicates_list(db, book):
    robert, rob = book["robert"], book["rob"]
    assert (robert, rob) in {p.ids for p in find_duplicate_pairs(db)}
    merge_as_they_are(db, robert, rob, now=NOW)
    assert all(rob not in p.ids for p in find_duplicate_pairs(db))


def test_every_foreign_key_to_customer_is_known_or_moved(db, book):
    """A table added later (say, import keys) follows the survivor: rows that would clash
    with the survivor's stay with the merged-away record, so nothing is lost."""
    assert set(HANDLED_FOREIGN_KEYS) <= customer_foreign_keys(db)
    db.execute_sql(
        "CREATE TABLE import_key (customer_id INTEGER NOT NULL REFERENCES customer (id) "
        "ON DELETE CASCADE, source TEXT NOT NULL, key TEXT NOT NULL, "
        "UNIQUE (customer_id, source))"
    )
    robert, rob = book["robert"], book["rob"]
    db.execute_sql(
        "INSERT INTO import_key VALUES (?, 'outlook', 'r1'), (?, 'outlook', 'r2'), "
        "(?, 'google', 'g2')",
        (robert, rob, rob),
    )
    assert ("import_key", "customer_id") in customer_foreign_keys(db)
    result = merge_as_they_are(db, robert, rob, now=NOW)
    assert dict(result.moved)["other records"] == 1
    rows = db.execute_sql("SELECT customer_id, source, key FROM import_key ORDER BY key").fetchall()
    assert rows == [(robert, "google", "g2"), (robert, "outlook", "r1"), (rob, "outlook", "r2")]


def test_a_kept_stored_value_is_not_validated_again(db, book):
    """Only what changes goes through validation, as in an edit (old data may predate a rule)."""
    robert, rob = book["robert"], book["rob"]
    db.execute_sql("UPDATE customer_phone SET number = '+4712' WHERE customer_id = ?", (robert,))
    merge_as_they_are(db, robert, rob, {"phones": "survivor"}, now=NOW)
    stored = db.execute_sql("SELECT number FROM customer_phone WHERE customer_id = ?", (robert,))
    assert stored.fetchall() == [("+4712",)]
