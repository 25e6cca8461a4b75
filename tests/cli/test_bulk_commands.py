"""`tui-crm tag QUERY +tag -tag` as a user runs it (issue 19): `-old` is a tag to remove, not
an option; `--dry-run` prints who would change and changes nothing; the columns are a
contract for scripts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.books import Place, rows
from tests.cli.commands import run_cli
from tests.refusals import one_line_error
from tui_crm.core.customers import create_customer
from tui_crm.db.database import close_database, open_database


@pytest.fixture
def book(home: Path, book_place: str) -> str:
    db = open_database(book_place)
    for first, city, tags in (
        ("Anna", "Oslo", ["old"]),
        ("Kari", "Oslo", ["vip"]),
        ("Lars", "Bergen", ["old"]),
    ):
        create_customer(db, {"first_name": first, "last_name": "Berg", "city": city, "tags": tags})
    close_database()
    return book_place


def _tags(home: Path, book: Place) -> dict[str, str]:
    """Each customer's tags, as the book holds them."""
    held: dict[str, list[str]] = {
        name: [] for (name,) in rows(book, "SELECT first_name || ' ' || last_name FROM customer")
    }
    for name, tag in rows(
        book,
        "SELECT c.first_name || ' ' || c.last_name, t.name FROM customer c "
        "JOIN customer_tag ct ON ct.customer_id = c.id JOIN tag t ON t.id = ct.tag_id",
    ):
        held[name].append(tag)
    return {name: ", ".join(sorted(tags)) for name, tags in held.items()}


def test_a_dry_run_prints_who_would_change_and_changes_nothing(home, book):
    before = _tags(home, book)
    done = run_cli(home, "tag", "city:oslo", "+vip", "-old", "--dry-run", "--db", str(book))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TAGS", "BEFORE", "TAGS", "AFTER"]
    assert "Anna Berg" in lines[1] and lines[1].split()[-1] == "vip"
    assert (
        lines[-1] == "tags +vip -old: would change 1 of the 2 customers found (1 had them already)"
    )
    assert _tags(home, book) == before


def test_tags_are_added_and_removed_on_everyone_found(home, book):
    done = run_cli(home, "tag", "--db", str(book), "city:oslo", "+vip", "+fair", "-old")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("tags +vip +fair -old: changed 2 of the 2")
    assert _tags(home, book) == {
        "Anna Berg": "fair, vip",
        "Kari Berg": "fair, vip",
        "Lars Berg": "old",
    }


def test_csv_and_json_carry_the_changes_and_say_the_summary_on_stderr(home, book):
    done = run_cli(home, "tag", "city:oslo", "+vip", "--format", "csv", "--db", str(book))
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["name"], r["tags_before"], r["tags_after"]) for r in rows] == [
        ("Anna Berg", "old", "old, vip")
    ]
    assert set(rows[0]) == {"id", "name", "tags_before", "tags_after"}
    assert done.stderr.startswith("tags +vip: changed 1 of the 2")
    again = run_cli(home, "tag", "city:oslo", "+vip", "--format", "json", "--db", str(book))
    assert json.loads(again.stdout) == []  # nothing left to change
    assert "changed 0 of the 2" in again.stderr


@pytest.mark.parametrize(
    ("words", "error"),
    [
        (["city:oslo", "vip"], "say which tags to add or remove"),
        (["city:oslo", "+a;b"], "cannot hold a comma or semicolon"),
        (["city:oslo", "+vip", "-VIP"], "'vip' is both added and removed"),
        (["city:", "+vip"], "city:"),  # a query that does not parse
    ],
)
def test_bad_words_get_one_line_and_change_nothing(home, book, words, error):
    before = _tags(home, book)
    done = run_cli(home, "tag", *words, "--db", str(book))
    assert error in one_line_error(done.returncode, done.stdout, done.stderr)
    assert _tags(home, book) == before


def test_tui_crm_undo_takes_the_whole_action_back(home, book):
    before = _tags(home, book)
    run_cli(home, "tag", "city:oslo", "+fair", "-old", "--db", str(book))
    done = run_cli(home, "undo", "--db", str(book))
    assert (done.returncode, done.stdout) == (0, "Undid: tags +fair -old on 2 customers\n")
    assert _tags(home, book) == before
    again = run_cli(home, "undo", "--db", str(book))
    assert "nothing to undo" in one_line_error(again.returncode, again.stdout, again.stderr)


