"""Insights as of a date: tiers and their revenue share, spend by source, referrers, why-us, who
stopped buying and lost reasons."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import date

from peewee import Database

from tui_crm.core.lapse import lapsed_count
from tui_crm.core.types import display_name
from tui_crm.core.value import ensure_values
from tui_crm.db.meta import meta_value
from tui_crm.db.store import store_of

NO_SOURCE = "(none)"


@dataclass(frozen=True)
class RankedCustomer:
    """A gold or silver customer: 12-month spend and its share of the 12-month revenue."""

    customer_id: int
    name: str
    rank: int
    spent_12m: int  # cents
    share: float  # of Insights.total_12m, 0..1


@dataclass(frozen=True)
class Tier:
    """One value tier: how many, what they spent together, the biggest of them."""

    name: str  # "gold" or "silver"
    count: int
    spent_12m: int
    share: float
    members: tuple[RankedCustomer, ...]  # at most `top`, biggest spender first


@dataclass(frozen=True)
class SourceSpend:
    """12-month spend of the customers who came from one acquisition source."""

    source: str  # NO_SOURCE for customers without one
    customers: int
    spent_12m: int
    share: float


@dataclass(frozen=True)
class Referrer:
    """A customer by the value of the live customers they referred directly."""

    customer_id: int
    name: str
    referrals: int
    brought_12m: int
    brought_lifetime: int  # purchases up to the as-of date


@dataclass(frozen=True)
class Answer:
    """One answer and how many customers gave it (spelling of the most common variant)."""

    text: str
    count: int


@dataclass(frozen=True)
class AnswerCounts:
    """Free-text answers grouped ignoring case and spacing, most common first."""

    answers: tuple[Answer, ...]  # at most `top`
    answered: int  # customers who gave any answer
    distinct: int  # different answers among them
    unanswered: int  # customers asked about who have none


@dataclass(frozen=True)
class Insights:
    as_of: date
    customers: int  # live customers
    buyers: int  # of them, with 12-month spend above zero
    total_12m: int  # cents: 12-month revenue of all live customers
    gold: Tier
    silver: Tier
    sources: tuple[SourceSpend, ...]  # every source, biggest spend first
    referrers: tuple[Referrer, ...]  # at most `top`, most value brought first
    referrer_count: int  # customers with at least one live referral
    why: AnswerCounts  # "why they chose us", over live customers
    lost: AnswerCounts  # lost reasons, over live customers with status lost
    # Live customers who stopped buying (status lapsed, worked out from the purchases: the
    # customers `status:lapsed` finds on the as-of day); the lost are not among them.
    lapsed: int


# Hands a job to another connection (the app's other line): its answer to come.
Beside = Callable[[Callable[[Database], object]], Future]


def insights(db: Database, as_of: date, *, top: int = 10, beside: Beside | None = None) -> Insights:
    """Everything the insights screen shows, as of `as_of` (refreshes the value summary first).

    `top` caps the gold and silver lists, the referrers and each list of answers. With
    `beside`, who stopped buying and the referrers are read on another connection while this
    one reads the rest (on two cores, some 40 of 90 ms at 100 000 customers); else here, after.
    """
    stamp = as_of.isoformat()

    # Read in one transaction so the figures agree with each other, and only while the
    # summary is still stamped with this day: the triggers drop the stamp on every purchase,
    # new customer or trashing, so then `customer_value` holds exactly the live customers.
    # Holding the write lock instead would stall other salespeople's saves meanwhile.
    # Who stopped buying is counted apart: working it out may write (each customer's purchase
    # rhythm is kept up to date as it is read), which the read transaction below must not; the
    # referrers are no share of the totals, so they need not be read with them either.
    def aside(book: Database) -> tuple[int, tuple[tuple[Referrer, ...], int]]:
        return lapsed_count(book, as_of), _referrers(book, top)

    for attempt in range(3):
        ensure_values(db, as_of)
        other = beside(aside) if beside is not None else None
        read = None
        with db.atomic("DEFERRED"):
            # Writers kept coming: figures from a summary at most moments old.
            if attempt == 2 or meta_value(db, "values_as_of") == stamp:
                read = _read(db, as_of, top)
        if read is not None:
            lapsed, (referrers, referrer_count) = other.result() if other else aside(db)
            return replace(read, lapsed=lapsed, referrers=referrers, referrer_count=referrer_count)
    raise AssertionError("unreachable: the third attempt always reads")


def share(part: int, total: int) -> float:
    """`part` as a fraction of `total`; 0 when there is no (positive) total to divide."""
    return part / total if total > 0 else 0.0


def _read(db: Database, as_of: date, top: int) -> Insights:
    """The figures read together (who stopped buying and the referrers are put in after)."""
    # The totals and both tiers in one pass over the summary.
    customers, buyers, total, *tier_figures = store_of(db).value_totals()
    tiers = {"gold": tuple(tier_figures[:2]), "silver": tuple(tier_figures[2:])}
    return Insights(
        as_of=as_of,
        customers=customers,
        buyers=buyers,
        total_12m=total,
        gold=_tier(db, "gold", tiers["gold"], total, top),
        silver=_tier(db, "silver", tiers["silver"], total, top),
        sources=_sources(db, total),
        referrers=(),
        referrer_count=0,
        why=_answers(store_of(db).why_counts(), top),
        lost=_answers(store_of(db).lost_reason_counts(), top),
        lapsed=0,
    )


def lost_reasons(db: Database) -> list[str]:
    """The lost reasons in the book as Insights counts them (case and spacing ignored, each in
    its most common spelling), the most given first: what a new reason is suggested from, so
    the same reason is typed the same way."""
    return [answer.text for answer in _answers(store_of(db).lost_reason_counts(), None).answers]


def _tier(db: Database, name: str, figures: tuple[int, int], total: int, top: int) -> Tier:
    count, spent = figures
    rows = store_of(db).tier_members(name, top)
    members = tuple(
        RankedCustomer(cid, display_name(first, last, company), rank, cents, share(cents, total))
        for cid, first, last, company, rank, cents in rows
    )
    return Tier(name, count, spent, share(spent, total), members)


def _sources(db: Database, total: int) -> tuple[SourceSpend, ...]:
    rows = store_of(db).source_spend()
    # The source list grows as people type, so "Website" and "website " are one source,
    # named the way most of its customers have it.
    groups: dict[str, list[tuple[str, int, int]]] = {}
    for source, customers, spent in rows:
        label = " ".join((source or "").split())
        groups.setdefault(label.casefold(), []).append((label, customers, spent))
    out = []
    for key, variants in groups.items():
        spent = sum(s for _, _, s in variants)
        label = _most_common([(text, n) for text, n, _ in variants]) if key else NO_SOURCE
        customers = sum(n for _, n, _ in variants)
        out.append(SourceSpend(label, customers, spent, share(spent, total)))
    out.sort(key=lambda s: (-s.spent_12m, -s.customers, s.source.casefold()))
    return tuple(out)


def _referrers(db: Database, top: int) -> tuple[tuple[Referrer, ...], int]:
    """The `top` referrers by value brought, and how many customers referred anyone."""
    rows = store_of(db).top_referrers(top)
    referrers = tuple(
        Referrer(cid, display_name(first, last, company), n, b12, blife)
        for cid, first, last, company, n, b12, blife, _ in rows
    )
    if rows:
        return referrers, rows[0][-1]
    return referrers, 0


def _answers(rows: Iterable[tuple[str | None, int]], top: int | None) -> AnswerCounts:
    """Group (text, count) rows by the text with case and runs of whitespace ignored; keep the
    `top` most common (all with None)."""
    groups: dict[str, list[tuple[str, int]]] = {}
    unanswered = 0
    for text, count in rows:
        label = " ".join((text or "").split())
        if not label:
            unanswered += count
            continue
        groups.setdefault(label.casefold(), []).append((label, count))
    answers = [
        Answer(_most_common(variants), sum(n for _, n in variants)) for variants in groups.values()
    ]
    answers.sort(key=lambda a: (-a.count, a.text.casefold(), a.text))
    return AnswerCounts(
        answers=tuple(answers[:top]),
        answered=sum(a.count for a in answers),
        distinct=len(answers),
        unanswered=unanswered,
    )


def _most_common(variants: list[tuple[str, int]]) -> str:
    """The spelling most customers used (several raw texts can tidy to the same one)."""
    counts: Counter[str] = Counter()
    for label, customers in variants:
        counts[label] += customers
    # On a tie, prefer a spelling that is not all capitals, then the alphabetically first,
    # so the label never depends on the order rows come back in.
    return min(counts, key=lambda label: (-counts[label], label.isupper(), label))
