"""Build a large synthetic book and print how long building, searching and the screens'
reads take, each beside its floor.

    python benchmarks/bench.py [--customers 100000] [--interactions N] [--purchases N]
                               [--db PATH] [--keep] [--reuse] [--scale [N,N,...]]

Rows go in through the raw sqlite3 connection inside `bulk_load` (triggers off, derived
figures and the search index rebuilt once). Dates are relative to today, so the value
summary the searches use is the one `tui-crm find` uses too. A figure's floor is the raw
SQLite queries of the same plan, through a plain sqlite3 connection in the same run: what the
app adds on top is the floor's difference. `--scale` measures books of 10 000, 100 000 and
1 000 000 customers (10 interactions and 3 purchases each) and prints how each figure grows
per 10×; with `--db '/tmp/scale-{size}.db' --keep` the books stay, for `--reuse`.

Targets on a 2-core machine: build <= 30 s, search p95 <= 20 ms per query kind, `tui-crm find
rob` <= 120 ms (issue 18; 300 ms before), the whole needs-attention queue ranked <= 100 ms at
100 000 customers and <= 1 s at 1 000 000, the referral tree's first level <= 50 ms at
1 000 000.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from report import print_table  # benchmarks/ is on the path when run as a script

from tui_crm.core import attention, value
from tui_crm.core.attention import attention_page, attention_queue, attention_ranking
from tui_crm.core.bulk import bulk_load
from tui_crm.core.demo import NOTES as DEMO_NOTES
from tui_crm.core.demo import PRODUCTS as DEMO_PRODUCTS
from tui_crm.core.demo import ascii_fold
from tui_crm.core.query import parse
from tui_crm.core.referrals import referral_forest
from tui_crm.core.search import search
from tui_crm.core.value import ensure_values
from tui_crm.db.database import _casefold, close_database, open_database
from tui_crm.db.derived import MARK_VALUES_STALE
from tui_crm.db.phones import format_phone
from tui_crm.db.sqlite.referrals import DETAILS_SQL
from tui_crm.db.sqlite.store import SqliteStore
from tui_crm.db.sqlite.values import SPENT_BETWEEN
from tui_crm.db.store.queue import QUEUE_SIZE

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
                number = f"+{dial}{national}"
                # Shown as the app keeps it when it saves the number (about 40 µs each).
                phones.append((cid, label, number, national, position, format_phone(number)))
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
    """Fill the empty book `db` with args.customers customers, args.interactions interactions and
    args.purchases purchases; (phase, seconds) of each step."""
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
            conn, "category", "id, name", [(1, "key account"), (2, "regular"), (3, "small")]
        )
        insert_rows(
            conn,
            "plan_touch",
            "scope, category_id, kind, every_days",
            [("category", 1, "contact", 14), ("category", 2, "contact", 45)]
            + [("category", 3, "contact", 120)],
        )
        insert_rows(conn, "tag", "id, name", list(enumerate(TAGS, start=1)))
        customers, emails, phones, tags = book.customers(args.customers)
        insert_rows(conn, "customer", CUSTOMER_COLUMNS, customers)
        insert_rows(conn, "customer_email", "customer_id, label, address, position", emails)
        insert_rows(
            conn,
            "customer_phone",
            "customer_id, label, number, national, position, shown",
            phones,
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
    # Qualifiers few customers pass (on the customer's figures), with a word: the walk used
    # to ask the search index about every customer before testing the figures.
    "few, with a word": [
        "an lifetime<0",
        "c lifetime<0",
        "an spent12m>100000 sort:last_contact",
        "an tier:gold sort:name",
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


class Measured(NamedTuple):
    """One line of the table: what, how long (ms; None for a note), its floor (ms) when it has
    one: the raw SQLite queries of the same plan through a plain sqlite3 connection."""

    what: str
    ms: float | None
    floor: float | None = None
    text: str = ""  # shown instead of ms (p50 / p95, counts)
    key: str = ""  # the figure's name in the growth table of --scale


def _median_ms(run, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _p50_p95(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[
        min(len(samples) - 1, round(0.95 * len(samples)) - 1)
    ]


class Floor:
    """A plain sqlite3 connection to the same file, for the floors: the statements a figure's
    plan runs, timed without the app around them."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA cache_size = -32000")
        self.conn.create_function("casefold", 1, _casefold, deterministic=True)

    def ms(self, statements: list[tuple[str, object]], times: int = 5) -> float:
        def run() -> None:
            for sql, params in statements:
                self.conn.execute(sql, params or ()).fetchall()

        run()  # caches warm, as for the figure itself
        return _median_ms(run, times)

    def close(self) -> None:
        self.conn.close()


