"""Phone numbers in the form's path: letters refused, a plausible number that does not validate
asked about (UnverifiedValues) and kept once confirmed, extensions kept; an unverified number
is found by its digits and never makes a duplicate."""

from __future__ import annotations

from datetime import date

import pytest

from tui_crm.core.customers import clean_customer, create_customer, get_profile, update_customer
from tui_crm.core.duplicates import find_duplicate_pairs, probable_duplicates
from tui_crm.core.fields import split_extension
from tui_crm.core.search import search
from tui_crm.errors import UnverifiedValues, ValidationError

pytestmark = pytest.mark.both_engines

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "number", "extension"),
    [
        ("+1 415-555-0100 ext. 12", "+1 415-555-0100", "12"),
        ("415 555 0100 x123", "415 555 0100", "123"),
        ("4155550100x9", "4155550100", "9"),
        ("+1 415 555 0100;ext=102", "+1 415 555 0100", "102"),
        ("555 0100 #123", "555 0100", "123"),
        ("(415) 555-0100 ext 12", "(415) 555-0100", "12"),
        ("+47 955 51 234", "+47 955 51 234", ""),
        ("#123", "#123", ""),
    ],
)
def test_extensions_are_split_off(text, number, extension):
    assert split_extension(text) == (number, extension)


def test_the_form_refuses_letters_in_a_phone():
    for text in ("call me", "555 CALL ME"):
        with pytest.raises(ValidationError) as caught:
            clean_customer({"phones": [text]}, keep_unverified=True)
        assert not isinstance(caught.value, UnverifiedValues)
        assert "letters in a phone" in caught.value.errors["phones"]


def test_a_plausible_number_that_does_not_validate_is_asked_about_then_kept():
    with pytest.raises(UnverifiedValues) as caught:
        clean_customer({"first_name": "Bo", "phones": ["+44 7700 900123"]})
    assert caught.value.warnings == {
        "phones": "'+44 7700 900123' could not be verified; kept as typed"
    }
    cleaned = clean_customer(
        {"first_name": "Bo", "phones": ["+44 7700 900123 ext. 4"]}, keep_unverified=True
    )
    assert cleaned.phones == [
        ("mobile", "+44 7700 900123", "447700900123", False, "4", "+44 7700 900123")
    ]
    assert cleaned.warnings == {
        "phones": "'+44 7700 900123 ext. 4' could not be verified; kept as typed"
    }


def test_a_valid_number_with_an_extension_needs_no_confirmation():
    cleaned = clean_customer({"phones": [("work", "+1 415-555-0132 x12")]})
    assert cleaned.phones == [("work", "+14155550132", "4155550132", True, "12", "+1 415-555-0132")]
    assert cleaned.warnings == {}


def test_create_and_update_take_keep_unverified_and_the_profile_says_so(db):
    values = {"first_name": "Bo", "last_name": "Lee", "phones": ["555-0100 x7"]}
    with pytest.raises(UnverifiedValues):
        create_customer(db, values)
    cid = create_customer(db, values, keep_unverified=True)
    [phone] = get_profile(db, cid, TODAY).phones
    assert (phone.value, phone.number, phone.verified, phone.extension) == (
        "555-0100 ext. 7",
        "555-0100",
        False,
        "7",
    )
    profile = get_profile(db, cid, TODAY)
    # Saving again what the form shows asks nothing: the customer holds that number already.
    version = update_customer(
        db,
        cid,
        {"city": "Oslo", "phones": [(p.label, p.value) for p in profile.phones]},
        expected_version=profile.version,
    )
    with pytest.raises(UnverifiedValues):
        update_customer(db, cid, {"phones": ["555-0100", "555-0199"]}, expected_version=version)
    assert [p.number for p in get_profile(db, cid, TODAY).phones] == ["555-0100"]


def test_an_unverified_number_is_found_by_its_digits_and_never_a_duplicate(db):
    first = create_customer(
        db, {"first_name": "Al", "last_name": "One", "phones": ["555-0100"]}, keep_unverified=True
    )
    create_customer(
        db, {"first_name": "Bea", "last_name": "Two", "phones": ["555-0100"]}, keep_unverified=True
    )
    assert first in [row.id for row in search(db, "5550100", as_of=TODAY)]
    assert probable_duplicates(db, {"first_name": "Cy", "phones": ["555-0100"]}) == []
    assert not any(
        "phone" in reason.code for pair in find_duplicate_pairs(db) for reason in pair.reasons
    )
