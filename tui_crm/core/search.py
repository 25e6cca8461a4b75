"""Running a parsed query against the database: full text, qualifiers, sorting.

Free words are prefix-matched against the search index; qualifiers are conditions on the
customer row, its tags and its value figures as of `as_of`. The SQL of both is the store's
(tui_crm/db/store/search.py, one implementation per engine); here the query is prepared, a
plan chosen and the rows built.

Two plans return the same rows in the same order:

* direct: collect every match, then sort. Cheap when matches are few.
* walk: step through customers in result order along an index (value figures, or names),
  test each one and stop at the limit. Cheap when matches are many: a one-letter prefix
  matches nearly everyone, and sorting 90 000 hits by value costs tens of milliseconds where
  walking to the 50th costs one.

`search_ids` picks one per query from a rough cost estimate: the number of full-text hits
(counted, with a cap) and, for qualifiers, the share of a slice of customers that passes them.

Whatever the order, customers whose whole name is what the free words say ("rob smith",
"Smith, Rob", a nickname and last name; case and accents aside) come first, so `rob smith`
lists Rob Smith above a more valuable Robert Smith.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from peewee import Database, DatabaseError

from tui_crm.core.names import fold_name
from tui_crm.core.query import Filter, Query, SortKey, Word, parse
from tui_crm.core.rows import CustomerRow, status_as_shown
from tui_crm.core.value import ensure_values
from tui_crm.db.store import store_of
from tui_crm.db.store.search import FOUND_FROM, VALUE_INDEXES, text_words
from tui_crm.db.store.search import FOUND_TO as FOUND_TO  # a snippet's marks, for the screens
from tui_crm.errors import CrmError

# Plan choice. Costs are in microseconds per row, measured on 100 000 customers
# (benchmarks/bench.py); only their ratios matter.
WALK_MAX_LIMIT = 1000  # beyond this, or without a limit, always collect and sort
SMALL_BOOK = 2000  # customers; below this every plan is fast, skip the estimate
SAMPLE_ROWS = 500  # customers tested against the qualifiers to estimate their share
# A sample in which at most this many pass the qualifiers a walk tests says only that they
# are rare (in a sample of a fifth of SAMPLE_ROWS or more): how far the walk must go to find
# its rows is anyone's guess (see _Shares.rare).
RARE_IN_SAMPLE = 1
STEP_COST = 1.0  # walk: visit one customer in order and test its qualifiers
SET_COST = 0.2  # walk: put one full-text hit into the set the walk probes
SEEK_COST = 60.0  # walk: ask the FTS index whether one customer matches
SCAN_COST = 0.3  # direct: read one customer when no index narrows the qualifiers
SORT_COST = 1.4  # direct: fetch and sort one candidate
# The walk's cost is a guess (matches may bunch up late in the order); the direct plan's
# is bounded by its candidates. Walk only when the guess wins by this factor.
WALK_MARGIN = 2.0
# Qualifiers the planner can drive a direct plan from (an index or a set of ids).
INDEXED_QUALIFIERS = ("city", "tag", "category", "due")
# Qualifiers no index answers: a query of only these (and money limits) reads every customer,
# which the direct plan then does in the table's own order (see _Plan.scan).
UNINDEXED_QUALIFIERS = ("gender", "owner", "territory", "country", "company", "source")
# The orders such a read may be asked for: a customer's own columns (see _unindexed).
SCANNED_ORDERS = ("name", "last_name", "created", "last_contact", "city", "company")
TIDY_PAGES = 500  # a round of the search index's upkeep: some 25 ms at 100 000 customers


def resolve(db: Database, query: Query, as_of: date) -> Query:
    """The qualifiers that are answered from outside the customer row, answered: `reason:`
    asks the needs-attention queue (core/attention.py), `status:active` and `status:lapsed`
    the lapsed rule (core/lapse.py), each over the whole book, so only when asked; each
    answer goes in as a set of ids."""
    wanted = {"reason", "status"}
    if not any(f.key in wanted for f in query.filters):
        return query
    lapsed: str | None = None
    filters = []
    for f in query.filters:
        if f.key == "reason":
            from tui_crm.core.attention import reason_ids  # the queue: only when asked

            f = Filter("ids", (_json_ids(reason_ids(db, as_of, f.values)),), f.negated)
        elif f.key == "status" and set(f.values) - {"lost"}:
            if lapsed is None:
                from tui_crm.core.lapse import lapsed_ids

                lapsed = _json_ids(lapsed_ids(db, as_of))
            f = Filter("shown_status", (lapsed, *f.values), f.negated)
        filters.append(f)
    return Query(query.words, tuple(filters), query.money, query.sort)


def _json_ids(ids: Iterable[int]) -> str:
    return "[" + ",".join(map(str, ids)) + "]"


def _sort_keys(query: Query) -> list[SortKey]:
    """The given sort, or the default: by 12-month value when the query is about people who
    match words or money/tier qualifiers, else by last name."""
    if query.sort:
        return list(query.sort)
    if query.words or query.money or any(f.key == "tier" for f in query.filters):
        return [SortKey("spent12m", True), SortKey("last_name")]
    return [SortKey("last_name")]


def _prepared(db: Database, query: Query) -> Query:
    """`query` as the store takes it: its sort keys given (the default filled in), and
    `owner:me` the user's name (the role of a book on a server)."""
    filters = query.filters
    if any(f.key == "owner" for f in filters):
        from tui_crm.core.config import user_of  # reads config.toml: only when needed

        user = user_of(db)
        filters = tuple(
            Filter(f.key, tuple(user if v.lower() == "me" else v for v in f.values), f.negated)
            if f.key == "owner"
            else f
            for f in filters
        )
    return Query(query.words, filters, query.money, tuple(_sort_keys(query)))


