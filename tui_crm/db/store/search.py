"""Finding customers: the search index and the query language's plans (core/search.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from tui_crm.db.derived import TAIL_MARK
from tui_crm.db.store.area import Area, Row

if TYPE_CHECKING:  # the layers point down: the domain's types only to check
    from tui_crm.core.query import Query, SortKey, Word

# The customer columns a sort key reads, each `(column, caseless)`.
SORT_COLUMNS = {
    "name": [("c.first_name", True), ("c.last_name", True)],
    "last_name": [("c.last_name", True), ("c.first_name", True)],
    "company": [("c.company", True)],
    "city": [("c.city", True)],
    "created": [("c.created_at", False)],
    "last_contact": [("c.last_contact_at", False)],
    "next_follow_up": [("c.next_follow_up IS NULL", False), ("c.next_follow_up", False)],
    "spent30d": [("coalesce(v.spent_30d, 0)", False)],
    "spent12m": [("coalesce(v.spent_12m, 0)", False)],
    "lifetime": [("coalesce(v.lifetime, 0)", False)],
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
# Qualifiers whose values are compared without regard to case.
CASELESS = {"tag", "company", "category", *EQUAL_COLUMNS}

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

# What a search matched in the notes: the words found are between these marks in a snippet.
FOUND_FROM, FOUND_TO = "\ue000", "\ue001"
SNIPPET_TOKENS = 10  # words in a snippet of the notes


def text_words(query: Query, negated: bool) -> list[Word]:
    """The free words (negated or not) that can match anything: each holds a letter or digit."""
    return [w for w in query.words if w.negated == negated and any(ch.isalnum() for ch in w.text)]


def phone_tail(text: str, phrase: bool = False) -> str | None:
    """The tail token a free word of four to eight digits also matches (the end of a phone
    number, migration 17), or None."""
    if not phrase and text.isascii() and text.isdigit() and 4 <= len(text) <= 8:
        return TAIL_MARK + text
    return None


def case_variants(values: list[str]) -> list[str]:
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


def holds(value: int, op: str, bound: int) -> bool:
    return {
        ">": value > bound,
        ">=": value >= bound,
        "<": value < bound,
        "<=": value <= bound,
        "=": value == bound,
    }[op]


def figure(column: str, absent: str, absent_passes: bool) -> str:
    """A customer's figure `v.column` as a filter tests it. A customer with no figures row
    (nothing bought) has `absent`: read through coalesce() where that passes the test;
    plainly where it fails, so the figure's own index can answer (no row fails either way)."""
    return f"coalesce(v.{column}, {absent})" if absent_passes else f"v.{column}"


@dataclass(frozen=True)
class Stretch:
    """Part of the result order that one index walks: the rows `where` admits, in `order`."""

    source: str
    where: tuple[str, ...]
    params: tuple
    order: str


