"""Who referred whom, and whether each referral was thanked.

A referral is a live customer whose `referred_by` is another live customer. It counts as
thanked when the referrer has a `thanks` interaction naming that referral (`regarding`), or a
`thanks` naming no one, at or after the day of the referral (the referred customer's
`acquired_on`, else the day they were added).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from operator import add, gt, neg, sub

from peewee import Database

from tui_crm.core.display import printable
from tui_crm.core.fields import format_money
from tui_crm.core.types import display_name
from tui_crm.core.value import ensure_values

# The day a referral happened, for customer alias `r`.
REFERRAL_DAY = "coalesce(r.acquired_on, date(r.created_at))"

# 1 when the referral of customer `r` by customer `r.referred_by_id` was thanked.
THANKED_SQL = f"""EXISTS (
  SELECT 1 FROM interaction t INDEXED BY interaction_thanks
  WHERE t.customer_id = r.referred_by_id AND t.kind = 'thanks'
    AND (t.regarding_id = r.id OR (t.regarding_id IS NULL AND date(t.at) >= {REFERRAL_DAY})))"""

LIVE_REFERRALS = """FROM customer r JOIN customer p ON p.id = r.referred_by_id
WHERE r.deleted_at IS NULL AND p.deleted_at IS NULL AND r.referred_by_id != r.id"""


@dataclass(frozen=True)
class Referral:
    referrer_id: int
    referred_id: int
    referred_name: str
    day: date
    thanked: bool


def referrals(db: Database, referrer_ids: list[int] | None = None) -> list[Referral]:
    """Every live referral (of the given referrers, or of everyone), oldest first."""
    where = ""
    params: list = []
    if referrer_ids is not None:
        where = " AND r.referred_by_id IN (SELECT value FROM json_each(?))"
        params.append(_json_list(referrer_ids))
    sql = (
        "SELECT r.referred_by_id, r.id, trim(r.first_name || ' ' || r.last_name), r.company, "
        f"{REFERRAL_DAY}, {THANKED_SQL} {LIVE_REFERRALS}{where} ORDER BY 5, r.id"
    )
    return [
        Referral(referrer, referred, name or company, date.fromisoformat(day), bool(thanked))
        for referrer, referred, name, company, day, thanked in db.execute_sql(sql, params)
    ]


def _json_list(ids: list[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


# The referral tree ------------------------------------------------------------------------
#
# Opening the tree must take at most 50 ms at 100 000 customers, so building the forest reads
# only the referral index and `customer_value` (narrow rows): who referred whom and what each
# spent. Names, tiers and thanks live in wide rows; they are read per level when a level is
# shown (a few hundred rows, about a millisecond), not for all 26 000 customers of a large
# book's forest up front (over 60 ms).

# Every live referral: the referred customer, the referrer and both 12-month values, as four
# JSON arrays in referrer order (the index's own order, so no sort). One JSON text per column
# parses in C; fetching 15 000 rows one tuple at a time costs about as much as the query.
# Once `ensure_values` has run, `customer_value` holds exactly the customers not in the trash
# (its triggers drop the stamp whenever `deleted_at` changes), so joining it checks liveness
# without reading the wide customer rows.
EDGES_SQL = """SELECT json_group_array(id), json_group_array(referrer),
  json_group_array(cents), json_group_array(referrer_cents)
FROM (SELECT r.id, r.referred_by_id AS referrer, v.spent_12m AS cents,
        w.spent_12m AS referrer_cents
      FROM customer r INDEXED BY customer_referred_by
      JOIN customer_value v ON v.customer_id = r.id
      JOIN customer_value w ON w.customer_id = r.referred_by_id
      WHERE r.referred_by_id IS NOT NULL AND r.referred_by_id != r.id
      ORDER BY r.referred_by_id, r.id)"""

DETAILS_SQL = """SELECT c.id, c.first_name, c.last_name, c.company, coalesce(v.tier, '')
FROM json_each(?) j JOIN customer c ON c.id = j.value
LEFT JOIN customer_value v ON v.customer_id = c.id"""

# What showing the referrals of some referrers needs: names, tiers and each referral's day,
# and the referrers' thanks, to decide "thanked" by the rule THANKED_SQL states.
REFERRED_SQL = f"""SELECT r.id, r.first_name, r.last_name, r.company, coalesce(v.tier, ''),
  {REFERRAL_DAY}
