"""A customer's text is kept whatever its length, on either engine (migration 19): a 4 000-letter
city, name, company, source, answer, email, tag or vCard UID is saved, found, sorted, queued and
checked as any other, where PostgreSQL's indexes once refused the whole customer."""

from __future__ import annotations

import random
import string
from datetime import date

import pytest

from tui_crm.core.attention import attention_page
from tui_crm.core.check import check_book
from tui_crm.core.customers import create_customer, customer_row, get_profile
from tui_crm.core.duplicates_kept import kept_pairs
from tui_crm.core.insights import insights
from tui_crm.core.query import parse
from tui_crm.core.search import search

pytestmark = pytest.mark.both_engines

TODAY = date(2026, 12, 6)
# Letters at random: no compression takes them under an index entry's 2 704 bytes.
LONG = "".join(random.Random(7).choice(string.ascii_letters) for _ in range(4000))


@pytest.mark.parametrize(
    "field", ["city", "company", "first_name", "last_name", "source", "why_chose_us", "uid"]
)
def test_a_customer_with_4000_letters_in_a_field_is_kept_whole_and_found(db, field):
    values = {"first_name": "Lena", "last_name": "Lang", field: LONG}
    kept = create_customer(db, values)
    other = create_customer(db, {"first_name": "Ada", "last_name": "Berg", "city": "Oslo"})
    assert getattr(customer_row(kept), field) == LONG
    assert {row.id for row in search(db, parse(""), as_of=TODAY)} == {kept, other}
    for order in ("sort:name", "sort:last_name", "sort:company", "sort:city"):
        assert len(search(db, parse(order), as_of=TODAY)) == 2
    if field in ("city", "source"):
        assert [row.id for row in search(db, parse(f"{field}:{LONG}"), as_of=TODAY)] == [kept]
    attention_page(db, TODAY, limit=10)
    insights(db, TODAY)
    assert check_book(db).problems == ()


def test_long_emails_tags_and_twins_by_a_long_name(db):
    email = f"{LONG.lower()}@example.com"
    first = create_customer(db, {"first_name": LONG, "last_name": "Lang", "emails": [email]})
    second = create_customer(
        db, {"first_name": LONG, "last_name": "Lang", "emails": [email], "tags": [LONG]}
    )
    assert list(get_profile(db, second, TODAY).tags) == [LONG.lower()]
    pairs = {frozenset((p.a.id, p.b.id)): p for p in kept_pairs(db)}
    assert frozenset((first, second)) in pairs  # same name, same email
    assert check_book(db).problems == ()
