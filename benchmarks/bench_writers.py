"""Concurrent writers on one book through the command line, on SQLite and PostgreSQL side by
side (issue 20): 8 processes started at once, each making 500 writes (`tui-crm log`, and every
50th a `tui-crm tag`, which takes a backup first) going round the same 40 customers; then
every write is looked for and `tui-crm check` run.

    python benchmarks/bench_writers.py                      # 8 × 500, both engines
    python benchmarks/bench_writers.py --writes 100 --engines postgresql

Each writer is one interpreter running `tui_crm.cli.main([...])` per write
(tests/cli/test_concurrent_writers.py, the same writers at 8 × 20): a write's time is the
command's own (parse, open the book, write, print), not the interpreter's start. The PostgreSQL
book is on a throwaway cluster (tests/postgres.py, as the tests start it: a local socket,
fsync off); the SQLite book is a file in a temporary folder.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cli.commands import run_cli  # noqa: E402
from tests.cli.test_concurrent_writers import (  # noqa: E402
    book_with_customers,
    missing_writes,
    plan_writes,
    run_writers,
)
from tests.postgres import Cluster  # noqa: E402
from tui_crm.db.database import close_database, open_database  # noqa: E402


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95)]


def measure(place: str, home: Path, args: argparse.Namespace) -> dict[str, str]:
    """The writers' run on the book at `place`: its rates and whether every write is there."""
    db = open_database(place)
    customers = book_with_customers(db, args.customers)
    close_database()
    plans = plan_writes(place, customers, args.processes, args.writes, args.tag_every)
    outcome = run_writers(home, plans)
    kinds = [w.argv[0] for plan in plans for w in plan]
    logs = [t for t, kind in zip(outcome.latencies, kinds, strict=True) if kind == "log"]
    tags = [t for t, kind in zip(outcome.latencies, kinds, strict=True) if kind == "tag"]
    db = open_database(place, create=False)
    wrong = missing_writes(db, plans, customers)
    close_database()
    checked = run_cli(home, "check", "--db", place)
    for line in [*outcome.failures[:5], *wrong[:5]]:
        print(f"  {line}", file=sys.stderr)
    if checked.returncode != 0:
        print(f"  check: {checked.stdout.strip()} {checked.stderr.strip()}", file=sys.stderr)
    there = not outcome.failures and not wrong and checked.returncode == 0
    return {
        "writes": f"{len(kinds):,}",
        "wall time": f"{outcome.seconds:.1f} s",
        "writes/s": f"{len(kinds) / outcome.seconds:,.0f}",
        "p50 per write": _ms(statistics.median(outcome.latencies)),
        "p95 per write": _ms(_p95(list(outcome.latencies))),
        "p50 / p95 log": f"{_ms(statistics.median(logs))} / {_ms(_p95(logs))}",
        "p50 / p95 tag": f"{_ms(statistics.median(tags))} / {_ms(_p95(tags))}" if tags else "-",
        "failed writes": f"{len(outcome.failures)}",
        "every write there": "yes" if there else "no",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--writes", type=int, default=500, help="per process")
    parser.add_argument("--customers", type=int, default=40, help="that every process writes to")
    parser.add_argument("--tag-every", type=int, default=50, help="every Nth write a tag (0: none)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="bench-writers-"))
    cluster = Cluster() if "postgresql" in engines else None
    results = {}
    try:
        for engine in engines:
            if engine == "postgresql":
                import psycopg

                with psycopg.connect(cluster.url(), autocommit=True) as conn:
                    conn.execute("CREATE DATABASE writers")
                place = cluster.url("writers")
            else:
                place = str(folder / "writers.db")
            print(f"{engine}: {args.processes} × {args.writes} writes …", file=sys.stderr)
            results[engine] = measure(place, folder / f"home-{engine}", args)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\n{args.processes} processes × {args.writes} writes through the command line on one "
        f"book ({args.customers} customers; every {args.tag_every}th write a tag)\n"
    )
    rows = list(next(iter(results.values())))
    print(f"| what | {' | '.join(results)} |")
    print(f"|---|{'---:|' * len(results)}")
    for row in rows:
        print(f"| {row} | {' | '.join(r[row] for r in results.values())} |")
    return 0 if all(r["every write there"] == "yes" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
