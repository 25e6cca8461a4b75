"""Finding customers: the search index and the query language's plans on SQLite."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tui_crm.db.store.search import (
    FOUND_FROM,
    FOUND_TO,
    SNIPPET_TOKENS,
    Row,
    Search,
    phone_tail,
    text_words,
)

if TYPE_CHECKING:
    from tui_crm.core.query import Query, Word

NOTES_COLUMN = 5  # customer_fts: name, company, contact, place, tags, notes


def fts_term(word: Word) -> str:
    """One word as a safe FTS5 phrase: quoted, quotes doubled, `*` for prefix matching (user
    text never becomes FTS syntax). Four to eight digits match the end of a phone number too
    (its tail tokens, migration 17)."""
    quoted = '"' + word.text.replace('"', '""') + '"'
    if word.phrase:
        return quoted
    tail = phone_tail(word.text, word.phrase)
    if tail:
        return f'({quoted}* OR "{tail}")'
    return quoted + "*"


def match_strings(query: Query) -> tuple[str | None, str | None]:
    """FTS5 queries for the words that must match all, and those of which none may."""
    positive = [fts_term(w) for w in text_words(query, negated=False)]
    negative = [fts_term(w) for w in text_words(query, negated=True)]
    return " AND ".join(positive) or None, " OR ".join(negative) or None


class SqliteSearch(Search):
    NOT_FALSE = "0"
    # CROSS JOIN: SQLite keeps the tables in the order written, so the walk follows the index.
    IN_ORDER_JOIN = "CROSS JOIN"

    def caseless(self, column: str) -> str:
        return f"{column} COLLATE NOCASE"

    def tidy_text_index(self, pages: int) -> bool:
        """FTS5 keeps each write's search documents as a segment of their own and merges
        them a little at each later write: after many writes, and after bulk actions (10 000
        customers tagged, then undone), a prefix is looked for in dozens of segments, and a
        key's search took 2-3 times as long at p95. FTS5's 'merge' does that work ahead;
        total_changes grows by 2 or more when it found some (SQLite's FTS5 documentation)."""
        connection = self.db.connection()
        with self.db.atomic("IMMEDIATE"):
            before = connection.total_changes
            self.db.execute_sql(
                "INSERT INTO customer_fts(customer_fts, rank) VALUES ('merge', ?)", (pages,)
            )
            return connection.total_changes - before >= 2

    def caseless_in(self, column: str, count: int) -> str:
        return f"{column} COLLATE NOCASE IN ({', '.join('?' for _ in range(count))})"

    def caseless_like(self, column: str) -> str:
        return f"{column} LIKE ? ESCAPE '\\'"  # SQLite's LIKE ignores ASCII case

    def order_term(self, column: str, descending: bool) -> str:
        return column + (" DESC" if descending else "")

    def indexed_by(self, index: str | None) -> str:
        return f" INDEXED BY {index}" if index else " NOT INDEXED"  # NOT INDEXED: rowid order

    def total(self, expression: str) -> str:
        return f"total({expression})"

    def id_set(self) -> str:
        return "SELECT value FROM json_each(?)"

    def text_conditions(self, query: Query, mode: str = "direct") -> tuple[list[str], list]:
        sql: list[str] = []
        params: list = []
        positive, negative = match_strings(query)
        # `+` keeps the planner from driving a walk from the hits instead of from its index.
        probe = "c.id" if mode == "direct" else "+c.id"
        if positive:
            if mode == "seek":
                # The customer's id read through their figures' row (the same id, or none
                # without one): SQLite asks the index only once it has read that row, after
                # the cheap tests of it (`spent12m>`, `tier:`), not of every customer walked.
                # `lifetime<0 an` took 0.9 s, not 0.1, at 100 000 customers.
                sql.append(
                    "EXISTS (SELECT 1 FROM customer_fts WHERE customer_fts.rowid = "
                    "coalesce(v.customer_id, c.id) AND customer_fts MATCH ?)"
                )
            else:
                sql.append(
                    f"{probe} IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH ?)"
                )
            params.append(positive)
        if negative:
            sql.append(
                f"{probe} NOT IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH ?)"
            )
            params.append(negative)
        return sql, params

    def text_hits(self, query: Query, cap: int) -> int | None:
        positive, _ = match_strings(query)
        if not positive:
            return None
        return self.db.execute_sql(
            "SELECT count(*) FROM (SELECT rowid FROM customer_fts "
            "WHERE customer_fts MATCH ? LIMIT ?)",
            (positive, cap),
        ).fetchone()[0]

    def name_candidates(self, tokens: list[str]) -> list[Row]:
        match = "name : (" + " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens) + ")"
        return self.db.execute_sql(
            "SELECT c.id, c.first_name, c.last_name, c.nickname FROM customer c "
            "WHERE c.deleted_at IS NULL "
            "AND c.id IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH ?)",
            (match,),
        ).fetchall()

    def note_snippets(self, words: list[Word], ids: list[int]) -> dict[int, str]:
        terms = [fts_term(w) for w in words]
        found = self.db.execute_sql(
            f"SELECT rowid, snippet(customer_fts, {NOTES_COLUMN}, ?, ?, '…', {SNIPPET_TOKENS}) "
            "FROM customer_fts "
            "WHERE customer_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))",
            (FOUND_FROM, FOUND_TO, f"notes : ({' OR '.join(terms)})", json.dumps(ids)),
        )
        return dict(found.fetchall())
