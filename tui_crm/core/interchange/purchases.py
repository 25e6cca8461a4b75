"""Purchases from a CSV file: each row names its customer (id, email or uid/external id),
a date and an amount; rows already in the book are not added again."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from peewee import Database

from tui_crm.core.bulk import bulk_load
from tui_crm.core.config import settings
from tui_crm.core.fields import parse_money
from tui_crm.core.interchange.records import FileRejected
from tui_crm.core.interchange.report import ImportReport, Progress, RejectedRow, no_progress
from tui_crm.core.interchange.text import file_date
from tui_crm.db.derived import LAST_PURCHASE, LIFETIME_CENTS, MARK_VALUES_STALE, PURCHASE_COUNT
from tui_crm.errors import CrmError

# Header words (lower case, letters and digits only) -> our column.
SYNONYMS = {
    "customer_id": (
        "customerid customer customerno customernumber clientid client kundennummer kunde "
        "numeroclient"
    ),
    "email": "email customeremail emailaddress mail kundenemail",
    "uid": "uid customeruid externalid customerexternalid externalcustomerid contactid",
    "day": "date day purchasedate orderdate invoicedate saledate datum kaufdatum",
    "amount": "amount total price value sum net gross betrag summe montant prix",
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


def _word(header: str) -> str:
    folded = header.casefold().replace("ä", "a").replace("ö", "o").replace("ü", "u")
    return re.sub(r"[^a-z0-9]", "", folded)


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
        column = _WORD.get(_word(cell))
        if column and column not in found.values():
            found[index] = column
    if "customer_id" not in found.values() and "uid" not in found.values():
        for index, cell in enumerate(header):
            if _word(cell) == "id" and index not in found:
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


def looks_like_purchases(header: list[str]) -> bool:
    """A header with a date, an amount and a customer key, and no person's name."""
    columns = set(header_columns(header).values())
    named = any(_word(cell) in ("firstname", "lastname", "name", "company") for cell in header)
    return {"day", "amount"} <= columns and bool(columns & set(KEYS)) and not named


def _records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and (line, cells) of each non-empty record."""
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out: list[tuple[int, list[str]]] = []
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            raise FileRejected("the file is empty")
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                out.append((line, cells))
            line = reader.line_num + 1
    except csv.Error:
        raise FileRejected(
            f"the file ends inside a quoted cell begun on line {line}; the file looks truncated"
        ) from None
    return header, out


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


class _Customers:
    """Finds the customer a purchase row names."""

    def __init__(self, db: Database):
        self.live = {
            cid for (cid,) in db.execute_sql("SELECT id FROM customer WHERE deleted_at IS NULL")
        }
        self.by_uid = {
            uid: cid
            for cid, uid in db.execute_sql(
                "SELECT id, uid FROM customer WHERE deleted_at IS NULL AND uid IS NOT NULL"
            )
        }
        self.by_email: dict[str, set[int]] = {}
        for cid, address in db.execute_sql("SELECT customer_id, address FROM customer_email"):
            if cid in self.live:
                self.by_email.setdefault(address.casefold(), set()).add(cid)

    def find(self, kind: str, value: str) -> int:
        if kind == "uid":
            if value in self.by_uid:
                return self.by_uid[value]
            raise CrmError(f"no customer with uid '{value}'")
        if kind == "email":
            owners = sorted(self.by_email.get(value.casefold(), ()))
            if len(owners) > 1:
                raise CrmError(
                    f"'{value}' belongs to several customers (#{owners[0]}, #{owners[1]})"
                )
            if owners:
                return owners[0]
            raise CrmError(f"no customer with email '{value}'")
        number = value.removeprefix("#")
        if number.isdigit() and int(number) in self.live:
            return int(number)
        raise CrmError(f"no customer with id '{value}'")


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
    customers = _Customers(db)
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
        _write(db, new, now)
        progress("writing", len(new), len(new))
    return report


def _existing(db: Database, ids: set[int]) -> Counter:
    have: Counter = Counter()
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in db.execute_sql(
            "SELECT customer_id, day, cents, currency, description, category, invoice_ref "
            f"FROM purchase WHERE customer_id IN ({marks})",
            chunk,
        ):
            have[(row[0], str(row[1])[:10], *row[2:])] += 1
    return have


def _write(db: Database, new: list[tuple[int, PurchaseRow]], now: datetime) -> None:
    """Insert with the triggers off, then recompute the figures of just the customers touched."""
    touched = sorted({cid for cid, _ in new})
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    cid = "customer.id"
    rebuild = []
    for start in range(0, len(touched), 500):
        ids = ", ".join(str(int(c)) for c in touched[start : start + 500])
        rebuild += [
            f"UPDATE customer SET lifetime_cents = {LIFETIME_CENTS.format(cid=cid)}, "
            f"purchase_count = {PURCHASE_COUNT.format(cid=cid)}, "
            f"last_purchase_on = {LAST_PURCHASE.format(cid=cid)} WHERE id IN ({ids})",
            f"DELETE FROM purchase_rhythm WHERE customer_id IN ({ids})",
        ]
    rebuild.append(MARK_VALUES_STALE)
    with db.atomic("IMMEDIATE"), bulk_load(db, rebuild):
        db.connection().executemany(
            "INSERT INTO purchase (customer_id, day, cents, currency, description, category, "
            "invoice_ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    cid,
                    row.day.isoformat(),
                    row.cents,
                    row.currency,
                    row.description,
                    row.category,
                    row.invoice_ref,
                    stamp,
                )
                for cid, row in new
            ],
        )
