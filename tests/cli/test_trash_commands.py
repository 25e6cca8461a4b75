"""`tui-crm trash`, `restore-customer` and `purge-customer` as a user runs them: deleted and
merged-away customers listed, brought back whole, purged only after a yes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.commands import run_cli
from tests.refusals import one_line_error
from tests.versions import current_version
from tui_crm.core.customers import add_purchase, create_customer, log_interaction, trash_customer
from tui_crm.core.merge import merge
from tui_crm.db.database import close_database, open_database
from tui_crm.db.models import Customer, Interaction, Purchase


@pytest.fixture
def book(home: Path, book_place: str) -> tuple[str, dict[str, int]]:
    """Anna deleted; Rob Smith merged into Robert Smith; Cecilie untouched."""
    db = open_database(book_place)
    ids = {
        name: create_customer(db, {"first_name": first, "last_name": last})
        for name, first, last in (
            ("anna", "Anna", "Berg"),
            ("robert", "Robert", "Smith"),
            ("rob", "Rob", "Smith"),
            ("cecilie", "Cecilie", "Dahl"),
        )
    }
    log_interaction(db, ids["anna"], notes="Asked for a quote")
    log_interaction(db, ids["rob"], notes="Wants the blue one")
    add_purchase(db, ids["rob"], amount="120.00")
    trash_customer(db, ids["anna"], expected_version=current_version(ids["anna"]))
    merge(
        db,
        ids["robert"],
        ids["rob"],
        survivor_version=current_version(ids["robert"]),
        other_version=current_version(ids["rob"]),
    )
    close_database()
    return book_place, ids


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_trash_lists_deleted_and_merged_away_customers_in_every_format(home, book):
    path, ids = book
    table = _ok(run_cli(home, "trash", "--db", str(path)))
    assert "Anna Berg" in table and "Rob Smith" in table and "Cecilie" not in table
    assert "merged into Robert Smith" in table and "deleted" in table

    rows = list(
        csv.DictReader(
            io.StringIO(_ok(run_cli(home, "trash", "--db", str(path), "--format", "csv")))
        )
    )
    assert list(rows[0]) == [
        "id",
        "name",
        "company",
        "deleted",
        "who",
        "how",
        "interactions",
        "purchases",
    ]
    by_id = {int(row["id"]): row for row in rows}
    assert set(by_id) == {ids["anna"], ids["rob"]}
    assert by_id[ids["rob"]]["interactions"] == "1" and by_id[ids["rob"]]["purchases"] == "1"
    assert by_id[ids["anna"]]["who"] == "tester"

    listed = json.loads(_ok(run_cli(home, "trash", "--db", str(path), "--format", "json")))
    assert {item["id"] for item in listed} == {ids["anna"], ids["rob"]}


def test_restore_customer_brings_a_merged_away_customer_back_whole(home, book):
    path, ids = book
    said = _ok(run_cli(home, "restore-customer", str(ids["rob"]), "--db", str(path)))
    assert "Rob Smith" in said
    open_database(path)
    try:
        assert Customer.get_by_id(ids["rob"]).deleted_at is None
        notes = [i.notes for i in Interaction.select().where(Interaction.customer == ids["rob"])]
        assert notes == ["Wants the blue one"]
        assert Purchase.select().where(Purchase.customer == ids["rob"]).count() == 1
        assert Purchase.select().where(Purchase.customer == ids["robert"]).count() == 0
    finally:
        close_database()
    listed = json.loads(_ok(run_cli(home, "trash", "--db", str(path), "--format", "json")))
    assert [item["id"] for item in listed] == [ids["anna"]]


def test_restore_customer_refuses_one_not_in_the_trash_in_one_line(home, book):
    path, ids = book
    result = run_cli(home, "restore-customer", str(ids["cecilie"]), "--db", str(path))
    assert "not in the trash" in one_line_error(result.returncode, result.stdout, result.stderr)


def test_purge_asks_and_deletes_only_after_an_explicit_yes(home, book):
    path, ids = book
    anna = str(ids["anna"])
    refused = run_cli(home, "purge-customer", anna, "--db", str(path))  # no terminal: no yes
    assert "--yes" in one_line_error(refused.returncode, refused.stdout, refused.stderr)
    assert ids["anna"] in {
        i["id"]
        for i in json.loads(_ok(run_cli(home, "trash", "--db", str(path), "--format", "json")))
    }

    not_in_trash = run_cli(home, "purge-customer", str(ids["cecilie"]), "--yes", "--db", str(path))
    assert "not in the trash" in one_line_error(
        not_in_trash.returncode, not_in_trash.stdout, not_in_trash.stderr
    )

    _ok(run_cli(home, "purge-customer", anna, "--yes", "--db", str(path)))
    open_database(path)
    try:
        assert Customer.get_or_none(Customer.id == ids["anna"]) is None
        assert Interaction.select().where(Interaction.customer == ids["anna"]).count() == 0
        assert Customer.get_by_id(ids["cecilie"]).deleted_at is None
    finally:
        close_database()


def test_a_bad_customer_id_is_one_line(home, book):
    path, _ = book
    result = run_cli(home, "restore-customer", "anna", "--db", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "not a customer ID" in result.stderr
