"""Running a parsed query against the database: full text, qualifiers, sorting.

Free words go to the FTS5 index as quoted prefix terms (user text never becomes SQL or FTS
syntax); qualifiers become parameterised conditions on the customer row, its tags and its
value figures as of `as_of`.

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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import Database

from tui_crm.core.names import fold_name
from tui_crm.core.query import Filter, Query, SortKey, Word, parse
from tui_crm.core.rows import CustomerRow, status_as_shown
from tui_crm.core.value import ensure_values
from tui_crm.db.derived import TAIL_MARK

SORT_SQL = {
    "name": ["c.first_name COLLATE NOCASE", "c.last_name COLLATE NOCASE"],
    "last_name": ["c.last_name COLLATE NOCASE", "c.first_name COLLATE NOCASE"],
    "company": ["c.company COLLATE NOCASE"],
    "city": ["c.city COLLATE NOCASE"],
    "created": ["c.created_at"],
    "last_contact": ["c.last_contact_at"],
    "next_follow_up": ["c.next_follow_up IS NULL", "c.next_follow_up"],
    "spent30d": ["coalesce(v.spent_30d, 0)"],
    "spent12m": ["coalesce(v.spent_12m, 0)"],
    "lifetime": ["coalesce(v.lifetime, 0)"],
}
EQUAL_COLUMNS = {
    "city": "c.city",
    "country": "c.country",
    "source": "c.source",
    "owner": "c.owner",
    "territory": "c.territory",
}
# Sort keys whose order an index gives: value figures (customer_value), customer columns
# (some from migration 2).
VALUE_INDEXES = {
    "spent12m": ("spent_12m", "customer_value_12m"),
    "spent30d": ("spent_30d", "customer_value_30d"),
    "lifetime": ("lifetime", "customer_value_lifetime"),
}
CUSTOMER_INDEXES = {
    "name": "customer_first_name",
    "last_name": "customer_name",
    "created": "customer_created",
    "company": "customer_company",
    "city": "customer_city",
    "last_contact": "customer_last_contact",
}

# Plan choice. Costs are in microseconds per row, measured on 100 000 customers
# (benchmarks/bench.py); only their ratios matter.
WALK_MAX_LIMIT = 1000  # beyond this, or without a limit, always collect and sort
SMALL_BOOK = 2000  # customers; below this every plan is fast, skip the estimate
SAMPLE_ROWS = 500  # customers tested against the qualifiers to estimate their share
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


def fts_term(word: Word) -> str | None:
    """One word as a safe FTS5 phrase: quoted, quotes doubled, `*` for prefix matching. Four
    to eight digits match the end of a phone number too (its tail tokens, migration 17)."""
    if not any(ch.isalnum() for ch in word.text):
        return None
    quoted = '"' + word.text.replace('"', '""') + '"'
    if word.phrase:
        return quoted
    if word.text.isascii() and word.text.isdigit() and 4 <= len(word.text) <= 8:
        return f'({quoted}* OR "{TAIL_MARK}{word.text}")'
    return quoted + "*"


def _match_strings(query: Query) -> tuple[str | None, str | None]:
    """FTS5 queries for the words that must match all, and those of which none may."""
    positive = [t for w in query.words if not w.negated and (t := fts_term(w))]
    negative = [t for w in query.words if w.negated and (t := fts_term(w))]
    return " AND ".join(positive) or None, " OR ".join(negative) or None


def _text_conditions(query: Query, mode: str = "direct") -> tuple[list[str], list]:
    """Full-text conditions. "direct" lets the planner drive the query from the hits;
    "walk" collects the hits once and probes them per customer; "seek" asks the index
    about each customer instead (worth it when the walk stops after a few rows)."""
    sql: list[str] = []
    params: list = []
    positive, negative = _match_strings(query)
    # `+` keeps the planner from driving a walk from the hits instead of from its index.
    probe = "c.id" if mode == "direct" else "+c.id"
    if positive:
        if mode == "seek":
            sql.append(
                "EXISTS (SELECT 1 FROM customer_fts WHERE customer_fts.rowid = c.id "
                "AND customer_fts MATCH ?)"
            )
        else:
            sql.append(f"{probe} IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH ?)")
        params.append(positive)
    if negative:
        sql.append(f"{probe} NOT IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH ?)")
        params.append(negative)
    return sql, params


# Qualifiers whose values are compared without regard to case.
CASELESS = {"tag", "company", "category", *EQUAL_COLUMNS}


def _case_variants(values: list[str]) -> list[str]:
    """The values in the case forms a stored name can take (ålesund, Ålesund, ÅLESUND).

    SQLite's NOCASE and LIKE fold only ASCII letters, and a Python function in the query
    would keep the indexes out of use; so the non-ASCII letters are offered in each case form
    instead. ASCII-only values need nothing more.
    """
    out: list[str] = []
    for value in values:
        forms = [value]
        if not value.isascii():
            forms += [value.lower(), value.upper(), value.title(), value.capitalize()]
        out.extend(form for form in forms if form not in out)
    return out


def _filter_conditions(query: Query, as_of: date) -> tuple[list[str], list]:
    sql: list[str] = []
    params: list = []
    for f in query.filters:
        values = list(f.values)
        if f.key == "owner":
            from tui_crm.core.config import settings  # reads config.toml: only when needed

            values = [settings().user if v.lower() == "me" else v for v in values]
        if f.key in CASELESS:
            values = _case_variants(values)
        marks = ", ".join("?" for _ in values)
        if f.key == "tag":
            cond = (
                "c.id IN (SELECT ct.customer_id FROM customer_tag ct JOIN tag t "
                f"ON t.id = ct.tag_id WHERE t.name COLLATE NOCASE IN ({marks}))"
            )
        elif f.key in EQUAL_COLUMNS:
            cond = f"{EQUAL_COLUMNS[f.key]} COLLATE NOCASE IN ({marks})"
        elif f.key == "company":
            cond = "(" + " OR ".join("c.company LIKE ? ESCAPE '\\'" for _ in values) + ")"
            values = [
                "%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                for v in values
            ]
        elif f.key == "category":
            cond = (
                f"c.category_id IN (SELECT id FROM category WHERE name COLLATE NOCASE IN ({marks}))"
            )
        elif f.key == "tier":
            values = ["" if v == "none" else v for v in values]
            cond = f"coalesce(v.tier, '') IN ({marks})"
        elif f.key == "referred_by":
            cond = f"c.referred_by_id IN ({marks})"
            values = [int(v) for v in values]
        elif f.key == "ids":  # a reason: qualifier, resolved to the ids it stands for
            cond = "c.id IN (SELECT value FROM json_each(?))"
        elif f.key == "gender":
            cond = f"c.gender IN ({marks})"
        elif f.key == "status":
            cond, values = _status_condition(None, f.values)
        elif f.key == "shown_status":  # a status: qualifier with the lapsed ids (`resolve`)
            cond, values = _status_condition(f.values[0], f.values[1:])
        elif f.key == "due":
            limits = {"overdue": ("<", as_of), "today": ("<=", as_of)}
            limits["week"] = ("<=", as_of + timedelta(days=7))
            cond = "(" + " OR ".join(f"c.next_follow_up {limits[v][0]} ?" for v in values) + ")"
            values = [limits[v][1].isoformat() for v in values]
        else:  # pragma: no cover - the parser only produces known keys
            raise AssertionError(f.key)
        sql.append(f"NOT coalesce({cond}, 0)" if f.negated else cond)
        params.extend(values)
    for m in query.money:
        sql.append(f"coalesce(v.{m.key}, 0) {m.op} ?")
        params.append(m.cents)
    return sql, params


# `status:` as `status_as_shown` tells it: lost is typed; lapsed is who the rule says stopped
# buying (never a lost customer); active is everyone else. The ? is the lapsed customers' ids.
STATUS_SQL = {
    "lost": "c.status = 'lost'",
    "lapsed": "c.id IN (SELECT value FROM json_each(?))",
    "active": "(c.status != 'lost' AND c.id NOT IN (SELECT value FROM json_each(?)))",
}


def _status_condition(lapsed: str | None, wanted: Iterable[str]) -> tuple[str, list]:
    """SQL and parameters for a `status:` filter. Only lost can be told from the row: active
    and lapsed need the lapsed customers' ids (JSON), which `resolve` puts in."""
    wanted = list(wanted)
    if lapsed is None and set(wanted) - {"lost"}:
        raise AssertionError("status:active and status:lapsed are resolved first (`resolve`)")
    params = [lapsed for value in wanted if value != "lost"]
    return "(" + " OR ".join(STATUS_SQL[value] for value in wanted) + ")", params


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


