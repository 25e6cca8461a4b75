"""Which customer a file means: live customers by uid (and the uid of a record merged away,
which now answers for the survivor), by email, and by our id."""

from __future__ import annotations

import re

from peewee import Database

from tui_crm.core.types import display_name
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

_MERGED_INTO = re.compile(r"\(#(\d+)\)$")


class CustomerKeys:
    """Every customer's keys, read once: a few queries for the whole file, none per row."""

    def __init__(self, db: Database):
        self.live: dict[int, str] = {}  # id -> display name
        self.people: list[tuple[int, str, str, str, int | None]] = []  # live: id, names, referrer
        self.by_uid: dict[str, int] = {}  # live customers only
        self.trashed_uid: dict[str, tuple[int, str]] = {}
        trashed: dict[int, str] = {}
        # A large book repeats its first names, last names and companies: each is held once.
        share: dict[str, str] = {}
        keep = share.setdefault
        store = store_of(db)
        for cid, uid, first, last, company, deleted, referrer in store.customer_keys():
            first, last, company = keep(first, first), keep(last, last), keep(company, company)
            if deleted is None:
                name = display_name(first, last, company)
                self.live[cid] = keep(name, name)
                self.people.append((cid, first, last, company, referrer))
                if uid:
                    self.by_uid[uid] = cid
            elif uid:
                trashed[cid] = uid
                self.trashed_uid[uid] = (cid, display_name(first, last, company))
        self.merged: dict[str, int] = {}  # uid of a record merged away -> the survivor
        for cid, text in store.merges():
            match = _MERGED_INTO.search(text or "")
            if cid in trashed and match and int(match.group(1)) in self.live:
                self.merged[trashed[cid]] = int(match.group(1))  # the latest merge wins
        # email (casefolded) -> its owners, each once: mostly one, held as a tuple (a set
        # for each of 200 000 addresses would be 40 MB).
        self.by_email: dict[str, tuple[int, ...]] = {}
        by_email = self.by_email
        for cid, address in store.email_owners():
            if cid in self.live:
                key = address.casefold()
                key = address if key == address else key
                owners = by_email.get(key, ())
                if cid not in owners:
                    by_email[key] = (*owners, cid)

    def find(self, kind: str, value: str) -> int:
        """The live customer a uid, email or id names (the uid of a record merged away names
        the survivor); CrmError saying why when none does."""
        if kind == "uid":
            if value in self.by_uid:
                return self.by_uid[value]
            if value in self.merged:
                return self.merged[value]
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