def search_ids(db: Database, query: Query, *, as_of: date, limit: int | None = 50) -> list[int]:
    """Ids of the customers matching `query`, in result order: those it names exactly first
    (`exact_name_ids`), then the rest in the query's order."""
    ensure_values(db, as_of)
    query = _prepared(db, resolve(db, query, as_of))
    named = exact_name_ids(db, query, as_of)
    wanted = None if limit is None else limit + len(named)
    plan = _choose_plan(db, query, as_of, wanted)
    if plan.walk and wanted is not None:
        ids = _walk_ids(db, query, as_of, wanted, plan.text)
    else:
        ids = _direct_ids(db, query, as_of, wanted, plan.text, scan=plan.scan)
    if not named:
        return ids
    first = set(named)
    ids = named + [i for i in ids if i not in first]
    return ids if limit is None else ids[:limit]


def asked_name(query: Query) -> str | None:
    """The whole name the free words spell, folded (`fold_name`) and first name first
    ("Smith, Rob" → "rob smith"), or None when they cannot be one (a single word, a negated
    or empty part)."""
    words = [w.text for w in query.words if not w.negated]
    if not words or len(words) != len(query.words):
        return None
    text = " ".join(words)
    if "," in text:
        last, _, first = text.partition(",")
        if not fold_name(first) or not fold_name(last) or "," in first:
            return None
        text = f"{first} {last}"
    name = fold_name(text)
    return name if len(name.split()) >= 2 else None


def exact_name_ids(db: Database, query: Query, as_of: date) -> list[int]:
    """Customers matching `query` whose first and last name, or nickname and last name, are
    exactly the name its free words spell (`asked_name`), in the query's order: those whose
    first name it is before those whose nickname it is."""
    name = asked_name(query)
    if name is None:
        return []
    # Whole words in the name column, as typed (the index splits O'Brien as it was stored): a
    # handful of candidates, each then compared in full.
    words = " ".join(w.text for w in query.words).replace(",", " ").split()
    tokens = [t for t in words if any(ch.isalnum() for ch in t)]
    by_name, by_nickname = set(), set()
    for cid, first, last, nickname in store_of(db).name_candidates(tokens):
        if name == fold_name(f"{first} {last}"):
            by_name.add(cid)
        elif nickname and name == fold_name(f"{nickname} {last}"):
            by_nickname.add(cid)
    if not by_name and not by_nickname:
        return []
    only = Filter("ids", (json.dumps(sorted(by_name | by_nickname)),))
    within = Query(query.words, (*query.filters, only), query.money, query.sort)
    ids = _direct_ids(db, within, as_of, None)
    # Rob Smith before Robert "Rob" Smith: the name people were given, then the one they use.
    return [i for i in ids if i in by_name] + [i for i in ids if i not in by_name]


