"""On a large book search may walk an index in result order instead of sorting every match
(core/search.py chooses by an estimate). Whatever it chooses, the rows and their order must
be exactly what the plain plan gives: each plan is run by hand against the plain one here, on
each engine (PostgreSQL takes no index hints, but its rows must be the same)."""

from __future__ import annotations

import itertools
import os
from datetime import date
from pathlib import Path

import pytest

from tests.builders import query_plan, recorded_statements
from tui_crm.core import config
from tui_crm.core import search as search_module
from tui_crm.core.demo import build_demo
from tui_crm.core.query import parse
from tui_crm.core.value import ensure_values
from tui_crm.db.database import close_database, open_database

TODAY = date(2026, 11, 20)

QUERIES = [
    "",
    "r",
    "ro",
    "rob",
    "an",
    "s -smith",
    "oslo",
    "city:oslo,boston",
    "-city:oslo",
    "tier:gold",
    "tier:silver,gold",
    "tier:gold r",
    "tier:gold,none",
    "-tier:silver",
    "tag:vip",
    "gender:f spent12m>100",
    "spent12m>=500",
    "spent30d<0",
    "lifetime=0",
    "status:lapsed,lost",
    "status:lost",
    "status:lost r",
    "-status:lapsed",
    "status:active tier:gold",
    "due:overdue",
    "due:week",
    "a country:norway",
    "e -tag:newsletter",
    "owner:me",
    "gender:f owner:me",
    "company:a -gender:m",
    "territory:north spent12m>100",
]
SORTS = [
    "",
    "sort:name",
    "sort:-last_name",
    "sort:company,-city",
    "sort:created",
    "sort:-created",
    "sort:last_contact",
    "sort:next_follow_up",
    "sort:-next_follow_up,name",
    "sort:value",
    "sort:-value",
    "sort:-spent30d,last_name",
    "sort:lifetime",
    "sort:-lifetime,-created",
]


