"""The Import screen (check, import, progress, stop, report) and exporting the current search."""

from __future__ import annotations

import threading

from textual.widgets import Input, ProgressBar, Select, Static

from tests.ui.conftest import settle
from tests.ui.test_palette_and_help import _palette
from tui_crm.core.interchange import files
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv
from tui_crm.core.interchange.text import read_source
from tui_crm.db.models import Customer
from tui_crm.ui.screens import interchange
from tui_crm.ui.screens.interchange import ExportDialog, ImportScreen
from tui_crm.ui.screens.search import SearchScreen

CONTACTS = (
    "First Name,Last Name,E-mail Address,Mobile Phone,Company\n"
    "Ada,Lovelace,ada@example.com,+47 91234567,Engines Ltd\n"
    "Bob,Builder,not-an-email,,Builders\n"
    "Cara,Smith,cara@example.com,+47 92345678,\n"
)


def _report(screen) -> str:
    """The report as shown, its wrapped lines joined up again (spaces collapsed)."""
    shown = screen.query_one("#import-report").display
    return " ".join(str(screen.query_one("#import-report-text").render()).split()) if shown else ""


def _error(screen, widget_id: str) -> str:
    widget = screen.query_one(f"#{widget_id}-error", Static)
    return str(widget.render()) if widget.display else ""


async def _open_import(pilot, path: str = "") -> ImportScreen:
    await settle(pilot)
    await pilot.press("ctrl+o")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    if path:
        screen.query_one("#import-path", Input).value = path
    return screen


async def _wait(pilot, screen: ImportScreen) -> None:
    for _ in range(200):
        await settle(pilot)
        if not screen.running:
            return
        await pilot.pause(0.05)
    raise AssertionError("the import did not finish")


def _names() -> set[str]:
    return {f"{c.first_name} {c.last_name}" for c in Customer.select()}


async def test_an_empty_book_offers_import_and_a_file_goes_in_after_a_check(empty_app, tmp_path):
    source = tmp_path / "contacts.csv"
    source.write_text(CONTACTS, encoding="utf-8")
    async with empty_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "ctrl+o" in str(empty_app.screen.query_one("#empty-hint", Static).render())
        screen = await _open_import(pilot)
        await pilot.press(*str(source), "enter")  # Enter in the path checks: a dry run
        await _wait(pilot, screen)
        report = _report(screen)
        assert "dry run, nothing written: would be 3 added" in report
        assert (  # kept as given, and said so: an odd email never costs the contact
            "line 3: Bob Builder (added): emails: 'not-an-email' is not a valid email address; "
            "kept in the notes"
        ) in report
        assert "ctrl+s imports the file" in report
        assert Customer.select().count() == 0

        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        report = _report(screen)
        assert "customers 3 added, 0 updated, 0 unchanged, 0 rejected" in report
        assert _names() == {"Ada Lovelace", "Bob Builder", "Cara Smith"}
        assert any("3 added" in n.message for n in empty_app._notifications)

        await pilot.press("escape")
        await settle(pilot)
        search = empty_app.screen
        assert isinstance(search, SearchScreen)
        assert not search.query_one("#empty-hint").display
        assert {row.name for row in search.rows} == {"Ada Lovelace", "Bob Builder", "Cara Smith"}


async def test_importing_the_same_file_again_adds_nothing(empty_app, tmp_path):
    source = tmp_path / "contacts.csv"
    source.write_text(CONTACTS, encoding="utf-8")
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_import(pilot, str(source))
        for _ in range(2):
            await pilot.press("ctrl+s")
            await _wait(pilot, screen)
        assert "0 added, 0 updated, 3 unchanged" in _report(screen)
        assert Customer.select().count() == 3