def _captured(db, run) -> list[tuple[str, object]]:
    """The statements `run` sends through `db.execute_sql`, with their parameters."""
    seen: list[tuple[str, object]] = []
    real = db.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        seen.append((sql, params))
        return real(sql, params, *args, **kwargs)

    db.execute_sql = recording
    try:
        run()
    finally:
        del db.execute_sql
    return seen


def _searches(db, floor: Floor, kinds: dict[str, list[str]], runs: int, today: date):
    """Each kind of query: p50 / p95 of `search`, and of its statements replayed raw."""
    for queries in kinds.values():  # one untimed pass: caches warm, as in use
        for query in queries:
            search(db, query, as_of=today)
    out = [Measured("search (p50 / p95 over runs, avg rows; floor: its statements raw)", None)]
    for kind, queries in kinds.items():
        plans = {q: _captured(db, lambda q=q: search(db, q, as_of=today)) for q in queries}
        samples, raw, hits = [], [], 0
        for n in range(runs):
            query = queries[n % len(queries)]
            started = time.perf_counter()
            rows = search(db, query, as_of=today)
            samples.append((time.perf_counter() - started) * 1000)
            hits += len(rows)
            raw.append(floor.ms(plans[query], times=1))
        p50, p95 = _p50_p95(samples)
        f50, f95 = _p50_p95(raw)
        examples = ", ".join(repr(q) for q in queries[:2])
        out.append(
            Measured(
                f"  {kind}: {examples}, …",
                p95,
                f95,
                text=f"{p50:.1f} / {p95:.1f} ms  ({hits // runs} rows)  floor {f50:.1f} / {f95:.1f}",
                key=f"search p95 {kind}",
            )
        )
    return out


RANKING = SqliteStore(None)._ranking()  # the statement the queue's first page reads
ROOTS_RAW = f"""SELECT customer_id, total_12m FROM referral_figure INDEXED BY referral_figure_root
WHERE root = 1 ORDER BY total_12m DESC, customer_id LIMIT {ROOTS_SHOWN}"""
ROOT_COUNT = "SELECT count(*) FROM referral_figure INDEXED BY referral_figure_root WHERE root = 1"


def _after_a_load(db, today: date) -> list[Measured]:
    """What the first reads after a bulk load build whole (the build drops every kept
    summary; a reused book has them dropped the same way here)."""
    db.execute_sql(MARK_VALUES_STALE)
    started = time.perf_counter()
    ensure_values(db, today)
    values = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    page = attention_page(db, today, limit=SHOWN)
    queue = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    referral_forest(db, today).roots(0, ROOTS_SHOWN)
    tree = (time.perf_counter() - started) * 1000
    return [
        Measured("first reads after a bulk load (everything kept is built whole, once)", None),
        Measured("  value summary", values, key="built whole: values"),
        Measured(
            f"  needs attention: purchase rhythms, book's gap, every score, first {SHOWN} items "
            f"of {page.total:,}",
            queue,
            key="built whole: scores",
        ),
        Measured("  referral figures and the first roots", tree, key="built whole: referrals"),
    ]


def _queue(db, floor: Floor, today: date, big: bool) -> list[Measured]:
    """The queue on a day it is kept for: the whole ranking, the screen's first page with the
    count, and every item built from the book (the command line without --limit)."""
    ranked = attention_ranking(db, today)
    ranking = _median_ms(lambda: attention_ranking(db, today), 5)
    page = _median_ms(lambda: attention_page(db, today, limit=SHOWN), 5)
    times = 1 if big else 3
    items = attention_queue(db, today)
    whole = _median_ms(lambda: attention_queue(db, today), times)
    reasons = sum(len(item.reasons) for item in items)
    return [
        Measured("needs attention, on a day its scores are kept for", None),
        Measured(
            f"  whole queue ranked: attention_ranking, {len(ranked):,} customers (median of 5); "
            "floor: the ranking read from its index",
            ranking,
            floor.ms([(RANKING, None)]),
            key="queue ranked",
        ),
        Measured(
            f"  first {SHOWN} as items + the count: attention_page (median of 5); floor: "
            f"LIMIT {SHOWN} + count",
            page,
            floor.ms([(f"{RANKING} LIMIT {SHOWN}", None), (QUEUE_SIZE, None)]),
            key="queue first page",
        ),
        Measured(
            f"  every item from the book: attention_queue, {reasons:,} reasons (median of {times})",
            whole,
            key="queue every item",
        ),
    ]


