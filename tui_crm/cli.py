"""Command line: `tui-crm` opens the app; one-shot subcommands print for scripts.

The one-shot commands never import Textual (a test pins it), so they start fast over SSH.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

from tui_crm import __version__
from tui_crm.core.display import LONG_TEXT, printable, spreadsheet_cell
from tui_crm.errors import Ambiguous, CrmError
from tui_crm.paths import BookPlace, on_server, place_name

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
    "customer_score",
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
    ("customer_score", "SCORE", 6, ">"),  # the customer's, which orders the queue
    ("phone", "PHONE", 17, "<"),
    ("reason", "WHY", 60, "<"),
)


def _date_arg(text: str) -> date:
    from tui_crm.core.dates import parse_date

    try:
        day = parse_date(text)
    except CrmError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if not FIRST_DAY <= day <= LAST_DAY:  # the figures reach a few years either side of it
        raise argparse.ArgumentTypeError(f"'{text}' is outside {FIRST_DAY} to {LAST_DAY}")
    return day


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9899, 12, 31)
LARGEST = 2**63 - 1  # SQLite's largest whole number: a limit beyond it is no limit


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return min(value, LARGEST)


DEMO_MOST = 100_000


def _demo_size(text: str) -> int:
    value = _non_negative(text)
    if value > DEMO_MOST:
        raise argparse.ArgumentTypeError(f"at most {DEMO_MOST:,} customers, not {text}")
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
        self.exit(2, f"{self.prog}: error: {printable(message)} (see {self.prog} --help)\n")


DUPLICATES_TABLE = (
    ("score", "SCORE", 5, ">"),
    ("a_id", "ID", 6, ">"),
    ("a_name", "NAME", 22, "<"),
    ("b_id", "ID", 6, ">"),
    ("b_name", "NAME", 22, "<"),
    ("reason", "WHY", 60, "<"),
)


# Two or three examples for each command's --help (its "Examples" section).
EXAMPLES = {
    "find": (
        "tui-crm find rob city:oslo             # the table, 50 rows at most",
        "tui-crm find tier:gold --format csv --limit 0 > gold.csv",
        "tui-crm find 'sort:-value' --as-of 2026-01-01 --format json",
    ),
    "log": (
        'tui-crm log "Robert Smith" --note "Wants a quote for 20 seats" --follow-up +1w',
        'tui-crm log 42 --kind meeting --note "Visited the shop" --at "2026-03-02 14:00"',
    ),
    "tag": (
        "tui-crm tag city:oslo tier:gold +vip -prospect --dry-run   # who would change",
        "tui-crm tag city:oslo tier:gold +vip -prospect",
        "tui-crm tag 'tag:fair-2026 -status:lost' +invite-2027 --format csv",
    ),
    "set": (
        'tui-crm set city:oslo tier:gold category="Key account" owner=anna --dry-run',
        "tui-crm set owner:ben owner=anna      # Ben's customers go to Anna",
        'tui-crm set tag:moved status=lost lost_reason="Moved away"',
    ),
    "log-all": (
        'tui-crm log-all tag:vip --note "Summer gift sent" --kind thanks --dry-run',
        'tui-crm log-all "city:oslo tier:gold" --note "Invited to the fair" --kind email',
    ),
    "snooze": (
        "tui-crm snooze tag:holiday --until +3w --dry-run   # who would leave the queue",
        "tui-crm snooze city:oslo owner:ben --until 2027-01-04",
    ),
    "agenda": (
        "tui-crm agenda                 # follow-ups and plan touches of the week ahead",
        "tui-crm agenda --days 1 --format csv > today.csv",
    ),
    "plan": (
        "tui-crm plan                   # every plan: everyone's, without a category, each category",
        'tui-crm plan "Key account" "meeting every 3 months, call every month"',
        'tui-crm plan --new Prospects "call every 2 weeks"   # everyone, none: the other plans',
    ),
    "undo": (
        "tui-crm undo        # takes back your newest undoable action (tag, trash, merge, …)",
        "tui-crm undo --db /srv/crm/team.db",
    ),
    "attention": (
        "tui-crm attention --limit 20           # whom to call today, and why",
        "tui-crm attention --reason lapsed --format csv > lapsed.csv",
    ),
    "referrals": (
        "tui-crm referrals                      # every referrer's tree, biggest first",
        'tui-crm referrals "Harry Thompson"     # the tree around one customer',
    ),
    "duplicates": (
        "tui-crm duplicates                     # pairs to review, strongest first",
        "tui-crm duplicates --format csv > pairs.csv",
    ),
    "import": (
        "tui-crm import contacts.csv --dry-run  # what it would do; writes nothing",
        "tui-crm import phone.vcf --region DE   # numbers without +CC are German",
        "abook --convert --outformat csv | tui-crm import -   # from stdin",
    ),
    "export": (
        "tui-crm export tag:vip --format vcard -o vip.vcf",
        "tui-crm export city:oslo --format emails > oslo.txt",
        "tui-crm export -o - | tui-crm import - --db other.db   # copy into another book",
    ),
    "backup": (
        "tui-crm backup                         # into the book's backup folder",
        "tui-crm backup --to /mnt/usb/crm.db",
    ),
    "backups": (
        "tui-crm backups",
        "tui-crm backups --format csv",
    ),
    "restore": (
        "tui-crm backups                        # find the one you want",
        "tui-crm restore crm.db.backups/crm-20260301-091500-000000-daily.db",
    ),
    "check": (
        "tui-crm check                          # exit 0 when healthy",
        "tui-crm check --repair                 # rebuild the index and figures",
    ),
    "keep": (
        "tui-crm keep                           # the book's kept figures brought to today",
        "tui-crm keep --watch --db postgresql://mona@crm/sales   # for a restricted team",
    ),
    "copy": (
        "tui-crm copy --from ~/crm.db --to postgresql://anna@crm.example/sales",
        "tui-crm copy --from postgresql://anna@crm.example/sales --to sales-copy.db",
    ),
    "trash": (
        "tui-crm trash",
        "tui-crm trash --format json",
    ),
    "restore-customer": (
        "tui-crm trash                          # the IDs",
        "tui-crm restore-customer 42",
    ),
    "purge-customer": (
        "tui-crm purge-customer 42              # asks first",
        "tui-crm purge-customer 42 --yes        # in a script",
    ),
    "demo": (
        "tui-crm demo                           # then: tui-crm --demo",
        "tui-crm demo --db /tmp/demo.db --customers 5000 --seed 3",
    ),
    "completion": (
        "tui-crm completion bash > ~/.local/share/bash-completion/completions/tui-crm",
        "tui-crm completion zsh > ~/.zfunc/_tui-crm   # a folder on your $fpath",
        "tui-crm completion fish > ~/.config/fish/completions/tui-crm.fish",
    ),
}


def _examples(lines: Sequence[str]) -> str:
    return "Examples:\n" + "".join(f"  {line}\n" for line in lines)


def _add_command(commands, name: str, **options) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with its examples (kept as written)."""
    options.setdefault("description", options.get("help"))
    return commands.add_parser(
        name,
        epilog=_examples(EXAMPLES[name]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **options,
    )


SHELLS = ("bash", "zsh", "fish")
FILE_OPTIONS = frozenset({"file", "db", "output", "to"})  # completed as file names


def _region_arg(text: str) -> str:
    from tui_crm.core.interchange.files import region_code

    try:
        return region_code(text)
    except CrmError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _bulk_options(command: argparse.ArgumentParser, dry_run: str) -> None:
    """--dry-run, --format and --as-of, for a command that acts on every customer a query
    finds (tag, set, log-all, snooze)."""
    command.add_argument("--dry-run", action="store_true", help=dry_run)
    _table_format(command)
    command.add_argument(
        "--as-of", type=_date_arg, metavar="DATE", help="the query's day (tier:, …)"
    )


def _table_format(command: argparse.ArgumentParser) -> None:
    """--format table|csv|json, for a command that lists records (see _emit)."""
    command.add_argument("--format", choices=("table", "csv", "json"), default="table")


class _NotBuilt:
    """A subcommand's parser that this run does not need (see `build_parser`)."""

    def add_argument(self, *_args, **_kwargs) -> None:
        pass


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line. With `command`, the other subcommands' parsers are not built: the
    one to run is known (`_command_in`), and building all of them costs a few milliseconds
    of every one-shot command's start."""

    def add(name: str, **options) -> argparse.ArgumentParser:
        if command is not None and name != command:
            return _NotBuilt()  # type: ignore[return-value]
        return _add_command(commands, name, **options)

    common = _Parser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the book: a file, sqlite:///path or postgresql://user@host/database "
        "(default: $TUI_CRM_DB or the platform data folder)",
    )
    common.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the demo database (made on first use) instead of your book",
    )
    parser = _Parser(
        prog=PROG,
        description="A keyboard-driven personal CRM. Without a command, opens the app.",
        parents=[common],
        epilog=_examples(
            (
                "tui-crm                                # open the app on your book",
                "tui-crm find rob city:oslo             # search, for scripts",
                "tui-crm import contacts.csv --dry-run  # tui-crm COMMAND --help: more",
            )
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    find = add("find", parents=[common], help="search customers with the query language")
    find.add_argument("query", nargs="*", help="e.g. rob city:oslo tier:gold sort:-value")
    _table_format(find)
    find.add_argument(
        "--limit", type=_non_negative, default=50, help="most rows (0: all; default 50)"
    )
    find.add_argument("--as-of", type=_date_arg, metavar="DATE", help="value figures as of DATE")

    log = add("log", parents=[common], help="log a call (or other interaction)")
    log.add_argument("customer", help="customer id or exact name")
    log.add_argument("--note", required=True, help="what was said")
    log.add_argument("--kind", default="call", help="call, email, meeting, message, thanks, note")
    log.add_argument("--follow-up", metavar="DATE", help="2026-12-01, +3d, +2w, tomorrow, mon..sun")
    log.add_argument("--at", metavar="DATETIME", help="when it happened (default: now)")
    log.add_argument("--outcome", default="", help="short outcome, e.g. 'ordered', 'call back'")

    tag = add(
        "tag",
        parents=[common],
        help="add or remove tags on every customer a query finds",
        description=(
            "Add (+tag) and remove (-tag) tags on every customer QUERY finds, all of them, in\n"
            "one step: a backup first, one transaction, a line in each customer's history, and\n"
            "ctrl+z in the app undoes it as one. The query comes first; quote it when a word\n"
            "of it starts with - ('city:oslo -tag:old')."
        ),
    )
    tag.add_argument("words", nargs="*", metavar="QUERY +TAG -TAG", help="e.g. city:oslo +vip -old")
    _bulk_options(tag, "say who would change, and change nothing")

    setting = add(
        "set",
        parents=[common],
        help="set a category, owner or status on every customer a query finds",
        description=(
            "Set FIELD=VALUE (category, owner, status=active or status=lost with lost_reason)\n"
            "on every customer QUERY finds, all of them, in one step: a backup first, one\n"
            "transaction, a line in each customer's history, and `tui-crm undo` takes it back\n"
            "as one. The query comes first; an empty VALUE clears."
        ),
    )
    setting.add_argument(
        "words", nargs="*", metavar="QUERY FIELD=VALUE", help="e.g. city:oslo owner=anna"
    )
    _bulk_options(setting, "say who would change, and change nothing")

    log_all = add(
        "log-all",
        parents=[common],
        help="log one interaction for every customer a query finds",
        description=(
            "Log the same interaction (a campaign touch: a gift sent, an invitation) for every\n"
            "customer QUERY finds, all of them, in one step: a backup first, one transaction,\n"
            "and `tui-crm undo` takes them all back as one."
        ),
    )
    log_all.add_argument("query", nargs="*", help="e.g. tag:vip city:oslo")
    log_all.add_argument("--note", required=True, help="what was done, e.g. 'Summer gift sent'")
    log_all.add_argument(
        "--kind", default="call", help="call, email, meeting, message, thanks, note"
    )
    log_all.add_argument("--outcome", default="", help="short outcome")
    log_all.add_argument("--at", metavar="DATETIME", help="when it happened (default: now)")
    _bulk_options(log_all, "say for whom it would log, and log nothing")

    snoozing = add(
        "snooze",
        parents=[common],
        help="leave every customer a query finds out of the queue until a day",
        description=(
            "Snooze every reason of every customer QUERY finds until --until: they leave the\n"
            "needs-attention queue and come back on that day with what is due then. One step:\n"
            "a backup first, one transaction, a line in each customer's history, and\n"
            "`tui-crm undo` takes it back as one."
        ),
    )
    snoozing.add_argument("query", nargs="*", help="e.g. tag:holiday city:oslo")
    snoozing.add_argument(
        "--until", required=True, metavar="DAY", help="+2w, mon, 2027-01-04: a day after today"
    )
    _bulk_options(snoozing, "say whom it would snooze, and snooze nobody")

    agenda = add(
        "agenda",
        parents=[common],
        help="the follow-ups and plan touches of the days ahead, overdue first",
        description=(
            "The follow-ups promised and the plan touches falling due, by day, the follow-ups\n"
            "overdue first, each with the customer, what was promised (or 'plan: quarterly\n"
            "meeting') and the value: the week ahead, or --days more or fewer."
        ),
    )
    agenda.add_argument(
        "--days", type=_non_negative, default=7, help="how many days ahead (default 7; 0: today)"
    )
    agenda.add_argument("--as-of", type=_date_arg, metavar="DATE", help="the day to start from")
    _table_format(agenda)

    plan = add(
        "plan",
        parents=[common],
        help="print the communication plans, or set one",
        description=(
            "A plan is the touches a customer gets and how often: everyone's, plus their\n"
            "category's (or the one for customers without a category). Without arguments,\n"
            "print every plan; with a SCOPE (everyone, none, or a category) and TOUCHES, set\n"
            "that plan (an empty TOUCHES clears it). A touch is a kind (contact, call, meeting,\n"
            "email, message, thanks) and an interval: 'meeting every 3 months'."
        ),
    )
    plan.add_argument("scope", nargs="?", help="everyone, none (no category) or a category")
    plan.add_argument("touches", nargs="?", help="'meeting every 3 months, call every month'")
    plan.add_argument(
        "--new", action="store_true", help="SCOPE is a new category, to add with TOUCHES"
    )
    _table_format(plan)

    add(
        "undo",
        parents=[common],
        help="take back your newest undoable action",
        description=(
            "Take back your newest action that can be undone and is not undone yet (tags on\n"
            "the customers a query found, a move to the trash, a merge, …), whichever program\n"
            "did it: refused, changing nothing, when what it changed was changed since."
        ),
    )

    attention = add(
        "attention",
        parents=[common],
        help="whom to call today and why (the queue as text)",
    )
    _table_format(attention)
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

    referrals = add("referrals", parents=[common], help="who referred whom, as an indented tree")
    referrals.add_argument(
        "customer", nargs="?", help="centre on this customer (id or exact name); default: all"
    )
    referrals.add_argument(
        "--as-of", type=_date_arg, metavar="DATE", help="12-month values as of DATE"
    )

    duplicates = add(
        "duplicates",
        parents=[common],
        help="pairs of customers that may be the same person",
    )
    _table_format(duplicates)

    imp = add(
        "import",
        parents=[common],
        help="add or update customers from CSV or vCard, or add purchases from CSV",
    )
    imp.add_argument("file", help="the file to import (-: read it from stdin)")
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
    imp.add_argument(
        "--region",
        type=_region_arg,
        metavar="CC",
        help="read phone numbers without +CC as this country's (e.g. DE; default: the "
        "region setting)",
    )
    imp.add_argument(
        "--no-header",
        action="store_true",
        help="the CSV has no header row: abook's columns (name, email, phone, notes, nick)",
    )

    exp = add("export", parents=[common], help="write the customers a query finds to a file")
    exp.add_argument("query", nargs="*", help="the search language; nothing for everyone")
    exp.add_argument(
        "--format",
        choices=("csv", "vcard", "labels", "emails"),
        default="csv",
        help="csv (every field), vcard (4.0), labels (postal order), emails (no opt-outs)",
    )
    exp.add_argument(
        "-o", "--output", metavar="FILE", help="write here, whole or not at all (-: stdout)"
    )
    exp.add_argument("--as-of", type=_date_arg, metavar="DATE", help="value figures as of DATE")

    backup = add("backup", parents=[common], help="back the book up now (into its backup folder)")
    backup.add_argument(
        "--to", metavar="FILE", help="write the copy to FILE instead (whole or not at all)"
    )
    backups = add("backups", parents=[common], help="list the book's backups, newest first")
    _table_format(backups)
    restore = add(
        "restore",
        parents=[common],
        help="make the book what a backup holds (after a backup of the book as it is)",
    )
    restore.add_argument("file", help="a backup (see tui-crm backups) or another tui-crm book")
    restore.add_argument(
        "--force", action="store_true", help="wait for another program writing to the book"
    )
    check = add("check", parents=[common], help="check the book: file, search index, figures")
    check.add_argument(
        "--repair",
        action="store_true",
        help="rebuild the search index, figures and summaries (after a backup)",
    )

    keep = add(
        "keep",
        parents=[common],
        help="bring what every reader keeps up to date (--watch: and keep it so)",
        description=(
            "Bring the book's kept figures up to date for everyone: the value summary and the\n"
            "queue as of today, the referral figures and the duplicate pairs. Every session that\n"
            "sees the whole book does this as it reads; salespeople restricted to their own\n"
            'customers (README "Team mode") only read them, so a member of the team\'s role\n'
            "runs `tui-crm keep --watch` for them: it keeps the book up to date within a second\n"
            "of each write and at each new day, until stopped."
        ),
    )
    keep.add_argument(
        "--watch",
        action="store_true",
        help="keep on: after each write anyone makes, and at least every minute (ctrl+c stops)",
    )

    copy = add(
        "copy",
        help="copy a whole book into a new one: a file to PostgreSQL and back (checked)",
    )
    copy.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="BOOK",
        help="the book to copy: a file, sqlite:///path or postgresql://…",
    )
    copy.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="BOOK",
        help="a new book: a file that does not exist yet, or an empty PostgreSQL database",
    )

    trash = add("trash", parents=[common], help="deleted and merged-away customers, newest first")
    _table_format(trash)
    restore_customer = add(
        "restore-customer",
        parents=[common],
        help="bring a customer back from the trash, whole (a merged-away one is unmerged)",
    )
    restore_customer.add_argument("id", type=_customer_id, help="the ID `tui-crm trash` shows")
    purge = add(
        "purge-customer",
        parents=[common],
        help="delete a customer in the trash for ever (asks first; --yes for scripts)",
    )
    purge.add_argument("id", type=_customer_id, help="the ID `tui-crm trash` shows")
    purge.add_argument("--yes", action="store_true", help="do not ask: the answer is yes")

    completion = add(
        "completion",
        help="print a completion script for your shell (bash, zsh or fish)",
    )
    completion.add_argument("shell", choices=SHELLS, help="bash, zsh or fish")

    demo = add("demo", parents=[common], help="write a demo database")
    demo.add_argument("--customers", type=_demo_size, default=300, help="0 to 100,000")
    demo.add_argument("--seed", type=int, default=7)
    return parser


