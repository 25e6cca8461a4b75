"""Files in and out from the app: the Import screen (check first, then import, with a progress
bar and the same report as `tui-crm import`) and the export of the current search."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import (
    Header,
    Input,
    ProgressBar,
    Select,
    Static,
)

from tui_crm.core.config import settings
from tui_crm.core.display import printable
from tui_crm.core.interchange.files import (
    EXPORT_FORMATS,
    EXPORT_SUFFIX,
    IMPORT_FORMATS,
    export_to_file,
    import_file,
    last_import,
    mapping_pair,
    region_code,
    remember_import,
)
from tui_crm.core.interchange.report import ImportReport, save_report
from tui_crm.errors import CrmError, ValidationError
from tui_crm.paths import import_reports_dir
from tui_crm.ui.background import book, in_background
from tui_crm.ui.format import naming
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.dialog import FormDialog, form_row, show_message
from tui_crm.ui.widgets.compact import compact
from tui_crm.ui.widgets.footer import KeysFooter

IMPORT_CHOICES = (
    ("Recognise it (CSV, vCard or purchases)", "auto"),
    ("CSV contacts (any header)", "csv"),
    ("vCard (.vcf)", "vcard"),
    ("Purchases CSV (customer, date, amount)", "purchases"),
)
EXPORT_CHOICES = (
    ("CSV: every field, for spreadsheets and re-import", "csv"),
    ("vCard 4.0: for address books and phones", "vcard"),
    ("Mailing labels: postal address blocks", "labels"),
    ("Email list: Name <address>, opt-outs left out", "emails"),
)
BAD_ROWS = (
    ("Skip them, import the rest, list them in the report", "skip"),
    ("Refuse the whole file (strict)", "strict"),
)
STAGES = {"checking": "Checking rows", "writing": "Writing"}
SHOWN_LINES = 300  # a longer report is shown cut short and kept whole in a file


class PathSuggester(Suggester):
    """Completes the last part of a file path from what is on disk (→ accepts)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        folder, slash, start = value.rpartition("/")
        where = Path(os.path.expanduser(folder + slash)) if slash else Path(".")
        try:
            names = sorted(
                entry.name + ("/" if entry.is_dir() else "")
                for entry in os.scandir(where)
                if entry.name.startswith(start)
                and (start.startswith(".") or not entry.name.startswith("."))
            )
        except OSError:
            return None
        match = next((name for name in names if name != start), None)
        return value + match[len(start) :] if match else None


def mapping_from(text: str) -> dict[str, str]:
    """`Kundenummer=external_id, Mobil=phone` as a column → field mapping."""
    return dict(mapping_pair(part) for part in text.split(",") if part.strip())


@dataclass
class ImportProgress(Message):
    stage: str
    done: int
    total: int


@dataclass
class ImportFinished(Message):
    report: ImportReport | None
    error: str | None
    lines: list[str] = field(default_factory=list)  # the report as shown


class ImportStopped(Exception):
    """Raised in the import's worker when the user stops it: the import's transaction rolls
    back, so nothing of the file is written."""