def _tree(db, floor: Floor, today: date) -> list[Measured]:
    """The referral tree as its screen opens: the forest, then the first page of roots."""
    samples = []
    for _ in range(6):
        started = time.perf_counter()
        forest = referral_forest(db, today)
        roots = forest.roots(0, ROOTS_SHOWN)
        samples.append((time.perf_counter() - started) * 1000)
    names = [(DETAILS_SQL, (json.dumps([node.customer_id for node in roots]),))]
    referred = db.execute_sql(REFERRED.replace("SELECT id", "SELECT count(*)")).fetchone()[0]
    widest, deepest = db.execute_sql(
        "SELECT max(referred), (SELECT max(d) FROM (WITH RECURSIVE up(id, d) AS ("
        "SELECT customer_id, 0 FROM referral_figure WHERE root = 1 UNION ALL "
        "SELECT f.customer_id, up.d + 1 FROM referral_figure f JOIN up ON f.referrer_id = up.id "
        "WHERE f.cut = 0 AND up.d < 100) SELECT d FROM up)) FROM referral_figure"
    ).fetchone()
    first, median = samples[0], statistics.median(samples[1:])
    return [
        Measured(
            f"referral tree: {referred:,} referred by others, {forest.root_count:,} roots, "
            f"chains up to {deepest} deep, up to {widest} referred by one customer",
            None,
        ),
        Measured(
            f"  referral_forest + roots(0, {ROOTS_SHOWN}) ({len(roots)}): first / median of 5; "
            "floor: the roots read from their index, their count and names",
            median,
            floor.ms([(ROOT_COUNT, None), (ROOTS_RAW, None), *names]),
            text=f"{first:.0f} / {median:.0f} ms",
            key="tree first level",
        ),
    ]


def _next_days(db, floor: Floor, today: date) -> list[Measured]:
    """The first reads of each of the next three days: what moves with the day is worked out
    again (spends whose purchases enter or leave a window, the tiers; the scores whose reason
    starts, stops or grows to its next tenth), the rest carries over. The book is left at
    `today` after."""
    values, scores, trees, rescored = [], [], [], []
    for days in (1, 2, 3):
        day = today + timedelta(days=days)
        started = time.perf_counter()
        ensure_values(db, day)
        values.append((time.perf_counter() - started) * 1000)
        rescored.append(
            db.execute_sql(
                "SELECT count(*) FROM attention_score WHERE valid_until <= ?", (day.toordinal(),)
            ).fetchone()[0]
        )
        started = time.perf_counter()
        attention_ranking(db, day)
        scores.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        referral_forest(db, day).roots(0, ROOTS_SHOWN)
        trees.append((time.perf_counter() - started) * 1000)
    ensure_values(db, today)
    attention_ranking(db, today)
    referral_forest(db, today)
    day = today + timedelta(days=1)
    places = (2 * db.execute_sql("SELECT count(*) FROM customer_value").fetchone()[0] + 9) // 10
    moved = []
    for old, new in zip(value._windows(today), value._windows(day), strict=True):
        for after, upto in value._minus(new, old) + value._minus(old, new):
            moved.append((SPENT_BETWEEN, (after, upto)))
    placed = (
        "SELECT customer_id, spent_12m, value_rank, tier FROM customer_value INDEXED BY "
        f"customer_value_rank ORDER BY spent_12m DESC, customer_id LIMIT {places}"
    )
    return [
        Measured("the first reads of a new day (median of the next three days)", None),
        Measured(
            "  value summary: ensure_values, first search of the day; floor: the day's "
            "purchases entering or leaving a window, the gold and silver places, read raw",
            statistics.median(values),
            floor.ms([*moved, (placed, None)]),
            key="new day: values",
        ),
        Measured(
            f"  whole queue ranked: attention_ranking, about {statistics.median(rescored):,.0f} "
            "scores worked out again; floor: the ranking read from its index",
            statistics.median(scores),
            floor.ms([(RANKING, None)]),
            key="new day: queue ranked",
        ),
        Measured(
            f"  referral_forest + roots(0, {ROOTS_SHOWN}), the 12-month values moved",
            statistics.median(trees),
            floor.ms([(ROOT_COUNT, None), (ROOTS_RAW, None)]),
            key="new day: tree first level",
        ),
    ]