async def test_the_import_screen_offers_the_last_file_and_its_settings_again(
    empty_app, tmp_path, monkeypatch
):
    source = tmp_path / "weekly.csv"
    source.write_text("Kunde,Epost\nAda Lovelace,ada@example.com\n", encoding="utf-8")
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_import(pilot)
        assert screen.query_one("#import-path", Input).value == ""  # nothing imported yet
        screen.query_one("#import-map", Input).value = "Kunde=name, Epost=email"
        screen.query_one("#import-format", Select).value = "csv"
        await pilot.press(*str(source), "enter")  # a check is enough to remember it
        await _wait(pilot, screen)
        assert "would be 1 added" in _report(screen)
        await pilot.press("escape")

        screen = await _open_import(pilot)
        path = screen.query_one("#import-path", Input)
        assert path.value == str(source) and path.has_focus
        assert screen.query_one("#import-map", Input).value == "Kunde=name, Epost=email"
        assert screen.query_one("#import-format", Select).value == "csv"
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        assert _names() == {"Ada Lovelace"}
        await pilot.press("escape")

        # A path typed relative to where the app was started is kept whole.
        monkeypatch.chdir(tmp_path)
        screen = await _open_import(pilot)
        await pilot.press(*"weekly.csv", "enter")
        await _wait(pilot, screen)
        await pilot.press("escape")
        monkeypatch.chdir(tmp_path.parent)
        screen = await _open_import(pilot)
        assert screen.query_one("#import-path", Input).value == str(source)
        await pilot.press("escape")

        # The path is offered selected: typing another replaces it.
        other = tmp_path / "other.csv"
        other.write_text("Kunde,Epost\nCara Smith,cara@example.com\n", encoding="utf-8")
        screen = await _open_import(pilot)
        await pilot.press(*str(other), "enter")
        await _wait(pilot, screen)
        assert "other.csv" in _report(screen) and "would be 1 added" in _report(screen)


async def test_a_file_that_cannot_be_read_is_not_offered_again(empty_app, tmp_path):
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_import(pilot, str(tmp_path / "nowhere.csv"))
        await pilot.press("enter")
        await _wait(pilot, screen)
        assert "nowhere.csv" in _error(screen, "import-path")
        await pilot.press("escape")
        screen = await _open_import(pilot)
        assert screen.query_one("#import-path", Input).value == ""


async def test_a_missing_file_or_a_bad_column_map_is_one_line_and_changes_nothing(
    empty_app, tmp_path
):
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_import(pilot, str(tmp_path / "nowhere.csv"))
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        assert _error(screen, "import-path") == f"{tmp_path / 'nowhere.csv'}: no such file"
        assert screen.focused.id == "import-path"

        (tmp_path / "photo.vcf").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
        screen.query_one("#import-path", Input).value = str(tmp_path / "photo.vcf")
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        assert "binary" in _error(screen, "import-path")

        source = tmp_path / "contacts.csv"
        source.write_text(CONTACTS, encoding="utf-8")
        screen.query_one("#import-path", Input).value = str(source)
        screen.query_one("#import-map", Input).value = "Company"
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        assert _error(screen, "import-map") == "'Company' is not COLUMN=FIELD"
        assert _error(screen, "import-path") == ""
        assert screen.focused.id == "import-map"

        screen.query_one("#import-map", Input).value = "Company=shoe_size"
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        assert "'shoe_size' is not a field" in _error(screen, "import-path")
        assert Customer.select().count() == 0


async def test_a_column_map_and_strict_mode_reach_the_import(empty_app, tmp_path):
    source = tmp_path / "odd.csv"
    source.write_text(
        # The second row holds only a birthday: nothing identifies a person, so it is bad.
        "Col A,Col B,Col C,Col D\nAda,Lovelace,ada@example.com,\n,,,2020-01-01\n",
        encoding="utf-8",
    )
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_import(pilot, str(source))
        screen.query_one(
            "#import-map", Input
        ).value = "Col A=first_name, Col B=last_name, Col C=email, Col D=birthday"
        screen.query_one("#import-bad-rows", Select).value = "strict"
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        assert "nothing imported: --strict and 1 of 2 rows are bad" in _report(screen)
        assert Customer.select().count() == 0

        screen.query_one("#import-bad-rows", Select).value = "skip"
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        assert _names() == {"Ada Lovelace"}
        assert Customer.get().emails[0].address == "ada@example.com"


