"""The customer's fields are declared once (core/customer_fields.py): every user column of the
model is declared, and every declared field reaches validation, the form, the merge chooser,
our CSV layout and vCard, and comes back from an export into an empty book."""

from __future__ import annotations

import io
from dataclasses import fields, replace
from datetime import date, timedelta

import pytest

from tests.builders import category
from tui_crm.core.customer_fields import (
    BY_NAME,
    CUSTOMER_FIELDS,
    FORM_GROUPS,
    GROUPS,
    KINDS,
    MERGE_GROUPS,
    NAMES,
)
from tui_crm.core.customers import ALL_FIELDS, create_customer
from tui_crm.core.interchange.contacts_csv import (
    FIELDS as CSV_FIELDS,
)
from tui_crm.core.interchange.contacts_csv import (
    OWN_NAMES,
    SYNONYMS,
    fold,
    parse_contacts_csv,
    write_contacts_csv,
)
from tui_crm.core.interchange.export import customer_records
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.records import CustomerRecord
from tui_crm.core.interchange.text import decode
from tui_crm.core.interchange.vcard import _USED, parse_vcards, write_vcards
from tui_crm.core.merge import MERGE_FIELDS, field_label
from tui_crm.core.types import CustomerProfile
from tui_crm.db.models import Customer
from tui_crm.ui.screens.customer_form import CustomerFormScreen

pytestmark = pytest.mark.both_engines

# Columns of `customer` that are not something the user states about a customer.
SYSTEM_COLUMNS = {
    "id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "email_opt_out_at",  # when email_opt_out was set
    "last_contact_at",  # the rest: kept by triggers (db/derived.py)
    "next_follow_up",
    "lifetime_cents",
    "purchase_count",
    "last_purchase_on",
}
# Declared fields kept in tables of their own, not in columns of `customer`.
OWN_TABLES = {"emails", "phones", "tags"}
# Fields the form does not show: uid is the export's key, lost_on is set by marking lost.
NOT_ON_FORM = {"uid", "lost_on"}


def test_the_declaration_is_well_formed():
    assert len(set(NAMES)) == len(NAMES)
    for f in CUSTOMER_FIELDS:
        assert f.kind in KINDS, f.name
        assert f.group in GROUPS, f.name
        assert f.label, f.name
    assert sorted(MERGE_GROUPS) == sorted(GROUPS)
    assert {group for group, _ in FORM_GROUPS} == set(GROUPS) - {"key"}


def test_every_user_column_of_the_model_is_declared():
    columns = set(Customer._meta.fields) - SYSTEM_COLUMNS
    assert columns == set(NAMES) - OWN_TABLES
    assert {n for n in NAMES if BY_NAME[n].kind == "list"} == OWN_TABLES


def test_records_and_profiles_hold_every_field():
    assert {f.name for f in fields(CustomerRecord)} == {"id", *NAMES}
    profile = {f.name for f in fields(CustomerProfile)}
    assert set(NAMES) - {"uid"} <= profile  # a profile names its customer by id


def test_validation_knows_every_field():
    assert set(ALL_FIELDS) == set(NAMES)  # what clean_customer accepts (and the round trip sets)


def test_every_field_on_the_form_and_in_the_merge_chooser():
    assert set(CustomerFormScreen.FIELDS) == set(NAMES) - NOT_ON_FORM
    assert sorted(MERGE_FIELDS) == sorted(NAMES)
    for f in CUSTOMER_FIELDS:
        assert field_label(f.name) == f.label


def test_every_field_in_our_csv_layout_and_vcard():
    assert ("id", *NAMES) == CSV_FIELDS
    for f in CUSTOMER_FIELDS:
        assert f.vcard and f.vcard.lower() in _USED, f.name
        for word in f.words.split("|") if f.words else ():
            assert SYNONYMS[fold(word)] == f.name
        if f.name != "referred_by":  # another file's "Referred by" is a name: a note
            assert OWN_NAMES[fold(f.name)] == f.name


# --- every field through an export and back ------------------------------------------------


def _value(f, number: int, referrer: int):
    """A value for `f` unlike its default and unlike every other field's."""
    if f.kind == "text":
        return f"{f.name} {number}"
    if f.kind == "multiline":
        return f"{f.name} {number}\nsecond line"
    if f.kind == "date":
        return date(1970, 1, 1) + timedelta(days=1000 * number)
    if f.kind == "bool":
        return True
    if f.kind == "choice":
        return f.choices[-1][1]
    if f.kind == "key":
        return f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
    if f.name == "category":
        return "key account"
    if f.name == "referred_by":
        return referrer
    return {
        "emails": [("work", "ada@example.com"), ("home", "ada@example.org")],
        "phones": [("mobile", "+4795551234"), ("work", "+4722334455")],
        "tags": ["partner", "vip"],
    }[f.name]


@pytest.fixture
def everything(db):
    category(db, "key account", 30)
    referrer = create_customer(db, {"first_name": "Harry", "uid": "urn:uuid:harry"})
    values = {f.name: _value(f, n, referrer) for n, f in enumerate(CUSTOMER_FIELDS, 1)}
    customer = create_customer(db, values)
    return db, [referrer, customer]


@pytest.mark.parametrize(
    "write, parse", [(write_contacts_csv, parse_contacts_csv), (write_vcards, parse_vcards)]
)
def test_every_field_survives_export_and_import_into_an_empty_book(everything, write, parse):
    db, ids = everything
    before = customer_records(db, ids)
    default = CustomerRecord(id=0, uid=None)
    for name in NAMES:  # every field is set, so the comparison below checks it
        assert getattr(before[1], name) != getattr(default, name), name
    out = io.StringIO()
    write(before, out)
    db.execute_sql("DELETE FROM customer")  # a book that never saw them
    report = load_customers(db, parse(decode(out.getvalue().encode("utf-8"))), source="x")
    assert report.rejected == () and report.added == 2
    new_ids = [row[0] for row in db.execute_sql("SELECT id FROM customer ORDER BY id")]
    after = customer_records(db, new_ids)
    assert [replace(r, id=0) for r in after] == [replace(r, id=0) for r in before]
