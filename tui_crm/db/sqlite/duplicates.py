"""Duplicates, their kept pairs, and merging on SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from peewee import fn

from tui_crm.db import derived
from tui_crm.db.store.duplicates import Duplicates, Row

_IDS = "(SELECT value FROM json_each(?))"

# The holders of one key (lower() and NOCASE fold the same ASCII letters; NOCASE finds the
# addresses through customer_email_address).
_HOLDERS = {
    "email": """SELECT group_concat(DISTINCT x.customer_id), ?1 FROM customer_email x
JOIN customer c ON c.id = x.customer_id
WHERE c.deleted_at IS NULL AND x.address = ?1 COLLATE NOCASE AND lower(x.address) = ?1""",
    "phone": """SELECT group_concat(DISTINCT x.customer_id), min(x.shown) FROM customer_phone x
JOIN customer c ON c.id = x.customer_id
WHERE c.deleted_at IS NULL AND x.number = ?1 AND x.verified""",
}
_KEYS_OF = f"""SELECT 'email', lower(address) FROM customer_email WHERE customer_id IN {_IDS}
UNION SELECT 'phone', number FROM customer_phone WHERE customer_id IN {_IDS}
UNION SELECT code, key FROM duplicate_contact WHERE customer_a IN {_IDS}
UNION SELECT code, key FROM duplicate_contact WHERE customer_b IN {_IDS}"""


class SqliteDuplicates(Duplicates):
    CONTACTS = {
        "email": ("customer_email", "lower(x.address)", "lower(x.address)", ""),
        # A number kept as typed (not verified) is never the same phone as another. One
        # number has one text (`format_phone` of it), kept with each row.
        "phone": ("customer_phone", "x.number", "min(x.shown)", " AND x.verified"),
    }
    HOLDERS = "group_concat(DISTINCT x.customer_id)"
    PAIRS_FROM = "duplicate_pair p INDEXED BY duplicate_pair_order"
    KEY_LIST = "SELECT value FROM json_each(?)"
    PAIR_LIST = (
        "SELECT json_extract(value, '$[0]') AS a, json_extract(value, '$[1]') AS b "
        "FROM json_each(?)"
    )
    LINKS_LO_FROM = "duplicate_link INDEXED BY duplicate_link_lo"
    LINKS_HI_FROM = "duplicate_link INDEXED BY duplicate_link_hi"

    def keys(self, keys: Iterable[str]) -> object:
        return json.dumps(list(keys))

    def pairs(self, pairs: Iterable[tuple[int, int]]) -> tuple:
        return (json.dumps([list(pair) for pair in pairs]),)

    def contact_holders(self, code: str, key: str) -> tuple[list[int], str | None]:
        ((ids_text, label),) = self.db.execute_sql(_HOLDERS[code], (key,)).fetchall()
        return (sorted(int(i) for i in ids_text.split(",")) if ids_text else []), label

    def folds_to(self, column: Any, folded: str) -> Any:
        return fn.lower(column) == folded

    def plain_indexes(self, table: str) -> list[tuple[str, str]]:
        return [
            (name, sql)
            for name, sql in self.db.execute_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL ORDER BY rowid",
                (table,),
            )
        ]

    def refill(self, table: str, columns: str, rows: Sequence[Sequence]) -> None:
        # Its plain indexes dropped meanwhile and built again after, as `db/derived.refill`
        # does (one sorted build each, not 100 000 scattered inserts).
        indexes = self.plain_indexes(table)
        for name, _ in indexes:
            self.db.execute_sql(f'DROP INDEX "{name}"')
        self.db.execute_sql(f"DELETE FROM {table}")
        self._insert_rows(table, columns, rows)
        for _, sql in indexes:
            self.db.execute_sql(sql)

    def move_name_count(self, part: str, key: str, n: int) -> None:
        self.db.execute_sql(
            "INSERT INTO duplicate_name_count (part, key, n) VALUES (?, ?, ?) "
            "ON CONFLICT (part, key) DO UPDATE SET n = n + excluded.n",
            (part, key, n),
        )
        self.db.execute_sql(
            "DELETE FROM duplicate_name_count WHERE part = ? AND key = ? AND n = 0", (part, key)
        )

    def drop_group_links(self, first: str, last: str) -> None:
        self.db.execute_sql(
            "DELETE FROM duplicate_link WHERE last_a = ?1 AND first_a = ?2", (last, first)
        )
        self.db.execute_sql(
            "DELETE FROM duplicate_link WHERE last_b = ?1 AND first_b = ?2", (last, first)
        )

    def drop_self_link(self, first: str, last: str) -> None:
        self.db.execute_sql(
            "DELETE FROM duplicate_link "
            "WHERE last_a = ?1 AND first_a = ?2 AND last_b = ?1 AND first_b = ?2",
            (last, first),
        )

    def contact_keys_of(self, ids: Iterable[int]) -> list[Row]:
        return self.db.execute_sql(_KEYS_OF, (self.ids(ids),) * 4).fetchall()

    def contacts_of_pairs(self, pairs: Iterable[tuple[int, int]]) -> list[Row]:
        # The label is the min(key) row's (SQLite's rule for a bare column beside min()).
        return self.db.execute_sql(
            f"SELECT c.customer_a, c.customer_b, c.code, min(c.key), c.label FROM ({self.PAIR_LIST}) t "
            "JOIN duplicate_contact c ON c.customer_a = t.a AND c.customer_b = t.b "
            "GROUP BY 1, 2, 3",
            self.pairs(pairs),
        ).fetchall()

    def touched_sql(self, where: str) -> list[str]:
        return derived.touched_sql(where)

    def copy_kept(self, tables: dict[str, str]) -> None:
        for table, columns in tables.items():
            self.db.execute_sql(
                f"CREATE TEMP TABLE check_{table} AS SELECT {columns} FROM main.{table}"
            )

    def rows_unlike_copy(self, table: str, columns: str) -> int:
        differ = self.db.execute_sql(
            f"SELECT count(*) FROM (SELECT {columns} FROM main.{table} "
            f"EXCEPT SELECT {columns} FROM temp.check_{table}) "
            f"UNION ALL SELECT count(*) FROM (SELECT {columns} FROM temp.check_{table} "
            f"EXCEPT SELECT {columns} FROM main.{table})"
        ).fetchall()
        return sum(row[0] for row in differ)

    def customer_foreign_keys(self) -> set[tuple[str, str]]:
        tables = [
            name
            for (name,) in self.db.execute_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                "'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'"
            )
        ]
        out = set()
        for table in tables:
            for row in self.db.execute_sql(f'PRAGMA foreign_key_list("{table}")'):
                if row[2] == "customer":
                    out.add((table, row[3]))
        return out

    def row_keys(self, table: str, column: str) -> list[str]:
        # Its rowid, or for a table WITHOUT ROWID the other columns of its primary key.
        sql = self.db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()[0]
        if "WITHOUT ROWID" not in " ".join(sql.upper().split()):
            return ["rowid"]
        return [
            row[1]
            for row in self.db.execute_sql(f'PRAGMA table_info("{table}")')
            if row[5] and row[1] != column
        ]

    def move_row(self, table: str, column: str, key: dict[str, Any], src: int, dst: int) -> bool:
        where = "".join(f' AND "{k}" = ?' if k != "rowid" else " AND rowid = ?" for k in key)
        cursor = self.db.execute_sql(
            f'UPDATE OR IGNORE "{table}" SET "{column}" = ? WHERE "{column}" = ?{where}',
            (dst, src, *key.values()),
        )
        return cursor.rowcount == 1
