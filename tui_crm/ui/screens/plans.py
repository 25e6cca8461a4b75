"""The plan editor: each category's communication plan, everyone's and the one for customers
without a category, and a new category with its plan (core/plans.py)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from tui_crm.core.plans import Plan, parse_plan, plan_text, save_plans
from tui_crm.errors import ValidationError
from tui_crm.ui.format import data
from tui_crm.ui.screens.dialog import FormDialog, Saved
from tui_crm.ui.widgets.compact import compact

EXAMPLE = "e.g. meeting every 3 months, call every month"


class PlanScreen(FormDialog[Saved | None]):
    """One field per plan, written as people say it, and a row to add a category.

    The queue's "plan touch due" reason reads the plans on its next run."""

    DISCARD_QUESTION = "Discard the plan changes?"

    def __init__(self, plans: list[Plan]) -> None:
        super().__init__()
        # Read before it opens (read_plans, in a worker): complete from its first frame.
        self.plans = plans
        self.FIELDS = {self._field(plan): self._widget(plan) for plan in plans}
        self.FIELDS |= {"new_name": "plan-new-name", "new_plan": "plan-new-touches"}

    @staticmethod
    def _field(plan: Plan) -> str:
        return f"category-{plan.category_id}" if plan.scope == "category" else plan.scope

    def _widget(self, plan: Plan) -> str:
        return f"plan-{self._field(plan)}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="plan-dialog"):
            yield Static("Communication plans", classes="dialog-title")
            yield Static(
                "Every customer gets the first plan, and their category's (or the one "
                "without a category) on top. Kinds: contact (any), call, meeting, email, "
                "message, thanks; a meeting answers a call.",
                classes="dialog-hint",
            )
            with VerticalScroll(id="plan-rows"):
                for plan in self.plans:
                    with Horizontal(classes="form-row"):
                        yield Label(data(plan.label), classes="form-label plan-label")
                        yield compact(
                            Input(
                                value=plan_text(plan.touches),
                                placeholder="no touches",
                                id=self._widget(plan),
                                classes="plan-touches",
                            )
                        )
                    yield Static(
                        "", id=f"{self._widget(plan)}-error", classes="field-error field-hint"
                    )
                with Horizontal(classes="form-row"):
                    yield compact(Input(placeholder="new category", id="plan-new-name"))
                    yield compact(Input(placeholder=EXAMPLE, id="plan-new-touches"))
                yield Static("", id="plan-new-name-error", classes="field-error field-hint")
                yield Static("", id="plan-new-touches-error", classes="field-error field-hint")
            yield Static("ctrl+s save · esc cancel · tab next field", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#plan-rows Input", Input).focus()

    def perform(self, values: dict[str, Any]) -> Saved:
        errors: dict[str, str] = {}
        touches = {}
        for field, text in values.items():
            if field == "new_name":
                continue
            try:
                touches[field] = parse_plan(text)
            except ValidationError as err:
                errors[field] = err.errors["plan"]
        new_name = values["new_name"].strip()
        if values["new_plan"].strip() and not new_name:
            errors["new_name"] = "give the new category a name"
        if errors:
            raise ValidationError(errors)
        changed = save_plans(
            self.app.db,
            [(plan, touches[self._field(plan)]) for plan in self.plans],
            (new_name, touches["new_plan"] or None) if new_name else None,
        )
        return Saved(0, "Plans saved" if changed else "No plan changed")
