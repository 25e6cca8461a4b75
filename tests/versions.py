"""For tests whose write is not about a race: what the write is based on, read just before."""

from __future__ import annotations

from tui_crm.db.models import Customer


def current_version(customer_id: int) -> int:
    """The customer's version now (0 for no such customer, so the write itself says so)."""
    version = Customer.select(Customer.version).where(Customer.id == customer_id).scalar()
    return version or 0
