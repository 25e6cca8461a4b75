"""One store per engine behind one interface: what the domain asks of a book beyond the
models' own queries, each a method that answers with the engine's SQL.

`Store` holds the SQL that SQLite and PostgreSQL read alike (with `?` placeholders, which a
PostgreSQL book turns into its own); `SqliteStore` (tui_crm/db/sqlite/store.py) and
`PostgresStore` (tui_crm/db/postgres/store.py) answer the rest. The domain reaches a book's
store as `store_of(db)` and never writes SQL itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_crm.db.store.bulk import Bulk
from tui_crm.db.store.checks import Checks
from tui_crm.db.store.duplicates import Duplicates
from tui_crm.db.store.interchange import Interchange
from tui_crm.db.store.plans import Plans
from tui_crm.db.store.queue import Queue
from tui_crm.db.store.referrals import Referrals
from tui_crm.db.store.rows import Rows
from tui_crm.db.store.search import Search
from tui_crm.db.store.values import Values
from tui_crm.db.store.writes import Writes

if TYPE_CHECKING:
    from peewee import Database


class Store(
    Bulk,
    Plans,
    Search,
    Values,
    Queue,
    Referrals,
    Duplicates,
    Writes,
    Interchange,
    Checks,
    Rows,
):
    """What every engine's store answers. The methods an engine answers with its own SQL are
    declared here and raise NotImplementedError; tests/core/test_stores.py checks that each
    engine's store has them all."""

    def __init__(self, db: Database) -> None:
        self.db = db


def store_of(db: Database) -> Store:
    """The store of the book `db` (made once per book)."""
    return db.store  # type: ignore[attr-defined]