def _command_in(words: Sequence[str]) -> str | None:
    """The subcommand `words` run when they name it plainly (`find …`, `--db PATH find …`,
    `--demo find …`); None for anything else, which the whole parser reads."""
    at = 0
    while at < len(words) and (words[at] in ("--db", "--demo") or words[at].startswith("--db=")):
        at += 2 if words[at] == "--db" else 1
    word = words[at] if at < len(words) else ""
    return word if word in EXAMPLES else None


TAG_REMOVED = "\x00"  # marks a -tag word while the command line is parsed (see main)


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    command = _command_in(words)
    if command == "tag":  # `-old` is a tag to remove, not an option argparse does not know
        words = [
            TAG_REMOVED + w if w.startswith("-") and w[1:2] not in ("", "-", "h") else w
            for w in words
        ]
    args = build_parser(command).parse_args(words)
    try:
        return _dispatch(args)
    except Ambiguous as err:
        _error(err)
        for ref in err.candidates:
            print(f"  {ref.id:>6}  {printable(ref.name)}", file=sys.stderr)
        return 1
    except CrmError as err:
        _error(err)
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
            from tui_crm.db.database import explain

            _error(explain(err) or f"the database could not be read or written ({err})")
            return 1
        if isinstance(err, OSError) and err.filename is not None:
            _error(f"{err.filename}: {err.strerror or err}")  # a full disk, a read-only folder
            return 1
        _error(f"{type(err).__name__}: {err} (set TUI_CRM_DEBUG=1 for details)", "internal error")
        return 70


