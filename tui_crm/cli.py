"""Command line: `tui-crm` opens the app; one-shot subcommands print for scripts.

The one-shot commands never import Textual (a test pins it), so they start fast over SSH.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tui_crm import __version__
from tui_crm.errors import Ambiguous, CrmError

PROG = "tui-crm"
FIND_COLUMNS = (
    "id",
    "name",
    "company",
    "email",
    "phone",
    "tier",
    "value_12m",
    "last_contact",
    "next_follow_up",
    "city",
    "status",
)
ATTENTION_COLUMNS = (
    "id",
    "name",
    "reason_code",
    "reason",
    "score",
    "rank",
    "company",
    "phone",
    "tier",
    "value_12m",
    "last_contact",
)
DUPLICATES_COLUMNS = ("a_id", "a_name", "b_id", "b_name", "reason", "reason_codes", "score")
# (record key, title, width, alignment) for the table format
FIND_TABLE = (
    ("id", "ID", 6, ">"),
    ("name", "NAME", 24, "<"),
    ("company", "COMPANY", 20, "<"),
    ("phone", "PHONE", 17, "<"),
    ("tier", "TIER", 6, "<"),
    ("value_12m", "VALUE 12M", 11, ">"),
    ("last_contact", "LAST CONTACT", 12, "<"),
    ("next_follow_up", "FOLLOW-UP", 10, "<"),
)
ATTENTION_TABLE = (
    ("id", "ID", 6, ">"),
    ("name", "NAME", 22, "<"),
    ("score", "SCORE", 6, ">"),
    ("phone", "PHONE", 17, "<"),
    ("reason", "WHY", 60, "<"),
)


def _date_arg(text: str) -> date:
    from tui_crm.core.dates import parse_date

    try:
        return parse_date(text)
    except CrmError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _mapping_arg(text: str) -> tuple[str, str]:
    from tui_crm.core.interchange.files import mapping_pair

    try:
        return mapping_pair(text)
    except CrmError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line, like every other error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


DUPLICATES_TABLE = (
    ("score", "SCORE", 5, ">"),
    ("a_id", "ID", 6, ">"),
    ("a_name", "NAME", 22, "<"),
    ("b_id", "ID", 6, ">"),
    ("b_name", "NAME", 22, "<"),
    ("reason", "WHY", 60, "<"),
)


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="database file (default: $TUI_CRM_DB or the platform data folder)",
    )
    parser = _Parser(
        prog=PROG,
        description="A keyboard-driven personal CRM. Without a command, opens the app.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="open the app on the demo database (made on first use)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    find = commands.add_parser(
        "find", parents=[common], help="search customers with the query language"
    )
    find.add_argument("query", nargs="*", help="e.g. rob city:oslo tier:gold sort:-value")
    find.add_argument("--format", choices=("table", "csv", "json"), default="table")
    find.add_argument(
        "--limit", type=_non_negative, default=50, help="most rows (0: all; default 50)"
    )
    find.add_argument("--as-of", type=_date_arg, metavar="DATE", help="value figures as of DATE")

    log = commands.add_parser("log", parents=[common], help="log a call (or other interaction)")
    log.add_argument("customer", help="customer id or exact name")
    log.add_argument("--note", required=True, help="what was said")
    log.add_argument("--kind", default="call", help="call, email, meeting, message, thanks, note")
    log.add_argument("--follow-up", metavar="DATE", help="2026-12-01, +3d, +2w, tomorrow, mon..sun")
    log.add_argument("--at", metavar="DATETIME", help="when it happened (default: now)")
    log.add_argument("--outcome", default="", help="short outcome, e.g. 'ordered', 'call back'")

    attention = commands.add_parser(
        "attention", parents=[common], help="whom to call today and why (the queue as text)"
    )
    attention.add_argument("--format", choices=("table", "csv", "json"), default="table")
    attention.add_argument(
        "--limit", type=_non_negative, default=50, help="most customers (0: all; default 50)"
    )
    attention.add_argument("--as-of", type=_date_arg, metavar="DATE", help="the queue as of DATE")
    attention.add_argument(
        "--reason",
        action="append",
        metavar="CODE",
        help="only this reason (repeatable): follow_up_overdue, follow_up_due, lapsed, "
        "gold_quiet, cadence, thank_referrer, incomplete_profile",
    )

    referrals = commands.add_parser(
        "referrals", parents=[common], help="who referred whom, as an indented tree"
    )
    referrals.add_argument(
        "customer", nargs="?", help="centre on this customer (id or exact name); default: all"
    )
    referrals.add_argument(
        "--as-of", type=_date_arg, metavar="DATE", help="12-month values as of DATE"
    )

    duplicates = commands.add_parser(
        "duplicates", parents=[common], help="pairs of customers that may be the same person"
    )
    duplicates.add_argument("--format", choices=("table", "csv", "json"), default="table")

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="add or update customers from CSV or vCard, or add purchases from CSV",
    )
    imp.add_argument("file", help="the file to import")
    imp.add_argument(
        "--format",
        choices=("auto", "csv", "vcard", "purchases"),
        default="auto",
        help="what the file holds (default: recognised from its content)",
    )
    imp.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    imp.add_argument("--strict", action="store_true", help="import nothing if any row is bad")
    imp.add_argument(
        "--map",
        action="append",
        type=_mapping_arg,
        metavar="COLUMN=FIELD",
        help="read a CSV column as this field (repeatable; FIELD 'ignore' skips it)",
    )

    exp = commands.add_parser(
        "export", parents=[common], help="write the customers a query finds to a file"
    )
    exp.add_argument("query", nargs="*", help="the search language; nothing for everyone")
    exp.add_argument(
        "--format",
        choices=("csv", "vcard", "labels", "emails"),
        default="csv",
        help="csv (every field), vcard (4.0), labels (postal order), emails (no opt-outs)",
    )
    exp.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    exp.add_argument("--as-of", type=_date_arg, metavar="DATE", help="value figures as of DATE")

    demo = commands.add_parser("demo", parents=[common], help="write a demo database")
    demo.add_argument("--customers", type=_non_negative, default=300)
    demo.add_argument("--seed", type=int, default=7)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except Ambiguous as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        for ref in err.candidates:
            print(f"  {ref.id:>6}  {ref.name}", file=sys.stderr)
        return 1
    except CrmError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `tui-crm find | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # the last line of defence: never show a traceback
        if os.environ.get("TUI_CRM_DEBUG"):
            raise
        if _is_database_error(err):
            print(
                f"{PROG}: error: the database could not be read or written ({err}); "
                "the file may be damaged",
                file=sys.stderr,
            )
            return 1
        print(
            f"{PROG}: internal error: {type(err).__name__}: {err} "
            "(set TUI_CRM_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 70


def _is_database_error(err: Exception) -> bool:
    import sqlite3

    if isinstance(err, sqlite3.DatabaseError):
        return True
    peewee = sys.modules.get("peewee")
    return peewee is not None and isinstance(err, peewee.DatabaseError)


def _db_path(args: argparse.Namespace) -> Path:
    from tui_crm.paths import default_db_path

    given = getattr(args, "db", None)
    return Path(given).expanduser() if given else default_db_path()


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "find":
        return _find(args)
    if args.command == "log":
        return _log(args)
    if args.command == "demo":
        return _demo(args)
    if args.command == "attention":
        return _attention(args)
    if args.command == "referrals":
        return _referrals(args)
    if args.command == "duplicates":
        return _duplicates(args)
    if args.command == "import":
        return _import(args)
    if args.command == "export":
        return _export(args)
    return _run_app(args)


def _open(args: argparse.Namespace):
    """Open the book for a one-shot command.

    The default book is created on first use; a path the user named (--db, TUI_CRM_DB) must
    exist, so a typo is an error rather than a new empty database.
    """
    from tui_crm.db.database import open_database

    named = bool(getattr(args, "db", None) or os.environ.get("TUI_CRM_DB"))
    return open_database(_db_path(args), create=not named)


def _find(args: argparse.Namespace) -> int:
    from tui_crm.core.query import parse
    from tui_crm.core.search import search

    query = parse(" ".join(args.query))
    db = _open(args)
    rows = search(db, query, as_of=args.as_of or date.today(), limit=args.limit or None)
    records = [_find_record(row) for row in rows]
    _emit(records, args.format, FIND_COLUMNS, FIND_TABLE, "no customers match")
    return 0


def _emit(records: list[dict], form: str, columns, table, empty: str) -> None:
    """Print records as json, csv (`columns`, in that order) or an aligned table."""
    out = sys.stdout
    if form == "json":
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif form == "csv":
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    else:
        _print_table(records, table, empty, out)


def _attention(args: argparse.Namespace) -> int:
    from tui_crm.core.attention import REASONS, attention_queue
    from tui_crm.core.fields import format_money, format_phone

    unknown = [code for code in args.reason or () if code not in REASONS]
    if unknown:
        raise CrmError(f"unknown reason '{unknown[0]}' (one of {', '.join(REASONS)})")
    db = _open(args)
    as_of = args.as_of or date.today()
    items = attention_queue(db, as_of, reasons=args.reason, limit=args.limit or None)
    records = [
        {
            "id": item.customer_id,
            "name": item.name,
            "reason_code": reason.code,
            "reason": reason.text,
            "score": reason.score,
            "rank": rank,
            "company": item.company,
            "phone": format_phone(item.phone) if item.phone else "",
            "tier": item.tier,
            "value_12m": format_money(item.value_12m).replace(",", ""),
            "last_contact": item.last_contact.date().isoformat() if item.last_contact else "",
        }
        for rank, item in enumerate(items, start=1)
        for reason in item.reasons
    ]
    if args.format == "table":  # a customer's further reasons go under the first, unrepeated
        records = [
            {**record, "id": "", "name": "", "phone": ""}
            if n and record["rank"] == records[n - 1]["rank"]
            else record
            for n, record in enumerate(records)
        ]
    _emit(records, args.format, ATTENTION_COLUMNS, ATTENTION_TABLE, "nobody needs attention")
    return 0


def _referrals(args: argparse.Namespace) -> int:
    from tui_crm.core.customers import resolve_customer
    from tui_crm.core.referrals import referral_forest, render_tree

    db = _open(args)
    centre = resolve_customer(db, args.customer) if args.customer else None
    forest = referral_forest(db, args.as_of or date.today())
    lines = render_tree(forest, centre)
    if not lines:
        if centre is None:
            print("nobody was referred by another customer yet", file=sys.stderr)
        else:
            name = forest.name_of(centre)
            print(f"{name} (#{centre}) has no referrals, in or out", file=sys.stderr)
        return 0
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _duplicates(args: argparse.Namespace) -> int:
    from tui_crm.core.duplicates import find_duplicate_pairs

    pairs = find_duplicate_pairs(_open(args))
    records = [
        {
            "a_id": pair.a.id,
            "a_name": pair.a.name,
            "b_id": pair.b.id,
            "b_name": pair.b.name,
            "reason": pair.reason_text,
            "reason_codes": " ".join(pair.reason_codes),
            "score": pair.score,
        }
        for pair in pairs
    ]
    _emit(records, args.format, DUPLICATES_COLUMNS, DUPLICATES_TABLE, "no probable duplicates")
    return 0


def _import(args: argparse.Namespace) -> int:
    from tui_crm.core.interchange.files import import_file

    db = _open(args)
    report = import_file(
        db,
        args.file,
        format=args.format,
        mapping=dict(args.map or ()),
        dry_run=args.dry_run,
        strict=args.strict,
        progress=_progress_printer(),
    )
    for line in report.lines():
        print(line)
    return 1 if report.refused else 0


def _progress_printer():
    """Progress on the terminal (stderr) while a big file loads; silent when not a terminal."""
    if not sys.stderr.isatty():
        return lambda stage, done, total: None

    def show(stage: str, done: int, total: int) -> None:
        end = "\n" if stage == "writing" and done >= total else ""
        print(f"\r{stage} {done:,}/{total:,}\033[K", end=end, file=sys.stderr, flush=True)

    return show


def _export(args: argparse.Namespace) -> int:
    from tui_crm.core.interchange.files import export_customers, export_to_file

    db = _open(args)
    query = " ".join(args.query)
    if not args.output:
        written = export_customers(db, query, args.format, sys.stdout, as_of=args.as_of)
        print(f"{PROG}: {written.summary()}", file=sys.stderr)
        return 0
    target = Path(args.output).expanduser()
    written = export_to_file(db, query, args.format, target, as_of=args.as_of)
    print(f"{PROG}: {written.summary(to=str(target))}", file=sys.stderr)
    return 0


def _find_record(row) -> dict:
    from tui_crm.core.fields import format_money

    return {
        "id": row.id,
        "name": row.name,
        "company": row.company,
        "email": row.email,
        "phone": row.phone,
        "tier": row.tier,
        "value_12m": format_money(row.value_12m).replace(",", ""),
        "last_contact": row.last_contact.date().isoformat() if row.last_contact else "",
        "next_follow_up": row.next_follow_up.isoformat() if row.next_follow_up else "",
        "city": row.city,
        "status": row.status,
    }


def _print_table(records: list[dict], columns, empty: str, out) -> None:
    if not records:
        print(empty, file=sys.stderr)
        return

    def cell(text: str, width: int, align: str) -> str:
        text = str(text)
        if len(text) > width:
            text = text[: width - 1] + "…"
        return f"{text:{align}{width}}"

    out.write("  ".join(cell(title, w, a) for _, title, w, a in columns).rstrip() + "\n")
    for record in records:
        out.write("  ".join(cell(record[k], w, a) for k, _, w, a in columns).rstrip() + "\n")


def _log(args: argparse.Namespace) -> int:
    from tui_crm.core.customers import get_profile, log_interaction, resolve_customer
    from tui_crm.errors import ValidationError

    db = _open(args)
    customer_id = resolve_customer(db, args.customer)
    try:
        log_interaction(
            db,
            customer_id,
            notes=args.note,
            kind=args.kind,
            at=args.at,
            follow_up=args.follow_up,
            outcome=args.outcome,
        )
    except ValidationError as err:
        field, message = next(iter(err.errors.items()))
        option = {"notes": "note"}.get(field, field)  # the option is --note
        raise CrmError(f"--{option.replace('_', '-')}: {message}") from None
    profile = get_profile(db, customer_id, date.today(), history=1)
    logged = profile.interactions[0]
    text = f"logged {logged.kind} with {profile.name} (#{profile.id}) at {logged.at:%Y-%m-%d %H:%M}"
    if logged.follow_up:
        text += f"; follow-up {logged.follow_up:%a %Y-%m-%d}"
    print(text)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from tui_crm.paths import demo_db_path

    path = Path(args.db).expanduser() if getattr(args, "db", None) else demo_db_path()
    count = make_demo(path, customers=args.customers, seed=args.seed)
    print(f"wrote a demo database with {count} customers to {path}")
    return 0


def make_demo(path: Path, *, customers: int, seed: int, today: date | None = None) -> int:
    """Build the demo book in a temporary file, then move it into place in one step."""
    from tui_crm.core.demo import build_demo
    from tui_crm.db.database import close_database, open_database

    if path.exists() and path.stat().st_size > 0:
        raise CrmError(f"{path} already exists; remove it or give another --db")
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    try:
        db = open_database(partial)
        count = build_demo(db, customers=customers, seed=seed, today=today)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        close_database()
        os.replace(partial, path)
    finally:
        close_database()
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
    return count


def _run_app(args: argparse.Namespace) -> int:
    from tui_crm.core.config import settings
    from tui_crm.paths import demo_db_path

    if args.demo and getattr(args, "db", None):
        raise CrmError("give either --demo or --db, not both")
    if args.demo:
        path = demo_db_path()
        if not path.exists():
            print(f"creating the demo database at {path} …", file=sys.stderr)
            make_demo(path, customers=300, seed=7)
    else:
        path = _db_path(args)
    from tui_crm.db.database import open_database

    db = open_database(path)
    settings()  # a broken config file is one line here, not a crash inside the app
    from tui_crm.ui.app import CrmApp

    CrmApp(db=db, db_path=path).run()
    return 0
