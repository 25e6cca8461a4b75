"""abook's header-less CSV (`abook --convert --outformat csv`): recognise it, and read it as
a contacts CSV whose header we supply."""

from __future__ import annotations

import csv
import dataclasses
import io

from tui_crm.core.interchange.contacts_csv import parse_contacts_csv
from tui_crm.core.interchange.records import Parsed

# abook's `csv` export filter writes these fields, every cell quoted, one contact a line and
# no header: NAME, EMAIL, PHONE, NOTES, NICK (abook filter.c, csv_export_database's
# csv_export_fields). EMAIL holds all the contact's addresses, comma-separated; PHONE is the
# home number. The header below names them as our CSV reader understands them.
ABOOK_HEADER = ("Name", "E-mail", "Home Phone", "Notes", "Nickname")
LAYOUT = "abook CSV"
SAMPLE = 20  # records looked at to recognise the shape


def looks_like_abook(text: str) -> bool:
    """Whether `text` has abook's CSV shape: comma-separated records of five cells, a name
    in the first, and in the second nothing or addresses with an @, at least one of them."""
    records = []
    try:
        for cells in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
            if any(cell.strip() for cell in cells):
                records.append(cells)
            if len(records) >= SAMPLE:
                break
    except csv.Error:
        return False
    if not records:
        return False
    some_email = False
    for cells in records:
        if len(cells) != len(ABOOK_HEADER) or not cells[0].strip() or "@" in cells[0]:
            return False
        addresses = [a for a in cells[1].split(",") if a.strip()]
        if any("@" not in address for address in addresses):
            return False
        some_email = some_email or bool(addresses)
    return some_email


def parse_abook_csv(text: str) -> Parsed:
    """Customers from abook's header-less CSV; each row keeps its own line number."""
    header = ",".join(ABOOK_HEADER) + "\n"
    parsed = parse_contacts_csv(header + text.lstrip("\ufeff"))
    rows = [dataclasses.replace(row, line=row.line - 1) for row in parsed.rows]
    return Parsed(LAYOUT, rows, parsed.ignored)
