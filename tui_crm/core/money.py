"""Amounts of money: cents from what people type, and cents written for people. Apart from
core/fields.py (which answers for these too), so that a list of customers (`tui-crm find`)
loads neither the phone and name rules nor the email check."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from tui_crm.errors import CrmError

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
