"""Time the "nothing deleted is gone" features on a large book: backups, check, restore, undo,
the trash and corrections.

    python benchmarks/bench_safety.py [--db PATH] [--runs 3] [--budget 120] [--trash 1000]
                                      [--customers 100000] [--interactions 1000000]
                                      [--purchases 300000] [--seed 20260101]

With --db (a book such as the one `bench.py --keep` leaves) the file is copied into a
temporary folder and only the copy is touched; the given file is never opened. Without it a
book is built there with bench.py's builder (--customers, --interactions, --purchases,
--seed). Settings and backups stay in that temporary folder (TUI_CRM_HOME, user "bench").

Each step runs --runs times and the table shows the median; a slow step stops repeating
once its runs have taken --budget seconds. Steps that write (backups, repair, restore,
merges, the trash, corrections) run in this order on the same copy, so each sees what the
ones before it left. Targets on a 2-core machine with a 100 000-customer book (~450 MB):
backup_now and the daily backup <= 30 s, backup_if_due when none is due <= 5 ms,
list_backups of 5 <= 50 ms, check_book <= 60 s, repair_book <= 120 s, restore_from <= 60 s,
BookClock.reading <= 20 µs a call (the app polls it every second), a merge of two ordinary
customers <= its backup + 200 ms and its undo <= 200 ms, trash_list of 1 000 customers
<= 1 s, restore_from_trash <= 50 ms, delete_interaction and edit_purchase <= 20 ms even on
the customer with the most rows (the triggers update one customer's figures, not the book's).
"""

# ruff: noqa: E402 - the settings folder is chosen before tui_crm is imported

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Settings (retention of backups, the user the undo journal names) come from a private
# folder: set before anything that reads the configuration is imported.
WORK = Path(tempfile.mkdtemp(prefix="tui-crm-bench-safety-"))
os.environ["TUI_CRM_HOME"] = str(WORK / "home")
os.environ["TUI_CRM_USER"] = "bench"
os.environ.pop("TUI_CRM_DB", None)

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bench import build  # benchmarks/ is on the path when run as a script
from report import print_table

from tui_crm.core import config
from tui_crm.core import merge as merge_module
from tui_crm.core.attention import ensure_rhythms
from tui_crm.core.backups import backup_if_due, backup_now, list_backups, restore_from
from tui_crm.core.book import BookClock
from tui_crm.core.check import check_book, repair_book
from tui_crm.core.corrections import delete_interaction, edit_purchase
from tui_crm.core.customers import trash_customer
from tui_crm.core.fields import normalize_email, parse_phone
from tui_crm.core.merge import merge, merge_preview
from tui_crm.core.trash import restore_from_trash, trash_list
from tui_crm.core.undo import newest_step, undo_last
from tui_crm.core.value import ensure_values
from tui_crm.db import migrations
from tui_crm.db.backup import integrity_problem
from tui_crm.db.database import check_file, close_database, open_database, read_only_uri
from tui_crm.errors import CrmError
from tui_crm.paths import backup_dir_for

WHO = "bench"
COUNTER_CALLS = 10_000  # BookClock.reading calls per batch
BACKUPS_LISTED = 5

# Ordinary customers: live, a handful of interactions and a purchase or two, not anyone's
# referrer. Spread over the book by the id's remainder.
ORDINARY = """
SELECT c.id FROM customer c
WHERE c.deleted_at IS NULL AND c.id % 7 = 3
  AND (SELECT count(*) FROM interaction i WHERE i.customer_id = c.id) BETWEEN 5 AND 20
  AND (SELECT count(*) FROM purchase p WHERE p.customer_id = c.id) BETWEEN 1 AND 5
  AND NOT EXISTS (SELECT 1 FROM customer r WHERE r.referred_by_id = c.id)
ORDER BY c.id LIMIT ?
"""


