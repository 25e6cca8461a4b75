"""The plain records every importer yields and every exporter reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tui_crm.core.customer_fields import CUSTOMER_FIELDS
from tui_crm.core.types import Labelled, display_name
from tui_crm.errors import CrmError


class FileRejected(CrmError):
    """The whole file cannot be read as what it claims to be (empty, binary, truncated, foreign)."""


@dataclass(frozen=True)
class SourceRow:
    """One customer (or purchase) as a file states it, before validation.

    `values` uses the customer field names that `customers.clean_customer` accepts:
    text fields as str, dates as `date` or str, `emails`/`phones` as lists of
    (label, value) pairs, `tags` as a list of str, plus gender, status, email_opt_out,
    category, uid, referred_by. Only what the file gives is present. `error` is set when
    the parser already knows the row is bad; the loader then rejects it with that reason.
    """

    line: int  # 1-based line of the file where the record starts
    values: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class Parsed:
    """What a parser made of a whole file."""

    layout: str  # e.g. "Google Contacts", "Outlook", "LinkedIn", "CSV", "vCard 3.0"
    rows: list[SourceRow]
    ignored: tuple[str, ...] = ()  # columns or properties that held data we do not keep


class RowStream:
    """A file's rows read one at a time, while the loader checks them, so that a large file
    never holds all its rows at once (100 000 rows as dicts are some 250 MB).

    `count` is known before the first row (a reader counts them first, cheaply, and refuses
    a file it cannot read there); `layout`, `ignored` and `corrections` are final once
    `rows` is exhausted: a vCard file's layout is its most common version, and a CSV file may
    settle only at its end that 05/04/1985 is the 5th of April, when `corrections` gives
    (line, field, value) for each date read the other way before."""

    def __init__(self, count: int, rows: Iterable[SourceRow], layout: str = "") -> None:
        self.count = count
        self.rows = iter(rows)
        self.layout = layout
        self.ignored: tuple[str, ...] = ()
        self.corrections: list[tuple[int, str, Any]] = []

    @classmethod
    def of(cls, parsed: Parsed) -> RowStream:
        stream = cls(len(parsed.rows), parsed.rows, parsed.layout)
        stream.ignored = parsed.ignored
        return stream

    def parsed(self) -> Parsed:
        """All the rows at once, corrected (what the parse_… functions return)."""
        rows = list(self.rows)
        if self.corrections:
            by_line = {row.line: row for row in rows}
            for line, name, value in self.corrections:
                by_line[line].values[name] = value
        return Parsed(self.layout, rows, self.ignored)


@dataclass(frozen=True)
class CustomerRecord:
    """Everything an export writes about one customer (the inverse of a SourceRow): `id` and
    each field of customer_fields.CUSTOMER_FIELDS (tests/core/test_customer_fields.py checks
    that this stays so)."""

    id: int
    uid: str | None
    first_name: str = ""
    last_name: str = ""
    nickname: str = ""
    company: str = ""
    job_title: str = ""
    gender: str = ""  # "", "f", "m", "x"
    birthday: date | None = None
    street: str = ""  # may hold line breaks
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    source: str = ""
    acquired_on: date | None = None
    referred_by: str | None = None  # the referrer's uid
    why_chose_us: str = ""
    category: str = ""
    owner: str = ""
    territory: str = ""
    status: str = "active"
    lost_reason: str = ""
    lost_on: date | None = None
    email_opt_out: bool = False
    notes: str = ""
    prefix: str = ""  # Dr., Mr.
    suffix: str = ""  # Jr., PhD
    emails: tuple[Labelled, ...] = ()  # label in work/home/other
    phones: tuple[Labelled, ...] = ()  # value in E.164; label in mobile/work/home/other
    tags: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return display_name(self.first_name, self.last_name, self.company)


# The columns of `customer` a record holds as they are (the rest come from other tables).
SCALAR_FIELDS = ("id", *(f.name for f in CUSTOMER_FIELDS if f.kind not in ("list", "reference")))


def address_line(parts: dict[str, str]) -> str:
    """An address on one line, for the notes line an extra address becomes:
    "1 Main St, Apt 2, 0155 Oslo, Norway"."""
    place = " ".join(parts[p] for p in ("postal_code", "city") if parts.get(p))
    pieces = (
        parts.get("street", "").replace("\n", ", "),
        place,
        parts.get("region"),
        parts.get("country"),
    )
    return ", ".join(p for p in pieces if p)
