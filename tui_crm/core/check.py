"""The book's health: SQLite's own checks, the schema's triggers and indexes, and everything
derived (search index, per-customer figures, the phone numbers' display text, value summary,
purchase rhythms, the queue's scores, the referral figures, the duplicate pairs) against a
recomputation; and the repair that rebuilds what is derived."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from peewee import Database
from peewee import DatabaseError as PeeweeDatabaseError

from tui_crm.core.attention import (
    SCORE_COLUMNS,
    attention_ranking,
    keep_scores,
    score_figures,
    scores_from_scratch,
)
from tui_crm.core.backups import backup_before, book_path, newest_good_backup
from tui_crm.core.backups import file_damage as file_damage  # `tui-crm check` of a damaged file
from tui_crm.core.config import require_whole_book
from tui_crm.core.duplicates_kept import KEPT_TABLES, build_duplicates, wrong_pairs
from tui_crm.core.lapse import ensure_rhythms
from tui_crm.core.referrals import (
    FIGURE_COLUMNS,
    build_referral_figures,
    figures_from_scratch,
    keep_referral_figures,
)
from tui_crm.core.value import _bounds, rebuild_values
from tui_crm.db.meta import meta_value
from tui_crm.db.phones import write_shown, wrong_shown
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

SHOWN_IDS = 10  # ids named in one problem line before "…"


@dataclass(frozen=True)
class Problem:
    area: str  # file, foreign keys, schema, search index, figures, phones, values, rhythms,
    # scores, referrals, duplicates
    text: str
    repairable: bool  # rebuilt by --repair

    def line(self) -> str:
        return f"{self.area}: {self.text}"


@dataclass(frozen=True)
class Health:
    customers: int
    trashed: int
    interactions: int
    purchases: int
    problems: tuple[Problem, ...] = ()

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def damaged(self) -> bool:
        """The file itself is damaged: nothing derived can mend it, only a restore."""
        return any(problem.area == "file" for problem in self.problems)

    def summary(self) -> str:
        trash = f" ({self.trashed:,} in the trash)" if self.trashed else ""
        return (
            f"{self.customers:,} customers{trash}, {self.interactions:,} interactions, "
            f"{self.purchases:,} purchases"
        )


@dataclass(frozen=True)
class Repaired:
    rebuilt: tuple[str, ...]  # what was rebuilt, one phrase each
    backup: Path | None  # the copy taken before
    health: Health  # the book checked again after


def _ids(ids: list[int]) -> str:
    shown = ", ".join(f"#{one}" for one in ids[:SHOWN_IDS])
    return f"({shown}{', …' if len(ids) > SHOWN_IDS else ''})"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def check_book(db: Database) -> Health:
    """Check the open book: integrity, foreign keys, triggers and indexes, the search index,
    the figures kept on each customer, and the summaries kept as rows are written (value
    summary, purchase rhythms, queue scores, referral figures) where they are kept. Reads only:
    what it recomputes or brings up to date to compare is rolled back."""
    require_whole_book(db, "a check")
    store = store_of(db)
    damage = store.file_problem()
    if damage:
        return Health(0, 0, 0, 0, (Problem("file", f"the file is damaged ({damage})", False),))
    try:
        problems = [
            *_foreign_keys(db),
            *_schema(db),
            *_search_index(db),
            *_figures(db),
            *_phones(db),
            *_values(db),
            *_rhythms(db),
            *_scores(db),
            *_referral_figures(db),
            *_duplicates(db),
        ]
    except PeeweeDatabaseError as err:  # a page its check missed
        problems = [Problem("file", f"the file is damaged ({err})", False)]
    customers, trashed, interactions, purchases = store.book_counts()
    return Health(customers, trashed, interactions, purchases, tuple(problems))


def _foreign_keys(db: Database) -> list[Problem]:
    broken: dict[tuple[str, str], list[int]] = defaultdict(list)
    for table, rowid, parent in store_of(db).broken_references():
        broken[(table, parent)].append(rowid)
    return [
        Problem(
            "foreign keys",
            f"{_count(len(rows), f'{table} row')} point at a missing {parent} "
            f"(rows {', '.join(str(r) for r in sorted(rows)[:SHOWN_IDS])}"
            f"{', …' if len(rows) > SHOWN_IDS else ''})",
            False,
        )
        for (table, parent), rows in sorted(broken.items())
    ]


def _schema(db: Database) -> list[Problem]:
    problems = []
    for kind, name, _ in store_of(db).missing_schema():
        repairable = kind != "table" or name == "customer_fts"
        problems.append(Problem("schema", f"{kind} {name} is missing", repairable))
    return problems


def _search_index(db: Database) -> list[Problem]:
    store = store_of(db)
    problems = []
    fault = store.search_index_fault()
    if fault:
        problems.append(Problem("search index", f"fails its own check ({fault})", True))
    missing, extra, stale = store.search_index_differences()
    if missing:
        problems.append(
            Problem(
                "search index", f"{_count(len(missing), 'customer')} missing {_ids(missing)}", True
            )
        )
    if extra:
        problems.append(
            Problem(
                "search index",
                f"{_count(len(extra), 'entry', 'entries')} for no customer {_ids(extra)}",
                True,
            )
        )
    if stale:
        problems.append(
            Problem(
                "search index",
                f"{_count(len(stale), 'customer')} indexed with old text {_ids(stale)}",
                True,
            )
        )
    return problems


def _figures(db: Database) -> list[Problem]:
    wrong = store_of(db).wrong_figures()
    return [
        Problem(
            "figures",
            f"{_count(len(wrong[column]), 'customer')} "
            f"{'has' if len(wrong[column]) == 1 else 'have'} a wrong {column} "
            f"{_ids(wrong[column])}",
            True,
        )
        for column in store_of(db).FIGURE_NAMES
        if wrong.get(column)
    ]


def _phones(db: Database) -> list[Problem]:
    """Each phone's kept display text against `format_phone` of its number."""
    wrong = sorted({customer_id for _, customer_id, _ in wrong_shown(db)})
    if not wrong:
        return []
    return [
        Problem(
            "phones",
            f"{_count(len(wrong), 'customer')} {'has' if len(wrong) == 1 else 'have'} a phone "
            f"number kept with the wrong display text {_ids(wrong)}",
            True,
        )
    ]