def _mergeable(db, customer_id: int) -> bool:
    """Every stored address and number passes the checks a merge makes of the survivor's.
    bench.py's rows go in raw: people at a company get a work address without a top-level
    domain ("ola@nordtools") and some numbers are not valid for their country, which the
    merge refuses (nothing changes)."""
    try:
        for (address,) in db.execute_sql(
            "SELECT address FROM customer_email WHERE customer_id = ?", (customer_id,)
        ):
            normalize_email(address)
        for (number,) in db.execute_sql(
            "SELECT number FROM customer_phone WHERE customer_id = ?", (customer_id,)
        ):
            parse_phone(number, config.settings().region)
    except CrmError:
        return False
    return True


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB"


def _said(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.01:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1000:.2f} ms"


class Timer:
    """Runs a step up to `runs` times (fewer once they took `budget` seconds); keeps medians."""

    def __init__(self, runs: int, budget: float):
        self.runs, self.budget = runs, budget
        self.out: list[tuple[str, str]] = []

    def median(
        self, run: Callable[[int], Any], runs: int | None = None
    ) -> tuple[float, int, list[Any]]:
        samples, results = [], []
        for n in range(runs or self.runs):
            started = time.perf_counter()
            results.append(run(n))
            samples.append(time.perf_counter() - started)
            if sum(samples) > self.budget:
                break
        return statistics.median(samples), len(samples), results

    def row(self, name: str, seconds: float | None = None, runs: int = 1, note: str = "") -> None:
        label = f"{name} (median of {runs})" if runs > 1 else name
        value = _said(seconds) if seconds is not None else ""
        self.out.append((label, f"{value}  {note}".strip()))

    def step(self, name: str, run: Callable[[int], Any], runs: int | None = None) -> list[Any]:
        seconds, done, results = self.median(run, runs)
        self.row(name, seconds, done)
        return results


def _copy_book(source: Path, target: Path) -> None:
    """The file and, when it has one with something in it, its write-ahead log: a copy of
    what is committed, without opening the original (not even read-only: that can leave a
    -shm file beside it)."""
    shutil.copy(source, target)
    wal = Path(f"{source}-wal")
    if wal.exists() and wal.stat().st_size:
        shutil.copy(wal, Path(f"{target}-wal"))


def _counts(db) -> tuple[int, int, int]:
    return tuple(
        db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("customer", "interaction", "purchase")
    )


def _check_seconds(path: Path, check: str) -> float:
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        started = time.perf_counter()
        problem = integrity_problem(conn, check)
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    if problem:
        raise SystemExit(f"{path} failed its integrity check: {problem}")
    return seconds


def _backups(timer: Timer, path: Path) -> int:
    """The daily backup (due: none yet), backup_now, list_backups; the size of one backup."""
    seconds, _, (daily,) = timer.median(lambda _: backup_if_due(path), runs=1)
    assert daily is not None, "the daily backup was not due"
    timer.row("backup_if_due, due (none yet): daily backup taken", seconds)
    seconds, runs, _ = timer.median(lambda _: backup_if_due(path), runs=20)
    timer.row("backup_if_due, not due (one from today)", seconds, runs)
    taken = timer.step(
        "backup_now: online backup + quick_check of the copy + rotation",
        lambda _: backup_now(path),
    )
    newest = taken[-1]
    size = newest.stat().st_size
    timer.row("  of which PRAGMA quick_check of the copy", _check_seconds(newest, "quick_check"))
    timer.row(
        "  (a full integrity_check of it would take)", _check_seconds(newest, "integrity_check")
    )
    while len(list_backups(path)) < BACKUPS_LISTED:
        backup_now(path)
    listed = timer.step(
        f"list_backups, {len(list_backups(path))} backups (customers counted in each)",
        lambda _: list_backups(path),
        runs=10,
    )
    assert all(one.good for one in listed[-1])
    return size


def _clock_reading(timer: Timer, db) -> None:
    clock = BookClock(db)
    per_call, runs, _ = timer.median(
        lambda _: [clock.reading() for _ in range(COUNTER_CALLS)], runs=5
    )
    clock.close()
    timer.out.append(
        (
            f"BookClock.reading (PRAGMA data_version), per call over {COUNTER_CALLS:,} "
            f"(median of {runs})",
            f"{per_call / COUNTER_CALLS * 1_000_000:.1f} µs",
        )
    )


