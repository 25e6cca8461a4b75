"""The search index's upkeep (issue 18, speed as felt): SQLite's FTS5 keeps each write's search
documents as a segment of their own and merges them only a little at each later write, so
after many writes and bulk actions a key's prefix is looked for in dozens of segments (at
100 000 customers a key's search took 31 ms at p95 instead of 14). The app, every minute while
the user pauses, and the keeper (`tui-crm keep`) do that merging ahead, in short writes."""

from __future__ import annotations

from datetime import date

import pytest

from tui_crm.core.customers import update_customer
from tui_crm.core.demo import build_demo
from tui_crm.core.keeping import keep_book
from tui_crm.core.query import parse
from tui_crm.core.search import search_ids, tidy_search_index

pytestmark = pytest.mark.sqlite_only  # FTS5's segments; PostgreSQL's GIN index keeps itself

TODAY = date(2026, 11, 20)
QUERIES = ["", "r", "an", "oslo", "tag:vip e", "n 1", "-a sort:-created"]


def _segments(db) -> int:
    return db.execute_sql("SELECT count(DISTINCT segid) FROM customer_fts_idx").fetchone()[0]


def _answers(db) -> dict[str, list[int]]:
    return {text: search_ids(db, parse(text), as_of=TODAY, limit=None) for text in QUERIES}


@pytest.fixture
def written(db):
    """A demo book after 60 writes whose merging is still to do (as many more writes, or a
    bulk action and its undo, leave it)."""
    build_demo(db, customers=120, seed=3, today=TODAY)
    automerge = "INSERT INTO customer_fts(customer_fts, rank) VALUES ('automerge', ?)"
    db.execute_sql(automerge, (0,))
    ids = [cid for (cid,) in db.execute_sql("SELECT id FROM customer ORDER BY id")]
    for n in range(60):
        cid = ids[n * 7 % len(ids)]
        (version,) = db.execute_sql("SELECT version FROM customer WHERE id = ?", (cid,)).fetchone()
        update_customer(db, cid, {"notes": f"n {n}"}, expected_version=version, who="t")
    db.execute_sql(automerge, (4,))
    return db


def test_tidying_merges_what_writes_left_and_every_search_finds_the_same(written):
    before, answers = _segments(written), _answers(written)
    assert before >= 16  # FTS5 merges a level of 16 by itself
    assert tidy_search_index(written) >= 1
    assert _segments(written) <= before / 2
    assert tidy_search_index(written) == 0  # nothing left: a round that finds none writes none
    assert _answers(written) == answers


def test_tidying_stops_when_told_and_when_its_time_is_up(written):
    before = _segments(written)
    assert tidy_search_index(written, stop=lambda: True) == 0
    assert tidy_search_index(written, seconds=0) == 0
    assert _segments(written) == before


def test_the_keeper_tidies_the_index_too(written):
    before = _segments(written)
    keep_book(written, TODAY)
    assert _segments(written) <= before / 2
    assert tidy_search_index(written) == 0
