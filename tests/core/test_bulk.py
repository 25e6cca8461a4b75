"""Bulk loading: with the triggers off the derived figures and the search index must come out
exactly as the triggers would have kept them, and a failed load must leave nothing behind."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tui_crm.core.bulk import bulk_load
from tui_crm.core.customers import log_interaction
from tui_crm.core.search import search
from tui_crm.db.database import close_database, open_database
from tui_crm.db.store import store_of

TODAY = date(2026, 11, 20)

CUSTOMERS = [
    (1, "Robert", "Smith", "Rob", "Acme Tools", "Oslo", "Norway", "trade show"),
    (2, "Ingrid", "Dahl", "", "", "Bergen", "Norway", "referral"),
    (3, "Åse", "Rønning", "", "Fjord Foods AS", "Ålesund", "Norway", "website"),
    (4, "Maria", "García", "", "", "Madrid", "Spain", ""),
]
EMAILS = [(1, "work", "rob@acme.example", 0), (3, "work", "ase@fjord.example", 0)]
PHONES = [(1, "mobile", "+4795551234", "95551234", 0), (2, "work", "+4722334455", "22334455", 0)]
INTERACTIONS = [
    # customer, kind, at, notes, outcome, follow_up, follow_up_done (a boolean on PostgreSQL)
    (1, "call", "2026-10-01 09:00:00", "asked about volume pricing", "", "2026-10-15", False),
    (1, "email", "2026-11-02 10:00:00", "sent the quote", "quote sent", "2026-12-01", False),
    (2, "meeting", "2026-09-12 14:00:00", "demo for the team", "", "2026-09-20", False),
    (2, "call", "2026-09-25 11:00:00", "no answer", "", None, False),
    (3, "note", "2026-11-19 16:30:00", "renewal discussed", "", "2026-11-25", True),
]
PURCHASES = [
    (1, "2026-03-01", 120000, "Annual licence"),
    (1, "2026-11-01", 45000, "Support plan"),
    (3, "2025-12-24", -5000, "Credit note"),
    (3, "2026-06-30", 89000, "Hardware kit"),
]


def _insert_all(db) -> None:
    conn = store_of(db)  # `?` on either engine
    conn.executemany(
        "INSERT INTO customer (id, first_name, last_name, nickname, company, city, country, "
        "source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "'2025-01-01 00:00:00', '2025-01-01 00:00:00')",
        CUSTOMERS,
    )
    conn.executemany(
        "INSERT INTO customer_email (customer_id, label, address, position) VALUES (?, ?, ?, ?)",
        EMAILS,
    )
    conn.executemany(
        "INSERT INTO customer_phone (customer_id, label, number, national, position) "
        "VALUES (?, ?, ?, ?, ?)",
        PHONES,
    )
    conn.executemany(
        "INSERT INTO interaction (customer_id, kind, at, notes, outcome, follow_up, "
        "follow_up_done, logged_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'anna', ?)",
        [(*row, row[2]) for row in INTERACTIONS],
    )
    conn.executemany(
        "INSERT INTO purchase (customer_id, day, cents, currency, description, created_at) "
        "VALUES (?, ?, ?, 'USD', ?, ?)",
        [(*row, row[1]) for row in PURCHASES],
    )


def _state(db) -> dict:
    derived = list(
        db.execute_sql(
            "SELECT id, last_contact_at, next_follow_up, lifetime_cents, purchase_count, "
            "last_purchase_on FROM customer ORDER BY id"
        )
    )
    index = list(db.execute_sql("SELECT rowid, * FROM customer_fts ORDER BY rowid"))
    found = {
        query: [row.id for row in search(db, query, as_of=TODAY)]
        for query in ("rob", "95551234", "quote", "ålesund", "tier:gold", "spent12m>1000")
    }
    return {"derived": derived, "index": index, "found": found}


def _triggers(db) -> list[tuple]:
    """The book's triggers as the engine keeps them; on PostgreSQL, whether each is enabled,
    and the `crm.bulk` switch that bulk_load turns on (its triggers then do nothing)."""
    if db.engine != "postgresql":
        return list(db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    triggers = db.execute_sql(
        "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger "
        "WHERE NOT tgisinternal ORDER BY tgrelid::regclass::text, tgname"
    )
    bulk = db.execute_sql("SELECT coalesce(current_setting('crm.bulk', true), '')")
    return [*triggers, ("crm.bulk", *bulk.fetchone())]


def _search_documents(db) -> int:
    """How many customers the search index holds a document of."""
    table = "customer_search" if db.engine == "postgresql" else "customer_fts"
    return db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]


def _fresh(path: Path):
    close_database()
    return open_database(path)


def test_bulk_load_leaves_the_same_figures_and_index_as_the_triggers(tmp_path: Path) -> None:
    by_trigger = _fresh(tmp_path / "triggers.db")
    with by_trigger.atomic():
        _insert_all(by_trigger)
    expected = _state(by_trigger)

    bulk = _fresh(tmp_path / "bulk.db")
    with bulk_load(bulk):
        _insert_all(bulk)
    got = _state(bulk)
    close_database()

    assert got == expected
    # The comparison means something: figures were really derived, and searches really hit.
    assert expected["derived"][0][1:] == (
        "2026-11-02 10:00:00",
        "2026-12-01",
        165000,
        2,
        "2026-11-01",
    )
    assert expected["found"]["rob"] == [1]
    assert expected["found"]["ålesund"] == [3]


def test_triggers_are_back_after_a_bulk_load(db) -> None:
    before = _triggers(db)
    with bulk_load(db):
        _insert_all(db)
    assert _triggers(db) == before
    # ... and working: a call logged the ordinary way moves the last contact and reindexes.
    log_interaction(db, 4, notes="wants the catalogue in Spanish", at="2026-11-21 09:30")
    last_contact = db.execute_sql("SELECT last_contact_at FROM customer WHERE id = 4")
    assert last_contact.fetchone()[0].startswith("2026-11-21 09:30")
    assert [row.id for row in search(db, "catalogue", as_of=TODAY)] == [4]


def test_a_failed_bulk_load_keeps_nothing_and_restores_the_triggers(db) -> None:
    before = _triggers(db)
    with pytest.raises(RuntimeError, match="disk on fire"), bulk_load(db):
        _insert_all(db)
        raise RuntimeError("disk on fire")
    assert _triggers(db) == before
    assert db.execute_sql("SELECT count(*) FROM customer").fetchone()[0] == 0
    assert _search_documents(db) == 0


def _automerge(db) -> list[tuple]:
    """What customer_fts says of its automerge setting (no row: FTS5's default)."""
    return list(db.execute_sql("SELECT v FROM customer_fts_config WHERE k = 'automerge'"))


@pytest.mark.sqlite_only  # FTS5's automerge setting: PostgreSQL's index has no such switch
def test_a_bulk_load_leaves_the_search_index_merging_as_before(db, tmp_path: Path) -> None:
    from tui_crm.core.interchange.files import import_file

    with bulk_load(db):
        _insert_all(db)
    # Off while the documents went in; back to FTS5's default so later writes keep merging.
    assert _automerge(db) == [(4,)]
    file = tmp_path / "people.csv"
    file.write_text("First Name,Last Name\nKari,Nordmann\n", encoding="utf-8")
    assert import_file(db, file).added == 1
    assert _automerge(db) == [(4,)]
    assert [row.last_name for row in search(db, "nordm", as_of=TODAY)] == ["Nordmann"]