def _order_parts(keys: list[SortKey]) -> list[str]:
    parts: list[str] = []
    for key in keys:
        for column in SORT_SQL[key.key]:
            nulls_last = column.endswith("IS NULL")
            parts.append(column + (" DESC" if key.descending and not nulls_last else ""))
    return parts


def _order_by(query: Query) -> str:
    return ", ".join([*_order_parts(_sort_keys(query)), "c.id"])


def search_ids(db: Database, query: Query, *, as_of: date, limit: int | None = 50) -> list[int]:
    """Ids of the customers matching `query`, in result order: those it names exactly first
    (`exact_name_ids`), then the rest in the query's order."""
    ensure_values(db, as_of)
    query = resolve(db, query, as_of)
    named = exact_name_ids(db, query, as_of)
    wanted = None if limit is None else limit + len(named)
    plan = _choose_plan(db, query, as_of, wanted)
    if plan.walk and wanted is not None:
        ids = _walk_ids(db, query, as_of, wanted, plan.text)
    else:
        ids = _direct_ids(db, query, as_of, wanted, plan.text)
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
    match = "name : (" + " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens) + ")"
    rows = db.execute_sql(
        "SELECT c.id, c.first_name, c.last_name, c.nickname FROM customer c "
        "WHERE c.deleted_at IS NULL "
        "AND c.id IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH ?)",
        (match,),
    )
    by_name, by_nickname = set(), set()
    for cid, first, last, nickname in rows:
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
    db: Database, query: Query, as_of: date, limit: int | None, text: str = "direct"
) -> list[int]:
    """Collect every match, sort, cut. `text` as in `_text_conditions`: anything but
    "direct" makes the planner start from a qualifier's index rather than the hits."""
    text_sql, text_params = _text_conditions(query, text)
    filter_sql, filter_params = _filter_conditions(query, as_of)
    where = " AND ".join(["c.deleted_at IS NULL", *text_sql, *filter_sql])
    sql = (
        "SELECT c.id FROM customer c LEFT JOIN customer_value v ON v.customer_id = c.id "
        f"WHERE {where} ORDER BY {_order_by(query)}"
    )
    params = [*text_params, *filter_params]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [row[0] for row in db.execute_sql(sql, params)]