def _error(message: object, what: str = "error") -> None:
    """One line on stderr, whatever the message quotes (a name, a query, a file's cell)."""
    print(f"{PROG}: {what}: {printable(message)}", file=sys.stderr)


def _is_database_error(err: Exception) -> bool:
    import sqlite3

    if isinstance(err, sqlite3.Error):
        return True
    peewee = sys.modules.get("peewee")
    if peewee is not None and isinstance(err, peewee.DatabaseError):
        return True
    # PostgreSQL's own errors, from what goes past peewee (COPY in an import or a copy).
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(err, psycopg.Error)


def _db_path(args: argparse.Namespace) -> BookPlace:
    """Where the book the command means is: a file, or a database on a server (a URL)."""
    from tui_crm.paths import book_place, default_db_path, demo_db_path

    given = getattr(args, "db", None)
    if getattr(args, "demo", False):
        if given:
            raise CrmError("give either --demo or --db, not both")
        return demo_db_path()
    return book_place(given) if given else default_db_path()


def _demo_book(args: argparse.Namespace) -> Path:
    """The demo book, written on first use (the same 300 customers every time)."""
    path = _db_path(args)
    assert isinstance(path, Path)  # --demo is always the demo file
    if not path.exists():
        print(f"creating the demo database at {printable(path)} …", file=sys.stderr)
        make_demo(path, customers=300, seed=7)
    return path


