"""A fast exact path for the commonest way numbers are written: +CC and digits.

phonenumbers takes some 22 µs to parse, check and format one number, most of it in general
machinery (the text's many possible shapes, objects, per-call look-ups). For a number written
as `+` and ASCII digits in groups split by single spaces or hyphens ("+47 22150631",
"+1 415-555-0100") nearly all of that decides nothing, and `quick_phone` gives phonenumbers'
own answer directly from its metadata, the same regular expressions asked in the same order:

- parsing: such a text is viable, has no extension and no region to apply; its country code is
  the first of its one, two or three leading digits that names one, the rest is the national
  number. A national number starting with 0 (kept as "leading zeros"), or one that the
  country's national prefix for parsing matches (which phonenumbers may strip), is left to
  phonenumbers, and so is any other text;
- possible: a matter of the national number's length alone, asked of phonenumbers once per
  country code and length;
- valid: the region among those sharing the code (`region_code_for_number`: leading digits,
  else any number type), then the general pattern and every number type's pattern with its
  possible lengths (`_number_type_helper`: only whether some type matches counts here);
- shown: the first international (else national) format whose last leading-digits pattern
  matches at the start and whose pattern matches the whole number, applied with `re.sub`.

`tests/core/test_quick_phones.py` compares it with phonenumbers on every region's example
numbers, numbers derived from them and random ones.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from operator import itemgetter
from typing import Any

# "+", then groups of ASCII digits split by one space or hyphen (phonenumbers' own patterns
# read \d as any Unicode digit, which its parser folds to ASCII: those texts go the long way).
_SHAPE = re.compile(r"\+[0-9]+(?:[ -][0-9]+)*")
_SEPARATORS = str.maketrans("", "", " -")
_MIN_DIGITS, _MAX_DIGITS = 4, 20  # with the country code; anything else the long way


def looks_quick(text: str) -> bool:
    """Whether `quick_phone` may answer for a number as typed (00 read as +): only a hint of
    where the time goes, as it still may not (see the module)."""
    value = text.strip()
    if value.startswith("00"):
        value = "+" + value[2:]
    return _SHAPE.fullmatch(value) is not None


def quick_phone(value: str) -> tuple[str, str, str] | bool | None:
    """(E.164, national digits, shown) of a stripped number as `fields._parse_phone` works them
    out, False where it finds the number not possible or not valid, None where only
    phonenumbers can say."""
    if _SHAPE.fullmatch(value) is None:
        return None
    digits = value[1:].translate(_SEPARATORS)
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS or digits[0] == "0":
        return None
    try:
        size, code = _codes[digits[:3]]
    except KeyError:
        size, code = _codes.setdefault(digits[:3], _code(digits[:3]))
    if code is None:
        return None
    national = digits[size:]
    if not 2 <= len(national) <= 17 or national[0] == "0" or not code.usable:
        return None
    if code.strip is not None and code.strip.match(national):
        return None
    length = len(national)
    if not code.possible(length) or not _valid(code, national, length):
        return False
    for fmt in code.formats:
        if (shown := fmt.shown(national, length)) is not None:
            return f"+{digits}", national, f"{code.prefix}{shown}"
    return f"+{digits}", national, f"{code.prefix}{national}"


_FIXED = re.compile(r"(?:\(\\d\{[1-9][0-9]?\}\))+")
_WIDTH = re.compile(r"\{([0-9]+)\}")
_RULE_GROUP = re.compile(r"\\([1-9])(?!\d)")


class _Format:
    """One of a code's formats: where it applies, and its rule applied as `re.sub` applies it."""

    def __init__(self, fmt: Any):
        leading = fmt.leading_digits_pattern
        self.leading = re.compile(leading[-1]) if leading else None
        self.pattern = re.compile(fmt.pattern)
        self.rule = fmt.format
        # The rule as str.format text, where it holds nothing but \1..\9 and other text:
        # re's own expansion of a rule is slow Python.
        parts = _RULE_GROUP.split(self.rule)
        texts, self.groups = parts[0::2], [int(n) for n in parts[1::2]]
        self.template: str | None = "{}".join(
            text.replace("{", "{{").replace("}", "}}") for text in texts
        )
        if any("\\" in text for text in texts) or max(self.groups, default=0) > self.pattern.groups:
            self.template = None
        # Most patterns are groups of so many digits, "(\d{2})(\d{3})": such a pattern matches
        # a number of their total length whole, in those pieces, and never matches nothing.
        self.length: int | None = None
        if self.template is not None and len(self.groups) > 1 and _FIXED.fullmatch(fmt.pattern):
            ends = list(itertools.accumulate(int(w) for w in _WIDTH.findall(fmt.pattern)))
            pieces = [slice(start, end) for start, end in zip([0, *ends], ends, strict=False)]
            self.length = ends[-1]
            self.pieces = itemgetter(*[pieces[n - 1] for n in self.groups])

    def shown(self, national: str, length: int) -> str | None:
        """The number formatted, if this format is the one for it (its leading digits, and
        its pattern matching the whole number, which is all ASCII digits)."""
        if self.leading is not None and not self.leading.match(national):
            return None
        if self.length is not None:
            return self.template.format(*self.pieces(national)) if length == self.length else None
        return self.apply(national) if self.pattern.fullmatch(national) else None

    def apply(self, national: str) -> str:
        """re.sub(pattern, rule, national), for a number the pattern matches whole."""
        if self.template is not None:
            match = self.pattern.match(national)
            end = len(national)
            # sub replaces the first match (a match at the start, if there is one), then looks
            # on after it: the same when it is whole and nothing (empty) matches at the end.
            if match is not None and match.end() == end and not self.pattern.match(national, end):
                return self.template.format(*[match.group(n) or "" for n in self.groups])
        return self.pattern.sub(self.rule, national)


