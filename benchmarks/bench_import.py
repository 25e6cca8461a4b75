"""Time importing a large contacts CSV into an empty book, importing it again, and exporting it.

    python benchmarks/bench_import.py [--rows 100000] [--seed 7] [--keep DIR]

The file is shaped like an Outlook export (English headers, two emails, a mobile and a
business phone, a business address, a multi-line note every tenth row, categories) with
realistic repetition of names, so the probable-duplicate check has work to do. The table shows
parsing alone, a dry run, the real import (target <= 15 s for 100 000 rows on a 2-core
machine), importing the same file again (everything unchanged), a CSV export of the whole
book and a vCard export of it.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from tui_crm.core import config
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv
from tui_crm.core.interchange.files import export_customers, import_file
from tui_crm.core.interchange.text import read_source
from tui_crm.db.database import close_database, open_database

FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "Anna",
    "Lars",
    "Ingrid",
    "Ole",
    "Kari",
    "Jürgen",
    "Zoë",
]
LAST = [
    f"{stem}{suffix}"
    for stem in ["Smith", "Berg", "Hansen", "Müller", "Nilsen", "Lee", "Brown", "Olsen"]
    for suffix in ("", "son", "sen", "er", "ley", "ström", "ini", "ez", "ova", "ak")
]
CITIES = [
    ("Oslo", "0155", "Norway"),
    ("Bergen", "5003", "Norway"),
    ("Springfield", "62701", "United States"),
]
HEADER = (
    "First Name,Last Name,Company,Job Title,Business Street,Business City,Business Postal Code,"
    "Business Country/Region,Business Phone,Mobile Phone,E-mail Address,E-mail 2 Address,"
    "Birthday,Categories,Notes"
)


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()


def write_file(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for n in range(rows):
            first = rng.choice(FIRST)
            last = rng.choice(LAST) + rng.choice(("", "-Dahl", "-Ruiz", "-Kim", "-Ng", "-Holm"))
            city, code, country = rng.choice(CITIES)
            note = '"Met at the fair\r\ncall in spring"' if n % 10 == 0 else "Regular"
            out.write(
                f"{first},{last},Firm {n % 5000},Buyer,{n} Main Street,{city},{code},{country},"
                f"+47 22{rng.randrange(100000, 999999)},+47 9{rng.randrange(1000000, 9999999)},"
                f"{_ascii(first)}.{n}@example.com,{n}@home.example.org,"
                f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}/{rng.randrange(1950, 2000)},"
                f"Key;VIP,{note}\r\n"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the file and book here (else removed)")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    config.settings.cache_clear()
    path = folder / "contacts.csv"
    write_file(path, args.rows, args.seed)
    book = folder / "book.db"
    book.unlink(missing_ok=True)
    db = open_database(book)
    results: list[tuple[str, float, str]] = []

    def timed(name: str, action) -> None:
        started = time.perf_counter()
        outcome = action()
        results.append((name, time.perf_counter() - started, outcome))

    timed("parse only", lambda: f"{len(parse_contacts_csv(read_source(path)).rows):,} rows")
    timed("dry run", lambda: import_file(db, path, dry_run=True).summary().split(": ", 1)[-1])
    timed("import into an empty book", lambda: import_file(db, path).summary().split(": ", 1)[-1])
    timed("the same file again", lambda: import_file(db, path).summary().split(": ", 1)[-1])
    timed("export csv", lambda: export_customers(db, "", "csv", io.StringIO()).summary("rows"))
    timed("export vcard", lambda: export_customers(db, "", "vcard", io.StringIO()).summary("cards"))
    close_database()
    size = path.stat().st_size / 1e6
    print(f"{args.rows:,} rows, {size:.1f} MB Outlook-shaped CSV, {folder if args.keep else ''}")
    if not args.keep:
        shutil.rmtree(folder)  # about 200 MB for 100 000 rows
    print(f"{'what':<28} {'seconds':>8}  result")
    for name, seconds, outcome in results:
        print(f"{name:<28} {seconds:>8.2f}  {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