def _dispatch(args: argparse.Namespace) -> int:
    handlers = {
        "find": _find,
        "log": _log,
        "tag": _tag,
        "undo": _undo,
        "agenda": _agenda,
        "plan": _plan,
        "snooze": _snooze,
        "set": _set,
        "log-all": _log_all,
        "demo": _demo,
        "attention": _attention,
        "referrals": _referrals,
        "duplicates": _duplicates,
        "import": _import,
        "export": _export,
        "backup": _backup,
        "backups": _backups,
        "restore": _restore,
        "check": _check,
        "copy": _copy,
        "keep": _keep,
        "trash": _trash,
        "restore-customer": _restore_customer,
        "purge-customer": _purge_customer,
        "completion": _completion,
    }
    return handlers.get(args.command, _run_app)(args)


def _open(args: argparse.Namespace):
    """Open the book for a one-shot command.

    The default book is created on first use; a path the user named (--db, TUI_CRM_DB) must
    exist, so a typo is an error rather than a new empty database.
    """
    from tui_crm.db.database import open_database

    if getattr(args, "demo", False):
        return open_database(_demo_book(args), create=False)
    named = bool(getattr(args, "db", None) or os.environ.get("TUI_CRM_DB"))
    return open_database(_db_path(args), create=not named)


def _find(args: argparse.Namespace) -> int:
    from tui_crm.core.query import parse
    from tui_crm.core.search import search

    query = parse(" ".join(args.query))
    db = _open(args)
    as_of = args.as_of or date.today()
    rows = search(db, query, as_of=as_of, limit=args.limit or None, statuses=True)
    records = [_find_record(row) for row in rows]
    _emit(records, args.format, FIND_COLUMNS, FIND_TABLE, "no customers match")
    return 0


def _emit(records: list[dict], form: str, columns, table, empty: str) -> None:
    """Print records as json, csv (`columns`, in that order) or an aligned table.

    A table shows every value through `printable`. CSV and JSON carry the values as stored,
    but no CSV cell is a formula a spreadsheet would run, and JSON escapes every control and
    reordering character, so neither can move a terminal's cursor or retitle it; CSV written
    to a terminal (not to a file or a pipe) shows its cells through `printable` too."""
    out = sys.stdout
    if form == "json":
        out.write(terminal_safe_json(records) + "\n")
    elif form == "csv":
        shown = _terminal_text if out.isatty() else str
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {key: shown(spreadsheet_cell(str(value))) for key, value in record.items()}
            for record in records
        )
    else:
        _print_table(records, table, empty, out)


def _terminal_text(text: str) -> str:
    """`text` made visible for a terminal, uncut."""
    return printable(text, limit=len(text))


# What json.dumps leaves raw that a terminal acts on: DEL and the C1 controls (0x9B starts an
# escape sequence on some terminals), the line and paragraph separators, bidirectional
# overrides and isolates ("Trojan source"), and lone surrogates (not UTF-8 at all).
_JSON_ESCAPES = {
    code: f"\\u{code:04x}"
    for code in (
        *range(0x7F, 0xA0),
        *range(0x2028, 0x202F),
        *range(0x2066, 0x206A),
        *range(0xD800, 0xE000),
    )
}


def terminal_safe_json(value: object) -> str:
    """JSON that reads back exactly as `value` and is safe on a terminal: every control and
    reordering character is written as a \\u escape (json.dumps escapes only C0 ones)."""
    return json.dumps(value, ensure_ascii=False, indent=2).translate(_JSON_ESCAPES)