def _valid(code: _Code, national: str, length: int) -> bool:
    """phonenumbers' is_valid_number for this code's number `national`."""
    for region in code.regions:  # region_code_for_number (one region: that one)
        if region.leading is not None:
            if len(code.regions) > 1 and not region.leading.match(national):
                continue
        elif len(code.regions) > 1 and not region.any_type(national, length):
            continue
        return region.own_code and region.any_type(national, length)
    return False


class _Region:
    """What deciding validity needs of one region's metadata."""

    def __init__(self, metadata: Any, own_code: bool):
        leading = metadata.leading_digits
        self.leading = re.compile(leading) if leading is not None else None
        self.own_code = own_code  # is_valid_number_for_region's country code check
        self.general = _desc(metadata.general_desc)
        names = [
            *("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager"),
            *("uan", "voicemail", "fixed_line"),
        ]
        if not metadata.same_mobile_and_fixed_line_pattern:
            names.append("mobile")
        self.types = [desc for name in names if (desc := _desc(getattr(metadata, name)))]
        self.combined: dict[int, re.Pattern[str] | None] = {}

    def any_type(self, national: str, length: int) -> bool:
        """_number_type_helper(...) != UNKNOWN: the general description matches, and so does
        some number type (one alternation of those whose lengths allow this one)."""
        if self.general is None:
            return False
        lengths, pattern = self.general
        if lengths and length not in lengths or not pattern.fullmatch(national):
            return False
        try:
            either = self.combined[length]
        except KeyError:
            fitting = [p.pattern for lens, p in self.types if not lens or length in lens]
            either = re.compile("|".join(f"(?:{p})" for p in fitting)) if fitting else None
            self.combined[length] = either
        return either is not None and either.fullmatch(national) is not None


def _desc(desc: Any) -> tuple[tuple[int, ...], re.Pattern[str]] | None:
    """A number description's possible lengths and pattern; None where it matches nothing."""
    if desc is None or not desc.national_number_pattern:
        return None
    return tuple(desc.possible_length), re.compile(desc.national_number_pattern)


class _Code:
    """One country calling code's metadata, as quick_phone asks it."""

    def __init__(self, number: int):
        import phonenumbers
        from phonenumbers import PhoneMetadata

        self.number = number
        self.prefix = f"+{number} "
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[number]
        main = PhoneMetadata.metadata_for_region_or_calling_code(number, regions[0].upper())
        self.usable = main is not None
        self.regions: list[_Region] = []
        self.formats: list[_Format] = []
        self.strip = None
        self._possible: dict[int, bool] = {}
        if main is None:  # pragma: no cover - every code has its metadata
            return
        if main.national_prefix_for_parsing:
            self.strip = re.compile(main.national_prefix_for_parsing)
        for region in regions:
            metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
            if len(regions) > 1 and metadata is None:
                continue  # region_code_for_number skips it
            if len(regions) == 1:
                metadata = PhoneMetadata.metadata_for_region_or_calling_code(number, region.upper())
                if metadata is None:  # pragma: no cover - never valid: the long way says so
                    self.usable = False
                    return
            own = region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY or (
                metadata.country_code == number
            )
            self.regions.append(_Region(metadata, own))
        self.formats = [_Format(fmt) for fmt in main.intl_number_format or main.number_format]

    def possible(self, length: int) -> bool:
        """is_possible_number of a number of this code whose national number has `length`
        digits: phonenumbers' own answer, which depends on nothing else."""
        try:
            return self._possible[length]
        except KeyError:
            import phonenumbers

            probe = phonenumbers.PhoneNumber(
                country_code=self.number, national_number=int("1" * length)
            )
            self._possible[length] = answer = phonenumbers.is_possible_number(probe)
            return answer


# The first three digits after + -> (the country code's length, the code); (0, None): none.
_codes: dict[str, tuple[int, _Code | None]] = {}


def _code(start: str) -> tuple[int, _Code | None]:
    """The country code a number's first three digits start with, as phonenumbers finds it:
    the first of their one, two or three leading digits that names one."""
    import phonenumbers

    for size in (1, 2, 3):
        number = int(start[:size])
        if number in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return size, _code_of(number)
    return 0, None


@cache  # some 250 codes
def _code_of(number: int) -> _Code:
    return _Code(number)
