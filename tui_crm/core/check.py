"""The book's health: SQLite's own checks, the schema's triggers and indexes, and everything
derived (search index, per-customer figures, the phone numbers' display text, value summary,
purchase rhythms, the queue's scores, the referral figures, the duplicate pairs) against a
recomputation; and the repair that rebuilds what is derived."""

from __future__ import annotations

import sqlite3
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
from tui_crm.core.duplicates_kept import KEPT_TABLES, build_duplicates, wrong_pairs
from tui_crm.core.lapse import GAP_COUNT, ensure_rhythms
from tui_crm.core.referrals import (
    FIGURE_COLUMNS,
    build_referral_figures,
    figures_from_scratch,
    keep_referral_figures,
)
from tui_crm.core.value import _rebuild_sql, rebuild_values
from tui_crm.db.backup import integrity_problem
from tui_crm.db.database import expected_schema, read_only_uri
from tui_crm.db.derived import (
    FTS_COLUMNS,
    LAST_CONTACT,
    LAST_PURCHASE,
    LIFETIME_CENTS,
    NEXT_FOLLOW_UP,
    PURCHASE_COUNT,
    RHYTHM_OF,
    SEARCH_DOC,
    bulk_index_sql,
)
from tui_crm.db.meta import meta_value
from tui_crm.db.phones import write_shown, wrong_shown
from tui_crm.errors import CrmError

SHOWN_IDS = 10  # ids named in one problem line before "…"

FIGURES = {
    "last_contact_at": LAST_CONTACT,
    "next_follow_up": NEXT_FOLLOW_UP,
    "lifetime_cents": LIFETIME_CENTS,
    "purchase_count": PURCHASE_COUNT,
    "last_purchase_on": LAST_PURCHASE,
}


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


