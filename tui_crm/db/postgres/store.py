"""The store of a book on PostgreSQL: the SQL only PostgreSQL reads."""

from __future__ import annotations

from collections.abc import Iterable

from tui_crm.db.postgres.bulk import PostgresBulk
from tui_crm.db.postgres.checks import PostgresChecks
from tui_crm.db.postgres.duplicates import PostgresDuplicates
from tui_crm.db.postgres.interchange import PostgresInterchange
from tui_crm.db.postgres.queue import PostgresQueue
from tui_crm.db.postgres.referrals import PostgresReferrals
from tui_crm.db.postgres.search import PostgresSearch
from tui_crm.db.postgres.values import PostgresValues
from tui_crm.db.postgres.writes import PostgresWrites
from tui_crm.db.store import Store


class PostgresStore(
    PostgresBulk,
    PostgresSearch,
    PostgresValues,
    PostgresQueue,
    PostgresReferrals,
    PostgresDuplicates,
    PostgresWrites,
    PostgresInterchange,
    PostgresChecks,
    Store,
):
    engine = "postgresql"
    ID_LIST = "SELECT unnest(?::integer[])"
    TEMP = "pg_temp"
    SAME_AS = "IS NOT DISTINCT FROM"

    def ids(self, ids: Iterable[int]) -> object:
        return [int(i) for i in ids]
