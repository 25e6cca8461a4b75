"""The fast path for numbers written +CC and digits gives exactly phonenumbers' answer: the
same E.164 form, national digits and shown text, and the same refusals."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from tui_crm.core.fields import _phonenumbers_answer, parse_phone_shown
from tui_crm.core.quick_phones import looks_quick, quick_phone
from tui_crm.errors import CrmError

pytestmark = pytest.mark.both_engines


def _long_way(value: str) -> tuple[str, str, str] | bool:
    """What phonenumbers says of a stripped text, as quick_phone puts it (False: refused)."""
    try:
        return _phonenumbers_answer(value, value, "US")
    except CrmError:
        return False


def _agrees(value: str) -> bool:
    """Whether quick_phone answered (it may decline), failing when it says otherwise."""
    quick = quick_phone(value)
    if quick is None:
        return False
    assert quick == _long_way(value), value
    return True


_TYPES = [t for t in vars(PhoneNumberType).values() if isinstance(t, int) and t != 99]


def _examples() -> list[str]:
    """The national numbers of every region's and every global code's example numbers, of
    every type, with their country codes: "47 22123456"."""
    found = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.add(f"{example.country_code} {example.national_number}")
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            found.add(f"{example.country_code} {example.national_number}")
    return sorted(found)


def _written(code: str, national: str) -> list[str]:
    """Ways files write one number: run together, in groups of two or three, hyphenated."""
    pairs = " ".join(national[i : i + 2] for i in range(0, len(national), 2))
    threes = "-".join(national[i : i + 3] for i in range(0, len(national), 3))
    return [f"+{code}{national}", f"+{code} {national}", f"+{code} {pairs}", f"+{code}-{threes}"]


def test_every_example_number_however_written_is_answered_as_phonenumbers_does():
    examples = _examples()
    answered = 0
    for example in examples:
        code, national = example.split()
        for value in _written(code, national):
            answered += _agrees(value)
    # Nearly all of them are answered here (the rest: a national prefix phonenumbers may
    # strip, or a leading zero), so the comparison covers the fast path itself.
    assert answered > 0.8 * 4 * len(examples)


def test_numbers_near_the_examples_are_answered_as_phonenumbers_does():
    """Each digit of each example changed, and the number a digit shorter and longer: valid
    and invalid numbers of every pattern's neighbourhood, every length its code knows."""
    answered = refused = 0
    for example in _examples():
        code, national = example.split()
        near = {national[:-1], national + "0", national + "7"}
        for at, digit in enumerate(national):
            for step in (1, 4, 7):
                near.add(f"{national[:at]}{(int(digit) + step) % 10}{national[at + 1 :]}")
        for number in sorted(near):
            if _agrees(f"+{code} {number}"):
                answered += 1
                refused += quick_phone(f"+{code} {number}") is False
    assert answered > 20_000 and refused > 5_000  # both outcomes well covered


@given(
    code=st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
    national=st.text("0123456789", min_size=1, max_size=18),
    separators=st.lists(st.sampled_from(["", " ", "-"]), min_size=18, max_size=18),
)
def test_any_number_written_plus_code_and_digits_is_answered_as_phonenumbers_does(
    code, national, separators
):
    value = f"+{code}" + "".join(s + d for s, d in zip(separators, national, strict=False))
    _agrees(value)


@pytest.mark.parametrize(
    "text",
    [
        "+47 (0)22 15 06 31",  # a bracket
        "+44 0207 946 0958",  # a national prefix after the country code
        "+47 22150631 ext. 12",  # an extension (split off before a number is parsed)
        "+٤٧ ٢٢١٥٠٦٣١",  # digits phonenumbers folds to ASCII
        "+47  22150631",  # two spaces
        "+0 123 456",  # no country code starts with 0
        "22 15 06 31",  # no +: read in a region
    ],
)
def test_other_shapes_are_left_to_phonenumbers(text):
    assert quick_phone(text.strip()) is None


def test_a_number_is_answered_the_same_either_way_in_an_import():
    """parse_phone_shown (what clean_customer asks) gives the fast path's answer, and its
    refusal names the number as typed."""
    assert looks_quick(" +47 922 15 279 ")
    assert parse_phone_shown(" +47 922 15 279 ", "US") == (
        "+4792215279",
        "92215279",
        "+47 92 21 52 79",
    )
    assert parse_phone_shown("0047 92215279", "US")[0] == "+4792215279"
    with pytest.raises(CrmError, match=r"^' \+47 12345678' is not a valid phone number$"):
        parse_phone_shown(" +47 12345678", "US")
