"""Any customer the app can hold survives export and re-import unchanged, in CSV and vCard,
field by field, including into a book that never saw them."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import category
from tui_crm.core.customers import EMAIL_LABELS, PHONE_LABELS, create_customer
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv, write_contacts_csv
from tui_crm.core.interchange.export import customer_records
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.text import decode
from tui_crm.core.interchange.vcard import parse_vcards, write_vcards

pytestmark = pytest.mark.both_engines

FORMATS = {
    "csv": (write_contacts_csv, parse_contacts_csv),
    "vcard": (write_vcards, parse_vcards),
}
PHONES = ("+4795551234", "+4722334455", "+12125550100", "+16175550123", "+4930123456")
CATEGORIES = ("key account", "regular")

_LETTERS = st.characters(
    blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"), blacklist_characters="\ufeff"
)
one_line = st.text(_LETTERS, max_size=24).map(lambda t: " ".join(t.split()))
free_text = st.lists(st.text(_LETTERS, max_size=30), max_size=3).map(
    lambda lines: "\n".join(lines).strip()
)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
addresses = st.from_regex(
    r"[a-z0-9]{1,6}([._+-][a-z0-9]{1,4}){0,2}@[a-z]{1,10}\.(com|no|de)", fullmatch=True
)
tags = st.lists(
    st.from_regex(r"[a-zæøå0-9]{1,8}( [a-z]{1,6})?", fullmatch=True), max_size=4, unique=True
)


@st.composite
def customers(draw) -> dict:
    values = {
        name: draw(one_line)
        for name in [
            "last_name",
            "nickname",
            "company",
            "job_title",
            "postal_code",
            "city",
            "region",
            "country",
            "source",
            "owner",
            "territory",
        ]
    }
    values["first_name"] = draw(one_line.filter(bool))
    for name in ("street", "notes", "why_chose_us"):
        values[name] = draw(free_text)
    for name in ("birthday", "acquired_on"):
        values[name] = draw(st.none() | days)
    values["gender"] = draw(st.sampled_from(("", "f", "m", "x")))
    values["email_opt_out"] = draw(st.booleans())
    values["category"] = draw(st.sampled_from(("", *CATEGORIES)))
    status = draw(st.sampled_from(("active", "lost")))  # lapsed is worked out, not typed
    values["status"] = status
    if status == "lost":
        values["lost_reason"] = draw(one_line.filter(bool))
        values["lost_on"] = draw(days)
    emails = draw(st.lists(addresses, max_size=3, unique_by=str.casefold))
    values["emails"] = [(draw(st.sampled_from(EMAIL_LABELS)), e) for e in emails]
    phones = draw(st.lists(st.sampled_from(PHONES), max_size=3, unique=True))
    values["phones"] = [(draw(st.sampled_from(PHONE_LABELS)), p) for p in phones]
    values["tags"] = draw(tags)
    return values


def _wipe(db) -> None:
    db.execute_sql("DELETE FROM customer")


def _round_trip(db, fmt: str, ids: list[int]):
    write, parse = FORMATS[fmt]
    before = customer_records(db, ids)
    out = io.StringIO()
    write(before, out)
    _wipe(db)  # a book that never saw them
    text = decode(out.getvalue().encode("utf-8"))
    report = load_customers(db, parse(text), source=f"x.{fmt}")
    assert report.rejected == () and report.added == len(ids)
    new_ids = [row[0] for row in db.execute_sql("SELECT id FROM customer ORDER BY id")]
    after = customer_records(db, new_ids)
    return [replace(r, id=0) for r in before], [replace(r, id=0) for r in after]


@pytest.fixture
def book(db):
    for name in CATEGORIES:
        category(db, name, 30)
    return db


@pytest.mark.parametrize("fmt", ["csv", "vcard"])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=customers())
def test_any_customer_survives_export_and_import_unchanged(book, fmt, values):
    _wipe(book)
    customer = create_customer(book, values)
    before, after = _round_trip(book, fmt, [customer])
    assert after == before


@pytest.mark.parametrize("fmt", ["csv", "vcard"])
def test_a_whole_book_keeps_its_referral_tree_through_a_round_trip(book, fmt):
    harry = create_customer(book, {"first_name": "Harry", "company": "Acme; Sons, Ltd"})
    ann = create_customer(book, {"first_name": "Ann", "referred_by": harry, "tags": ["vip"]})
    create_customer(book, {"first_name": "Ben", "referred_by": ann, "street": "1 Main\nApt 2"})
    create_customer(book, {"company": "Nordlys AS"})  # a company with no person's name
    ids = [row[0] for row in book.execute_sql("SELECT id FROM customer ORDER BY id DESC")]
    before, after = _round_trip(book, fmt, ids)  # referred before their referrers in the file
    assert sorted(after, key=lambda r: r.uid) == sorted(before, key=lambda r: r.uid)
    parents = dict(
        book.execute_sql(
            "SELECT c.first_name, r.first_name FROM customer c "
            "LEFT JOIN customer r ON r.id = c.referred_by_id"
        ).fetchall()
    )
    assert parents == {"Harry": None, "Ann": "Harry", "Ben": "Ann", "": None}