FROM customer r LEFT JOIN customer_value v ON v.customer_id = r.id
WHERE r.referred_by_id IN (SELECT value FROM json_each(?))"""

THANKS_SQL = """SELECT t.customer_id, t.regarding_id, date(t.at)
FROM interaction t INDEXED BY interaction_thanks
WHERE t.customer_id IN (SELECT value FROM json_each(?)) AND t.kind = 'thanks'"""

# Keeps one statement's JSON parameter small when a whole large forest is read (render_tree).
_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class ReferralNode:
    """One customer at one place in the referral tree."""

    customer_id: int
    name: str
    tier: str  # "gold", "silver" or ""
    own_12m_cents: int
    below_12m_cents: int  # 12-month value of everyone below this place, each counted once
    referred_count: int  # live customers they referred directly
    descendant_count: int  # customers below this place
    referrer_id: int | None  # the referrer at this place; None for a root
    thanked: bool | None  # was the referrer thanked for this referral (None for a root)
    has_children: bool  # False for a leaf, and for a `cycle` repeat
    cycle: bool = False  # this place repeats an ancestor (bad data): a leaf, never expanded
    in_loop: bool = False  # the customer is part of a referral loop (bad data)

    @property
    def total_12m_cents(self) -> int:
        return self.own_12m_cents + self.below_12m_cents


class ReferralForest:
    """Who referred whom among live customers, as of a date, with 12-month values.

    Built by `referral_forest`. Roots are customers who referred someone and have no live
    referrer (a referrer in the trash makes its referrals roots). A referral loop, which no
    root can reach, is cut above its lowest customer id: that customer stands as a root and
    shows once more, marked `cycle`, as a leaf under the loop's last customer. Self-referrals
    are ignored.

    Names, tiers and thanks are read from the database on first use, one level at a time, so
    call `roots`, `children`, `node` and `name_of` off the UI thread (or after `preload`).
    The structure, the values and `path_to` need no database.
    """

    def __init__(
        self,
        db: Database,
        as_of: date,
        *,
        referred: list[int],
        ends: dict[int, int],
        counts: dict[int, int],
        parent: dict[int, int],
        own: dict[int, int],
        below: dict[int, int],
        descendants: dict[int, int],
        root_order: list[int],
        loop_backs: dict[int, int],
        in_loop: set[int],
    ) -> None:
        self._db = db
        self.as_of = as_of
        self._referred = referred  # referred customers, grouped by referrer
        self._ends = ends  # referrer -> end of the slice of `_referred` they referred
        self._counts = counts  # referrer -> how many they referred (the slice's length)
        self._parent = parent  # each loop cut above its entry
        self._own = own
        self._below = below  # referrers only; everyone else has nobody below
        self._descendants = descendants
        self._root_order = root_order  # by value; ties get ordered by name as pages are read
        self._roots_final = 0  # _root_order[:n] has its ties broken by name
        self._loop_backs = loop_backs  # loop entry -> the loop's customer who referred it
        self._in_loop = in_loop
        self._names: dict[int, str] = {}
        self._tiers: dict[int, str] = {}
        self._thanked: dict[int, bool] = {}  # per referred customer, for its live referrer
        self._loaded: set[int] = set()  # referrers whose referrals' details have been read
        self._sorted: dict[int, list[int]] = {}
        self._lock = threading.RLock()  # workers may read two levels at once

    # What it holds ---------------------------------------------------------------------

    def __contains__(self, customer_id: object) -> bool:
        return customer_id in self._parent or customer_id in self._ends

    def __len__(self) -> int:
        """How many customers take part in a live referral."""
        return len(self._parent) + len(self._root_order)

    @property
    def root_count(self) -> int:
        return len(self._root_order)

    def referrer_of(self, customer_id: int) -> int | None:
        """A customer's live referrer (for a loop's entry, the loop's customer who referred it)."""
        return self._parent.get(customer_id, self._loop_backs.get(customer_id))

    def child_count(self, customer_id: int) -> int:
        return self._counts.get(customer_id, 0)

    def in_loop(self, customer_id: int) -> bool:
        """Is the customer part of a referral loop (bad data)?"""
        return customer_id in self._in_loop

    def path_to(self, customer_id: int) -> list[int]:
        """Customer ids from a root (or a loop's entry) down to `customer_id`; [] if absent."""
        if customer_id not in self:
            return []
        path = [customer_id]
        seen = {customer_id}
        current = self._parent.get(customer_id)
        while current is not None and current not in seen:  # loops are cut; `seen` is a guard
            path.append(current)
            seen.add(current)
            current = self._parent.get(current)
        path.reverse()
        return path

    # Levels (these read names, tiers and thanks on first use) --------------------------

    def roots(self, offset: int = 0, limit: int | None = None) -> list[ReferralNode]:
        """Root referrers and loop entries, most value (own + below) first, then by name."""
        with self._lock:
            order = self._root_order
            end = len(order) if limit is None else min(len(order), offset + limit)
            if end > self._roots_final:
                self._break_root_ties(end)
            return [self._node(cid, None) for cid in order[offset:end]]

    def children(
        self, customer_id: int, offset: int = 0, limit: int | None = None
    ) -> list[ReferralNode]:
        """The customers this one referred, most value (own + below) first, then by name."""
        with self._lock:
            order = self._sorted.get(customer_id)
            if order is None:
                self._load_referrers([customer_id])
                order = self._sort(self._kids(customer_id))
                self._sorted[customer_id] = order
            page = order[offset : None if limit is None else offset + limit]
            return [self._node(cid, customer_id) for cid in page]

    def node(self, customer_id: int) -> ReferralNode | None:
        """The customer at their own place: under their referrer, or as a root."""
        if customer_id not in self:
            return None
        with self._lock:
            referrer = self._parent.get(customer_id)
            if referrer is not None:
                self._load_referrers([referrer])
            self._load_details([customer_id])
            return self._node(customer_id, referrer)

    def name_of(self, customer_id: int) -> str:
        """A customer's name, also for one outside the forest ('' when there is no such id)."""
        with self._lock:
            self._load_details([customer_id])
            return self._names.get(customer_id, "")

    def preload(self, referrer_ids: list[int] | None = None) -> None:
        """Read names, tiers and thanks below these referrers (default: the whole forest)."""
        with self._lock:
            self._load_referrers(list(self._ends) if referrer_ids is None else referrer_ids)
            if referrer_ids is None:
                self._load_details(self._root_order)

    def reload_thanks(self, referrer_ids: list[int]) -> None:
        """Read again whether these referrers were thanked (after a thanks was logged)."""
        with self._lock:
            self._loaded.difference_update(referrer_ids)
            self._load_referrers(referrer_ids)

    # Inside ----------------------------------------------------------------------------

    def _kids(self, customer_id: int) -> list[int]:
        end = self._ends.get(customer_id, 0)
        return self._referred[end - self._counts.get(customer_id, 0) : end]

    def _total(self, customer_id: int) -> int:
        return self._own[customer_id] + self._below.get(customer_id, 0)

    def _sort(self, ids: list[int]) -> list[int]:
        names, total = self._names, self._total
        return sorted(ids, key=lambda c: (-total(c), names.get(c, "").casefold(), c))

    def _break_root_ties(self, end: int) -> None:
        """Order the roots up to `end` by name within equal values, reading only those names.

        A page needs the names of its roots and of every root tied in value with its last
        one, so the first page of a large book reads a few hundred names, not every root's.
        """
        order, total = self._root_order, self._total
        stop = end
        last = total(order[end - 1])
        while stop < len(order) and total(order[stop]) == last:
            stop += 1
        start = self._roots_final  # always the first root of a group of equal values
        self._load_details(order[start:stop])
        order[start:stop] = self._sort(order[start:stop])
        self._roots_final = stop

    def _node(self, customer_id: int, referrer: int | None) -> ReferralNode:
        # Under a referrer, a loop's entry is the loop closing on itself: a leaf.
        cycle = referrer is not None and self._parent.get(customer_id) != referrer
        referred = self.child_count(customer_id)
        return ReferralNode(
            customer_id=customer_id,
            name=self._names.get(customer_id, ""),
            tier=self._tiers.get(customer_id, ""),
            own_12m_cents=self._own[customer_id],
            below_12m_cents=self._below.get(customer_id, 0),
            referred_count=referred,
            descendant_count=self._descendants.get(customer_id, 0),
            referrer_id=referrer,
            thanked=None if referrer is None else self._thanked.get(customer_id, False),
            has_children=referred > 0 and not cycle,
            cycle=cycle,
            in_loop=self.in_loop(customer_id),
        )

    def _load_details(self, ids: list[int]) -> None:
        missing = [cid for cid in ids if cid not in self._names]
        for chunk in _chunks(missing):
            for cid, first, last, company, tier in self._db.execute_sql(
                DETAILS_SQL, (_json_list(chunk),)
            ):
                self._names[cid] = display_name(first, last, company)
                self._tiers[cid] = tier

    def _load_referrers(self, referrer_ids: list[int]) -> None:
        todo = [r for r in dict.fromkeys(referrer_ids) if r in self._ends and r not in self._loaded]
        for chunk in _chunks(todo):
            self._read_referrals(chunk)
            for referrer in chunk:
                self._sorted.pop(referrer, None)  # names may have changed the order
        self._loaded.update(todo)

    def _read_referrals(self, referrers: list[int]) -> None:
        ids = _json_list(referrers)
        days: dict[int, str] = {}
        for cid, first, last, company, tier, day in self._db.execute_sql(REFERRED_SQL, (ids,)):
            self._names[cid] = display_name(first, last, company)
            self._tiers[cid] = tier
            days[cid] = day
        named: dict[int, set[int]] = {}  # referrer -> customers their thanks name
        latest: dict[int, str] = {}  # referrer -> day of their latest thanks naming no one
        for referrer, regarding, day in self._db.execute_sql(THANKS_SQL, (ids,)):
            if regarding is not None:
                named.setdefault(referrer, set()).add(regarding)
            elif day > latest.get(referrer, ""):
                latest[referrer] = day
        # THANKED_SQL's rule: a thanks naming this referral, or a thanks naming no one on or
        # after the referral day (ISO dates compare as text).
        for referrer in referrers:
            thanked_for = named.get(referrer, set())
            last = latest.get(referrer, "")
            for cid in self._kids(referrer):
                self._thanked[cid] = cid in thanked_for or (last != "" and last >= days[cid])


