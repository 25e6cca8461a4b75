"""The store of a book in an SQLite file: the SQL only SQLite reads."""

from __future__ import annotations

import json
from collections.abc import Iterable

from tui_crm.db.sqlite.bulk import SqliteBulk
from tui_crm.db.sqlite.plans import SqlitePlans
from tui_crm.db.store import Store


class SqliteStore(
    SqliteBulk,
    SqlitePlans,
    Store,
):
    engine = "sqlite"
    ID_LIST = "SELECT value FROM json_each(?)"

    def ids(self, ids: Iterable[int]) -> object:
        return json.dumps([int(i) for i in ids])
