"""What a screen showing "the current customer" can do with them: log, add a purchase, edit."""

from __future__ import annotations

from tui_crm.core.rows import CustomerRef


class CustomerActions:
    """Mixed into the search and profile screens.

    A screen says who its current customer is (`current_customer`) and how to show what a
    dialog changed (`refresh_after_write`); the actions are the same everywhere.
    """

    def current_customer(self) -> CustomerRef | None:
        raise AssertionError(f"{type(self).__name__} must define current_customer()")

    def refresh_after_write(self) -> None:
        raise AssertionError(f"{type(self).__name__} must define refresh_after_write()")

    def action_log(self) -> None:
        from tui_crm.ui.screens.log import LogInteractionScreen

        self.open_dialog(LogInteractionScreen)

    def action_purchase(self) -> None:
        from tui_crm.ui.screens.purchase import AddPurchaseScreen

        self.open_dialog(AddPurchaseScreen)

    def action_edit(self) -> None:
        customer = self.current_customer()
        if customer is not None:
            # The screen refreshes when it resumes.
            self.app.edit_customer(customer.id, name=customer.name)

    def open_dialog(self, dialog: type) -> None:
        """Open a dialog for the current customer; show what it saved."""
        customer = self.current_customer()
        if customer is not None:
            self.app.push_screen(dialog(customer.id, customer.name), self.after_dialog)

    def after_dialog(self, result) -> None:
        if result is not None:
            self.app.notify(result.summary)
            self.refresh_after_write()