def _attention(args: argparse.Namespace) -> int:
    from tui_crm.core.attention import REASONS, attention_queue
    from tui_crm.core.money import format_money

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
            "customer_score": item.score,  # what the queue is ordered by
            "rank": rank,
            "company": item.company,
            "phone": item.phone,
            "tier": item.tier,
            "value_12m": format_money(item.value_12m).replace(",", ""),
            "last_contact": item.last_contact.date().isoformat() if item.last_contact else "",
        }
        for rank, item in enumerate(items, start=1)
        for reason in item.reasons
    ]
    if args.format == "table":  # a customer's further reasons go under the first, unrepeated
        records = [
            {**record, "id": "", "name": "", "customer_score": "", "phone": ""}
            if n and record["rank"] == records[n - 1]["rank"]
            else record
            for n, record in enumerate(records)
        ]
    _emit(records, args.format, ATTENTION_COLUMNS, ATTENTION_TABLE, "nobody needs attention")
    return 0


def _referrals(args: argparse.Namespace) -> int:
    from tui_crm.core.referrals import referral_forest, render_tree

    db = _open(args)
    centre = _customer(db, args.customer) if args.customer else None
    forest = referral_forest(db, args.as_of or date.today())
    lines = render_tree(forest, centre)
    if not lines:
        if centre is None:
            print("nobody was referred by another customer yet", file=sys.stderr)
        else:
            name = printable(forest.name_of(centre))
            print(f"{name} (#{centre}) has no referrals, in or out", file=sys.stderr)
        return 0
    # Each name in a line is already cut to what a line shows; the #id after it stays.
    sys.stdout.write("".join(_terminal_text(line) + "\n" for line in lines))
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
    from tui_crm.core.interchange.files import import_data, import_file

    if args.file == "-" and sys.stdin.isatty():
        raise CrmError("import - reads the file from stdin: pipe it in (tui-crm import - < FILE)")
    db = _open(args)
    options = dict(
        format=args.format,
        mapping=dict(args.map or ()),
        dry_run=args.dry_run,
        strict=args.strict,
        no_header=args.no_header,
        progress=_progress_printer(),
        region=args.region,
    )
    if args.file == "-":
        report = import_data(db, sys.stdin.buffer.read(), **options)
    else:
        report = import_file(db, args.file, **options)
    for line in report.lines():
        print(printable(line, limit=LONG_TEXT))
    return 1 if report.refused else 0


def _completion(args: argparse.Namespace) -> int:
    """The shell's completion script, made by shtab from the parser itself."""
    import shtab

    parser = build_parser()
    for one in (parser, *_subcommands(parser)):
        for action in one._actions:
            if action.dest in FILE_OPTIONS:
                action.complete = shtab.FILE  # type: ignore[attr-defined]
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return 0


def _subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    return [
        sub
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for sub in action.choices.values()
    ]


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
    if not args.output or args.output == "-":
        # The data as stored to a file or a pipe; made visible, line by line, on a terminal.
        out = _TerminalLines(sys.stdout) if sys.stdout.isatty() else sys.stdout
        written = export_customers(db, query, args.format, out, as_of=args.as_of)
        out.flush()
        print(f"{PROG}: {written.summary()}", file=sys.stderr)
        return 0
    target = Path(args.output).expanduser()
    written = export_to_file(
        db,
        query,
        args.format,
        target,
        as_of=args.as_of,
        hint="give a file name, or -o - for stdout",
    )
    print(f"{PROG}: {printable(written.summary(to=str(target)))}", file=sys.stderr)
    return 0


TRASH_COLUMNS = (
    "id",
    "name",
    "company",
    "deleted",
    "who",
    "how",
    "interactions",
    "purchases",
)
TRASH_TABLE = (
    ("id", "ID", 6, ">"),
    ("name", "NAME", 22, "<"),
    ("deleted", "DELETED", 16, "<"),
    ("who", "BY", 8, "<"),
    ("how", "HOW", 30, "<"),
    ("interactions", "CALLS", 5, ">"),
    ("purchases", "BUYS", 4, ">"),
)
BACKUPS_COLUMNS = ("taken", "size", "customers", "reason", "file")
BACKUPS_TABLE = (
    ("taken", "TAKEN", 19, "<"),
    ("size", "SIZE", 9, ">"),
    ("customers", "CUSTOMERS", 9, ">"),
    ("reason", "REASON", 16, "<"),
    ("file", "FILE", 200, "<"),
)


def _book_path(args: argparse.Namespace) -> BookPlace:
    """The book a command about the file itself means (the demo one made on first use)."""
    return _demo_book(args) if getattr(args, "demo", False) else _db_path(args)


def _backup(args: argparse.Namespace) -> int:
    from tui_crm.core.backups import backup_now, backup_to
    from tui_crm.whole_files import write_target

    _open(args)  # only a tui-crm book (migrated) is backed up
    path = _book_path(args)
    if args.to is None:
        written = backup_now(path)
    else:
        target = write_target(args.to, hint="give a file name for the backup")
        if not on_server(path) and target.exists() and os.path.samefile(target, path):
            raise CrmError(f"{args.to} is the book itself; give another file name")
        written = backup_to(path, target)
    print(printable(written, limit=len(str(written))))
    return 0


def _customer_id(text: str) -> int:
    number = text.strip().lstrip("#")
    if not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a customer ID (a number, e.g. 42)")
    return int(number)


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)  # pragma: no cover