def _phone_tails(db, rng: random.Random, count: int) -> list[str]:
    """The last 4 to 8 digits of numbers in the book, as people type them (`0166`, `555 0166`)."""
    numbers = [
        row[0]
        for row in db.execute_sql(
            "SELECT national FROM customer_phone WHERE id % 991 = 1 AND length(national) >= 8 "
            "ORDER BY id LIMIT 200"
        )
    ]
    out = []
    for number in rng.sample(numbers, min(count, len(numbers))):
        tail = number[-rng.randrange(4, 9) :]
        out.append(f"{tail[:-4]} {tail[-4:]}".strip() if rng.randrange(2) else tail)
    return out


def _agenda(db, today: date) -> list[Measured]:
    """The week ahead (`tui-crm agenda`): the follow-ups due up to 7 days on, overdue first,
    and the plan touches falling due."""
    from tui_crm.core.agenda import week_ahead

    found = week_ahead(db, today)
    touches = sum(1 for item in found.items if item.touch is not None)
    return [
        Measured(
            f"agenda, the week ahead ({len(found.items) - touches:,} follow-ups, {touches:,} "
            f"plan touches, {found.touches_overdue:,} overdue touches counted; median of 5)",
            _median_ms(lambda: week_ahead(db, today), 5),
            key="agenda",
        )
    ]


def _plans(db, today: date) -> list[Measured]:
    """Communication plans of several kinds of touch (the migrated plans are one "contact"
    touch each): every category's "meeting every 3 months, call every month" and a yearly
    thanks for everyone; the queue worked out again for everyone they apply to, the first
    page, the next day, from nothing, and the agenda with them. The plans are put back."""
    from tui_crm.core.plans import parse_plan, read_plans, set_plan

    before = read_plans(db)
    touches = parse_plan("meeting every 3 months, call every month")

    def timed(run) -> float:
        started = time.perf_counter()
        run()
        return (time.perf_counter() - started) * 1000

    for plan in before:
        scope = {"everyone": "everyone", "none": "none"}.get(plan.scope, plan.category)
        wanted = parse_plan("thanks every year") if plan.scope == "everyone" else touches
        set_plan(db, scope, wanted, expected=plan.touches)
    again = timed(lambda: attention.attention_ranking(db, today))
    page = _median_ms(lambda: attention.attention_page(db, today, limit=50), 5)
    day = timed(lambda: attention.attention_ranking(db, today + timedelta(days=1)))
    db.execute_sql("DELETE FROM meta WHERE key = 'attention_kept'")
    scratch = timed(lambda: attention.attention_ranking(db, today))
    out = [
        Measured(
            "plans of several kinds (meeting + call per category, a yearly thanks for "
            "everyone): queue worked out again for everyone",
            again,
            key="plans: queue again",
        ),
        Measured("  first page of 50 with its texts (median of 5)", page),
        Measured("  the next day", day),
        Measured("  from nothing (after a bulk load)", scratch, key="plans: from nothing"),
        *(
            Measured("  " + m.what, m.ms, m.floor, m.text, "plans: agenda")
            for m in _agenda(db, today)
        ),
    ]
    for plan in before:  # as they were
        scope = {"everyone": "everyone", "none": "none"}.get(plan.scope, plan.category)
        current = [p for p in read_plans(db) if p.key == plan.key][0]
        set_plan(db, scope, plan.touches, expected=current.touches)
    attention.attention_ranking(db, today)
    return out


def _note_snippets(db, today: date) -> list[Measured]:
    """What a search matched in the notes of the rows on screen (20), read after them."""
    from tui_crm.core.search import note_snippets, search_ids

    out = []
    for word in ("voicemail", "quote"):
        ids = search_ids(db, parse(word), as_of=today, limit=20)
        out.append(
            Measured(
                f"notes matched by '{word}' for the 20 rows on screen (median of 5)",
                _median_ms(lambda ids=ids, word=word: note_snippets(db, word, ids), 5),
            )
        )
    return out


