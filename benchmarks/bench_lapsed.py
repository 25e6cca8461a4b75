"""Measure the needs-attention queue's "stopped buying" (lapsed) reason on real purchases.

    pip download --no-deps --no-binary :all: lifetimes==0.11.3 -d /tmp/cdnow
    tar xzf /tmp/cdnow/Lifetimes-0.11.3.tar.gz -C /tmp/cdnow
    python benchmarks/bench_lapsed.py --cdnow /tmp/cdnow/Lifetimes-0.11.3/lifetimes/datasets/CDNOW_sample.txt

CDNOW (Fader & Hardie's CD-store purchase log, the BG/NBD paper's data; columns: master id,
sample id, yyyymmdd, CDs, dollars) goes into a new book: one customer per master id and every
purchase up to 1997-09-30 (the calibration period). Then, as a salesperson would ask,
`tui-crm attention --as-of 1997-09-30 --reason lapsed --limit 0` lists whom the app says
stopped buying. Among the calibration period's repeat buyers (purchases on two or more days),
the truth is "buys nothing from 1997-10-01 to 1998-06-30". Precision is the share of flagged
repeat buyers who truly buy nothing; it is compared, at the same count K, with plain recency
(the K repeat buyers with the longest silence). BG/NBD's lowest P(alive) is the other baseline
of issue 16: it needs `lifetimes`, which this project does not depend on; measure it in a
separate environment.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

CALIBRATION_END = date(1997, 9, 30)
HOLDOUT = (date(1997, 10, 1), date(1998, 6, 30))


def read_cdnow(path: Path) -> dict[str, list[tuple[date, int]]]:
    """Each customer's purchases as (day, cents)."""
    purchases: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 5:
            continue
        master, _, day, _, dollars = parts
        when = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        purchases[master].append((when, round(float(dollars) * 100)))
    return purchases


def build_book(path: Path, purchases: dict[str, list[tuple[date, int]]]) -> None:
    """A book with every customer and their calibration-period purchases (uid = master id)."""
    from tui_crm.core.bulk import bulk_load
    from tui_crm.db.database import close_database, open_database

    db = open_database(path)
    now = "1997-09-30 12:00:00"
    with bulk_load(db) as raw:
        for master in sorted(purchases):
            cursor = raw.execute_sql(
                "INSERT INTO customer (uid, first_name, last_name, source, created_at, "
                "updated_at, acquired_on) VALUES (?, 'CDNOW', ?, 'CDNOW', ?, ?, ?)",
                (master, master, now, now, min(d for d, _ in purchases[master]).isoformat()),
            )
            customer_id = cursor.lastrowid
            rows = [
                (customer_id, day.isoformat(), cents, now)
                for day, cents in purchases[master]
                if day <= CALIBRATION_END
            ]
            for row in rows:
                raw.execute_sql(
                    "INSERT INTO purchase (customer_id, day, cents, currency, created_at) "
                    "VALUES (?, ?, ?, 'USD', ?)",
                    row,
                )
    close_database()


def flagged(book: Path, home: Path) -> list[str]:
    """The uids the app lists as lapsed, as of the calibration's end (the CLI, as documented)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update(TUI_CRM_HOME=str(home), TUI_CRM_USER="bench", TUI_CRM_REGION="US")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui_crm",
            "attention",
            "--db",
            str(book),
            "--as-of",
            CALIBRATION_END.isoformat(),
            "--reason",
            "lapsed",
            "--limit",
            "0",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    ids = [row["id"] for row in csv.DictReader(io.StringIO(out))]
    import sqlite3

    conn = sqlite3.connect(book)
    try:
        uid = dict(conn.execute("SELECT id, uid FROM customer").fetchall())
    finally:
        conn.close()
    return [uid[int(i)] for i in dict.fromkeys(ids)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cdnow", type=Path, required=True, help="CDNOW_sample.txt")
    args = parser.parse_args()
    purchases = read_cdnow(args.cdnow)
    repeat = {
        m
        for m, bought in purchases.items()
        if len({d for d, _ in bought if d <= CALIBRATION_END}) >= 2
    }
    silent = {m for m in repeat if not any(HOLDOUT[0] <= d <= HOLDOUT[1] for d, _ in purchases[m])}
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "cdnow.db"
        started = time.perf_counter()
        build_book(book, purchases)
        built = time.perf_counter() - started
        started = time.perf_counter()
        listed = flagged(book, Path(tmp) / "home")
        asked = time.perf_counter() - started
    ours = [m for m in listed if m in repeat]
    k = len(ours)
    last = {m: max(d for d, _ in purchases[m] if d <= CALIBRATION_END) for m in repeat}
    by_recency = sorted(repeat, key=lambda m: (last[m], m))[:k]

    def precision(chosen: list[str]) -> str:
        return f"{sum(m in silent for m in chosen) / len(chosen):.3f}" if chosen else "—"

    rows = [
        ("customers / repeat buyers in calibration", f"{len(purchases):,} / {len(repeat):,}"),
        (
            "base rate (repeat buyers who buy nothing in the holdout)",
            f"{len(silent) / len(repeat):.3f}",
        ),
        ("flagged lapsed by the app (all / repeat buyers = K)", f"{len(listed):,} / {k:,}"),
        ("K as a share of repeat buyers", f"{k / len(repeat):.1%}" if repeat else "—"),
        ("precision of the app's lapsed at K", precision(ours)),
        ("precision of plain recency at the same K", precision(by_recency)),
        ("book built / attention asked (s)", f"{built:.1f} / {asked:.1f}"),
    ]
    width = max(len(what) for what, _ in rows)
    for what, value in rows:
        print(f"{what:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
