"""Loading many rows fast: the triggers' work left while writing, the figures rebuilt once
after, by the book's store (tui_crm/db/store/bulk.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from peewee import Database

from tui_crm.db.store import store_of
from tui_crm.db.store.bulk import EVERYTHING, Rebuild

__all__ = ["EVERYTHING", "Rebuild", "bulk_load"]


@contextmanager
def bulk_load(db: Database, rebuild: Rebuild = EVERYTHING) -> Iterator[Database]:
    """Let the body write rows without the triggers' work, then rebuild what `rebuild` says
    (by default every figure the triggers keep, for everyone: per-customer figures, the
    search index, the value mark).

    All of it runs in one transaction (a savepoint when one is already open): if the body
    raises, nothing it wrote is kept and the triggers are exactly as before. Write through
    `store_of(db).executemany` (or `db`) in the same thread; a commit inside the body defeats
    the rollback."""
    with store_of(db).bulk_load(rebuild):
        yield db