class _RollBack(Exception):
    """Leaves a transaction that only recomputed something to compare, undoing it."""


def _values(db: Database) -> list[Problem]:
    """The value summary, where it is kept for a day, against one rebuilt as of that day (in a
    transaction rolled back at the end): the spends of every customer not in the trash, and
    their ranks and tiers too when those are marked current (`values_as_of`)."""
    day = meta_value(db, "values_day")
    if not day:
        return []
    try:
        as_of = date.fromisoformat(day)
    except ValueError:
        return [Problem("values", f"kept as of '{day}', which is not a day", True)]
    columns = "customer_id, spent_30d, spent_12m, lifetime"
    if meta_value(db, "values_as_of") == day:
        columns += ", value_rank, tier"
    wrong = store_of(db).values_differ(_bounds(as_of), columns)
    if not wrong:
        return []
    return [
        Problem(
            "values",
            f"the summary as of {as_of} is wrong for {_count(len(wrong), 'customer')} "
            f"{_ids(wrong)}",
            True,
        )
    ]


def _rhythms(db: Database) -> list[Problem]:
    """Each customer's purchase days as kept (by the purchase triggers) against the days
    counted again from their purchases, and the book's gap count."""
    counted = meta_value(db, "purchase_gaps")
    if counted is None:
        return []  # worked out again when next read (after a bulk write)
    store = store_of(db)
    kept = {cid: (purchases, first, last) for cid, purchases, first, last in store.kept_rhythms()}
    found = {
        cid: (purchases, first, last)
        for cid, purchases, first, last in store.rhythms_from_purchases()
    }
    wrong = sorted(cid for cid in kept.keys() | found.keys() if kept.get(cid) != found.get(cid))
    problems = []
    if wrong:
        problems.append(
            Problem(
                "rhythms",
                f"{_count(len(wrong), 'customer')} {'has' if len(wrong) == 1 else 'have'} a "
                f"wrong purchase rhythm {_ids(wrong)}",
                True,
            )
        )
    gaps = store.gap_count()
    if str(gaps) != str(counted):
        problems.append(Problem("rhythms", f"the book's gap count is {counted}, not {gaps}", True))
    return problems


def _kept_day(db: Database) -> date | None:
    """The day the value summary is current for, when it is."""
    stamp = meta_value(db, "values_as_of")
    try:
        return date.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None


def _differ_after(
    db: Database,
    bring_up_to_date: Callable[[], object],
    kept: Callable[[], Iterable[tuple[int, object]]],
    from_scratch: Callable[[], Iterable[tuple[int, object]]],
) -> list[int]:
    """The customers whose kept figures, once brought up to date, differ from the figures
    worked out again from the book; in a transaction rolled back, so the check changes
    nothing."""
    wrong: list[int] = []
    try:
        with db.atomic("DEFERRED"):
            bring_up_to_date()
            held, found = dict(kept()), dict(from_scratch())
            wrong = sorted(
                cid for cid in held.keys() | found.keys() if held.get(cid) != found.get(cid)
            )
            raise _RollBack
    except _RollBack:
        pass
    return wrong


def _scores(db: Database) -> list[Problem]:
    """The queue's kept scores, brought up to the value summary's day (rolled back), against
    every score worked out again from the book."""
    day = _kept_day(db)
    if day is None or meta_value(db, "attention_kept") is None:
        return []
    wrong = _differ_after(
        db,
        lambda: keep_scores(db, day),
        lambda: (
            (row[0], score_figures(row))
            for row in store_of(db).kept_rows("attention_score", SCORE_COLUMNS)
        ),
        lambda: ((row[0], score_figures(row)) for row in scores_from_scratch(db, day)),
    )
    if not wrong:
        return []
    return [
        Problem(
            "scores",
            f"{_count(len(wrong), 'customer')} {'has' if len(wrong) == 1 else 'have'} a wrong "
            f"needs-attention score as of {day} {_ids(wrong)}",
            True,
        )
    ]