def referral_forest(db: Database, as_of: date) -> ReferralForest:
    """Who referred whom among live customers, with 12-month values as of `as_of`.

    One pass over the referral edges. Iterative throughout, so a chain of any length, a loop
    or a self-referral in bad data neither recurses too deep nor runs forever.
    """
    ensure_values(db, as_of)
    columns = db.execute_sql(EDGES_SQL).fetchone()
    referred, referrers, cents, referrer_cents = (json.loads(c) for c in columns)
    if any(map(gt, referrers, referrers[1:])):  # SQLite gave up the index order: restore it
        rows = sorted(zip(referrers, referred, cents, referrer_cents, strict=True))
        referrers, referred, cents, referrer_cents = (list(c) for c in zip(*rows, strict=True))
    # Whole columns at a time through zip, dict and map: at 15 000 referrals a Python loop
    # per referral would cost about as much as the query.
    parent = dict(zip(referred, referrers, strict=True))
    own = dict(zip(referrers, referrer_cents, strict=True))
    own.update(zip(referred, cents, strict=True))
    # Rows are grouped by referrer, so each referrer's referrals are one slice of `referred`,
    # ending where the next referrer's start.
    ends = dict(zip(referrers, range(1, len(referrers) + 1), strict=True))
    stops = list(ends.values())
    starts = [0, *stops[:-1]]
    running = [0, *accumulate(cents)]
    spent = map(sub, map(running.__getitem__, stops), map(running.__getitem__, starts))
    below = dict(zip(ends, spent, strict=True))
    counts = dict(zip(ends, map(sub, stops, starts), strict=True))
    descendants = counts.copy()
    loop_backs, in_loop = _add_deeper_levels(parent, own, below, descendants)
    roots = sorted(ends.keys() - parent.keys())
    totals = map(add, map(own.__getitem__, roots), map(below.__getitem__, roots))
    by_value = dict(zip(roots, map(neg, totals), strict=True))
    roots.sort(key=by_value.__getitem__)  # stable: equal values stay by id until named
    return ReferralForest(
        db,
        as_of,
        referred=referred,
        ends=ends,
        counts=counts,
        parent=parent,
        own=own,
        below=below,
        descendants=descendants,
        root_order=roots,
        loop_backs=loop_backs,
        in_loop=in_loop,
    )