async def test_the_progress_bar_follows_a_large_file_to_the_end(empty_app, tmp_path, monkeypatch):
    rows = 1500
    source = tmp_path / "many.csv"
    source.write_text(
        "First Name,Last Name,E-mail Address\n"
        + "".join(f"Person,Number{n},p{n}@example.com\n" for n in range(rows)),
        encoding="utf-8",
    )
    seen: list[tuple[str, int, int]] = []
    async with empty_app.run_test(size=(100, 30)) as pilot:
        original = ImportScreen.on_import_progress

        def watch(self, message):
            seen.append((message.stage, message.done, message.total))
            original(self, message)

        monkeypatch.setattr(ImportScreen, "on_import_progress", watch)
        screen = await _open_import(pilot, str(source))
        await pilot.press("ctrl+s")
        await _wait(pilot, screen)
        bar = screen.query_one(ProgressBar)
        assert (bar.total, bar.progress) == (rows, rows)
        assert seen[0][0] == "checking" and seen[-1] == ("writing", rows, rows)
        assert Customer.select().count() == rows


async def test_escape_stops_a_running_import_and_nothing_is_written(
    empty_app, tmp_path, monkeypatch
):
    source = tmp_path / "contacts.csv"
    source.write_text(CONTACTS, encoding="utf-8")
    writing, release = threading.Event(), threading.Event()
    real_import = files.import_file

    def slow_import(db, path, **options):
        progress = options.pop("progress")

        def held(stage, done, total):
            if stage == "writing":  # inside the import's transaction
                writing.set()
                release.wait(10)
            progress(stage, done, total)

        return real_import(db, path, progress=held, **options)

    monkeypatch.setattr(interchange, "import_file", slow_import)
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_import(pilot, str(source))
        await pilot.press("ctrl+s")
        for _ in range(100):
            if writing.is_set():
                break
            await pilot.pause(0.05)
        assert screen.running
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # "Stop the import?"
        release.set()
        await _wait(pilot, screen)
        assert _error(screen, "import-path") == "Stopped: nothing from the file was written"
        assert Customer.select().count() == 0
        assert isinstance(empty_app.screen, ImportScreen)  # stopping is not leaving


async def test_a_long_report_is_cut_short_on_screen_and_kept_whole_in_a_file(
    empty_app, ui_home, tmp_path
):
    bad = 400
    source = tmp_path / "bad.csv"
    source.write_text(
        "First Name,Last Name,E-mail Address\n"
        + "".join(f"P,N{n},broken{n}\n" for n in range(bad))  # each kept, with a warning
        + "Ada,Lovelace,ada@example.com\n",
        encoding="utf-8",
    )
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _open_import(pilot, str(source))
        await pilot.press("enter")
        await _wait(pilot, screen)
        report = _report(screen)
        assert "would be 401 added, 0 updated, 0 unchanged, 0 rejected" in report
        assert "the whole report is in" in report
        saved = list((ui_home / "home" / "data" / "import-reports").glob("*bad.csv.txt"))
        assert len(saved) == 1
        whole = saved[0].read_text(encoding="utf-8")
        assert f"line {bad + 1}: P N{bad - 1} (added): emails: 'broken{bad - 1}'" in whole
        assert whole.count("\n  line ") == bad


async def test_the_palette_opens_import(empty_app):
    async with empty_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _palette(pilot, "Import a file")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(empty_app.screen, ImportScreen)


async def _export_dialog(pilot, query: str) -> ExportDialog:
    await settle(pilot)
    await pilot.press(*query)
    await settle(pilot)
    await pilot.press("down", "f8")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    return dialog


async def test_f8_exports_what_the_search_finds_and_the_file_reimports(demo_app, tmp_path):
    target = tmp_path / "gold.csv"
    async with demo_app.run_test(size=(100, 30)) as pilot:
        dialog = await _export_dialog(pilot, "tier:gold")
        assert "tier:gold" in str(dialog.query_one(".dialog-title", Static).render())
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        found = {Customer.get_by_id(row.id).uid for row in demo_app.screen.rows}
        notes = [n.message for n in demo_app._notifications]
        assert f"Exported {len(found)} customers to {target}" in notes

    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheets read it as UTF-8
    parsed = parse_contacts_csv(read_source(target))
    assert {row.values["uid"] for row in parsed.rows} == found


