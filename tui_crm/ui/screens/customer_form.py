"""The customer form: every profile field, labelled, checked on save, for new and existing
customers. New ones are checked for probable duplicates before anything is written."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, Select, Static, TextArea

from tui_crm.core.customers import (
    EMAIL_LABELS,
    PHONE_LABELS,
    category_names,
    create_customer,
    get_profile,
    known_sources,
    update_customer,
)
from tui_crm.core.duplicates import DuplicatesFound, probable_duplicates
from tui_crm.core.types import CustomerProfile, CustomerRef, display_name
from tui_crm.errors import CrmError, UnverifiedValues
from tui_crm.ui.background import book
from tui_crm.ui.format import data, editable
from tui_crm.ui.screens.dialog import FormScreen, Saved, form_row, widget_value

SLOTS = 3  # emails and phones each
TEXT_ROWS = (
    ("Name", (("first_name", "First name"), ("last_name", "Last name"), ("nickname", "Nickname"))),
    ("Work", (("company", "Company"), ("job_title", "Job title"))),
    (
        "Address",
        (
            ("street", "Street"),
            ("postal_code", "Postal code"),
            ("city", "City"),
            ("region", "Region/state"),
            ("country", "Country"),
        ),
    ),
)
GENDERS = (("—", ""), ("female", "f"), ("male", "m"), ("other", "x"))
STATUSES = (("active", "active"), ("lapsed", "lapsed"), ("lost", "lost"))


def _id(field: str) -> str:
    return "f-" + field.replace("_", "-")


class CustomerFormScreen(FormScreen[Saved | None]):
    """`customer_id=None` adds a customer; otherwise edits that one."""

    FIELDS = {
        **{name: _id(name) for _, fields in TEXT_ROWS for name, _ in fields},
        "emails": "email-0",
        "phones": "phone-0",
        "gender": _id("gender"),
        "birthday": _id("birthday"),
        "source": _id("source"),
        "acquired_on": _id("acquired_on"),
        "referred_by": _id("referred_by"),
        "why_chose_us": _id("why_chose_us"),
        "category": _id("category"),
        "owner": _id("owner"),
        "territory": _id("territory"),
        "status": _id("status"),
        "lost_reason": _id("lost_reason"),
        "email_opt_out": _id("email_opt_out"),
        "tags": _id("tags"),
        "notes": _id("notes"),
    }
    BINDINGS = [
        *FormScreen.BINDINGS,
        Binding("delete", "clear_referrer", "Clear referrer", show=False, id="form.clear-referrer"),
    ]

    def __init__(self, customer_id: int | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.profile: CustomerProfile | None = None
        self.referrer: CustomerRef | None = None
        self.create_anyway = False
        self.merge_into: int | None = None  # chosen in the duplicates warning

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="form-body"):
            yield Static("", id="form-error", classes="field-error")
            for section, fields in TEXT_ROWS:
                yield Static(section, classes="section-title")
                for name, label in fields:
                    yield from form_row(label, Input(id=_id(name), compact=True))
            yield Static("Reach them", classes="section-title")
            for kind, labels, placeholder in (
                ("email", EMAIL_LABELS, "name@example.com"),
                ("phone", PHONE_LABELS, "+47 955 51 234 or a local number"),
            ):
                for slot in range(SLOTS):
                    with Horizontal(classes="form-row"):
                        yield Label(kind.capitalize() if slot == 0 else "", classes="form-label")
                        yield Select(
                            [(x, x) for x in labels],
                            value=labels[slot % len(labels)] if kind == "email" else labels[slot],
                            allow_blank=False,
                            compact=True,
                            id=f"{kind}-label-{slot}",
                            classes="slot-label",
                        )
                        yield Input(placeholder=placeholder, id=f"{kind}-{slot}", compact=True)
                yield Static("", id=f"{kind}-0-error", classes="field-error field-hint")
            yield Static("Person", classes="section-title")
            yield from form_row(
                "Gender",
                Select(GENDERS, value="", allow_blank=False, compact=True, id=_id("gender")),
            )
            yield from form_row(
                "Birthday", Input(placeholder="YYYY-MM-DD", id=_id("birthday"), compact=True)
            )
            yield Static("Relationship", classes="section-title")
            yield from form_row(
                "Source",
                Input(placeholder="referral, website, trade show…", id=_id("source"), compact=True),
            )
            yield from form_row(
                "Since", Input(placeholder="YYYY-MM-DD", id=_id("acquired_on"), compact=True)
            )
            yield from form_row(
                "Referred by", Button("— (Enter to choose)", id=_id("referred_by"), compact=True)
            )
            yield Label("Why they chose us", classes="form-label-wide")
            yield TextArea(id=_id("why_chose_us"), tab_behavior="focus", soft_wrap=True)
            yield Static("", id=f"{_id('why_chose_us')}-error", classes="field-error field-hint")
            yield from form_row(
                "Category", Select([], prompt="—", compact=True, id=_id("category"))
            )
            yield from form_row("Owner", Input(id=_id("owner"), compact=True))
            yield from form_row("Territory", Input(id=_id("territory"), compact=True))
            yield from form_row(
                "Status",
                Select(STATUSES, value="active", allow_blank=False, compact=True, id=_id("status")),
            )
            yield from form_row(
                "Lost because",
                Input(placeholder="what broke the deal", id=_id("lost_reason"), compact=True),
            )
            yield from form_row(
                "Email", Checkbox("opted out of email", id=_id("email_opt_out"), compact=True)
            )
            yield from form_row(
                "Tags", Input(placeholder="vip, partner", id=_id("tags"), compact=True)
            )
            yield Label("Notes", classes="form-label-wide")
            yield TextArea(id=_id("notes"), tab_behavior="focus", soft_wrap=True)
            yield Static("", id=f"{_id('notes')}-error", classes="field-error field-hint")
        yield Footer()

    # -- filling in --------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.sub_title = "New customer" if self.customer_id is None else "Edit customer"
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="form-load")
    def load(self) -> None:
        try:
            with book(self) as db:
                categories = category_names(db)
                sources = known_sources(db)
                profile = (
                    get_profile(db, self.customer_id, self.app.today(), history=0)
                    if self.customer_id is not None
                    else None
                )
            error = None
        except CrmError as err:
            categories, sources, profile, error = [], [], None, str(err)
        self.app.call_from_thread(self.fill, categories, sources, profile, error)

    def fill(self, categories, sources, profile: CustomerProfile | None, error: str | None) -> None:
        if error:
            self.query_one("#form-error", Static).update(data(error))
            return
        self.query_one(f"#{_id('category')}", Select).set_options(
            [(data(c), c) for c in categories]
        )
        self.query_one(f"#{_id('source')}", Input).suggester = SuggestFromList(
            sources, case_sensitive=False
        )
        self.profile = profile
        if profile is not None:
            self.sub_title = f"Edit {profile.name}"
            for _, fields in TEXT_ROWS:
                for name, _ in fields:
                    self.query_one(f"#{_id(name)}", Input).value = editable(getattr(profile, name))
            for kind, items, labels in (
                ("email", profile.emails, EMAIL_LABELS),
                ("phone", profile.phones, PHONE_LABELS),
            ):
                for slot, item in enumerate(items[:SLOTS]):
                    self.query_one(f"#{kind}-{slot}", Input).value = editable(item.value)
                    self.query_one(f"#{kind}-label-{slot}", Select).value = (
                        item.label if item.label in labels else "other"
                    )
            simple = {
                "birthday": str(profile.birthday or ""),
                "source": profile.source,
                "acquired_on": str(profile.acquired_on or ""),
                "owner": profile.owner,
                "territory": profile.territory,
                "lost_reason": profile.lost_reason,
                "tags": ", ".join(profile.tags),
            }
            for name, value in simple.items():
                self.query_one(f"#{_id(name)}", Input).value = editable(value)
            self.query_one(f"#{_id('gender')}", Select).value = profile.gender
            self.query_one(f"#{_id('status')}", Select).value = profile.status
            if profile.category:
                self.query_one(f"#{_id('category')}", Select).value = profile.category
            self.query_one(f"#{_id('email_opt_out')}", Checkbox).value = profile.email_opt_out
            why = self.query_one(f"#{_id('why_chose_us')}", TextArea)
            why.text = editable(profile.why_chose_us, multiline=True)
            self.query_one(f"#{_id('notes')}", TextArea).text = editable(
                profile.notes, multiline=True
            )
            self.set_referrer(profile.referred_by)
        self.query_one(f"#{_id('first_name')}", Input).focus()
        self.call_after_refresh(self.remember_initial_values)

    # -- referred by -----------------------------------------------------------------------

    def set_referrer(self, ref: CustomerRef | None) -> None:
        self.referrer = ref
        button = self.query_one(f"#{_id('referred_by')}", Button)
        button.label = (
            data(f"{ref.name} (Enter to change, Del to clear)") if ref else "— (Enter to choose)"
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == _id("referred_by"):
            from tui_crm.ui.screens.pickers import CustomerPickerScreen

            def chosen(ref: CustomerRef | None) -> None:
                if ref is not None:
                    self.set_referrer(ref)

            self.app.push_screen(
                CustomerPickerScreen("Who referred them?", exclude=self.customer_id), chosen
            )

    def action_clear_referrer(self) -> None:
        if self.focused is not None and self.focused.id == _id("referred_by"):
            self.set_referrer(None)

    # -- saving ----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, widget_id in self.FIELDS.items():
            if name in ("emails", "phones", "referred_by"):
                continue
            out[name] = widget_value(self.query_one(f"#{widget_id}"))
        for kind in ("email", "phone"):
            out[kind + "s"] = [
                (
                    widget_value(self.query_one(f"#{kind}-label-{slot}")),
                    self.query_one(f"#{kind}-{slot}", Input).value,
                )
                for slot in range(SLOTS)
                if self.query_one(f"#{kind}-{slot}", Input).value.strip()
            ]
        out["referred_by"] = self.referrer.id if self.referrer else None
        return out

    # Phones the user was warned about and saved again as they were: kept as typed, marked
    # unverified. Changing them asks again.
    _confirmed_phones: list | None = None

    def perform(self, values: dict[str, Any]) -> Saved:
        try:
            return self._write(values, keep_unverified=values["phones"] == self._confirmed_phones)
        except UnverifiedValues as err:
            self._confirmed_phones = values["phones"]
            raise UnverifiedValues(
                {
                    field: f"{text}: ctrl+s again keeps it, marked unverified"
                    for field, text in err.warnings.items()
                }
            ) from None

    def _write(self, values: dict[str, Any], *, keep_unverified: bool) -> Saved:
        db = self.app.db
        name = display_name(values["first_name"], values["last_name"], values["company"])
        if self.profile is None:
            if not self.create_anyway:
                candidates = probable_duplicates(db, values)
                if candidates:
                    raise DuplicatesFound(candidates)
            new_id = create_customer(db, values, keep_unverified=keep_unverified)
            return Saved(new_id, f"Added {name}", merge_into=self.merge_into)
        update_customer(
            db,
            self.profile.id,
            values,
            expected_version=self.profile.version,
            keep_unverified=keep_unverified,
        )
        return Saved(self.profile.id, f"Saved {name}")

    def handle_refusal(self, error: CrmError) -> bool:
        if not isinstance(error, DuplicatesFound):
            return False
        from tui_crm.ui.screens.pickers import DuplicatesScreen

        values = self.values()
        name = display_name(values["first_name"], values["last_name"], values["company"])

        def decided(choice: str | None) -> None:
            if choice == "create":
                self.create_anyway = True
                self.action_save()
            elif choice and choice.startswith("merge:"):
                self.create_anyway = True
                self.merge_into = int(choice.split(":", 1)[1])
                self.action_save()
            elif choice and choice.startswith("open:"):
                self.dismiss(None)
                self.app.open_profile(int(choice.split(":", 1)[1]))

        self.app.push_screen(DuplicatesScreen(name, error.candidates), decided)
        return True
