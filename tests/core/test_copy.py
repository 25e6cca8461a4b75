"""A whole book copied from SQLite to PostgreSQL and back (issue 20, `tui-crm copy`): every row
of every table of the book's own, with its ids, and the figures worked out again from them
the same; refused into a book that is not new, which is left as it was."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from tui_crm.core.copy import TABLES, copy_book
from tui_crm.core.customers import create_customer
from tui_crm.core.demo import build_demo
from tui_crm.db.database import close_database, open_database
from tui_crm.db.models import AttentionMark, DuplicateDismissal
from tui_crm.errors import CrmError

pytestmark = pytest.mark.postgres

TODAY = date(2026, 12, 6)
FIGURES = (
    "SELECT id, last_contact_at, next_follow_up, lifetime_cents, purchase_count, "
    "last_purchase_on FROM customer ORDER BY id"
)


def _rows(db) -> dict[str, list[tuple]]:
    """Every row of each copied table, in key order, with yes/no as 0/1."""
    out = {}
    for model in TABLES:
        columns = [f.column_name for f in model._meta.sorted_fields]
        rows = db.execute_sql(
            f"SELECT {', '.join(columns)} FROM {model._meta.table_name} ORDER BY "
            + ", ".join(str(n + 1) for n in range(len(columns)))
        ).fetchall()
        out[model._meta.table_name] = [
            tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows
        ]
    return out


@pytest.fixture
def demo_book(db_path: Path):
    db = open_database(db_path)
    build_demo(db, customers=80, today=TODAY)
    AttentionMark.create(
        customer=3, reason="follow_up", snoozed_until=date(2026, 12, 20), who="ann"
    )
    DuplicateDismissal.create(customer_a=5, customer_b=6, dismissed_at=datetime(2026, 12, 1))
    yield db
    close_database()


def test_a_book_copied_to_postgresql_and_back_keeps_every_row(demo_book, pg_url, tmp_path):
    before = _rows(demo_book)
    figures = demo_book.execute_sql(FIGURES).fetchall()
    assert len(before["customer"]) == 80 and before["attention_mark"]

    server = open_database(pg_url)
    copied = copy_book(demo_book, server)
    assert copied.counts == {table: len(rows) for table, rows in before.items()}
    assert _rows(server) == before
    assert server.execute_sql(FIGURES).fetchall() == figures
    # New rows follow the copied ids.
    fresh = create_customer(server, {"first_name": "Zed"})
    assert fresh == max(row[0] for row in before["customer"]) + 1
    server.execute_sql("DELETE FROM customer WHERE id = ?", (fresh,))

    back = open_database(tmp_path / "back.db")
    copy_book(server, back)
    assert _rows(back) == before
    assert back.execute_sql(FIGURES).fetchall() == figures
    server.close()


def test_a_copy_into_a_book_that_is_not_new_is_refused_and_changes_nothing(demo_book, pg_url):
    server = open_database(pg_url)
    create_customer(server, {"first_name": "Already", "last_name": "Here"})
    held = _rows(server)
    with pytest.raises(CrmError, match="not empty"):
        copy_book(demo_book, server)
    assert _rows(server) == held
    server.close()


def test_every_table_of_the_book_is_either_copied_or_worked_out_again():
    """A table added to the book must be named here: copied, or kept from the copied ones."""
    from tui_crm.db import models

    worked_out = {
        models.Meta,
        models.CustomerValue,
        models.PurchaseRhythm,
        models.AttentionScore,
        models.ReferralFigure,
        models.ReferralDirty,
        models.DuplicatePerson,
        models.DuplicateNameCount,
        models.DuplicateLink,
        models.DuplicateContact,
        models.DuplicateNamePair,
        models.DuplicatePairRow,
        models.DuplicateDirty,
        models.DuplicateDirtyContact,
    }
    assert set(models.ALL_MODELS) == set(TABLES) | worked_out
    assert not set(TABLES) & worked_out