@dataclass(frozen=True)
class _Stretch:
    """Part of the result order that one index walks: the rows `where` admits, in `order`."""

    source: str
    where: tuple[str, ...]
    params: tuple
    order: str


def _stretches(query: Query) -> list[_Stretch] | None:
    """The result order as index walks, one after the other; None when no index gives it.

    By a value figure the order falls into three stretches: positive figures (walked down
    the figure's index, ties sorted as they come), zero or no figure (walked in the order of
    the remaining keys), negative figures. A money qualifier on the same figure narrows the
    first and last, and can rule out the middle one. By follow-up date: customers with one,
    then those without.
    """
    keys = _sort_keys(query)
    first, rest = keys[0], keys[1:]
    with_value = "LEFT JOIN customer_value v ON v.customer_id = c.id"
    ties = ", ".join([*_order_parts(rest), "c.id"])
    direction = " DESC" if first.descending else ""
    if first.key in CUSTOMER_INDEXES:
        source = f"FROM customer c INDEXED BY {CUSTOMER_INDEXES[first.key]} {with_value}"
        return [_Stretch(source, (), (), ", ".join([*_order_parts(keys), "c.id"]))]
    if first.key == "next_follow_up":
        by_date = f"FROM customer c INDEXED BY customer_next_follow_up {with_value}"
        by_rest = "FROM customer c INDEXED BY customer_next_follow_up" if not rest else None
        by_rest = by_rest or _customer_source(rest)
        if by_rest is None:
            return None
        order = f"c.next_follow_up{direction}, {ties}"
        return [
            _Stretch(by_date, ("c.next_follow_up IS NOT NULL",), (), order),
            _Stretch(f"{by_rest} {with_value}", ("c.next_follow_up IS NULL",), (), ties),
        ]
    by_rest = _customer_source(rest)
    if first.key not in VALUE_INDEXES or by_rest is None:
        return None
    column, index = VALUE_INDEXES[first.key]
    same = [m for m in query.money if m.key == column]
    ranges = tuple(f"v.{column} {m.op} ?" for m in same)
    bounds = tuple(m.cents for m in same)
    by_value = (
        f"FROM customer_value v INDEXED BY {index} CROSS JOIN customer c ON c.id = v.customer_id"
    )
    value_order = f"v.{column}{direction}, {ties}"
    positive = _Stretch(by_value, (f"v.{column} > 0", *ranges), bounds, value_order)
    negative = _Stretch(by_value, (f"v.{column} < 0", *ranges), bounds, value_order)
    zero = _Stretch(f"{by_rest} {with_value}", (f"coalesce(v.{column}, 0) = 0",), (), ties)
    middle = [zero] if all(_holds(0, m.op, m.cents) for m in same) else []
    return [positive, *middle, negative] if first.descending else [negative, *middle, positive]


