"""Customers as export records, mailing labels in postal order, and campaign email lists that
always leave out whoever opted out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from email.utils import quote
from typing import TextIO

from peewee import Database

from tui_crm.core.customers import DATE_FIELDS
from tui_crm.core.fields import phone_text
from tui_crm.core.interchange.labels import label_lines, postal_order, write_labels  # noqa: F401
from tui_crm.core.interchange.records import SCALAR_FIELDS, CustomerRecord
from tui_crm.core.interchange.rows import chunks
from tui_crm.core.types import Labelled, PhoneView
from tui_crm.db.store import store_of


def _day(value) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def customer_records(db: Database, ids: list[int]) -> list[CustomerRecord]:
    """Everything about each of `ids` (in that order) an export writes."""
    found: dict[int, dict] = {}
    store = store_of(db)
    for chunk in chunks(ids):
        for row in store.export_customers(chunk, SCALAR_FIELDS):
            values = dict(zip(SCALAR_FIELDS, row[: len(SCALAR_FIELDS)], strict=True))
            for name in DATE_FIELDS:
                values[name] = _day(values[name])
            values["email_opt_out"] = bool(values["email_opt_out"])
            values.update(category=row[-2], referred_by=row[-1], emails=[], phones=[], tags=[])
            found[values["id"]] = values
        for cid, label, value in store.export_emails(chunk):
            found[cid]["emails"].append(Labelled(label, value))
        for cid, label, number, verified, extension in store.export_phones(chunk):
            # The value as files write it: E.164 (or as typed, unverified) and " ext. N".
            found[cid]["phones"].append(
                PhoneView(label, phone_text(number, extension), number, bool(verified), extension)
            )
        for cid, tag in store.export_tags(chunk):
            found[cid]["tags"].append(tag)
    return [
        CustomerRecord(
            **{
                **found[cid],
                "emails": tuple(found[cid]["emails"]),
                "phones": tuple(found[cid]["phones"]),
                "tags": tuple(found[cid]["tags"]),
            }
        )
        for cid in ids
        if cid in found
    ]


@dataclass(frozen=True)
class Written:
    """How many an export wrote, and who it left out and why."""

    count: int
    left_out: tuple[tuple[str, int], ...] = ()  # (why, how many)
    what: str = "customers"  # what was written, in the plural

    def summary(self, what: str | None = None, to: str | None = None) -> str:
        """E.g. "12 addresses to list.txt; left out 2 opted out of email". `what` is the plural
        ("customers", "addresses"; the export's own by default); one of them is said as one."""
        what = what or self.what
        if self.count == 1:
            what = _SINGULAR.get(what, what.removesuffix("s"))
        text = f"{self.count} {what}" + (f" to {to}" if to else "")
        skipped = [f"{n} {why}" for why, n in self.left_out if n]
        return text + (f"; left out {', '.join(skipped)}" if skipped else "")


_SINGULAR = {"addresses": "address"}
# A display name with these must be quoted in an address line (RFC 5322 specials).
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


def mailbox(name: str, address: str) -> str:
    """`Name <address>` as mail programs and campaign tools read it, the name kept readable
    (Jürgen, not =?utf-8?…?=) and quoted only when it holds a comma or the like."""
    if not name:
        return address
    shown = f'"{quote(name)}"' if _SPECIALS.search(name) else name
    return f"{shown} <{address}>"


def write_emails(records: Iterable[CustomerRecord], out: TextIO) -> Written:
    """One `Name <address>` line per customer who may be emailed (their first address).
    Opted-out customers are always left out, and counted."""
    count = opted_out = no_email = 0
    for record in records:
        if record.email_opt_out:
            opted_out += 1
        elif not record.emails:
            no_email += 1
        else:
            out.write(mailbox(record.name, record.emails[0].value) + "\n")
            count += 1
    return Written(
        count, (("opted out of email", opted_out), ("without an email", no_email)), "addresses"
    )