def _check_and_repair(timer: Timer, db) -> None:
    health = timer.step("check_book", lambda _: check_book(db))[-1]
    if not health.healthy:
        raise SystemExit(
            "check_book found problems: " + "; ".join(p.line() for p in health.problems)
        )
    repaired = timer.step(
        "repair_book: backup + rebuild search index, figures, values, rhythms + check",
        lambda _: repair_book(db),
    )[-1]
    assert repaired.health.healthy, repaired.health.problems


def _restore(timer: Timer, db, path: Path) -> None:
    """Restores of a backup of the book as it is, so the steps after see the same book. The
    backup is reached through a second link: the restores' own backups rotate it away."""
    source = WORK / "restore-source.db"
    os.link(backup_now(path), source)
    restored = timer.step(
        "restore_from a backup: backup of the book + copy into it (one transaction)",
        lambda _: restore_from(path, source),
    )[-1]
    assert restored.customers == _counts(db)[0]


def _merges(timer: Timer, db, runs: int) -> None:
    """Merges of ordinary pairs, each undone at once (so the book goes on as it was): with
    the backup the merge takes first, then the same pairs again without it."""
    ids = [row[0] for row in db.execute_sql(ORDINARY, (50 * runs,)) if _mergeable(db, row[0])]
    pairs = list(zip(ids[::2], ids[1::2], strict=False))
    if len(pairs) < runs:
        raise SystemExit(f"only {len(pairs)} pairs of ordinary customers found for the merges")
    moved: list[int] = []

    def merge_and_undo(n: int) -> tuple[float, float]:
        """Seconds the merge took and its undo (the preview it is based on is not timed)."""
        survivor, other = pairs[n]
        preview = merge_preview(db, survivor, other)
        before = newest_step(db)
        started = time.perf_counter()
        result = merge(
            db,
            survivor,
            other,
            survivor_version=preview.survivor_version,
            other_version=preview.other_version,
            who=WHO,
        )
        merged = time.perf_counter()
        undo_last(db, who=WHO, after=before)
        moved.append(sum(count for _, count in result.moved))
        return merged - started, time.perf_counter() - merged

    _, done, times = timer.median(merge_and_undo, runs=runs)
    timer.row(
        f"merge of two ordinary customers ({statistics.median(moved):.0f} rows moved), "
        "end to end: before-merge backup + merge",
        statistics.median(merged for merged, _ in times),
        done,
    )
    real_backup = merge_module.backup_before
    merge_module.backup_before = lambda _db, _reason: None
    try:
        _, alone_done, alone = timer.median(merge_and_undo, runs=done)
    finally:
        merge_module.backup_before = real_backup
    timer.row(
        "  of which the merge itself (same pairs again, backup skipped)",
        statistics.median(merged for merged, _ in alone),
        alone_done,
    )
    undos = [undone for _, undone in times + alone]
    timer.row(
        "undo_last of the merge (everything moved goes back)", statistics.median(undos), len(undos)
    )


def _trash(timer: Timer, db, count: int, runs: int) -> None:
    rows = db.execute_sql(
        "SELECT id, version FROM customer WHERE deleted_at IS NULL AND id % 100 = 7 "
        "ORDER BY id LIMIT ?",
        (count,),
    ).fetchall()
    started = time.perf_counter()
    for cid, version in rows:
        trash_customer(db, cid, expected_version=version, who=WHO)
    each = (time.perf_counter() - started) / len(rows)
    timer.row(f"trash_customer, {len(rows):,} customers one by one: each (mean)", each)
    listed = timer.step(
        f"trash_list, {len(rows):,} customers in the trash", lambda _: trash_list(db)
    )[-1]
    assert len(listed) == len(rows), (len(listed), len(rows))
    timer.step(
        "restore_from_trash of one (deleted) customer",
        lambda n: restore_from_trash(db, listed[n].id, expected_version=listed[n].version, who=WHO),
        runs=runs,
    )


