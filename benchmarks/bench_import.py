"""Time importing 100 000 contacts from CSV and from vCard into an empty book, beside the floor.

    python benchmarks/bench_import.py [--rows 100000] [--seed 7] [--keep DIR] [--only WHAT,...]

Every figure comes from a fresh child process that opens the book and runs one import, so
its peak RSS (getrusage of that process) is the import's own; its CPU counts the phone-number
workers the import starts as well ("+ n s in workers"). The files:

- an Outlook-shaped CSV (English headers, two emails, a mobile and a business phone, a
  business address, a multi-line note every tenth row, categories) with realistic repetition
  of names, so the probable-duplicate check has work to do;
- a vCard file shaped as Google Contacts and Apple write vCard 3.0 (types, `item1.` labels,
  folded notes, escaped commas, a PHOTO now and then), with a tenth of the cards Android's
  vCard 2.1 (QUOTED-PRINTABLE UTF-8 names and notes with soft line breaks), holding the same
  people as the CSV.

The floor is what writing those rows costs at the least: the csv module reads the file and
executemany puts the same rows (customer, its emails, phones, tags and "created" history)
into the same tables in one transaction, triggers off, the plain indexes built after the
rows, then the FTS5 search documents inserted by the statement the import uses; nothing is
validated, matched or reported. `again` imports the CSV a second time into the book the CSV
import made (every row unchanged), `dry` checks it against an empty book without writing, and
`export` writes that book as CSV and as vCard (to a buffer), and `search` times what a
salesperson types first in it (every prefix of a few queries, as each key searches): a book
just imported has no purchases, so nobody in it is gold or silver yet.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import quopri
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import print_table  # noqa: E402

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
NOTE = "Met at the fair\ncall in spring"
LONG_NOTE = (
    "Met at the Oslo trade fair, stand 14; asked about the spring range, wants samples "
    "before March and a call from the regional manager"
)
_B64 = "/9j/4AAQSkZJRgABAQAASABIAAD/4QBYRXhpZgAATU0AKgAAAAgAAgESAAMAAAABAAEAAIdpAAQAAAABAAAAJgA"
MEASURES = ("floor", "csv", "again", "dry", "vcard", "export", "search")
# What a salesperson types first in a book just imported (no purchases yet: nobody is gold),
# each key's prefix searched as the app searches it.
SEARCHES = (
    "robert smith",
    "tier:gold city:oslo",
    "tier:silver,gold c",
    "hansen",
    "sort:-value an",
    "status:lost",
)


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()


def _people(rows: int, seed: int):
    """The same people for both files."""
    rng = random.Random(seed)
    for n in range(rows):
        first = rng.choice(FIRST)
        last = rng.choice(LAST) + rng.choice(("", "-Dahl", "-Ruiz", "-Kim", "-Ng", "-Holm"))
        city, code, country = rng.choice(CITIES)
        yield {
            "n": n,
            "first": first,
            "last": last,
            "city": city,
            "code": code,
            "country": country,
            "work_phone": f"+47 22{rng.randrange(100000, 999999)}",
            "mobile": f"+47 9{rng.randrange(1000000, 9999999)}",
            "email": f"{_ascii(first)}.{n}@example.com",
            "email2": f"{n}@home.example.org",
            "birthday": (rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(1950, 2000)),
        }


def write_csv(path: Path, rows: int, seed: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for p in _people(rows, seed):
            n = p["n"]
            note = f'"{NOTE}"'.replace("\n", "\r\n") if n % 10 == 0 else "Regular"
            month, day, year = p["birthday"]
            out.write(
                f"{p['first']},{p['last']},Firm {n % 5000},Buyer,{n} Main Street,{p['city']},"
                f"{p['code']},{p['country']},{p['work_phone']},{p['mobile']},"
                f"{p['email']},{p['email2']},{month}/{day}/{year},Key;VIP,{note}\r\n"
            )


def _fold(line: str) -> str:
    """As exporters fold: 75 characters, then CRLF and a space."""
    pieces = [line[:75]] + [" " + line[i : i + 74] for i in range(75, len(line), 74)]
    return "\r\n".join(pieces) + "\r\n"


def _qp(text: str) -> str:
    """QUOTED-PRINTABLE as Android writes it: UTF-8, soft line breaks at 76."""
    return quopri.encodestring(text.encode("utf-8")).decode("ascii").replace("\n", "\r\n")


def _card(p: dict, rng: random.Random) -> str:
    n = p["n"]
    month, day, year = p["birthday"]
    first, last = p["first"], p["last"]
    if n % 10 == 9:  # Android, vCard 2.1
        lines = [
            "BEGIN:VCARD",
            "VERSION:2.1",
            f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(last)};{_qp(first)};;;",
            f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(f'{first} {last}')}",
            f"TEL;CELL;PREF:{p['mobile']}",
            f"TEL;WORK:{p['work_phone']}",
            f"EMAIL;HOME:{p['email']}",
            f"ORG:Firm {n % 5000}",
            f"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(LONG_NOTE + ' — ' + last)}",
            "END:VCARD",
        ]
        return "".join(line + "\r\n" for line in lines)
    address = f";;{n} Main Street;{p['city']};;{p['code']};{p['country']}"
    if n % 10 in (7, 8):  # Apple
        lines = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "PRODID:-//Apple Inc.//macOS 14.2//EN",
            f"N:{last};{first};;;",
            f"FN:{first} {last}",
            f"ORG:Firm {n % 5000};",
            "TITLE:Buyer",
            f"item1.EMAIL;type=INTERNET;type=pref:{p['email']}",
            "item1.X-ABLabel:_$!<Other>!$_",
            f"EMAIL;type=INTERNET;type=HOME:{p['email2']}",
            f"TEL;type=CELL;type=VOICE;type=pref:{p['mobile']}",
            f"TEL;type=WORK;type=VOICE:{p['work_phone']}",
            f"item2.ADR;type=WORK;type=pref:{address}",
            "item2.X-ABADR:no",
            f"BDAY;VALUE=date:{year:04d}-{month:02d}-{day:02d}",
            "CATEGORIES:Key,VIP",
        ]
        text = "".join(_fold(line) for line in lines)
        if n % 100 == 7:
            text += _fold("PHOTO;ENCODING=b;TYPE=JPEG:" + _B64 * 40)
        return text + "END:VCARD\r\n"
    lines = [  # Google Contacts
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:{first} {last}",
        f"N:{last};{first};;;",
        f"EMAIL;TYPE=INTERNET;TYPE=WORK:{p['email']}",
        f"EMAIL;TYPE=INTERNET;TYPE=HOME:{p['email2']}",
        f"TEL;TYPE=CELL:{p['mobile']}",
        f"TEL;TYPE=WORK:{p['work_phone']}",
        f"ADR;TYPE=WORK:{address}",
        f"ORG:Firm {n % 5000}",
        "TITLE:Buyer",
        f"BDAY:{year:04d}-{month:02d}-{day:02d}",
        f"item1.URL:https\\://firm{n % 5000}.example",
        "item1.X-ABLabel:",
        "CATEGORIES:myContacts,Key,VIP",
    ]
    if n % 10 == 0:
        lines.append("NOTE:" + LONG_NOTE.replace(",", "\\,").replace(";", "\\;") + "\\nCall back")
    return "".join(_fold(line) for line in lines) + "END:VCARD\r\n"


def write_vcards(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed + 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        for p in _people(rows, seed):
            out.write(_card(p, rng))


# --- what each child process measures ---------------------------------------------------------


def _floor(db, path: Path) -> str:
    """csv + executemany into the same tables + the FTS5 insert (see the module's docstring)."""
    from tui_crm.core.bulk import Rebuild, bulk_load
    from tui_crm.core.customers import new_uid

    at = "2026-12-05 10:00:00"
    customers, emails, phones, links, history = [], [], [], [], []
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        next(reader)
        for cid, cells in enumerate(reader, start=1):
            first, last, company, title, street, city, code, country = cells[:8]
            customers.append(
                (cid, new_uid(), first, last, company, title, street, city, code, country)
                + (cells[14], 1, at, at)
            )
            emails += [(cid, "work", cells[10], 0), (cid, "other", cells[11], 1)]
            phones += [(cid, "work", cells[8], cells[8][4:], 0)]
            phones += [(cid, "mobile", cells[9], cells[9][4:], 1)]
            links += [(cid, 1), (cid, 2)]
            history.append((cid, at, "bench", "created", f"{first} {last}", 1))
    tables = ("customer", "customer_email", "customer_phone", "customer_tag", "customer_change")
    plain = [
        (name, sql)
        for name, sql in db.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join('?' * len(tables))})",
            tables,
        )
    ]
    conn = db.connection()
    with db.atomic("IMMEDIATE"), bulk_load(db, Rebuild(search=True)):
        for name, _ in plain:
            db.execute_sql(f'DROP INDEX "{name}"')
        conn.executemany(
            "INSERT INTO customer (id, uid, first_name, last_name, company, job_title, street, "
            "city, postal_code, country, notes, version, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            customers,
        )
        conn.executemany(
            "INSERT INTO customer_email (customer_id, label, address, position) "
            "VALUES (?, ?, ?, ?)",
            emails,
        )
        conn.executemany(
            "INSERT INTO customer_phone (customer_id, label, number, national, position) "
            "VALUES (?, ?, ?, ?, ?)",
            phones,
        )
        conn.executemany("INSERT INTO tag (id, name) VALUES (?, ?)", [(1, "key"), (2, "vip")])
        conn.executemany("INSERT INTO customer_tag (customer_id, tag_id) VALUES (?, ?)", links)
        conn.executemany(
            "INSERT INTO customer_change (customer_id, at, who, field, old, new, version) "
            "VALUES (?, ?, ?, ?, NULL, ?, ?)",
            history,
        )
        for _, sql in plain:
            db.execute_sql(sql)
    return f"{len(customers):,} rows written"