def _customer_source(keys: list[SortKey]) -> str | None:
    """Customers read in the order of `keys` (then id), or None when no index gives it."""
    if not keys:
        return "FROM customer c NOT INDEXED"  # rowid order
    if keys[0].key in CUSTOMER_INDEXES:
        return f"FROM customer c INDEXED BY {CUSTOMER_INDEXES[keys[0].key]}"
    return None


def _holds(value: int, op: str, bound: int) -> bool:
    return {
        ">": value > bound,
        ">=": value >= bound,
        "<": value < bound,
        "<=": value <= bound,
        "=": value == bound,
    }[op]


def _walk_ids(db: Database, query: Query, as_of: date, limit: int, mode: str = "walk") -> list[int]:
    """Step through customers in result order, keeping those that match, up to `limit`."""
    stretches = _stretches(query)
    if stretches is None:
        raise ValueError("no index gives this order; use the direct plan")
    filter_sql, filter_params = _filter_conditions(query, as_of)
    # Text last: the cheap qualifiers turn most customers away before the index is asked.
    text_sql, text_params = _text_conditions(query, mode)
    ids: list[int] = []
    for stretch in stretches:
        where = " AND ".join(["c.deleted_at IS NULL", *stretch.where, *filter_sql, *text_sql])
        sql = f"SELECT c.id {stretch.source} WHERE {where} ORDER BY {stretch.order} LIMIT ?"
        params = [*stretch.params, *filter_params, *text_params, limit - len(ids)]
        ids.extend(row[0] for row in db.execute_sql(sql, params))
        if len(ids) >= limit:
            break
    return ids


@dataclass(frozen=True)
class _Plan:
    walk: bool = False
    text: str = "direct"  # how words are tested: see `_text_conditions`


