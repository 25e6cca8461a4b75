"""Purchases from a CSV file: each row names its customer (id, email or uid/external id),
a date and an amount; rows already in the book are not added again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from peewee import Database

from tui_crm.core.backups import backup_before
from tui_crm.core.bulk import Rebuild, bulk_load
from tui_crm.core.config import settings
from tui_crm.core.fields import parse_money
from tui_crm.core.interchange.contacts_csv import DELIMITERS, fold
from tui_crm.core.interchange.keys import CustomerKeys
from tui_crm.core.interchange.records import FileRejected
from tui_crm.core.interchange.report import ImportReport, Progress, RejectedRow, no_progress
from tui_crm.core.interchange.rows import chunks, stamp
from tui_crm.core.interchange.text import csv_records, file_date
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

# Header words (folded: lower case, letters and digits only) -> our column.
SYNONYMS = {
    "customer_id": (
        "customerid customer customerno customernumber clientid client kundennummer kunde "
        "numeroclient"
    ),
    "email": "email customeremail emailaddress mail kundenemail",
    "uid": "uid customeruid externalid customerexternalid externalcustomerid contactid",
    "day": (
        "date day purchasedate orderdate invoicedate saledate transactiondate dateofpurchase "
        "datum kaufdatum bestelldatum rechnungsdatum"
    ),
    "amount": "amount total price value sum net gross revenue betrag summe umsatz preis montant prix",
    "currency": "currency curr wahrung wahrungscode devise",
    "description": "description product item productname article beschreibung artikel produit",
    "category": "category productcategory kategorie categorie",
    "invoice_ref": (
        "invoice invoiceref invoicenumber invoiceno invoiceid order orderid ordernumber "
        "orderno reference ref rechnungsnummer rechnung facture"
    ),
}
COLUMNS = tuple(SYNONYMS)
KEYS = ("customer_id", "email", "uid")
_WORD = {word: column for column, words in SYNONYMS.items() for word in words.split()}


@dataclass(frozen=True)
class PurchaseRow:
    line: int
    key: tuple[str, str]  # (customer_id|email|uid, value)
    day: date
    cents: int
    currency: str
    description: str
    category: str
    invoice_ref: str

    def identity(self, customer_id: int) -> tuple:
        return (
            customer_id,
            self.day.isoformat(),
            self.cents,
            self.currency,
            self.description,
            self.category,
            self.invoice_ref,
        )


def header_columns(header: list[str], mapping: Mapping[str, str] | None = None) -> dict[int, str]:
    """Which of our columns each header cell holds; `mapping` (COLUMN=FIELD) overrides."""
    found: dict[int, str] = {}
    for index, cell in enumerate(header):
        column = _WORD.get(fold(cell))
        if column and column not in found.values():
            found[index] = column
    if "customer_id" not in found.values() and "uid" not in found.values():
        for index, cell in enumerate(header):
            if fold(cell) == "id" and index not in found:
                found[index] = "customer_id"
    for name, target in (mapping or {}).items():
        where = [i for i, cell in enumerate(header) if cell.strip().casefold() == name.casefold()]
        if not where:
            raise CrmError(f"--map: no column '{name}' in the file (columns: {', '.join(header)})")
        if target not in (*COLUMNS, "ignore"):
            raise CrmError(f"--map: '{target}' is not a purchases field ({', '.join(COLUMNS)})")
        for index in where:
            found.pop(index, None)
            if target != "ignore":
                found = {i: c for i, c in found.items() if c != target}
                found[where[0]] = target
    return found


def _records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and (line, cells) of each non-empty record."""
    first = text.split("\n", 1)[0]
    records = csv_records(text, max(DELIMITERS, key=first.count))
    header = next(records, None)
    if header is None:
        raise FileRejected("the file is empty")
    return header[1], [(line, cells) for line, cells in records if any(c.strip() for c in cells)]


