"""What an import did (or would do): counts, each rejected row with its line and reason, each
value kept as given without being verified, duplicates to review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tui_crm.paths import ensure_private_dir

DEFAULT_CADENCE_DAYS = 30  # for a category an import creates

# progress(stage, done, total): stage is "checking" or "writing"
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """The progress callback when nobody is watching."""


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str
    name: str = ""  # who the row was about, when it says


@dataclass(frozen=True)
class RowWarning:
    """A value of a contact that arrived, kept as the file gives it without being verified
    (a phone that does not validate, a date that does not parse, kept in the notes)."""

    line: int
    name: str  # who the row is about
    outcome: str  # "added", "updated" or "unchanged"
    field: str  # the customer field, e.g. "phones", "birthday"
    message: str  # quotes the value as given: "'555-0100' could not be verified; kept as typed"


@dataclass(frozen=True)
class ProbableDuplicate:
    """A row imported as a new customer that may be someone already in the book."""

    line: int
    name: str
    existing_id: int | None  # None for an earlier row of the same file, in a dry run
    existing_name: str
    why: str
    customer_id: int | None = None  # the new customer (None in a dry run)


@dataclass(frozen=True)
class UpdatedRow:
    """A row that changes a customer already in the book, and what it changes."""

    line: int
    name: str  # the customer's name as it was
    customer_id: int
    changes: tuple[str, ...]  # "First name: Robert → Rob", "Emails: + rob@home.example"


@dataclass(frozen=True)
class ImportReport:
    source: str  # the file's name
    kind: str  # "customers" or "purchases"
    layout: str
    rows: int  # records read from the file
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: tuple[RejectedRow, ...] = ()
    warnings: tuple[RowWarning, ...] = ()
    duplicates: tuple[ProbableDuplicate, ...] = ()
    updates: tuple[UpdatedRow, ...] = ()
    ignored: tuple[str, ...] = ()  # columns/properties with data that nothing kept
    new_categories: tuple[str, ...] = ()
    dry_run: bool = False
    refused: bool = False  # --strict and some row was bad: nothing was written

    @property
    def written(self) -> bool:
        return not (self.dry_run or self.refused)

    def summary(self) -> str:
        """One line: what happened to the file."""
        noun = "purchases" if self.kind == "purchases" else "customers"
        counts = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} rejected"
        )
        if self.kind == "customers":
            many = len(self.duplicates)
            counts += f", {many} probable duplicate{'' if many == 1 else 's'}"
            kept = len({w.line for w in self.warnings})
            if kept:
                counts += f", {kept} with values kept as given"
        if self.refused:
            return (
                f"{self.source}: nothing imported: --strict and {len(self.rejected)} of "
                f"{self.rows} rows are bad ({counts} if imported without --strict)"
            )
        read = f"{self.source} ({self.layout}, {self.rows} row{'' if self.rows == 1 else 's'})"
        if self.dry_run:
            return f"{read}, dry run, nothing written: would be {counts}"
        return f"{read}: {noun} {counts}"

    def lines(self) -> list[str]:
        """The whole report as text, the same in the CLI and the Import screen."""
        out = [self.summary()]
        if self.new_categories:
            out.append(
                f"new categories (contact every {DEFAULT_CADENCE_DAYS} days until you change it): "
                + ", ".join(self.new_categories)
            )
        if self.ignored:
            out.append("not imported (no field for them): " + ", ".join(self.ignored))
        if self.rejected:
            out.append("rejected rows:")
            out.extend(
                f"  line {r.line}: {r.reason}" + (f" ({r.name})" if r.name else "")
                for r in self.rejected
            )
        if self.warnings:
            out.append(
                "kept as given, not verified (check these):"
                if not self.dry_run
                else "would be kept as given, not verified:"
            )
            out.extend(
                f"  line {w.line}: {w.name} ({w.outcome}): {w.field.replace('_', ' ')}: {w.message}"
                for w in self.warnings
            )
        if self.updates:
            out.append("what the updates would change:" if self.dry_run else "updated:")
            out.extend(
                f"  line {u.line}: {u.name} #{u.customer_id}: {'; '.join(u.changes)}"
                for u in self.updates
            )
        if self.duplicates:
            out.append("probable duplicates, imported for you to review (f5 Duplicates):")
            out.extend(
                f"  line {d.line}: {d.name}"
                + (f" #{d.customer_id}" if d.customer_id else "")
                + f" may be {d.existing_name}"
                + (f" #{d.existing_id}" if d.existing_id else "")
                + f" ({d.why})"
                for d in self.duplicates
            )
        return out


def save_report(lines: list[str], source: str, folder: Path, now: datetime) -> Path:
    """Keep a whole report as a text file in `folder`; its name says when and which file."""
    ensure_private_dir(folder)
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in source)[:80]
    path = folder / f"{now:%Y-%m-%d_%H%M%S}_{stem}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
