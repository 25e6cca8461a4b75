"""Build a large synthetic book and print how long building and searching it takes.

    python benchmarks/bench.py [--customers 100000] [--interactions 1000000]
                               [--purchases 300000] [--db PATH] [--keep] [--reuse]

Rows go in through the raw sqlite3 connection inside `bulk_load` (triggers off, derived
figures and the search index rebuilt once). Dates are relative to today, so the value
summary the searches use is the one `tui-crm find` uses too. Targets on a 2-core machine:
build <= 30 s, search p95 <= 20 ms per query kind, `tui-crm find rob` <= 300 ms, the whole
needs-attention queue ranked <= 500 ms, the referral tree's first page <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from itertools import chain
from pathlib import Path

from report import print_table  # benchmarks/ is on the path when run as a script

from tui_crm.core.attention import attention_page, attention_queue, attention_ranking
from tui_crm.core.bulk import bulk_load
from tui_crm.core.demo import NOTES as DEMO_NOTES
from tui_crm.core.demo import PRODUCTS as DEMO_PRODUCTS
from tui_crm.core.demo import ascii_fold
from tui_crm.core.referrals import referral_forest
from tui_crm.core.search import search
from tui_crm.core.value import ensure_values
from tui_crm.db.database import close_database, open_database

# country code -> (country, dialling code, cities, first names, last names, mobile pattern)
# A mobile pattern is (national prefix digits, how many random digits follow).
PEOPLE = {
    "NO": (
        "Norway",
        "47",
        ["Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø", "Drammen", "Kristiansand"],
        "Ola Kari Lars Ingrid Sindre Maren Eirik Solveig Håkon Nora Jonas Ida Magnus Ingvild "
        "Robin Sigrid Espen Tone Rune Hilde Øystein Åse Bjørn Ragnhild Torbjørn",
        "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
        "Berg Haugen Dahl Lie Bakke Hagen Johnsen Eriksen Halvorsen Moen Strand Ruud Rønning "
        "Solberg Røed",
        [("4", 7), ("9", 7)],
    ),
    "SE": (
        "Sweden",
        "46",
        ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro"],
        "Erik Anna Lars Maria Karl Eva Anders Karin Johan Sara Per Emma Mikael Elin Robin "
        "Linnea Rasmus Ebba Oskar Ronja Viktor Astrid",
        "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
        "Gustafsson Pettersson Jonsson Lindberg Lindqvist Holm Bergström Rosén Sandberg "
        "Ringqvist Lundgren",
        [("70", 7), ("72", 7), ("73", 7), ("76", 7)],
    ),
    "US": (
        "United States",
        "1",
        ["New York", "Boston", "Chicago", "Austin", "Seattle", "Denver", "San Francisco"],
        "James Mary Robert Patricia Michael Jennifer William Linda David Elizabeth Richard "
        "Barbara Joseph Susan Thomas Jessica Charles Sarah Christopher Karen Daniel Nancy "
        "Matthew Lisa Anthony Betty Roberta Ruth Ronald Rebecca",
        "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson "
        "Anderson Taylor Thomas Moore Jackson Martin Lee Thompson White Harris Robinson "
        "Clark Lewis Roberts Ramirez Rogers Reed",
        [("212", 7), ("415", 7), ("312", 7), ("512", 7), ("206", 7), ("303", 7)],
    ),
    "GB": (
        "United Kingdom",
        "44",
        ["London", "Manchester", "Leeds", "Bristol", "Edinburgh", "Glasgow", "Cardiff"],
        "Oliver Amelia Harry Isla George Ava Jack Emily Charlie Sophie Thomas Grace Oscar "
        "Rosie Alfie Ruby Henry Poppy Robin Rory Reggie Rachel",
        "Jones Williams Evans Roberts Walker Wright Thompson White Hughes Green Hall Wood "
        "Harris Robinson Clarke Turner Hill Cooper Ward Morris Reid Robertson Russell Rees",
        [("71", 8), ("74", 8), ("75", 8), ("77", 8), ("78", 8), ("79", 8)],
    ),
    "DE": (
        "Germany",
        "49",
        ["Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Leipzig"],
        "Lukas Anna Jonas Lea Felix Hannah Paul Laura Max Julia Leon Marie Finn Sophie Elias "
        "Lena Ralf Renate Rolf Rosemarie Robert Ruth",
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer "
        "Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Roth Reuter",
        [("151", 8), ("160", 7), ("170", 7), ("171", 7), ("176", 8)],
    ),
    "FR": (
        "France",
        "33",
        ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux"],
        "Lucas Chloé Hugo Léa Louis Manon Jules Camille Arthur Inès Gabriel Jade Raphaël "
        "Louise Nathan Rose Romain Roxane Rémi Renée",
        "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
        "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Rousseau Renaud",
        [("6", 8), ("7", 8)],
    ),
    "ES": (
        "Spain",
        "34",
        ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga"],
        "Antonio María José Carmen Manuel Ana Francisco Laura David Lucía Javier Marta "
        "Roberto Rosa Rafael Raquel Ramón Rocío",
        "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín "
        "Jiménez Ruiz Hernández Díaz Moreno Romero Ramos Rubio Robles",
        [("6", 8)],
    ),
    "IT": (
        "Italy",
        "39",
        ["Roma", "Milano", "Napoli", "Torino", "Bologna", "Firenze"],
        "Francesco Giulia Alessandro Sofia Lorenzo Aurora Matteo Alice Leonardo Ginevra "
        "Roberto Rita Riccardo Rebecca Marco Chiara",
        "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno "
        "Gallo Conti Rinaldi Costa Rizzo",
        [("32", 8), ("33", 8), ("34", 8)],
    ),
    "PL": (
        "Poland",
        "48",
        ["Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk"],
        "Piotr Anna Krzysztof Maria Andrzej Katarzyna Tomasz Małgorzata Paweł Agnieszka "
        "Robert Renata Rafał Roksana",
        "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński "
        "Szymański Woźniak Rutkowski Rogalski",
        [("50", 7), ("60", 7), ("69", 7)],
    ),
    "NL": (
        "Netherlands",
        "31",
        ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven"],
        "Daan Emma Sem Julia Lucas Mila Levi Sophie Finn Tess Ruben Roos Rik Renske",
        "de Jong Jansen de Vries van den Berg van Dijk Bakker Janssen Visser Smit Meijer "
        "de Boer Mulder Rutten Roelofs",
        [("6", 8)],
    ),
}
PREFIXES = ("Nord", "Blue", "Keystone", "Atlas", "Green", "Pixel", "Harbor", "Summit", "Vega")
PREFIXES += ("Copper", "Silver", "Fjord", "Maple", "River", "Stone", "Sun", "Oak", "Iron")
PREFIXES += ("Bright", "Rapid", "Royal", "Urban", "Polar", "Alpine", "Coastal", "Crown")
NOUNS = ("Tools", "Logistics", "Dental", "Bakery", "Architects", "Consulting", "Farms")
NOUNS += ("Studio", "Medical", "Traders", "Shipping", "Systems", "Foods", "Energy", "Labs")
NOUNS += ("Textiles", "Motors", "Partners", "Robotics", "Apparel", "Hotels", "Pharma")
SUFFIXES = ("", "", "", " AS", " AB", " Ltd", " Inc", " GmbH", " SA", " BV", " & Co")
TITLES = ("Owner", "CEO", "Purchasing Manager", "Office Manager", "CTO", "Buyer", "")
TITLES += ("Head of Operations", "Procurement Lead", "Founder", "Facilities Manager", "")
STREETS = ("Main", "Harbour", "Station", "Park", "Church", "Mill", "Bridge", "Market", "King")
SOURCES = ("referral", "website", "trade show", "cold call", "linkedin", "walk-in", "webinar")
WHY = (
    "Fast delivery and a person who picks up the phone",
    "Best price after the trade-show discount",
    "A friend recommended us",
    "Support fixed their old system in a day",
    "Local company",
    "",
    "",
    "",
)
TAGS = ("vip", "newsletter", "wholesale", "retail", "partner", "event-2026", "reseller")
TAGS += ("prospect", "renewal-due", "beta", "key-account", "public-sector")
NOTES = (
    *DEMO_NOTES,
    "Sent the quote",
    "Renewal discussed, budget tight this year",
    "Requested references from similar customers",
    "No answer",
    "Confirmed the order by email",
    "Training booked for March",
    "Follow up on pricing",
    "New contact person in purchasing",
    "Payment reminder sent",
    "Thanked them for the referral",
    "Shipment arrived damaged, replacement sent",
    "Wants to reduce the licence count",
    "Quick check-in",
    "Discussed roadmap and upcoming features",
)
OUTCOMES = ("", "", "", "", "ordered", "call back", "no interest", "quote sent", "won", "lost")
KINDS = ("call", "call", "email", "email", "meeting", "message", "note", "thanks")
PRODUCTS = (*DEMO_PRODUCTS, ("Spare parts", "hardware", 15000))
MAIL_HOSTS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com")

CUSTOMER_COLUMNS = (
    "id, first_name, last_name, nickname, company, job_title, gender, birthday, street, "
    "postal_code, city, region, country, source, acquired_on, referred_by_id, why_chose_us, "
    "category_id, owner, territory, status, lost_reason, lost_on, email_opt_out, notes, "
    "created_at, updated_at"
)
INTERACTION_COLUMNS = (
    "customer_id, kind, at, notes, outcome, follow_up, follow_up_done, logged_by, created_at"
)
PURCHASE_COLUMNS = (
    "customer_id, day, cents, currency, description, category, invoice_ref, created_at"
)


SHOWN = 500  # rows the needs-attention screen shows
ROOTS_SHOWN = 200  # roots the referral screen reads at a time
REFERRED = "SELECT id FROM customer WHERE referred_by_id IS NOT NULL AND deleted_at IS NULL"


def _email_part(text: str) -> str:
    return "".join(ch for ch in ascii_fold(text) if ch.isalnum() or ch in ".-")


class Book:
    """Generates the rows; every phase returns plain tuples for executemany."""

    def __init__(self, seed: int, today: date):
        self.rng = random.Random(seed)
        self.today = today
        self.days = [(today - timedelta(days=n)).isoformat() for n in range(0, 4 * 366)]
        self.clock = [f" {h:02d}:{m:02d}:00" for h in range(8, 19) for m in range(0, 60, 5)]
        self.acquired: list[int] = []  # days before today, per customer (index = id - 1)
        self.active: list[float] = []  # weight for interactions
        self.spend: list[float] = []  # weight for purchases
        self.big: set[int] = set()
        # Who referred whom comes from a stream of its own, so every other column stays as
        # the main stream made it.
        self.referral_rng = random.Random(seed + 1)
        self.referrer_tickets: list[int] = []  # one entry per referral made so far
        self.referred: list[int] = []

    def customers(self, count: int):
        rng, days = self.rng, self.days
        regions = list(PEOPLE)
        names = {
            code: (p[3].split(), p[4].split() if code != "NL" else _dutch(p[4]))
            for code, p in PEOPLE.items()
        }
        companies = [
            f"{rng.choice(PREFIXES)} {rng.choice(NOUNS)}{rng.choice(SUFFIXES)}"
            for _ in range(max(1, count // 20))
        ]
        customers, emails, phones, tags = [], [], [], []
        used_numbers: set[str] = set()
        for cid in range(1, count + 1):
            code = rng.choices(regions, weights=(12, 8, 25, 14, 12, 9, 7, 6, 4, 3))[0]
            country, dial, cities, patterns = (
                PEOPLE[code][0],
                PEOPLE[code][1],
                PEOPLE[code][2],
                PEOPLE[code][5],
            )
            firsts, lasts = names[code]
            first, last = rng.choice(firsts), rng.choice(lasts)
            company = rng.choice(companies) if rng.random() < 0.6 else ""
            if rng.random() < 0.02:  # a company without a named person
                first, last = "", ""
                company = company or rng.choice(companies)
            acquired = rng.randrange(0, len(days) - 1)
            self.acquired.append(acquired)
            self.active.append(rng.paretovariate(1.5))
            self.spend.append(rng.paretovariate(1.2))
            status_roll = rng.random()
            status = "lost" if status_roll < 0.05 else "lapsed" if status_roll < 0.12 else "active"
            created = days[acquired] + rng.choice(self.clock)
            customers.append(
                (
                    cid,
                    first,
                    last,
                    rng.choice(("Bob", "Rob", "Kat", "Mo", "Liz")) if rng.random() < 0.03 else "",
                    company,
                    rng.choice(TITLES) if company else "",
                    rng.choice(("f", "m", "f", "m", "x", "")),
                    f"{rng.randrange(1945, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
                    if rng.random() < 0.6
                    else None,
                    f"{rng.choice(STREETS)} Street {rng.randrange(1, 250)}",
                    f"{rng.randrange(1000, 99999):05d}",
                    rng.choice(cities),
                    "",
                    country,
                    rng.choice(SOURCES),
                    days[acquired],
                    self.referrer(cid, rng.randrange(1, cid))
                    if cid > 10 and rng.random() < 0.15
                    else None,
                    rng.choice(WHY),
                    rng.choice((1, 2, 2, 3, None)),
                    rng.choice(("anna", "ben", "chris", "dana")),
                    country,
                    status,
                    "Went with a cheaper competitor" if status == "lost" else "",
                    days[max(0, acquired - 200)] if status == "lost" else None,
                    1 if rng.random() < 0.08 else 0,
                    rng.choice(("", "", "", "Prefers calls in the morning", "CFO decides")),
                    created,
                    created,
                )
            )
            local = _email_part(f"{first}.{last}").strip(".") or "info"
            domain = _email_part(company) if company else ""
            emails.append(
                (cid, "work", f"{local}@{domain or rng.choice(MAIL_HOSTS)}", 0)
                if domain
                else (cid, "home", f"{local}{rng.randrange(100)}@{rng.choice(MAIL_HOSTS)}", 0)
            )
            if rng.random() < 0.25:
                emails.append((cid, "home", f"{local}.{cid}@{rng.choice(MAIL_HOSTS)}", 1))
            for position in range(1 if rng.random() < 0.85 else 2):
                while True:
                    prefix, width = rng.choice(patterns)
                    national = prefix + "".join(rng.choice("0123456789") for _ in range(width))
                    if national not in used_numbers:
                        used_numbers.add(national)
                        break
                label = "mobile" if position == 0 else "work"
                phones.append((cid, label, f"+{dial}{national}", national, position))
            for tag_id in rng.sample(range(1, len(TAGS) + 1), rng.choice((0, 0, 1, 1, 1, 2, 3))):
                tags.append((cid, tag_id))
        return customers, emails, phones, tags

    def referrer(self, cid: int, anyone: int) -> int:
        """Who referred customer `cid` (always an earlier one, so no loops). As in a real book
        a few people refer many (the more someone referred, the likelier they refer again),
        and customers who came by a referral pass it on, so chains run several levels deep;
        the rest were referred by `anyone`."""
        rng, roll = self.referral_rng, self.referral_rng.random()
        if roll < 0.35 and self.referrer_tickets:
            chosen = rng.choice(self.referrer_tickets)
        elif roll < 0.5 and self.referred:
            chosen = rng.choice(self.referred[-300:])  # someone referred lately
        else:
            chosen = anyone
        self.referrer_tickets.append(chosen)
        self.referred.append(cid)
        return chosen

    def interactions(self, count: int):
        rng, days = self.rng, self.days
        n = len(self.acquired)
        # Grouped by customer, as an export from another CRM would come: the index on
        # (customer_id, at) then grows at its end instead of everywhere at once.
        who = sorted(rng.choices(range(1, n + 1), weights=self.active, k=count))
        # Drawn in bulk: per-row rng calls would dominate the build.
        kinds = rng.choices(KINDS, k=count)
        notes = rng.choices(NOTES, k=count)
        outcomes = rng.choices(OUTCOMES, k=count)
        loggers = rng.choices(("anna", "ben", "chris", "dana"), k=count)
        times = rng.choices(self.clock, k=count)
        spans = [rng.random() for _ in range(count)]
        asks = [rng.random() for _ in range(count)]
        ahead = [days_ahead(self.today, k) for k in range(0, 40)]
        out = []
        for cid, kind, note, outcome, logger, hhmm, span, ask in zip(
            who, kinds, notes, outcomes, loggers, times, spans, asks, strict=True
        ):
            ago = int(span * (self.acquired[cid - 1] + 1))
            at = days[ago] + hhmm
            follow_up, done = None, 0
            if ask < 0.08:  # about one in twelve asks for a follow-up, 1 to 4 weeks out
                due = ago - 7 - int(ask * 275)
                follow_up = days[due] if due >= 0 else ahead[-due]
                done = 1 if due > 10 and ask < 0.06 else 0
            out.append((cid, kind, at, note, outcome, follow_up, done, logger, at))
        return out

    def purchases(self, count: int):
        rng, days = self.rng, self.days
        n = len(self.acquired)
        # A few big spenders: the heaviest 1 % of the weights, who also buy bigger orders.
        by_weight = sorted(range(1, n + 1), key=lambda c: self.spend[c - 1], reverse=True)
        self.big = set(by_weight[: max(1, n // 100)])
        who = rng.choices(range(1, n + 1), weights=self.spend, k=count)
        out = []
        for number, cid in enumerate(who, start=1):
            ago = rng.randrange(0, self.acquired[cid - 1] + 1)
            name, category, base = rng.choice(PRODUCTS)
            cents = int(base * rng.uniform(0.4, 1.8)) * (6 if cid in self.big else 1)
            if rng.random() < 0.005:
                cents = -cents // 4  # a credit note now and then
            out.append(
                (
                    cid,
                    days[ago],
                    cents,
                    "USD",
                    name,
                    category,
                    f"INV-{number:07d}",
                    days[ago] + " 12:00:00",
                )
            )
        out.sort(key=lambda row: row[1])
        return out


def days_ahead(today: date, days: int) -> str:
    return (today + timedelta(days=days)).isoformat()


def _dutch(text: str) -> list[str]:
    """Dutch surnames keep their particles ('de Jong', 'van den Berg')."""
    words, out, particle = text.split(), [], []
    for word in words:
        if word in ("de", "van", "den", "der"):
            particle.append(word)
        else:
            out.append(" ".join([*particle, word]))
            particle = []
    return out


def insert_rows(conn, table: str, columns: str, rows: list[tuple], per_statement: int = 200):
    """`executemany` with many rows per INSERT: a CHECK such as `kind IN (...)` sets up its
    list once per statement run, which costs more than the row itself when done per row."""
    one = "(" + ", ".join("?" for _ in columns.split(",")) + ")"
    full = len(rows) - len(rows) % per_statement
    if full:
        sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([one] * per_statement)
        conn.executemany(
            sql,
            (
                tuple(chain.from_iterable(rows[start : start + per_statement]))
                for start in range(0, full, per_statement)
            ),
        )
    if full < len(rows):
        conn.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}", rows[full:])


def build(db, args, today: date) -> list[tuple[str, float]]:
    book = Book(args.seed, today)
    conn = db.connection()
    phases: list[tuple[str, float]] = []
    started = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        phases.append((name, now - started))
        started = now

    with bulk_load(db):
        insert_rows(
            conn,
            "category",
            "id, name, cadence_days",
            [(1, "key account", 14), (2, "regular", 45), (3, "small", 120)],
        )
        insert_rows(conn, "tag", "id, name", list(enumerate(TAGS, start=1)))
        customers, emails, phones, tags = book.customers(args.customers)
        insert_rows(conn, "customer", CUSTOMER_COLUMNS, customers)
        insert_rows(conn, "customer_email", "customer_id, label, address, position", emails)
        insert_rows(
            conn, "customer_phone", "customer_id, label, number, national, position", phones
        )
        insert_rows(conn, "customer_tag", "customer_id, tag_id", tags)
        del customers, emails, phones, tags
        phase(f"customers ({args.customers:,} + emails, phones, tags)")
        rows = book.interactions(args.interactions)
        insert_rows(conn, "interaction", INTERACTION_COLUMNS, rows)
        del rows
        phase(f"interactions ({args.interactions:,})")
        rows = book.purchases(args.purchases)
        insert_rows(conn, "purchase", PURCHASE_COLUMNS, rows)
        del rows
        phase(f"purchases ({args.purchases:,})")
        # Leaving the block recreates the triggers and rebuilds derived columns + FTS.
    phase("derived columns + search index + commit")
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    phase("checkpoint")
    return phases


QUERIES = {
    "1 letter": ["r", "a", "m", "s", "j", "k", "l", "e", "b", "h", "t", "c", "d", "p"],
    "2 letters": [
        "ro",
        "ma",
        "an",
        "sa",
        "je",
        "li",
        "ha",
        "ca",
        "be",
        "ke",
        "to",
        "da",
        "pe",
        "el",
    ],
    "3 letters": [
        "rob",
        "mar",
        "and",
        "san",
        "jen",
        "lis",
        "han",
        "car",
        "ber",
        "kev",
        "tom",
        "dav",
        "pet",
        "eli",
    ],
    "4 letters": [
        "robe",
        "mari",
        "ande",
        "sand",
        "jenn",
        "lisa",
        "hans",
        "carl",
        "berg",
        "mull",
        "thom",
        "davi",
        "pete",
        "rossi",
    ],
    "qualifiers": [
        "tier:gold city:oslo",
        "gender:f spent30d>500",
        "tier:silver city:berlin",
        "gender:m spent30d>200",
        "status:lapsed city:paris",
        "tag:vip tier:gold",
        "country:spain spent12m>5000",
        "city:london",
        "tier:gold",
        "due:overdue",
    ],
    # Whole names: the customers named exactly so are looked up and put first.
    "full names": [
        "lars hansen",
        "Hansen, Lars",
        "anna andersson",
        "Andersson, Anna",
        "erik eriksson",
        "kari olsen",
        "robin berg",
        "ingrid dahl sort:-value",
    ],
    "mixed": [
        "rob city:oslo sort:-value",
        "mar city:paris sort:-value",
        "an tier:gold",
        "s city:london",
        "jen sort:-value",
        "r gender:f tier:silver",
        "hans city:bergen",
        "k spent30d>100",
    ],
}


def _phone_queries(db, rng: random.Random, count: int) -> list[str]:
    numbers = [
        row[0]
        for row in db.execute_sql(
            "SELECT number FROM customer_phone WHERE id % 997 = 1 ORDER BY id LIMIT 200"
        )
    ]
    out = []
    for number in rng.sample(numbers, min(count, len(numbers))):
        style = rng.randrange(3)
        if style == 0:  # the whole number as people write it
            out.append(f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}".strip())
        elif style == 1:  # the first digits, as typed so far
            out.append(number[1 : rng.randrange(6, 10)])
        else:  # national digits
            out.append(number[3:])
    return out


def _times(db, queries: list[str], runs: int, today: date) -> tuple[float, float, int]:
    samples, hits = [], 0
    for n in range(runs):
        query = queries[n % len(queries)]
        started = time.perf_counter()
        rows = search(db, query, as_of=today)
        samples.append((time.perf_counter() - started) * 1000)
        hits += len(rows)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    return statistics.median(samples), p95, hits // runs


def _median_ms(run, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _queue_times(db, today: date) -> list[tuple[str, str]]:
    """The needs-attention queue. The first run after a load also works out every buyer's
    purchase rhythm. "Whole queue ranked" is every flagged customer scored and put in order
    (what the count and the first page rest on); the screen shows the first 500 as items;
    the command line without --limit builds every item."""
    db.execute_sql("DELETE FROM purchase_rhythm")
    started = time.perf_counter()
    page = attention_page(db, today, limit=SHOWN)
    first = (time.perf_counter() - started) * 1000
    ranked = _median_ms(lambda: attention_ranking(db, today), 5)
    shown = _median_ms(lambda: attention_page(db, today, limit=SHOWN), 5)
    items = attention_queue(db, today)
    whole = _median_ms(lambda: attention_queue(db, today), 3)
    reasons = sum(len(item.reasons) for item in items)
    return [
        (
            f"attention queue: first after a load (rhythms of every buyer), first {SHOWN} "
            f"items of {page.total:,}",
            f"{first:.0f} ms",
        ),
        ("attention queue: whole queue ranked (every customer scored and ordered)", ""),
        (f"  attention_ranking, {len(items):,} customers (median of 5)", f"{ranked:.0f} ms"),
        (f"  first {SHOWN} as items + the count: attention_page (median of 5)", f"{shown:.0f} ms"),
        (
            f"  every item: attention_queue, {reasons:,} reasons (median of 3)",
            f"{whole:.0f} ms",
        ),
    ]


def _referral_times(db, today: date) -> list[tuple[str, str]]:
    """The referral tree as its screen opens: the forest, then the first page of roots."""
    samples = []
    for _ in range(6):
        started = time.perf_counter()
        forest = referral_forest(db, today)
        roots = forest.roots(0, ROOTS_SHOWN)
        samples.append((time.perf_counter() - started) * 1000)
    referred = [row[0] for row in db.execute_sql(REFERRED)]
    referrers = {forest.referrer_of(cid) for cid in referred} - {None}
    widest = max(map(forest.child_count, referrers), default=0)
    deepest = max((len(forest.path_to(cid)) - 1 for cid in referred), default=0)
    return [
        (
            f"referral tree: {len(referred):,} referred by others, {forest.root_count:,} roots, "
            f"chains up to {deepest} deep, up to {widest} referred by one customer",
            "",
        ),
        (
            f"  referral_forest + roots(0, {ROOTS_SHOWN}) ({len(roots)}): first / median of 5",
            f"{samples[0]:.0f} / {statistics.median(samples[1:]):.0f} ms",
        ),
    ]


def _find_wall(path: Path, home: Path, runs: int) -> float:
    exe = shutil.which("tui-crm")
    command = [exe] if exe else [sys.executable, "-m", "tui_crm"]
    command += ["find", "rob", "--db", str(path)]
    env = dict(os.environ, TUI_CRM_HOME=str(home))
    subprocess.run(command, capture_output=True, check=True, env=env)  # warm the page cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=300_000)
    parser.add_argument("--db", type=Path, help="database file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="skip the build when --db already has customers"
    )
    parser.add_argument("--runs", type=int, default=40, help="searches per query kind")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="tui-crm-bench-"))
    path = args.db or folder / "bench.db"
    today = date.today()
    reuse = args.reuse and path.exists() and path.stat().st_size > 0
    if path.exists() and not reuse:
        print(f"{path} exists; remove it, give another --db, or pass --reuse", file=sys.stderr)
        return 2
    out: list[tuple[str, str]] = []
    try:
        db = open_database(path)
        if reuse:
            out.append(("build", "skipped (--reuse)"))
        else:
            phases = build(db, args, today)
            out.append(("build total", f"{sum(t for _, t in phases):.1f} s"))
            out.extend((f"  {name}", f"{t:.1f} s") for name, t in phases)

        costs = []
        for _ in range(3):
            db.execute_sql("DELETE FROM meta WHERE key = 'values_as_of'")
            started = time.perf_counter()
            ensure_values(db, today)
            costs.append((time.perf_counter() - started) * 1000)
        out.append(
            ("ensure_values (first search of the day)", f"{statistics.median(costs):.0f} ms")
        )

        rng = random.Random(args.seed)
        kinds = dict(QUERIES)
        kinds["phone digits"] = _phone_queries(db, rng, 20)
        for queries in kinds.values():  # one untimed pass: caches warm, as in use
            for query in queries:
                search(db, query, as_of=today)
        out.append(("search (p50 / p95 over runs, avg rows)", ""))
        for kind, queries in kinds.items():
            p50, p95, rows = _times(db, queries, args.runs, today)
            examples = ", ".join(repr(q) for q in queries[:2])
            out.append((f"  {kind}: {examples}, …", f"{p50:.1f} / {p95:.1f} ms  ({rows} rows)"))
        out.extend(_queue_times(db, today))
        out.extend(_referral_times(db, today))
        close_database()
        out.append(
            (
                "`tui-crm find rob` whole process (median of 5)",
                f"{_find_wall(path, folder / 'bench-home', 5):.0f} ms",
            )
        )
    finally:
        close_database()
        if args.keep or reuse:
            print(f"kept {path}", file=sys.stderr)
        else:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True) if path.parent != folder or not (
            args.keep or reuse
        ) else shutil.rmtree(folder / "bench-home", ignore_errors=True)

    print_table(
        f"tui-crm benchmark: {args.customers:,} customers, {args.interactions:,} interactions, "
        f"{args.purchases:,} purchases; SQLite {_sqlite_version()}, {os.cpu_count()} CPUs",
        out,
    )
    return 0


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    raise SystemExit(main())
