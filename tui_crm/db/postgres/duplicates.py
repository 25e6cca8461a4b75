"""Duplicates, their kept pairs, and merging on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from peewee import IntegrityError, fn

from tui_crm.db.store.duplicates import Duplicates, Row

# An email's and a phone's key: SQLite's (lower() folds ASCII only, as ascii_lower()), cut to
# the 200 characters an index entry holds whatever the value's length (migration 19; the same
# as SQLite's key for any email or phone shorter).
EMAIL_KEY = 'crm_prefix(ascii_lower(x.address)) COLLATE "C"'
PHONE_KEY = 'crm_prefix(x.number) COLLATE "C"'

# The holders of one key (through the indexes on the keys: customer_email_key,
# customer_phone_number).
_HOLDERS = {
    "email": f"""SELECT string_agg(DISTINCT x.customer_id::text, ','), ?::text
FROM customer_email x JOIN customer c ON c.id = x.customer_id
WHERE c.deleted_at IS NULL AND {EMAIL_KEY} = ?""",
    "phone": f"""SELECT string_agg(DISTINCT x.customer_id::text, ','), min(x.shown)
FROM customer_phone x JOIN customer c ON c.id = x.customer_id
WHERE c.deleted_at IS NULL AND {PHONE_KEY} = ? AND x.verified""",
}


class PostgresDuplicates(Duplicates):
    CONTACTS = {
        "email": ("customer_email", EMAIL_KEY, EMAIL_KEY, ""),
        "phone": ("customer_phone", PHONE_KEY, "min(x.shown)", " AND x.verified"),
    }
    HOLDERS = "string_agg(DISTINCT x.customer_id::text, ',')"
    PEOPLE_ORDER = " ORDER BY id"
    SHARED_ORDER = "\nORDER BY {key}"  # in the C collation, as SQLite compares
    KEY_LIST = "SELECT unnest(?::text[])"
    PAIR_LIST = "SELECT a, b FROM unnest(?::integer[], ?::integer[]) AS p(a, b)"

    def keys(self, keys: Iterable[str]) -> object:
        return list(keys)

    def pairs(self, pairs: Iterable[tuple[int, int]]) -> tuple:
        pairs = list(pairs)
        return [a for a, _ in pairs], [b for _, b in pairs]

    def contact_holders(self, code: str, key: str) -> tuple[list[int], str | None]:
        params = (key, key) if code == "email" else (key,)
        ((ids_text, label),) = self.db.execute_sql(_HOLDERS[code], params).fetchall()
        return (sorted(int(i) for i in ids_text.split(",")) if ids_text else []), label

    def folds_to(self, column: Any, folded: str) -> Any:
        # ascii_lower() is SQLite's lower(). Each column's index is on one of the two: an
        # email's on lower() (what folds to `folded` in ASCII lowers to its lower()), a last
        # name's on ascii_lower() in the C collation (equality is the same in any).
        return (fn.lower(column) == fn.lower(folded)) & (
            fn.ascii_lower(column).collate('"C"') == folded
        )

    def plain_indexes(self, table: str) -> list[tuple[str, str]]:
        return self.db.execute_sql(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = ?::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY i.oid",
            (table,),
        ).fetchall()

    def refill(self, table: str, columns: str, rows: Sequence[Sequence]) -> None:
        # PostgreSQL keeps its indexes well enough row by row for the sizes a book has.
        self.db.execute_sql(f"DELETE FROM {table}")
        self._insert_rows(table, columns, rows)

    def move_name_count(self, part: str, key: str, n: int) -> None:
        self.db.execute_sql(
            "INSERT INTO duplicate_name_count (part, key, n) VALUES (?, ?, ?) "
            "ON CONFLICT (part, key) DO UPDATE SET n = duplicate_name_count.n + excluded.n",
            (part, key, n),
        )
        self.db.execute_sql(
            "DELETE FROM duplicate_name_count WHERE part = ? AND key = ? AND n = 0", (part, key)
        )

    def drop_group_links(self, first: str, last: str) -> None:
        self.db.execute_sql(
            "DELETE FROM duplicate_link WHERE last_a = ? AND first_a = ?", (last, first)
        )
        self.db.execute_sql(
            "DELETE FROM duplicate_link WHERE last_b = ? AND first_b = ?", (last, first)
        )

    def drop_self_link(self, first: str, last: str) -> None:
        self.db.execute_sql(
            "DELETE FROM duplicate_link "
            "WHERE last_a = ? AND first_a = ? AND last_b = ? AND first_b = ?",
            (last, first, last, first),
        )

    def contact_keys_of(self, ids: Iterable[int]) -> list[Row]:
        return self.db.execute_sql(
            f"""SELECT 'email', {EMAIL_KEY} FROM customer_email x
