"""The book's checks, repairs and backups on PostgreSQL."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from tui_crm.db.postgres.bulk import CONTACT, FIGURES, PURCHASES
from tui_crm.db.retention import Retention
from tui_crm.db.store.area import Row
from tui_crm.db.store.checks import Checks

SEARCH_COLUMNS = ("name", "company", "contact", "place", "tags", "notes")
_MADE = re.compile(
    r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?"
    r"(TABLE|INDEX|VIEW|FUNCTION|TRIGGER|STATISTICS|POLICY)\s+(\w+)",
    re.IGNORECASE,
)
_DROPPED = re.compile(
    r"\s*DROP\s+(TABLE|INDEX|VIEW|FUNCTION|TRIGGER|STATISTICS|POLICY)\s+(?:IF\s+EXISTS\s+)?(\w+)",
    re.IGNORECASE,
)


def _statements(sql: str) -> list[str]:
    """The statements of a schema file, split at each `;` outside quotes, `$$` bodies and
    comments."""
    out, start, n, quoted, body = [], 0, 0, "", False
    while n < len(sql):
        if not quoted and not body and sql.startswith("--", n):
            n = sql.find("\n", n) if "\n" in sql[n:] else len(sql)
            continue
        if sql.startswith("$$", n) and not quoted:
            body, n = not body, n + 2
            continue
        char = sql[n]
        if not body and char in "'\"":
            quoted = "" if quoted == char else (quoted or char)
        elif char == ";" and not quoted and not body:
            out.append(sql[start:n].strip())
            start = n + 1
        n += 1
    tail = sql[start:].strip()
    return [one for one in [*out, tail] if one and not _comment_only(one)]


def _comment_only(text: str) -> bool:
    return all(line.strip().startswith("--") or not line.strip() for line in text.splitlines())


def _code(statement: str) -> str:
    """The statement without its leading comment lines."""
    lines = statement.splitlines()
    while lines and (lines[0].strip().startswith("--") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines)


@functools.cache
def expected_objects() -> list[tuple[str, str, str]]:
    """(kind, name, statement) of each object the migrations leave, as the last one that made
    it made it (a later migration may drop an index and make it anew), in the order made."""
    from tui_crm.db.postgres import migrations

    found: dict[tuple[str, str], str] = {}
    for _, sql in migrations.migrations():
        for statement in _statements(sql):
            code = _code(statement)
            made, dropped = _MADE.match(code), _DROPPED.match(code)
            if made:
                key = (made.group(1).lower(), made.group(2))
                found.pop(key, None)
                found[key] = code
            elif dropped:
                found.pop((dropped.group(1).lower(), dropped.group(2)), None)
    return [(kind, name, code) for (kind, name), code in found.items()]


def _run_again() -> list[str]:
    """The migrations' `DO` blocks: what they do to every function and view (migration 18: a
    function that writes runs as its owner, a view reads as its reader), done again after a
    repair made some."""
    from tui_crm.db.postgres import migrations

    return [
        code
        for _, sql in migrations.migrations()
        for code in map(_code, _statements(sql))
        if code.upper().startswith("DO ")
    ]


_PRESENT = {
    "table": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
    "index": "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()",
    "view": "SELECT viewname FROM pg_views WHERE schemaname = current_schema()",
    "function": "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = current_schema()",
    "trigger": "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND NOT t.tgisinternal",
    # who may see which rows (migration 18)
    "policy": "SELECT policyname FROM pg_policies WHERE schemaname = current_schema()",
    # what the planner knows of a column's expression (a tier: qualifier's coalesce)
    "statistics": "SELECT s.stxname FROM pg_statistic_ext s "
    "JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = current_schema()",
}


class _RollBack(Exception):
    """Leaves a transaction that only looked, undoing it."""


class PostgresChecks(Checks):
    def take_backup(self, reason: str, keep: Retention) -> Path | None:
        """A checked pg_dump archive of the book; none by a role that sees only its own
        customers (it cannot take one: the team's sessions keep the book's backups)."""
        from tui_crm.db.postgres.backup import dump  # not on every start: backups are rare

        return dump(self.db.url, reason, keep=keep) if self.sees_whole_book() else None

    def tell_readers(self, *, if_written: bool = False) -> None:
        if if_written:
            # The kept tables have no triggers that tell. A transaction has an id once it
            # wrote a row (PostgreSQL 15's per-transaction table counts also hold a previous
            # transaction's, not yet sent to the statistics).
            self.db.execute_sql(
                "SELECT pg_notify('tui_crm_book', '') "
                "WHERE pg_current_xact_id_if_assigned() IS NOT NULL"
            )
            return
        with self.db.atomic():
            self.db.execute_sql("SELECT pg_notify('tui_crm_book', '')")

    def file_problem(self) -> str | None:
        return None  # the server keeps its own files whole (and says so when it cannot)

    def broken_references(self) -> list[tuple[str, int, str]]:
        return []  # the server holds every foreign key at each write

    def missing_schema(self) -> list[tuple[str, str, str]]:
        present = {
            kind: {row[0] for row in self.db.execute_sql(sql)} for kind, sql in _PRESENT.items()
        }
        return [
            (kind, name, sql) for kind, name, sql in expected_objects() if name not in present[kind]
        ]

    def search_index_fault(self) -> str | None:
        return None  # no index of its own to check: the documents are compared below

    def search_index_queries(self) -> tuple[str, str, str] | None:
        differs = " OR ".join(f"s.{c} IS DISTINCT FROM d.{c}" for c in SEARCH_COLUMNS)
        return (
            "SELECT id FROM customer WHERE id NOT IN (SELECT customer_id FROM customer_search) "
            "ORDER BY id",
            "SELECT customer_id FROM customer_search "
            "WHERE customer_id NOT IN (SELECT id FROM customer) ORDER BY customer_id",
            "SELECT d.customer_id FROM customer_search_doc d "
            f"JOIN customer_search s ON s.customer_id = d.customer_id WHERE {differs} "
            "ORDER BY d.customer_id",
        )

    def wrong_figures(self) -> dict[str, list[int]]:
        tests = ", ".join(
            f"{column} IS DISTINCT FROM {FIGURES[column]}" for column in self.FIGURE_NAMES
        )
        wrong: dict[str, list[int]] = {}
        for cid, *flags in self.db.execute_sql(f"SELECT id, {tests} FROM customer ORDER BY id"):
            for column, flag in zip(self.FIGURE_NAMES, flags, strict=True):
                if flag:
                    wrong.setdefault(column, []).append(cid)
        return wrong

    def values_differ(self, bounds: dict[str, str], columns: str) -> list[int]:
        db, wrong = self.db, []
        try:
            with db.atomic():
                db.execute_sql("CREATE TEMP TABLE check_value AS SELECT * FROM customer_value")
                self.rebuild_values(bounds)  # type: ignore[attr-defined]
                wrong = [
                    row[0]
                    for row in db.execute_sql(
                        f"SELECT customer_id FROM (SELECT {columns} FROM customer_value "
                        f"EXCEPT SELECT {columns} FROM pg_temp.check_value) AS gained "
                        f"UNION SELECT customer_id FROM (SELECT {columns} FROM "
                        f"pg_temp.check_value EXCEPT SELECT {columns} FROM customer_value) "
                        "AS lost ORDER BY 1"
                    )
                ]
                raise _RollBack
        except _RollBack:
            pass
        return wrong

    def rhythms_from_purchases(self) -> list[Row]:
        return self.db.execute_sql(
            "SELECT customer_id, count(DISTINCT day_number(day)), min(day_number(day)), "
            "max(day_number(day)) FROM purchase WHERE cents > 0 GROUP BY customer_id"
        ).fetchall()

    def repair_schema(self) -> list[str]:
        missing = [one for one in self.missing_schema() if one[0] != "table"]
        for _, _, statement in missing:
            with self.db.cursor() as cursor:  # as written: no placeholders in it
                cursor.execute(statement)
        if any(kind in ("function", "view") for kind, _, _ in missing):
            for statement in _run_again():  # made again: as migration 18 left them
                with self.db.cursor() as cursor:
                    cursor.execute(statement)
        self.db.execute_sql("DELETE FROM customer_search")
        self.db.execute_sql(
            "INSERT INTO customer_search (customer_id, name, company, contact, place, tags, "
            "notes) SELECT customer_id, name, company, contact, place, tags, notes "
            "FROM customer_search_doc"
        )
        return [f"{kind} {name}" for kind, name, _ in missing]

    def refresh_figures(self) -> None:
        self.db.execute_sql(f"UPDATE customer SET {CONTACT}, {PURCHASES}")