def _direct_ids(
    db: Database,
    query: Query,
    as_of: date,
    limit: int | None,
    text: str = "direct",
    *,
    scan: bool = False,
) -> list[int]:
    """Collect every match, sort, cut. `text` ("direct", "walk" or "seek", as the store's
    Search reads it): anything but "direct" makes the planner start from a qualifier's index
    rather than the hits. `scan`: read the customers in the table's order (see _Plan.scan)."""
    return store_of(db).direct_ids(_prepared(db, query), as_of, limit, text, scan=scan)


def _walk_ids(db: Database, query: Query, as_of: date, limit: int, mode: str = "walk") -> list[int]:
    """Step through customers in result order along an index, keeping those that match, up
    to `limit`."""
    return store_of(db).walk_ids(_prepared(db, query), as_of, limit, mode)


def _walkable(db: Database, query: Query) -> bool:
    """Whether an index gives the order of `query`'s results, for the walk."""
    return store_of(db).stretches(_prepared(db, query)) is not None


@dataclass(frozen=True)
class _Plan:
    walk: bool = False
    text: str = "direct"  # how words are tested: see the store's Search
    # Direct, reading every customer in the table's order, then sorting the few that pass.
    # Asked where no word and no index narrows the qualifiers and the walk would go far:
    # SQLite's planner, which does not know how few pass, walked the sorted order instead,
    # looking up each row from the index (3-10x a plain read: `gender:f` in a book with no
    # genders took 100 ms, not 12).
    scan: bool = False


