"""Probable duplicates of a customer being written: same email, same phone, or the same last
name with an equivalent first name (Rob / Robert) from the `nicknames` dataset."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from peewee import Database, fn

from tui_crm.core.customers import clean_customer, row_name
from tui_crm.db.models import Customer, CustomerEmail, CustomerPhone
from tui_crm.errors import CrmError


@dataclass(frozen=True)
class DuplicateCandidate:
    id: int
    name: str
    company: str
    city: str
    reasons: tuple[str, ...]


@cache
def _namer():
    from nicknames import NickNamer

    return NickNamer()


def equivalent_first_names(name: str) -> set[str]:
    """`name` and the names it is a nickname of or for, lower-cased.

    Rob → robert (and robert's other nicknames, as Rob has no other formal name); Robert →
    rob, bob, bobby, …; an ambiguous nickname (Bill: William or Robert) matches its formal names
    but not their other nicknames, so Bill does not match Bob.
    """
    key = " ".join(name.lower().split())
    if not key:
        return set()
    namer = _namer()
    canonicals = set(namer.canonicals_of(key))
    names = {key} | set(namer.nicknames_of(key)) | canonicals
    if len(canonicals) == 1:
        siblings = namer.nicknames_of(next(iter(canonicals)))
        names |= {n for n in siblings if len(namer.canonicals_of(n)) == 1}
    return names


def same_first_name(a: str, b: str) -> bool:
    """Whether two first names may be the same person's (Rob / Robert, Liz / Elizabeth)."""
    a_key, b_key = a.lower().strip(), b.lower().strip()
    return bool(a_key and b_key) and (
        b_key in equivalent_first_names(a) or a_key in equivalent_first_names(b)
    )


def probable_duplicates(
    db: Database, values: Mapping[str, Any], *, exclude_id: int | None = None
) -> list[DuplicateCandidate]:
    """Customers (not in the trash) that may be the same person as `values`."""
    cleaned = clean_customer(values)
    found: dict[int, list[str]] = {}

    def add(customer_id: int, reason: str) -> None:
        if customer_id != exclude_id and reason not in found.setdefault(customer_id, []):
            found[customer_id].append(reason)

    live = Customer.deleted_at.is_null()
    for _, address in cleaned.emails or []:
        for row in (
            CustomerEmail.select(CustomerEmail.customer)
            .join(Customer)
            .where(live & (fn.lower(CustomerEmail.address) == address.lower()))
        ):
            add(row.customer_id, f"same email {address}")
    for _, number, _ in cleaned.phones or []:
        for row in (
            CustomerPhone.select(CustomerPhone.customer)
            .join(Customer)
            .where(live & (CustomerPhone.number == number))
        ):
            add(row.customer_id, f"same phone {number}")
    first = cleaned.scalars.get("first_name", "")
    last = cleaned.scalars.get("last_name", "")
    if first and last:
        for row in Customer.select(Customer.id, Customer.first_name).where(
            live & (fn.lower(Customer.last_name) == last.lower())
        ):
            if same_first_name(first, row.first_name):
                add(
                    row.id,
                    f"{row.first_name} may be {first}"
                    if row.first_name.lower() != first.lower()
                    else "same name",
                )
    if not found:
        return []
    rows = {
        r.id: r
        for r in Customer.select(
            Customer.id, Customer.first_name, Customer.last_name, Customer.company, Customer.city
        ).where(Customer.id.in_(list(found)))
    }
    return [
        DuplicateCandidate(
            cid, row_name(rows[cid]), rows[cid].company, rows[cid].city, tuple(reasons)
        )
        for cid, reasons in found.items()
        if cid in rows
    ]


class DuplicatesFound(CrmError):
    """Saving a new customer stopped because it may already exist: `candidates` lists whom."""

    def __init__(self, candidates: list[DuplicateCandidate]):
        names = ", ".join(c.name for c in candidates[:3])
        super().__init__(f"may already exist: {names}")
        self.candidates = candidates
