"""The health check finds each kind of damage to what is derived, names the customers, and
the repair rebuilds it after a backup; a damaged file is sent to its newest good backup."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tui_crm.core.attention import attention_ranking, ensure_rhythms
from tui_crm.core.backups import backup_now
from tui_crm.core.check import check_book, repair_book, restore_hint
from tui_crm.core.customers import add_purchase, create_customer, log_interaction
from tui_crm.core.referrals import referral_forest
from tui_crm.core.search import search
from tui_crm.core.value import ensure_values
from tui_crm.db.backup import backup_files
from tui_crm.db.postgres.backup import dumps
from tui_crm.errors import CrmError

pytestmark = pytest.mark.both_engines

TODAY = date(2026, 3, 1)


class Damage:
    """Harm done behind the book's back, as each engine stores it."""

    def __init__(self, db) -> None:
        self.db, self.on_postgres = db, db.engine == "postgresql"

    def unindex(self, customer_id: int) -> None:
        if self.on_postgres:
            self.db.execute_sql("DELETE FROM customer_search WHERE customer_id = ?", (customer_id,))
        else:
            self.db.execute_sql("DELETE FROM customer_fts WHERE rowid = ?", (customer_id,))

    def index_a_ghost(self, customer_id: int) -> None:
        if self.on_postgres:
            self.db.execute_sql(
                "INSERT INTO customer_search (customer_id, name, company, contact, place, tags, "
                "notes) VALUES (?, 'ghost', '', '', '', '', '')",
                (customer_id,),
            )
        else:
            self.db.execute_sql(
                "INSERT INTO customer_fts (rowid, name) VALUES (?, 'ghost')", (customer_id,)
            )

    def drop_trigger(self, name: str, table: str) -> None:
        on = f" ON {table}" if self.on_postgres else ""
        self.db.execute_sql(f"DROP TRIGGER {name}{on}")

    def miscount_gaps(self, more: int) -> None:
        value = "(value::integer + ?)::text" if self.on_postgres else "value + ?"
        self.db.execute_sql(f"UPDATE meta SET value = {value} WHERE key = 'purchase_gaps'", (more,))


@pytest.fixture
def book(db):
    """Ten customers with calls, follow-ups and purchases; values and rhythms computed."""
    ids = []
    for n in range(10):
        cid = create_customer(db, {"first_name": f"Person{n}", "last_name": "Berg", "city": "Oslo"})
        log_interaction(db, cid, notes=f"call {n}", at="2026-01-05 10:00", follow_up="2026-04-01")
        for month in (1, 2, 3, 4):
            add_purchase(db, cid, day=date(2025, month, 10), amount="12.50")
        ids.append(cid)
    ensure_values(db, TODAY)
    ensure_rhythms(db)
    return ids


def _lines(db) -> list[str]:
    return [problem.line() for problem in check_book(db).problems]


def test_a_sound_book_is_healthy(db, book):
    health = check_book(db)
    assert health.healthy, health.problems
    assert health.summary() == "10 customers, 10 interactions, 40 purchases"


def test_wrong_figures_are_named_with_the_customers(db, book):
    db.execute_sql(f"UPDATE customer SET lifetime_cents = 1 WHERE id IN ({book[1]}, {book[4]})")
    db.execute_sql(f"UPDATE customer SET next_follow_up = NULL WHERE id = {book[2]}")
    db.execute_sql(f"UPDATE customer SET last_contact_at = NULL WHERE id = {book[3]}")
    db.execute_sql(
        f"UPDATE customer SET purchase_count = 9, last_purchase_on = NULL WHERE id = {book[5]}"
    )
    assert _lines(db) == [
        f"figures: 1 customer has a wrong last_contact_at (#{book[3]})",
        f"figures: 1 customer has a wrong next_follow_up (#{book[2]})",
        f"figures: 2 customers have a wrong lifetime_cents (#{book[1]}, #{book[4]})",
        f"figures: 1 customer has a wrong purchase_count (#{book[5]})",
        f"figures: 1 customer has a wrong last_purchase_on (#{book[5]})",
    ]


def test_a_search_index_missing_extra_or_stale_rows_is_found(db, book):
    damage = Damage(db)
    damage.unindex(book[0])
    damage.index_a_ghost(9999)
    # A change the triggers did not see: the index still holds the old city.
    damage.drop_trigger("customer_au", "customer")
    db.execute_sql(f"UPDATE customer SET city = 'Bergen' WHERE id = {book[6]}")
    assert _lines(db) == [
        "schema: trigger customer_au is missing",
        f"search index: 1 customer missing (#{book[0]})",
        "search index: 1 entry for no customer (#9999)",
        f"search index: 1 customer indexed with old text (#{book[6]})",
    ]


def test_a_wrong_value_summary_or_rhythm_is_found_while_marked_current(db, book):
    db.execute_sql(f"UPDATE customer_value SET tier = 'gold' WHERE customer_id = {book[7]}")
    db.execute_sql(f"UPDATE purchase_rhythm SET last_day = 1 WHERE customer_id = {book[8]}")
    assert _lines(db) == [
        f"values: the summary as of {TODAY} is wrong for 1 customer (#{book[7]})",
        f"rhythms: 1 customer has a wrong purchase rhythm (#{book[8]})",
    ]
    # The check only compares: what it recomputed is not kept.
    row = db.execute_sql(
        "SELECT tier FROM customer_value WHERE customer_id = ?", (book[7],)
    ).fetchone()
    assert row == ("gold",)


