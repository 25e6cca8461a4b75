"""Who referred whom, and whether each referral was thanked.

A referral is a live customer whose `referred_by` is another live customer. It counts as
thanked when the referrer has a `thanks` interaction naming that referral (`regarding`), or a
`thanks` naming no one, at or after the day of the referral (the referred customer's
`acquired_on`, else the day they were added).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from operator import gt, sub
from typing import NamedTuple

from peewee import Database

from tui_crm.core.display import printable
from tui_crm.core.fields import format_money
from tui_crm.core.types import display_name
from tui_crm.core.value import ensure_values
from tui_crm.db.meta import meta_value, set_meta
from tui_crm.db.store import store_of

# The columns of a figure row, for core/check.py.
from tui_crm.db.store.referrals import FIGURE_COLUMNS as FIGURE_COLUMNS


@dataclass(frozen=True)
class Referral:
    referrer_id: int
    referred_id: int
    referred_name: str
    day: date
    thanked: bool


def referrals(db: Database, referrer_ids: list[int] | None = None) -> list[Referral]:
    """Every live referral (of the given referrers, or of everyone), oldest first."""
    rows = store_of(db).live_referrals(referrer_ids)
    return [
        Referral(referrer, referred, name or company, date.fromisoformat(day), bool(thanked))
        for referrer, referred, name, company, day, thanked in rows
    ]


# The referral tree ------------------------------------------------------------------------
#
# Opening the tree must take at most 50 ms at 1 000 000 customers, so nothing is worked out
# from every referral when it opens. `referral_figure` keeps, for each customer in a live
# referral, their referrer and the 12-month value and number of the customers below them;
# the roots are read from its index, most value first, and each level when it is shown. The
# figures follow the book: the triggers list the customers whose referral or 12-month value
# changed (`referral_dirty`), and `keep_referral_figures` carries each change up the chain of
# referrers above it before the tree is read. A change that touches a referral loop (bad
# data) builds the figures whole again, as a bulk write does.

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


class _Figure(NamedTuple):
    """A row of `referral_figure`."""

    customer_id: int
    referrer_id: int | None  # their live referrer (for a loop's entry: the loop's customer)
    cut: int  # 1 for a loop's entry: it stands as a root, and shows once more under referrer_id
    in_loop: int
    root: int
    own: int
    below: int
    total: int
    descendants: int
    referred: int

    @property
    def parent(self) -> int | None:
        """The referrer above them in the tree (None for a root or a loop's entry)."""
        return None if self.cut else self.referrer_id


class ReferralForest:
    """Who referred whom among live customers, as of a date, with 12-month values.

    Built by `referral_forest`. Roots are customers who referred someone and have no live
    referrer (a referrer in the trash makes its referrals roots). A referral loop, which no
    root can reach, is cut above its lowest customer id: that customer stands as a root and
    shows once more, marked `cycle`, as a leaf under the loop's last customer. Self-referrals
    are ignored.

    Only `root_count` is at hand: the structure, names, tiers and thanks are read from the
    kept figures on first use, one level at a time, so call everything else off the UI thread.
    """

    def __init__(self, db: Database, as_of: date, *, root_count: int) -> None:
        self._db = db
        self.as_of = as_of
        self._root_count = root_count
        self._figures: dict[int, _Figure | None] = {}
        self._kids_of: dict[int, list[int]] = {}
        self._root_order: list[int] = []  # by value, then by id until `_roots_final`
        self._roots_final = 0  # _root_order[:n] has its ties broken by name
        self._roots_done = False  # every root has been read
        self._names: dict[int, str] = {}
        self._tiers: dict[int, str] = {}
        self._thanked: dict[int, bool] = {}  # per referred customer, for its live referrer
        self._loaded: set[int] = set()  # referrers whose referrals' details have been read
        self._sorted: dict[int, list[int]] = {}
        self._lock = threading.RLock()  # workers may read two levels at once

    # What it holds ---------------------------------------------------------------------

    def __contains__(self, customer_id: object) -> bool:
        return isinstance(customer_id, int) and self._figure(customer_id) is not None

    def __len__(self) -> int:
        """How many customers take part in a live referral."""
        return store_of(self._db).figure_count()

    @property
    def root_count(self) -> int:
        return self._root_count

    def referrer_of(self, customer_id: int) -> int | None:
        """A customer's live referrer (for a loop's entry, the loop's customer who referred it)."""
        figure = self._figure(customer_id)
        return figure.referrer_id if figure else None

    def child_count(self, customer_id: int) -> int:
        figure = self._figure(customer_id)
        return figure.referred if figure else 0

    def in_loop(self, customer_id: int) -> bool:
        """Is the customer part of a referral loop (bad data)?"""
        figure = self._figure(customer_id)
        return bool(figure and figure.in_loop)

    def path_to(self, customer_id: int) -> list[int]:
        """Customer ids from a root (or a loop's entry) down to `customer_id`; [] if absent."""
        figure = self._figure(customer_id)
        if figure is None:
            return []
        path = [customer_id]
        seen = {customer_id}
        current = figure.parent
        while current is not None and current not in seen:  # loops are cut; `seen` is a guard
            path.append(current)
            seen.add(current)
            above = self._figure(current)
            current = above.parent if above else None
        path.reverse()
        return path

    # Levels (these read names, tiers and thanks on first use) --------------------------

    def roots(self, offset: int = 0, limit: int | None = None) -> list[ReferralNode]:
        """Root referrers and loop entries, most value (own + below) first, then by name."""
        with self._lock:
            end = self._root_count if limit is None else min(self._root_count, offset + limit)
            if end > self._roots_final:
                self._break_root_ties(end)
            return [self._node(cid, None) for cid in self._root_order[offset:end]]

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
        figure = self._figure(customer_id)
        if figure is None:
            return None
        with self._lock:
            if figure.parent is not None:
                self._load_referrers([figure.parent])
            self._load_details([customer_id])
            return self._node(customer_id, figure.parent)

    def name_of(self, customer_id: int) -> str:
        """A customer's name, also for one outside the forest ('' when there is no such id)."""
        with self._lock:
            self._load_details([customer_id])
            return self._names.get(customer_id, "")

    def preload(self, referrer_ids: list[int] | None = None) -> None:
        """Read names, tiers and thanks below these referrers (default: the whole forest)."""
        with self._lock:
            if referrer_ids is None:
                every = [_Figure(*row) for row in store_of(self._db).figures()]
                for figure in every:
                    self._figures[figure.customer_id] = figure
                    if figure.referrer_id is not None:
                        self._kids_of.setdefault(figure.referrer_id, []).append(figure.customer_id)
                for figure in every:
                    if figure.referred:
                        self._kids_of.setdefault(figure.customer_id, [])
                self._load_referrers([f.customer_id for f in every if f.referred])
                self._break_root_ties(self._root_count)
                self._load_details(self._root_order)
            else:
                self._load_referrers(referrer_ids)

    def reload_thanks(self, referrer_ids: list[int]) -> None:
        """Read again whether these referrers were thanked (after a thanks was logged)."""
        with self._lock:
            self._loaded.difference_update(referrer_ids)
            self._load_referrers(referrer_ids)

    # Inside ----------------------------------------------------------------------------

    def _figure(self, customer_id: int) -> _Figure | None:
        if customer_id not in self._figures:
            row = store_of(self._db).figure(customer_id)
            self._figures[customer_id] = _Figure(*row) if row else None
        return self._figures[customer_id]

    def _kids(self, customer_id: int) -> list[int]:
        kids = self._kids_of.get(customer_id)
        if kids is None:
            kids = []
            if self.child_count(customer_id):
                for row in store_of(self._db).figures_under(customer_id):
                    figure = _Figure(*row)
                    self._figures[figure.customer_id] = figure
                    kids.append(figure.customer_id)
            self._kids_of[customer_id] = kids
        return kids

    def _total(self, customer_id: int) -> int:
        figure = self._figure(customer_id)
        return figure.total if figure else 0

    def _sort(self, ids: list[int]) -> list[int]:
        names, total = self._names, self._total
        return sorted(ids, key=lambda c: (-total(c), names.get(c, "").casefold(), c))

    def _read_roots(self, count: int) -> None:
        """Read roots in index order (value, then id) until `count` are read, or all."""
        while len(self._root_order) < count and not self._roots_done:
            if self._root_order:
                last = self._root_order[-1]
                total, after = self._total(last), last
            else:
                total, after = 1 << 62, 0
            rows = store_of(self._db).roots_after(
                total, after, max(count - len(self._root_order), 1)
            )
            if not rows:
                self._roots_done = True
            ids = [cid for cid, _ in rows]
            self._root_order.extend(ids)
            self._fetch(ids)

    def _fetch(self, ids: list[int]) -> None:
        missing = [cid for cid in ids if cid not in self._figures]
        for chunk in _chunks(missing):
            for row in store_of(self._db).figures_of(chunk):
                self._figures[row[0]] = _Figure(*row)

    def _break_root_ties(self, end: int) -> None:
        """Order the roots up to `end` by name within equal values, reading only those names.

        A page needs the names of its roots and of every root tied in value with its last
        one, so the first page of a large book reads a few hundred names, not every root's.
        """
        self._read_roots(end)
        order, total = self._root_order, self._total
        if not order or end == 0:
            return
        end = min(end, len(order))
        last = total(order[end - 1])
        stop = end
        while True:
            while stop < len(order) and total(order[stop]) == last:
                stop += 1
            if stop < len(order) or self._roots_done:
                break
            self._read_roots(len(order) + 200)  # the tie may go on past what was read
        start = self._roots_final  # always the first root of a group of equal values
        self._load_details(order[start:stop])
        order[start:stop] = self._sort(order[start:stop])
        self._roots_final = stop

    def _node(self, customer_id: int, referrer: int | None) -> ReferralNode:
        figure = self._figure(customer_id)
        assert figure is not None
        # Under a referrer, a loop's entry is the loop closing on itself: a leaf.
        cycle = referrer is not None and figure.parent != referrer
        return ReferralNode(
            customer_id=customer_id,
            name=self._names.get(customer_id, ""),
            tier=self._tiers.get(customer_id, ""),
            own_12m_cents=figure.own,
            below_12m_cents=figure.below,
            referred_count=figure.referred,
            descendant_count=figure.descendants,
            referrer_id=referrer,
            thanked=None if referrer is None else self._thanked.get(customer_id, False),
            has_children=figure.referred > 0 and not cycle,
            cycle=cycle,
            in_loop=bool(figure.in_loop),
        )

    def _load_details(self, ids: list[int]) -> None:
        missing = [cid for cid in ids if cid not in self._names]
        for chunk in _chunks(missing):
            for cid, first, last, company, tier in store_of(self._db).details(chunk):
                self._names[cid] = display_name(first, last, company)
                self._tiers[cid] = tier

    def _load_referrers(self, referrer_ids: list[int]) -> None:
        todo = [
            r for r in dict.fromkeys(referrer_ids) if self.child_count(r) and r not in self._loaded
        ]
        for chunk in _chunks(todo):
            self._read_referrals(chunk)
            for referrer in chunk:
                self._sorted.pop(referrer, None)  # names may have changed the order
        self._loaded.update(todo)

    def _read_referrals(self, referrers: list[int]) -> None:
        store = store_of(self._db)
        days: dict[int, str] = {}
        for cid, first, last, company, tier, day in store.referred_by(referrers):
            self._names[cid] = display_name(first, last, company)
            self._tiers[cid] = tier
            days[cid] = day
        named: dict[int, set[int]] = {}  # referrer -> customers their thanks name
        latest: dict[int, str] = {}  # referrer -> day of their latest thanks naming no one
        for referrer, regarding, day in store.thanks_of(referrers):
            if regarding is not None:
                named.setdefault(referrer, set()).add(regarding)
            elif day > latest.get(referrer, ""):
                latest[referrer] = day
        # The store's `referral_thanked` rule: a thanks naming this referral, or a thanks
        # naming no one on or after the referral day (ISO dates compare as text).
        for referrer in referrers:
            thanked_for = named.get(referrer, set())
            last = latest.get(referrer, "")
            for cid in self._kids(referrer):
                self._thanked[cid] = cid in thanked_for or (last != "" and last >= days[cid])


def referral_forest(db: Database, as_of: date) -> ReferralForest:
    """Who referred whom among live customers, with 12-month values as of `as_of`: the kept
    figures brought up to date, and how many roots there are. The rest is read as it is shown."""
    with db.atomic():
        ensure_values(db, as_of)
        keep_referral_figures(db)
        roots = store_of(db).root_count()
    return ReferralForest(db, as_of, root_count=roots)


# Keeping the figures -----------------------------------------------------------------------


class _Rebuild(Exception):
    """A change touches a referral loop: the figures are built whole again."""


def keep_referral_figures(db: Database) -> None:
    """Bring `referral_figure` up to date with the referrals and the value summary as they
    are (run `ensure_values` first): each customer listed in `referral_dirty` has their
    referral and their children's checked and moved, and changes of 12-month value carried up
    the chain above them. Built whole after a bulk write or when a loop is involved."""
    if not store_of(db).sees_whole_book():
        return
    with db.atomic():
        if meta_value(db, "referrals_kept") is None:
            build_referral_figures(db)
            return
        dirty = store_of(db).referral_dirty()
        if not dirty:
            return
        try:
            with db.atomic():
                _Keeper(db).apply(sorted(dirty))
        except _Rebuild:
            build_referral_figures(db)
            return
        store_of(db).clear_referral_dirty()


def build_referral_figures(db: Database) -> None:
    """Work every figure out from the live referrals and the value summary (one pass over the
    referrals; iterative throughout, so a chain of any length, a loop or a self-referral in
    bad data neither recurses too deep nor runs forever)."""
    store = store_of(db)
    store.replace_figures(figures_from_scratch(db))
    store.clear_referral_dirty()
    set_meta(db, "referrals_kept", "1")


def figures_from_scratch(db: Database) -> list[tuple]:
    """Every row of `referral_figure`, as worked out from the live referrals."""
    referred, referrers, cents, referrer_cents = store_of(db).referral_edges()
    if any(map(gt, referrers, referrers[1:])):  # the engine gave up the index order: restore it
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
    out = []
    for cid in own:
        cut = cid in loop_backs
        referrer = loop_backs[cid] if cut else parent.get(cid)
        under = below.get(cid, 0)
        referred_count = counts.get(cid, 0)
        root = referred_count > 0 and cid not in parent
        out.append(
            (
                cid,
                referrer,
                int(cut),
                int(cid in in_loop),
                int(root),
                own[cid],
                under,
                own[cid] + under,
                descendants.get(cid, 0),
                referred_count,
            )
        )
    return out


class _Keeper:
    """Carries the changes listed in `referral_dirty` into `referral_figure`, no loop involved
    (raises _Rebuild when one is)."""

    def __init__(self, db: Database) -> None:
        self.store = store_of(db)

    def apply(self, dirty: list[int]) -> None:
        for cid in dirty:
            self._settle(cid)
            for child in self._children_now(cid) | self._children_kept(cid):
                self._settle(child)
        for cid in dirty:
            self._revalue(cid)

    # Structure -------------------------------------------------------------------------

    def _figure(self, cid: int) -> _Figure | None:
        row = self.store.figure(cid)
        return _Figure(*row) if row else None

    def _referrer_now(self, cid: int) -> int | None:
        """The customer's live referrer in the book as it is."""
        return self.store.referrer_now(cid)

    def _children_now(self, cid: int) -> set[int]:
        return self.store.referred_now(cid)

    def _children_kept(self, cid: int) -> set[int]:
        return self.store.referred_kept(cid)

    def _spent(self, cid: int) -> int:
        return self.store.spent_12m(cid)

    def _settle(self, cid: int) -> None:
        """Move the customer (with everyone below them) to their referrer as it is now."""
        figure = self._figure(cid)
        if figure is not None and (figure.cut or figure.in_loop):
            raise _Rebuild
        kept = figure.referrer_id if figure else None
        now = self._referrer_now(cid)
        if kept == now:
            return
        if figure is None:
            self._insert(cid)
            figure = self._figure(cid)
            assert figure is not None
        weight = (figure.own + figure.below, 1 + figure.descendants)
        if kept is not None:
            self._carry(kept, -weight[0], -weight[1], -1)
        if now is not None:
            chain = self._chain(now)
            if cid in chain:
                raise _Rebuild  # the new referral closes a loop
            if self._figure(now) is None:
                self._insert(now)
            self._carry(now, weight[0], weight[1], 1)
        self.store.set_figure_referrer(cid, now)
        for one in {cid, kept, now} - {None}:
            self._tidy(one)

    def _insert(self, cid: int) -> None:
        self.store.add_figure(cid, self._spent(cid))

    def _chain(self, cid: int) -> list[int]:
        """`cid` and the referrers above them in the tree, up to a root or a loop's entry."""
        chain = []
        current: int | None = cid
        while current is not None:
            figure = self._figure(current)
            if figure is None:
                break
            if figure.in_loop or current in chain:
                raise _Rebuild
            chain.append(current)
            current = figure.parent
        return chain

    def _carry(self, top: int, cents: int, customers: int, referred: int) -> None:
        """Add value and customers below `top` and every referrer above it; `referred` more
        direct referrals to `top`."""
        self.store.add_below(self._chain(top), cents, customers)
        self.store.add_referred(top, referred)

    def _tidy(self, cid: int) -> None:
        """A customer in no live referral any more leaves the figures; the others are roots
        when they referred someone and have nobody above."""
        self.store.tidy_figure(cid)

    # Values ----------------------------------------------------------------------------

    def _revalue(self, cid: int) -> None:
        """Carry a change of the customer's 12-month value up the chain above them."""
        figure = self._figure(cid)
        if figure is None:
            return
        change = self._spent(cid) - figure.own
        if not change:
            return
        self.store.add_own(cid, change)
        if figure.parent is not None:
            self.store.add_value_below(self._value_chain(figure.parent), change)

    def _value_chain(self, cid: int) -> list[int]:
        """Like `_chain`, through a loop too: its entry is cut, so the chain ends there."""
        chain: list[int] = []
        current: int | None = cid
        while current is not None and current not in chain:
            figure = self._figure(current)
            if figure is None:
                break
            chain.append(current)
            current = figure.parent
        return chain


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
