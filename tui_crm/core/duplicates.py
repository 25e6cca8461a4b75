"""Probable duplicates: of one customer being written (same email, same phone, or the same last
name with an equivalent first name, Rob / Robert, from the `nicknames` dataset), and every
candidate pair across the book with its reasons; pairs dismissed as "not duplicates"."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, NamedTuple

from peewee import Database
from rapidfuzz import fuzz, process

from tui_crm.core.config import user_of
from tui_crm.core.customers import check_version, clean_customer, row_name
from tui_crm.core.names import fold_name
from tui_crm.core.types import display_name
from tui_crm.db.models import Customer, CustomerEmail, CustomerPhone, DuplicateDismissal
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError, NotFound, UnverifiedValues, ValidationError


@dataclass(frozen=True)
class DuplicateCandidate:
    id: int
    name: str
    company: str
    city: str
    reasons: tuple[str, ...]


@cache
def _namer():
    from nicknames import NickNamer

    return NickNamer()


def equivalent_first_names(name: str) -> set[str]:
    """`name` and the names it is a nickname of or for, lower-cased.

    Rob → robert (and robert's other nicknames, as Rob has no other formal name); Robert →
    rob, bob, bobby, …; an ambiguous nickname (Bill: William or Robert) matches its formal names
    but not their other nicknames, so Bill does not match Bob.
    """
    key = " ".join(name.lower().split())
    if not key:
        return set()
    namer = _namer()
    canonicals = set(namer.canonicals_of(key))
    names = {key} | set(namer.nicknames_of(key)) | canonicals
    if len(canonicals) == 1:
        siblings = namer.nicknames_of(next(iter(canonicals)))
        names |= {n for n in siblings if len(namer.canonicals_of(n)) == 1}
    return names


def same_first_name(a: str, b: str) -> bool:
    """Whether two first names may be the same person's (Rob / Robert, Liz / Elizabeth)."""
    a_key, b_key = a.lower().strip(), b.lower().strip()
    return bool(a_key and b_key) and (
        b_key in equivalent_first_names(a) or a_key in equivalent_first_names(b)
    )


def probable_duplicates(
    db: Database, values: Mapping[str, Any], *, exclude_id: int | None = None
) -> list[DuplicateCandidate]:
    """Customers (not in the trash) that may be the same person as `values`."""
    try:
        cleaned = clean_customer(values)
    except UnverifiedValues:  # asked before the user confirms them: they count for nothing
        cleaned = clean_customer(values, keep_unverified=True)
    found: dict[int, list[str]] = {}

    def add(customer_id: int, reason: str) -> None:
        if customer_id != exclude_id and reason not in found.setdefault(customer_id, []):
            found[customer_id].append(reason)

    live = Customer.deleted_at.is_null()
    folds_to = store_of(db).folds_to
    for _, address in cleaned.emails or []:
        for row in (
            CustomerEmail.select(CustomerEmail.customer)
            .join(Customer)
            .where(live & folds_to(CustomerEmail.address, address.lower()))
            .order_by(CustomerEmail.customer)
        ):
            add(row.customer_id, f"same email {address}")
    # Only verified numbers are the same phone: two numbers kept as typed may be written
    # alike and still be anyone's (555-0100).
    for phone in cleaned.phones or []:
        if not phone.verified:
            continue
        number = phone.number
        for row in (
            CustomerPhone.select(CustomerPhone.customer)
            .join(Customer)
            .where(live & (CustomerPhone.number == number) & CustomerPhone.verified)
            .order_by(CustomerPhone.customer)
        ):
            add(row.customer_id, f"same phone {number}")
    first = cleaned.scalars.get("first_name", "")
    last = cleaned.scalars.get("last_name", "")
    if first and last:
        for row in (
            Customer.select(Customer.id, Customer.first_name)
            .where(live & folds_to(Customer.last_name, last.lower()))
            .order_by(Customer.id)  # the oldest first, whatever the plan
        ):
            if same_first_name(first, row.first_name):
                add(
                    row.id,
                    f"{row.first_name} may be {first}"
                    if row.first_name.lower() != first.lower()
                    else "same name",
                )
    if not found:
        return []
    rows = {
        r.id: r
        for r in Customer.select(
            Customer.id, Customer.first_name, Customer.last_name, Customer.company, Customer.city
        ).where(Customer.id.in_(list(found)))
    }
    return [
        DuplicateCandidate(
            cid, row_name(rows[cid]), rows[cid].company, rows[cid].city, tuple(reasons)
        )
        for cid, reasons in found.items()
        if cid in rows
    ]


class DuplicatesFound(CrmError):
    """Saving a new customer stopped because it may already exist: `candidates` lists whom."""

    def __init__(self, candidates: list[DuplicateCandidate]):
        names = ", ".join(c.name for c in candidates[:3])
        super().__init__(f"may already exist: {names}")
        self.candidates = candidates


# The whole book -----------------------------------------------------------------------------
#
# `find_duplicate_pairs` compares every live customer with the others without comparing all
# 5 000 000 000 pairs of a 100 000-customer book. Candidates come from blocks:
#
# - an email address (compared case-insensitively) or an E.164 phone number held by more than
#   one customer; a value shared by more than SHARED_CONTACT_LIMIT customers is a switchboard
#   or an info@ address, not a sign of duplicates by itself: of its holders only those with
#   the same name are paired (repeated imports of one contact);
# - names, blocked by the Soundex code of the folded last name (case, accents and punctuation
#   folded: Müller = Muller, O'Brien = OBrien). Inside a block two names match when
#   * the last names are equal and the first names are equal ("same_name"), equivalent in the
#     `nicknames` dataset ("nickname", by `same_first_name`, so Bill matches William but not
#     Bob), or spelled alike ("similar_name"), or
#   * the last names sound alike (same Soundex) and are spelled alike (rapidfuzz ratio >= 80:
#     Smith/Smyth 80, Schmitt/Schmidt 86, but not Smith/Schmidt 67) and the first names are
#     equal, equivalent or spelled alike ("similar_name": Jon Smyth / John Smith).
#   First names are "spelled alike" when they sound alike (Soundex, with C/K/Q, S/Z, I/Y and
#   V/W taken as one sound at the start, so Katherine = Catherine and Carl = Karl) and their
#   ratio is >= 75 (Eric/Erik 75, Steven/Stephen 77, Jon/John 86); Mary/Mark (ratio 75, other
#   sound) and Jon/Jan (67) do not match.
#
# A name is weak evidence in a large book: 100 000 customers hold dozens of James Smiths, and
# a plain "at most N customers share the name" rule still lists thousands of chance pairs
# (measured with benchmarks/bench_duplicates.py). So a pair found by its names alone is listed
# only when the names are rare in this book: first-name count x last-name count / book size
# (how many customers would carry that name by chance) is at most NAME_COINCIDENCE_LIMIT, with
# NAME_PRIOR_BOOK customers added to the book size, because a book of a few hundred cannot tell
# a common name from a rare one and should list its Rob / Robert Smith. A pair with common
# names is still listed when the two also share a company, a birthday or an address (unless
# more than LARGE_GROUP customers of those names share it: test data, not leads). A name
# pair whose birthdays (or genders) are both known and differ is not listed by its names.
# Everything is decided per pair of customers by the same rules, so the order in which blocks
# are visited changes nothing, and each unordered pair appears once.

SHARED_CONTACT_LIMIT = 6
LARGE_GROUP = 50
NAME_COINCIDENCE_LIMIT = 0.1
NAME_PRIOR_BOOK = 2000
SIMILAR_LAST_RATIO = 80.0
SIMILAR_FIRST_RATIO = 75.0
MIN_SIMILAR_LENGTH = 3

# How much each reason alone says; a pair's score combines its reasons as independent
# evidence (1 - product of (1 - weight)), shown as a percentage and used for the order.
REASON_WEIGHTS = {
    "email": 0.9,
    "phone": 0.8,
    "same_name": 0.5,
    "same_birthday": 0.5,
    "nickname": 0.45,
    "similar_name": 0.4,
    "same_address": 0.4,
    "same_company": 0.3,
}
REASON_LABELS = {
    "email": "same email",
    "phone": "same phone",
    "same_name": "same name",
    "nickname": "nickname",
    "similar_name": "similar names",
    "same_birthday": "same birthday",
    "same_address": "same address",
    "same_company": "same company",
}


@dataclass(frozen=True)
class DuplicateReason:
    code: str  # a key of REASON_WEIGHTS
    text: str  # for people: "same email a@b.com", "Rob is a nickname of Robert"


@dataclass(frozen=True)
class PairSide:
    id: int
    name: str
    company: str
    city: str
    version: int = 0  # as the pair was found: "different people" is based on it


@dataclass(frozen=True)
class DuplicatePair:
    """Two live customers that may be one person; `a` has the lower id."""

    a: PairSide
    b: PairSide
    score: int  # 0-100, how strongly the reasons together suggest one person
    reasons: tuple[DuplicateReason, ...]  # strongest first
    dismissed: bool = False  # only ever true with include_dismissed=True

    @property
    def ids(self) -> tuple[int, int]:
        return (self.a.id, self.b.id)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    @property
    def reason_text(self) -> str:
        return "; ".join(r.text for r in self.reasons)


_SOUNDEX_DIGITS = {
    ch: digit
    for letters, digit in (("bfpv", "1"), ("cgjkqsxz", "2"), ("dt", "3"), ("l", "4"))
    + (("mn", "5"), ("r", "6"))
    for ch in letters
}


@lru_cache(maxsize=65536)
def soundex(name: str) -> str:
    """American Soundex of a folded name (Smith, Smyth → S530); "" when it has no letters a-z."""
    letters = [ch for ch in name if "a" <= ch <= "z"]
    if not letters:
        return ""
    digits = []
    previous = _SOUNDEX_DIGITS.get(letters[0], "")
    for ch in letters[1:]:
        digit = _SOUNDEX_DIGITS.get(ch, "")
        if digit and digit != previous:
            digits.append(digit)
        if ch not in "hw":  # h and w do not separate two equal sounds; vowels do
            previous = digit
    return (letters[0] + "".join(digits) + "000")[:4]


_FIRST_SOUND = {"c": "k", "q": "k", "z": "s", "y": "i", "w": "v"}


@lru_cache(maxsize=65536)
def _first_name_sound(name: str) -> str:
    word = name.replace(" ", "")
    if word.startswith("ph"):
        word = "f" + word[2:]
    code = soundex(word)
    return _FIRST_SOUND.get(code[:1], code[:1]) + code[1:]


def _similar_first(a: str, b: str) -> bool:
    # Names without letters a-z (Ωμέγα, 王) have no Soundex: only exact names and nicknames.
    return (
        min(len(a), len(b)) >= MIN_SIMILAR_LENGTH
        and _first_name_sound(a) != ""
        and _first_name_sound(a) == _first_name_sound(b)
        and fuzz.ratio(a, b) >= SIMILAR_FIRST_RATIO
    )


def _similar_last(a: str, b: str) -> bool:
    return (
        min(len(a), len(b)) >= MIN_SIMILAR_LENGTH
        and soundex(a) != ""
        and soundex(a) == soundex(b)
        and fuzz.ratio(a, b) >= SIMILAR_LAST_RATIO
    )


@lru_cache(maxsize=65536)
def _equivalents(folded_first: str) -> frozenset[str]:
    return frozenset(equivalent_first_names(folded_first))


def _nickname_text(a: str, a_key: str, b: str, b_key: str) -> str:
    namer = _namer()
    if b_key in namer.canonicals_of(a_key):
        return f"{a} is a nickname of {b}"
    if a_key in namer.canonicals_of(b_key):
        return f"{b} is a nickname of {a}"
    return f"{a} and {b} are forms of one name"


class _Person(NamedTuple):
    id: int
    first: str
    last: str
    company: str
    city: str
    birthday: str | None
    gender: str
    first_key: str
    last_key: str
    company_key: str
    address_key: str
    version: int = 0


@lru_cache(maxsize=65536)
def _name_match(first_a: str, last_a: str, first_b: str, last_b: str) -> tuple[str, float] | None:
    """("same_name" | "nickname" | "similar_name", full-name ratio) for two folded names."""
    if not (first_a and last_a and first_b and last_b):
        return None
    if last_a == last_b:
        if first_a == first_b:
            code = "same_name"
        elif same_first_name(first_a, first_b):
            code = "nickname"
        elif _similar_first(first_a, first_b):
            code = "similar_name"
        else:
            return None
    elif _similar_last(last_a, last_b) and (
        first_a == first_b or same_first_name(first_a, first_b) or _similar_first(first_a, first_b)
    ):
        code = "similar_name"
    else:
        return None
    return code, fuzz.ratio(f"{first_a} {last_a}", f"{first_b} {last_b}")


def _name_reason(a: _Person, b: _Person) -> DuplicateReason | None:
    match = _name_match(a.first_key, a.last_key, b.first_key, b.last_key)
    if match is None or _contradicted(a, b):
        return None
    code, ratio = match
    if code == "same_name":
        return DuplicateReason(code, f"same name {display_name(a.first, a.last)}")
    if code == "nickname":
        return DuplicateReason(code, _nickname_text(a.first, a.first_key, b.first, b.first_key))
    return DuplicateReason(code, f"similar names ({int(ratio)}%)")


def _contradicted(a: _Person, b: _Person) -> bool:
    """Known facts that tell two people with alike names apart."""
    return bool(
        (a.birthday and b.birthday and a.birthday != b.birthday)
        or (a.gender and b.gender and a.gender != b.gender)
    )


def _corroborating(a: _Person, b: _Person) -> list[DuplicateReason]:
    out = []
    if a.birthday and a.birthday == b.birthday:
        out.append(DuplicateReason("same_birthday", f"same birthday {a.birthday}"))
    if a.address_key and a.address_key == b.address_key:
        out.append(DuplicateReason("same_address", "same address"))
    if a.company_key and a.company_key == b.company_key:
        out.append(DuplicateReason("same_company", f"same company {a.company}"))
    return out


# A key compares this much of a name, company or address: what an index entry holds on any
# engine (a 4 000-letter name is kept whole, and compared by its first 200 letters).
KEY_LENGTH = 200


def _key(text: str) -> str:
    return fold_name(text)[:KEY_LENGTH] if text else ""


def _person_of(row: tuple) -> _Person:
    """A customer as the pairs compare them, from a row of the store's `people`."""
    cid, first, last, company, city, birthday, gender, street, postal, version = row
    street_key, postal_key = _key(street), _key(postal)
    return _Person(
        cid,
        first,
        last,
        company,
        city,
        str(birthday) if birthday else None,
        gender,
        _key(first),
        _key(last),
        _key(company),
        f"{street_key}|{postal_key}" if street_key and postal_key else "",
        version,
    )


def _load_people(db: Database) -> dict[int, _Person]:
    return {row[0]: _person_of(row) for row in store_of(db).people()}


class _Found:
    """Reasons per unordered pair, keyed (lower id, higher id)."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[int, int], dict[str, DuplicateReason]] = {}

    def add(self, a: int, b: int, reason: DuplicateReason) -> None:
        key = (a, b) if a < b else (b, a)
        reasons = self.pairs.setdefault(key, {})
        reasons.setdefault(reason.code, reason)


def _shared_contacts(db: Database, people: dict[int, _Person], found: _Found) -> None:
    for code in ("email", "phone"):
        for _, label, holders in store_of(db).shared_contacts(code):
            ids = sorted(holders)
            reason = DuplicateReason(code, f"{REASON_LABELS[code]} {label}")
            for group in _contact_groups(ids, people):
                for i, a in enumerate(group):
                    for b in group[i + 1 :]:
                        found.add(a, b, reason)


def _contact_groups(ids: list[int], people: dict[int, _Person]) -> list[list[int]]:
    """Who among the holders of one email or phone may be one person: all of them when few
    share it; when many do (info@, a switchboard), only those who also share their name, so
    ten copies of one contact from repeated imports are still found."""
    if len(ids) <= SHARED_CONTACT_LIMIT:
        return [ids]
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    for cid in ids:
        person = people.get(cid)
        if person is not None and (person.first_key or person.last_key):
            by_name[(person.first_key, person.last_key)].append(cid)
    return [group for group in by_name.values() if 1 < len(group) <= LARGE_GROUP]


class _NamePairs:
    """Finds the pairs of customers whose names match, block by block (see above)."""

    def __init__(self, people: dict[int, _Person], found: _Found):
        self.people = people
        self.found = found
        self.first_counts: Counter[str] = Counter()
        self.last_counts: Counter[str] = Counter()
        # soundex(last) -> last -> first -> ids
        self.blocks: dict[str, dict[str, dict[str, list[int]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        for person in people.values():
            if person.first_key and person.last_key:
                self.first_counts[person.first_key] += 1
                self.last_counts[person.last_key] += 1
                self.blocks[soundex(person.last_key)][person.last_key][person.first_key].append(
                    person.id
                )
        self.size = len(people)

    def run(self) -> None:
        for code, lasts in self.blocks.items():
            names = sorted(lasts)
            for i, last_a in enumerate(names):
                self._same_last(last_a, lasts[last_a])
                if not code:  # no letters a-z: no sound to compare by
                    continue
                # rapidfuzz compares one name with the rest of the block in C; a block can
                # hold hundreds of last names (S530: Smith, Schmidt, Smyth, Sanders, ...).
                for last_b, _, _ in process.extract(
                    last_a,
                    names[i + 1 :],
                    scorer=fuzz.ratio,
                    score_cutoff=SIMILAR_LAST_RATIO,
                    limit=None,
                ):
                    if _similar_last(last_a, last_b):
                        self._across_lasts(last_a, lasts[last_a], last_b, lasts[last_b])

    def _same_last(self, last: str, firsts: dict[str, list[int]]) -> None:
        for first, ids in firsts.items():
            if len(ids) > 1:
                self._emit(ids, ids, self._coincidences(first, first, last, last))
        if len(firsts) < 2:
            return
        sounds = _by_sound(firsts)
        keys = set(firsts)
        for first, ids in firsts.items():
            others = _equivalents(first) & keys
            if _first_name_sound(first):
                others |= set(sounds[_first_name_sound(first)])
            for other in others:
                if other > first:
                    expected = self._coincidences(first, other, last, last)
                    self._emit(ids, firsts[other], expected)

    def _across_lasts(self, last_a, firsts_a, last_b, firsts_b) -> None:
        sounds_b = _by_sound(firsts_b)
        keys_b = set(firsts_b)
        for first, ids in firsts_a.items():
            others = {first} & keys_b
            others |= _equivalents(first) & keys_b
            if _first_name_sound(first):
                others.update(sounds_b.get(_first_name_sound(first), ()))
            for other in others:
                expected = self._coincidences(first, other, last_a, last_b)
                self._emit(ids, firsts_b[other], expected)

    def _coincidences(self, first_a: str, first_b: str, last_a: str, last_b: str) -> float:
        """How many customers the book would hold under these first and last names by chance
        (names drawn independently): first-name count x last-name count / book size, with
        NAME_PRIOR_BOOK added to the book size, as a small book cannot tell a common name
        from a rare one."""
        firsts = self.first_counts[first_a] + (
            self.first_counts[first_b] if first_b != first_a else 0
        )
        lasts = self.last_counts[last_a] + (self.last_counts[last_b] if last_b != last_a else 0)
        return self.size * firsts * lasts / (self.size + NAME_PRIOR_BOOK) ** 2

    def _emit(self, ids_a: list[int], ids_b: list[int], expected: float) -> None:
        """Pairs across two name groups (or within one, when ids_a is ids_b) that the name
        rules accept, all of them when the names are rare enough, else those corroborated."""
        people = self.people
        same = ids_a is ids_b
        if expected <= NAME_COINCIDENCE_LIMIT:
            pairs: Iterable[tuple[int, int]] = (
                [(a, b) for i, a in enumerate(ids_a) for b in ids_a[i + 1 :]]
                if same
                else [(a, b) for a in ids_a for b in ids_b]
            )
        else:
            pairs = _corroborated_pairs(people, ids_a, ids_b, same)
        for a, b in pairs:
            reason = _name_reason(people[a], people[b])
            if reason is not None:
                self.found.add(a, b, reason)


def _by_sound(firsts: dict[str, list[int]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for first in firsts:
        out[_first_name_sound(first)].append(first)
    return out


def _corroborated_pairs(people, ids_a, ids_b, same: bool) -> set[tuple[int, int]]:
    """Pairs across (or within) large name groups that also share a company, birthday or
    address: found through an index on each of those, never by comparing every pair."""
    side = {i: 0 for i in ids_a}
    if not same:
        side.update({i: 1 for i in ids_b})
    out: set[tuple[int, int]] = set()
    for attribute in ("company_key", "birthday", "address_key"):
        groups: dict[str, list[int]] = defaultdict(list)
        for cid in side:
            value = getattr(people[cid], attribute)
            if value:
                groups[value].append(cid)
        for group in groups.values():
            if len(group) > LARGE_GROUP:  # fifty "Test Test" at one company: junk, not a lead
                continue
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    if same or side[a] != side[b]:
                        out.add((a, b) if a < b else (b, a))
    return out


def _score(reasons: list[DuplicateReason]) -> float:
    doubt = 1.0
    for reason in reasons:
        doubt *= 1.0 - REASON_WEIGHTS[reason.code]
    return 1.0 - doubt


def _side(person: _Person) -> PairSide:
    return PairSide(
        person.id,
        display_name(person.first, person.last, person.company),
        person.company,
        person.city,
        person.version,
    )


def find_duplicate_pairs(
    db: Database, *, include_dismissed: bool = False, limit: int | None = None
) -> list[DuplicatePair]:
    """Every pair of live customers (not in the trash) that may be one person, strongest
    first (then by ids), each unordered pair once. Pairs dismissed as "not duplicates" are left
    out unless `include_dismissed` (then they carry `dismissed=True`).

    Read from the pairs kept in the book, brought up to date with what writes marked since
    (core/duplicates_kept.py): the same list `duplicate_pairs_from_scratch` works out."""
    from tui_crm.core.duplicates_kept import kept_pairs  # it builds on the rules here

    return kept_pairs(db, include_dismissed=include_dismissed, limit=limit)


def duplicate_pairs_from_scratch(
    db: Database, *, include_dismissed: bool = False, limit: int | None = None
) -> list[DuplicatePair]:
    """`find_duplicate_pairs` worked out from the whole book, keeping nothing: what the kept
    pairs are compared with (`tui-crm check`, the tests)."""
    with db.atomic("DEFERRED"):  # one snapshot for all the reads
        people = _load_people(db)
        found = _Found()
        _shared_contacts(db, people, found)
        _NamePairs(people, found).run()
        dismissed = _dismissed(db)
    out = []
    for (a, b), by_code in found.pairs.items():
        if (a, b) in dismissed and not include_dismissed:
            continue
        pa, pb = people.get(a), people.get(b)
        if pa is None or pb is None:  # pragma: no cover - one snapshot: cannot happen
            continue
        reasons = list(by_code.values())
        if not any(r.code in _NAME_CODES for r in reasons):
            name = _name_reason(pa, pb)
            if name is not None:
                reasons.append(name)
        reasons += _corroborating(pa, pb)
        reasons.sort(key=lambda r: (-REASON_WEIGHTS[r.code], r.code))
        score = _score(reasons)
        out.append((score, a, b, reasons, (a, b) in dismissed))
    out.sort(key=lambda item: (-item[0], item[1], item[2]))
    if limit is not None:
        out = out[:limit]
    return [
        DuplicatePair(_side(people[a]), _side(people[b]), round(score * 100), tuple(reasons), gone)
        for score, a, b, reasons, gone in out
    ]


_NAME_CODES = ("same_name", "nickname", "similar_name")


# Dismissed pairs ----------------------------------------------------------------------------


def _ordered(a_id: int, b_id: int) -> tuple[int, int]:
    if a_id == b_id:
        raise ValidationError({"customer": "a customer cannot be a duplicate of itself"})
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def _dismissed(db: Database) -> set[tuple[int, int]]:
    return {(a, b) for a, b in store_of(db).dismissed_pairs()}


def dismiss_pair(
    db: Database,
    a_id: int,
    b_id: int,
    *,
    a_version: int,
    b_version: int,
    who: str | None = None,
    now: datetime | None = None,
) -> None:
    """Remember that two customers are not duplicates: the pair is not listed again.

    `a_version` / `b_version` are the versions the pair was judged on (`PairSide.version`):
    if either record changed since (an email added that says they are one person, a merge),
    the judgement is refused (ConflictError saying who changed what)."""
    a, b = _ordered(a_id, b_id)
    expected = {a_id: a_version, b_id: b_version}
    with db.atomic():
        found = {c.id: c for c in Customer.select().where(Customer.id.in_([a, b]))}
        missing = [str(i) for i in (a, b) if i not in found]
        if missing:
            raise NotFound(f"no customer with id {missing[0]}")
        for cid in (a, b):
            check_version(
                found[cid],
                expected[cid],
                "since the pair was listed",
                "nothing was marked; look at the pair again",
            )
        DuplicateDismissal.insert(
            customer_a=a,
            customer_b=b,
            dismissed_at=now or datetime.now().replace(microsecond=0),
            who=who if who is not None else user_of(db),
        ).on_conflict_ignore().execute()


def undismiss_pair(db: Database, a_id: int, b_id: int) -> bool:
    """Forget a dismissal (the pair may be listed again); whether there was one."""
    a, b = _ordered(a_id, b_id)
    with db.atomic():
        deleted = (
            DuplicateDismissal.delete()
            .where((DuplicateDismissal.customer_a == a) & (DuplicateDismissal.customer_b == b))
            .execute()
        )
    return bool(deleted)