@pytest.mark.sqlite_only  # PostgreSQL refuses such a row at every write
def test_broken_foreign_keys_are_found_and_not_called_repairable(db, book):
    db.execute_sql("PRAGMA foreign_keys = OFF")
    db.execute_sql(
        "INSERT INTO interaction (customer_id, at, created_at) VALUES (777, '2026-01-01', '2026-01-01')"
    )
    db.execute_sql("PRAGMA foreign_keys = ON")
    [problem] = [p for p in check_book(db).problems if p.area == "foreign keys"]
    assert problem.text.startswith("1 interaction row point at a missing customer")
    assert not problem.repairable


def test_repair_rebuilds_everything_derived_after_a_backup(db, book_place, book):
    damage = Damage(db)
    # The trigger that keeps a customer's purchase figures (one per event on SQLite).
    trigger = "purchase_figures" if damage.on_postgres else "purchase_ai"
    damage.drop_trigger(trigger, "purchase")
    db.execute_sql(f"UPDATE customer SET lifetime_cents = 1 WHERE id = {book[1]}")
    damage.unindex(book[0])
    db.execute_sql(f"UPDATE customer_value SET tier = 'gold' WHERE customer_id = {book[7]}")
    db.execute_sql(f"UPDATE purchase_rhythm SET last_day = 1 WHERE customer_id = {book[8]}")
    repaired = repair_book(db, today=TODAY)
    assert repaired.health.healthy, repaired.health.problems
    assert repaired.rebuilt[0] == f"recreated trigger {trigger}"
    backups = dumps(book_place) if damage.on_postgres else backup_files(Path(book_place))
    assert [one.reason for one in backups] == ["before-repair"]
    # The recreated trigger works again: a new purchase moves the figures.
    add_purchase(db, book[1], day=date(2026, 2, 1), amount="1.00")
    assert check_book(db).healthy
    # And search finds the customer whose index row was gone.
    assert [row.id for row in search(db, "person0", as_of=TODAY)] == [book[0]]


@pytest.mark.sqlite_only  # a file of the book's own
def test_a_damaged_file_cannot_be_repaired_and_the_newest_good_backup_is_named(
    db, db_path, book, monkeypatch
):
    good = backup_now(db_path)
    from tui_crm.core import check

    real = db.execute_sql

    def damaged(sql, *args, **kwargs):
        if sql.startswith("PRAGMA integrity_check"):
            return iter([("row 5 missing from index customer_name",)])
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", damaged)
    health = check.check_book(db)
    assert health.damaged and not health.healthy
    with pytest.raises(CrmError) as err:
        repair_book(db)
    message = str(err.value)
    assert "row 5 missing from index customer_name" in message
    assert f"tui-crm restore {good}" in message
    assert f"tui-crm restore {good}" in restore_hint(db_path)


def test_wrong_kept_scores_referral_figures_and_gap_count_are_found(db, book):
    referred = create_customer(db, {"first_name": "Friend", "referred_by": book[0]})
    attention_ranking(db, TODAY)  # the scores kept for the day
    referral_forest(db, TODAY)  # and the referral figures
    assert check_book(db).healthy
    db.execute_sql(f"UPDATE attention_score SET score = 99 WHERE customer_id = {book[2]}")
    db.execute_sql(f"UPDATE attention_score SET w_cadence = 0.5 WHERE customer_id = {book[3]}")
    db.execute_sql(f"UPDATE referral_figure SET below_12m = 7 WHERE customer_id = {book[0]}")
    db.execute_sql(f"UPDATE referral_figure SET referrer_id = NULL WHERE customer_id = {referred}")
    Damage(db).miscount_gaps(3)
    assert _lines(db) == [
        "rhythms: the book's gap count is 33, not 30",
        f"scores: 2 customers have a wrong needs-attention score as of {TODAY} "
        f"(#{book[2]}, #{book[3]})",
        f"referrals: 2 customers have wrong referral figures (#{book[0]}, #{referred})",
    ]
    repaired = repair_book(db, today=TODAY)
    assert repaired.health.healthy, repaired.health.problems
    assert repaired.rebuilt[-3:] == (
        f"the value summary (as of {TODAY})",
        f"the needs-attention scores (as of {TODAY}: 11 customers)",
        "the referral figures (2 customers)",
    )


def test_a_kept_score_that_holds_for_later_days_is_not_called_wrong(db, book):
    """A score kept on one day holds until its rounded figures can change: on a later day the
    check brings it up to date before comparing, and finds nothing wrong."""
    attention_ranking(db, TODAY)
    later = date(2026, 3, 9)
    ensure_values(db, later)
    assert check_book(db).healthy


@pytest.mark.postgres
def test_missing_planner_statistics_are_found_and_made_again(pg_url):
    from tui_crm.core.check import repair_book
    from tui_crm.db.database import close_database, open_database

    db = open_database(pg_url)
    try:
        db.execute_sql("DROP STATISTICS customer_value_tier_shown")
        assert _lines(db) == ["schema: statistics customer_value_tier_shown is missing"]
        repair_book(db, today=TODAY)
        assert check_book(db).healthy
    finally:
        close_database()
