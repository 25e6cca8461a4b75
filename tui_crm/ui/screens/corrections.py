"""Correcting what was logged: a call's note or a mistyped purchase, in the dialogs that wrote
them, filled in with what is stored; saving writes the correction (checked against the version
shown, recorded in the history, undone by ctrl+z)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select, Static, TextArea

from tui_crm.core.corrections import edit_interaction, edit_purchase
from tui_crm.core.fields import format_money
from tui_crm.core.types import InteractionView, PurchaseView
from tui_crm.ui.format import naming
from tui_crm.ui.screens.dialog import Saved
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.purchase import AddPurchaseScreen


def interaction_said(item: InteractionView) -> str:
    """A logged interaction in a few words: "the call of Mon 2 Nov 14:05"."""
    return f"the {item.kind} of {item.at:%a} {item.at.day} {item.at:%b %H:%M}"


def purchase_said(item: PurchaseView) -> str:
    """A purchase in a few words: "the purchase of 1,250.00 USD on 2 Nov 2026"."""
    amount = format_money(item.cents, item.currency)
    return f"the purchase of {amount} on {item.day.day} {item.day:%b %Y}"


class CorrectInteractionScreen(LogInteractionScreen):
    """The log dialog on an interaction already logged: kind, note, outcome, follow-up and
    when it happened."""

    CHECKS_RECENT = False  # correcting what was logged is no new contact

    KEEPS_DRAFTS = False
    DISCARD_QUESTION = "Discard this correction?"

    def __init__(self, customer_id: int, customer_name: str, item: InteractionView) -> None:
        super().__init__(customer_id, customer_name, kind=item.kind)
        self.item = item
        self._at_shown = ""  # when it happened, as the field shows it

    def on_mount(self) -> None:
        super().on_mount()
        item = self.item
        self.query_one(".dialog-title", Static).update(
            naming(f"Correct {interaction_said(item)} with ", self.customer_name)
        )
        self.query_one("#log-kind", Select).value = item.kind
        notes = self.query_one("#log-notes", TextArea)
        notes.text = item.notes
        notes.move_cursor(notes.document.end)
        self.query_one("#log-outcome", Input).value = item.outcome
        self.query_one("#log-follow-up", Input).value = (
            f"{item.follow_up.isoformat()} {item.follow_up_time}".strip() if item.follow_up else ""
        )
        self._at_shown = f"{item.at:%Y-%m-%d %H:%M}"
        self.query_one("#log-at", Input).value = self._at_shown

    def perform(self, values: dict[str, Any]) -> Saved:
        edit_interaction(
            self.app.db,
            self.item.id,
            {
                "kind": values["kind"],
                "notes": values["notes"],
                "outcome": values["outcome"],
                "follow_up": values["follow_up"] or None,
                # When it happened, only when changed (shown to the minute, kept to the
                # second): an empty field or the same minute leaves it as it was.
                **(
                    {"at": values["at"].strip()}
                    if values["at"].strip() not in ("", self._at_shown)
                    else {}
                ),
            },
            expected_version=self.item.version,
        )
        return Saved(self.item.id, f"Corrected {interaction_said(self.item)}")


class CorrectPurchaseScreen(AddPurchaseScreen):
    """The purchase dialog on a purchase already added: every field, as stored."""

    DISCARD_QUESTION = "Discard this correction?"

    def __init__(self, customer_id: int, customer_name: str, item: PurchaseView) -> None:
        super().__init__(customer_id, customer_name)
        self.item = item

    def on_mount(self) -> None:
        super().on_mount()
        item = self.item
        self.query_one(".dialog-title", Static).update(
            naming(f"Correct {purchase_said(item)} by ", self.customer_name)
        )
        for widget_id, value in (
            ("purchase-day", item.day.isoformat()),
            ("purchase-amount", format_money(item.cents)),
            ("purchase-description", item.description),
            ("purchase-category", item.category),
            ("purchase-invoice", item.invoice_ref),
        ):
            self.query_one(f"#{widget_id}", Input).value = value

    def perform(self, values: dict[str, Any]) -> Saved:
        edit_purchase(
            self.app.db,
            self.item.id,
            {
                "day": values["day"],
                "amount": values["amount"],
                "description": values["description"],
                "category": values["category"],
                "invoice_ref": values["invoice_ref"],
            },
            expected_version=self.item.version,
        )
        return Saved(self.item.id, f"Corrected {purchase_said(self.item)}")
