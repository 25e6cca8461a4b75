"""Time finding duplicate candidates across a large book and check the planted ones are found.

    python benchmarks/bench_duplicates.py [--customers 100000] [--planted 1000] [--runs 3]
                                          [--db PATH] [--reuse] [--seed 7]

The book has realistic name frequencies: first names from the `nicknames` dataset and some
40 000 surnames, both drawn with long-tailed (Zipf-like) weights, so common names repeat as
they do in a real book of that size (dozens of James Smiths) and most names are rare. Then
`--planted` customers get a second record, as imports and hurried typing make them: the same
email under a nickname, the same phone, a nickname at the same company, a typo in a name,
accents dropped with the same birthday, or a nickname with nothing else in common. The table
shows how long reading the pairs takes as the Duplicates screen reads them: the first read
after a bulk load (everything kept for them built whole, once; beside it the whole computation
as it ran before the pairs were kept), a read with nothing changed, a read after one customer's
name was edited and one after a customer was added (target <= 100 ms at 100 000 customers on
a 2-core machine), each beside its floor: the kept pairs read raw (one SELECT through a plain
sqlite3 connection, same run). Then how many pairs it lists by reason, how many planted pairs
it finds, and how long previewing and merging one pair takes (the merge is rolled back).

`--reuse` also takes a book made by benchmarks/bench.py (`--db PATH --keep`): without the
planted pairs (no PATH.planted beside it) only the timings and the pairs listed are shown.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from bench import Floor, insert_rows  # benchmarks/ is on the path when run as a script

from tui_crm.core.bulk import bulk_load
from tui_crm.core.customers import create_customer, update_customer
from tui_crm.core.duplicates import duplicate_pairs_from_scratch, find_duplicate_pairs
from tui_crm.core.merge import merge, merge_preview
from tui_crm.db.database import close_database, open_database
from tui_crm.db.phones import format_phone
from tui_crm.db.sqlite.duplicates import SqliteDuplicates
from tui_crm.db.store.duplicates import READ_SQL
from tui_crm.errors import ValidationError


def _words(text: str) -> list[str]:
    """Names from a line of text; an underscore joins the words of one name (van den Berg)."""
    return [word.replace("_", " ") for word in text.split()]


ROOTS = _words(
    "ash bark bell birch black brad brook brown bur cald cam car chap clay cliff cole "
    "cran crom dal dar dean dun ed el fair fen field fin fox gar glen gold gray green hal "
    "ham hart haw hay heath hol hum kel ken kim kings lang lin lock long mar mead mil mor "
    "nor oak pen pres rad ram red ridge ross rud rut sand shel sher stan stock stone sum "
    "thorn tal tem war wal wat wel wend west whit wick wil win wood wor yar"
)
ENDINGS = (
    "", "s", "son", "sen", "sson", "ton", "ley", "ly", "by", "well", "wood", "ford", "field",
    "man", "mann", "er", "ner", "ing", "ings", "ham", "stead", "worth", "more", "berg", "strom",
    "dale", "hurst", "ridge", "combe", "sky", "ski", "ek", "ini", "elli", "ez", "ard", "ot",
)  # fmt: skip
REAL_LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson Anderson "
    "Taylor Thomas Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Andersson Johansson Karlsson "
    "Nilsson Eriksson Dubois Lefèvre Moreau Rossi Russo Ferrari Esposito Nowak Kowalski "
    "Wiśniewski Jansen de_Vries van_den_Berg García Fernández López Sánchez Pérez Gómez "
    "O'Brien O'Connor Murphy Kelly Walsh Byrne Ryan Nguyen Tran Kim Park Chen Wang Li Zhang"
)
CITIES = _words(
    "Oslo Bergen Stockholm Göteborg London Leeds Berlin München Paris Lyon Madrid Roma "
    "Milano Warszawa Amsterdam Boston Chicago Austin Seattle Denver Dublin Toronto"
)
COMPANY_WORDS = _words(
    "Nord Blue Keystone Atlas Green Pixel Harbor Summit Vega Copper Fjord Maple River Stone "
    "Oak Iron Bright Rapid Royal Urban Polar Alpine Coastal Crown"
)
COMPANY_NOUNS = _words(
    "Tools Logistics Dental Bakery Architects Consulting Farms Studio Medical Traders "
    "Shipping Systems Foods Energy Labs Textiles Motors Partners Robotics Hotels"
)
HOSTS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com")
ACCENTS = str.maketrans("äöüåéèáíóúñśłø", "aouaeeaiounslo")

COLUMNS = (
    "id, first_name, last_name, company, city, birthday, gender, street, postal_code, "
    "created_at, updated_at"
)


def _names() -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(first names, surnames, nicknames of each first name) from the nicknames dataset and
    surnames composed from roots and endings, most frequent first."""
    from nicknames import NickNamer

    namer = NickNamer()
    formal = sorted(namer.nickname_lookup)
    rng = random.Random(1)
    rng.shuffle(formal)
    nicks = {
        name: sorted(n for n in namer.nicknames_of(name) if len(namer.canonicals_of(n)) == 1)
        for name in formal
    }
    surnames = list(REAL_LAST)
    seen = {s.lower() for s in surnames}
    # Root + ending (Ashford, Stoneley), and two roots with one ending drawn for the pair
    # (Ashbrookson): some alike names, as real surnames have, without a family of near twins.
    composed = [root + ending for root in ROOTS for ending in ENDINGS]
    composed += [
        a + b + rng.choice(("", "", "s", "son", "er", "ley")) for a in ROOTS for b in ROOTS
    ]
    rng.shuffle(composed)
    for word in composed:
        name = word.capitalize()
        if name.lower() not in seen:
            seen.add(name.lower())
            surnames.append(name)
    return [n.capitalize() for n in formal], surnames, nicks


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    choice = rng.random()
    if choice < 0.4:  # two letters swapped
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if choice < 0.7:  # a vowel changed
        vowels = "aeiou"
        for j in range(i, len(word)):
            if word[j] in vowels:
                return word[:j] + rng.choice(vowels.replace(word[j], "")) + word[j + 1 :]
    return word[:i] + word[i] + word[i:]  # a letter doubled