def test_set_prints_each_field_it_changes_and_undo_takes_it_back(home, book):
    done = run_cli(home, "set", "city:oslo", "owner=anna", "--format", "csv", "--db", str(book))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["name"], r["field"], r["before"], r["after"]) for r in rows] == [
        ("Anna Berg", "owner", "", "anna"),
        ("Kari Berg", "owner", "", "anna"),
    ]
    assert set(rows[0]) == {"id", "name", "field", "before", "after"}
    assert done.stderr.startswith('set owner="anna": changed 2 of the 2')
    refused = run_cli(home, "set", "city:oslo", "category=Gold", "--db", str(book))
    assert "no category named 'Gold'" in one_line_error(
        refused.returncode, refused.stdout, refused.stderr
    )
    undone = run_cli(home, "undo", "--db", str(book))
    assert undone.stdout == 'Undid: set owner="anna" on 2 customers\n'


def test_set_marks_everyone_found_lost_with_a_reason_and_refuses_lapsed(home, book):
    from datetime import date

    args = ("set", "city:oslo", "status=lost", "lost_reason=Moved away", "--format", "json")
    done = run_cli(home, *args, "--db", str(book))
    assert done.returncode == 0, done.stderr
    changed = {(r["name"], r["field"], r["before"], r["after"]) for r in json.loads(done.stdout)}
    assert changed == {
        (name, field, before, after)
        for name in ("Anna Berg", "Kari Berg")
        for field, before, after in (
            ("status", "active", "lost"),
            ("lost_reason", "", "Moved away"),
            ("lost_on", "", date.today().isoformat()),
        )
    }
    for words, says in (
        (["status=lost"], "say what broke the deal"),
        (["status=lapsed"], "status 'lapsed' cannot be set: active or lost"),
    ):
        refused = run_cli(home, "set", "city:bergen", *words, "--db", str(book))
        assert says in one_line_error(refused.returncode, refused.stdout, refused.stderr)
    assert rows(book, "SELECT count(*) FROM customer WHERE status = 'lost'") == [(2,)]


def test_log_all_logs_one_interaction_for_everyone_found(home, book):
    dry = run_cli(
        home,
        "log-all",
        "city:oslo",
        "--note",
        "Gift",
        "--kind",
        "thanks",
        "--dry-run",
        "--format",
        "json",
        "--db",
        str(book),
    )
    assert [r["name"] for r in json.loads(dry.stdout)] == ["Anna Berg", "Kari Berg"]
    assert dry.stderr == "would log thanks: Gift for 2 customers\n"
    done = run_cli(
        home, "log-all", "city:oslo", "--note", "Gift", "--kind", "thanks", "--db", str(book)
    )
    assert done.stdout.splitlines()[-1] == "logged thanks: Gift for 2 customers"
    found = run_cli(home, "find", "gift", "--format", "json", "--db", str(book))
    assert sorted(r["name"] for r in json.loads(found.stdout)) == ["Anna Berg", "Kari Berg"]
    bad = run_cli(home, "log-all", "city:oslo", "--note", "x", "--kind", "fax", "--db", str(book))
    assert "--kind: 'fax' is not one of" in one_line_error(bad.returncode, bad.stdout, bad.stderr)


def test_agenda_prints_the_follow_ups_due_with_the_contract_columns(home, book):
    from datetime import date, timedelta

    db = open_database(book)
    from tui_crm.core.customers import log_interaction

    anna = create_customer(db, {"first_name": "Nina", "last_name": "Lund"})
    log_interaction(db, anna, notes="Send the quote", follow_up=date.today() + timedelta(days=2))
    close_database()
    timed = run_cli(
        home,
        "log",
        "Kari Berg",
        "--note",
        "Visit",
        "--follow-up",
        "tomorrow 9:30",
        "--db",
        str(book),
    )
    assert timed.stdout.rstrip().endswith(
        f"; follow-up {date.today() + timedelta(days=1):%a %Y-%m-%d} 09:30"
    )
    done = run_cli(home, "agenda", "--format", "csv", "--db", str(book))
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == [
        "day", "when", "id", "name", "phone", "tier", "value_12m", "promised", "what", "time"
    ]  # fmt: skip
    assert [(r["name"], r["promised"], r["what"], r["when"], r["time"]) for r in rows] == [
        ("Kari Berg", "Visit", "follow-up", "tomorrow 09:30", "09:30"),
        ("Nina Lund", "Send the quote", "follow-up", rows[1]["when"], ""),
    ]
    assert rows[1]["day"] == (date.today() + timedelta(days=2)).isoformat()
    none = run_cli(home, "agenda", "--days", "0", "--db", str(book))
    assert (none.returncode, none.stdout, none.stderr.strip()) == (0, "", "nothing due")


