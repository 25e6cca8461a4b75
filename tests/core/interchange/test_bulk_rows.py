"""The rows an import writes in bulk for its new customers are the rows the form's path
(`create_customer`) writes for the same values, and their uids are version 4 UUIDs."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime

import pytest

from tui_crm.core.customers import create_customer, new_uids
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.records import Parsed, SourceRow

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 11, 20, 10, 0)

PEOPLE = [
    {
        "first_name": "Anna",
        "last_name": "Berg",
        "emails": [("work", "anna@fjord.no"), ("home", "Anna.Berg@Gmail.com")],
        "phones": [("mobile", "+47 955 51 234"), ("work", "22 33 44 55 ext. 12")],
        "country": "Norway",
        "tags": ["vip", "golf"],
    },
    {
        "first_name": "Sarah",
        "last_name": "Lee",
        "phones": [
            ("home", "555-0000"),
            ("mobile", "+1 415-555-0132"),
            ("other", "+39 06 1234 5678"),
        ],
    },
    {"company": "Fjord AS", "phones": [("work", "0044 20 7946 0000 x 7")]},
]


def _rows(db, table: str, columns: str) -> list[tuple]:
    return list(db.execute_sql(f"SELECT {columns} FROM {table} ORDER BY customer_id, id"))


def test_an_imports_new_customers_have_the_rows_the_form_would_write(db, tmp_path, monkeypatch):
    # Enough rows that the import writes them in bulk and checks phones in its workers (from
    # fewer rows than a real import needs for that, so the form's path below stays quick).
    monkeypatch.setattr("tui_crm.core.interchange.load.POOL_MIN_ROWS", 600)
    people = [
        {
            **person,
            "emails": [(label, f"{n}.{address}") for label, address in person.get("emails", [])],
        }
        for n, person in enumerate(PEOPLE * 300)
    ]
    assert len(people) >= 600
    report = load_customers(
        db,
        Parsed("CSV", [SourceRow(n + 2, values) for n, values in enumerate(people)]),
        source="people.csv",
        now=NOW,
        who="test",
    )
    assert report.added == len(people)
    imported = {
        table: _rows(db, table, columns)
        for table, columns in (
            (
                "customer_phone",
                "customer_id, label, number, national, verified, extension, shown, position",
            ),
            ("customer_email", "customer_id, label, address, position"),
        )
    }
    db.execute_sql("DELETE FROM customer_phone")
    db.execute_sql("DELETE FROM customer_email")
    created = [
        create_customer(db, values, who="test", now=NOW, keep_unverified=True) for values in people
    ]
    assert created == list(range(created[0], created[0] + len(people)))
    offset = created[0] - 1
    for table, rows in imported.items():
        columns = (
            "customer_id, label, number, national, verified, extension, shown, position"
            if table == "customer_phone"
            else "customer_id, label, address, position"
        )
        made = [(cid - offset, *rest) for cid, *rest in _rows(db, table, columns)]
        assert rows and rows == made


def test_new_uids_are_distinct_version_4_uuids():
    uids = list(itertools.islice(new_uids(block=7), 50))
    assert len(set(uids)) == 50
    for uid in uids:
        assert uid.startswith("urn:uuid:")
        parsed = uuid.UUID(uid.removeprefix("urn:uuid:"))
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == uid.removeprefix("urn:uuid:")
