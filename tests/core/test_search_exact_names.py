"""A customer named exactly as typed comes first: `rob smith ↓ l` logs a call for Rob Smith,
not for a more valuable Robert Smith the prefix search also finds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tui_crm.core import search as search_module
from tui_crm.core.customers import add_purchase, create_customer, trash_customer
from tui_crm.core.query import parse
from tui_crm.core.search import search

pytestmark = pytest.mark.both_engines

AS_OF = date(2026, 11, 18)

PEOPLE = {
    # (first, last, nickname, cents spent in the last year)
    "robert": ("Robert", "Smith", "", 900_000),
    "smithers": ("Robert", "Smithers", "", 950_000),
    "bob": ("Robert", "Smithson", "Bob", 800_000),
    "rob": ("Rob", "Smith", "", 10_000),
    "robin": ("Robin", "Smith", "", 500_000),
    "bobby": ("Roberta", "Smith", "Bob", 700_000),
    "anna": ("Anna", "Müller", "", 300_000),
    "annabel": ("Annabel", "Müller-Lüdenscheidt", "", 600_000),
    "siobhan": ("Siobhan", "O'Brien", "", 100_000),
    "briendale": ("Siobhan", "O'Briendale", "", 400_000),
    "mary": ("Mary Ann", "Jones", "", 50_000),
    "anne": ("Mary Anne", "Jones", "", 90_000),
}


@pytest.fixture
def book(db):
    ids = {}
    for n, (key, (first, last, nickname, cents)) in enumerate(PEOPLE.items()):
        ids[key] = create_customer(
            db,
            {"first_name": first, "last_name": last, "nickname": nickname},
            now=datetime(2025, 1, 1 + n, 9, 0),
        )
        add_purchase(db, ids[key], amount=cents, day=AS_OF - timedelta(days=10))
    return ids


def _find(db, book, text: str, **kwargs) -> list[str]:
    names = {cid: key for key, cid in book.items()}
    return [names[row.id] for row in search(db, text, as_of=AS_OF, **kwargs)]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("rob smith", ["rob"]),
        ("Rob Smith", ["rob"]),
        ("ROB  SMITH", ["rob"]),
        ("Smith, Rob", ["rob"]),
        ("Smith,  Rob", ["rob"]),
        ("anna muller", ["anna"]),  # accents aside
        ("ANNA MÜLLER", ["anna"]),
        ("Müller, Anna", ["anna"]),
        ("siobhan o'brien", ["siobhan"]),
        ("siobhan o’brien", ["siobhan"]),  # a typographic apostrophe
        ("mary ann jones", ["mary"]),  # a first name of two words
        ("bob smith", ["bobby"]),  # nickname and last name: Roberta "Bob" Smith
        ("Smith, Bob", ["bobby"]),
        ("robert smith", ["robert"]),
    ],
)
def test_an_exact_full_name_comes_first(db, book, text, first):
    found = _find(db, book, text)
    assert found[: len(first)] == first


def test_the_rest_keep_the_query_order_behind_the_exact_match(db, book):
    # By 12-month value, Robert Smithers (9 500) heads the prefix matches; Rob (100) is last.
    order = ["smithers", "robert", "bob", "bobby", "robin", "rob"]
    assert _find(db, book, "rob smi") == order
    assert _find(db, book, "rob smith") == ["rob", *order[:-1]]
    # Only a whole name moves anyone: a word more, a word less, a prefix, no comma.
    for text in ("smith", "rob smith oslo", "rob smith -robin", "smith rob", "rob smi", ", rob"):
        query = parse(text)
        assert search_module.exact_name_ids(db, query, AS_OF) == [], text
        expected = search_module._direct_ids(db, query, AS_OF, 50)
        assert [r.id for r in search(db, text, as_of=AS_OF)] == expected, text


def test_two_customers_of_the_same_name_both_come_first_in_the_query_order(db, book):
    twin = create_customer(
        db, {"first_name": "Rob", "last_name": "Smith"}, now=datetime(2026, 1, 1, 9, 0)
    )
    add_purchase(db, twin, amount=20_000, day=AS_OF - timedelta(days=3))
    book = {**book, "twin": twin}
    assert _find(db, book, "rob smith")[:2] == ["twin", "rob"]
    assert _find(db, book, "rob smith sort:-created")[:2] == ["twin", "rob"]
    assert _find(db, book, "rob smith sort:created")[:2] == ["rob", "twin"]


def test_the_exact_match_still_obeys_the_rest_of_the_query(db, book):
    assert _find(db, book, "rob smith spent12m<6000") == ["rob", "robin"]
    assert "rob" not in _find(db, book, "rob smith spent12m>1000")
    trash_customer(db, book["rob"], expected_version=1)
    assert "rob" not in _find(db, book, "rob smith")


def test_the_exact_match_is_first_even_beyond_the_limit(db, book):
    assert _find(db, book, "rob smith", limit=1) == ["rob"]
    assert _find(db, book, "rob smith", limit=2) == ["rob", "smithers"]
    assert len(_find(db, book, "rob smith", limit=None)) == 6


def test_a_first_name_match_comes_before_a_nickname_match(db, book):
    """The demo's Robert "Rob" Smith is Rob Smith too, but `rob smith` means the Rob first."""
    called_rob = create_customer(
        db,
        {"first_name": "Robert", "last_name": "Smith", "nickname": "Rob"},
        now=datetime(2026, 2, 1, 9, 0),
    )
    add_purchase(db, called_rob, amount=2_000_000, day=AS_OF - timedelta(days=3))
    book = {**book, "called_rob": called_rob}
    assert _find(db, book, "rob smith")[:2] == ["rob", "called_rob"]
    assert _find(db, book, "Smith, Rob")[:2] == ["rob", "called_rob"]