def _referral_figures(db: Database) -> list[Problem]:
    """The referral figures, brought up to date (rolled back), against figures worked out
    again from the live referrals."""
    if _kept_day(db) is None or meta_value(db, "referrals_kept") is None:
        return []
    wrong = _differ_after(
        db,
        lambda: keep_referral_figures(db),
        lambda: (
            (row[0], tuple(row))
            for row in store_of(db).kept_rows("referral_figure", FIGURE_COLUMNS)
        ),
        lambda: ((row[0], row) for row in figures_from_scratch(db)),
    )
    if not wrong:
        return []
    return [
        Problem(
            "referrals",
            f"{_count(len(wrong), 'customer')} {'has' if len(wrong) == 1 else 'have'} wrong "
            f"referral figures {_ids(wrong)}",
            True,
        )
    ]


def _duplicates(db: Database) -> list[Problem]:
    """The kept duplicate pairs, brought up to date (rolled back), against the pairs worked
    out from the whole book; and what finding them keeps against a whole build."""
    if meta_value(db, "duplicates_kept") is None:
        return []  # built whole when next read
    wrong, tables, size, failed = wrong_pairs(db)
    if failed is not None:
        return [
            Problem("duplicates", f"the kept pairs cannot be brought up to date ({failed})", True)
        ]
    problems = []
    if wrong:
        shown = ", ".join(f"#{a}/#{b}" for a, b in wrong[:SHOWN_IDS])
        more = ", …" if len(wrong) > SHOWN_IDS else ""
        problems.append(
            Problem(
                "duplicates",
                f"{_count(len(wrong), 'pair')} {'is' if len(wrong) == 1 else 'are'} listed "
                f"wrong ({shown}{more})",
                True,
            )
        )
    if tables or size is not None:
        parts = [_count(n, KEPT_TABLES[table][0]) for table, n in tables.items()]
        if size is not None:
            parts.append(f"the book's size {size}")
        problems.append(
            Problem(
                "duplicates",
                f"what finding them keeps differs from a rebuild ({', '.join(parts)})",
                True,
            )
        )
    return problems


def restore_hint(db_path: Path) -> str:
    """What to do about a damaged book: the command that restores the newest good backup."""
    good = newest_good_backup(db_path)
    if good is None:
        return "no good backup of it was found; restore a copy of your own with tui-crm restore"
    return (
        f"restore a backup: tui-crm restore {good.path} (the newest good one, taken "
        f"{good.taken_at:%Y-%m-%d %H:%M}, {_count(good.customers or 0, 'customer')})"
    )


def repair_book(db: Database, *, today: date | None = None) -> Repaired:
    """Rebuild everything derived, in one transaction after a backup (`before-repair`):
    missing triggers and indexes (and the search index table), the whole search index, every
    customer's figures, the phone numbers' display text that is wrong, the purchase rhythms,
    the value summary and the queue's scores (as of `today`) and the referral figures. A
    damaged file cannot be repaired: raises CrmError naming the newest good backup to
    restore."""
    require_whole_book(db, "a repair")
    before = check_book(db)
    path = book_path(db)
    if before.damaged:
        problem = next(p for p in before.problems if p.area == "file")
        hint = restore_hint(path) if path else "restore a backup"
        raise CrmError(f"{problem.text}; --repair cannot mend the file itself: {hint}")
    today = today or date.today()
    backup = backup_before(db, "before-repair")
    rebuilt = []
    store = store_of(db)
    with db.atomic("IMMEDIATE"):
        recreated = store.repair_schema()
        if recreated:
            rebuilt.append("recreated " + ", ".join(recreated))
        customers = store.table_count("customer")
        rebuilt.append(f"the search index ({_count(customers, 'customer')})")
        store.refresh_figures()
        rebuilt.append(f"the figures of {_count(customers, 'customer')}")
        # Formatting every number again costs seconds in a large book: only when it was wrong.
        wrong = wrong_shown(db) if any(p.area == "phones" for p in before.problems) else []
        if wrong:
            write_shown(db, wrong)
            rebuilt.append(f"the display text of {_count(len(wrong), 'phone number')}")
        store.forget_gap_count()
        ensure_rhythms(db)
        rhythms = store.table_count("purchase_rhythm")
        rebuilt.append(f"the purchase rhythms ({_count(rhythms, 'customer')})")
        build_duplicates(db)
        pairs = store.table_count("duplicate_pair")
        rebuilt.append(f"the duplicate pairs ({_count(pairs, 'pair')})")
        rebuild_values(db, today)
        rebuilt.append(f"the value summary (as of {today})")
        queue = len(attention_ranking(db, today))
        rebuilt.append(f"the needs-attention scores (as of {today}: {_count(queue, 'customer')})")
        build_referral_figures(db)
        placed = store.table_count("referral_figure")
        rebuilt.append(f"the referral figures ({_count(placed, 'customer')})")
    return Repaired(tuple(rebuilt), backup, check_book(db))
