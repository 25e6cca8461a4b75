"""The search language: free words plus qualifiers, parsed into a plain `Query`.

    rob oslo tag:vip city:"New York" tier:gold gender:f spent30d>500 due:today
    sort:value,-last_contact

Free words are full-text and prefix-matched; qualifiers filter; `sort:` orders by up to two
keys (`-` for descending). A word or qualifier starting with `-` excludes. A repeated `tag:`
means all of those tags; a comma inside one qualifier (`city:oslo,bergen`) means any of them.
Errors name the offending token and its 1-based position in the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tui_crm.core.money import parse_money
from tui_crm.errors import CrmError

TEXT_QUALIFIERS = (
    "tag",
    "city",
    "country",
    "company",
    "source",
    "owner",
    "category",
    "territory",
)
ID_QUALIFIERS = ("referred_by",)  # values are customer ids


class _Choices(Mapping[str, tuple[str, ...]]):
    """The qualifiers that take one of a few words. `reason:` takes the queue's reasons, read
    from core/attention.py when first asked, so parsing a query does not load the queue."""

    FIXED = {
        "tier": ("gold", "silver", "none"),
        "gender": ("f", "m", "x"),
        "status": ("active", "lapsed", "lost"),  # as shown: lapsed is worked out from purchases
        "due": ("today", "overdue", "week"),
    }

    def __getitem__(self, key: str) -> tuple[str, ...]:
        if key == "reason":  # on the needs-attention queue today for this reason
            from tui_crm.core.attention import REASONS

            return tuple(REASONS)
        return self.FIXED[key]

    def __iter__(self) -> Iterator[str]:
        return iter((*self.FIXED, "reason"))

    def __len__(self) -> int:
        return len(self.FIXED) + 1


CHOICE_QUALIFIERS = _Choices()
GENDER_ALIASES = {"female": "f", "w": "f", "male": "m", "other": "x"}
MONEY_KEYS = {"spent30d": "spent_30d", "spent12m": "spent_12m", "lifetime": "lifetime"}
SORT_KEYS = (
    "name",
    "last_name",
    "company",
    "city",
    "created",
    "last_contact",
    "next_follow_up",
    "spent30d",
    "spent12m",
    "lifetime",
    "value",
)
OPERATORS = (">=", "<=", ">", "<", "=")
# SQLite keeps whole numbers in 64 bits: an amount or id beyond this cannot even be compared.
LARGEST = 2**63 - 1
_KEYED = re.compile(r"^(-?)([A-Za-z_][A-Za-z0-9_]*)(:|>=|<=|>|<|=)(.*)$", re.S)


class QueryError(CrmError):
    """A query that cannot be understood; says which token and where."""

    def __init__(self, message: str, token: str, position: int):
        super().__init__(f"{message} (at {position}: {token})")
        self.reason = message
        self.token = token
        self.position = position


@dataclass(frozen=True)
class Word:
    text: str
    phrase: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Filter:
    key: str
    values: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class MoneyFilter:
    key: str  # column: spent_30d, spent_12m, lifetime
    op: str
    cents: int


@dataclass(frozen=True)
class SortKey:
    key: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    words: tuple[Word, ...] = ()
    filters: tuple[Filter, ...] = ()
    money: tuple[MoneyFilter, ...] = ()
    sort: tuple[SortKey, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.filters or self.money)

    @property
    def only_gold_or_silver(self) -> bool:
        """Whether it keeps only gold or silver customers (`tier:gold`, `tier:silver,gold`):
        customers with a 12-month spend, as no spend is neither."""
        return any(
            f.key == "tier" and not f.negated and set(f.values) <= {"gold", "silver"}
            for f in self.filters
        )


def _tokens(text: str) -> list[tuple[str, int]]:
    """Split on spaces, keeping quoted parts together; (token, 0-based start)."""
    out: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        while i < n and not text[i].isspace():
            if text[i] == '"':
                close = text.find('"', i + 1)
                if close < 0:
                    raise QueryError("unclosed quote", text[start:], start + 1)
                i = close + 1
            else:
                i += 1
        out.append((text[start:i], start))
    return out


def _unquote(value: str) -> str:
    return value.replace('"', "")


def _split_values(value: str) -> tuple[str, ...]:
    if value.startswith('"') and value.endswith('"') and value.count('"') == 2:
        return (value[1:-1].strip(),)
    return tuple(part.strip() for part in _unquote(value).split(","))


def parse(text: str) -> Query:
    words: list[Word] = []
    filters: list[Filter] = []
    money: list[MoneyFilter] = []
    sort: list[SortKey] = []
    for token, start in _tokens(text):
        position = start + 1
        if "\x00" in token:  # SQLite ends a string at NUL: it can only be a pasting accident
            raise QueryError("a query cannot hold a NUL character", token, position)
        match = _KEYED.match(token)
        if token.startswith('"') or (token.startswith('-"') and len(token) > 2):
            negated = token.startswith("-")
            phrase = _unquote(token[1:] if negated else token).strip()
            if phrase:
                words.append(Word(phrase, phrase=True, negated=negated))
            continue
        if not match:
            negated = token.startswith("-") and len(token) > 1
            word = token[1:] if negated else token
            if word.strip("-"):
                words.append(Word(_unquote(word), negated=negated))
            continue
        minus, key, op, value = match.groups()
        key = key.lower()
        negated = bool(minus)
        if key in MONEY_KEYS:
            if op == ":":
                op_match = re.match(r"^(>=|<=|>|<|=)(.*)$", value)
                if not op_match:
                    raise QueryError(f"{key} needs a comparison such as {key}>500", token, position)
                op, value = op_match.groups()
            if negated:
                raise QueryError("a money comparison cannot be negated; flip it", token, position)
            if not value:
                raise QueryError(f"{key}{op} needs an amount", token, position)
            try:
                cents = parse_money(value)
            except CrmError:
                raise QueryError(f"'{value}' is not an amount", token, position) from None
            if abs(cents) > LARGEST:
                raise QueryError(f"'{value}' is too large an amount", token, position)
            money.append(MoneyFilter(MONEY_KEYS[key], op, cents))
            continue
        if op != ":":
            raise QueryError(
                f"'{key}' cannot be compared; comparisons work on " + ", ".join(MONEY_KEYS),
                token,
                position,
            )
        if key == "sort":
            if negated:
                raise QueryError("sort cannot be negated", token, position)
            if sort:
                raise QueryError("only one sort: is allowed", token, position)
            sort = _sort_keys(value, token, position)
            continue
        known = (*TEXT_QUALIFIERS, *ID_QUALIFIERS, *CHOICE_QUALIFIERS)
        if key not in known:
            raise QueryError(
                f"unknown qualifier '{key}:' (known: "
                + ", ".join((*known, *MONEY_KEYS, "sort"))
                + ")",
                token,
                position,
            )
        values = _split_values(value)
        if not value or not any(values) or not all(values):
            raise QueryError(f"{key}: needs a value", token, position)
        if key in ID_QUALIFIERS:
            bad = [item for item in values if not item.lstrip("#").isdecimal()]
            if bad:
                raise QueryError(
                    f"{key}: takes a customer id (a number), not '{bad[0]}'", token, position
                )
            huge = [item for item in values if int(item.lstrip("#")) > LARGEST]
            if huge:
                raise QueryError(f"{key}: '{huge[0]}' is too large an id", token, position)
            values = tuple(str(int(item.lstrip("#"))) for item in values)
        if key in CHOICE_QUALIFIERS:
            allowed = CHOICE_QUALIFIERS[key]
            normalised = []
            for item in values:
                item = item.lower()
                item = GENDER_ALIASES.get(item, item) if key == "gender" else item
                if item not in allowed:
                    raise QueryError(
                        f"{key}: takes {', '.join(allowed)}, not '{item}'", token, position
                    )
                normalised.append(item)
            values = tuple(normalised)
        filters.append(Filter(key, values, negated))
    return Query(tuple(_join_phone_digits(words)), tuple(filters), tuple(money), tuple(sort))


_PHONEISH = re.compile(r"^\+?[\d().\-/]*\d[\d().\-/]*$")


def _join_phone_digits(words: list[Word]) -> list[Word]:
    """`+47 95 55 12 34` and `(415) 555-0132` become one digit string, as phones are indexed."""
    out: list[Word] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            digits = "".join(ch for part in run for ch in part if ch.isdigit())
            long_enough = len(digits) >= (5 if digits.startswith("00") else 7)
            if digits.startswith("0") and long_enough and not run[0].startswith("+"):
                # 0047 95.. (international prefix) and 020 7946.. (trunk prefix) are indexed
                # without their leading zeros: as 4795.. and 207946..
                digits = digits.lstrip("0") or digits
            out.append(Word(digits))
            run.clear()

    for word in words:
        if not word.phrase and not word.negated and _PHONEISH.match(word.text):
            run.append(word.text)
        else:
            flush()
            out.append(word)
    flush()
    return out


def _sort_keys(value: str, token: str, position: int) -> list[SortKey]:
    if not value:
        raise QueryError("empty sort key", token, position)
    parts = value.split(",")
    if len(parts) > 2:
        raise QueryError("sort: takes at most two keys", token, position)
    keys = []
    for part in parts:
        part = part.strip()
        descending = part.startswith("-")
        name = part.lstrip("-").lower()
        if not name:
            raise QueryError("empty sort key", token, position)
        if name not in SORT_KEYS:
            raise QueryError(
                f"cannot sort by '{name}' (use {', '.join(SORT_KEYS)})", token, position
            )
        keys.append(SortKey("spent12m" if name == "value" else name, descending))
    return keys


def format_sort(keys: tuple[SortKey, ...] | list[SortKey]) -> str:
    """The `sort:` token for keys (empty when there are none)."""
    if not keys:
        return ""
    return "sort:" + ",".join(("-" if k.descending else "") + k.key for k in keys)


def with_sort(text: str, keys: list[SortKey]) -> str:
    """`text` with its sort: token replaced by `keys` (the table's sort keys write this)."""
    kept = [token for token, _ in _tokens_lenient(text) if not token.lower().startswith("sort:")]
    sort = format_sort(keys)
    return " ".join([*kept, sort] if sort else kept)


def _tokens_lenient(text: str) -> list[tuple[str, int]]:
    try:
        return _tokens(text)
    except QueryError:
        return [(part, 0) for part in text.split()]
