"""The same book on SQLite and on PostgreSQL, side by side (issue 20): a book built by bench.py
is copied into a throwaway PostgreSQL cluster (`tui-crm copy`'s code), then each engine answers
the same searches, ranks the queue, logs calls (one writer, then 8 processes at once) and
imports a CSV into a new book.

    python benchmarks/bench_engines.py --db /tmp/bench.db   # a book bench.py built (--keep)

Needs PostgreSQL's server programs (tests/postgres.py starts the cluster, as the tests do).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.postgres import Cluster  # noqa: E402
from tui_crm.core.attention import attention_page, attention_ranking  # noqa: E402
from tui_crm.core.copy import copy_book  # noqa: E402
from tui_crm.core.customers import get_profile, log_interaction  # noqa: E402
from tui_crm.core.query import QueryError  # noqa: E402
from tui_crm.core.search import search  # noqa: E402
from tui_crm.db.database import open_database  # noqa: E402

QUERIES = ("rob", "robert smith", "hansen oslo", "mar", "lars", "tier:gold city:oslo", "0166")
TODAY = date(2026, 12, 6)
SLOWEST: list[tuple[float, str]] = []  # (seconds, query) of each search, for the slowest


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _searches(db, runs: int, measured: bool = True) -> tuple[float, float]:
    """p50 and p95 of the searches a keystroke makes (every prefix of each query, limit 50);
    the slowest are kept from the measured runs only (the warm-up's first search builds the
    value summary)."""
    times = []
    for _ in range(runs):
        for query in QUERIES:
            for end in range(1, len(query) + 1):
                started = time.perf_counter()
                try:
                    search(db, query[:end], as_of=TODAY, limit=50)
                except QueryError:
                    continue  # "tier:g" on the way to "tier:gold": the screen says why
                times.append(time.perf_counter() - started)
                if measured:
                    SLOWEST.append((times[-1], query[:end]))
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def _queue(db) -> tuple[float, float, float]:
    """The queue's first ranking on the book as it is (after a copy it builds the buying days
    and every score), then the whole queue for a new day, then that day's first page."""
    started = time.perf_counter()
    attention_ranking(db, TODAY)
    first = time.perf_counter() - started
    started = time.perf_counter()
    attention_ranking(db, TODAY + timedelta(days=1))
    ranked = time.perf_counter() - started
    started = time.perf_counter()
    attention_page(db, TODAY + timedelta(days=1), limit=50)
    return first, ranked, time.perf_counter() - started


def _calls(db, count: int) -> float:
    """Median of a call logged and the profile read back, as the log dialog does."""
    times = []
    for n in range(count):
        customer = 1 + n * 97
        started = time.perf_counter()
        log_interaction(
            db, customer, notes="bench call", at=datetime(2026, 12, 1, 9, 0) + timedelta(minutes=n)
        )
        get_profile(db, customer, TODAY)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _writer(place: str, first: int, count: int, ready, results) -> None:
    """One of the concurrent writers: its own process and connection, `count` calls logged
    through the core on customers of its own, each timed."""
    db = open_database(place)
    ready.wait()
    started = time.perf_counter()
    times = []
    for n in range(count):
        at = datetime(2026, 12, 2, 9, 0) + timedelta(minutes=n)
        begun = time.perf_counter()
        log_interaction(db, first + n * 13, notes=f"writer {first} call {n}", at=at)
        times.append(time.perf_counter() - begun)
    results.put((started, time.perf_counter(), times))


def _writers(place: str, processes: int, count: int) -> tuple[float, float]:
    """Writes a second and the p95 of one write, with `processes` writers at once."""
    spawn = multiprocessing.get_context("spawn")
    ready, results = spawn.Barrier(processes), spawn.Queue()
    workers = [
        spawn.Process(target=_writer, args=(place, 2 + k, count, ready, results))
        for k in range(processes)
    ]
    for worker in workers:
        worker.start()
    done = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    times = sorted(t for _, _, each in done for t in each)
    wall = max(end for _, end, _ in done) - min(start for start, _, _ in done)
    return len(times) / wall, times[int(len(times) * 0.95)]


def _import(place: str, csv_file: Path) -> float:
    """Seconds to import the CSV into the new, empty book at `place`."""
    from tui_crm.core.interchange.files import import_file

    db = open_database(place)
    started = time.perf_counter()
    import_file(db, csv_file, who="bench")
    took = time.perf_counter() - started
    db.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an SQLite book bench.py built (--keep)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--writes", type=int, default=50, help="calls each of 8 writers logs")
    parser.add_argument("--import-rows", type=int, default=10_000, help="CSV rows imported")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    book = work / "book.db"
    shutil.copy(args.db, book)  # the calls logged below change it
    cluster = Cluster()
    try:
        import psycopg

        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE book")
        sqlite = open_database(book)
        started = time.perf_counter()
        server = open_database(cluster.url("book"))
        made = time.perf_counter() - started
        started = time.perf_counter()
        copied = copy_book(sqlite, server)
        took = time.perf_counter() - started
        print(f"book: {copied.summary()}")
        print(f"PostgreSQL book made (its whole schema): {_ms(made)}; copied in: {took:.1f} s")
        rows = []
        server.execute_sql("ANALYZE")  # as autovacuum would soon after a copy
        from bench_import import write_csv

        csv_file = work / "people.csv"
        write_csv(csv_file, args.import_rows, 7)
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE imported")
        fresh = {"SQLite": str(work / "imported.db"), "PostgreSQL": cluster.url("imported")}
        for name, place in (("SQLite", str(book)), ("PostgreSQL", cluster.url("book"))):
            db = open_database(place)  # the one open book, as in the app
            _searches(db, 1, measured=False)  # warm
            p50, p95 = _searches(db, args.runs)
            first, ranked, page = _queue(db)
            call = _calls(db, 20)
            db.close()
            per_second, write_p95 = _writers(place, 8, args.writes)
            imported = _import(fresh[name], csv_file)
            rows.append((name, p50, p95, ranked, page, call, per_second, write_p95, imported))
            worst = sorted(SLOWEST, reverse=True)[:3]
            print(f"{name}: slowest searches " + ", ".join(f"{q!r} {_ms(t)}" for t, q in worst))
            print(f"{name}: the queue's first ranking on the book as opened: {_ms(first)}")
            SLOWEST.clear()
        heads = ("search p50", "search p95", "queue, new day", "first page", "call + profile")
        heads += ("8 writers", "write p95", f"import {args.import_rows:,}")
        print(f"{'':12} " + " ".join(f"{h:>15}" for h in heads))
        for name, p50, p95, ranked, page, call, per_second, write_p95, imported in rows:
            shown = [_ms(p50), _ms(p95), _ms(ranked), _ms(page), _ms(call)]
            shown += [f"{per_second:,.0f} /s", _ms(write_p95), f"{imported:.1f} s"]
            print(f"{name:12} " + " ".join(f"{v:>15}" for v in shown))
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