async def test_choosing_a_format_changes_the_suffix_and_writes_that_format(demo_app, tmp_path):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        dialog = await _export_dialog(pilot, "tag:vip")
        path = dialog.query_one("#export-path", Input)
        assert path.value == "~/tui-crm-2026-11-22.csv"
        path.value = str(tmp_path / "vip.csv")
        dialog.query_one("#export-format", Select).value = "vcard"
        await pilot.pause()
        assert path.value == str(tmp_path / "vip.vcf")
        await pilot.press("ctrl+s")
        await settle(pilot)
    text = (tmp_path / "vip.vcf").read_bytes().decode("utf-8")
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0")


async def test_an_existing_file_is_replaced_only_when_the_user_says_so(demo_app, tmp_path):
    target = tmp_path / "list.txt"
    target.write_text("my own notes\n", encoding="utf-8")
    async with demo_app.run_test(size=(100, 30)) as pilot:
        dialog = await _export_dialog(pilot, "tag:vip")
        dialog.query_one("#export-format", Select).value = "emails"
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("n")  # keep it
        await settle(pilot)
        assert target.read_text(encoding="utf-8") == "my own notes\n"
        assert demo_app.screen is dialog
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")  # replace
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
    assert "@" in target.read_text(encoding="utf-8")


async def test_exporting_into_a_missing_folder_says_so_under_the_path(demo_app, tmp_path):
    target = tmp_path / "no" / "such" / "x.csv"
    async with demo_app.run_test(size=(100, 30)) as pilot:
        dialog = await _export_dialog(pilot, "tag:vip")
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is dialog
        assert _error(dialog, "export-path") == f"{target.parent} does not exist"
    assert not (tmp_path / "no").exists()


async def test_x_is_text_in_the_field_and_the_results_and_f8_exports_from_either(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        query = demo_app.screen.query_one("#query", Input)
        assert query.value == "x"
        await pilot.press("backspace", *"tag:vi")
        await settle(pilot)
        await pilot.press("down", "p")  # on the results: goes on with the search
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert query.value == "tag:vip" and demo_app.focused is query
        assert demo_app.screen.rows
        await pilot.press("f8")  # from the field
        await pilot.pause()
        assert isinstance(demo_app.screen, ExportDialog)
        assert "tag:vip" in str(demo_app.screen.query_one(".dialog-title", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("down", "f8")  # from the results
        await pilot.pause()
        assert isinstance(demo_app.screen, ExportDialog)


def test_the_path_suggester_completes_names_on_disk(tmp_path):
    import asyncio

    (tmp_path / "contacts-2026.csv").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / ".hidden.csv").write_text("x")
    suggest = interchange.PathSuggester().get_suggestion
    assert asyncio.run(suggest(f"{tmp_path}/con")) == f"{tmp_path}/contacts-2026.csv"
    assert asyncio.run(suggest(f"{tmp_path}/fo")) == f"{tmp_path}/folder/"
    assert asyncio.run(suggest(f"{tmp_path}/zzz")) is None
    assert asyncio.run(suggest(f"{tmp_path}/.hi")) == f"{tmp_path}/.hidden.csv"
    assert asyncio.run(suggest(f"{tmp_path}/c")) == f"{tmp_path}/contacts-2026.csv"


def test_several_column_mappings_read_from_one_line():
    assert interchange.mapping_from(" Kundenr = external_id , Mobil=phone,") == {
        "Kundenr": "external_id",
        "Mobil": "phone",
    }
    assert interchange.mapping_from("") == {}


async def test_ctrl_o_in_the_results_opens_import_and_escape_comes_back(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "ctrl+o")
        await pilot.pause()
        assert isinstance(demo_app.screen, ImportScreen)
        assert demo_app.focused.id == "import-path"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, SearchScreen)