# `tui-crm plan` ---------------------------------------------------------------------------


def test_plan_prints_every_plan_and_sets_one_by_scope(home, book):
    listed = run_cli(home, "plan", "--format", "csv", "--db", str(book))
    assert listed.returncode == 0, listed.stderr
    assert list(csv.DictReader(io.StringIO(listed.stdout))) == [
        {"scope": "Every customer", "touches": ""},
        {"scope": "Without a category", "touches": "contact every 3 months"},
    ]
    added = run_cli(home, "plan", "--new", "Key account", "quarterly meeting", "--db", str(book))
    assert added.returncode == 0, added.stderr
    assert added.stdout == "added the category Key account\n"
    changed = run_cli(
        home, "plan", "key ACCOUNT", "meeting every 3 months, call every month", "--db", str(book)
    )
    assert changed.stdout == (
        "plan for key ACCOUNT: meeting every 3 months, call every month "
        "(was: meeting every 3 months)\n"
    )
    everyone = run_cli(
        home, "plan", "everyone", "gift every year", "--format", "json", "--db", str(book)
    )
    assert everyone.stderr == "plan for everyone: thanks every year (was: no touches)\n"
    assert json.loads(everyone.stdout) == [
        {"scope": "Every customer", "touches": "thanks every year"},
        {"scope": "Without a category", "touches": "contact every 3 months"},
        {"scope": "Key account", "touches": "meeting every 3 months, call every month"},
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("key", "call every week"), "there is no category 'key'"),
        (("none", "dinner every week"), "'dinner' is not one of contact, call, meeting"),
        (("none",), "give the plan's touches too"),
        (("--new", "Key", "call every 2 moons"), "'moon' is not days, weeks, months or years"),
    ],
)
def test_a_bad_plan_gets_one_line_and_changes_nothing(home, book, args, says):
    before = run_cli(home, "plan", "--format", "csv", "--db", str(book)).stdout
    result = run_cli(home, "plan", *args, "--db", str(book))
    assert says in one_line_error(result.returncode, result.stdout, result.stderr)
    assert run_cli(home, "plan", "--format", "csv", "--db", str(book)).stdout == before


def test_snooze_leaves_everyone_found_out_of_the_queue_until_a_day_and_undo_brings_them(home, book):
    from datetime import date, timedelta

    def marks() -> int:
        return rows(book, "SELECT count(*) FROM attention_mark")[0][0]

    dry = run_cli(home, "snooze", "city:oslo", "--until", "+3w", "--dry-run", "--db", str(book))
    assert dry.returncode == 0, dry.stderr
    until = date.today() + timedelta(weeks=3)
    assert dry.stdout.rstrip().endswith(
        f"would snooze 2 of the 2 customers found until {until:%a %-d %b}"
    )
    assert marks() == 0
    done = run_cli(
        home, "snooze", "city:oslo", "--until", "+3w", "--format", "csv", "--db", str(book)
    )
    assert sorted(r["name"] for r in csv.DictReader(io.StringIO(done.stdout))) == [
        "Anna Berg",
        "Kari Berg",
    ]
    assert done.stderr.startswith("snoozed 2 of the 2 customers found")
    assert marks() > 0
    past = run_cli(home, "snooze", "city:bergen", "--until", "today", "--db", str(book))
    assert "--until: snooze until a day after" in one_line_error(
        past.returncode, past.stdout, past.stderr
    )
    undone = run_cli(home, "undo", "--db", str(book))
    assert undone.stdout.startswith("Undid: snoozed 2 customers until")
    assert marks() == 0
