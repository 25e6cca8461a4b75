"""Categories and their contact cadence as the cadence dialog reads and saves them."""

from __future__ import annotations

from collections.abc import Sequence

from peewee import Database

from tui_crm.core.attention import default_cadence, set_default_cadence
from tui_crm.core.customers import add_category
from tui_crm.db.models import Category


def cadence_values(db: Database) -> tuple[list[tuple[int, str, int]], int]:
    """What the cadence dialog shows: each category (id, name, days) and the default days."""
    return [(c.id, c.name, c.cadence_days) for c in Category.select()], default_cadence(db)


def save_cadences(
    db: Database,
    default: tuple[int, int],
    categories: Sequence[tuple[str, int, int]],
    new: tuple[str, int] | None = None,
) -> None:
    """Save the dialog at once, all or nothing: `default` is (days, days read), each category
    (name, days, days read) and a `new` category (name, days). A value someone else changed
    since it was read is refused (ConflictError) and nothing is saved."""
    with db.atomic():
        set_default_cadence(db, default[0], expected=default[1])
        for name, days, read in categories:
            add_category(db, name, days, expected_days=read)
        if new is not None:
            add_category(db, new[0], new[1], expected_days=None)
