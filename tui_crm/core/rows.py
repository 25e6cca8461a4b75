"""What a list of customers is made of: the search row, a customer's value figures, and how
a name and a status are shown. Frozen dataclasses, as in core/types.py (which answers for
these too), kept apart from the profile's there, so that a list (`tui-crm find`) does not
build the profile's dataclasses (a few milliseconds of every start)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class CustomerRef:
    id: int
    name: str


@dataclass(frozen=True)
class CustomerRow:
    """One line of search results."""

    id: int
    first_name: str
    last_name: str
    company: str
    email: str
    phone: str  # the first number as kept to be shown ("+47 95 55 12 34"; migration 11)
    city: str
    tier: str  # "gold", "silver" or ""
    value_12m: int  # cents
    spent_30d: int
    lifetime: int
    last_contact: datetime | None
    next_follow_up: date | None
    # active, lapsed or lost as `status_as_shown` says; "" when the search was not asked for it
    # (search(..., statuses=True)): working out who lapsed reads the purchase rhythms.
    status: str

    @property
    def name(self) -> str:
        return display_name(self.first_name, self.last_name, self.company)


def status_as_shown(typed: str, lapsed: bool) -> str:
    """A customer's status as people are told it: lost when someone said so (with what broke
    the deal), else lapsed when their purchases say they stopped buying (core/lapse.py), else
    active. Only active and lost are typed."""
    if typed == "lost":
        return "lost"
    return "lapsed" if lapsed else "active"


def display_name(first: str, last: str, company: str = "") -> str:
    name = f"{first} {last}".strip()
    return name or company


@dataclass(frozen=True)
class Value:
    spent_30d: int = 0
    spent_12m: int = 0
    lifetime: int = 0
    rank: int | None = None
    tier: str = ""
    as_of: date | None = None
