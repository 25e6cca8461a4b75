"""A book on PostgreSQL keeps the same figures as one on SQLite: the same random writes on both
leave the same search documents, contact and purchase figures, kept spends, buying days, and
the same marks for the queue, the referral tree and the duplicates to look at again."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_crm.db.database import close_database, open_database
from tui_crm.db.postgres.book import PostgresBook

pytestmark = pytest.mark.postgres

NAMES = ["Ann", "Bob", "Zoë", "Øyvind", "Li", "Ann-Marie", ""]
WORDS = ["quote", "voicemail", "renewal", "[b]x[/b]", "café", "o'brien", ""]
DAYS = [f"2026-{m:02d}-{d:02d}" for m in (1, 6, 11, 12) for d in (1, 5, 6, 20)]


class Books:
    """The same statements (the book's SQL, `?` placeholders) on an SQLite book and a
    PostgreSQL one."""

    def __init__(self, sqlite, postgres: PostgresBook) -> None:
        self.sqlite, self.postgres = sqlite, postgres

    def run(self, sql: str, params: tuple = ()) -> None:
        self.sqlite.execute_sql(sql, params)
        self.postgres.execute_sql(sql, params)

    def read(self, sql: str) -> tuple[list, list]:
        return (
            [tuple(r) for r in self.sqlite.execute_sql(sql).fetchall()],
            [tuple(r) for r in self.postgres.execute_sql(sql).fetchall()],
        )


@pytest.fixture
def books(db_path: Path, pg_url: str) -> Iterator[Books]:
    sqlite = open_database(db_path)
    postgres = PostgresBook(pg_url)
    yield Books(sqlite, postgres)
    postgres.close()
    close_database()


class Writer:
    """Random writes of every kind a book sees, with ids chosen here so both engines agree."""

    def __init__(self, books: Books, rng: random.Random) -> None:
        self.books, self.rng = books, rng
        self.customers: list[int] = []
        self.rows: dict[str, list[int]] = {
            "customer_email": [],
            "customer_phone": [],
            "interaction": [],
            "purchase": [],
            "plan_touch": [],
        }
        self.next_id = 100

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def someone(self) -> int | None:
        return self.rng.choice(self.customers) if self.customers else None

    def step(self) -> str:
        rng = self.rng
        if not self.customers:
            return self.add_customer()
        kind = rng.choice(
            ["add_customer", "add_customer", "edit_customer", "trash", "email", "phone", "tag", "interaction",
             "purchase", "plan", "summary", "settle", "delete_customer"]
        )  # fmt: skip
        return getattr(self, kind)()

    def add_customer(self) -> str:
        cid = self.new_id()
        self.books.run(
            "INSERT INTO customer (id, first_name, last_name, company, notes, why_chose_us, "
            "referred_by_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, self.rng.choice(NAMES) or "X", self.rng.choice(NAMES), "Acme",
             self.rng.choice(WORDS), self.rng.choice(WORDS), self.someone(),
             "2026-01-01 09:00:00", "2026-01-01 09:00:00"),
        )  # fmt: skip
        self.customers.append(cid)
        return f"add customer {cid}"

    def edit_customer(self) -> str:
        cid = self.someone()
        column, value = self.rng.choice(
            [("first_name", self.rng.choice(NAMES) or "Y"), ("city", self.rng.choice(WORDS)),
             ("street", self.rng.choice(WORDS)), ("deleted_at", None),
             ("referred_by_id", self.someone()), ("status", "lost"), ("version", 7),
             ("notes", self.rng.choice(WORDS)), ("birthday", self.rng.choice(DAYS))]
        )  # fmt: skip
        self.books.run(f"UPDATE customer SET {column} = ? WHERE id = ?", (value, cid))
        return f"customer {cid} {column} = {value!r}"

    def trash(self) -> str:
        cid = self.someone()
        stamp = self.rng.choice([None, "2026-12-01 10:00:00"])
        self.books.run("UPDATE customer SET deleted_at = ? WHERE id = ?", (stamp, cid))
        return f"customer {cid} deleted_at = {stamp}"

    def delete_customer(self) -> str:
        cid = self.someone()
        self.books.run("DELETE FROM customer WHERE id = ?", (cid,))
        self.customers.remove(cid)
        return f"delete customer {cid}"

    def _edit_row(self, table: str, insert: str, values: tuple, update: str, new: tuple) -> str:
        rows, action = self.rows[table], self.rng.choice(["add", "add", "edit", "delete"])
        live = [r for r in rows if r]
        if action == "add" or not live:
            rid = self.new_id()
            self.books.run(insert, (rid, *values))
            rows.append(rid)
            return f"add {table} {rid} {values}"
        rid = self.rng.choice(live)
        if action == "edit":
            self.books.run(update, (*new, rid))
            return f"edit {table} {rid} {new}"
        self.books.run(f"DELETE FROM {table} WHERE id = ?", (rid,))
        rows.remove(rid)
        return f"delete {table} {rid}"

    def _exists(self, cid: int | None) -> bool:
        return cid in self.customers

    def email(self) -> str:
        cid = self.someone()
        address = f"{self.rng.choice(NAMES) or 'x'}@Example.com"
        return self._edit_row(
            "customer_email",
            "INSERT INTO customer_email (id, customer_id, address) VALUES (?, ?, ?)",
            (cid, address),
            "UPDATE customer_email SET address = ? WHERE id = ?",
            (address.upper(),),
        )

    def phone(self) -> str:
        cid = self.someone()
        national = self.rng.choice(["4155550166", "555", "20 7946 0958", "0166"])
        return self._edit_row(
            "customer_phone",
            "INSERT INTO customer_phone (id, customer_id, number, national) VALUES (?, ?, ?, ?)",
            (cid, "+1" + national, national),
            "UPDATE customer_phone SET national = ?, customer_id = ? WHERE id = ?",
            (national[:3], self.someone()),
        )

    def tag(self) -> str:
        cid, tag = self.someone(), self.rng.choice([1, 2, 3])
        self.books.run(
            "INSERT INTO tag (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING", (tag, f"t{tag}")
        )
        if self.rng.random() < 0.6:
            self.books.run(
                "INSERT INTO customer_tag (customer_id, tag_id) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                (cid, tag),
            )
            return f"tag {cid} t{tag}"
        self.books.run("DELETE FROM customer_tag WHERE customer_id = ? AND tag_id = ?", (cid, tag))
        return f"untag {cid} t{tag}"

    def interaction(self) -> str:
        cid, rng = self.someone(), self.rng
        at = f"{rng.choice(DAYS)} {rng.choice(['09:00:00', '17:30:00'])}"
        follow_up = rng.choice([None, None, rng.choice(DAYS)])
        done = rng.choice([False, False, True])
        return self._edit_row(
            "interaction",
            "INSERT INTO interaction (id, customer_id, kind, at, notes, follow_up, "
            "follow_up_done, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, rng.choice(["call", "meeting", "email"]), at, rng.choice(WORDS), follow_up,
             done, at),
            "UPDATE interaction SET at = ?, follow_up_done = ?, customer_id = ? WHERE id = ?",
            (at, done, self.someone()),
        )  # fmt: skip

    def purchase(self) -> str:
        cid, rng = self.someone(), self.rng
        # few days, so that a customer often buys twice on one (one buying day, not two)
        day = rng.choice(["2026-12-01", "2026-12-01", "2026-06-05", "2025-06-01", "2026-12-20"])
        cents = rng.choice([0, 1999, 25000, -500])
        if rng.random() < 0.2 and [r for r in self.rows["purchase"] if r]:
            rid = rng.choice(self.rows["purchase"])
            self.books.run("UPDATE purchase SET customer_id = ? WHERE id = ?", (cid, rid))
            return f"move purchase {rid} to {cid}"
        return self._edit_row(
            "purchase",
            "INSERT INTO purchase (id, customer_id, day, cents, created_at) VALUES (?, ?, ?, ?, ?)",
            (cid, day, cents, "2026-12-01 08:00:00"),
            "UPDATE purchase SET day = ?, cents = ? WHERE id = ?",
            (day, cents),
        )

    def plan(self) -> str:
        return self._edit_row(
            "plan_touch",
            "INSERT INTO plan_touch (id, scope, kind, every_days) VALUES (?, ?, ?, ?)",
            (self.rng.choice(["everyone", "none"]), "call", 30),
            "UPDATE plan_touch SET every_days = ? WHERE id = ?",
            (self.rng.choice([7, 60]),),
        )

    def summary(self) -> str:
        """The value summary of a day (core/value.py's first build, in portable SQL)."""
        day, back30, back12 = "2026-12-06", "2026-11-06", "2025-12-06"
        for key, value in (
            ("values_day", day), ("values_from_30d", back30), ("values_from_12m", back12),
            ("values_as_of", day),
        ):  # fmt: skip
            self.books.run(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        self.books.run("DELETE FROM customer_value")
        self.books.run(
            "INSERT INTO customer_value (customer_id, spent_30d, spent_12m, lifetime, "
            "value_rank, tier) SELECT c.id, "
            "coalesce(sum(CASE WHEN p.day > ? THEN p.cents END), 0), "
            "coalesce(sum(CASE WHEN p.day > ? THEN p.cents END), 0), "
            "coalesce(sum(p.cents), 0), 0, '' FROM customer c "
            "LEFT JOIN purchase p ON p.customer_id = c.id AND p.day <= ? "
            "WHERE c.deleted_at IS NULL GROUP BY c.id",
            (back30, back12, day),
        )
        return "value summary"

    def settle(self) -> str:
        """What the readers do once they have worked the marks off: scores valid, referral
        figures made, duplicates looked at."""
        self.books.run("UPDATE attention_score SET valid_until = 5")
        self.books.run("DELETE FROM referral_dirty")
        self.books.run(
            "INSERT INTO referral_figure (customer_id) SELECT id FROM customer WHERE true "
            "ON CONFLICT DO NOTHING"
        )
        self.books.run("DELETE FROM duplicate_dirty")
        self.books.run("DELETE FROM duplicate_dirty_contact")
        return "settle"


FIGURES = {
    "customer figures": "SELECT id, last_contact_at, next_follow_up, lifetime_cents, "
    "purchase_count, last_purchase_on FROM customer ORDER BY id",
    "kept spends": "SELECT customer_id, spent_30d, spent_12m, lifetime FROM customer_value "
    "ORDER BY customer_id",
    "buying days": "SELECT customer_id, purchases, first_day, last_day FROM purchase_rhythm "
    "ORDER BY customer_id",
    "book figures": "SELECT key, value FROM meta WHERE key IN ('purchase_gaps', 'values_as_of') "
    "ORDER BY key",
    "queue marks": "SELECT customer_id FROM attention_score WHERE valid_until = 0 "
    "AND customer_id IN (SELECT id FROM customer) ORDER BY customer_id",
    "referral marks": "SELECT customer_id FROM referral_dirty ORDER BY customer_id",
    "duplicate marks": "SELECT customer_id FROM duplicate_dirty ORDER BY customer_id",
    "duplicate contact marks": "SELECT code, key FROM duplicate_dirty_contact ORDER BY code, key",
}
SEARCH = {
    "sqlite": "SELECT rowid, name, company, contact, place, tags, notes FROM customer_fts "
    "ORDER BY rowid",
    "postgresql": "SELECT customer_id, name, company, contact, place, tags, notes "
    "FROM customer_search ORDER BY customer_id",
}


def _documents(rows: list) -> list:
    """Each document as the words of each column, in any order: the engines join a customer's
    emails, phones, tags and notes in orders of their own."""
    return [(row[0], *(sorted(str(text).split()) for text in row[1:])) for row in rows]


def _same_figures(books: Books, done: list[str]) -> None:
    for what, sql in FIGURES.items():
        on_sqlite, on_postgres = books.read(sql)
        assert on_postgres == on_sqlite, f"{what} differ after: {done[-3:]}"
    on_sqlite = books.sqlite.execute_sql(SEARCH["sqlite"]).fetchall()
    on_postgres = books.postgres.execute_sql(SEARCH["postgresql"]).fetchall()
    assert _documents(on_postgres) == _documents(on_sqlite), f"search documents, {done[-3:]}"


@pytest.mark.parametrize("seed", range(4))
def test_the_same_writes_keep_the_same_figures(books: Books, seed: int) -> None:
    writer, done = Writer(books, random.Random(seed)), []
    for _ in range(300):
        done.append(writer.step())
        _same_figures(books, done)
    kinds = {" ".join(what.split()[:2]) for what in done}
    for kind in ("add purchase", "edit purchase", "delete purchase", "edit interaction",
                 "delete interaction", "delete customer", "value summary", "settle"):  # fmt: skip
        assert kind in kinds, f"the random writes never did: {kind}"
