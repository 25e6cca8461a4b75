"""Moving a whole book from one engine to the other (`tui-crm copy --from … --to …`): every
customer, interaction, purchase, referral, category, plan, tag, snooze, dismissal, history line
and undo step, with their ids; verified by counting both sides.

What the book keeps from those rows (the search index, the figures on each customer, the value
summary, the purchase rhythms, the queue's scores, the referral figures, the duplicate pairs)
is not copied: the new book works it out again, the figures at once and the summaries when
they are first read, as after an import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from peewee import BooleanField, Database, Model

from tui_crm.core.config import require_whole_book
from tui_crm.db.models import (
    AttentionMark,
    Category,
    Customer,
    CustomerChange,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    DuplicateDismissal,
    Interaction,
    PlanTouch,
    Purchase,
    Tag,
    UndoStep,
)
from tui_crm.db.store import store_of
from tui_crm.db.store.bulk import EVERYTHING
from tui_crm.errors import CrmError

# In the order they can be written: each row's references before it. A customer's referrer
# may come later in id order, so referrals are written once every customer is in.
TABLES: tuple[type[Model], ...] = (
    Category,
    Tag,
    Customer,
    PlanTouch,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    Interaction,
    Purchase,
    CustomerChange,
    AttentionMark,
    DuplicateDismissal,
    UndoStep,
)
BATCH = 5000  # rows read and written at a time

Progress = Callable[[str, int], None]  # (table, rows copied so far)


@dataclass(frozen=True)
class Copied:
    counts: dict[str, int]  # rows of each table, the same on both sides

    def summary(self) -> str:
        def count(table: str, one: str) -> str:
            n = self.counts.get(table, 0)
            return f"{n:,} {one}{'' if n == 1 else 's'}"

        return (
            f"copied {count('customer', 'customer')}, {count('interaction', 'interaction')}, "
            f"{count('purchase', 'purchase')}, {count('customer_change', 'history line')}"
        )


def _columns(model: type[Model]) -> list[str]:
    return [field.column_name for field in model._meta.sorted_fields]


def _order(model: type[Model]) -> list[str]:
    key = model._meta.primary_key
    fields = key.field_names if hasattr(key, "field_names") else [key.name]
    return [model._meta.fields[name].column_name for name in fields]


def _booleans(model: type[Model], columns: list[str]) -> list[int]:
    """Where the yes/no columns are: SQLite keeps 0 and 1, PostgreSQL true and false."""
    flags = {f.column_name for f in model._meta.sorted_fields if isinstance(f, BooleanField)}
    return [n for n, column in enumerate(columns) if column in flags]


def _rows(source: Database, model: type[Model], columns: list[str]) -> Iterator[list[tuple]]:
    flags = _booleans(model, columns)
    batches = store_of(source).table_rows(model._meta.table_name, columns, _order(model), BATCH)
    for batch in batches:
        if flags:
            batch = [
                tuple(bool(v) if n in flags and v is not None else v for n, v in enumerate(row))
                for row in batch
            ]
        yield batch


def is_new_book(db: Database) -> bool:
    """Whether nothing has been written into the book yet (no customers, categories, tags,
    interactions or purchases): a copy or the demo may go into it."""
    return not store_of(db).has_rows(("customer", "category", "tag", "interaction", "purchase"))


def copy_book(source: Database, target: Database, progress: Progress | None = None) -> Copied:
    """Copy every row of the open book `source` into the open, new book `target` (same
    schema, no customers, categories or tags yet), in one transaction of `target`'s: a copy
    that fails leaves it as it was. Returns the counts, checked equal on both sides."""
    require_whole_book(source, "a copy")
    require_whole_book(target, "a copy")
    into = store_of(target)
    if not is_new_book(target):
        raise CrmError("the book to copy into is not empty; copy only into a new book")
    counts: dict[str, int] = {}
    with into.bulk_load(EVERYTHING):
        into.delete_rows("plan_touch")  # a new book's default plan: the source's replaces it
        referrals: list[tuple[int, int]] = []
        for model in TABLES:
            table, columns = model._meta.table_name, _columns(model)
            referrer = columns.index("referred_by_id") if model is Customer else None
            done = 0
            for batch in _rows(source, model, columns):
                if referrer is not None:  # written after, once every customer is in
                    referrals += [(row[referrer], row[0]) for row in batch if row[referrer]]
                    batch = [(*row[:referrer], None, *row[referrer + 1 :]) for row in batch]
                into.insert_rows(table, columns, batch)
                done += len(batch)
                if progress:
                    progress(table, done)
            counts[table] = done
        into.executemany("UPDATE customer SET referred_by_id = ? WHERE id = ?", referrals)
        # Counted inside the transaction: a copy that does not add up is not kept.
        tables = [model._meta.table_name for model in TABLES]
        theirs, ours = store_of(source).row_counts(tables), into.row_counts(tables)
        if not (theirs == ours == counts):
            differ = [t for t in tables if not (theirs.get(t) == ours.get(t) == counts[t])]
            raise CrmError(f"the copy does not add up ({', '.join(differ)}): nothing was kept")
    return Copied(counts)
