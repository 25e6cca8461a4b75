"""Loading many rows fast: triggers off while writing, derived figures rebuilt once after."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from peewee import Database

from tui_crm.db.derived import refresh_all_sql

_TRIGGERS = "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' ORDER BY rowid"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def bulk_load(db: Database, rebuild: Sequence[str] | None = None) -> Iterator[Database]:
    """Drop the triggers, let the body insert rows, then restore them and rebuild everything
    they would have maintained (per-customer figures, the search index, the value mark).
    `rebuild` replaces that whole rebuild with statements that redo only what the body
    touched (an import of new customers reindexes just them).

    All of it runs in one transaction (a savepoint when one is already open): if the body
    raises, nothing it wrote is kept and the triggers are exactly as before. Write through
    `db.connection()` in the same thread; a commit inside the body defeats the rollback.
    """
    with db.atomic():
        triggers = list(db.execute_sql(_TRIGGERS))
        for name, _ in triggers:
            db.execute_sql(f"DROP TRIGGER {_quote(name)}")
        try:
            yield db
            # Rebuild before the triggers return: these statements touch no trigger's
            # columns today, and with the triggers off they could not double-count later.
            for statement in refresh_all_sql() if rebuild is None else rebuild:
                db.execute_sql(statement)
        finally:
            _restore(db, triggers)


def _restore(db: Database, triggers: list[tuple[str, str]]) -> None:
    """Re-create, in their original order, the triggers that are missing (the SQL text is
    exactly what sqlite_master held). Checking first keeps this safe when a failed body
    already rolled the drops back."""
    present = {name for name, _ in db.execute_sql(_TRIGGERS)}
    for name, sql in triggers:
        if name not in present:
            db.execute_sql(sql)
