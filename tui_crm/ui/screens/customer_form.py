"""The customer form: every profile field, labelled, checked on save, for new and existing
customers. New ones are checked for probable duplicates before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Header, Input, Label, Select, Static, TextArea
from textual.worker import Worker, WorkerState

from tui_crm.core.customer_fields import BY_NAME, FORM_ROWS, CustomerField
from tui_crm.core.customers import (
    EMAIL_LABELS,
    PHONE_LABELS,
    Reapplied,
    category_names,
    changes_said,
    create_customer,
    get_profile,
    known_sources,
    reapply_edits,
    update_customer,
)
from tui_crm.core.display import printable
from tui_crm.core.duplicates import DuplicatesFound, probable_duplicates
from tui_crm.core.insights import lost_reasons
from tui_crm.core.types import CustomerProfile, CustomerRef, display_name
from tui_crm.errors import ConflictError, CrmError, UnverifiedValues
from tui_crm.ui.background import in_background, when_read
from tui_crm.ui.format import data, editable, naming
from tui_crm.ui.keys import resume_keys
from tui_crm.ui.screens.dialog import FormFailed, FormScreen, Saved, form_row, widget_value
from tui_crm.ui.screens.lost import suggest_reasons
from tui_crm.ui.widgets.choice import Choice
from tui_crm.ui.widgets.compact import compact
from tui_crm.ui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from concurrent.futures import Future

    from peewee import Database

SLOTS = 3  # emails and phones each
RELOAD_LABEL = "Reload their changes, keep my edits"
SLOT_LABELS = {"emails": EMAIL_LABELS, "phones": PHONE_LABELS}


def _field(hint: str, widget_id: str) -> Input:
    """A text field of the form. Its values are checked on save, by the domain, with the
    error under the field; Textual's own validation would only mark every field valid, one
    restyle each as the form is filled (16 of them, a tenth of the edit form's opening)."""
    return Input(placeholder=hint, id=widget_id, validate_on=())


def _title(customer_id: int | None, name: str | None) -> str:
    if customer_id is None:
        return "New customer"
    return f"Edit {name}" if name else "Edit customer"


def _id(field: str) -> str:
    return "f-" + field.replace("_", "-")


@dataclass
class Loaded(Message):
    """What the form is filled from (or why it could not be read)."""

    categories: list[str]
    profile: CustomerProfile | None
    error: str | None


@dataclass
class Suggestions(Message):
    """What the source and lost-reason fields complete from: those in the book."""

    sources: list[str]
    reasons: list[str]


class CustomerFormScreen(FormScreen[Saved | None]):
    """`customer_id=None` adds a customer; otherwise edits that one."""

    FIELDS = {
        f.name: f"{f.name[:-1]}-0" if f.widget == "slots" else _id(f.name) for f, _ in FORM_ROWS
    }
    BINDINGS = [
        *FormScreen.BINDINGS,
        Binding("delete", "clear_referrer", "Clear referrer", show=False, id="form.clear-referrer"),
    ]
    # The first name takes the focus at once: focusing the scrolling body first and then the
    # field styled all 200 widgets of the form again twice (a focus change restyles the
    # focused widget and everything in it).
    AUTO_FOCUS = "#f-first-name"

    def __init__(self, customer_id: int | None = None, name: str | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.profile: CustomerProfile | None = None
        self.referrer: CustomerRef | None = None
        self.create_anyway = False
        self.merge_into: int | None = None  # chosen in the duplicates warning
        # In the header as it is built (set later, it lays the filled form out again).
        # `name`: the customer's, as the screen that opens the form shows it.
        self.sub_title = _title(customer_id, name)
        # Read from the key that opens the form, on the app's line, while it is built: what it
        # is filled from, then what the source and lost-reason fields complete from (they
        # count the whole book).
        self._reading: Future[Loaded] = self._read()
        self._suggesting: Future[Suggestions] = self.app.search_line.submit(
            lambda db: Suggestions(known_sources(db), lost_reasons(db))
        )

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        body = VerticalScroll(id="form-body")
        # Not laid out until filled from the book (`_show_filled`): drawn filled, never empty,
        # and the 200 widgets are arranged once, not at every frame while they mount. Hidden
        # by its own style, not a class: a class change styles all of them again.
        body.display = False
        with body:
            yield Static("", id="form-error", classes="field-error")
            with Vertical(id="form-conflict"):
                yield Static("", id="form-conflict-text")
                yield compact(Button(RELOAD_LABEL, id="form-reload"))
            for field, section in FORM_ROWS:
                if section:
                    yield Static(section, classes="section-title")
                yield from self._field_rows(field)
        yield KeysFooter()

    def _field_rows(self, field: CustomerField) -> ComposeResult:
        """The widgets of one field (customer_fields.CustomerField.widget says which)."""
        widget_id, label = _id(field.name), field.shown_on_form
        if field.widget == "slots":
            yield from self._slot_rows(field)
        elif field.widget == "area":
            yield Label(label, classes="form-label-wide")
            yield TextArea(id=widget_id, tab_behavior="focus", soft_wrap=True)
        elif field.widget == "select" and field.choices:
            first = field.choices[0][1]
            yield from form_row(
                label,
                compact(Choice(field.choices, value=first, allow_blank=False, id=widget_id)),
                errors=False,
            )
        elif field.widget == "select":  # a reference: its choices come when the form loads
            yield from form_row(label, compact(Choice([], prompt="—", id=widget_id)), errors=False)
        elif field.widget == "picker":
            yield from form_row(label, compact(Button(field.hint, id=widget_id)), errors=False)
        elif field.widget == "checkbox":
            yield from form_row(label, compact(Checkbox(field.hint, id=widget_id)), errors=False)
        else:
            yield from form_row(label, compact(_field(field.hint, widget_id)), errors=False)

    def _slot_rows(self, field: CustomerField) -> ComposeResult:
        """Emails or phones: SLOTS rows of a label and a value."""
        kind, labels = field.name[:-1], SLOT_LABELS[field.name]
        for slot in range(SLOTS):
            with Horizontal(classes="form-row"):
                yield Label(field.shown_on_form if slot == 0 else "", classes="form-label")
                yield compact(
                    Choice(
                        [(x, x) for x in labels],
                        value=self._slot_label(field.name, slot),
                        allow_blank=False,
                        id=f"{kind}-label-{slot}",
                        classes="slot-label",
                    )
                )
                yield compact(_field(field.hint, f"{kind}-{slot}"))

    # -- filling in --------------------------------------------------------------------------

    # Until the form is filled in from the book it is not shown and keys wait: it is drawn
    # filled, never empty then filled, and nothing typed meanwhile is overwritten by the fill.
    _filled = False

    @property
    def holding_keys(self) -> bool:
        return super().holding_keys or not self._filled

    def on_mount(self) -> None:
        def loaded(read: Loaded | None, error: CrmError | None) -> None:
            self.post_message(read or Loaded([], None, str(error)))

        def suggested(found: Suggestions | None, error: CrmError | None) -> None:
            if found is not None:  # none to offer when the book could not say
                self.post_message(found)

        when_read(self, self._reading, loaded, group="form-load")
        when_read(self, self._suggesting, suggested, group="form-suggestions")

    def _show_filled(self) -> None:
        self._filled = True
        self.query_one("#form-body").display = True
        resume_keys(self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "form-load" and event.state == WorkerState.ERROR:
            self._show_filled()  # a fault of ours: the form as it is, never keys held for ever

    def _read(self) -> Future[Loaded]:
        """The categories and, for an edit, the customer: on the app's line (its connection
        open and warm), from now."""
        customer_id, today = self.customer_id, self.app.today()

        def read(db: Database) -> Loaded:
            categories = category_names(db)
            profile = (
                get_profile(db, customer_id, today, history=0) if customer_id is not None else None
            )
            return Loaded(categories, profile, None)

        return self.app.search_line.submit(read)

    def on_loaded(self, loaded: Loaded) -> None:
        # Read before the form had finished mounting (it was read as the form was built):
        # filled and shown once the empty form is in place, else it is laid out twice.
        self.call_after_refresh(self.fill, loaded.categories, loaded.profile, loaded.error)

    def on_suggestions(self, found: Suggestions) -> None:
        self.query_one(f"#{_id('source')}", Input).suggester = SuggestFromList(
            found.sources, case_sensitive=False
        )
        suggest_reasons(self.query_one(f"#{_id('lost_reason')}", Input), found.reasons)

    def fill(
        self, categories: list[str], profile: CustomerProfile | None, error: str | None
    ) -> None:
        if error:
            self.query_one("#form-error", Static).update(data(error))
            self._show_filled()
            return
        self.query_one(f"#{_id('category')}", Select).set_options(
            [(data(c), c) for c in categories]
        )
        self.profile = profile
        if profile is not None:
            self.sub_title = _title(profile.id, profile.name)  # renamed meanwhile
            # Values put in from the book are no edits: none clears a message, and the form
            # handles none of the 40 changes (each looked for its message among 200 widgets).
            with self.prevent(Input.Changed, TextArea.Changed, Select.Changed, Checkbox.Changed):
                for field, _ in FORM_ROWS:
                    self._fill_field(field, profile)
        self._show_filled()
        first = self.query_one(f"#{_id('first_name')}", Input)
        first.focus()
        first.select_all()  # as focusing selects it: it may have had the focus while empty
        self.call_after_refresh(self.remember_initial_values)

    def _fill_field(self, field: CustomerField, profile: CustomerProfile) -> None:
        value = getattr(profile, field.name)
        widget_id = f"#{_id(field.name)}"
        if field.widget == "slots":
            self._fill_slots(field.name, [(item.label, editable(item.value)) for item in value])
        elif field.widget == "picker":
            self.set_referrer(value)
        elif field.widget == "area":
            self.query_one(widget_id, TextArea).text = editable(value, multiline=True)
        elif field.widget == "select":
            if value or field.choices:  # a reference left empty keeps its prompt
                self.query_one(widget_id, Select).value = value
        elif field.widget == "checkbox":
            self.query_one(widget_id, Checkbox).value = value
        else:
            text = ", ".join(value) if field.kind == "list" else str(value or "")
            self.query_one(widget_id, Input).value = editable(text)

    # A field's place for its error is made when it first has one, under the field: some 30
    # empty places, mounted and styled as the form opened, were a tenth of its opening.

    def message_of(self, widget: Widget) -> Static | None:
        # Every email and phone slot, value or label, shares its kind's one place for errors.
        slot = re.fullmatch(r"(email|phone)(-label)?-\d+", widget.id or "")
        if slot:
            return self.message_at(f"{slot.group(1)}-0")
        return super().message_of(widget)

    def on_form_failed(self, message: FormFailed) -> None:
        # Before FormLogic's own handler (Textual calls both, this one first), which shows
        # each error in its place.
        for field in message.errors:
            if widget_id := self.FIELDS.get(field):
                self._message_place(widget_id)

    def _message_place(self, widget_id: str) -> None:
        """`#<widget_id>-error` under its field, made if it is not there yet."""
        if self.message_at(widget_id) is not None:
            return
        slot = re.fullmatch(r"(email|phone)-0", widget_id)
        field = self.query_one(f"#{slot.group(1)}-{SLOTS - 1}" if slot else f"#{widget_id}")
        under = field.parent if isinstance(field.parent, Horizontal) else field
        place = Static("", id=f"{widget_id}-error", classes="field-error field-hint")
        under.parent.mount(place, after=under)

    def _fill_slots(self, name: str, items: list[tuple[str, str]]) -> None:
        """Emails or phones as (label, value) pairs; the slots left over are emptied."""
        kind, labels = name[:-1], SLOT_LABELS[name]
        for slot in range(SLOTS):
            label, value = items[slot] if slot < len(items) else (self._slot_label(name, slot), "")
            self.query_one(f"#{kind}-{slot}", Input).value = value
            self.query_one(f"#{kind}-label-{slot}", Select).value = (
                label if label in labels else "other"
            )

    @staticmethod
    def _slot_label(name: str, slot: int) -> str:
        """The label an empty slot starts with."""
        labels = SLOT_LABELS[name]
        return labels[slot % len(labels)] if name == "emails" else labels[slot]

    # -- referred by -----------------------------------------------------------------------

    def set_referrer(self, ref: CustomerRef | None) -> None:
        changed = ref != self.referrer
        self.referrer = ref
        if changed:
            self.value_changed(self.query_one(f"#{_id('referred_by')}", Button))
        button = self.query_one(f"#{_id('referred_by')}", Button)
        button.label = (
            data(f"{ref.name} (Enter to change, Del to clear)") if ref else "— (Enter to choose)"
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "form-reload":
            self.reload_theirs()
        elif event.button.id == _id("referred_by"):
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
        if isinstance(error, ConflictError) and self.profile is not None:
            self.show_conflict(error)
            return True
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

    # -- someone else saved first ----------------------------------------------------------
    #
    # A save based on an older version is refused (update_customer's ConflictError). The form
    # says what the others changed, field by field as the form labels them, and offers to
    # reload: their values come into the form and the user's own edits (the fields changed
    # since the form was filled) go back on top, with the version just read, so ctrl+s saves.

    _conflict: ConflictError | None = None

    def show_conflict(self, error: ConflictError) -> None:
        self._conflict = error
        text = Text()
        if error.changes:
            text.append_text(naming("", self.profile.name if self.profile else "The customer"))
            text.append(" was changed since you opened the form; nothing was saved:", "bold")
            for line in changes_said(error.changes, on_form=True):
                text.append("\n  ")
                text.append(data(line))
        else:
            text.append(data(str(error), "bold"))
        text.append("\nReload to see their values here with your edits kept on top.")
        self._show_conflict_panel(text, error=True)
        reload = self.query_one("#form-reload", Button)
        reload.display = True
        reload.focus()
        self.query_one("#form-body", VerticalScroll).scroll_home(animate=False)

    def _show_conflict_panel(self, text: Text | None, *, error: bool = False) -> None:
        panel = self.query_one("#form-conflict", Vertical)
        panel.display = text is not None
        panel.set_class(error, "conflict-error")
        self.query_one("#form-conflict-text", Static).update(text or "")

    def reload_theirs(self) -> None:
        if self.profile is None:
            return
        customer_id, today = self.profile.id, self.app.today()
        in_background(
            self,
            lambda db: (category_names(db), get_profile(db, customer_id, today, history=0)),
            lambda found: self.reapply(*found),
            failed=lambda err: self._show_conflict_panel(
                data(f"Could not reload: {err}", "bold"), error=True
            ),
            group="form-load",
        )

    def reapply(self, categories: list[str], theirs: CustomerProfile) -> None:
        """Fill the form with `theirs` (just read) and put the user's edits back on top."""
        opened, mine, my_referrer = self._initial or {}, self.values(), self.referrer
        category = self.query_one(f"#{_id('category')}", Select)
        category.set_options([(data(c), c) for c in categories])
        self.profile = theirs
        for field, _ in FORM_ROWS:
            self._fill_field(field, theirs)
        their_values = self.values()
        result = reapply_edits(opened, mine, their_values)
        for name in result.edits:
            self._put_value(name, mine[name], my_referrer)
        self._initial = their_values  # what ctrl+s now changes, and escape asks about
        self._show_conflict_panel(self._reapplied_text(result, their_values))
        self.query_one("#form-reload", Button).display = False
        first = result.edits[0] if result.edits else "first_name"
        target = self.query_one(f"#{self.FIELDS[first]}")
        target.focus(scroll_visible=False)
        self.query_one("#form-body", VerticalScroll).scroll_home(animate=False)

    def _put_value(self, name: str, value: Any, referrer: CustomerRef | None) -> None:
        """Set one field back to a value `values()` gave."""
        if name in SLOT_LABELS:
            self._fill_slots(name, list(value))
        elif name == "referred_by":
            self.set_referrer(referrer)
        else:
            widget = self.query_one(f"#{self.FIELDS[name]}")
            if isinstance(widget, TextArea):
                widget.text = value
            elif isinstance(widget, Select) and not value and not BY_NAME[name].choices:
                widget.clear()  # a reference left empty: back to its prompt
            else:
                widget.value = value

    def _reapplied_text(self, result: Reapplied, theirs: dict[str, Any]) -> Text:
        who = {}
        for change in self._conflict.changes if self._conflict else ():
            who[change.field] = printable(change.who, limit=40) or "someone"
        text = Text.assemble(("Reloaded:", "bold"), " the form shows the customer as saved now")
        if not result.edits:
            text.append(", and you had changed nothing of your own.")
            return text
        text.append(", with your edits back on top: ")
        for n, name in enumerate(result.edits):
            text.append(", " if n else "")
            text.append(BY_NAME[name].shown_on_form, "bold")
            if name in result.over_theirs:
                replaced = theirs[name]
                shown = f" {replaced!s}" if isinstance(replaced, str) and replaced else ""
                text.append(data(f" (over {who.get(name, 'someone else')}'s{shown or ' change'})"))
        text.append(". ctrl+s saves them; escape drops them.")
        return text