def _bulk(db, path: Path, today: date) -> list[Measured]:
    """A tag added to, and another removed from, every gold customer (a tenth of the book:
    10 000 at 100 000), as `tui-crm tag tier:gold +… -…` does it; then the undo of it. The
    book is left with the tags it had (their versions and history one step on)."""
    from tui_crm.core.backups import backup_before
    from tui_crm.core.bulk_actions import log_for_each, set_fields, tag_customers
    from tui_crm.core.undo import undo_last

    def timed(run) -> tuple[float, object]:
        start = time.perf_counter()
        done = run()
        return (time.perf_counter() - start) * 1000, done

    ahead = db.execute_sql("SELECT count(*) FROM customer_tag").fetchone()[0]
    dry, _ = timed(
        lambda: tag_customers(db, "tier:gold", ["bench"], ["vip"], as_of=today, dry_run=True)
    )
    wrote, result = timed(
        lambda: tag_customers(db, "tier:gold", ["bench"], ["vip"], as_of=today, who="bench")
    )
    backup, _ = timed(lambda: backup_before(db, "bench"))
    undo, _ = timed(lambda: undo_last(db, who="bench"))
    owned, _ = timed(
        lambda: set_fields(db, "tier:gold", {"owner": "bench"}, as_of=today, who="bench")
    )
    owner_undo, _ = timed(lambda: undo_last(db, who="bench"))
    logged, _ = timed(
        lambda: log_for_each(
            db, "tier:gold", notes="bench gift", kind="thanks", as_of=today, who="bench"
        )
    )
    log_undo, _ = timed(lambda: undo_last(db, who="bench"))
    assert db.execute_sql("SELECT count(*) FROM customer_tag").fetchone()[0] == ahead
    shutil.rmtree(Path(f"{path}.backups"), ignore_errors=True)  # the book's own, made here
    count = len(result.changes)
    return [
        Measured(f"bulk tag of {count:,} customers (tier:gold +bench -vip): dry run", dry),
        Measured("  written, after a backup of the book", wrote, key="bulk tag"),
        Measured("  of which the backup (the whole book, its size)", backup),
        Measured("  undone as one step", undo),
        Measured(f"owner set on the same {count:,} (set tier:gold owner=bench)", owned),
        Measured("  undone as one step", owner_undo),
        Measured(f"a thanks logged for the same {count:,} (log-all tier:gold)", logged),
        Measured("  undone as one step", log_undo),
    ]


def _find_wall(path: Path, home: Path, runs: int) -> tuple[float, float, float]:
    """`tui-crm find rob` as a whole process, and its floor: python, sqlite3 and the prefix
    query joined to customers; then the same command with its modules' bytecode kept (in a
    folder of the run's own), as an installed app has it: where PYTHONDONTWRITEBYTECODE is
    set, the first figure includes compiling every module of tui-crm on each run."""
    exe = shutil.which("tui-crm")
    command = [exe] if exe else [sys.executable, "-m", "tui_crm"]
    command += ["find", "rob", "--db", str(path)]
    env = dict(os.environ, TUI_CRM_HOME=str(home))
    cached = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(home / "bytecode")
    raw = [
        sys.executable,
        "-c",
        'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("SELECT c.id, '
        "c.first_name, c.last_name, c.company FROM customer_fts f JOIN customer c ON c.id = "
        "f.rowid WHERE customer_fts MATCH 'rob*' LIMIT 50\").fetchall()",
        str(path),
    ]
    timed = []
    for argv, where in ((command, env), (raw, env), (command, cached)):
        # The first run warms the page cache (and writes the bytecode for the third).
        subprocess.run(argv, capture_output=True, check=True, env=where)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=True, env=where)
            samples.append((time.perf_counter() - started) * 1000)
        timed.append(statistics.median(samples))
    return timed[0], timed[1], timed[2]


def measure(path: Path, args, counts: tuple[int, int, int]) -> tuple[str, list[Measured]]:
    """Build (or reuse) the book at `path` and measure it; the table's title and lines."""
    customers, interactions, purchases = counts
    folder = Path(tempfile.mkdtemp(prefix="tui-crm-bench-"))
    today = date.today()
    reuse = args.reuse and path.exists() and path.stat().st_size > 0
    out: list[Measured] = []
    try:
        db = open_database(path)
        if reuse:
            out.append(Measured("build", None, text="skipped (--reuse)"))
        else:
            sized = argparse.Namespace(
                **{
                    **vars(args),
                    "customers": customers,
                    "interactions": interactions,
                    "purchases": purchases,
                }
            )
            phases = build(db, sized, today)
            total = sum(t for _, t in phases)
            out.append(Measured("build total", total * 1000, text=f"{total:.1f} s", key="build"))
            out.extend(Measured(f"  {name}", t * 1000, text=f"{t:.1f} s") for name, t in phases)
        floor = Floor(path)
        big = customers >= 500_000
        out.extend(_after_a_load(db, today))
        rng = random.Random(args.seed)
        kinds = dict(QUERIES)
        kinds["phone digits"] = _phone_queries(db, rng, 20)
        kinds["phone tail"] = _phone_tails(db, rng, 20)
        out.extend(_searches(db, floor, kinds, args.runs, today))
        out.extend(_queue(db, floor, today, big))
        out.extend(_tree(db, floor, today))
        out.extend(_next_days(db, floor, today))
        out.extend(_bulk(db, path, today))
        out.extend(_agenda(db, today))
        out.extend(_plans(db, today))
        out.extend(_note_snippets(db, today))
        floor.close()
        close_database()
        find, find_floor, find_cached = _find_wall(path, folder / "bench-home", 5)
        out.append(
            Measured(
                "`tui-crm find rob` whole process (median of 5); floor: python + sqlite3, "
                "the prefix query",
                find,
                find_floor,
                key="find rob",
            )
        )
        out.append(
            Measured(
                "  the same with its bytecode kept, as an installed app has it",
                find_cached,
                key="find rob, bytecode",
            )
        )
    finally:
        close_database()
        if args.keep or reuse:
            print(f"kept {path}", file=sys.stderr)
        else:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
    title = (
        f"tui-crm benchmark: {customers:,} customers, {interactions:,} interactions, "
        f"{purchases:,} purchases; SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs"
    )
    return title, out


