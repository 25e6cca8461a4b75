"""The store of a book on PostgreSQL: the SQL only PostgreSQL reads."""

from __future__ import annotations

from collections.abc import Iterable

from tui_crm.db.postgres.bulk import PostgresBulk
from tui_crm.db.postgres.plans import PostgresPlans
from tui_crm.db.store import Store


class PostgresStore(
    PostgresBulk,
    PostgresPlans,
    Store,
):
    engine = "postgresql"
    ID_LIST = "SELECT unnest(?::integer[])"

    def ids(self, ids: Iterable[int]) -> object:
        return [int(i) for i in ids]