def _add_deeper_levels(
    parent: dict[int, int], own: dict[int, int], below: dict[int, int], descendants: dict[int, int]
) -> tuple[dict[int, int], set[int]]:
    """Carry what is below each referred referrer up to its referrer, deepest first.

    `below` and `descendants` start with each referrer's direct referrals only. Customers in
    a referral loop never become ready (each waits for the next one round the loop). Each
    customer has one referrer, so whoever is left waiting is on a loop: each loop is cut above
    its lowest id (removed from `parent`; returned as entry -> the loop customer who referred
    it), that referral stops counting below, and the sums carry on up the cut chain. Returns
    those cuts and everyone on a loop.
    """
    inner = below.keys() & parent.keys()  # referrers who were referred themselves
    waiting: dict[int, int] = {}
    for cid in inner:
        up = parent[cid]
        waiting[up] = waiting.get(up, 0) + 1

    def drain(ready: list[int]) -> None:
        while ready:
            cid = ready.pop()
            up = parent.get(cid)
            if up is None:
                continue
            below[up] += below[cid]
            descendants[up] += descendants[cid]
            waiting[up] -= 1
            if not waiting[up]:
                ready.append(up)

    drain([cid for cid in inner if cid not in waiting])
    loop_backs: dict[int, int] = {}
    seen: set[int] = set()
    for start in [cid for cid, left in waiting.items() if left]:
        if start in seen:
            continue
        loop = [start]
        member = parent[start]
        while member != start:
            loop.append(member)
            member = parent[member]
        seen.update(loop)
        entry = min(loop)
        back = loop_backs[entry] = parent.pop(entry)
        below[back] -= own[entry]  # the loop closing on itself is shown, not counted
        descendants[back] -= 1
        waiting[back] -= 1
        if not waiting[back]:
            drain([back])
    return loop_backs, seen


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def render_tree(forest: ReferralForest, centre: int | None = None) -> list[str]:
    """The forest as indented text lines, for the command line.

    Centred on a customer: the way down from their root (one line per level), then
    everything below them.
    """
    forest.preload()
    lines: list[str] = []
    if centre is None:
        top, depth = forest.roots(), 0
    else:
        path = [node for cid in forest.path_to(centre) if (node := forest.node(cid))]
        lines = ["  " * depth + node_line(node) for depth, node in enumerate(path[:-1])]
        top, depth = path[-1:], len(lines)
    stack: list[tuple[ReferralNode, int]] = [(node, depth) for node in reversed(top)]
    while stack:
        node, depth = stack.pop()
        lines.append("  " * depth + node_line(node))
        if node.has_children:
            children = forest.children(node.customer_id)
            stack.extend((child, depth + 1) for child in reversed(children))
    return lines


def node_line(node: ReferralNode) -> str:
    """'Ada Lovelace #12  gold  own 1,200.00  below 3,400.00 (5)  (not thanked)'."""
    parts = [f"{printable(node.name)} #{node.customer_id}"]  # a line for a terminal
    if node.tier:
        parts.append(node.tier)
    parts.append(f"own {format_money(node.own_12m_cents)}")
    parts.append(f"below {format_money(node.below_12m_cents)} ({node.descendant_count})")
    if node.thanked is False:
        parts.append("(not thanked)")
    if node.cycle:
        parts.append("(referral loop: already shown above)")
    elif node.in_loop and node.referrer_id is None:
        parts.append("(referral loop)")
    return "  ".join(parts)
