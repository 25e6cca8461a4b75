"""The customer form: new customers (with the duplicate warning), edits, refusals, conflicts."""

from __future__ import annotations

from textual.widgets import Button, Input, OptionList, Select, Static, TextArea

from tests.builders import category
from tests.ui.conftest import burst, settle
from tests.versions import current_version
from tui_crm.core.customers import update_customer
from tui_crm.db.models import Customer, CustomerPhone
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.customer_form import CustomerFormScreen
from tui_crm.ui.screens.pickers import CustomerPickerScreen, DuplicatesScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen


def _robert_smith() -> Customer:
    """The first Robert Smith, whom a search for the name opens (several have the name)."""
    return (
        Customer.select()
        .where((Customer.first_name == "Robert") & (Customer.last_name == "Smith"))
        .order_by(Customer.id)
        .get()
    )


def _highlight(listed: OptionList, customer_id: int) -> None:
    listed.highlighted = next(
        i
        for i in range(listed.option_count)
        if listed.get_option_at_index(i).id == str(customer_id)
    )


async def _new_rob_smith(pilot) -> None:
    await settle(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CustomerFormScreen)
    await pilot.press(*"Rob", "tab", *"Smith", "ctrl+s")
    await settle(pilot)


async def test_new_rob_smith_is_warned_about_robert_smith_and_can_create_anyway(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        before = Customer.select().count()
        await _new_rob_smith(pilot)
        assert isinstance(demo_app.screen, DuplicatesScreen)
        assert Customer.select().count() == before  # nothing written yet
        listed = demo_app.screen.query_one(OptionList)
        texts = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert any("Robert Smith" in t and "Robert may be Rob" in t for t in texts)
        await pilot.press("ctrl+n")  # create anyway
        await settle(pilot)
        assert Customer.select().count() == before + 1
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.profile.name == "Rob Smith"


async def test_choosing_the_existing_customer_opens_it_and_creates_nothing(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        before = Customer.select().count()
        await _new_rob_smith(pilot)
        robert = _robert_smith().id
        _highlight(demo_app.screen.query_one(OptionList), robert)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.profile.id == robert
        assert Customer.select().count() == before


async def test_m_on_the_warning_merges_the_new_details_into_the_existing_customer(demo_app):
    from tui_crm.ui.screens.duplicates import MergeScreen

    async with demo_app.run_test(size=(100, 40)) as pilot:
        before = Customer.select().count()
        await _new_rob_smith(pilot)
        robert = _robert_smith().id
        _highlight(demo_app.screen.query_one(OptionList), robert)
        await pilot.press("m")
        for _ in range(3):
            await settle(pilot)
            await pilot.pause(0.05)
        merging = demo_app.screen
        assert isinstance(merging, MergeScreen)
        assert merging.preview.survivor.id == robert and merging.preview.other.name == "Rob Smith"
        rob = merging.preview.other.id
        await pilot.press("ctrl+s")
        for _ in range(3):
            await settle(pilot)
            await pilot.pause(0.05)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.profile.id == robert
        assert Customer.get_by_id(rob).deleted_at is not None  # the new record, in the trash
        assert Customer.select().where(Customer.deleted_at.is_null()).count() == before


async def test_escape_on_the_warning_returns_to_the_form(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        before = Customer.select().count()
        await _new_rob_smith(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, CustomerFormScreen)
        assert demo_app.screen.query_one("#f-first-name", Input).value == "Rob"
        assert Customer.select().count() == before


async def test_a_new_customer_needs_a_name(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        before = Customer.select().count()
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        error = demo_app.screen.query_one("#f-last-name-error", Static)
        assert "needs a first name, last name or company" in str(error.render())
        assert demo_app.focused.id == "f-last-name"
        assert Customer.select().count() == before


async def _edit_robert(pilot) -> CustomerFormScreen:
    await pilot.press(*"robert smith", "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProfileScreen)
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CustomerFormScreen)
    return pilot.app.screen


async def test_the_edit_form_is_titled_with_the_customers_name_from_the_start(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"robert smith", "enter")
        await settle(pilot)
        await pilot.press("e")  # not waited for: the form as it is first drawn
        await pilot.pause()
        form = demo_app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.sub_title == "Edit Robert Smith"
        await settle(pilot)
        assert form.sub_title == "Edit Robert Smith"
        assert "Edit Robert Smith" in str(form.query_one("HeaderTitle").render())


async def test_editing_a_phone_refuses_a_bad_one_and_saves_a_good_one(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        robert = _robert_smith()
        phone = form.query_one("#phone-0", Input)
        assert phone.value  # the current number is filled in
        phone.value = "555-not-a-number"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        assert "letters in a phone" in str(form.query_one("#phone-0-error", Static).render())
        assert demo_app.focused.id == "phone-0"
        assert Customer.get_by_id(robert.id).version == robert.version  # nothing saved
        phone.value = "+47 95 55 12 34"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        numbers = [
            p.number for p in CustomerPhone.select().where(CustomerPhone.customer == robert.id)
        ]
        assert numbers[0] == "+4795551234"
        assert "+47 95 55 12 34" in [p.value for p in demo_app.screen.profile.phones]


async def test_an_error_goes_when_its_fields_value_changes_and_stays_for_other_fields(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        form.query_one("#phone-0", Input).value = "555-not-a-number"
        form.query_one("#email-1", Input).value = "not an email"
        since = form.query_one("#f-acquired-on", Input)
        since.value = "someday"
        await pilot.press("ctrl+s")
        await settle(pilot)
        errors = {
            key: form.query_one(f"#{key}-error", Static)
            for key in ("phone-0", "email-0", "f-acquired-on")
        }
        assert all(error.display for error in errors.values())
        # Another field changing leaves the phone's error; the phone changing takes it away.
        form.query_one("#f-city", Input).value = "Tromsø"
        await pilot.pause()
        assert errors["phone-0"].display
        form.query_one("#phone-0", Input).focus()
        await pilot.press("backspace")
        await pilot.pause()
        assert not errors["phone-0"].display
        assert errors["email-0"].display and errors["f-acquired-on"].display
        # A slot's label shares its kind's place for errors.
        form.query_one("#email-label-1", Select).value = "other"
        await pilot.pause()
        assert not errors["email-0"].display
        since.focus()
        await pilot.press("end", "backspace")
        await pilot.pause()
        assert not any(error.display for error in errors.values())
        assert isinstance(demo_app.screen, CustomerFormScreen)  # nothing was saved meanwhile


async def test_a_save_over_someone_elses_newer_change_is_refused_and_shows_it(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        robert = _robert_smith()
        # Meanwhile a colleague changes the company.
        update_customer(
            demo_app.db,
            robert.id,
            {"company": "Colleague & Co"},
            who="ben",
            expected_version=current_version(robert.id),
        )
        form.query_one("#f-job-title", Input).value = "CEO"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        message = str(form.query_one("#form-conflict-text", Static).render())
        assert "changed by ben" in message and "Colleague & Co" in message
        row = Customer.get_by_id(robert.id)
        assert (row.company, row.job_title) == ("Colleague & Co", robert.job_title)


async def test_the_forms_lost_reason_is_suggested_from_the_books_reasons(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        field = form.query_one("#f-lost-reason", Input)
        field.focus()
        field.value = ""
        await pilot.press(*"went")
        await settle(pilot)
        await pilot.press("right")
        assert field.value == "Went with a cheaper competitor"


async def test_a_conflict_reloads_the_others_values_and_keeps_the_users_edits_on_top(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        robert = _robert_smith()
        assert robert.job_title != "Head Chef"
        # Meanwhile colleagues change the job title and the city.
        for who, change in (("kari", {"job_title": "Head Chef"}), ("ben", {"city": "Bergen"})):
            update_customer(
                demo_app.db, robert.id, change, who=who, expected_version=current_version(robert.id)
            )
        theirs = current_version(robert.id)
        form.query_one("#f-job-title", Input).value = "CEO"
        form.query_one("#f-notes", TextArea).text = "Met at the fair"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        message = str(form.query_one("#form-conflict-text", Static).render())
        assert f"Job title: {robert.job_title or '—'} → Head Chef (changed by kari)" in message
        assert "City: " in message and "Bergen (changed by ben)" in message
        assert "job_title" not in message
        assert current_version(robert.id) == theirs  # nothing saved
        reload = form.query_one("#form-reload", Button)
        assert reload.display and reload.has_focus

        await pilot.press("enter")  # reload
        await settle(pilot)
        assert form.query_one("#f-city", Input).value == "Bergen"  # theirs
        assert form.query_one("#f-job-title", Input).value == "CEO"  # mine, over kari's
        assert form.query_one("#f-notes", TextArea).text == "Met at the fair"  # mine
        note = str(form.query_one("#form-conflict-text", Static).render())
        assert "your edits back on top: Job title (over kari's Head Chef), Notes" in note
        assert not reload.display and form.profile.version == theirs

        await pilot.press("ctrl+s")  # a second save goes through, on their version
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        row = Customer.get_by_id(robert.id)
        assert (row.city, row.job_title, row.notes) == ("Bergen", "CEO", "Met at the fair")
        assert row.version == theirs + 1


async def test_a_reload_empties_the_slots_they_emptied_and_keeps_the_users_phone(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        robert = _robert_smith()
        assert form.query_one("#email-0", Input).value  # Robert has an email
        update_customer(
            demo_app.db,
            robert.id,
            {"emails": [], "tags": "golf"},
            who="ben",
            expected_version=current_version(robert.id),
        )
        form.query_one("#phone-0", Input).value = "+47 95 55 12 34"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert [form.query_one(f"#email-{n}", Input).value for n in range(3)] == ["", "", ""]
        assert form.query_one("#f-tags", Input).value == "golf"
        assert form.query_one("#phone-0", Input).value == "+47 95 55 12 34"
        note = str(form.query_one("#form-conflict-text", Static).render())
        assert "your edits back on top: Phone." in note
        await pilot.press("escape")  # the user's edit is unsaved: leaving asks
        await pilot.pause()
        assert isinstance(demo_app.screen, ConfirmScreen)


async def test_a_reload_without_edits_of_ones_own_just_shows_theirs(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        robert = _robert_smith()
        update_customer(
            demo_app.db,
            robert.id,
            {"city": "Bergen"},
            who="ben",
            expected_version=current_version(robert.id),
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert form.query_one("#f-city", Input).value == "Bergen"
        assert "you had changed nothing" in str(form.query_one("#form-conflict-text").render())
        await pilot.press("escape")  # nothing of one's own to lose: closes at once
        await pilot.pause()
        assert isinstance(demo_app.screen, ProfileScreen)


async def test_escape_on_a_changed_form_asks_and_unchanged_closes(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, ProfileScreen)  # nothing changed: closes at once
        await pilot.press("e")
        await settle(pilot)
        form = demo_app.screen
        form.query_one("#f-city", Input).value = "Tromsø"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert _robert_smith().city != "Tromsø"


async def test_referred_by_is_chosen_by_searching(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        referrer = (
            Customer.select().where(Customer.last_name == "Bakke").order_by(Customer.id).get()
        )
        form.query_one("#f-referred-by", Button).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(demo_app.screen, CustomerPickerScreen)
        await pilot.press(*f"{referrer.first_name} {referrer.last_name}")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        chosen = Customer.get_by_id(_robert_smith().id).referred_by_id
        first_match = Customer.get_by_id(chosen)
        assert (first_match.first_name, first_match.last_name) == (
            referrer.first_name,
            referrer.last_name,
        )


async def test_ctrl_n_from_the_results_opens_a_new_customer_form(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "ctrl+n")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, SearchScreen)


async def test_every_field_on_the_form_is_filled_in_and_saved_back_unchanged(empty_app):
    from tests.core.test_customer_fields import _value
    from tui_crm.core.customer_fields import CUSTOMER_FIELDS
    from tui_crm.core.customers import clean_customer, create_customer
    from tui_crm.core.interchange.export import customer_records

    db = empty_app.db
    category(db, "key account", 30)
    referrer = create_customer(db, {"first_name": "Harry"})
    values = {f.name: _value(f, n, referrer) for n, f in enumerate(CUSTOMER_FIELDS, 1)}
    # The form edits the street on one line: a line break in it is shown as ␤ and saved so.
    values["street"] = "street 9"
    customer = create_customer(db, values)
    before = customer_records(db, [customer])
    async with empty_app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        empty_app.push_screen(CustomerFormScreen(customer))
        await settle(pilot)
        form = empty_app.screen
        assert isinstance(form, CustomerFormScreen)
        shown = form.values()
        for f in CUSTOMER_FIELDS:
            if f.on_form:  # each is filled in from the profile
                assert shown[f.name] not in ("", None, [], False), f.name
        assert clean_customer(shown) == clean_customer({name: values[name] for name in shown})
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert customer_records(db, [customer]) == before


async def test_keys_typed_as_the_form_opens_wait_for_it_to_be_filled(demo_app, monkeypatch):
    """`e` and a name typed in one go: the form is shown only once filled from the book, and
    what was typed lands in the filled field instead of being overwritten by the fill (the
    book answers slowly here, as a busy one does)."""
    import time

    import tui_crm.ui.screens.customer_form as form_module

    real = form_module.get_profile
    monkeypatch.setattr(
        form_module, "get_profile", lambda *a, **k: time.sleep(0.3) or real(*a, **k)
    )
    async with demo_app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"robert smith", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        burst(demo_app, "e\x1b[F Jr")  # e, End, " Jr"
        await settle(pilot)
        form = demo_app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.query_one("#form-body").display
        assert form.query_one("#f-first-name", Input).value == "Robert Jr"
