"""What people type into contact and money fields: emails, phone numbers, amounts."""

from __future__ import annotations

import random

import pytest

from tui_crm.core import fields
from tui_crm.core.fields import (
    format_money,
    format_phone,
    normalize_email,
    parse_money,
    parse_phone,
    parse_phone_shown,
    phone_answer,
    remembered_phones,
)
from tui_crm.errors import CrmError


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("anna@example.com", "anna@example.com"),
        ("  Anna.Berg@Example.COM ", "Anna.Berg@example.com"),
        ("a.b+tag@sub.Example.co.uk", "a.b+tag@sub.example.co.uk"),
        ("o'brien@dublin.ie", "o'brien@dublin.ie"),
        ("x_y-z@my-company.example", "x_y-z@my-company.example"),
    ],
)
def test_a_valid_email_is_kept_with_its_domain_lower_cased(typed, stored):
    assert normalize_email(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "anna",
        "anna@",
        "@example.com",
        "anna@example",
        "anna@@example.com",
        "anna berg@example.com",
        "anna@exa mple.com",
        ".anna@example.com",
        "anna.@example.com",
        "an..na@example.com",
        "anna@example..com",
        "anna@-example.com",
        "anna@example.c",
        "anna@example.com.",
        "anna,berg@example.com",
    ],
)
def test_an_invalid_email_is_refused(typed):
    with pytest.raises(CrmError, match="not a valid email"):
        normalize_email(typed)


@pytest.mark.parametrize(
    ("typed", "region", "e164", "national"),
    [
        ("+47 95 55 12 34", "US", "+4795551234", "95551234"),
        ("004795551234", "US", "+4795551234", "95551234"),
        ("0047 955 51 234", "GB", "+4795551234", "95551234"),
        ("+4795551234", "DE", "+4795551234", "95551234"),
        ("95 55 12 34", "NO", "+4795551234", "95551234"),
        ("(415) 555-0132", "US", "+14155550132", "4155550132"),
        ("415.555.0132", "US", "+14155550132", "4155550132"),
        ("020 7946 0958", "GB", "+442079460958", "2079460958"),
        ("+44 20 7946 0958", "NO", "+442079460958", "2079460958"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed, region, e164, national):
    assert parse_phone(typed, region) == (e164, national)


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("garbage", "US"),
        ("", "US"),
        ("12", "US"),
        ("+47 12", "US"),
        ("+1 415 555 01", "US"),
        ("95 55 12 34", "US"),  # a Norwegian national number is not a US number
        ("020 7946 0958", "US"),
        ("call me maybe", "NO"),
    ],
)
def test_a_string_that_is_not_a_phone_number_is_refused(typed, region):
    with pytest.raises(CrmError, match="phone number"):
        parse_phone(typed, region)


def test_remembered_phones_are_worked_out_once_per_block_and_answer_alike(monkeypatch):
    worked_out = []
    original = fields._parse_phone

    def counted(text, region):
        worked_out.append((text, region))
        return original(text, region)

    monkeypatch.setattr(fields, "_parse_phone", counted)
    told = {("+47 22 33 44 55", "US"): ("+4722334455", "22334455")}
    with remembered_phones(told) as answers:
        assert answers is told
        for _ in range(3):
            assert parse_phone("+47 95 55 12 34", "US") == ("+4795551234", "95551234")
            with pytest.raises(CrmError) as refused:
                parse_phone("12", "US")
            assert str(refused.value) == "'12' is not a valid phone number"
        assert parse_phone("95 55 12 34", "NO") == ("+4795551234", "95551234")
        assert parse_phone("+47 22 33 44 55", "US") == ("+4722334455", "22334455")  # as told
    assert worked_out == [("+47 95 55 12 34", "US"), ("12", "US"), ("95 55 12 34", "NO")]
    assert phone_answer("12", "US") == "'12' is not a valid phone number"
    parse_phone("+47 95 55 12 34", "US")  # outside the block nothing is remembered
    assert len(worked_out) == 5


def test_a_stored_number_is_shown_in_international_form():
    assert format_phone("+4795551234") == "+47 95 55 12 34"
    assert format_phone("+14155550132") == "+1 415-555-0132"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1234", 123400),
        ("1234.5", 123450),
        ("1234.50", 123450),
        ("0.99", 99),
        ("1,234.50", 123450),
        ("1.234,50", 123450),
        ("12,5", 1250),
        ("1 234,50", 123450),
        ("$1 234", 123400),
        ("1'234.50", 123450),
        ("1,234,567.89", 123456789),
        ("1.234.567", 123456700),
        ("1,234", 123400),
        ("€12", 1200),
        ("USD 12.30", 1230),
        ("12 kr", 1200),
        (" 12 ", 1200),
        ("+5", 500),
        ("-12.00", -1200),
        ("-$1,000", -100000),
    ],
)
def test_money_in_many_formats_is_parsed_to_cents(typed, cents):
    assert parse_money(typed) == cents


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "$",
        "kr",
        "1.2.3",
        "12,34,5",
        "1,,234",
        "1.2345",  # too many decimals
        "12.345.6",
        "1,234.567",  # too many decimals after a thousands separator
        "0.999",  # not a thousands group: a fraction with too many decimals
        "0,999",
        "1e3",
        ".5",
        "5.",
        "--5",
        "+-5",
        "1_000",
    ],
)
def test_text_that_is_not_an_amount_is_refused(typed):
    with pytest.raises(CrmError, match="amount"):
        parse_money(typed)


def test_every_formatted_amount_parses_back_to_the_same_cents():
    rng = random.Random(5)
    amounts = [0, 1, 99, 100, 1050, 99999, 100000, 123456789, -1, -250075]
    amounts += [rng.randrange(-(10**11), 10**11) for _ in range(500)]
    for cents in amounts:
        text = format_money(cents)
        assert parse_money(text) == cents, text
        assert parse_money(text.replace(",", " ")) == cents, text
        assert parse_money(format_money(cents, "EUR")) == cents


def test_the_shown_text_of_a_parsed_number_is_format_phone_of_its_e164_form():
    """parse_phone_shown formats the number it parsed rather than reading its E.164 text
    again: the two agree for every region's example numbers, however they are written."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.VOIP):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            international = phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)
            national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
            e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
            for typed, where in (
                (international, "US"),
                (national, region),
                (e164, "GB"),
                ("00" + e164[1:], "DE"),
                (f"{international} ext. 12", "US"),
            ):
                try:
                    number, _, shown = parse_phone_shown(typed, where)
                except CrmError:
                    continue
                assert shown == format_phone(number), (typed, where)
                checked += 1
    assert checked > 1000