def parse_purchases_csv(
    text: str, mapping: Mapping[str, str] | None = None
) -> tuple[list[PurchaseRow], list[RejectedRow]]:
    """Purchase rows and the rows that are not purchases (with line and reason)."""
    header, records = _records(text)
    columns = header_columns(header, mapping)
    have = set(columns.values())
    missing = [name for name in ("day", "amount") if name not in have]
    if missing or not have & set(KEYS):
        need = ", ".join(missing + ([] if have & set(KEYS) else ["customer id, email or uid"]))
        raise FileRejected(
            f"not a purchases file: no column for {need} (columns: {', '.join(header)}); "
            "use --map COLUMN=FIELD"
        )
    rows, rejected = [], []
    currency = settings().currency
    for line, cells in records:
        values = {column: cells[i].strip() for i, column in columns.items() if i < len(cells)}
        try:
            rows.append(_row(line, values, currency))
        except CrmError as err:
            rejected.append(RejectedRow(line, str(err)))
    return rows, rejected


def _row(line: int, values: dict[str, str], default_currency: str) -> PurchaseRow:
    key = next(((k, values[k]) for k in ("uid", "email", "customer_id") if values.get(k)), None)
    if key is None:
        raise CrmError("no customer: the id, email or uid cell is empty")
    if key[0] == "customer_id" and "@" in key[1]:
        # A `customer` column that holds addresses: the customer whose email it is (one
        # live customer; an address several share, or nobody's, rejects the row).
        key = ("email", key[1])
    if not values.get("day"):
        raise CrmError("no date")
    try:
        day = file_date(values["day"])
    except CrmError as err:
        raise CrmError(f"date: {err}") from None
    if day is None:
        raise CrmError("no date")
    if not values.get("amount"):
        raise CrmError("no amount")
    try:
        cents = parse_money(values["amount"])
    except CrmError as err:
        raise CrmError(f"amount: {err}") from None
    if cents == 0:
        raise CrmError("amount: the amount cannot be zero")
    currency = (values.get("currency") or default_currency).strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise CrmError(f"currency: '{values['currency']}' is not a code such as USD or EUR")
    return PurchaseRow(
        line,
        key,
        day,
        cents,
        currency,
        " ".join(values.get("description", "").split()),
        " ".join(values.get("category", "").split()),
        " ".join(values.get("invoice_ref", "").split()),
    )


def load_purchases(
    db: Database,
    text: str,
    *,
    source: str,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    strict: bool = False,
    now: datetime | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Check every row, then (unless a dry run, or `strict` with a bad row) add the new
    purchases in one transaction. A purchase the book already has (same customer, day,
    amount, currency, description, category and invoice) is not added again."""
    now = now or datetime.now().replace(microsecond=0)
    rows, rejected = parse_purchases_csv(text, mapping)
    read = len(rows) + len(rejected)
    customers = CustomerKeys(db)
    found: list[tuple[int, PurchaseRow]] = []
    for done, row in enumerate(rows, start=1):
        try:
            found.append((customers.find(*row.key), row))
        except CrmError as err:
            rejected.append(RejectedRow(row.line, str(err)))
        if done % 500 == 0:
            progress("checking", done, len(rows))
    progress("checking", len(rows), len(rows))
    have = _existing(db, {cid for cid, _ in found})
    new = []
    for cid, row in found:
        identity = row.identity(cid)
        if have[identity] > 0:
            have[identity] -= 1
        else:
            new.append((cid, row))
    report = ImportReport(
        source=source,
        kind="purchases",
        layout="purchases CSV",
        rows=read,
        added=len(new),
        unchanged=len(found) - len(new),
        rejected=tuple(sorted(rejected, key=lambda r: r.line)),
        dry_run=dry_run,
        refused=strict and bool(rejected),
    )
    if report.written and new:
        backup_before(db, "before-import")
        _write(db, new, now)
        progress("writing", len(new), len(new))
    return report


def _existing(db: Database, ids: set[int]) -> Counter:
    have: Counter = Counter()
    for chunk in chunks(sorted(ids)):
        for row in store_of(db).purchases_of(chunk):
            have[(row[0], str(row[1])[:10], *row[2:])] += 1
    return have


def _write(db: Database, new: list[tuple[int, PurchaseRow]], now: datetime) -> None:
    """Insert with the triggers off, then recompute the figures of just the customers touched."""
    at = stamp(now)
    rebuild = Rebuild(customers=sorted({cid for cid, _ in new}), purchases=True)
    with db.atomic("IMMEDIATE"), bulk_load(db, rebuild):
        store_of(db).insert_purchases(
            [
                (
                    cid,
                    row.day.isoformat(),
                    row.cents,
                    row.currency,
                    row.description,
                    row.category,
                    row.invoice_ref,
                    at,
                )
                for cid, row in new
            ],
        )
