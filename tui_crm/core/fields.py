"""Parsing and normalising what users type: emails, phone numbers, money, names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

# Money lives in core/money.py (a list of customers needs it alone); answered here too.
from tui_crm.core.money import format_money as format_money
from tui_crm.core.money import format_money_short as format_money_short
from tui_crm.core.money import parse_money as parse_money
from tui_crm.core.quick_phones import quick_phone
from tui_crm.db.phones import format_phone as format_phone
from tui_crm.errors import CrmError

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def normalize_email(text: str) -> str:
    """A syntactically valid address, trimmed, with the domain lower-cased. Internationalised
    addresses (jörg@müller.de, 用户@例子.广告) are checked by email-validator, without any DNS
    look-up; it is asked only about what the plain pattern refuses, so a file of ASCII
    addresses never pays for it."""
    value = text.strip()
    local = value.rsplit("@", 1)[0]
    if (
        _EMAIL.match(value)
        and ".." not in value
        and not local.startswith(".")
        and not local.endswith(".")
    ):
        local, domain = value.rsplit("@", 1)
        return f"{local}@{domain.lower()}"
    if value.isascii() or "@" not in value:
        raise CrmError(f"'{text}' is not a valid email address")
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise CrmError(f"'{text}' is not a valid email address") from None
    return f"{checked.local_part}@{checked.domain.lower()}"


# What parse_phone_shown said of each (text, region): (E.164, national, shown), or why not.
PhoneAnswers = dict[tuple[str, str], tuple[str, str, str] | str]
_answers: ContextVar[PhoneAnswers | None] = ContextVar("phone_answers", default=None)


@contextmanager
def remembered_phones(answers: PhoneAnswers | None = None) -> Iterator[PhoneAnswers]:
    """While the block runs, in this thread, parse_phone answers a number it was asked before
    (or that is in `answers`, which may be filled meanwhile) without working it out again
    (about 40 µs each with its shown text). For one import: nothing is kept once the block
    ends."""
    answers = {} if answers is None else answers
    token = _answers.set(answers)
    try:
        yield answers
    finally:
        _answers.reset(token)


def phone_answer(text: str, region: str) -> tuple[str, str, str] | str:
    """parse_phone_shown's (E.164, national, shown), or the message of the CrmError it raises."""
    try:
        return _parse_phone(text, region)
    except CrmError as err:
        return str(err)


def serve_phone_answers() -> None:
    """A worker process (see interchange/load.py): pieces of (number, region) pairs in, the
    list of their phone_answer out (core/workers.py)."""
    from tui_crm.core.workers import serve  # the workers' own

    serve(lambda asked: [phone_answer(number, region) for number, region in asked])


def parse_phone(text: str, region: str) -> tuple[str, str]:
    """(E.164 number, national digits) for a phone number, in `region` unless it has +CC."""
    e164, national, *_ = parse_phone_shown(text, region)
    return e164, national


def parse_phone_shown(text: str, region: str) -> tuple[str, str, str]:
    """parse_phone's pair and the number as lists show it (`format_phone` of the E.164
    number), worked out together so that an import's workers do both (see load.py)."""
    answers = _answers.get()
    if answers is None:
        return _parse_phone(text, region)
    answer = answers.get((text, region))
    if answer is None:
        answer = answers[text, region] = phone_answer(text, region)
    if isinstance(answer, str):
        raise CrmError(answer)
    return answer


def _parse_phone(text: str, region: str) -> tuple[str, str, str]:
    value = text.strip()
    if value.startswith("00"):
        value = "+" + value[2:]
    # +CC and digits, as most files write them: phonenumbers' answer without its machinery.
    quick = quick_phone(value)
    if quick is None:
        return _phonenumbers_answer(text, value, region)
    if quick is False:
        raise CrmError(f"'{text}' is not a valid phone number")
    return quick