def build(db, customers: int, planted: int, seed: int) -> list[tuple[int, int, str]]:
    """Insert the book; return the planted pairs (original id, duplicate id, kind)."""
    rng = random.Random(seed)
    firsts, lasts, nicks = _names()
    first_weights = [1 / (rank + 8) for rank in range(len(firsts))]
    last_weights = [1 / (rank + 20) for rank in range(len(lasts))]
    companies = [
        f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NOUNS)}" for _ in range(customers // 25)
    ]
    base = customers - planted
    firsts_drawn = rng.choices(firsts, weights=first_weights, k=base)
    lasts_drawn = rng.choices(lasts, weights=last_weights, k=base)
    stamp = datetime(2025, 1, 1, 9, 0).isoformat(" ")
    rows, emails, phones = [], [], []
    numbers = rng.sample(range(10_000_000), customers * 2)  # +47 9xxxxxxx: valid mobiles

    def add(cid, first, last, company, city, birthday, gender, email, phone):
        rows.append((cid, first, last, company, city, birthday, gender, "", "", stamp, stamp))
        emails.append((cid, "work", email, 0))
        phones.append((cid, "mobile", phone, phone[3:], 0, format_phone(phone)))

    people = []
    for cid in range(1, base + 1):
        first, last = firsts_drawn[cid - 1], lasts_drawn[cid - 1]
        if nicks.get(first.lower()) and rng.random() < 0.05:
            first = rng.choice(nicks[first.lower()]).capitalize()
        company = rng.choice(companies) if rng.random() < 0.5 else ""
        birthday = (
            (date(1950, 1, 1) + timedelta(days=rng.randrange(20000))).isoformat()
            if rng.random() < 0.3
            else None
        )
        gender = rng.choice(("", "", "f", "m"))
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "").translate(ACCENTS)
        email = f"{local}{rng.randrange(1000)}@{rng.choice(HOSTS)}"
        phone = f"+479{numbers[cid]:07d}"
        person = (cid, first, last, company, rng.choice(CITIES), birthday, gender, email, phone)
        people.append(person)
        add(*person)
    kinds = ("email", "phone", "company", "typo", "accents", "nickname only")
    truth = []
    for n, cid in enumerate(range(base + 1, customers + 1)):
        original = people[rng.randrange(base)]
        oid, first, last, company, city, birthday, gender, email, phone = original
        kind = kinds[n % len(kinds)]
        nick = nicks.get(first.lower())
        new_first = rng.choice(nick).capitalize() if nick else first
        new_email = f"{cid}.{email}"
        new_phone = f"+479{numbers[customers + n]:07d}"
        new_company, new_birthday, new_last = "", None, last
        if kind == "email":
            new_email = email.upper() if rng.random() < 0.5 else email
        elif kind == "phone":
            new_first, new_phone = first, phone
        elif kind == "company":
            new_company = company or rng.choice(companies)
            if not company:
                company = new_company
                rows[oid - 1] = rows[oid - 1][:3] + (company,) + rows[oid - 1][4:]
        elif kind == "typo":
            if rng.random() < 0.5:
                new_first, new_last = _typo(rng, first), last
            else:
                new_first, new_last = first, _typo(rng, last)
            new_company = company
        elif kind == "accents":
            new_first, new_last = first.translate(ACCENTS), last.translate(ACCENTS).upper()
            new_birthday = birthday or "1980-05-17"
            if not birthday:
                rows[oid - 1] = rows[oid - 1][:5] + (new_birthday,) + rows[oid - 1][6:]
        add(cid, new_first, new_last, new_company, city, new_birthday, "", new_email, new_phone)
        truth.append((oid, cid, kind))
    with bulk_load(db):
        conn = db.connection()
        insert_rows(conn, "customer", COLUMNS, rows)
        insert_rows(conn, "customer_email", "customer_id, label, address, position", emails)
        insert_rows(
            conn,
            "customer_phone",
            "customer_id, label, number, national, position, shown",
            phones,
        )
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return truth


