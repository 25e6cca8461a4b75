"""Keeping what cannot be verified, in the app: the form asks before it keeps a phone number
that does not validate, the profile says it is unverified, and an import reads numbers
without +CC in the region given on the Import screen."""

from __future__ import annotations

from textual.widgets import Input, Static

from tests.ui.conftest import settle
from tests.ui.test_customer_form import _edit_robert, _robert_smith
from tests.ui.test_import_export_screens import _error, _open_import, _wait
from tui_crm.db.models import Customer, CustomerPhone
from tui_crm.ui.screens.customer_form import CustomerFormScreen
from tui_crm.ui.screens.profile import ProfileScreen


def _phones(customer_id: int) -> list[CustomerPhone]:
    return list(CustomerPhone.select().where(CustomerPhone.customer == customer_id))


async def test_a_number_that_does_not_validate_is_kept_after_a_second_ctrl_s(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        robert = _robert_smith()
        phone = form.query_one("#phone-0", Input)
        phone.value = "+44 7700 900123"  # the UK's number for drama: never assigned
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        said = str(form.query_one("#phone-0-error", Static).render())
        assert "could not be verified" in said and "ctrl+s again" in said
        assert Customer.get_by_id(robert.id).version == robert.version  # nothing saved yet

        phone.value = "+44 7700 900124"  # another number: asked again
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        assert Customer.get_by_id(robert.id).version == robert.version

        await pilot.press("ctrl+s")  # the same number again: kept as typed
        await settle(pilot)
        profile = demo_app.screen
        assert isinstance(profile, ProfileScreen)
        (kept,) = [p for p in _phones(robert.id) if p.number == "+44 7700 900124"]
        assert kept.verified is False or kept.verified == 0
        table = profile.query_one("#profile-contact", Static).content  # a Rich table
        lines = demo_app.console.render_lines(table, demo_app.console.options)
        text = "\n".join("".join(seg.text for seg in line) for line in lines)
        assert "+44 7700 900124 (unverified)" in text


async def test_letters_in_a_phone_are_still_refused(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        form = await _edit_robert(pilot)
        robert = _robert_smith()
        form.query_one("#phone-0", Input).value = "call me maybe"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)
        assert "letters" in str(form.query_one("#phone-0-error", Static).render())
        assert Customer.get_by_id(robert.id).version == robert.version


async def test_the_import_screen_reads_numbers_without_plus_cc_in_the_region_given(
    empty_app, tmp_path
):
    source = tmp_path / "berlin.csv"
    source.write_text("First Name,Last Name,Phone\nAnke,Schulz,030 12345678\n", encoding="utf-8")
    async with empty_app.run_test(size=(100, 40)) as pilot:
        screen = await _open_import(pilot, str(source))
        screen.query_one("#import-region", Input).value = "Mars"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Mars" in _error(screen, "import-region")
        assert Customer.select().count() == 0
        screen.query_one("#import-region", Input).value = "de"
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        (anke,) = Customer.select()
        assert [(p.number, bool(p.verified)) for p in _phones(anke.id)] == [("+493012345678", True)]
