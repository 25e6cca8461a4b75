"""Duplicates, their kept pairs, and merging (core/duplicates.py, duplicates_kept.py, merge.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tui_crm.db.store.area import Area, Row

PEOPLE_SQL = """SELECT id, first_name, last_name, company, city, birthday, gender, street,
  postal_code, version FROM customer WHERE deleted_at IS NULL"""

PERSON_COLUMNS = (
    "customer_id, first, last, company, birthday, gender, first_key, last_key, last_sound, "
    "company_key, address_key"
)
NAMED = "first_key != '' AND last_key != ''"
LINK_COLUMNS = "first_a, last_a, first_b, last_b, rare, p_lo, p_hi"
CONTACT_COLUMNS = "customer_a, customer_b, code, key, label"

# Every key more than one live customer holds, the text shown for it and its holders.
SHARED = """SELECT {key}, {shown}, {holders}
FROM {table} x JOIN customer c ON c.id = x.customer_id
WHERE c.deleted_at IS NULL{only}
GROUP BY {key}
HAVING count(DISTINCT x.customer_id) > 1{order}"""

_COUNT = "(SELECT n FROM duplicate_name_count WHERE part = '{part}' AND key = {key})"
# A link's product of name counts, from the kept counts.
P_SQL = (
    f"({_COUNT.format(part='f', key='first_a')} + CASE WHEN first_b != first_a "
    f"THEN {_COUNT.format(part='f', key='first_b')} ELSE 0 END) * "
    f"({_COUNT.format(part='l', key='last_a')} + CASE WHEN last_b != last_a "
    f"THEN {_COUNT.format(part='l', key='last_b')} ELSE 0 END)"
)

READ_SQL = """SELECT p.customer_a, p.customer_b, p.score, p.reasons,
  a.first_name, a.last_name, a.company, a.city, a.version,
  b.first_name, b.last_name, b.company, b.city, b.version,
  d.customer_a_id IS NOT NULL
