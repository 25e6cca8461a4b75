"""The store of a book in an SQLite file: the SQL only SQLite reads."""

from __future__ import annotations

import json
from collections.abc import Iterable

from tui_crm.db.sqlite.bulk import SqliteBulk
from tui_crm.db.sqlite.checks import SqliteChecks
from tui_crm.db.sqlite.duplicates import SqliteDuplicates
from tui_crm.db.sqlite.interchange import SqliteInterchange
from tui_crm.db.sqlite.queue import SqliteQueue
from tui_crm.db.sqlite.referrals import SqliteReferrals
from tui_crm.db.sqlite.search import SqliteSearch
from tui_crm.db.sqlite.values import SqliteValues
from tui_crm.db.sqlite.writes import SqliteWrites
from tui_crm.db.store import Store


class SqliteStore(
    SqliteBulk,
    SqliteSearch,
    SqliteValues,
    SqliteQueue,
    SqliteReferrals,
    SqliteDuplicates,
    SqliteWrites,
    SqliteInterchange,
    SqliteChecks,
    Store,
):
    engine = "sqlite"
    ID_LIST = "SELECT value FROM json_each(?)"
    TEMP = "temp"
    SAME_AS = "IS"

    def ids(self, ids: Iterable[int]) -> object:
        return json.dumps([int(i) for i in ids])
