"""Frozen dataclasses the UI and CLI receive: plain data, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# What a list is made of lives in core/rows.py (a list needs nothing else, and the search
# screen loads only that before the first frame); answered here too.
from tui_crm.core.rows import CustomerRef as CustomerRef
from tui_crm.core.rows import CustomerRow as CustomerRow
from tui_crm.core.rows import Value as Value
from tui_crm.core.rows import display_name as display_name
from tui_crm.core.rows import status_as_shown as status_as_shown


@dataclass(frozen=True)
class Labelled:
    label: str
    value: str


@dataclass(frozen=True)
class PhoneView(Labelled):
    """A phone of a customer. `value` is the number as shown and typed back into the form:
    the international form of a verified number, the text as given of one that could not be
    verified, each with " ext. N" when it has an extension."""

    number: str = ""  # as stored: E.164 when verified, else as typed
    verified: bool = True  # False: kept as given; the UI says "(unverified)"
    extension: str = ""  # digits, "" for none


@dataclass(frozen=True)
class InteractionView:
    id: int
    kind: str
    at: datetime
    notes: str
    outcome: str
    follow_up: date | None
    logged_by: str
    regarding: CustomerRef | None = None
    version: int = 1  # what a correction is based on (core/corrections.py)
    follow_up_time: str = ""  # "HH:MM" when the follow-up has a time of day


@dataclass(frozen=True)
class PurchaseView:
    id: int
    day: date
    cents: int
    currency: str
    description: str
    category: str
    invoice_ref: str
    version: int = 1  # what a correction is based on (core/corrections.py)


@dataclass(frozen=True)
class ChangeView:
    at: datetime
    who: str
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class CustomerProfile:
    id: int
    version: int
    first_name: str
    last_name: str
    nickname: str
    company: str
    job_title: str
    gender: str
    birthday: date | None
    street: str
    postal_code: str
    city: str
    region: str
    country: str
    source: str
    acquired_on: date | None
    why_chose_us: str
    category: str
    plan: str  # the touches their plan gives them, as written (core/plans.py)
    owner: str
    territory: str
    status: str  # as typed: active or lost (what the form edits); see `shown_status`
    lost_reason: str
    lost_on: date | None
    email_opt_out: bool
    email_opt_out_at: datetime | None
    notes: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    last_contact: datetime | None
    next_follow_up: date | None
    purchase_count: int
    last_purchase_on: date | None
    prefix: str = ""  # Dr., Mr.
    suffix: str = ""  # Jr., PhD
    # Why they count as lapsed on the profile's day ("bought on 9 days over 7 months, …;
    # nothing for 5 months — probably gone (1 in 8 chance still buying)"); "" when they
    # have not stopped buying, or are lost.
    lapse: str = ""
    emails: tuple[Labelled, ...] = ()
    phones: tuple[PhoneView, ...] = ()  # see PhoneView
    tags: tuple[str, ...] = ()
    referred_by: CustomerRef | None = None
    referrals: tuple[CustomerRef, ...] = ()
    value: Value = field(default_factory=Value)
    interactions: tuple[InteractionView, ...] = ()
    purchases: tuple[PurchaseView, ...] = ()
    changes: tuple[ChangeView, ...] = ()

    @property
    def name(self) -> str:
        return display_name(self.first_name, self.last_name, self.company)

    @property
    def shown_status(self) -> str:
        """active, lapsed or lost: see `status_as_shown`."""
        return status_as_shown(self.status, bool(self.lapse))

    def age(self, today: date) -> int | None:
        if self.birthday is None:
            return None
        years = today.year - self.birthday.year
        return years - ((today.month, today.day) < (self.birthday.month, self.birthday.day))