def _backups(args: argparse.Namespace) -> int:
    from tui_crm.core.backups import list_backups

    path = _book_path(args)  # not opened: listing backups must work for a damaged book
    found = list_backups(path)
    table = args.format == "table"

    def customers(one) -> object:
        if not one.good:
            return "damaged" if table else None
        return f"{one.customers:,}" if table else one.customers

    records = [
        {
            "taken": one.taken_at.isoformat(sep=" ", timespec="seconds"),
            "size": _size(one.size) if table else one.size,
            "customers": customers(one),
            "reason": one.reason,
            "file": str(one.path),
        }
        for one in found
    ]
    _emit(
        records,
        args.format,
        BACKUPS_COLUMNS,
        BACKUPS_TABLE,
        f"no backups of {place_name(path)} yet",
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from tui_crm.core.backups import restore_from

    path = _book_path(args)  # not opened: a damaged book is what a restore is for
    done = restore_from(path, args.file, force=args.force)
    text = f"restored {done.customers:,} customers from {done.source} into {place_name(done.book)}"
    if done.migrated_from is not None:
        text += f" (upgraded from schema {done.migrated_from})"
    if done.safety_copy is not None:
        text += f"; the book as it was is kept in {done.safety_copy}"
    print(printable(text, limit=len(text)))
    return 0


def _check(args: argparse.Namespace) -> int:
    from tui_crm.core.check import check_book, file_damage, repair_book, restore_hint
    from tui_crm.errors import DatabaseRefused

    path = _book_path(args)
    try:
        db = _open(args)
    except DatabaseRefused:
        damage = file_damage(path) if not on_server(path) and path.is_file() else None
        if not damage:
            raise
        _say(f"file: {path} is damaged ({damage})")
        _say(restore_hint(path))
        return 1
    if args.repair:
        repaired = repair_book(db)
        if repaired.backup is not None:
            _say(f"backed up to {repaired.backup}")
        _say("rebuilt " + "; ".join(repaired.rebuilt))
        health = repaired.health
    else:
        health = check_book(db)
    if health.healthy:
        _say(f"book is healthy: {health.summary()}")
        return 0
    for problem in health.problems:
        _say(problem.line())
    if health.damaged:
        _say(restore_hint(path))
    elif any(problem.repairable for problem in health.problems) and not args.repair:
        _say("tui-crm check --repair rebuilds the search index, figures and summaries")
    return 1


def _copy(args: argparse.Namespace) -> int:
    """`tui-crm copy --from BOOK --to BOOK`: every row into a new book, counted in its
    transaction, then both books checked."""
    from tui_crm.paths import book_place

    source, target = book_place(args.source), book_place(args.target)
    if place_name(source) == place_name(target) or (
        not on_server(source) and not on_server(target) and _same_file(source, target)
    ):
        raise CrmError("--from and --to are the same book; give a new book to copy into")
    if on_server(target):
        copied = _copy_into(source, target)
    else:
        copied = _copy_into_file(source, target)
    _say(f"{copied.summary()} from {place_name(source)} to {place_name(target)}")
    return _check_both(source, target)


def _same_file(one: Path, other: Path) -> bool:
    return one.exists() and other.exists() and os.path.samefile(one, other)


def _copy_into(source: BookPlace, target: BookPlace):
    """Copy the book at `source` into the new book at `target`, in one of its transactions."""
    from tui_crm.core.copy import copy_book
    from tui_crm.db.database import close_database, open_database, open_second

    shown = sys.stderr.isatty()  # each table's rows as they go, on the terminal only

    def show(table: str, done: int) -> None:
        print(f"\r{table}: {done:,} rows\x1b[K", end="", file=sys.stderr, flush=True)

    reading = open_second(source)
    try:
        into = open_database(target)
        try:
            return copy_book(reading, into, progress=show if shown else None)
        finally:
            close_database()
            if shown:  # the line cleared for what is said next
                print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    finally:
        reading.close()


def _copy_into_file(source: BookPlace, target: Path):
    """The copy into a new file, written beside it and given its name only when whole and
    counted: an existing book, a folder, a device or a pipe is refused, never replaced."""
    if not on_server(source) and not source.exists():
        raise CrmError(f"no book at {source} (--from)")
    with _new_book_file(
        target,
        prefix=".tui-crm-copy-",
        hint="give the name of a new file for the copy",
        exists="copy only into a new book (give a new file)",
    ) as partial:
        return _copy_into(source, partial)


@contextlib.contextmanager
def _new_book_file(path: Path, *, prefix: str, hint: str, exists: str) -> Iterator[Path]:
    """A private temporary file beside `path` to make a new book in, moved into place in one
    step when the block ends well (removed otherwise). An existing book, a folder, a device or
    a pipe is refused, never replaced; the book is closed before the file is moved."""
    from tui_crm.db.database import close_database
    from tui_crm.paths import ensure_private_dir
    from tui_crm.whole_files import replacing, write_target

    if not path.parent.exists():  # the data folder, on first use
        ensure_private_dir(path.parent)
    target = write_target(path, hint=hint)
    if target.exists() and target.stat().st_size > 0:
        raise CrmError(f"{path} already exists; {exists}")
    with replacing(target, prefix=prefix, suffix=".partial") as partial:
        try:
            yield partial
        finally:
            close_database()  # before the file is renamed or removed


def _keep(args: argparse.Namespace) -> int:
    from tui_crm.core.keeping import keep_book, watch

    db = _open(args)
    if not args.watch:
        keep_book(db, date.today())
        _say(f"the book's kept figures are up to date as of {date.today().isoformat()}")
        return 0
    print(
        f"keeping {printable(place_name(_book_path(args)))} up to date; ctrl+c stops",
        file=sys.stderr,
        flush=True,
    )

    def failed(err: Exception) -> None:
        said = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"{PROG} keep: {printable(said)} (trying again)", file=sys.stderr, flush=True)

    import signal
    import threading

    stopped = threading.Event()  # ctrl+c, or a service manager's SIGTERM: a round ends whole
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        watch(db, stopped, failed=failed)
    return 0


def _check_both(*places: BookPlace) -> int:
    """`tui-crm check` of each book after a copy: one line each; 1 when either is not healthy."""
    from tui_crm.core.check import check_book
    from tui_crm.db.database import close_database, open_database

    healthy = True
    for place in places:
        try:
            health = check_book(open_database(place, create=False))
        finally:
            close_database()
        if health.healthy:
            _say(f"checked {place_name(place)}: healthy, {health.summary()}")
            continue
        healthy = False
        for problem in health.problems:
            _say(f"checked {place_name(place)}: {problem.line()}")
    return 0 if healthy else 1


def _trash(args: argparse.Namespace) -> int:
    from tui_crm.core.trash import trash_list

    table = args.format == "table"
    records = [
        {
            "id": item.id,
            "name": item.name,
            "company": item.company,
            "deleted": item.deleted_at.isoformat(sep=" ", timespec="minutes"),
            "who": item.who,
            "how": item.how,
            "interactions": item.interactions,
            "purchases": item.purchases,
        }
        for item in trash_list(_open(args))
    ]
    if table:
        for record in records:
            record["company"] = record["company"] if record["company"] != record["name"] else ""
    _emit(records, args.format, TRASH_COLUMNS, TRASH_TABLE, "the trash is empty")
    return 0


def _restore_customer(args: argparse.Namespace) -> int:
    from tui_crm.core.trash import restore_from_trash

    _say(restore_from_trash(_open(args), args.id))
    return 0


def _purge_customer(args: argparse.Namespace) -> int:
    from tui_crm.core.trash import purge_customer, trash_list

    db = _open(args)
    item = next((one for one in trash_list(db) if one.id == args.id), None)
    if item is None:
        raise CrmError(f"customer {args.id} is not in the trash (see tui-crm trash)")
    if not args.yes:
        if not sys.stdin.isatty():
            raise CrmError(f"purging {item.name} cannot be undone: add --yes to confirm")
        answer = input(
            f"Delete {printable(item.name)} (#{item.id}) for ever, with their interactions, "
            "purchases and history? This cannot be undone. Type yes: "
        )
        if answer.strip().lower() != "yes":
            _say("nothing was deleted")
            return 1
    _say(purge_customer(db, item.id, expected_version=item.version))
    return 0