def _corrections(timer: Timer, db, runs: int) -> None:
    live = "customer_id IN (SELECT id FROM customer WHERE deleted_at IS NULL)"
    busiest, calls = db.execute_sql(
        f"SELECT customer_id, count(*) AS n FROM interaction WHERE {live} "
        "GROUP BY customer_id ORDER BY n DESC LIMIT 1"
    ).fetchone()
    buyer, bought = db.execute_sql(
        f"SELECT customer_id, count(*) AS n FROM purchase WHERE {live} "
        "GROUP BY customer_id ORDER BY n DESC LIMIT 1"
    ).fetchone()
    rng = random.Random(7)

    def some(table: str, where: str, n: int) -> list[tuple[int, int, int]]:
        rows = db.execute_sql(
            f"SELECT id, version, {'cents' if table == 'purchase' else '0'} FROM {table} "
            f"WHERE {where} ORDER BY id LIMIT 2000"
        ).fetchall()
        return rng.sample(rows, n)

    spread = "id % 53 = 5"  # rows from all over the book
    for table, where, what in (
        ("interaction", f"{live} AND {spread}", "an ordinary interaction"),
        ("interaction", f"customer_id = {busiest}", f"one of the busiest customer's {calls:,}"),
    ):
        picked = some(table, where, runs)
        timer.step(
            f"delete_interaction: {what}",
            lambda n, picked=picked: delete_interaction(
                db, picked[n][0], expected_version=picked[n][1], who=WHO
            ),
            runs=runs,
        )
    for table, where, what in (
        ("purchase", f"{live} AND {spread} AND cents > 0", "an ordinary purchase"),
        (
            "purchase",
            f"customer_id = {buyer} AND cents > 0",
            f"one of the biggest buyer's {bought:,}",
        ),
    ):
        picked = some(table, where, runs)
        timer.step(
            f"edit_purchase (amount): {what}",
            lambda n, picked=picked: edit_purchase(
                db,
                picked[n][0],
                {"amount": picked[n][2] + 100},
                expected_version=picked[n][1],
                who=WHO,
            ),
            runs=runs,
        )


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        close_database()
        shutil.rmtree(WORK, ignore_errors=True)


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a book to copy (default: build one)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--runs", type=int, default=3, help="runs per step (median shown)")
    parser.add_argument(
        "--budget", type=float, default=120.0, help="seconds after which a step stops repeating"
    )
    parser.add_argument("--trash", type=int, default=1000, help="customers moved to the trash")
    args = parser.parse_args(argv)
    config.settings.cache_clear()
    if args.db and not args.db.is_file():
        print(f"no book at {args.db}", file=sys.stderr)
        return 2

    path = WORK / "bench.db"
    today = date.today()
    timer = Timer(args.runs, args.budget)
    started = time.perf_counter()
    if args.db:
        _copy_book(args.db, path)
        timer.row(f"copy of {args.db} (not a feature: setup)", time.perf_counter() - started)
        version = check_file(path)
        started = time.perf_counter()
        db = open_database(path)
        timer.row(
            f"open_database: schema {version} to {migrations.LATEST}, after a backup (setup)"
            if version < migrations.LATEST
            else "open_database (setup)",
            time.perf_counter() - started,
        )
    else:
        db = open_database(path)
        build(db, args, today)
        timer.row("build with bench.py's builder (setup)", time.perf_counter() - started)
    # As a book in daily use has them: the value summary and the purchase rhythms current.
    ensure_values(db, today)
    ensure_rhythms(db)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.rmtree(backup_dir_for(path), ignore_errors=True)  # none yet: the daily one is due
    customers, interactions, purchases = _counts(db)
    book_size = path.stat().st_size

    _clock_reading(timer, db)
    backup_size = _backups(timer, path)
    _check_and_repair(timer, db)
    _restore(timer, db, path)
    _merges(timer, db, args.runs)
    _trash(timer, db, args.trash, args.runs)
    _corrections(timer, db, args.runs)

    print_table(
        f"tui-crm safety benchmark: {customers:,} customers, {interactions:,} interactions, "
        f"{purchases:,} purchases; book {_mb(book_size)}, one backup {_mb(backup_size)}; "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs",
        timer.out,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
