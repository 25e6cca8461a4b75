"""The duplicate pairs kept in the book (migration 12): built whole once, then worked out again
only where a write marked something, so that listing them reads a table in score order.

The rules are core/duplicates.py's; `duplicate_pairs_from_scratch` there applies them to the
whole book and is what the kept pairs must equal. What a pair depends on, and so what is kept:

- its two customers' facts (`duplicate_person`: names, company, birthday, gender, address,
  names folded); a write that changes them marks the customer (`duplicate_dirty`);
- an email or phone they share, and who else holds it: more than SHARED_CONTACT_LIMIT holders
  pair only those with one name (`duplicate_contact`: the pairs each key gives); a key a write
  adds or takes away is marked (`duplicate_dirty_contact`);
- their names: two customers are compared by name when their name groups (folded first and
  last name) are linked (`duplicate_link`: same or matching names, in the orientation the
  block walk of `_NamePairs` meets them; a group is linked with itself while two customers or
  more carry its name). Whether everyone in two linked groups pairs, or only those who share
  a company, birthday or address, depends on how common the names are: the product p of the
  groups' name counts (`duplicate_name_count`) against a limit that depends on the book's
  size; `rare` says which side of the limit the pairs were worked out on
  (`duplicate_name_pair`: the pairs each link gives). A write that moves a name's count
  moves p for every link of that name (1 500 links for a common first name in a book of
  100 000): those are read, and rewritten only when their side changed or p left the bounds
  kept with it (`p_lo`, `p_hi`: when written, half the way to the limit either side, at
  least 1 % of p), so that a name's links are not all written again at each edit. When the
  book's size moves the limit, the links that may now be on its other side are the few whose
  bounds reach it, found through the indexes on (rare, p_lo) and (rare, p_hi), wherever they
  are in the book.

A read takes the marked customers; works out again their name groups' links, the links whose
side changed and the emails and phones marked or theirs; and then every pair those gave or
took back (`duplicate_pair`: score and reasons). Very many marks, a bulk write (meta
`duplicates_kept` dropped) or other rules (its value is a stamp of them) build it all whole.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import NamedTuple

from peewee import Database, IntegrityError
from rapidfuzz import fuzz, process

from tui_crm.core import duplicates as rules
from tui_crm.core.duplicates import (
    REASON_LABELS,
    REASON_WEIGHTS,
    DuplicatePair,
    DuplicateReason,
    PairSide,
    _by_sound,
    _contact_groups,
    _corroborated_pairs,
    _corroborating,
    _equivalents,
    _first_name_sound,
    _name_match,
    _name_reason,
    _Person,
    _person_of,
    _score,
    _similar_last,
    soundex,
)
from tui_crm.core.types import display_name
from tui_crm.db.meta import meta_value, set_meta
from tui_crm.db.store import store_of
from tui_crm.db.store.duplicates import CONTACT_COLUMNS, LINK_COLUMNS, PERSON_COLUMNS

# More marks than this and the read builds everything whole: at 100 000 customers a read
# works 2 000 renamed customers in 0.7 s and 8 000 in 2.6 s, about what a whole build takes.
REBUILD_MARKED = 5000

# Bump when the rules change in a way the constants in `_stamp` do not show.
RULES = 1

Group = tuple[str, str]  # (first name, last name), folded
Link = tuple[str, str, str, str]  # (first_a, last_a, first_b, last_b)
Pair = tuple[int, int]

# A link's bounds reach at least this share of its product either side (see the docstring).
DRIFT = 100


def _stamp() -> str:
    """What the kept pairs were worked out by: other rules (a new release, a test's) build
    them whole again."""
    return json.dumps(
        [
            RULES,
            _nicknames_version(),
            rules.SHARED_CONTACT_LIMIT,
            rules.LARGE_GROUP,
            rules.NAME_COINCIDENCE_LIMIT,
            rules.NAME_PRIOR_BOOK,
            rules.SIMILAR_LAST_RATIO,
            rules.SIMILAR_FIRST_RATIO,
            rules.MIN_SIMILAR_LENGTH,
            REASON_WEIGHTS,
            REASON_LABELS,
        ],
        sort_keys=True,
    )


@cache
def _nicknames_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nicknames")
    except PackageNotFoundError:  # pragma: no cover - installed with tui-crm
        return ""


# Reading ------------------------------------------------------------------------------------


def kept_pairs(
    db: Database, *, include_dismissed: bool = False, limit: int | None = None
) -> list[DuplicatePair]:
    """`find_duplicate_pairs`: the kept pairs brought up to date, then read in score order."""
    with db.atomic():
        keep_duplicates(db)
        rows = store_of(db).read_pairs(include_dismissed, limit)
    out = []
    for a, b, score, reasons, af, al, ac, acity, av, bf, bl, bc, bcity, bv, gone in rows:
        out.append(
            DuplicatePair(
                PairSide(a, display_name(af, al, ac), ac, acity, av),
                PairSide(b, display_name(bf, bl, bc), bc, bcity, bv),
                round(score * 100),
                tuple(DuplicateReason(code, text) for code, text in json.loads(reasons)),
                bool(gone),
            )
        )
    return out


def keep_duplicates(db: Database) -> None:
    """Bring the kept pairs up to date with what the triggers marked (or build them whole)."""
    if not store_of(db).sees_whole_book():
        return
    with db.atomic():
        if meta_value(db, "duplicates_kept") != _stamp():
            build_duplicates(db)
            return
        dirty, keys = store_of(db).duplicate_marks()
        if not dirty and not keys:
            return
        if len(dirty) + len(keys) > REBUILD_MARKED:
            build_duplicates(db)
            return
        size = int(meta_value(db, "duplicates_size") or 0)
        _Keeper(db, size).apply(sorted(dirty), {(code, key) for code, key in keys})
        store_of(db).clear_duplicate_marks()


# The rules, group by group ------------------------------------------------------------------


def _named(person: _Person) -> bool:
    return bool(person.first_key and person.last_key)


def _person_row(person: _Person) -> tuple:
    return (
        person.id,
        person.first,
        person.last,
        person.company,
        person.birthday,
        person.gender,
        person.first_key,
        person.last_key,
        soundex(person.last_key),
        person.company_key,
        person.address_key,
    )


def _stored_person(row: tuple) -> _Person:
    cid, first, last, company, birthday, gender, first_key, last_key, _, company_key, address = row
    return _Person(
        cid, first, last, company, "", birthday, gender, first_key, last_key, company_key, address
    )


def _link_between(first_1: str, last_1: str, first_2: str, last_2: str) -> Link | None:
    """The link of two name groups, oriented as `_NamePairs` meets them (the group met first
    is `a`), or None when it never compares them or their names do not match."""
    sound = _first_name_sound
    if last_1 == last_2:
        if first_1 == first_2:
            link = (first_1, last_1, first_1, last_1)
        else:
            first_a, first_b = sorted((first_1, first_2))
            if not (
                first_b in _equivalents(first_a)
                or (sound(first_a) and sound(first_a) == sound(first_b))
            ):
                return None
            link = (first_a, last_1, first_b, last_1)
    else:
        (last_a, first_a), (last_b, first_b) = sorted(((last_1, first_1), (last_2, first_2)))
        if not soundex(last_a) or not _similar_last(last_a, last_b):
            return None
        if not (
            first_b == first_a
            or first_b in _equivalents(first_a)
            or (sound(first_a) and sound(first_a) == sound(first_b))
        ):
            return None
        link = (first_a, last_a, first_b, last_b)
    return link if _name_match(*link) is not None else None


def _every_link(blocks: dict[str, dict[str, dict[str, list[int]]]]) -> Iterator[Link]:
    """Every link of a book's name groups (soundex -> last -> first -> ids), walked as
    `_NamePairs.run` walks them."""
    for code, lasts in blocks.items():
        names = sorted(lasts)
        for i, last_a in enumerate(names):
            firsts = lasts[last_a]
            sounds = _by_sound(firsts)
            for first in firsts:
                others = _equivalents(first) & firsts.keys()
                if _first_name_sound(first):
                    others |= set(sounds[_first_name_sound(first)])
                others.add(first)
                for other in others:
                    if other >= first:
                        link = _link_between(first, last_a, other, last_a)
                        if link is not None:
                            yield link
            if not code:
                continue
            for last_b, _, _ in process.extract(
                last_a,
                names[i + 1 :],
                scorer=fuzz.ratio,
                score_cutoff=rules.SIMILAR_LAST_RATIO,
                limit=None,
            ):
                firsts_b = lasts[last_b]
                sounds_b = _by_sound(firsts_b)
                for first in firsts:
                    others = ({first} | _equivalents(first)) & firsts_b.keys()
                    if _first_name_sound(first):
                        others.update(sounds_b.get(_first_name_sound(first), ()))
                    for other in others:
                        link = _link_between(first, last_a, other, last_b)
                        if link is not None:
                            yield link


def _may_match(first: str):
    """A test that lets through every first name `_link_between` may link with `first` (and
    some it does not), without working out the equivalents of each: the nicknames dataset's
    two lookups are each other's inverse, so whoever counts `first` among their equivalents
    (`equivalent_first_names`) is `first` itself, one of its formal names or nicknames, or
    a nickname of its one formal name."""
    namer = rules._namer()
    related = {first} | _equivalents(first) | namer.canonicals_of(first)
    related |= namer.nicknames_of(first)
    canonicals = namer.canonicals_of(first)
    if len(canonicals) == 1:
        related |= namer.nicknames_of(next(iter(canonicals)))
    sound = _first_name_sound(first)
    return lambda other: other in related or (sound != "" and _first_name_sound(other) == sound)


def _link_p(link: Link, firsts: Counter[str] | dict, lasts: Counter[str] | dict) -> int:
    """The product `_NamePairs._coincidences` multiplies the book's share by."""
    first_a, last_a, first_b, last_b = link
    f = firsts[first_a] + (firsts[first_b] if first_b != first_a else 0)
    n = lasts[last_a] + (lasts[last_b] if last_b != last_a else 0)
    return f * n


def _bounds(p: int, limit: int) -> tuple[int, int]:
    """Bounds for a link's product p, rewritten when p leaves them: half the way to `limit`
    (so they reach it only after the limit moved that far), at least 1 % of p."""
    reach = max(p // DRIFT, abs(limit - p) // 2)
    return p - reach, p + reach


def _is_rare(size: int, p: int) -> bool:
    """`_NamePairs._coincidences(...) <= NAME_COINCIDENCE_LIMIT`, computed the same way."""
    return size * p / (size + rules.NAME_PRIOR_BOOK) ** 2 <= rules.NAME_COINCIDENCE_LIMIT


def rare_limit(size: int) -> int:
    """The largest product of name counts that is still rare in a book of `size` live
    customers (the check is monotonic in the product, so rare <=> p <= this)."""
    if size + rules.NAME_PRIOR_BOOK <= 0 or size <= 0:
        return 0
    p = max(0, int(rules.NAME_COINCIDENCE_LIMIT * (size + rules.NAME_PRIOR_BOOK) ** 2 / size))
    while p > 0 and not _is_rare(size, p):
        p -= 1
    while _is_rare(size, p + 1):
        p += 1
    return p


def _link_pairs(
    same: bool, ids_a: list[int], ids_b: list[int], people: Mapping[int, _Person], rare: bool
) -> list[tuple[int, int, str, str]]:
    """(lower id, higher id, code, text) of the pairs a link gives, as `_NamePairs._emit`
    gives them (each group's ids in order)."""
    if rare:
        pairs: Iterable[Pair] = (
            [(a, b) for i, a in enumerate(ids_a) for b in ids_a[i + 1 :]]
            if same
            else [(a, b) for a in ids_a for b in ids_b]
        )
    else:
        pairs = _corroborated_pairs(people, ids_a, ids_b, same)
    out = []
    for a, b in pairs:
        reason = _name_reason(people[a], people[b])
        if reason is not None:
            lo, hi = (a, b) if a < b else (b, a)
            out.append((lo, hi, reason.code, reason.text))
    return out


def _contact_pairs(holders: list[int], people: dict[int, _Person]) -> list[Pair]:
    """The pairs one shared email or phone gives (`_shared_contacts`), holders in id order."""
    if len(holders) < 2:
        return []
    out = []
    for group in _contact_groups(holders, people):
        out += [(a, b) for i, a in enumerate(group) for b in group[i + 1 :]]
    return out


def _pair_row(
    a: _Person, b: _Person, contacts: dict[str, tuple[str, str]], name: tuple[str, str] | None
) -> tuple[int, int, float, str]:
    """A pair as `duplicate_pairs_from_scratch` lists it: of each kind of contact it shares,
    the first key (in order) with its text; the name reason its link gave (else its names
    compared); the facts that corroborate it; strongest first, with its score."""
    reasons = [
        DuplicateReason(code, f"{REASON_LABELS[code]} {label}")
        for code, (_, label) in contacts.items()
    ]
    if name is not None:
        reasons.append(DuplicateReason(*name))
    else:
        found = _name_reason(a, b)
        if found is not None:
            reasons.append(found)
    reasons += _corroborating(a, b)
    reasons.sort(key=lambda r: (-REASON_WEIGHTS[r.code], r.code))
    text = json.dumps([[r.code, r.text] for r in reasons], ensure_ascii=False)
    return (a.id, b.id, _score(reasons), text)


# Building whole -----------------------------------------------------------------------------


def build_duplicates(db: Database) -> None:
    """Work every kept table out from the whole book (after a bulk write, on first use, by
    `tui-crm check --repair`)."""
    with db.atomic():
        store = store_of(db)
        people = {row[0]: _person_of(row) for row in store.people()}
        size = len(people)
        firsts: Counter[str] = Counter()
        lasts: Counter[str] = Counter()
        blocks: dict[str, dict[str, dict[str, list[int]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        groups: dict[Group, list[int]] = {}
        for person in people.values():
            if _named(person):
                firsts[person.first_key] += 1
                lasts[person.last_key] += 1
                ids = blocks[soundex(person.last_key)][person.last_key][person.first_key]
                ids.append(person.id)
                groups[(person.first_key, person.last_key)] = ids
        limit = rare_limit(size)
        links = []
        names: dict[Pair, tuple[str, str]] = {}
        for link in _every_link(blocks):
            first_a, last_a, first_b, last_b = link
            same = first_a == first_b and last_a == last_b
            ids_a = groups[(first_a, last_a)]
            if same and len(ids_a) < 2:
                continue  # one customer of that name: no link with itself
            p = _link_p(link, firsts, lasts)
            rare = p <= limit
            links.append((*link, int(rare), *_bounds(p, limit)))
            ids_b = ids_a if same else groups[(first_b, last_b)]
            for lo, hi, code, text in _link_pairs(same, ids_a, ids_b, people, rare):
                names[(lo, hi)] = (code, text)
        contacts: dict[Pair, dict[str, tuple[str, str]]] = defaultdict(dict)
        contact_rows = []
        for code in ("email", "phone"):
            for key, label, ids in store.shared_contacts(code):
                holders = sorted(ids)
                for a, b in _contact_pairs(holders, people):
                    contact_rows.append((a, b, code, key, label))
                    kept = contacts[(a, b)].get(code)
                    if kept is None or key < kept[0]:
                        contacts[(a, b)][code] = (key, label)
        pairs = [
            _pair_row(people[a], people[b], _in_order(contacts.get((a, b), {})), names.get((a, b)))
            for a, b in contacts.keys() | names.keys()
        ]
        # Each table emptied and filled whole (on SQLite its plain indexes are dropped
        # meanwhile and built again after: one sorted build each, not 100 000 scattered
        # inserts).
        store.refill("duplicate_person", PERSON_COLUMNS, [_person_row(p) for p in people.values()])
        counts = [("f", key, n) for key, n in firsts.items()]
        counts += [("l", key, n) for key, n in lasts.items()]
        store.refill("duplicate_name_count", "part, key, n", counts)
        store.refill("duplicate_link", LINK_COLUMNS, links)
        store.refill("duplicate_contact", CONTACT_COLUMNS, contact_rows)
        store.refill(
            "duplicate_name_pair",
            "customer_a, customer_b, code, text",
            [(a, b, code, text) for (a, b), (code, text) in names.items()],
        )
        store.refill("duplicate_pair", "customer_a, customer_b, score, reasons", pairs)
        store.clear_duplicate_marks()
        set_meta(db, "duplicates_size", str(size))
        set_meta(db, "duplicates_kept", _stamp())


def _in_order(contacts: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    return {code: contacts[code] for code in ("email", "phone") if code in contacts}


# Keeping up ---------------------------------------------------------------------------------


class _Keeper:
    """Carries what the triggers marked into the kept tables."""

    def __init__(self, db: Database, size: int) -> None:
        self.db = db
        self.store = store_of(db)
        self.size = size
        self.touched: set[Pair] = set()
        self.members: dict[Group, list[_Person]] = {}

    def apply(self, dirty: list[int], keys: set[tuple[str, str]]) -> None:
        store = self.store
        old = {row[0]: _stored_person(row) for row in store.stored_people(dirty)}
        new = {row[0]: _person_of(row) for row in store.people(dirty)}
        self.size += len(new) - len(old)
        groups: set[Group] = set()
        firsts: Counter[str] = Counter()
        lasts: Counter[str] = Counter()
        sizes: Counter[Group] = Counter()
        for people, sign in ((old.values(), -1), (new.values(), 1)):
            for person in people:
                if _named(person):
                    group = (person.first_key, person.last_key)
                    groups.add(group)
                    firsts[person.first_key] += sign
                    lasts[person.last_key] += sign
                    sizes[group] += sign
        store.replace_people(dirty, [_person_row(p) for p in new.values()])
        self._count("f", firsts)
        self._count("l", lasts)
        self._relink(groups, sizes)
        links = self._links_to_look_at(groups, firsts, lasts)
        # What the marked customers gave goes; their keys are worked out again below.
        keys |= set(store.contact_keys_of(dirty))
        for table in ("duplicate_name_pair", "duplicate_contact"):
            for column in ("customer_a", "customer_b"):
                self.touched.update(store.forget_pairs_of(table, column, dirty))
        limit = rare_limit(self.size)
        rewritten = []
        for link, (rare, low, high, p, touched) in links.items():
            now = p <= limit
            if touched or int(now) != rare:
                self._link(link, now)
            if int(now) != rare or not low <= p <= high:
                first_a, last_a, first_b, last_b = link
                rewritten.append((int(now), *_bounds(p, limit), last_a, first_a, last_b, first_b))
        store.rewrite_links(rewritten)
        for code, key in sorted(keys):
            self._contact(code, key)
        for column in ("customer_a", "customer_b"):
            self.touched.update(store.pairs_with(column, dirty))
        self._pairs()
        set_meta(self.db, "duplicates_size", str(self.size))

    def _links_to_look_at(
        self, groups: set[Group], firsts: Counter[str], lasts: Counter[str]
    ) -> dict[Link, tuple[int, int, int, int, bool]]:
        """{link: (rare, p_lo, p_hi, p now, touches a marked customer's group)} of the links
        of the marked customers' groups, of the names whose counts moved, and of those whose
        bounds reach the limit of the book's size now."""
        # The indexes hold what is read (a common name has 1 500 links); p is worked out
        # here from the counts, read once.
        found: dict[Link, tuple[int, int, int, bool]] = {}

        def read(rows: list[tuple], touched: bool = False) -> None:
            for first_a, last_a, first_b, last_b, rare, low, high in rows:
                found[(first_a, last_a, first_b, last_b)] = (rare, low, high, touched)

        moved_firsts = sorted(k for k, n in firsts.items() if n)
        moved_lasts = sorted(k for k, n in lasts.items() if n)
        for column, moved in (
            ("first_a", moved_firsts),
            ("first_b", moved_firsts),
            ("last_a", moved_lasts),
            ("last_b", moved_lasts),
        ):
            read(self.store.links(column, moved))
        read(self.store.links_near(rare_limit(self.size)))
        for first, last in groups:
            for side in ("a", "b"):
                read(self.store.links_of_group(side, first, last), touched=True)
        counts: dict[str, dict[str, int]] = {"f": {}, "l": {}}
        for part, key, n in self.store.name_counts(
            sorted({k for link in found for k in (link[0], link[2])}),
            sorted({k for link in found for k in (link[1], link[3])}),
        ):
            counts[part][key] = n
        return {
            link: (rare, low, high, _link_p(link, counts["f"], counts["l"]), touched)
            for link, (rare, low, high, touched) in found.items()
        }

    def _count(self, part: str, moved: Counter[str]) -> None:
        for key, n in moved.items():
            if n:
                self.store.move_name_count(part, key, n)

    def _group(self, group: Group) -> list[_Person]:
        if group not in self.members:
            first, last = group
            self.members[group] = [
                _stored_person(row) for row in self.store.group_people(first, last)
            ]
        return self.members[group]

    def _relink(self, groups: set[Group], sizes: Counter[Group]) -> None:
        """Links of the groups that emptied go; a group that was empty gets its links with
        the groups there are; a group's link with itself is there while it has two
        customers or more."""
        for group in sorted(groups):
            first, last = group
            now = len(self._group(group))
            before = now - sizes[group]
            if now == 0 and before > 0:
                self.store.drop_group_links(first, last)
            elif before == 0 and now > 0:
                # worked out with the group's other links (rare -1: not yet)
                self.store.add_links(self._links_of(first, last))
            if now < 2 <= before:
                self.store.drop_self_link(first, last)
            elif before < 2 <= now:
                self.store.add_links([(first, last, first, last)])

    def _links_of(self, first: str, last: str) -> list[Link]:
        """Every link of one group with the other groups there are, found through the
        indexes."""
        out = []
        near = _may_match(first)
        for other in self.store.firsts_with_last(last):
            if other != first and near(other):
                link = _link_between(first, last, other, last)
                if link is not None:
                    out.append(link)
        code = soundex(last)
        if code:
            for other_last in self.store.lasts_sounding(code):
                if other_last == last or not _similar_last(*sorted((last, other_last))):
                    continue
                for other in self.store.firsts_with_last(other_last):
                    if near(other):
                        link = _link_between(first, last, other, other_last)
                        if link is not None:
                            out.append(link)
        return out

    def _link(self, link: Link, rare: bool) -> None:
        """Work out again the pairs one link gives."""
        first_a, last_a, first_b, last_b = link
        same = first_a == first_b and last_a == last_b
        members_a = self._group((first_a, last_a))
        members_b = members_a if same else self._group((first_b, last_b))
        ids_a = [p.id for p in members_a]
        ids_b = [p.id for p in members_b]
        self.touched.update(self.store.forget_name_pairs(ids_a, ids_b))
        if not same:
            self.touched.update(self.store.forget_name_pairs(ids_b, ids_a))
        people = {p.id: p for p in members_a}
        people.update((p.id, p) for p in members_b)
        found = _link_pairs(same, ids_a, ids_b, people, rare)
        self.store.add_name_pairs(found)
        self.touched.update((a, b) for a, b, _, _ in found)

    def _contact(self, code: str, key: str) -> None:
        """Work out again the pairs one email or phone gives."""
        self.touched.update(self.store.forget_contact(code, key))
        holders, label = self.store.contact_holders(code, key)
        people: dict[int, _Person] = {}
        if len(holders) > rules.SHARED_CONTACT_LIMIT:
            people = {row[0]: _stored_person(row) for row in self.store.stored_people(holders)}
        found = [(a, b, code, key, label) for a, b in _contact_pairs(holders, people)]
        self.store.add_contact_pairs(found)
        self.touched.update((a, b) for a, b, *_ in found)

    def _pairs(self) -> None:
        """Every pair whose evidence or customers changed, listed again (or no longer)."""
        if not self.touched:
            return
        pairs = sorted(self.touched)
        self.store.drop_pairs(pairs)
        contacts: dict[Pair, dict[str, tuple[str, str]]] = defaultdict(dict)
        # Per pair and kind, the least key and its label.
        for a, b, code, key, label in self.store.contacts_of_pairs(pairs):
            contacts[(a, b)][code] = (key, label)
        names = {(a, b): (code, text) for a, b, code, text in self.store.names_of_pairs(pairs)}
        found = contacts.keys() | names.keys()
        ids = sorted({i for pair in found for i in pair})
        people = {row[0]: _stored_person(row) for row in self.store.stored_people(ids)}
        self.store.add_pairs(
            [
                _pair_row(people[a], people[b], _in_order(contacts.get((a, b), {})),
                          names.get((a, b)))
                for a, b in sorted(found)
            ],
        )  # fmt: skip


# Checking ----------------------------------------------------------------------------------

KEPT_TABLES = {
    "duplicate_person": ("customer", PERSON_COLUMNS),
    "duplicate_name_count": ("name count", "part, key, n"),
    "duplicate_link": ("name link", "first_a, last_a, first_b, last_b, rare"),
    "duplicate_contact": ("shared contact pair", CONTACT_COLUMNS),
    "duplicate_name_pair": ("name pair", "customer_a, customer_b, code, text"),
}


class KeptCheck(NamedTuple):
    wrong: list[Pair]  # pairs listed otherwise than from nothing
    tables: dict[str, int]  # kept table -> rows that differ from a whole build
    size: str | None  # the kept book size, when it is wrong
    failed: str | None  # why the kept pairs could not be brought up to date


def wrong_pairs(db: Database) -> KeptCheck:
    """What is kept, brought up to date, against the same worked out from nothing: the pairs
    listed differently from `duplicate_pairs_from_scratch` (ids), how many rows of each table
    that finding them keeps differ from a whole build, and the kept book size if it is wrong;
    or why bringing them up to date failed (what is kept contradicts itself). Changes nothing
    (rolled back)."""

    class _RollBack(Exception):
        pass

    wrong: list[Pair] = []
    tables: dict[str, int] = {}
    size_wrong = None
    try:
        with db.atomic():
            try:
                keep_duplicates(db)
            except (KeyError, ValueError, TypeError, IntegrityError) as err:
                return KeptCheck([], {}, None, f"{type(err).__name__}: {err}")
            kept = kept_pairs(db, include_dismissed=True)
            scratch = rules.duplicate_pairs_from_scratch(db, include_dismissed=True)
            if kept != scratch:
                shown = {pair.ids: pair for pair in kept}
                fresh = {pair.ids: pair for pair in scratch}
                wrong = sorted(
                    i for i in shown.keys() | fresh.keys() if shown.get(i) != fresh.get(i)
                )
                if not wrong:  # the same pairs in another order
                    wrong = [p.ids for p, q in zip(kept, scratch, strict=True) if p != q]
            size = meta_value(db, "duplicates_size")
            # A link's bounds are rewritten lazily: they need only hold its product.
            store = store_of(db)
            unbounded = store.unbounded_links()
            store.copy_kept({table: columns for table, (_, columns) in KEPT_TABLES.items()})
            build_duplicates(db)
            if meta_value(db, "duplicates_size") != size:
                size_wrong = size
            for table, (_, columns) in KEPT_TABLES.items():
                n = store.rows_unlike_copy(table, columns)
                n += unbounded if table == "duplicate_link" else 0
                if n:
                    tables[table] = n
            raise _RollBack
    except _RollBack:
        pass
    return KeptCheck(wrong, tables, size_wrong, None)