def measure(what: str, path: Path, book: Path) -> dict:
    """Run one measurement in this process (a fresh child) and return its figures."""
    from tui_crm.core import config
    from tui_crm.core.interchange.files import export_customers, import_file
    from tui_crm.db.database import close_database, open_database

    config.settings.cache_clear()
    db = open_database(book)
    started, cpu = time.perf_counter(), time.process_time()
    if what == "floor":
        result = _floor(db, path)
    elif what == "search":
        result = _searches(db)
    elif what in ("export-csv", "export-vcard"):
        written = export_customers(db, "", what.split("-")[1], io.StringIO())
        result = written.summary("rows" if what == "export-csv" else "cards")
    else:
        dry = what == "dry"
        result = import_file(db, path, who="bench", dry_run=dry).summary().split(": ", 1)[-1]
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    close_database()
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "cpu": cpu,
        "workers": workers.ru_utime + workers.ru_stime,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # KiB on Linux
        "result": result,
    }


def _searches(db) -> str:
    """Every prefix of SEARCHES searched (the first 50 rows, as a key asks): p50/p95/max."""
    from contextlib import suppress
    from datetime import date

    from tui_crm.core.search import search
    from tui_crm.errors import CrmError

    times: list[tuple[float, str]] = []
    for text in SEARCHES:
        for end in range(1, len(text) + 1):
            started = time.perf_counter()
            with suppress(CrmError):  # a qualifier half typed: said at once
                search(db, text[:end], as_of=date.today(), limit=50)
            times.append((time.perf_counter() - started, text[:end]))
    ordered = sorted(times)
    p50, p95 = ordered[len(ordered) // 2][0], ordered[int(len(ordered) * 0.95)][0]
    slowest, text = ordered[-1]
    return (
        f"{len(times)} keys: p50 {p50 * 1000:.1f} / p95 {p95 * 1000:.1f} ms, "
        f"slowest {slowest * 1000:.1f} ms ({text!r})"
    )


def _child(what: str, path: Path, book: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--file", str(path), "--book", str(book)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def _fresh(book: Path) -> Path:
    for leftover in book.parent.glob(book.name + "*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    return book


def _shown(figures: dict) -> str:
    workers = f" (+{figures['workers']:.1f} s in workers)" if figures["workers"] >= 0.05 else ""
    return (
        f"{figures['wall']:6.2f} s wall  {figures['cpu']:6.2f} s CPU{workers:<24}"
        f"{figures['rss'] / 2**20:5.0f} MB peak   {figures['result']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the files and books here (else removed)")
    parser.add_argument("--only", default=",".join(MEASURES), help="some of " + ",".join(MEASURES))
    parser.add_argument(
        "--measure", choices=(*MEASURES, "export-csv", "export-vcard"), help=argparse.SUPPRESS
    )
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--book", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.file, args.book)))
        return 0
    wanted = [what for what in MEASURES if what in args.only.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    contacts, cards = folder / "contacts.csv", folder / "contacts.vcf"
    write_csv(contacts, args.rows, args.seed)
    if "vcard" in wanted:
        write_vcards(cards, args.rows, args.seed)
    rows: list[tuple[str, str]] = []
    try:
        for what in wanted:
            if what == "floor":
                figures = _child("floor", contacts, _fresh(folder / "floor.db"))
                rows.append(("floor: csv + executemany + FTS5", _shown(figures)))
            elif what == "csv":
                figures = _child("csv", contacts, _fresh(folder / "book.db"))
                rows.append(("import the CSV into an empty book", _shown(figures)))
            elif what in ("again", "export", "search"):
                if not (folder / "book.db").exists():
                    _child("csv", contacts, _fresh(folder / "book.db"))
                if what == "again":
                    figures = _child("again", contacts, folder / "book.db")
                    rows.append(("the same CSV again (unchanged)", _shown(figures)))
                if what == "search":
                    figures = _child("search", contacts, folder / "book.db")
                    rows.append(("searches in that book, key by key", _shown(figures)))
                for kind in ("csv", "vcard") if what == "export" else ():
                    figures = _child(f"export-{kind}", contacts, folder / "book.db")
                    rows.append((f"export that book as {kind}", _shown(figures)))
            elif what == "dry":
                figures = _child("dry", contacts, _fresh(folder / "dry.db"))
                rows.append(("dry run of the CSV, empty book", _shown(figures)))
            else:
                figures = _child("vcard", cards, _fresh(folder / "cards.db"))
                rows.append(("import the vCards into an empty book", _shown(figures)))
    finally:
        if not args.keep:
            shutil.rmtree(folder)  # about 700 MB for 100 000 rows
    sizes = f"CSV {contacts.stat().st_size / 1e6:.1f} MB" if args.keep else ""
    title = f"{args.rows:,} contacts, {os.cpu_count()} CPUs {sizes}".rstrip()
    print_table(title, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