class ImportScreen(Screen):
    """Pick a file, check it (a dry run), import it: progress while it loads, then the report."""

    HOLDS_WORK = True  # a file picked, checked, maybe loading: ctrl+f does not close it

    BINDINGS = [
        Binding("ctrl+s", "run(False)", "Import", id="import.run"),
        Binding("ctrl+r", "run(True)", "Check (dry run)", id="import.check"),
        Binding("escape", "back", "Back", id="import.back"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.initial_path = path
        self.running = False
        self.imported = False  # something was written: the caller refreshes what it shows
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import-body"):
            yield from form_row(
                "File",
                compact(
                    Input(
                        self.initial_path,
                        placeholder="path to a .csv or .vcf file (→ completes the name)",
                        suggester=PathSuggester(),
                        id="import-path",
                    )
                ),
            )
            yield from form_row(
                "Format",
                compact(
                    Select(
                        IMPORT_CHOICES,
                        value="auto",
                        allow_blank=False,
                        id="import-format",
                    )
                ),
                errors=False,
            )
            yield from form_row(
                "Columns",
                compact(
                    Input(
                        placeholder="optional, CSV: Column=field, … e.g. Kundenr=external_id",
                        id="import-map",
                    )
                ),
            )
            yield from form_row(
                "Region",
                compact(
                    Input(
                        placeholder=f"of numbers without +CC, e.g. DE (default {settings().region}; "
                        "a customer's own country wins)",
                        id="import-region",
                    )
                ),
            )
            yield from form_row(
                "Bad rows",
                compact(Select(BAD_ROWS, value="skip", allow_blank=False, id="import-bad-rows")),
                errors=False,
            )
            yield Static(
                "enter or ctrl+r check the file (writes nothing) · ctrl+s import · esc back",
                classes="dialog-keys",
            )
            with Horizontal(id="import-running"):
                yield Static("", id="import-stage")
                yield ProgressBar(show_eta=False, id="import-progress")
            # The report wraps at the width it is shown at, whenever that changes.
            with VerticalScroll(id="import-report"):
                yield Static("", id="import-report-text")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Import"
        self.query_one("#import-running").display = False
        self.query_one("#import-report").display = False
        path = self.query_one("#import-path", Input)
        path.cursor_blink = self.app.cursor_blink
        if not self.initial_path:
            in_background(self, last_import, self._offer_last, group="import-last")
        path.focus()

    def _offer_last(self, last: dict[str, str]) -> None:
        """Offer what was imported last (all of it selected), unless typing has begun."""
        path = self.query_one("#import-path", Input)
        if path.value or not last.get("path"):
            return
        path.value = last["path"]
        self.query_one("#import-map", Input).value = last.get("map", "")
        if last.get("format") in IMPORT_FORMATS:
            self.query_one("#import-format", Select).value = last["format"]
        self.call_after_refresh(path.select_all)  # once the new value has settled

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_run(True)

    def action_run(self, dry_run: bool) -> None:
        if self.running:
            self.notify("The import is still running (esc stops it)", severity="warning")
            return
        for widget in self.query(".field-error"):
            show_message(widget, "")
        path = self.query_one("#import-path", Input).value.strip()
        if not path:
            self._field_error("import-path", "Type the path of the file to import")
            return
        try:
            mapping = mapping_from(self.query_one("#import-map", Input).value)
        except CrmError as err:
            self._field_error("import-map", str(err))
            return
        region = self.query_one("#import-region", Input).value.strip()
        try:
            region = region_code(region) if region else ""
        except CrmError as err:
            self._field_error("import-region", str(err))
            return
        fmt = str(self.query_one("#import-format", Select).value)
        strict = self.query_one("#import-bad-rows", Select).value == "strict"
        file = Path(path).expanduser()
        asked = {  # the path kept whole: the app opened from another folder still finds it
            "path": str(file.absolute()),
            "format": fmt,
            "map": self.query_one("#import-map", Input).value,
        }
        self._set_running(True)
        self._stop.clear()
        self._import(file, fmt, mapping, dry_run, strict, asked, region or None)

    def _field_error(self, widget_id: str, text: str) -> None:
        show_message(self.query_one(f"#{widget_id}-error", Static), text)
        self.query_one(f"#{widget_id}").focus()

    def _set_running(self, running: bool) -> None:
        self.running = running
        for widget in self.query("#import-body Input, #import-body Select"):
            widget.disabled = running
        self.query_one("#import-running").display = running
        if running:
            self.query_one("#import-stage", Static).update("Reading the file…")
            self.query_one(ProgressBar).update(total=None, progress=0)
        else:
            self.query_one("#import-path", Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _import(
        self,
        path: Path,
        fmt: str,
        mapping: dict[str, str],
        dry_run: bool,
        strict: bool,
        asked: dict[str, str],
        region: str | None = None,
    ) -> None:
        shown = [0.0, ""]

        def progress(stage: str, done: int, total: int) -> None:
            if self._stop.is_set():
                raise ImportStopped
            now = time.monotonic()
            if stage != shown[1] or done >= total or now - shown[0] >= 0.1:
                shown[:] = [now, stage]
                self.post_message(ImportProgress(stage, done, total))

        try:
            with book(self) as db:
                report = import_file(
                    db,
                    path,
                    format=fmt,
                    mapping=mapping,
                    dry_run=dry_run,
                    strict=strict,
                    progress=progress,
                    region=region,
                )
                remember_import(db, asked)
        except ImportStopped:
            self.post_message(ImportFinished(None, "Stopped: nothing from the file was written"))
        except CrmError as err:
            self.post_message(ImportFinished(None, str(err)))
        else:
            self.post_message(ImportFinished(report, None, self._shown_lines(report)))

    def _shown_lines(self, report: ImportReport) -> list[str]:
        """The report's lines, cut short (and saved whole) when there are too many to show."""
        lines = report.lines()
        if len(lines) > SHOWN_LINES:
            try:
                where = save_report(lines, report.source, import_reports_dir(), datetime.now())
                kept = f"the whole report is in {where}"
            except OSError as err:
                kept = f"the whole report could not be saved ({err.strerror or err}); "
                kept += "tui-crm import prints it all"
            lines = lines[:SHOWN_LINES] + [f"… {len(lines) - SHOWN_LINES:,} more lines: {kept}"]
        if report.dry_run and not report.refused:
            lines += ["", "ctrl+s imports the file"]
        return lines

    def on_import_progress(self, message: ImportProgress) -> None:
        if not self.running:
            return
        self.query_one("#import-stage", Static).update(
            f"{STAGES.get(message.stage, message.stage)} {message.done:,} of {message.total:,}"
        )
        self.query_one(ProgressBar).update(total=max(message.total, 1), progress=message.done)

    def on_import_finished(self, message: ImportFinished) -> None:
        self._set_running(False)
        log = self.query_one("#import-report", VerticalScroll)
        if message.report is None:
            log.display = False
            self._field_error("import-path", message.error or "")
            return
        report = message.report
        log.display = True
        # One report line per line: a value that holds a line break shows it as ␤.
        self.query_one("#import-report-text", Static).update(
            Text("\n".join(map(printable, message.lines)))
        )
        log.scroll_home(animate=False)
        if report.written:
            self.imported = True
            self.notify(report.summary(), title="Imported", timeout=8)
        elif report.refused:
            self.notify(report.summary(), severity="warning", timeout=8)

    def action_back(self) -> None:
        if not self.running:
            self.dismiss(self.imported)
            return

        def answered(stop: bool | None) -> None:
            if stop and self.running:
                self._stop.set()
                self.query_one("#import-stage", Static).update("Stopping…")

        self.app.push_screen(
            ConfirmScreen(
                "Stop the import? Nothing from this file will be written.",
                "Stop",
                "Keep going",
            ),
            answered,
        )


class ExportDialog(FormDialog[str | None]):
    """Write the customers the current search finds to a file, in the format chosen."""

    FIELDS = {"format": "export-format", "path": "export-path"}
    DISCARD_QUESTION = "Leave without exporting?"

    def __init__(self, query: str, today: date, *, ids: list[int] | None = None) -> None:
        super().__init__()
        self.search = query.strip()
        self.ids = ids  # the customers marked on the results, when it exports those
        self.today = today
        self._replace_ok: str | None = None

    def default_path(self, fmt: str) -> str:
        return f"~/tui-crm-{self.today.isoformat()}{EXPORT_SUFFIX[fmt]}"

    def compose(self) -> ComposeResult:
        if self.ids is not None:
            count = len(self.ids)
            what = Text.assemble(
                "Export the ", (f"{count:,} customer{'s' if count != 1 else ''} marked", "bold")
            )
        elif self.search:
            what = naming("Export the customers found by ", self.search)
        else:
            what = Text.assemble("Export ", ("every customer", "bold"), " (no search typed)")
        with Vertical(classes="dialog", id="export-dialog"):
            yield Static(what, classes="dialog-title")
            yield from form_row(
                "Format",
                compact(Select(EXPORT_CHOICES, value="csv", allow_blank=False, id="export-format")),
                errors=False,
            )
            yield from form_row(
                "File",
                compact(
                    Input(
                        self.default_path("csv"),
                        suggester=PathSuggester(),
                        id="export-path",
                    )
                ),
            )
            yield Static("", id="form-error", classes="field-error")
            yield Static("ctrl+s export · esc cancel · tab next field", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#export-path", Input).cursor_blink = self.app.cursor_blink
        self.query_one("#export-format", Select).focus()

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        """Keep the file's suffix in step with the format, unless the user typed their own."""
        path = self.query_one("#export-path", Input)
        stem, dot, suffix = path.value.rpartition(".")
        if dot and f".{suffix}" in EXPORT_SUFFIX.values() and event.value in EXPORT_FORMATS:
            path.value = stem + EXPORT_SUFFIX[str(event.value)]

    def action_save(self) -> None:
        target = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        if target.is_file() and self._replace_ok != str(target):

            def answered(replace: bool | None) -> None:
                if replace:
                    self._replace_ok = str(target)
                    self.action_save()

            self.app.push_screen(
                ConfirmScreen(f"{target} exists. Replace it?", "Replace", "Keep it"), answered
            )
            return
        super().action_save()

    def perform(self, values: dict[str, Any]) -> str:
        if not values["path"].strip():
            raise ValidationError({"path": "Type the file to write"})
        target = Path(values["path"].strip()).expanduser()
        try:
            written = export_to_file(
                self.app.db,
                self.search if self.ids is None else self.ids,
                values["format"],
                target,
                as_of=self.today,
            )
        except CrmError as err:
            raise ValidationError({"path": str(err)}) from None
        return f"Exported {written.summary(to=str(target))}"
