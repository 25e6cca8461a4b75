"""Writing an export to a file: all or nothing, and a CSV that spreadsheets read as UTF-8."""

from __future__ import annotations

import pytest

from tui_crm.core.customers import create_customer
from tui_crm.core.interchange import files
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv
from tui_crm.core.interchange.files import export_to_file, mapping_pair
from tui_crm.core.interchange.text import read_source
from tui_crm.errors import CrmError

pytestmark = pytest.mark.both_engines


@pytest.fixture
def jurgen(db):
    return create_customer(
        db, {"first_name": "Jürgen", "last_name": "Müller", "emails": ["j@mueller.example.de"]}
    )


def test_a_csv_file_starts_with_a_byte_order_mark_and_reads_back(db, jurgen, tmp_path):
    target = tmp_path / "out.csv"
    written = export_to_file(db, "", "csv", target)
    assert written.summary() == "1 customer"
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,uid,first_name,")
    (row,) = parse_contacts_csv(read_source(target)).rows
    assert (row.values["first_name"], row.values["last_name"]) == ("Jürgen", "Müller")


def test_other_formats_have_no_mark_and_say_what_they_wrote(db, jurgen, tmp_path):
    create_customer(db, {"first_name": "Ola", "last_name": "Nordmann"})  # no email
    written = export_to_file(db, "", "emails", tmp_path / "list.txt")
    assert written.summary(to="list.txt") == "1 address to list.txt; left out 1 without an email"
    assert (tmp_path / "list.txt").read_bytes() == "Jürgen Müller <j@mueller.example.de>\n".encode()


def test_a_failed_export_leaves_the_old_file_and_no_part_file(db, jurgen, tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "out.csv"
    target.write_text("yesterday's export\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_contacts_csv", broken)
    with pytest.raises(CrmError, match=r"out.csv: cannot be written \(No space left on device\)"):
        export_to_file(db, "", "csv", target)
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert [p.name for p in folder.iterdir()] == ["out.csv"]


def test_a_folder_or_a_missing_folder_is_refused_in_one_line(db, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(CrmError, match="is a folder; give a file name"):
        export_to_file(db, "", "csv", folder)
    with pytest.raises(CrmError, match="does not exist"):
        export_to_file(db, "", "csv", folder / "no" / "x.csv")
    assert list(folder.iterdir()) == []


def test_a_column_mapping_is_column_equals_field():
    assert mapping_pair(" E-Mail 2 = home_email ") == ("E-Mail 2", "home_email")
    for bad in ("Company", "=email", "Company="):
        with pytest.raises(CrmError, match="is not COLUMN=FIELD"):
            mapping_pair(bad)