def _choose_plan(db: Database, query: Query, as_of: date, limit: int | None) -> _Plan:
    """The cheaper plan by a rough estimate (microseconds, give or take)."""
    if limit is None or not 0 < limit <= WALK_MAX_LIMIT or _stretches(query) is None:
        return _Plan()
    customers = db.execute_sql("SELECT max(id) FROM customer").fetchone()[0] or 0
    if customers <= SMALL_BOOK:
        return _Plan()
    positive, _ = _match_strings(query)
    hits = built = customers  # built: hits a set of them would hold
    if positive:
        cap = max(4 * limit, customers // 2)  # past half the book the walk wins anyway
        hits = db.execute_sql(
            "SELECT count(*) FROM (SELECT rowid FROM customer_fts "
            "WHERE customer_fts MATCH ? LIMIT ?)",
            (positive, cap),
        ).fetchone()[0]
        built = customers if hits >= cap else hits
    shares = _Shares()
    if query.filters or query.money:
        shares = _qualifier_shares(db, query, as_of, customers)
    seekable = bool(positive) and _seekable(query)

    # Walk: steps until `limit` matches, assuming matches spread evenly along the order
    # past the part that qualifiers aligned with the order rule out.
    text_share = hits / customers
    rate = max(text_share * shares.along_walk, 1 / customers)
    steps = min(limit / rate + shares.skipped * customers, customers)
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
    return _Plan(text=direct_text)


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


def _qualifier_shares(db: Database, query: Query, as_of: date, customers: int) -> _Shares:
    """Estimate from a slice of customers a third of the way in by id: a rough guess.

    Some qualifiers line up with a walk by value: a money limit on the sorted figure bounds
    the stretches walked (`_stretches`), and gold and silver are the top fifth by 12-month
    value (core/value.py). They do not thin out the walk, so they are left out of its share.
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
    flags: list[str] = []
    params: list = []
    for n, (single, _, _) in enumerate(parts):
        sql, values = _filter_conditions(single, as_of)
        flags.append(f"CASE WHEN {sql[0]} THEN 1 ELSE 0 END AS f{n}")
        params.extend(values)
    groups = [
        list(range(len(parts))),
        [n for n, part in enumerate(parts) if part[1]],
        *([n] for n, part in enumerate(parts) if part[2]),
    ]
    totals = ", ".join("total(" + ("*".join(f"f{n}" for n in g) or "1") + ")" for g in groups)
    row = db.execute_sql(
        f"SELECT count(*), {totals} FROM (SELECT {', '.join(flags)} "
        "FROM customer c LEFT JOIN customer_value v ON v.customer_id = c.id "
        f"WHERE c.id > ? AND c.deleted_at IS NULL ORDER BY c.id LIMIT {SAMPLE_ROWS})",
        [*params, customers // 3],
    ).fetchone()
    shares = [(passed + 0.5) / (row[0] + 1) for passed in row[1:]]
    return _Shares(
        passing=shares[0],
        along_walk=shares[1],
        skipped=0.1 if by_tier and "gold" not in tiers[0].values else 0.0,
        narrowest=min(shares[2:], default=1.0),
    )


ROW_SQL = """
SELECT c.id, c.first_name, c.last_name, c.company,
  coalesce((SELECT address FROM customer_email WHERE customer_id = c.id
            ORDER BY position LIMIT 1), ''),
  coalesce((SELECT shown FROM customer_phone WHERE customer_id = c.id
            ORDER BY position LIMIT 1), ''),
  c.city, coalesce(v.tier, ''), coalesce(v.spent_12m, 0), coalesce(v.spent_30d, 0),
  coalesce(v.lifetime, 0), c.last_contact_at, c.next_follow_up, c.status
FROM customer c LEFT JOIN customer_value v ON v.customer_id = c.id
WHERE c.id IN ({marks})
"""


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
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = ROW_SQL.format(marks=", ".join("?" for _ in chunk))
        for r in db.execute_sql(sql, chunk):
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


# What a search matched in the notes (profile notes, why they chose us, every interaction's
# notes and outcome): the words found are between these marks in a snippet.
FOUND_FROM, FOUND_TO = "\ue000", "\ue001"
NOTES_COLUMN = 5  # customer_fts: name, company, contact, place, tags, notes


def note_terms(query: str | Query) -> list[str]:
    """The full-text terms of `query`'s words that notes can explain: its free words, not
    negated, a phone's digits aside (none when the query does not parse)."""
    if isinstance(query, str):
        from tui_crm.core.query import QueryError

        try:
            query = parse(query)
        except QueryError:
            return []
    return [
        term
        for word in query.words
        if not word.negated and not word.text.isdigit() and (term := fts_term(word))
    ]


def note_snippets(db: Database, query: str | Query, ids: list[int]) -> dict[int, str]:
    """For the customers `ids` whose notes hold a free word of `query` (a phone's digits
    aside): a few words of their notes around it, the words found between FOUND_FROM and
    FOUND_TO ("…left a \\ue000voicemail\\ue001 on Monday…"): why they are listed when their
    name does not say it. FTS5 `snippet()` reads each document: some 1 ms a customer, so for
    the rows on screen, not the whole result."""
    terms = note_terms(query)
    if not terms or not ids:
        return {}
    found = db.execute_sql(
        f"SELECT rowid, snippet(customer_fts, {NOTES_COLUMN}, ?, ?, '…', 10) FROM customer_fts "
        "WHERE customer_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))",
        (FOUND_FROM, FOUND_TO, f"notes : ({' OR '.join(terms)})", _json_ids(ids)),
    )
    return {rowid: " ".join(text.split()) for rowid, text in found if FOUND_FROM in text}