FROM {pairs}
JOIN customer a ON a.id = p.customer_a
JOIN customer b ON b.id = p.customer_b
LEFT JOIN duplicate_dismissal d
  ON d.customer_a_id = p.customer_a AND d.customer_b_id = p.customer_b
{where}
ORDER BY p.score DESC, p.customer_a, p.customer_b{limit}"""


def marks(n: int) -> str:
    """`n` placeholders, comma separated."""
    return ", ".join("?" * n)


class Duplicates(Area):
    # Each kind of contact as the pairs compare and show it: its table, the key the holders
    # share, the text the reason shows (a phone's kept display text), and which rows count.
    CONTACTS: dict[str, tuple[str, str, str, str]] = {}
    # The holders of one key, as text: ids joined by commas.
    HOLDERS = ""
    # The rules read people by id and shared keys in code point order (the first of them gives
    # a pair's label): SQLite reads them so from its rowids and GROUP BY; PostgreSQL is told.
    PEOPLE_ORDER = ""
    SHARED_ORDER = ""
    # Where the pairs are read from in score order (SQLite names its index).
    PAIRS_FROM = "duplicate_pair p"
    # `… IN (KEY_LIST)` with `keys(…)` as its parameter: like ID_LIST, for texts.
    KEY_LIST = ""
    # `(PAIR_LIST) t` with `pairs(…)` as its parameters: a table of pairs `t(a, b)`.
    PAIR_LIST = ""

    def keys(self, keys: Iterable[str]) -> object:
        raise NotImplementedError

    def pairs(self, pairs: Iterable[tuple[int, int]]) -> tuple:
        raise NotImplementedError

    # The people and their shared contacts (core/duplicates.py) ---------------------------

    def people(self, ids: Iterable[int] | None = None) -> list[Row]:
        """(id, first, last, company, city, birthday, gender, street, postal code, version)
        of the live customers (of those ids)."""
        if ids is None:
            return self.db.execute_sql(PEOPLE_SQL + self.PEOPLE_ORDER).fetchall()
        return self.db.execute_sql(
            f"{PEOPLE_SQL} AND id IN ({self.ID_LIST}){self.PEOPLE_ORDER}", (self.ids(ids),)
        ).fetchall()

    def shared_contacts(self, code: str) -> list[tuple[str, str, list[int]]]:
        """(key, label, holder ids) of each email or phone (`code`) more than one live
        customer holds."""
        table, key, shown, only = self.CONTACTS[code]
        sql = SHARED.format(
            table=table,
            key=key,
            shown=shown,
            only=only,
            holders=self.HOLDERS,
            order=self.SHARED_ORDER.format(key=key),
        )
        return [
            (key, label, [int(i) for i in ids_text.split(",")])
            for key, label, ids_text in self.db.execute_sql(sql)
        ]

    def contact_holders(self, code: str, key: str) -> tuple[list[int], str | None]:
        """The live customers holding one email or phone (`code`, `key`), and its label."""
        raise NotImplementedError

    def folds_to(self, column: Any, folded: str) -> Any:
        """The condition (a peewee expression) that SQLite's lower() of `column`, which folds
        ASCII letters only, is `folded`."""
        raise NotImplementedError

    def dismissed_pairs(self) -> list[Row]:
        return self.db.execute_sql(
            "SELECT customer_a_id, customer_b_id FROM duplicate_dismissal"
        ).fetchall()

    # The kept pairs (core/duplicates_kept.py) --------------------------------------------

    def read_pairs(self, include_dismissed: bool, limit: int | None) -> list[Row]:
        """The kept pairs in score order with both customers' names, company, city and
        version, and whether the pair was dismissed."""
        where = "" if include_dismissed else "WHERE d.customer_a_id IS NULL"
        tail = f" LIMIT {int(limit):d}" if limit is not None else ""
        return self.db.execute_sql(
            READ_SQL.format(pairs=self.PAIRS_FROM, where=where, limit=tail)
        ).fetchall()

    def duplicate_marks(self) -> tuple[list[int], list[Row]]:
        """The customers and the (code, key) contacts writes marked since the pairs were kept."""
        dirty = [row[0] for row in self.db.execute_sql("SELECT customer_id FROM duplicate_dirty")]
        keys = self.db.execute_sql("SELECT code, key FROM duplicate_dirty_contact").fetchall()
        return dirty, keys

    def clear_duplicate_marks(self) -> None:
        self.db.execute_sql("DELETE FROM duplicate_dirty")
        self.db.execute_sql("DELETE FROM duplicate_dirty_contact")

    def plain_indexes(self, table: str) -> list[tuple[str, str]]:
        """(name, definition) of the indexes of `table` not behind a UNIQUE or PRIMARY KEY."""
        raise NotImplementedError

    def refill(self, table: str, columns: str, rows: Sequence[Sequence]) -> None:
        """`table` holding exactly `rows` (of `columns`)."""
        raise NotImplementedError

    def _insert_rows(self, table: str, columns: str, rows: Sequence[Sequence]) -> None:
        self.executemany(  # type: ignore[attr-defined]
            f"INSERT INTO {table} ({columns}) VALUES ({marks(len(columns.split(',')))})", rows
        )

    def stored_people(self, ids: Iterable[int]) -> list[Row]:
        """The kept `duplicate_person` rows (PERSON_COLUMNS) of those customers."""
        return self.db.execute_sql(
            f"SELECT {PERSON_COLUMNS} FROM duplicate_person WHERE customer_id IN ({self.ID_LIST})",
            (self.ids(ids),),
        ).fetchall()

    def replace_people(self, ids: Iterable[int], rows: Sequence[Sequence]) -> None:
        """The kept people of those ids are `rows` (PERSON_COLUMNS)."""
        self.db.execute_sql(
            f"DELETE FROM duplicate_person WHERE customer_id IN ({self.ID_LIST})",
            (self.ids(ids),),
        )
        self._insert_rows("duplicate_person", PERSON_COLUMNS, rows)

    def move_name_count(self, part: str, key: str, n: int) -> None:
        """Add `n` to the count of a first (`f`) or last (`l`) name; a count of 0 goes."""
        raise NotImplementedError

    def links(self, column: str, keys: Iterable[str]) -> list[Row]:
        """(LINK_COLUMNS) of the links whose `column` is one of `keys`."""
        return self.db.execute_sql(
            f"SELECT {LINK_COLUMNS} FROM duplicate_link WHERE {column} IN ({self.KEY_LIST})",
            (self.keys(keys),),
        ).fetchall()

    LINKS_LO_FROM = "duplicate_link"
    LINKS_HI_FROM = "duplicate_link"

    def links_near(self, limit: int) -> list[Row]:
        """(LINK_COLUMNS) of the links whose bounds reach the limit of the book's size."""
        return (
            self.db.execute_sql(
                f"SELECT {LINK_COLUMNS} FROM {self.LINKS_LO_FROM} WHERE rare = 0 AND p_lo <= ?",
                (limit,),
            ).fetchall()
            + self.db.execute_sql(
                f"SELECT {LINK_COLUMNS} FROM {self.LINKS_HI_FROM} WHERE rare = 1 AND p_hi > ?",
                (limit,),
            ).fetchall()
        )

    def links_of_group(self, side: str, first: str, last: str) -> list[Row]:
        """(LINK_COLUMNS) of the links whose side `a` or `b` is the group (first, last)."""
        return self.db.execute_sql(
            f"SELECT {LINK_COLUMNS} FROM duplicate_link WHERE last_{side} = ? AND first_{side} = ?",
            (last, first),
        ).fetchall()

    def name_counts(self, firsts: Iterable[str], lasts: Iterable[str]) -> list[Row]:
        """(part, key, n) of those first and last names."""
        return self.db.execute_sql(
            f"SELECT part, key, n FROM duplicate_name_count WHERE part = 'f' AND key IN "
            f"({self.KEY_LIST}) UNION ALL SELECT part, key, n FROM duplicate_name_count "
            f"WHERE part = 'l' AND key IN ({self.KEY_LIST})",
            (self.keys(firsts), self.keys(lasts)),
        ).fetchall()

    def group_people(self, first: str, last: str) -> list[Row]:
        """The kept people (PERSON_COLUMNS) of one named group, by id."""
        return self.db.execute_sql(
            f"SELECT {PERSON_COLUMNS} FROM duplicate_person "
            f"WHERE last_key = ? AND first_key = ? AND {NAMED} ORDER BY customer_id",
            (last, first),
        ).fetchall()

    def drop_group_links(self, first: str, last: str) -> None:
        """Every link of one group goes."""
        raise NotImplementedError

    def drop_self_link(self, first: str, last: str) -> None:
        """The link of a group with itself goes."""
        raise NotImplementedError

    def add_links(self, links: Sequence[Sequence]) -> None:
        """Links (first_a, last_a, first_b, last_b) not yet worked out (rare -1), unless there."""
        self.executemany(  # type: ignore[attr-defined]
            f"INSERT INTO duplicate_link ({LINK_COLUMNS}) VALUES (?, ?, ?, ?, -1, 0, 0) "
            "ON CONFLICT DO NOTHING",
            links,
        )

    def rewrite_links(self, rows: Sequence[Sequence]) -> None:
        """(rare, p_lo, p_hi, last_a, first_a, last_b, first_b) for each link to rewrite."""
        self.executemany(  # type: ignore[attr-defined]
            "UPDATE duplicate_link SET rare = ?, p_lo = ?, p_hi = ? "
            "WHERE last_a = ? AND first_a = ? AND last_b = ? AND first_b = ?",
            rows,
        )

    def firsts_with_last(self, last: str) -> list[str]:
        """The first names kept with a last name (named people)."""
        return [
            row[0]
            for row in self.db.execute_sql(
                f"SELECT DISTINCT first_key FROM duplicate_person WHERE last_key = ? AND {NAMED}",
                (last,),
            )
        ]

    def lasts_sounding(self, code: str) -> list[str]:
        """The last names kept whose soundex is `code` (named people)."""
        return [
            row[0]
            for row in self.db.execute_sql(
                f"SELECT DISTINCT last_key FROM duplicate_person WHERE last_sound = ? AND {NAMED}",
                (code,),
            )
        ]

    def contact_keys_of(self, ids: Iterable[int]) -> list[Row]:
        """(code, key) of the emails and phones those customers hold or their kept pairs
        name."""
        raise NotImplementedError

    def _forget(self, sql: str, params: Sequence) -> list[Row]:
        return self.db.execute_sql(f"{sql} RETURNING customer_a, customer_b", params).fetchall()

    def forget_pairs_of(self, table: str, column: str, ids: Iterable[int]) -> list[Row]:
        """Delete the rows of `table` whose `column` is one of `ids`; their (a, b)."""
        return self._forget(
            f"DELETE FROM {table} WHERE {column} IN ({self.ID_LIST})", (self.ids(ids),)
        )

    def forget_name_pairs(self, ids_a: Iterable[int], ids_b: Iterable[int]) -> list[Row]:
        """Delete the name pairs of a customer of `ids_a` with one of `ids_b`; their (a, b)."""
        return self._forget(
            f"DELETE FROM duplicate_name_pair WHERE customer_a IN ({self.ID_LIST}) "
            f"AND customer_b IN ({self.ID_LIST})",
            (self.ids(ids_a), self.ids(ids_b)),
        )

    def forget_contact(self, code: str, key: str) -> list[Row]:
        """Delete the pairs one email or phone gave; their (a, b)."""
        return self._forget("DELETE FROM duplicate_contact WHERE code = ? AND key = ?", (code, key))

    def add_name_pairs(self, rows: Sequence[Sequence]) -> None:
        self._insert_rows("duplicate_name_pair", "customer_a, customer_b, code, text", rows)

    def add_contact_pairs(self, rows: Sequence[Sequence]) -> None:
        self._insert_rows("duplicate_contact", CONTACT_COLUMNS, rows)

    def add_pairs(self, rows: Sequence[Sequence]) -> None:
        self._insert_rows("duplicate_pair", "customer_a, customer_b, score, reasons", rows)

    def pairs_with(self, column: str, ids: Iterable[int]) -> list[Row]:
        """(a, b) of the kept pairs whose `column` is one of `ids`."""
        return self.db.execute_sql(
            f"SELECT customer_a, customer_b FROM duplicate_pair WHERE {column} IN ({self.ID_LIST})",
            (self.ids(ids),),
        ).fetchall()

    def drop_pairs(self, pairs: Iterable[tuple[int, int]]) -> None:
        self.db.execute_sql(
            f"DELETE FROM duplicate_pair WHERE (customer_a, customer_b) IN ({self.PAIR_LIST})",
            self.pairs(pairs),
        )

    def contacts_of_pairs(self, pairs: Iterable[tuple[int, int]]) -> list[Row]:
        """(a, b, code, least key, its label) of the shared contacts of those pairs."""
        raise NotImplementedError

    def names_of_pairs(self, pairs: Iterable[tuple[int, int]]) -> list[Row]:
        """(a, b, code, text) of the name pairs among those pairs."""
        return self.db.execute_sql(
            f"SELECT n.customer_a, n.customer_b, n.code, n.text FROM ({self.PAIR_LIST}) t "
            "JOIN duplicate_name_pair n ON n.customer_a = t.a AND n.customer_b = t.b",
            self.pairs(pairs),
        ).fetchall()

    def touched_sql(self, where: str) -> list[str]:
        """For a writer that had the triggers off (`bulk_load` with nothing to rebuild) and
        knows whom it touched: the statements that bring what the triggers keep (purchase
        rhythms, the value summary, queue scores, referral figures, kept duplicate pairs) up
        to date for the customers `where` picks (alias `c`), or mark it to be."""
        raise NotImplementedError

    # Checking the kept pairs -------------------------------------------------------------

    def unbounded_links(self) -> int:
        """How many links have a product of name counts outside their kept bounds."""
        return self.db.execute_sql(
            f"SELECT count(*) FROM duplicate_link WHERE ({P_SQL}) NOT BETWEEN p_lo AND p_hi"
        ).fetchone()[0]

    def copy_kept(self, tables: dict[str, str]) -> None:
        """A temporary copy (`check_<table>`) of `columns` of each kept table, in the
        transaction (rolled back with it)."""
        raise NotImplementedError

    def rows_unlike_copy(self, table: str, columns: str) -> int:
        """How many rows of a kept table and of its copy are not in the other."""
        raise NotImplementedError

    # Merging (core/merge.py) -------------------------------------------------------------

    def customer_foreign_keys(self) -> set[tuple[str, str]]:
        """Every (table, column) in the book that references customer."""
        raise NotImplementedError

    def row_keys(self, table: str, column: str) -> list[str]:
        """The columns that find one row of `table` besides `column`."""
        raise NotImplementedError

    def rows_of(
        self,
        table: str,
        column: str,
        keys: list[str],
        customer_id: int,
        *,
        also: tuple[str, str, int] | None = None,
    ) -> list[Row]:
        """The `keys` of the rows of `table` whose `column` is `customer_id`, and (`also`):
        whose (column, "=" or "!=", id) holds, or (column, "new to", id) whose column's value
        no row of that customer has."""
        where, params = f'"{column}" = ?', [customer_id]
        if also is not None:
            other, test, value = also
            if test == "new to":
                where += (
                    f' AND "{other}" NOT IN (SELECT "{other}" FROM "{table}" WHERE "{column}" = ?)'
                )
            else:
                assert test in ("=", "!=")
                where += f' AND "{other}" {test} ?'
            params.append(value)
        rows = self.db.execute_sql(
            f'SELECT {", ".join(keys) or "1"} FROM "{table}" WHERE {where}', params
        ).fetchall()
        return rows if keys else [() for _ in rows]

    def move_row(self, table: str, column: str, key: dict[str, Any], src: int, dst: int) -> bool:
        """Point `column` of the row `key` finds from `src` to `dst`, unless the row would
        clash with one there; whether it moved."""
        raise NotImplementedError
