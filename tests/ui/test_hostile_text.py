"""Text from the book is text on every screen: never markup, never a terminal control.

A book whose every field holds hostile strings (markup, escape sequences, OSC 52, NUL, C1,
right-to-left overrides, 1 MB) is opened on every screen and dialog. What the app would write
to the terminal is read from the compositor: no control character from the data, no link, and
the markup shows as the characters typed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.ui.conftest import TODAY, settle
from tui_crm.db.database import close_database, open_database
from tui_crm.db.models import (
    Category,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    Interaction,
    Purchase,
    Tag,
)
from tui_crm.ui.app import CrmApp
from tui_crm.ui.widgets.row_list import RowList

MEGABYTE = "long " * 200_000
HOSTILE = [
    "[/]",
    "[bold red]styled[/]",
    "[blink]blinks[/blink]",
    "[@click=app.quit]Quit[/]",
    "[link=file:///etc/passwd]link[/]",
    "title\x1b]0;pwned\x07",
    "clear\x1b[2J\x1b[H",
    "clip\x1b]52;c;ZWNobyBoaQ==\x07",
    "nul\x00byte",
    "c1\x9b31mred",
    "rtl\u202eevil",
    "bell\x07\x08\x7f",
    "$name [$x] \\[b]",
    "line\nbreak\rreturn",
]
# What must not reach a terminal from the data: C0 and C1 controls, DEL, bidi overrides.
FORBIDDEN = {chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))} | {
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def _h(n: int) -> str:
    return HOSTILE[n % len(HOSTILE)]


def build_hostile_book(path: Path) -> list[int]:
    """Twelve customers (an old or imported book: written past the form's checks) whose every
    text field, email, phone, tag, category, interaction and purchase holds hostile text."""
    db = open_database(path)
    now = datetime.combine(TODAY, datetime.min.time()).replace(hour=9)
    ids = []
    with db.atomic():
        category = Category.create(name=_h(3) + " key")
        for n in range(len(HOSTILE)):
            row = Customer.create(
                first_name=_h(n),
                last_name=_h(n + 1) + " Smith",
                nickname=_h(n + 2),
                company=_h(n + 3),
                job_title=_h(n + 4),
                street=_h(n + 5),
                postal_code=_h(n + 6),
                city=_h(n + 7),
                region=_h(n + 8),
                country=_h(n + 9),
                source=_h(n + 10),
                why_chose_us=_h(n + 11),
                owner=_h(n + 12),
                territory=_h(n + 13),
                status="lost" if n % 5 == 4 else "active",
                lost_reason=_h(n + 1) if n % 5 == 4 else "",
                notes=(MEGABYTE if n == 0 else "") + " ".join(HOSTILE),
                category=category,
                referred_by=ids[0] if ids else None,
                acquired_on=TODAY - timedelta(days=3),
                created_at=now - timedelta(days=3),
                updated_at=now,
            )
            ids.append(row.id)
            CustomerEmail.create(customer=row, label=_h(n + 2), address=f"{_h(n)}@example.com")
            CustomerPhone.create(customer=row, label=_h(n + 3), number=_h(n + 4), national="555")
            tag, _ = Tag.get_or_create(name=_h(n + 5))
            CustomerTag.create(customer=row, tag=tag)
            Interaction.create(
                customer=row,
                kind="call",
                at=now - timedelta(days=40),
                notes=(MEGABYTE if n == 1 else "") + _h(n + 6),
                outcome=_h(n + 7),
                follow_up=TODAY - timedelta(days=2),
                logged_by=_h(n + 8),
                created_at=now - timedelta(days=40),
            )
            for months in (1, 2, 3):
                Purchase.create(
                    customer=row,
                    day=TODAY - timedelta(days=30 * months),
                    cents=10_000 * (n + 1),
                    currency="USD",
                    description=_h(n + months),
                    category=_h(n + 9),
                    invoice_ref=_h(n + 10),
                    created_at=now,
                )
        twin = Customer.create(  # customer 0 entered twice: a pair on the Duplicates screen
            first_name=_h(0), last_name=_h(1) + " Smith", created_at=now, updated_at=now
        )
        CustomerEmail.create(customer=twin, label=_h(2), address=f"{_h(0)}@example.com")
        ids.append(twin.id)
    close_database()
    return ids


@pytest.fixture
def hostile_app(ui_home: Path):
    path = ui_home / "hostile.db"
    build_hostile_book(path)
    app = CrmApp(db=open_database(path), db_path=path, today=lambda: TODAY, cursor_blink=False)
    yield app
    close_database()


def terminal_text(app) -> str:
    """Every character the app would draw now (all layers: screens below a modal, toasts,
    the palette), after checking that no segment carries a link."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    chars = []
    for line in update.strips:
        for strip in line:
            for segment in strip:
                style = segment.style
                assert style is None or not style.link, f"a link reached the screen: {segment!r}"
                chars.append(segment.text)
        chars.append("\n")
    return "".join(chars)


def assert_safe(app, *visible: str) -> str:
    text = terminal_text(app)
    bad = sorted({repr(ch) for ch in text if ch in FORBIDDEN and ch != "\n"})
    assert not bad, f"control characters reached the terminal on {app.screen!r}: {bad}"
    for piece in visible:
        assert piece in text, f"{piece!r} is not shown as typed on {app.screen!r}:\n{text}"
    return text


async def test_every_screen_shows_hostile_data_as_text(hostile_app):
    app = hostile_app
    # The book holds the raw strings: the screens below are tested on them, not a cleaned copy.
    assert {row.first_name for row in Customer.select(Customer.first_name)} == set(HOSTILE)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        # The results: every name, company and phone as typed; markup is characters.
        shown = assert_safe(app, "[/]", "[bold red]styled[/]", "[@click=app.quit]Quit[/]")
        assert "title␛]0;pwned␇" in shown  # escapes made visible, not dropped
        assert "rtl\ufffdevil" in shown

        # A query that quotes markup back in its error message.
        await pilot.press(*"colour:[/]")
        await settle(pilot)
        assert_safe(app, "colour:[/]")
        await pilot.press("escape")
        await settle(pilot)

        # The profile of the customer with 1 MB of notes, the markup name and company.
        await pilot.press(*"company:quit", "enter")
        await settle(pilot)
        text = assert_safe(app, "[/] [bold red]styled[/] Smith", "[@click=app.quit]Quit[/]")
        assert "nul␀byte" in text

        for key in ("l", "b", "x", "d", "e"):  # log, purchase, lost, trash, edit
            await pilot.press(key)
            await settle(pilot)
            assert app.screen.__class__.__name__ != "ProfileScreen", key
            assert_safe(app, "[/]")
            await pilot.press("escape")
            await settle(pilot)
            if app.screen.__class__.__name__ == "ConfirmScreen":  # "discard changes?"
                await pilot.press("y")
                await settle(pilot)
        await pilot.press("r")  # the referral tree around them
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ReferralTreeScreen"
        assert_safe(app, "[/]")

        for key in ("f2", "f4", "f5"):  # needs attention, insights, duplicates
            await pilot.press(key)
            await settle(pilot)
            assert_safe(app, "[/]")
            if key == "f2":  # its snooze dialog, and the cadence of a hostile category
                for dialog, shown in (("ctrl+t", "Snooze "), ("f7", "[@click=app.quit]Quit[/]")):
                    await pilot.press(dialog)
                    await settle(pilot)
                    assert app.screen.__class__.__name__ != "AttentionScreen", dialog
                    assert_safe(app, shown)
                    await pilot.press("escape")
                    await settle(pilot)
        await pilot.press("enter")  # the merge chooser of the first pair
        await settle(pilot)
        assert app.screen.__class__.__name__ == "MergeScreen"
        assert_safe(app, "[/]")
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("ctrl+p")  # the palette finds customers by name
        await settle(pilot)
        await pilot.press(*"smith")
        await pilot.pause(0.3)
        await settle(pilot)
        assert_safe(app, "Open ")
        assert app.is_running


async def test_logging_for_a_hostile_name_notifies_in_plain_text(hostile_app):
    app = hostile_app
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        await pilot.press("down", "ctrl+l")
        await settle(pilot)
        await pilot.press(*"called [b]them[/b]", "ctrl+s")
        await settle(pilot)
        (notice,) = list(app._notifications)  # what the toast will draw, as it will draw it
        assert not notice.markup
        assert notice.message == "Logged call with bell␇␈␡ $name [$x] \\[b] Smith"
        assert app.is_running
        note = Interaction.select().order_by(Interaction.id.desc()).get().notes
        assert note == "called [b]them[/b]"


async def test_export_and_import_dialogs_quote_hostile_text(hostile_app, ui_home):
    app = hostile_app
    contacts = ui_home / "hostile.csv"
    contacts.write_text(
        "First Name,Last Name,E-mail Address,Notes\n"
        + "".join(
            f'"{h.replace(chr(34), chr(34) * 2)}",Doe,"{h}@example.com","{h}"\n'
            for n, h in enumerate(HOSTILE)
            if "\x00" not in h
        )
        # a real export: a few odd cells among many ordinary rows (a file that is mostly
        # control characters is refused as binary)
        + "".join(f"Plain{n},Person,plain{n}@example.com,\n" for n in range(300)),
        encoding="utf-8",
    )
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        await pilot.press(*"[/] smith", "down", "f8")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ExportDialog"
        assert_safe(app, "[/] smith")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("ctrl+a", *str(contacts), "enter")  # check it: the report quotes rows
        await settle(pilot)
        assert app.screen.query_one("#import-report").display
        # '[/]@example.com' is no address: kept as given (in the notes), and the report says so
        report = assert_safe(app, "line 2: [/] Doe (added): emails: '[/]@example.com'", "line 5:")
        assert "line␤break" in report  # a line break inside a quoted value stays in its line
        assert app.is_running


async def test_editing_a_hostile_customer_shows_controls_as_placeholders(hostile_app):
    """The form draws its inputs as they are, so stored escapes are put there visible."""
    app = hostile_app
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#results", RowList)
        await pilot.press("down")
        row = None
        for index in range(table.row_count):
            table.cursor_row = index
            await pilot.pause()
            if "title" in str(table.get_row_at(index)[0]):
                row = index
                break
        assert row is not None
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "CustomerFormScreen"
        assert_safe(app, "title␛]0;pwned␇")


async def test_a_draft_for_a_hostile_name_is_offered_in_plain_text(hostile_app):
    from tui_crm.core.drafts import Draft, save_draft

    app = hostile_app
    customer = Customer.select().order_by(Customer.id).first()
    save_draft(
        app.db_path,
        Draft(customer.id, "[/] \x1b]0;pwned\x07", "call", "note [b]x", "", "", "2026-11-22T09:00"),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        assert_safe(app, "You were writing a note for [/] ␛]0;pwned␇", "note [b]x")
        await pilot.press("y")  # continue it: the log dialog's title names them too
        await settle(pilot)
        assert_safe(app, "Log for [/] ␛]0;pwned␇")


async def test_the_referrer_picker_lists_hostile_names_as_text(hostile_app):
    app = hostile_app
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        referrer = app.screen.query_one("#f-referred-by")
        referrer.focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"smith")
        await pilot.pause(0.3)
        await settle(pilot)
        assert_safe(app, "[@click=app.quit]Quit[/]")