def file_damage(path: Path) -> str | None:
    """What a full integrity check of the file at `path` finds wrong (None when nothing), for
    a book that cannot even be opened. Only reads."""
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            return integrity_problem(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        return str(err)


def check_book(db: Database) -> Health:
    """Check the open book: integrity, foreign keys, triggers and indexes, the search index,
    the figures kept on each customer, and the summaries kept as rows are written (value
    summary, purchase rhythms, queue scores, referral figures) where they are kept. Reads only:
    what it recomputes or brings up to date to compare is rolled back."""
    verdict = [row[0] for row in db.execute_sql("PRAGMA integrity_check(20)")]
    if verdict != ["ok"]:
        text = "; ".join(str(line) for line in verdict[:3]) + (" …" if len(verdict) > 3 else "")
        return Health(0, 0, 0, 0, (Problem("file", f"the file is damaged ({text})", False),))
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
    except (sqlite3.DatabaseError, PeeweeDatabaseError) as err:  # a page its check missed
        problems = [Problem("file", f"the file is damaged ({err})", False)]
    customers, trashed = db.execute_sql(
        "SELECT count(*), count(deleted_at) FROM customer"
    ).fetchone()
    interactions = db.execute_sql("SELECT count(*) FROM interaction").fetchone()[0]
    purchases = db.execute_sql("SELECT count(*) FROM purchase").fetchone()[0]
    return Health(customers, trashed, interactions, purchases, tuple(problems))


def _foreign_keys(db: Database) -> list[Problem]:
    broken: dict[tuple[str, str], list[int]] = defaultdict(list)
    for table, rowid, parent, _ in db.execute_sql("PRAGMA foreign_key_check"):
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


def _present(db: Database) -> set[str]:
    return {row[0] for row in db.execute_sql("SELECT name FROM sqlite_master")}


def _missing_schema(db: Database) -> list[tuple[str, str, str]]:
    """(type, name, sql) of each table, index or trigger the migrations make that is missing."""
    present = _present(db)
    return [
        (kind, name, sql)
        for name, (kind, _, sql) in expected_schema().items()
        if name not in present and not name.startswith("customer_fts_")
    ]


def _schema(db: Database) -> list[Problem]:
    problems = []
    for kind, name, _ in _missing_schema(db):
        repairable = kind != "table" or name == "customer_fts"
        problems.append(Problem("schema", f"{kind} {name} is missing", repairable))
    return problems


def _search_index(db: Database) -> list[Problem]:
    if "customer_fts" not in _present(db):
        return []  # said under schema
    problems = []
    try:
        with db.atomic("DEFERRED"):
            db.execute_sql("INSERT INTO customer_fts(customer_fts) VALUES ('integrity-check')")
    except (sqlite3.DatabaseError, PeeweeDatabaseError) as err:
        problems.append(Problem("search index", f"fails its own check ({err})", True))
    missing = [
        row[0]
        for row in db.execute_sql(
            "SELECT id FROM customer WHERE id NOT IN (SELECT rowid FROM customer_fts) ORDER BY id"
        )
    ]
    extra = [
        row[0]
        for row in db.execute_sql(
            "SELECT rowid FROM customer_fts WHERE rowid NOT IN (SELECT id FROM customer) "
            "ORDER BY rowid"
        )
    ]
    differs = " OR ".join(f"f.{column} IS NOT doc.{column}" for column in FTS_COLUMNS)
    stale = [
        row[0]
        for row in db.execute_sql(
            f"WITH doc(id, {', '.join(FTS_COLUMNS)}) AS ({SEARCH_DOC}) "
            f"SELECT doc.id FROM doc JOIN customer_fts f ON f.rowid = doc.id WHERE {differs} "
            "ORDER BY doc.id"
        )
    ]
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
    tests = ", ".join(
        f"{column} IS NOT {sql.format(cid='customer.id')}" for column, sql in FIGURES.items()
    )
    wrong: dict[str, list[int]] = defaultdict(list)
    for cid, *flags in db.execute_sql(f"SELECT id, {tests} FROM customer ORDER BY id"):
        for column, flag in zip(FIGURES, flags, strict=True):
            if flag:
                wrong[column].append(cid)
    return [
        Problem(
            "figures",
            f"{_count(len(wrong[column]), 'customer')} "
            f"{'has' if len(wrong[column]) == 1 else 'have'} a wrong {column} "
            f"{_ids(wrong[column])}",
            True,
        )
        for column in FIGURES
        if wrong[column]
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
    wrong: list[int] = []
    try:
        with db.atomic("DEFERRED"):
            db.execute_sql("CREATE TEMP TABLE check_value AS SELECT * FROM main.customer_value")
            db.execute_sql("DELETE FROM main.customer_value")
            db.execute_sql(_rebuild_sql(as_of))
            wrong = [
                row[0]
                for row in db.execute_sql(
                    f"SELECT customer_id FROM (SELECT {columns} FROM main.customer_value "
                    f"EXCEPT SELECT {columns} FROM temp.check_value) "
                    f"UNION SELECT customer_id FROM (SELECT {columns} FROM temp.check_value "
                    f"EXCEPT SELECT {columns} FROM main.customer_value) ORDER BY 1"
                )
            ]
            raise _RollBack
    except _RollBack:
        pass
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
    kept = {
        cid: (purchases, first, last)
        for cid, purchases, first, last in db.execute_sql(
            "SELECT customer_id, purchases, first_day, last_day FROM purchase_rhythm"
        )
    }
    found = {
        cid: (purchases, first, last)
        for cid, purchases, first, last in db.execute_sql(RHYTHM_OF.format(where=""))
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
    gaps = db.execute_sql(GAP_COUNT).fetchone()[0]
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
            for row in db.execute_sql(f"SELECT {SCORE_COLUMNS} FROM attention_score")
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
            (row[0], row) for row in db.execute_sql(f"SELECT {FIGURE_COLUMNS} FROM referral_figure")
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
    before = check_book(db)
    path = book_path(db)
    if before.damaged:
        problem = next(p for p in before.problems if p.area == "file")
        hint = restore_hint(path) if path else "restore a backup"
        raise CrmError(f"{problem.text}; --repair cannot mend the file itself: {hint}")
    today = today or date.today()
    backup = backup_before(db, "before-repair")
    rebuilt = []
    with db.atomic("IMMEDIATE"):
        missing = _missing_schema(db)
        book_fts = db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'customer_fts'"
        ).fetchone()
        fts_sql = book_fts[0] if book_fts else expected_schema()["customer_fts"][2]
        for kind, _name, sql in missing:
            if kind in ("index", "trigger"):
                db.execute_sql(sql)
        recreated = [f"{kind} {name}" for kind, name, _ in missing if kind != "table"]
        if recreated:
            rebuilt.append("recreated " + ", ".join(recreated))
        if book_fts:
            db.execute_sql("DROP TABLE customer_fts")  # its index may be beyond a DELETE
        db.execute_sql(fts_sql)
        for statement in bulk_index_sql():
            db.execute_sql(statement)
        customers = db.execute_sql("SELECT count(*) FROM customer").fetchone()[0]
        rebuilt.append(f"the search index ({_count(customers, 'customer')})")
        db.execute_sql(
            "UPDATE customer SET "
            + ", ".join(f"{col} = {sql.format(cid='customer.id')}" for col, sql in FIGURES.items())
        )
        rebuilt.append(f"the figures of {_count(customers, 'customer')}")
        # Formatting every number again costs seconds in a large book: only when it was wrong.
        wrong = wrong_shown(db) if any(p.area == "phones" for p in before.problems) else []
        if wrong:
            write_shown(db, wrong)
            rebuilt.append(f"the display text of {_count(len(wrong), 'phone number')}")
        db.execute_sql("DELETE FROM meta WHERE key = 'purchase_gaps'")
        ensure_rhythms(db)
        rhythms = db.execute_sql("SELECT count(*) FROM purchase_rhythm").fetchone()[0]
        rebuilt.append(f"the purchase rhythms ({_count(rhythms, 'customer')})")
        build_duplicates(db)
        pairs = db.execute_sql("SELECT count(*) FROM duplicate_pair").fetchone()[0]
        rebuilt.append(f"the duplicate pairs ({_count(pairs, 'pair')})")
        rebuild_values(db, today)
        rebuilt.append(f"the value summary (as of {today})")
        queue = len(attention_ranking(db, today))
        rebuilt.append(f"the needs-attention scores (as of {today}: {_count(queue, 'customer')})")
        build_referral_figures(db)
        placed = db.execute_sql("SELECT count(*) FROM referral_figure").fetchone()[0]
        rebuilt.append(f"the referral figures ({_count(placed, 'customer')})")
    return Repaired(tuple(rebuilt), backup, check_book(db))
