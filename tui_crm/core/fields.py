"""Parsing and normalising what users type: emails, phone numbers, money, names."""

from __future__ import annotations

import os
import pickle
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation

import phonenumbers

from tui_crm.errors import CrmError

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def normalize_email(text: str) -> str:
    """A syntactically valid address, trimmed, with the domain lower-cased."""
    value = text.strip()
    local = value.rsplit("@", 1)[0]
    if not _EMAIL.match(value) or ".." in value or local.startswith(".") or local.endswith("."):
        raise CrmError(f"'{text}' is not a valid email address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


# What parse_phone said of each (text, region): the (E.164, national) pair, or why not.
PhoneAnswers = dict[tuple[str, str], tuple[str, str] | str]
_answers: ContextVar[PhoneAnswers | None] = ContextVar("phone_answers", default=None)


@contextmanager
def remembered_phones(answers: PhoneAnswers | None = None) -> Iterator[PhoneAnswers]:
    """While the block runs, in this thread, parse_phone answers a number it was asked before
    (or that is in `answers`, which may be filled meanwhile) without working it out again
    (about 20 µs each). For one import: nothing is kept once the block ends."""
    answers = {} if answers is None else answers
    token = _answers.set(answers)
    try:
        yield answers
    finally:
        _answers.reset(token)


def phone_answer(text: str, region: str) -> tuple[str, str] | str:
    """parse_phone's (E.164, national) pair, or the message of the CrmError it raises."""
    try:
        return _parse_phone(text, region)
    except CrmError as err:
        return str(err)


def serve_phone_answers() -> None:
    """A worker process (see interchange/load.py): read pickled (numbers, region) pieces from
    stdin and write the pickled list of their phone_answer to stdout, until stdin ends (the
    importing process closed it, or died)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the importing process
    source = sys.stdin.buffer
    sink = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot garble the pipe
    while True:
        try:
            numbers, region = pickle.load(source)
        except EOFError:
            return
        pickle.dump([phone_answer(number, region) for number in numbers], sink, -1)
        sink.flush()


def parse_phone(text: str, region: str) -> tuple[str, str]:
    """(E.164 number, national digits) for a phone number, in `region` unless it has +CC."""
    answers = _answers.get()
    if answers is None:
        return _parse_phone(text, region)
    answer = answers.get((text, region))
    if answer is None:
        answer = answers[text, region] = phone_answer(text, region)
    if isinstance(answer, str):
        raise CrmError(answer)
    return answer


def _parse_phone(text: str, region: str) -> tuple[str, str]:
    value = text.strip()
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise CrmError(f"'{text}' is not a phone number") from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise CrmError(f"'{text}' is not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, str(number.national_number)


def format_phone(e164: str) -> str:
    """The international written form (+47 955 51 234) of a stored number."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_MONEY_JUNK = re.compile(r"[\s$€£¥₹\u00a0']|(?i:usd|eur|gbp|nok|sek|dkk|chf|kr)")


def parse_money(text: str) -> int:
    """Cents from an amount such as 1234.5, 1,234.50, 1.234,50 or $1 234."""
    raw = _MONEY_JUNK.sub("", text.strip())
    sign = -1 if raw.startswith("-") else 1
    raw = raw[1:] if raw[:1] in ("+", "-") else raw
    if "," in raw and "." in raw:
        decimal_sep = "," if raw.rfind(",") > raw.rfind(".") else "."
    elif "," in raw:
        decimal_sep = "," if re.search(r",\d{1,2}$", raw) and raw.count(",") == 1 else ""
    else:
        decimal_sep = "." if raw.count(".") == 1 and re.search(r"\.\d{1,2}$", raw) else ""
    whole = raw.rsplit(decimal_sep, 1)[0] if decimal_sep else raw
    for sep in {",", "."} - {decimal_sep}:
        # Thousands groups: "1.234" and "12,345,678", never "0.999" (that is a fraction).
        if sep in whole and not re.fullmatch(rf"[1-9]\d{{0,2}}(\{sep}\d{{3}})+", whole):
            raise CrmError(f"'{text}' is not an amount of money (e.g. 1234.50)")
        raw = raw.replace(sep, "")
    if decimal_sep == ",":
        raw = raw.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", raw or ""):
        raise CrmError(f"'{text}' is not an amount of money (e.g. 1234.50)")
    try:
        cents = int((Decimal(raw) * 100).to_integral_exact())
    except InvalidOperation:
        raise CrmError(f"'{text}' is not an amount of money") from None
    return sign * cents


def format_money(cents: int | None, currency: str = "") -> str:
    """1234567 -> '12,345.67' (with the currency code when given)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    text = f"{sign}{whole:,}.{frac:02d}"
    return f"{text} {currency}" if currency else text


def format_money_short(cents: int | None) -> str:
    """Whole units for tables: 1234567 -> '12,346'."""
    if cents is None:
        return ""
    return f"{round(cents / 100):,}"
