"""A realistic, deterministic demo book: customers from several countries, referral chains,
two years of purchases with a few big spenders, follow-ups due and overdue, customers who
stopped buying (lapsed) and lost ones, opt-outs and a few likely duplicates (Rob / Robert
Smith)."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, time, timedelta

from peewee import Database

from tui_crm.core.customers import create_customer, log_interaction
from tui_crm.core.fields import parse_phone
from tui_crm.core.plans import add_category, parse_plan
from tui_crm.db.models import Customer, Purchase
from tui_crm.errors import CrmError

PEOPLE = {
    "NO": (
        ["Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø"],
        ["Ola", "Kari", "Lars", "Ingrid", "Sindre", "Maren", "Eirik", "Solveig", "Håkon", "Nora"],
        [
            "Hansen",
            "Johansen",
            "Olsen",
            "Larsen",
            "Berg",
            "Haugen",
            "Dahl",
            "Lie",
            "Bakke",
            "Nilsen",
        ],
        "+47 9{0}{1} {2}{3} {4}{5}{6}".replace(" ", ""),
        "Norway",
    ),
    "US": (
        ["Boston", "New York", "Chicago", "Austin", "Seattle", "Denver"],
        [
            "James",
            "Mary",
            "Robert",
            "Patricia",
            "Michael",
            "Jennifer",
            "William",
            "Linda",
            "David",
            "Elizabeth",
        ],
        [
            "Smith",
            "Johnson",
            "Brown",
            "Miller",
            "Davis",
            "Wilson",
            "Moore",
            "Taylor",
            "Anderson",
            "Thomas",
        ],
        "+1 415 555 01{4}{5}".replace(" ", ""),
        "United States",
    ),
    "GB": (
        ["London", "Manchester", "Leeds", "Bristol", "Edinburgh"],
        [
            "Oliver",
            "Amelia",
            "Harry",
            "Isla",
            "George",
            "Ava",
            "Jack",
            "Emily",
            "Charlie",
            "Sophie",
        ],
        [
            "Jones",
            "Williams",
            "Evans",
            "Roberts",
            "Walker",
            "Wright",
            "Thompson",
            "White",
            "Hughes",
            "Green",
        ],
        "+44 7{0}{1}{2} {3}{4}{5}{6}{0}{1}".replace(" ", ""),
        "United Kingdom",
    ),
    "DE": (
        ["Berlin", "Hamburg", "München", "Köln", "Frankfurt"],
        ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Hannah", "Paul", "Laura", "Max", "Julia"],
        [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Hoffmann",
            "Schäfer",
        ],
        "+49 151 {0}{1}{2}{3}{4}{5}{6}{0}".replace(" ", ""),
        "Germany",
    ),
    "FR": (
        ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes"],
        ["Lucas", "Chloé", "Hugo", "Léa", "Louis", "Manon", "Jules", "Camille", "Arthur", "Inès"],
        [
            "Martin",
            "Bernard",
            "Dubois",
            "Thomas",
            "Robert",
            "Richard",
            "Petit",
            "Durand",
            "Leroy",
            "Moreau",
        ],
        "+33 6 {0}{1} {2}{3} {4}{5} {6}{0}".replace(" ", ""),
        "France",
    ),
}
COMPANIES = [
    "Nordlys Shipping",
    "Acme Tools",
    "Brightside Dental",
    "Fjord Fisheries",
    "Keystone Logistics",
    "Bluebird Bakery",
    "Lindqvist Architects",
    "Harbor Freight Co",
    "Atlas Consulting",
    "Greenleaf Farms",
    "Maison Lumière",
    "Rheinwerk GmbH",
    "Thistle & Rose",
    "Copperfield Legal",
    "Summit Outdoor",
    "Pixelforge Studio",
    "Old Town Hotel",
    "Vega Medical",
    "Northwind Traders",
    "Café Central",
]
TITLES = [
    "Owner",
    "CEO",
    "Purchasing Manager",
    "Office Manager",
    "CTO",
    "Buyer",
    "Head of Operations",
    "",
]
SOURCES = ("referral", "website", "trade show", "cold call", "linkedin", "walk-in")
WHY = (
    "Fast delivery and a person who picks up the phone",
    "Best price after the trade-show discount",
    "A friend recommended us",
    "Our support fixed their old system in a day",
    "Local company, they like to buy local",
    "",
)
LOST_REASONS = (
    "Went with a cheaper competitor",
    "Delivery delays in spring",
    "Their company was acquired",
    "Unhappy with support response times",
)
TAGS = ("vip", "newsletter", "wholesale", "retail", "partner", "event-2026")
PRODUCTS = (
    ("Annual licence", "software", 120000),
    ("Support plan", "service", 45000),
    ("Hardware kit", "hardware", 89000),
    ("Training day", "service", 30000),
    ("Consumables", "supplies", 8000),
)
NOTES = (
    "Asked about volume pricing for next quarter",
    "Happy with the last delivery; wants a catalogue",
    "Called back about the invoice, all sorted",
    "Interested in the new support plan",
    "Complained about the delay, offered a discount",
    "Left a voicemail",
    "Meeting went well, decision expected soon",
    "Wants a demo for the whole team",
)
THANKS = (
    "Sent flowers to thank them for recommending {name}",
    "Called to thank them for introducing {name}; offered 10 % off the next order",
    "Thank-you card and a bottle of wine for referring {name}",
)
NICKNAMES = {"Robert": "Rob", "William": "Bill", "Elizabeth": "Liz", "James": "Jim"}
# About one customer in twelve buys for this many days from their first purchase and then
# never again: those who came early enough have stopped buying by now (lapsed).
QUITTING_AFTER = 60


def ascii_fold(text: str) -> str:
    """Müller -> muller, Håkon -> hakon, Søren -> soren, Łódź -> lodz: for made-up email
    addresses."""
    text = text.lower().replace("ø", "o").replace("æ", "ae").replace("ł", "l")
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if ch.isascii())


def _phone(rng: random.Random, pattern: str, region: str, used: set[str]) -> str:
    """A valid number in the region's made-up range that no one else in the book has (two
    people sharing a phone would be a duplicate candidate); '' when none is found quickly."""
    for _ in range(40):
        digits = [str(rng.randrange(10)) for _ in range(7)]
        candidate = pattern.format(*digits)
        if candidate in used:
            continue
        try:
            parse_phone(candidate, region)
        except CrmError:
            continue
        used.add(candidate)
        return candidate
    return ""


def build_demo(
    db: Database, *, customers: int = 300, seed: int = 7, today: date | None = None
) -> int:
    """Fill an empty, migrated database with a demo book; return the number of customers."""
    if Customer.select().exists():
        raise CrmError("the demo database already has customers; give a new --db path")
    rng = random.Random(seed)
    today = today or date.today()
    start = today - timedelta(days=730)
    with db.atomic():
        add_category(
            db, "key account", touches=parse_plan("meeting every 3 months, call every 2 weeks")
        )
        add_category(db, "regular", touches=parse_plan("contact every 45 days"))
        add_category(db, "small", touches=parse_plan("contact every 4 months"))
        ids: list[int] = []
        quitters: set[int] = set()  # bought for a couple of months, then never again
        phones: set[str] = set()
        planted_birthday = None
        for n in range(customers):
            region = rng.choice(list(PEOPLE))
            cities, firsts, lasts, phone_pattern, country = PEOPLE[region]
            index = rng.randrange(len(firsts))  # the name lists alternate male, female
            first, last = firsts[index], rng.choice(lasts)
            gender = ("m", "f")[index % 2] if rng.random() < 0.92 else rng.choice(("x", ""))
            if n in (5, 6):  # a likely duplicate pair that the app should catch
                first, last, region = (
                    ("Robert", "Smith", "US") if n == 5 else ("Rob", "Smith", "US")
                )
                cities, _, _, phone_pattern, country = PEOPLE["US"]
                gender = "m"
            company = rng.choice(COMPANIES) if rng.random() < 0.75 else ""
            acquired = start + timedelta(days=rng.randrange(0, 700))
            referrer = (
                rng.choice(ids[: max(1, len(ids) // 2)]) if ids and rng.random() < 0.35 else None
            )
            source = "referral" if referrer else rng.choice(SOURCES[1:])
            domain = "".join(ch for ch in ascii_fold(company or last) if ch.isalnum()) or "example"
            local = "".join(ch for ch in ascii_fold(f"{first}.{last}") if ch.isalnum() or ch == ".")
            # Lapsed is not typed: it is who stopped buying. The customers this draw once typed
            # lapsed stop buying instead (below), so every later draw stays as it was.
            roll = rng.random()
            status = "lost" if roll < 0.06 else "active"
            values = {
                "first_name": first,
                "last_name": last,
                "nickname": NICKNAMES.get(first, "") if rng.random() < 0.3 else "",
                "company": company,
                "job_title": rng.choice(TITLES) if company else "",
                "gender": gender,
                "birthday": date(
                    rng.randrange(1950, 2002), rng.randrange(1, 13), rng.randrange(1, 29)
                ),
                "street": f"{rng.randrange(1, 200)} {rng.choice(('Main', 'Harbour', 'Station', 'Park', 'Church'))} Street",
                "postal_code": f"{rng.randrange(1000, 99999):05d}",
                "city": rng.choice(cities),
                "country": country,
                "source": source,
                "acquired_on": acquired,
                "referred_by": referrer,
                "why_chose_us": rng.choice(WHY),
                "category": rng.choice(("key account", "regular", "regular", "small", "")),
                "owner": rng.choice(("anna", "ben", "chris")),
                "territory": country,
                "status": status,
                "lost_reason": rng.choice(LOST_REASONS) if status == "lost" else "",
                "email_opt_out": rng.random() < 0.1,
                "notes": rng.choice(
                    (
                        "",
                        "Prefers calls in the morning",
                        "Decision maker is the CFO",
                        "Send invoices by email only",
                    )
                ),
                "emails": [("work", f"{local}@{domain}.example.com")]
                + ([("home", f"{local}{n}@mail.example.org")] if rng.random() < 0.3 else []),
                "phones": [("mobile", _phone(rng, phone_pattern, region, phones))],
                "tags": rng.sample(TAGS, rng.randrange(0, 3)),
            }
            if n in (5, 6):  # the same person twice: same birthday, as a merge would show
                planted_birthday = planted_birthday or values["birthday"]
                values["birthday"] = planted_birthday
            created = datetime.combine(acquired, time(9, 0))
            ids.append(create_customer(db, values, who="demo", now=created))
            if 0.06 <= roll < 0.14:
                quitters.add(ids[-1])
        big_spenders = set(rng.sample(ids, min(len(ids), max(1, len(ids) // 25))))
        purchases = []
        for cid in ids:
            acquired = Customer.get_by_id(cid).acquired_on
            gap = rng.choice((21, 30, 45, 60, 90, 180))
            day = acquired + timedelta(days=rng.randrange(0, 20))
            stop = (
                today - timedelta(days=rng.choice((0, 0, 0, 120, 300)))
                if rng.random() < 0.3
                else today
            )
            while day <= stop and rng.random() < 0.97:
                name, category, base = rng.choice(PRODUCTS)
                cents = int(base * rng.uniform(0.5, 1.8)) * (8 if cid in big_spenders else 1)
                purchases.append(
                    {
                        "customer": cid,
                        "day": day,
                        "cents": cents,
                        "currency": "USD",
                        "description": name,
                        "category": category,
                        "invoice_ref": f"INV-{day:%Y}-{len(purchases) + 1:05d}",
                        "created_at": datetime.combine(day, time(12, 0)),
                    }
                )
                day += timedelta(days=max(1, int(rng.gauss(gap, gap / 4))))
        first_day: dict[int, date] = {}
        for purchase in purchases:
            first_day.setdefault(purchase["customer"], purchase["day"])
        purchases = [
            p
            for p in purchases
            if p["customer"] not in quitters
            or p["day"] <= first_day[p["customer"]] + timedelta(days=QUITTING_AFTER)
        ]
        for chunk in range(0, len(purchases), 500):
            Purchase.insert_many(purchases[chunk : chunk + 500]).execute()
        for cid in ids:
            for _ in range(rng.randrange(1, 7)):
                at = datetime.combine(
                    today - timedelta(days=rng.randrange(1, 400)),
                    time(rng.randrange(8, 18), rng.choice((0, 15, 30, 45))),
                )
                log_interaction(
                    db,
                    cid,
                    notes=rng.choice(NOTES),
                    kind=rng.choice(("call", "call", "email", "meeting", "message")),
                    at=at,
                    who=rng.choice(("anna", "ben", "chris")),
                    now=at,
                )
            if rng.random() < 0.3:  # open follow-ups: some overdue, some due soon
                at = datetime.combine(today - timedelta(days=rng.randrange(0, 10)), time(16, 0))
                due = today + timedelta(days=rng.randrange(-5, 10))
                log_interaction(
                    db, cid, notes=rng.choice(NOTES), at=at, follow_up=max(due, at.date()), now=at
                )
        for cid in ids:  # most referrers were thanked, some not yet
            referred = Customer.get_by_id(cid)
            if referred.referred_by_id is None or rng.random() < 0.35:
                continue
            at = datetime.combine(
                referred.acquired_on + timedelta(days=rng.randrange(2, 15)), time(11)
            )
            if at.date() < today:
                log_interaction(
                    db,
                    referred.referred_by_id,
                    kind="thanks",
                    notes=rng.choice(THANKS).format(name=referred.first_name or referred.company),
                    regarding=cid,
                    at=at,
                    who=rng.choice(("anna", "ben", "chris")),
                    now=at,
                )
    return len(ids)