_BOOKS = itertools.count(1)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("plans")
    place: str | Path = folder / "demo.db"
    if request.param == "postgresql":  # one book for the module, as pg_url makes one a test
        from tests.conftest import create_database

        name = f"plans_{os.getpid()}_{next(_BOOKS)}"  # the module may be loaded twice
        create_database(
            request.getfixturevalue("pg_cluster"), name, request.getfixturevalue("pg_template")
        )
        place = request.getfixturevalue("pg_cluster").url(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUI_CRM_HOME", str(folder / "home"))
        patch.setenv("TUI_CRM_USER", "anna")
        config.settings.cache_clear()
        db = open_database(place)
        build_demo(db, customers=300, seed=11, today=TODAY)
        ensure_values(db, TODAY)
        yield db
        close_database()
        config.settings.cache_clear()


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("text", QUERIES)
def test_every_plan_gives_the_rows_of_the_plain_plan(book, text: str, sort: str) -> None:
    # status: and reason: are answered by the lapsed rule and the queue first, as search does
    query = search_module.resolve(book, parse(f"{text} {sort}".strip()), TODAY)
    if not search_module._walkable(book, query):
        pytest.fail(f"no index walk for {sort!r}: the planner would always sort")
    for limit in (1, 7, 50):
        expected = search_module._direct_ids(book, query, TODAY, limit)
        for mode in ("walk", "seek"):
            got = search_module._walk_ids(book, query, TODAY, limit, mode)
            assert got == expected, (mode, limit)
        # "direct" driven from a qualifier's index rather than the hits
        assert search_module._direct_ids(book, query, TODAY, limit, "walk") == expected
        # "direct" reading the customers in the table's order
        assert search_module._direct_ids(book, query, TODAY, limit, scan=True) == expected


def test_the_book_is_big_enough_to_matter(book) -> None:
    """The comparisons above are only worth something if queries hit many rows, and ties."""
    everyone = search_module._direct_ids(book, parse(""), TODAY, None)
    assert len(everyone) >= 290
    golds = search_module._direct_ids(book, parse("tier:gold"), TODAY, None)
    assert len(golds) >= 25
    zero = search_module._direct_ids(book, parse("spent12m=0"), TODAY, None)
    assert len(zero) >= 20  # a tie the walk must break by the second key and the id
    lapsed = search_module.resolve(book, parse("status:lapsed"), TODAY)
    assert len(search_module._direct_ids(book, lapsed, TODAY, None)) >= 5  # who stopped buying


@pytest.mark.parametrize("sort", ["sort:-value", "sort:value", "sort:-lifetime"])
def test_a_walk_for_gold_or_silver_ends_with_the_customers_who_spent(book, sort) -> None:
    """No 12-month spend is neither gold nor silver: a walk by 12-month spend for them stops
    after the spenders (in a book just imported, without purchases, it walked everyone: 0.6 s
    for `tier:gold c` at 100 000 customers), and other walks are left whole."""
    from tui_crm.db.store import store_of

    for text, by_spend in (("tier:gold", True), ("tier:silver,gold r", True), ("tier:none", False)):
        stretches = store_of(book).stretches(parse(f"{text} {sort}"))
        cut = sort in ("sort:-value", "sort:value") and by_spend
        assert (len(stretches) == 1) == cut, text
        if cut:
            assert "v.spent_12m > 0" in stretches[0].where


@pytest.mark.parametrize("sort", ["", "sort:name", "sort:-created", "sort:-value", "tier:gold"])
def test_every_plan_puts_the_same_customers_named_exactly_first(book, monkeypatch, sort) -> None:
    """`Ann Berg` lists Ann Berg first, whichever plan finds the rest; then the same rows."""
    people = book.execute_sql(
        "SELECT id, first_name, last_name FROM customer WHERE deleted_at IS NULL "
        "AND first_name != '' AND last_name != '' ORDER BY id LIMIT 30"
    ).fetchall()
    plans = [
        search_module._Plan(),
        search_module._Plan(text="walk"),
        search_module._Plan(walk=True, text="walk"),
        search_module._Plan(walk=True, text="seek"),
        search_module._Plan(scan=True),
    ]
    moved = 0
    for cid, first, last in people:
        for text in (f"{first} {last}", f"{last.upper()}, {first.lower()}"):
            query = parse(f"{text} {sort}".strip())
            answers = []
            for plan in plans:
                monkeypatch.setattr(search_module, "_choose_plan", lambda *_, plan=plan: plan)
                answers.append(search_module.search_ids(book, query, as_of=TODAY, limit=7))
            assert all(answer == answers[0] for answer in answers), text
            plain = search_module._direct_ids(book, query, TODAY, 7)
            if cid in plain or cid in answers[0]:
                named = search_module.exact_name_ids(book, query, TODAY)
                assert cid in named and answers[0][: len(named)] == named[:7], text
                moved += plain[: len(named)] != named[:7]
    if not sort:
        assert moved  # some of them were not first by the query's own order


WORDS = ["rob", "an", "e", "oslo", "vip", "ann berg", "-a", '"anna"', "voice", "call", "4155"]


def _as_anna(place: str | Path) -> str | Path:
    """The book opened by anna, whom `owner:me` then means: her config's user on a file, her
    role on PostgreSQL."""
    if not str(place).startswith("postgresql://"):
        return place
    import psycopg

    with psycopg.connect(str(place), autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anna') THEN "
            "CREATE ROLE anna LOGIN SUPERUSER; END IF; END $$"
        )
    user, at, rest = str(place).removeprefix("postgresql://").partition("@")
    return f"postgresql://anna{at}{rest}"


def _answers(place: str | Path, folder: Path) -> dict[str, object]:
    """What each query finds in a demo book at `place`: ids, counts, snippets."""
    from tui_crm.core.search import count_matches, note_snippets, search_ids

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUI_CRM_HOME", str(folder / "home"))
        patch.setenv("TUI_CRM_USER", "anna")
        config.settings.cache_clear()
        db = open_database(_as_anna(place))
        try:
            build_demo(db, customers=300, seed=11, today=TODAY)
            answers: dict[str, object] = {}
            for text in [*QUERIES, *WORDS]:
                for sort in ("", "sort:name", "sort:-created", "sort:lifetime"):
                    query = parse(f"{text} {sort}".strip())
                    ids = search_ids(db, query, as_of=TODAY, limit=60)
                    answers[f"{text} {sort}"] = ids
                answers[f"count {text}"] = count_matches(db, text, as_of=TODAY)
                everyone = search_ids(db, parse(text), as_of=TODAY, limit=None)
                answers[f"notes {text}"] = note_snippets(db, text, everyone)
            return answers
        finally:
            close_database()
            config.settings.cache_clear()


@pytest.mark.postgres
def test_both_engines_find_the_same_customers(pg_url: str, tmp_path: Path) -> None:
    """The same demo book on SQLite and on PostgreSQL: every query finds the same customers
    in the same order, counts them alike and shows the same snippets of their notes."""
    on_sqlite = _answers(tmp_path / "demo.db", tmp_path)
    on_postgresql = _answers(pg_url, tmp_path)
    assert sum(bool(v) for v in on_sqlite.values()) > len(on_sqlite) // 2
    assert any(key.startswith("notes") and v for key, v in on_sqlite.items())
    for key, expected in on_sqlite.items():
        assert on_postgresql[key] == expected, key


@pytest.mark.parametrize(
    ("text", "scan"),
    [
        ("owner:nobody", True),  # no one passes, and no index could find them
        ("gender:x company:nowhere sort:-created", True),
        ("owner:nobody sort:-value", False),  # the figures' table gives the order
        ("owner:nobody sort:next_follow_up", False),  # as does the follow-ups' index
        ("company:nowhere sort:company", False),  # the order by company meets them in a row
        ("owner:nobody city:oslo", False),  # the city's index finds its few
        ("owner:nobody rob", False),  # the search index finds the word's few
        ("gender:f", False),  # half the book: the walk finds 50 at once
    ],
)
def test_a_qualifier_few_pass_and_no_index_finds_reads_the_table_in_its_order(
    book, monkeypatch, text, scan
) -> None:
    # SQLite walked the sorted order instead, looking up each customer from the index:
    # `gender:f` in a book of 100 000 imported without genders took 100 ms, not 12.
    monkeypatch.setattr(search_module, "SMALL_BOOK", 100)  # the demo book counts as large
    query = search_module._prepared(book, search_module.resolve(book, parse(text), TODAY))
    plan = search_module._choose_plan(book, query, TODAY, 50)
    assert plan.scan == scan
    if text == "gender:f":
        assert plan.walk


@pytest.mark.sqlite_only
def test_the_table_read_in_its_order_is_read_without_an_index(db, monkeypatch) -> None:
    asked = recorded_statements(db, monkeypatch)
    search_module._direct_ids(db, parse("gender:x sort:name"), TODAY, 50, scan=True)
    (sql, params), *_ = [(s, p) for s, p in asked if "c.gender" in s]
    plan = query_plan(db, sql, params)
    assert "SCAN c" in plan and "customer_first_name" not in plan


@pytest.mark.parametrize("rare", [False, True])
def test_a_walk_for_a_qualifier_the_sample_barely_saw_is_costed_as_going_the_whole_way(
    book, monkeypatch, rare
) -> None:
    # `lifetime<0 an` in a book of 100 000: one customer of the sample's 500 passed, so the
    # walk was guessed at a third of the book; it walked 60 % of it (90-110 ms) where
    # collecting the hits of `an` and testing them took 20-30 ms.
    from tui_crm.db.store import store_of

    store = store_of(book)
    monkeypatch.setattr(store, "highest_customer_id", lambda: 100_000)
    monkeypatch.setattr(store, "text_hits", lambda query, cap: cap)  # `an`: half the book
    passed = 1 if rare else 2  # of the sample's 500
    share = (passed + 0.5) / (search_module.SAMPLE_ROWS + 1)
    shares = search_module._Shares(passing=share, along_walk=share, rare=rare)
    monkeypatch.setattr(search_module, "_qualifier_shares", lambda *_: shares)
    query = search_module._prepared(book, parse("lifetime<0 an"))
    plan = search_module._choose_plan(book, query, TODAY, 50)
    assert plan.walk != rare


def test_the_sample_says_rare_when_at_most_one_customer_passes(book) -> None:
    everyone = len(search_module._direct_ids(book, parse(""), TODAY, None))
    for text, rare in (("owner:nobody", True), ("gender:f", False), ("tier:none", False)):
        query = search_module._prepared(book, parse(text))
        shares = search_module._qualifier_shares(book, query, TODAY, everyone)
        assert shares.rare == rare, text
