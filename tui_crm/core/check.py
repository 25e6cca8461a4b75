"""The book's health: SQLite's own checks, the schema's triggers and indexes, and everything
derived (search index, per-customer figures, value summary, purchase rhythms) against a
recomputation; and the repair that rebuilds what is derived."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from peewee import Database
from peewee import DatabaseError as PeeweeDatabaseError

from tui_crm.core.attention import ensure_rhythms
from tui_crm.core.backups import backup_before, book_path, newest_good_backup
from tui_crm.core.value import _rebuild_sql, ensure_values
from tui_crm.db.backup import integrity_problem
from tui_crm.db.database import expected_schema, read_only_uri
from tui_crm.db.derived import (
    FTS_COLUMNS,
    LAST_CONTACT,
    LAST_PURCHASE,
    LIFETIME_CENTS,
    MARK_VALUES_STALE,
    NEXT_FOLLOW_UP,
    PURCHASE_COUNT,
    SEARCH_DOC,
    bulk_index_sql,
)
from tui_crm.db.meta import meta_value
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
    area: str  # file, foreign keys, schema, search index, figures, values, rhythms
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
    the figures kept on each customer, and the value summary and purchase rhythms that are
    marked current. Reads only (the recomputed value summary is rolled back)."""
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
            *_values(db),
            *_rhythms(db),
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


class _RollBack(Exception):
    """Leaves a transaction that only recomputed something to compare, undoing it."""


def _values(db: Database) -> list[Problem]:
    """The value summary, when marked current as of a day, against one rebuilt as of that day
    (in a transaction rolled back at the end)."""
    stamp = meta_value(db, "values_as_of")
    if not stamp:
        return []
    try:
        as_of = date.fromisoformat(stamp)
    except ValueError:
        return [Problem("values", f"marked current as of '{stamp}', which is not a day", True)]
    wrong: list[int] = []
    try:
        with db.atomic("DEFERRED"):
            db.execute_sql("CREATE TEMP TABLE check_value AS SELECT * FROM main.customer_value")
            db.execute_sql("DELETE FROM main.customer_value")
            db.execute_sql(_rebuild_sql(as_of))
            wrong = [
                row[0]
                for row in db.execute_sql(
                    "SELECT customer_id FROM (SELECT * FROM main.customer_value "
                    "EXCEPT SELECT * FROM temp.check_value) "
                    "UNION SELECT customer_id FROM (SELECT * FROM temp.check_value "
                    "EXCEPT SELECT * FROM main.customer_value) ORDER BY 1"
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
    """Each customer's purchase days kept (the purchase triggers drop them when their
    purchases change) against the days counted again from their purchases."""
    kept = {
        cid: (purchases, first, last)
        for cid, purchases, first, last in db.execute_sql(
            "SELECT customer_id, purchases, first_day, last_day FROM purchase_rhythm"
        )
    }
    if not kept:
        return []
    days: dict[int, list[date]] = defaultdict(list)
    for cid, day in db.execute_sql(
        "SELECT customer_id, day FROM purchase WHERE cents > 0 "
        "AND customer_id IN (SELECT customer_id FROM purchase_rhythm)"
    ):
        days[cid].append(date.fromisoformat(str(day)[:10]))
    wrong = []
    for cid, found in sorted(kept.items()):
        distinct = sorted({day.toordinal() for day in days[cid]})
        expected = (len(distinct), distinct[0], distinct[-1]) if distinct else (0, 0, 0)
        if found != expected:
            wrong.append(cid)
    if not wrong:
        return []
    return [
        Problem(
            "rhythms",
            f"{_count(len(wrong), 'customer')} {'has' if len(wrong) == 1 else 'have'} a wrong "
            f"purchase rhythm {_ids(wrong)}",
            True,
        )
    ]


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
    customer's figures, the value summary (as of `today`) and the purchase rhythms. A damaged
    file cannot be repaired: raises CrmError naming the newest good backup to restore."""
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
        db.execute_sql(MARK_VALUES_STALE)
        ensure_values(db, today)
        rebuilt.append(f"the value summary (as of {today})")
        db.execute_sql("DELETE FROM purchase_rhythm")
        ensure_rhythms(db)
        rhythms = db.execute_sql("SELECT count(*) FROM purchase_rhythm").fetchone()[0]
        rebuilt.append(f"the purchase rhythms ({_count(rhythms, 'customer')})")
    return Repaired(tuple(rebuilt), backup, check_book(db))