WHERE customer_id IN ({self.ID_LIST})
UNION SELECT 'phone', {PHONE_KEY} FROM customer_phone x WHERE customer_id IN ({self.ID_LIST})
UNION SELECT code, key FROM duplicate_contact WHERE customer_a IN ({self.ID_LIST})
UNION SELECT code, key FROM duplicate_contact WHERE customer_b IN ({self.ID_LIST})""",
            (self.ids(ids),) * 4,
        ).fetchall()

    def contacts_of_pairs(self, pairs: Iterable[tuple[int, int]]) -> list[Row]:
        # The label is the least key's row's, as SQLite gives it (keys compared as code points).
        return self.db.execute_sql(
            "SELECT DISTINCT ON (c.customer_a, c.customer_b, c.code) "
            f"c.customer_a, c.customer_b, c.code, c.key, c.label FROM ({self.PAIR_LIST}) t "
            "JOIN duplicate_contact c ON c.customer_a = t.a AND c.customer_b = t.b "
            'ORDER BY c.customer_a, c.customer_b, c.code, c.key COLLATE "C"',
            self.pairs(pairs),
        ).fetchall()

    def touched_sql(self, where: str) -> list[str]:
        # The value summary, buying days, queue and referral figures are built again when next
        # read (as after a bulk load); the duplicate pairs follow the customers' marks, as
        # PostgreSQL's triggers would have left them.
        picked = f"SELECT c.id FROM customer c WHERE {where}"
        contacts = (("email", "customer_email", EMAIL_KEY), ("phone", "customer_phone", PHONE_KEY))
        return [
            "DELETE FROM meta WHERE key IN ('values_as_of', 'values_day', 'purchase_gaps', "
            "'attention_kept', 'referrals_kept')",
            f"INSERT INTO duplicate_dirty (customer_id) {picked} ON CONFLICT DO NOTHING",
            *(
                f"INSERT INTO duplicate_dirty_contact (code, key) SELECT DISTINCT '{code}', {key} "
                f"FROM {table} x JOIN customer c ON c.id = x.customer_id WHERE {where} "
                "ON CONFLICT DO NOTHING"
                for code, table, key in contacts
            ),
        ]

    def copy_kept(self, tables: dict[str, str]) -> None:
        for table, columns in tables.items():
            self.db.execute_sql(
                f"CREATE TEMP TABLE check_{table} ON COMMIT DROP AS SELECT {columns} FROM {table}"
            )

    def rows_unlike_copy(self, table: str, columns: str) -> int:
        differ = self.db.execute_sql(
            f"SELECT count(*) FROM (SELECT {columns} FROM {table} "
            f"EXCEPT SELECT {columns} FROM check_{table}) AS d "
            f"UNION ALL SELECT count(*) FROM (SELECT {columns} FROM check_{table} "
            f"EXCEPT SELECT {columns} FROM {table}) AS e"
        ).fetchall()
        return sum(row[0] for row in differ)

    def customer_foreign_keys(self) -> set[tuple[str, str]]:
        return {
            (table, column)
            for table, column in self.db.execute_sql(
                "SELECT t.relname, a.attname FROM pg_constraint k "
                "JOIN pg_class t ON t.oid = k.conrelid "
                "JOIN pg_namespace n ON n.oid = t.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) "
                "WHERE k.contype = 'f' AND k.confrelid = 'customer'::regclass "
                "AND n.nspname = current_schema()"
            )
        }

    def row_keys(self, table: str, column: str) -> list[str]:
        # The other columns of its primary key (none: the row is the customer's one row); a
        # table without one, every other column (a row's ctid moves as it is written).
        primary = self.db.execute_sql(
            "SELECT a.attname FROM pg_index x "
            "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey) "
            "WHERE x.indrelid = ?::regclass AND x.indisprimary "
            "ORDER BY array_position(x.indkey::int2[], a.attnum)",
            (f'"{table}"',),
        ).fetchall()
        if primary:
            return [name for (name,) in primary if name != column]
        return [
            name
            for (name,) in self.db.execute_sql(
                "SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 "
                "AND NOT attisdropped ORDER BY attnum",
                (f'"{table}"',),
            )
            if name != column
        ]

    def move_row(self, table: str, column: str, key: dict[str, Any], src: int, dst: int) -> bool:
        where = "".join(f' AND "{k}" IS NOT DISTINCT FROM ?' for k in key)
        try:
            with self.db.atomic():  # a clash spoils only this savepoint (UPDATE OR IGNORE)
                cursor = self.db.execute_sql(
                    f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?{where}',
                    (dst, src, *key.values()),
                )
        except (IntegrityError, psycopg.IntegrityError):
            return False
        return cursor.rowcount == 1