def _lines(out: list[Measured]) -> list[tuple[str, str]]:
    rows = []
    for line in out:
        shown = line.text or ("" if line.ms is None else f"{line.ms:.0f} ms")
        if line.floor is not None and not line.text.count("floor"):
            shown += f"  (floor {line.floor:.1f} ms)"
        rows.append((line.what, shown))
    return rows


def _size(n: int) -> str:
    return f"{n // 1_000_000}m" if n >= 1_000_000 else f"{n // 1000}k"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=None, help="default: 10 a customer")
    parser.add_argument("--purchases", type=int, default=None, help="default: 3 a customer")
    parser.add_argument(
        "--db",
        type=str,
        help="database file (default: a temporary one); with --scale, '{size}' in it becomes "
        "10k, 100k, 1m",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="skip the build when --db already has customers"
    )
    parser.add_argument("--runs", type=int, default=40, help="searches per query kind")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument(
        "--scale",
        nargs="?",
        const="10000,100000,1000000",
        help="measure books of these sizes (default 10k, 100k and 1M customers, each with 10 "
        "interactions and 3 purchases a customer) and print how each figure grows per 10×",
    )
    args = parser.parse_args(argv)

    sizes = [int(n) for n in args.scale.split(",")] if args.scale else [args.customers]
    tables: list[tuple[int, list[Measured]]] = []
    for customers in sizes:
        counts = (
            customers,
            args.interactions if args.interactions and not args.scale else 10 * customers,
            args.purchases if args.purchases and not args.scale else 3 * customers,
        )
        if args.db:
            path = Path(args.db.format(size=_size(customers)))
        else:
            path = Path(tempfile.mkdtemp(prefix="tui-crm-bench-")) / "bench.db"
        if path.exists() and not (args.reuse and path.stat().st_size > 0):
            print(f"{path} exists; remove it, give another --db, or pass --reuse", file=sys.stderr)
            return 2
        title, out = measure(path, args, counts)
        print_table(title, _lines(out))
        print()
        tables.append((customers, out))
    if len(tables) > 1:
        print_table(
            "growth per 10× (ms at each size; in brackets the same for the floor)",
            _growth(tables),
        )
    return 0


def _growth(tables: list[tuple[int, list[Measured]]]) -> list[tuple[str, str]]:
    keyed = [{line.key: line for line in out if line.key} for _, out in tables]
    keys = [line.key for line in tables[0][1] if line.key]
    header = "  →  ".join(_size(n) for n, _ in tables)
    rows = [("figure", f"{header}   (×growth per 10×)")]
    for key in keys:
        lines = [table.get(key) for table in keyed]
        if any(line is None or line.ms is None for line in lines):
            continue
        ms = [line.ms for line in lines]
        growth = " ".join(f"×{b / a:.1f}" if a else "—" for a, b in zip(ms, ms[1:], strict=False))
        shown = "  →  ".join(f"{m:,.0f}" if m >= 10 else f"{m:.1f}" for m in ms)
        floors = [line.floor for line in lines]
        if all(f is not None for f in floors):
            fgrowth = " ".join(
                f"×{b / a:.1f}" if a else "—" for a, b in zip(floors, floors[1:], strict=False)
            )
            shown += f"  ({'  →  '.join(f'{f:.1f}' for f in floors)}; {fgrowth})"
        rows.append((key, f"{shown}   {growth}"))
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
