"""Add a purchase: date (today unless changed), amount, description, category."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from tui_crm.core.book import purchase_amount
from tui_crm.core.config import settings
from tui_crm.core.customers import add_purchase
from tui_crm.core.fields import format_money
from tui_crm.ui.format import naming
from tui_crm.ui.screens.dialog import FormDialog, Saved
from tui_crm.ui.widgets.compact import compact

ROWS = (
    ("day", "purchase-day", "Date", "YYYY-MM-DD"),
    ("amount", "purchase-amount", "Amount", "e.g. 1250 or 1,250.00"),
    ("description", "purchase-description", "What", "product or service"),
    ("category", "purchase-category", "Category", "e.g. software, service"),
    ("invoice_ref", "purchase-invoice", "Invoice", "invoice number (optional)"),
)


class AddPurchaseScreen(FormDialog[Saved | None]):
    FIELDS = {name: widget_id for name, widget_id, _, _ in ROWS}
    DISCARD_QUESTION = "Discard this purchase?"

    def __init__(self, customer_id: int, customer_name: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.customer_name = customer_name

    def compose(self) -> ComposeResult:
        currency = settings().currency
        with Vertical(classes="dialog", id="purchase-dialog"):
            yield Static(
                naming("Purchase by ", self.customer_name, f" (in {currency})"),
                classes="dialog-title",
            )
            for _, widget_id, label, placeholder in ROWS:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield compact(Input(placeholder=placeholder, id=widget_id))
                yield Static("", id=f"{widget_id}-error", classes="field-error field-hint")
            yield Static("ctrl+s save · esc cancel · tab next field", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#purchase-day", Input).value = self.app.today().isoformat()
        self.query_one("#purchase-amount", Input).focus()

    def perform(self, values: dict[str, Any]) -> Saved:
        purchase_id = add_purchase(
            self.app.db,
            self.customer_id,
            amount=values["amount"],
            day=values["day"] or None,
            description=values["description"],
            category=values["category"],
            invoice_ref=values["invoice_ref"],
        )
        cents, currency = purchase_amount(self.app.db, purchase_id)
        return Saved(
            purchase_id,
            f"Added {format_money(cents, currency)} for {self.customer_name}",
        )