def _say(text: object) -> None:
    """One line of a command's report on stdout, shown whole but never as terminal control."""
    line = str(text)
    print(printable(line, limit=len(line)))


class _TerminalLines:
    """A text stream for a terminal: each line written is shown through `printable`, whole."""

    def __init__(self, out) -> None:
        self.out = out
        self.pending = ""

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            self.out.write(_terminal_text(line.removesuffix("\r")) + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.out.write(_terminal_text(self.pending))
            self.pending = ""
        self.out.flush()


def _find_record(row) -> dict:
    from tui_crm.core.money import format_money

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
        text = printable(text, limit=width)
        if len(text) > width:
            text = text[: width - 1] + "…"
        return f"{text:{align}{width}}"

    out.write("  ".join(cell(title, w, a) for _, title, w, a in columns).rstrip() + "\n")
    for record in records:
        out.write("  ".join(cell(record[k], w, a) for k, _, w, a in columns).rstrip() + "\n")


def _customer(db, ref: str) -> int:
    """The customer an id or a unique name on the command line means (an id too large for the
    book to hold, or digits of another kind such as ², is nobody's)."""
    from tui_crm.core.customers import resolve_customer
    from tui_crm.errors import NotFound

    text = " ".join(ref.split()).lstrip("#")
    if text.isdigit() and (not text.isdecimal() or int(text) > LARGEST):
        raise NotFound(f"no customer with id {text}")
    return resolve_customer(db, ref)


def _emit_change(records: list[dict], form: str, columns, table, said: str) -> int:
    """What an action on many customers changed (or would change), one row each (a header or
    [] for none in CSV and JSON), then the line saying it: after the table, or on stderr
    beside CSV and JSON."""
    if records or form != "table":
        _emit(records, form, columns, table, "")
    print(said, file=sys.stdout if form == "table" else sys.stderr)
    return 0


TAG_COLUMNS = ("id", "name", "tags_before", "tags_after")
TAG_TABLE = (
    ("id", "ID", 6, ">"),
    ("name", "NAME", 24, "<"),
    ("tags_before", "TAGS BEFORE", 30, "<"),
    ("tags_after", "TAGS AFTER", 30, "<"),
)


def _tag(args: argparse.Namespace) -> int:
    from tui_crm.core.bulk_actions import parse_tag_changes, tag_customers

    words = [w.removeprefix(TAG_REMOVED) for w in args.words]
    first = next((n for n, w in enumerate(words) if w[:1] in ("+", "-")), len(words))
    query, changes = words[:first], words[first:]
    add, remove = parse_tag_changes(changes)
    db = _open(args)
    result = tag_customers(
        db,
        " ".join(query),
        add,
        remove,
        as_of=args.as_of or date.today(),
        dry_run=args.dry_run,
    )
    records = [
        {
            "id": c.id,
            "name": c.name,
            "tags_before": ", ".join(c.before),
            "tags_after": ", ".join(c.after),
        }
        for c in result.changes
    ]
    return _emit_change(
        records, args.format, TAG_COLUMNS, TAG_TABLE, result.summary(dry_run=args.dry_run)
    )


SET_COLUMNS = ("id", "name", "field", "before", "after")
SET_TABLE = (
    ("id", "ID", 6, ">"),
    ("name", "NAME", 24, "<"),
    ("field", "FIELD", 9, "<"),
    ("before", "BEFORE", 22, "<"),
    ("after", "AFTER", 22, "<"),
)


def _set(args: argparse.Namespace) -> int:
    import re

    from tui_crm.core.bulk_actions import parse_assignments, set_fields

    words = list(args.words)
    first = next((n for n, w in enumerate(words) if re.match(r"[A-Za-z_]+=", w)), len(words))
    values = parse_assignments(words[first:])
    db = _open(args)
    result = set_fields(
        db, " ".join(words[:first]), values, as_of=args.as_of or date.today(), dry_run=args.dry_run
    )
    records = [
        {"id": c.id, "name": c.name, "field": field, "before": before, "after": after}
        for c in result.changes
        for field, (before, after) in c.fields.items()
    ]
    return _emit_change(
        records, args.format, SET_COLUMNS, SET_TABLE, result.summary(dry_run=args.dry_run)
    )


LOG_ALL_COLUMNS = ("id", "name")
LOG_ALL_TABLE = (("id", "ID", 6, ">"), ("name", "NAME", 40, "<"))


def _log_all(args: argparse.Namespace) -> int:
    from tui_crm.core.bulk_actions import log_for_each
    from tui_crm.errors import ValidationError

    db = _open(args)
    try:
        result = log_for_each(
            db,
            " ".join(args.query),
            notes=args.note,
            kind=args.kind,
            outcome=args.outcome,
            at=args.at,
            as_of=args.as_of or date.today(),
            dry_run=args.dry_run,
        )
    except ValidationError as err:
        field, message = next(iter(err.errors.items()))
        option = {"notes": "note"}.get(field, field)
        raise CrmError(f"--{option.replace('_', '-')}: {message}") from None
    records = [{"id": cid, "name": name} for cid, name in result.customers]
    said = result.summary(dry_run=args.dry_run)
    return _emit_change(records, args.format, LOG_ALL_COLUMNS, LOG_ALL_TABLE, said)


def _snooze(args: argparse.Namespace) -> int:
    from tui_crm.core.bulk_actions import snooze_customers, snooze_day

    today = args.as_of or date.today()
    try:
        until = snooze_day(args.until, today)
    except CrmError as err:
        raise CrmError(f"--until: {err}") from None
    db = _open(args)
    result = snooze_customers(db, " ".join(args.query), until, as_of=today, dry_run=args.dry_run)
    records = [{"id": cid, "name": name} for cid, name in result.customers]
    said = result.summary(dry_run=args.dry_run)
    return _emit_change(records, args.format, LOG_ALL_COLUMNS, LOG_ALL_TABLE, said)


AGENDA_COLUMNS = (
    "day", "when", "id", "name", "phone", "tier", "value_12m", "promised", "what", "time"
)  # fmt: skip
AGENDA_TABLE = (
    ("day", "DAY", 10, "<"),
    ("when", "WHEN", 9, "<"),
    ("id", "ID", 6, ">"),
    ("name", "NAME", 22, "<"),
    ("phone", "PHONE", 17, "<"),
    ("value_12m", "VALUE 12M", 11, ">"),
    ("promised", "PROMISED", 30, "<"),
)


def _agenda(args: argparse.Namespace) -> int:
    from tui_crm.core.agenda import agenda, said_day
    from tui_crm.core.money import format_money

    db = _open(args)
    today = args.as_of or date.today()
    records = [
        {
            "day": item.day.isoformat(),
            "when": f"{said_day(item.day, today)} {item.time}".strip(),
            "id": item.customer.id,
            "name": item.customer.name,
            "phone": item.customer.phone,
            "tier": item.customer.tier,
            "value_12m": format_money(item.customer.value_12m).replace(",", ""),
            "promised": item.promised,
            "what": item.what,
            "time": item.time,
        }
        for item in agenda(db, today, args.days)
    ]
    _emit(records, args.format, AGENDA_COLUMNS, AGENDA_TABLE, "nothing due")
    return 0


PLAN_COLUMNS = ("scope", "touches")
PLAN_TABLE = (("scope", "PLAN FOR", 24, "<"), ("touches", "TOUCHES", 60, "<"))


def _plan(args: argparse.Namespace) -> int:
    from tui_crm.core import plans
    from tui_crm.errors import ValidationError

    db = _open(args)
    if args.scope is not None and args.touches is None:
        raise CrmError("give the plan's touches too: tui-crm plan SCOPE 'call every month'")
    if args.scope is None and args.new:
        raise CrmError("--new needs the new category's name and its touches")
    if args.scope is not None:
        try:
            touches = plans.parse_plan(args.touches)
            if args.new:
                plans.add_category(db, args.scope, touches=touches)
                said = f"added the category {printable(args.scope)}"
            else:
                with db.atomic():
                    before = plans.scope_plan(db, args.scope)
                    changed = plans.set_plan(db, args.scope, touches, expected=before)
                said = (
                    f"plan for {printable(args.scope)}: {plans.plan_text(touches) or 'no touches'}"
                    f" (was: {plans.plan_text(before) or 'no touches'})"
                    if changed
                    else f"the plan for {printable(args.scope)} is already that"
                )
        except ValidationError as err:
            raise CrmError(next(iter(err.errors.values()))) from None
        print(said, file=sys.stderr if args.format != "table" else sys.stdout)
        if args.format == "table":
            return 0
    records = [
        {"scope": plan.label, "touches": plans.plan_text(plan.touches)}
        for plan in plans.read_plans(db)
    ]
    _emit(records, args.format, PLAN_COLUMNS, PLAN_TABLE, "no plans")
    return 0


def _undo(args: argparse.Namespace) -> int:
    from tui_crm.core.config import user_of
    from tui_crm.core.undo import undo_last

    db = _open(args)
    print(printable(undo_last(db, who=user_of(db))))
    return 0


def _log(args: argparse.Namespace) -> int:
    from tui_crm.core.customers import get_profile, log_interaction
    from tui_crm.errors import ValidationError

    db = _open(args)
    customer_id = _customer(db, args.customer)
    try:
        logged_id = log_interaction(
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
    profile = get_profile(db, customer_id, date.today())
    logged = next((item for item in profile.interactions if item.id == logged_id), None)
    name = printable(profile.name)
    if logged is None:  # backdated behind the newest 200 of a busy customer's history
        print(f"logged {args.kind} with {name} (#{profile.id})")
        return 0
    text = f"logged {logged.kind} with {name} (#{profile.id}) at {logged.at:%Y-%m-%d %H:%M}"
    if logged.follow_up:
        text += f"; follow-up {logged.follow_up:%a %Y-%m-%d} {logged.follow_up_time}".rstrip()
    print(text)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from tui_crm.paths import demo_db_path

    path = _db_path(args) if getattr(args, "db", None) else demo_db_path()
    if on_server(path):
        count = _demo_on_server(path, customers=args.customers, seed=args.seed)
    else:
        count = make_demo(path, customers=args.customers, seed=args.seed)
    print(f"wrote a demo database with {count} customers to {printable(place_name(path))}")
    return 0


def _demo_on_server(url: str, *, customers: int, seed: int) -> int:
    """The demo customers written into a new book on a server, in one transaction; a book
    that holds anything is refused, never added to."""
    from tui_crm.core.config import require_whole_book
    from tui_crm.core.copy import is_new_book
    from tui_crm.core.demo import build_demo
    from tui_crm.db.database import close_database, open_database

    db = open_database(url)
    try:
        require_whole_book(db, "the demo")
        with db.atomic():
            if not is_new_book(db):
                raise CrmError(f"{place_name(url)} already holds a book; give another --db")
            return build_demo(db, customers=customers, seed=seed)
    finally:
        close_database()


DEMO_PREFIX = ".tui-crm-demo-"  # the demo book being built, beside where it will go


def make_demo(path: Path, *, customers: int, seed: int, today: date | None = None) -> int:
    """Build the demo book in a private temporary file beside `path`, then move it into place
    in one step. An existing book, a folder, a device or a pipe is refused, never replaced."""
    from tui_crm.core.demo import build_demo
    from tui_crm.db.database import open_database

    with _new_book_file(
        path,
        prefix=DEMO_PREFIX,
        hint="give a file name for the demo database",
        exists="remove it or give another --db",
    ) as partial:
        db = open_database(partial)
        count = build_demo(db, customers=customers, seed=seed, today=today)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return count


def _run_app(args: argparse.Namespace) -> int:
    import gc

    # No collector passes until the first rows are drawn (CrmApp.settle_in starts it again):
    # loading Textual and the app builds some hundred thousand objects that all stay, and
    # the passes looking through them as they grew cost 15-20 ms of the first frame.
    gc.disable()
    from tui_crm.core.config import settings

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the app would wait for keys that never come, or draw into a file.
        raise CrmError("the app needs a terminal; use a command such as `tui-crm find` in scripts")

    path = _demo_book(args) if getattr(args, "demo", False) else _db_path(args)
    from tui_crm.db.database import open_database

    db = open_database(path)
    settings()  # a broken config file is one line here, not a crash inside the app
    from tui_crm.ui.first_answer import start_first_answer

    # The first rows are read while Textual loads (the reading mostly waits on SQLite, which
    # lets the loading go on), not after the screen is built.
    first = start_first_answer(db, date.today)
    from tui_crm.paths import cache_dir
    from tui_crm.ui.app import CrmApp
    from tui_crm.ui.stylesheet import FILE_NAME, KeptStylesheet

    KeptStylesheet.keep_in(cache_dir() / FILE_NAME)  # the rules parsed at the last start
    app = CrmApp(db=db, db_path=path, fit_terminal=True, first=first)
    try:
        app.run()
    finally:
        KeptStylesheet.keep_on_disk()  # and the screens' opened since
    return 70 if app.return_code else 0  # an unexpected error ended it (said in one line)