def _choose_plan(db: Database, query: Query, as_of: date, limit: int | None) -> _Plan:
    """The cheaper plan by a rough estimate (microseconds, give or take)."""
    store = store_of(db)
    if limit is None or not 0 < limit <= WALK_MAX_LIMIT or store.stretches(query) is None:
        return _Plan()
    customers = store.highest_customer_id()
    if customers <= SMALL_BOOK:
        return _Plan()
    cap = max(4 * limit, customers // 2)  # past half the book the walk wins anyway
    counted = store.text_hits(query, cap)
    positive = counted is not None
    hits = built = customers  # built: hits a set of them would hold
    if counted is not None:
        hits = counted
        built = customers if hits >= cap else hits
    shares = _Shares()
    if query.filters or query.money:
        shares = _qualifier_shares(db, query, as_of, customers)
    seekable = positive and _seekable(query)

    # Walk: steps until `limit` matches, assuming matches spread evenly along the order
    # past the part that qualifiers aligned with the order rule out.
    text_share = hits / customers
    rate = max(text_share * shares.along_walk, 1 / customers)
    steps = customers if shares.rare else min(limit / rate + shares.skipped * customers, customers)
    walk_cost, walk_text = steps * STEP_COST, "walk"
    if positive:
        # Only customers that pass the qualifiers are looked up in the index.
        seeks = min(limit / max(text_share, 1 / customers), steps)
        seek_cost = seeks * SEEK_COST if seekable else float("inf")
        walk_text = "seek" if seek_cost < built * SET_COST else "walk"
        walk_cost += min(seek_cost, built * SET_COST)

    # Direct: from the hits, or from the narrowest indexed qualifier when that is fewer.
    narrowest = shares.narrowest * customers
    direct_text = "direct"
    if positive and narrowest < hits:
        seek_cost = narrowest * SEEK_COST if seekable else float("inf")
        direct_text = "seek" if seek_cost < built * SET_COST else "walk"
        direct_cost = narrowest * SORT_COST + min(seek_cost, built * SET_COST)
    elif positive:
        direct_cost = built * SORT_COST
    elif narrowest < customers:
        direct_cost = narrowest * SORT_COST
    else:
        direct_cost = customers * SCAN_COST + customers * shares.passing * SORT_COST

    if walk_cost * WALK_MARGIN < direct_cost:
        return _Plan(walk=True, text=walk_text)
    return _Plan(text=direct_text, scan=counted is None and _unindexed(query))


def _unindexed(query: Query) -> bool:
    """Whether no index can narrow `query`'s qualifiers (there is at least one), and its
    order is one of a customer's own columns (SCANNED_ORDERS). Measured: an order by a value
    figure starts from the figures' table, and by the next follow-up from its index, both
    read well by SQLite itself; so does a `company:` filter along the order by company,
    which meets its matches side by side."""
    first = _sort_keys(query)[0].key
    return (
        bool(query.filters or query.money)
        and first in SCANNED_ORDERS
        and all(f.negated or f.key in UNINDEXED_QUALIFIERS for f in query.filters)
        and not (first == "company" and any(f.key == "company" for f in query.filters))
    )


def _seekable(query: Query) -> bool:
    """Whether asking the index about one customer is cheap for every word: FTS5 seeks
    straight to a customer in an exact term or a prefix it indexes (1 to 3 characters), but
    a longer prefix makes it merge every matching term first, each time it is asked."""
    return all(w.phrase or len(w.text) <= 3 for w in query.words if not w.negated)


@dataclass(frozen=True)
class _Shares:
    """Shares of customers passing the qualifiers, estimated from a sample."""

    passing: float = 1.0  # all of them
    along_walk: float = 1.0  # those the walk must test row by row
    skipped: float = 0.0  # the part of the walk order they rule out up front
    narrowest: float = 1.0  # the narrowest one an index can drive a direct plan from
    # The sample saw at most RARE_IN_SAMPLE of its customers pass what the walk tests: the
    # walk is costed as going the whole way, its worst case, and the direct plan's cost,
    # bounded by its candidates, wins unless it is worse still. (`lifetime<0 an` walked 60 %
    # of a book of 100 000 for its 50 rows, 90-110 ms, where collecting the hits took 20-30.)
    rare: bool = False


def _qualifier_shares(db: Database, query: Query, as_of: date, customers: int) -> _Shares:
    """Estimate from a slice of customers a third of the way in by id: a rough guess.

    Some qualifiers line up with a walk by value: a money limit on the sorted figure bounds
    the stretches walked (the store's `stretches`), and gold and silver are the top fifth by
    12-month value (core/value.py). They do not thin out the walk, so they are left out of
    its share.
    """
    first = _sort_keys(query)[0]
    column = VALUE_INDEXES.get(first.key, ("", ""))[0]
    tiers = [f for f in query.filters if f.key == "tier" and not f.negated]
    by_tier = (
        first.key == "spent12m"
        and first.descending
        and len(tiers) == 1
        and set(tiers[0].values) <= {"gold", "silver"}
    )
    # One flag per qualifier (so a tag's set of ids is built once), then products of flags.
    parts: list[tuple[Query, bool, bool]] = []  # (qualifier, thins the walk, indexed)
    for f in query.filters:
        indexed = f.key in INDEXED_QUALIFIERS and not f.negated
        indexed = indexed and (f.key != "due" or len(f.values) == 1)
        parts.append((Query(filters=(f,)), not (by_tier and f in tiers), indexed))
    for m in query.money:
        parts.append((Query(money=(m,)), m.key != column, False))
    groups = [
        list(range(len(parts))),
        [n for n, part in enumerate(parts) if part[1]],
        *([n] for n, part in enumerate(parts) if part[2]),
    ]
    row = store_of(db).qualifier_sample(
        [part[0] for part in parts], groups, as_of, customers // 3, SAMPLE_ROWS
    )
    shares = [(passed + 0.5) / (row[0] + 1) for passed in row[1:]]
    return _Shares(
        passing=shares[0],
        along_walk=shares[1],
        rare=row[2] <= RARE_IN_SAMPLE and row[0] >= SAMPLE_ROWS // 5,
        skipped=0.1 if by_tier and "gold" not in tiers[0].values else 0.0,
        narrowest=min(shares[2:], default=1.0),
    )


def rows_for(db: Database, ids: list[int], *, status_on: date | None = None) -> list[CustomerRow]:
    """Display rows for `ids`, in the same order; with `status_on` (a day), each row's status
    as people are told it on that day (`status_as_shown`), else "" (the search screen shows
    none, and working out who lapsed reads every customer's purchase rhythm)."""
    if not ids:
        return []
    lapsed: set[int] = set()
    if status_on is not None:
        from tui_crm.core.lapse import lapsed_ids  # the rule alone, not the queue

        lapsed = set(lapsed_ids(db, status_on, among=ids))
    found: dict[int, CustomerRow] = {}
    for r in store_of(db).customer_rows(ids):
        found[r[0]] = CustomerRow(
            id=r[0],
            first_name=r[1],
            last_name=r[2],
            company=r[3],
            email=r[4],
            phone=r[5],  # as kept when it was written (migration 11)
            city=r[6],
            tier=r[7],
            value_12m=r[8],
            spent_30d=r[9],
            lifetime=r[10],
            last_contact=_datetime(r[11]),
            next_follow_up=date.fromisoformat(r[12]) if r[12] else None,
            status=status_as_shown(r[13], r[0] in lapsed) if status_on is not None else "",
        )
    return [found[i] for i in ids if i in found]


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def search(
    db: Database,
    query: str | Query,
    *,
    as_of: date,
    limit: int | None = 50,
    statuses: bool = False,
) -> list[CustomerRow]:
    """Customers matching `query` (text in the search language, or already parsed); with
    `statuses`, each row's status as of `as_of` (see `rows_for`)."""
    parsed = parse(query) if isinstance(query, str) else query
    ids = search_ids(db, parsed, as_of=as_of, limit=limit)
    return rows_for(db, ids, status_on=as_of if statuses else None)


def search_window(
    db: Database, query: str | Query, *, as_of: date, offset: int, limit: int
) -> list[CustomerRow]:
    """The customers at places `offset` to `offset + limit` of `query`'s results, in result
    order: what a list asks for as it is scrolled."""
    parsed = parse(query) if isinstance(query, str) else query
    ids = search_ids(db, parsed, as_of=as_of, limit=offset + limit)
    return rows_for(db, ids[offset:])


def count_matches(db: Database, query: str | Query, *, as_of: date) -> int:
    """How many customers `query` finds."""
    parsed = parse(query) if isinstance(query, str) else query
    return len(search_ids(db, parsed, as_of=as_of, limit=None))


def _note_words(query: str | Query) -> list[Word]:
    """The free words of `query` that notes can explain: not negated, a phone's digits aside
    (none when the query does not parse)."""
    if isinstance(query, str):
        from tui_crm.core.query import QueryError

        try:
            query = parse(query)
        except QueryError:
            return []
    return [w for w in text_words(query, negated=False) if not w.text.isdigit()]


def note_terms(query: str | Query) -> list[str]:
    """The words of `query` that notes can explain (see `_note_words`)."""
    return [w.text for w in _note_words(query)]


def note_snippets(db: Database, query: str | Query, ids: list[int]) -> dict[int, str]:
    """For the customers `ids` whose notes hold a free word of `query` (a phone's digits
    aside): a few words of their notes around it, the words found between FOUND_FROM and
    FOUND_TO ("…left a \\ue000voicemail\\ue001 on Monday…"): why they are listed when their
    name does not say it. A snippet reads each document (some 1 ms a customer on SQLite), so
    for the rows on screen, not the whole result. The notes are kept apart by ' · '."""
    words = _note_words(query)
    if not words or not ids:
        return {}
    found = store_of(db).note_snippets(words, ids)
    return {cid: " ".join(text.split()) for cid, text in found.items() if FOUND_FROM in text}


def tidy_search_index(
    db: Database,
    *,
    seconds: float | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """The search index's pending upkeep done (`Store.tidy_text_index`), a round at a time,
    each a short write of its own, until there is none left, `seconds` have passed or `stop()`
    says so: how many rounds found some. A book that is busy (or not ours to write) ends it
    too: it is upkeep, done at the next look. At 100 000 customers after bulk actions, 55
    rounds in 1.6 s took a key's search back from 31 to 14 ms at p95."""
    ends = None if seconds is None else time.monotonic() + seconds
    store, rounds = store_of(db), 0
    while not stop() and (ends is None or time.monotonic() < ends):
        try:
            if not store.tidy_text_index(TIDY_PAGES):
                break
        except DatabaseError:
            break
        rounds += 1
    return rounds


NO_TIERS_YET = "nobody is gold or silver yet: tiers come from the last 12 months' purchases"


def why_none(db: Database, text: str) -> str:
    """Why `text` finds no one, when that is the book rather than the query: `tier:gold` in a
    book without a purchase in 12 months (one just imported). "" otherwise."""
    try:
        query = parse(text)
    except CrmError:
        return ""
    return NO_TIERS_YET if query.only_gold_or_silver and not store_of(db).anyone_tiered() else ""