class Search(Area):
    """The query language as SQL. Every query reaching here is prepared by core/search.py:
    its sort keys are given (the default filled in), `owner:me` is the user's name and
    `reason:`/`status:` are sets of ids. `text` modes: "direct" lets the planner drive the
    query from the full-text hits; "walk" collects the hits once and probes them per
    customer; "seek" asks the index about each customer instead."""

    # The engine's spellings, in the SQL below.
    NOT_FALSE = "0"  # what a NULL condition counts as
    IN_ORDER_JOIN = "JOIN"  # a join that keeps the written order of its tables
    # The value figures `v` of each customer `c` a qualifier sample reads.
    SAMPLE_VALUES = "LEFT JOIN customer_value v ON v.customer_id = c.id"

    def caseless(self, column: str) -> str:
        """`column` as it sorts without regard to ASCII case (SQLite's NOCASE)."""
        raise NotImplementedError

    def caseless_in(self, column: str, count: int) -> str:
        """`column` equal to one of `count` values, ASCII case aside."""
        raise NotImplementedError

    def caseless_like(self, column: str) -> str:
        """`column` LIKE a pattern (escaped with a backslash), ASCII case aside."""
        raise NotImplementedError

    def order_term(self, column: str, descending: bool) -> str:
        """One ORDER BY term, NULLs first ascending and last descending (SQLite's order)."""
        raise NotImplementedError

    def indexed_by(self, index: str | None) -> str:
        """A hint to read `customer c` or `customer_value v` along `index` (None: the table
        itself, in id order)."""
        raise NotImplementedError

    def total(self, expression: str) -> str:
        """The sum of `expression` over the rows as a float (0.0 over none)."""
        raise NotImplementedError

    def text_conditions(self, query: Query, mode: str = "direct") -> tuple[list[str], list]:
        """Full-text conditions on customer `c` for the free words of `query`."""
        raise NotImplementedError

    def text_hits(self, query: Query, cap: int) -> int | None:
        """How many customers the free words of `query` match, counted up to `cap` (None
        without a word that matches anything)."""
        raise NotImplementedError

    def tidy_text_index(self, pages: int) -> bool:
        """Some of the search index's pending upkeep, up to about `pages` pages written, in
        a transaction of its own; whether there was any. (An engine whose index keeps
        itself tidy has none.)"""
        return False

    def name_candidates(self, tokens: list[str]) -> list[Row]:
        """(id, first name, last name, nickname) of the customers not deleted whose name
        column holds every one of `tokens` as whole words."""
        raise NotImplementedError

    def note_snippets(self, words: list[Word], ids: list[int]) -> dict[int, str]:
        """For the customers `ids` whose notes hold one of `words`: some words of their notes
        around them (SNIPPET_TOKENS), each match between FOUND_FROM and FOUND_TO, "…" where
        the notes go on: FTS5's snippet()."""
        raise NotImplementedError

    # The query language, as both engines read it.

    def id_set(self) -> str:
        """A subquery of the ids in one parameter (a JSON array)."""
        raise NotImplementedError

    def status_sql(self, value: str) -> str:
        """`status:` as `status_as_shown` tells it: lost is typed; lapsed is who the rule
        says stopped buying (never a lost customer); active is everyone else. The ? is the
        lapsed customers' ids."""
        if value == "lost":
            return "c.status = 'lost'"
        if value == "lapsed":
            return f"c.id IN ({self.id_set()})"
        return f"(c.status != 'lost' AND c.id NOT IN ({self.id_set()}))"

    def status_condition(self, lapsed: str | None, wanted: Iterable[str]) -> tuple[str, list]:
        """SQL and parameters for a `status:` filter. Only lost can be told from the row:
        active and lapsed need the lapsed customers' ids (JSON), which `resolve` puts in."""
        wanted = list(wanted)
        if lapsed is None and set(wanted) - {"lost"}:
            raise AssertionError("status:active and status:lapsed are resolved first (`resolve`)")
        params = [lapsed for value in wanted if value != "lost"]
        return "(" + " OR ".join(self.status_sql(value) for value in wanted) + ")", params

    def filter_conditions(self, query: Query, as_of: date) -> tuple[list[str], list]:
        sql: list[str] = []
        params: list = []
        for f in query.filters:
            values = list(f.values)
            if f.key in CASELESS:
                values = case_variants(values)
            marks = ", ".join("?" for _ in values)
            if f.key == "tag":
                cond = (
                    "c.id IN (SELECT ct.customer_id FROM customer_tag ct JOIN tag t "
                    f"ON t.id = ct.tag_id WHERE {self.caseless_in('t.name', len(values))})"
                )
            elif f.key in EQUAL_COLUMNS:
                cond = self.caseless_in(EQUAL_COLUMNS[f.key], len(values))
            elif f.key == "company":
                cond = "(" + " OR ".join(self.caseless_like("c.company") for _ in values) + ")"
                values = [
                    "%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                    for v in values
                ]
            elif f.key == "category":
                cond = (
                    "c.category_id IN (SELECT id FROM category WHERE "
                    f"{self.caseless_in('name', len(values))})"
                )
            elif f.key == "tier":
                values = ["" if v == "none" else v for v in values]
                tier = figure("tier", "''", "" in values)
                cond = f"{tier} IN ({marks})"
            elif f.key == "referred_by":
                cond = f"c.referred_by_id IN ({marks})"
                values = [int(v) for v in values]
            elif f.key == "ids":  # a reason: qualifier, resolved to the ids it stands for
                cond = f"c.id IN ({self.id_set()})"
            elif f.key == "gender":
                cond = f"c.gender IN ({marks})"
            elif f.key == "status":
                cond, values = self.status_condition(None, f.values)
            elif f.key == "shown_status":  # a status: qualifier with the lapsed ids
                cond, values = self.status_condition(f.values[0], f.values[1:])
            elif f.key == "due":
                limits = {"overdue": ("<", as_of), "today": ("<=", as_of)}
                limits["week"] = ("<=", as_of + timedelta(days=7))
                cond = "(" + " OR ".join(f"c.next_follow_up {limits[v][0]} ?" for v in values) + ")"
                values = [limits[v][1].isoformat() for v in values]
            else:  # pragma: no cover - the parser only produces known keys
                raise AssertionError(f.key)
            sql.append(f"NOT coalesce({cond}, {self.NOT_FALSE})" if f.negated else cond)
            params.extend(values)
        for m in query.money:
            sql.append(f"{figure(m.key, '0', holds(0, m.op, m.cents))} {m.op} ?")
            params.append(m.cents)
        return sql, params

    def order_parts(self, keys: Iterable[SortKey]) -> list[str]:
        parts: list[str] = []
        for key in keys:
            for column, caseless in SORT_COLUMNS[key.key]:
                if column.endswith("IS NULL"):
                    parts.append(column)
                    continue
                parts.append(
                    self.caseless_order(column, key.descending)
                    if caseless
                    else self.order_term(column, key.descending)
                )
        return parts

    def last_tie(self, keys: Iterable[SortKey]) -> str:
        """What orders customers the sort keys leave tied: their ids, oldest first; newest
        first after `-created` (customers added in the same second, as an import adds them,
        are newest by id, and the walk down the index on when they were added then needs no
        sort: `sort:-created` in a book of 100 000 just imported took 0.27 s)."""
        keys = list(keys)
        newest_first = bool(keys) and keys[-1].key == "created" and keys[-1].descending
        return "c.id DESC" if newest_first else "c.id"  # as the indexes hold ids, both engines

    def caseless_order(self, column: str, descending: bool) -> str:
        """ORDER BY term(s) for `column` without regard to ASCII case."""
        return self.order_term(self.caseless(column), descending)

    def direct_ids(
        self,
        query: Query,
        as_of: date,
        limit: int | None,
        text: str = "direct",
        *,
        scan: bool = False,
    ) -> list[int]:
        """Collect every match, sort, cut. `text` anything but "direct" makes the planner
        start from a qualifier's index rather than the hits; `scan` reads the customers in
        the table's own order (an engine that takes no hints chooses for itself)."""
        text_sql, text_params = self.text_conditions(query, text)
        filter_sql, filter_params = self.filter_conditions(query, as_of)
        where = " AND ".join(["c.deleted_at IS NULL", *text_sql, *filter_sql])
        order = ", ".join([*self.order_parts(query.sort), self.last_tie(query.sort)])
        hint = self.indexed_by(None) if scan else ""
        sql = (
            f"SELECT c.id FROM customer c{hint} LEFT JOIN customer_value v ON v.customer_id = c.id "
            f"WHERE {where} ORDER BY {order}"
        )
        params = [*text_params, *filter_params]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [row[0] for row in self.db.execute_sql(sql, params)]

    def stretches(self, query: Query) -> list[Stretch] | None:
        """The result order as index walks, one after the other; None when no index gives it.

        By a value figure the order falls into three stretches: positive figures (walked
        down the figure's index, ties sorted as they come), zero or no figure (walked in the
        order of the remaining keys), negative figures. A money qualifier on the same figure
        narrows the first and last, and can rule out the middle one. By follow-up date:
        customers with one, then those without.
        """
        keys = list(query.sort)
        first, rest = keys[0], keys[1:]
        with_value = "LEFT JOIN customer_value v ON v.customer_id = c.id"
        ties = ", ".join([*self.order_parts(rest), self.last_tie(keys)])
        direction = " DESC" if first.descending else ""
        if first.key in CUSTOMER_INDEXES:
            source = f"FROM customer c{self.indexed_by(CUSTOMER_INDEXES[first.key])} {with_value}"
            order = ", ".join([*self.order_parts(keys), self.last_tie(keys)])
            return [Stretch(source, (), (), order)]
        if first.key == "next_follow_up":
            hint = self.indexed_by("customer_next_follow_up")
            by_date = f"FROM customer c{hint} {with_value}"
            by_rest = f"FROM customer c{hint}" if not rest else None
            by_rest = by_rest or self._customer_source(rest)
            if by_rest is None:
                return None
            order = f"{self.order_term('c.next_follow_up', first.descending)}, {ties}"
            return [
                Stretch(by_date, ("c.next_follow_up IS NOT NULL",), (), order),
                Stretch(f"{by_rest} {with_value}", ("c.next_follow_up IS NULL",), (), ties),
            ]
        by_rest = self._customer_source(rest)
        if first.key not in VALUE_INDEXES or by_rest is None:
            return None
        column, index = VALUE_INDEXES[first.key]
        same = [m for m in query.money if m.key == column]
        ranges = tuple(f"v.{column} {m.op} ?" for m in same)
        bounds = tuple(m.cents for m in same)
        by_value = (
            f"FROM customer_value v{self.indexed_by(index)} "
            f"{self.IN_ORDER_JOIN} customer c ON c.id = v.customer_id"
        )
        value_order = f"v.{column}{direction}, {ties}"
        positive = Stretch(by_value, (f"v.{column} > 0", *ranges), bounds, value_order)
        if column == "spent_12m" and query.only_gold_or_silver:
            # Gold and silver are ranked by 12-month spend, and no spend is neither: the walk
            # ends with the spenders. (In a book without purchases it walked everyone.)
            return [positive]
        negative = Stretch(by_value, (f"v.{column} < 0", *ranges), bounds, value_order)
        zero = Stretch(f"{by_rest} {with_value}", (f"coalesce(v.{column}, 0) = 0",), (), ties)
        middle = [zero] if all(holds(0, m.op, m.cents) for m in same) else []
        return [positive, *middle, negative] if first.descending else [negative, *middle, positive]

    def _customer_source(self, keys: list[SortKey]) -> str | None:
        """Customers read in the order of `keys` (then id), or None when no index gives it."""
        if not keys:
            return f"FROM customer c{self.indexed_by(None)}"  # id order
        if keys[0].key in CUSTOMER_INDEXES:
            return f"FROM customer c{self.indexed_by(CUSTOMER_INDEXES[keys[0].key])}"
        return None

    def walk_ids(self, query: Query, as_of: date, limit: int, mode: str = "walk") -> list[int]:
        """Step through customers in result order, keeping those that match, up to `limit`."""
        stretches = self.stretches(query)
        if stretches is None:
            raise ValueError("no index gives this order; use the direct plan")
        filter_sql, filter_params = self.filter_conditions(query, as_of)
        # Text last: the cheap qualifiers turn most customers away before the index is asked.
        text_sql, text_params = self.text_conditions(query, mode)
        ids: list[int] = []
        for stretch in stretches:
            where = " AND ".join(["c.deleted_at IS NULL", *stretch.where, *filter_sql, *text_sql])
            sql = f"SELECT c.id {stretch.source} WHERE {where} ORDER BY {stretch.order} LIMIT ?"
            params = [*stretch.params, *filter_params, *text_params, limit - len(ids)]
            ids.extend(row[0] for row in self.db.execute_sql(sql, params))
            if len(ids) >= limit:
                break
        return ids

    def highest_customer_id(self) -> int:
        """The highest customer id (0 in an empty book): a book's size, roughly."""
        return self.db.execute_sql("SELECT max(id) FROM customer").fetchone()[0] or 0

    def qualifier_sample(
        self,
        singles: list[Query],
        groups: list[list[int]],
        as_of: date,
        after: int,
        rows: int,
    ) -> Row:
        """Over `rows` customers past id `after`: their number, then for each group of
        `singles` (one qualifier each) how many pass all of that group's."""
        flags: list[str] = []
        params: list = []
        for n, single in enumerate(singles):
            sql, values = self.filter_conditions(single, as_of)
            flags.append(f"CASE WHEN {sql[0]} THEN 1 ELSE 0 END AS f{n}")
            params.extend(values)
        totals = ", ".join(self.total("*".join(f"f{n}" for n in group) or "1") for group in groups)
        return self.db.execute_sql(
            f"SELECT count(*), {totals} FROM (SELECT {', '.join(flags)} "
            f"FROM customer c {self.SAMPLE_VALUES} "
            f"WHERE c.id > ? AND c.deleted_at IS NULL ORDER BY c.id LIMIT {int(rows)}) AS sample",
            [*params, after],
        ).fetchone()

    def customer_rows(self, ids: list[int]) -> list[Row]:
        """(id, first name, last name, company, first email, first phone as shown, city,
        tier, 12 months, 30 days, lifetime, last contact, next follow-up, status) of `ids`,
        in any order."""
        found: list[Row] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = ROW_SQL.format(marks=", ".join("?" for _ in chunk))
            found.extend(self.db.execute_sql(sql, chunk))
        return found
