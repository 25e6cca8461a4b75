"""Numbered schema migrations of a book on PostgreSQL, recorded in its `schema_migration` table.

A migration is a file `mNNNN_name.sql`, run in one transaction. The numbers are the SQLite
book's (tui_crm/db/migrations): a book on either engine at schema N has the same tables and
rules. A book on PostgreSQL starts at schema 17, the first one team mode knows.
"""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"m(\d{4})_\w+\.sql")


def _numbered() -> list[tuple[int, str]]:
    found = (_NAME.fullmatch(entry.name) for entry in resources.files(__name__).iterdir())
    return sorted((int(match.group(1)), match.group(0)) for match in found if match)


def migrations(after: int = 0) -> list[tuple[int, str]]:
    """(number, SQL text) of the migrations numbered above `after`, in order."""
    folder = resources.files(__name__)
    return [
        (number, folder.joinpath(name).read_text("utf-8"))
        for number, name in _numbered()
        if number > after
    ]


LATEST = _numbered()[-1][0]