def time_merge(db, truth, interactions: int = 500, purchases: int = 100) -> tuple[float, float]:
    """Seconds for merge_preview and merge of one planted pair, each side with `interactions`
    interactions and `purchases` purchases written through the triggers; rolled back, so the
    book stays as it was."""
    a, b = next((a, b) for a, b, kind in truth if kind == "email")
    with db.atomic() as transaction:
        conn = db.connection()
        for cid in (a, b):
            conn.executemany(
                "INSERT INTO interaction (customer_id, kind, at, notes, created_at) "
                "VALUES (?, 'call', ?, ?, ?)",
                [
                    (cid, f"2025-{1 + n % 12:02d}-{1 + n % 28:02d} 10:{n % 60:02d}:00",
                     f"call {n}", "2025-01-01 00:00:00")
                    for n in range(interactions)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO purchase (customer_id, day, cents, created_at) "
                "VALUES (?, ?, ?, '2025-01-01 00:00:00')",
                [
                    (cid, f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}", 1000 + n)
                    for n in range(purchases)
                ],
            )
        started = time.perf_counter()
        preview = merge_preview(db, a, b)
        previewed = time.perf_counter()
        merge(
            db,
            a,
            b,
            survivor_version=preview.survivor_version,
            other_version=preview.other_version,
            who="bench",
        )
        merged = time.perf_counter()
        transaction.rollback()
    return previewed - started, merged - previewed


def _ms(run) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def _version(db, cid: int) -> int:
    return db.execute_sql("SELECT version FROM customer WHERE id = ?", (cid,)).fetchone()[0]


def time_reads(db, path: Path, runs: int, seed: int) -> list[tuple[str, str]]:
    """The reads the Duplicates screen makes, each beside the floor (the kept pairs read raw):
    the first after a bulk load, with nothing changed, after editing one customer's name,
    after adding one customer. A write is undone after its read (and that read untimed), so
    the book stays as it was."""
    rng = random.Random(seed)
    scratch = statistics.median(
        _ms(lambda: duplicate_pairs_from_scratch(db)) for _ in range(max(1, runs))
    )
    db.execute_sql("DELETE FROM meta WHERE key = 'duplicates_kept'")  # as a bulk load leaves it
    whole = _ms(lambda: find_duplicate_pairs(db))
    floor = Floor(path)
    raw = floor.ms(
        [
            (
                READ_SQL.format(
                    pairs=SqliteDuplicates.PAIRS_FROM,
                    where="WHERE d.customer_a_id IS NULL",
                    limit="",
                ),
                None,
            )
        ]
    )
    same = statistics.median(_ms(lambda: find_duplicate_pairs(db)) for _ in range(10))
    ids = [row[0] for row in db.execute_sql("SELECT id FROM customer WHERE deleted_at IS NULL")]
    picks = rng.sample(ids, 20)
    renamed, added = [], []
    for cid, other in zip(picks[:10], picks[10:], strict=True):
        (first,) = db.execute_sql("SELECT first_name FROM customer WHERE id = ?", (cid,)).fetchone()
        (new_first,) = db.execute_sql(
            "SELECT first_name FROM customer WHERE id = ?", (other,)
        ).fetchone()
        update_customer(db, cid, {"first_name": new_first}, expected_version=_version(db, cid))
        renamed.append(_ms(lambda: find_duplicate_pairs(db)))
        update_customer(db, cid, {"first_name": first}, expected_version=_version(db, cid))
        find_duplicate_pairs(db)
    for cid in picks[10:]:
        first, last, company, email = db.execute_sql(
            "SELECT first_name, last_name, company, (SELECT address FROM customer_email "
            "WHERE customer_id = c.id LIMIT 1) FROM customer c WHERE id = ?",
            (cid,),
        ).fetchone()
        values = {"first_name": first, "last_name": last, "company": company}
        if email and rng.random() < 0.5:
            values["emails"] = [email]
        try:
            new = create_customer(db, values)
        except ValidationError:  # bench.py writes some addresses no form would take
            values.pop("emails")
            new = create_customer(db, values)
        added.append(_ms(lambda: find_duplicate_pairs(db)))
        db.execute_sql("DELETE FROM customer WHERE id = ?", (new,))
        find_duplicate_pairs(db)
    floor.close()
    kept = {
        table: db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("duplicate_person", "duplicate_link", "duplicate_pair")
    }
    return [
        (
            "find_duplicate_pairs, as the screen reads it",
            f"floor: the kept pairs read raw {raw:.1f} ms",
        ),
        (
            "  first read after a bulk load (all kept built whole)",
            f"{whole:.0f} ms  (the whole computation, as before: {scratch:.0f} ms)",
        ),
        ("  nothing changed (median of 10)", f"{same:.1f} ms  (floor {raw:.1f} ms)"),
        (
            "  after editing one customer's first name (median of 10)",
            f"{statistics.median(renamed):.1f} ms, max {max(renamed):.1f}  (floor {raw:.1f} ms)",
        ),
        (
            "  after adding one customer (median of 10)",
            f"{statistics.median(added):.1f} ms, max {max(added):.1f}  (floor {raw:.1f} ms)",
        ),
        (
            "  kept",
            f"{kept['duplicate_person']:,} customers, {kept['duplicate_link']:,} name links, "
            f"{kept['duplicate_pair']:,} pairs",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the book here (default: a temp dir)")
    parser.add_argument("--reuse", action="store_true", help="use --db as it is if it exists")
    args = parser.parse_args(argv)

    scratch = None
    if args.db is None:
        scratch = Path(tempfile.mkdtemp(prefix="tui-crm-dup-bench-"))
        args.db = scratch / "bench.db"
    truth_file = args.db.with_suffix(".planted")
    try:
        rows: list[tuple[str, str]] = []
        if args.reuse and args.db.exists():
            db = open_database(args.db)
            truth = (
                [
                    (int(a), int(b), kind)
                    for a, b, kind in (
                        line.split("\t") for line in truth_file.read_text().splitlines()
                    )
                ]
                if truth_file.exists()
                else []
            )
            rows.append(("book", f"reused {args.db}"))
        else:
            args.db.unlink(missing_ok=True)
            db = open_database(args.db)
            started = time.perf_counter()
            truth = build(db, args.customers, args.planted, args.seed)
            truth_file.write_text("".join(f"{a}\t{b}\t{k}\n" for a, b, k in truth))
            rows.append(("build", f"{time.perf_counter() - started:.1f} s"))
        count = db.execute_sql("SELECT count(*) FROM customer").fetchone()[0]
        reads = time_reads(db, args.db, args.runs, args.seed)
        pairs = find_duplicate_pairs(db)
        preview_s, merge_s = time_merge(db, truth) if truth else (None, None)
        close_database()
        found = {p.ids for p in pairs}
        reasons = Counter(code for p in pairs for code in p.reason_codes)
        planted_by_kind = Counter(kind for _, _, kind in truth)
        found_by_kind = Counter(kind for a, b, kind in truth if (min(a, b), max(a, b)) in found)
        rows += [
            ("customers", f"{count:,}"),
            *reads,
            ("pairs listed", f"{len(pairs):,}"),
            *((f"  with reason {code}", f"{n:,}") for code, n in reasons.most_common()),
        ]
        if truth:
            rows += [
                (
                    "planted pairs found",
                    f"{sum(found_by_kind.values()):,} of {len(truth):,}",
                ),
                *(
                    (f"  {kind}", f"{found_by_kind[kind]:,} of {n:,}")
                    for kind, n in planted_by_kind.items()
                ),
                ("merge_preview of a planted pair", f"{preview_s * 1000:.0f} ms"),
                (
                    "merge (500 interactions + 100 purchases a side)",
                    f"{merge_s * 1000:.0f} ms (rolled back)",
                ),
            ]
        width = max(len(name) for name, _ in rows)
        print(f"{'what':<{width}}  result")
        print(f"{'-' * width}  {'-' * 40}")
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
    finally:
        close_database()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