def _phonenumbers_answer(text: str, value: str, region: str) -> tuple[str, str, str]:
    """_parse_phone's answer worked out by phonenumbers (`value`: the text stripped, 00 as +)."""
    import phonenumbers  # its metadata costs start-up time: loaded on the first phone

    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise CrmError(f"'{text}' is not a phone number") from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise CrmError(f"'{text}' is not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Shown as `format_phone(e164)` shows it, without reading the E.164 text again (12 of the
    # 40 µs a number takes): reading it back gives these four fields, and nothing else
    # (an extension the text may hold is not in the E.164 form). tests/core/test_fields.py
    # checks the two agree on every region's example numbers.
    again = phonenumbers.PhoneNumber(
        country_code=number.country_code,
        national_number=number.national_number,
        italian_leading_zero=number.italian_leading_zero,
        number_of_leading_zeros=number.number_of_leading_zeros,
    )
    shown = phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return e164, str(number.national_number), shown


# An extension at the end of a number: "x123", "ext. 12", "ext 12", ";ext=102", "#123".
_EXTENSION = re.compile(
    r"^(?P<number>.*?\d[\s().-]*?)\s*"
    r"(?:;\s*ext\s*=\s*|#\s*|(?:\b|(?<=\d))"
    # English, and the words French, Italian, German and Scandinavian exports use
    r"(?:x|ext\.?|extn\.?|extension|poste|int\.?|interno|durchwahl|dw\.?|lokal|anknytning)"
    r"\s*[:.]?\s*)"
    r"(?P<extension>\d{1,10})\s*$",
    re.IGNORECASE,
)


_MAY_EXTEND = re.compile(r"[xX#;]|[a-zA-Z]{2}")


def split_extension(text: str) -> tuple[str, str]:
    """(number, extension) of a phone as written: "+1 415-555-0100 ext. 12" -> ("+1
    415-555-0100", "12"); the extension is "" when there is none."""
    if not _MAY_EXTEND.search(text):  # most numbers: no need for the long pattern
        return text.strip(), ""
    match = _EXTENSION.match(text.strip())
    if match is None:
        return text.strip(), ""
    return match.group("number").strip(), match.group("extension")


def phone_digits(text: str) -> str:
    """The digits of a number as typed: what search finds an unverified number by."""
    return "".join(ch for ch in text if ch.isdigit())


def phone_text(number: str, extension: str = "") -> str:
    """A stored number with its extension, as files write it and `split_extension` reads it
    back: "+14155550100 ext. 12" (or the number as typed, for one that was not verified)."""
    return f"{number} ext. {extension}" if extension else number


# --- Names --------------------------------------------------------------------------------

# What counts as a title before a name. nameparser's own list (800 words) holds King, Dean,
# Judge and Earl, which are also given names: without a full stop only these are titles.
HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "madam",
        "herr",
        "frau",
        "hr",
        "fru",
        "mme",
        "mlle",
        "rev",
        "doctor",
        "professor",
        "lady",
        "dott",
        "dipl",
    ]
)


def _name_word(word: str) -> str:
    return word.strip(",").rstrip(".").casefold()


@lru_cache(maxsize=1)
def _name_constants():
    from nameparser.config import CONSTANTS, Constants

    dotted = {t for t in CONSTANTS.titles}  # any of them when written with a full stop
    return Constants(titles=HONORIFICS | {t.rstrip(".") for t in HONORIFICS}), dotted


@lru_cache(maxsize=1)
def _suffixes() -> frozenset[str]:
    from nameparser.config import CONSTANTS

    return frozenset(CONSTANTS.suffix_acronyms) | frozenset(CONSTANTS.suffix_not_acronyms)


def _is_title(word: str) -> bool:
    folded = _name_word(word)
    if folded in HONORIFICS:
        return True
    return word.endswith(".") and folded in _name_constants()[1]


def _is_suffix(word: str) -> bool:
    return _name_word(word).replace(".", "") in _suffixes()


@dataclass(frozen=True)
class PersonName:
    """A person's name taken apart: first and last name as stored, and the title and suffix
    that are no one's first or last name (the customer's `prefix` and `suffix`)."""

    first: str
    last: str
    title: str = ""
    suffix: str = ""

    def extras(self) -> dict[str, str]:
        """The customer fields the title and suffix go to (only those the name has)."""
        return {k: v for k, v in (("prefix", self.title), ("suffix", self.suffix)) if v}


def split_person_name(full: str) -> PersonName:
    """First and last name of a whole name ("Ada Lovelace", "Lovelace, Ada", "Dr. Maria de la
    Cruz PhD"): titles and suffixes apart, particles (van der, de la) kept with the last name,
    middle names with the first; one word is a last name. nameparser is asked only when a
    name has more than two words, a comma or a word that may be a title or a suffix."""
    text = " ".join(full.split())
    words = text.split(" ")
    if (
        "," not in text
        and len(words) <= 2
        and not any(map(_is_title, words))
        and not (len(words) == 2 and _is_suffix(words[1]))
    ):
        if len(words) == 1:
            return PersonName("", text)
        return PersonName(words[0], words[1])
    from nameparser import HumanName

    name = HumanName(text, constants=_name_constants()[0])
    first = " ".join(p for p in (name.first, name.middle) if p)
    last = name.last
    if not last and first and " " not in first:  # one word beside a title: a last name
        first, last = "", first
    return PersonName(first, last, name.title, name.suffix)


def clean_name_parts(first: str, last: str) -> PersonName:
    """A first and a last name from their own columns, without the title a given name may
    start with ("Mr. John") or the suffix a family name may end with ("Smith Jr.")."""
    title = suffix = ""
    words = first.split()
    if (
        len(words) >= 2
        and _is_title(words[0])
        or len(words) == 1
        and first.endswith(".")
        and _is_title(first)
        and last
    ):
        taken = 1
        while taken < len(words) - 1 and _is_title(words[taken]):
            taken += 1
        title, first = " ".join(words[:taken]), " ".join(words[taken:])
    words = last.split()
    if len(words) >= 2 and _is_suffix(words[-1]):
        suffix, last = words[-1], " ".join(words[:-1]).rstrip(",")
    return PersonName(first, last, title, suffix)
