"""The command line as a user runs it: a subprocess with its own home folder."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.books import Place, on_server, rows
from tests.cli.commands import cli_env, run_cli
from tui_crm.core.customers import create_customer
from tui_crm.db.database import close_database, open_database

REQUIRED = [
    "id",
    "name",
    "company",
    "email",
    "phone",
    "tier",
    "value_12m",
    "last_contact",
    "next_follow_up",
]


_env = cli_env
_run = run_cli


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tui-crm")
    return lines[0]


def _json(home: Path, *args: str, **env: str) -> list[dict]:
    result = _run(home, "find", "--format", "json", *args, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


_rows = rows


def _make_demo(path: Path) -> None:
    result = _run(
        path.parent / "home", "demo", "--db", str(path), "--customers", "60", "--seed", "1"
    )
    assert result.returncode == 0, result.stderr
    assert "60" in result.stdout


@pytest.fixture(scope="session")
def demo_file(books) -> Path:
    """`tui-crm demo` run once; each test works on its own copy."""
    return books.file("demo", _make_demo)


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def demo(books, demo_file, book_place, tmp_path, request) -> Place:
    """A private copy of the demo book where the test's book is (`book_place`): a file, or a
    database on the test cluster."""
    return books.copy("demo", _make_demo, tmp_path / "book.db", request)


@pytest.mark.sqlite_only  # the demo's file: its permissions, SQLite's own integrity checks
def test_demo_writes_a_private_consistent_database(tmp_path):
    # A demo of its own: the shared one may have been read already, and a read-only reader
    # (this test's) leaves SQLite's -wal and -shm files beside it.
    demo_file = tmp_path / "demo" / "demo.db"
    demo_file.parent.mkdir()
    _make_demo(demo_file)
    # Nothing half-written is left beside it (checked before this test reads the file).
    assert sorted(p.name for p in demo_file.parent.iterdir() if p.is_file()) == ["demo.db"]
    assert oct(demo_file.stat().st_mode & 0o777) == oct(0o600)
    assert _rows(demo_file, "SELECT count(*) FROM customer") == [(60,)]
    assert _rows(demo_file, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(demo_file, "PRAGMA foreign_key_check") == []
    assert _rows(demo_file, "SELECT count(*) FROM purchase")[0][0] > 60
    assert _rows(demo_file, "SELECT count(*) FROM interaction")[0][0] >= 60


# A file is never overwritten; on PostgreSQL, test_team_mode.py's
# test_a_copy_is_only_into_a_new_book_and_changes_nothing_else ("already holds a book").
@pytest.mark.sqlite_only
def test_demo_refuses_to_overwrite_an_existing_database(home, demo):
    before = demo.read_bytes()
    result = _run(home, "demo", "--db", str(demo), "--customers", "5")
    assert "already exists" in _one_line_error(result)
    assert demo.read_bytes() == before


def test_find_json_has_the_required_columns_and_names(home, demo):
    records = _json(home, "--db", str(demo), "--limit", "0")
    assert len(records) == 60
    assert all(list(r)[: len(REQUIRED)] == REQUIRED for r in records)
    names = {
        cid: f"{first} {last}".strip() or company
        for cid, first, last, company in _rows(
            demo, "SELECT id, first_name, last_name, company FROM customer"
        )
    }
    assert {r["id"]: r["name"] for r in records} == names
    assert all(" " in r["name"] for r in records)  # "First Last"
    assert {r["tier"] for r in records} <= {"gold", "silver", ""}
    assert {r["tier"] for r in records} >= {"gold", "silver"}


def test_find_csv_and_table_show_the_same_customers_as_json(home, demo):
    records = _json(home, "--db", str(demo), "smith")
    assert records
    result = _run(home, "find", "--db", str(demo), "--format", "csv", "smith")
    assert result.returncode == 0, result.stderr
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames[: len(REQUIRED)] == REQUIRED
    rows = list(reader)
    assert rows == [{k: str(v) for k, v in r.items()} for r in records]
    table = _run(home, "find", "--db", str(demo), "smith")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "NAME", "COMPANY"]
    assert len(lines) == len(records) + 1
    for line, record in zip(lines[1:], records, strict=True):
        assert line.split()[0] == str(record["id"])
        assert record["name"][:20] in line


def test_limit_and_an_empty_query_listing_everyone(home, demo):
    everyone = _json(home, "--db", str(demo), "--limit", "0")
    assert len(everyone) == _rows(demo, "SELECT count(*) FROM customer")[0][0]
    assert _json(home, "--db", str(demo), "--limit", "5") == everyone[:5]
    assert len(_json(home, "--db", str(demo))) == 50  # the default limit


def test_find_filters_with_the_query_language(home, demo):
    gold = _json(home, "--db", str(demo), "--limit", "0", "tier:gold")
    assert gold and all(r["tier"] == "gold" for r in gold)
    spenders = _json(home, "--db", str(demo), "--limit", "0", "spent12m>1000", "sort:-value")
    values = [float(r["value_12m"]) for r in spenders]
    assert values == sorted(values, reverse=True) and min(values) > 1000


@pytest.mark.parametrize(
    ("query", "token"),
    [
        ("colour:red", "colour:red"),
        ("spent30d>abc", "spent30d>abc"),
        ('city:"New York', 'city:"New York'),
        ("sort:", "sort:"),
        ("sort:name,city,company", "sort:name,city,company"),
    ],
)
def test_a_bad_query_is_one_line_on_stderr(home, demo, query, token):
    result = _run(home, "find", "--db", str(demo), query)
    assert token in _one_line_error(result)
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["find", "--limit", "abc"],
        ["find", "--format", "xml"],
        ["find", "--as-of", "2026-13-01"],
        ["log", "1"],
        ["frobnicate"],
    ],
)
def test_a_bad_argument_is_one_line_on_stderr(home, demo, args):
    result = _run(home, *args, "--db", str(demo))
    assert result.returncode == 2
    _one_line_error(result)


def _by_id(home: Path, demo: Place, cid: int) -> dict:
    return next(r for r in _json(home, "--db", str(demo), "--limit", "0") if r["id"] == cid)


def test_log_by_id_sets_the_follow_up(home, demo):
    at = datetime.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    # A customer for whom this is the newest contact (the demo plans some for later today).
    cid = _rows(
        demo,
        "SELECT min(id) FROM customer c WHERE NOT EXISTS "
        "(SELECT 1 FROM interaction i WHERE i.customer_id = c.id AND i.at >= ?)",
        (at.date().isoformat(),),
    )[0][0]
    result = _run(
        home,
        "log",
        str(cid),
        "--db",
        str(demo),
        "--note",
        "Wants a quote",
        "--at",
        f"{at:%Y-%m-%d %H:%M}",
        "--follow-up",
        "+1w",
    )
    assert result.returncode == 0, result.stderr
    assert f"#{cid}) at {at:%Y-%m-%d %H:%M}" in result.stdout
    record = _by_id(home, demo, cid)
    assert record["next_follow_up"] == (at.date() + timedelta(days=7)).isoformat()
    assert record["last_contact"] == at.date().isoformat()
    assert _rows(
        demo,
        "SELECT kind, notes, logged_by FROM interaction WHERE customer_id = ? "
        "ORDER BY at DESC LIMIT 1",
        (cid,),
    ) == [("call", "Wants a quote", "tester")]


def test_log_by_unique_name_sets_the_follow_up_from_today(home, demo):
    today = date.today()
    unique = _rows(
        demo,
        "SELECT first_name, last_name, min(id) FROM customer WHERE first_name <> '' "
        "AND last_contact_at < ? GROUP BY first_name, last_name HAVING count(*) = 1 "
        "ORDER BY min(id)",
        (today.isoformat(),),
    )
    first, last, cid = unique[0]
    result = _run(
        home, "log", f"{first} {last}", "--db", str(demo), "--note", "Called", "--follow-up", "+1w"
    )
    assert result.returncode == 0, result.stderr
    after = date.today()
    record = _by_id(home, demo, cid)
    assert record["next_follow_up"] in {
        (today + timedelta(days=7)).isoformat(),
        (after + timedelta(days=7)).isoformat(),
    }
    assert record["last_contact"] in {today.isoformat(), after.isoformat()}


@pytest.fixture
def two_annas(tmp_path, monkeypatch, book_place) -> Place:
    monkeypatch.setenv("TUI_CRM_HOME", str(tmp_path / "setup-home"))
    path = book_place
    db = open_database(path)
    create_customer(db, {"first_name": "Anna", "last_name": "Berg", "city": "Oslo"})
    create_customer(db, {"first_name": "Anna", "last_name": "Berg", "city": "Bergen"})
    create_customer(db, {"first_name": "Øyvind", "last_name": "Ålesund"})
    close_database()
    return path


def test_an_ambiguous_name_lists_the_candidates_and_logs_nothing(home, two_annas):
    result = _run(home, "log", "anna berg", "--db", str(two_annas), "--note", "hi")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert "2 customers" in lines[0]
    assert len(lines) == 3
    assert "Oslo" in lines[1] and lines[1].split()[0] == "1"
    assert "Bergen" in lines[2] and lines[2].split()[0] == "2"
    assert _rows(two_annas, "SELECT count(*) FROM interaction") == [(0,)]


def test_log_finds_a_name_with_letters_beyond_ascii(home, two_annas):
    result = _run(home, "log", "øyvind ålesund", "--db", str(two_annas), "--note", "hei")
    assert result.returncode == 0, result.stderr
    assert _rows(two_annas, "SELECT customer_id FROM interaction") == [(3,)]


def test_find_status_is_the_one_status_search_and_the_queue_agree_on(home, demo):
    """The status column is lost as typed, lapsed as the purchases say, else active: the same
    customers `status:` finds, and the queue's lapsed reason is among the lapsed."""
    everyone = _json(home, "--db", str(demo), "--limit", "0")
    assert {r["status"] for r in everyone} <= {"active", "lapsed", "lost"}
    for status in ("active", "lapsed", "lost"):
        records = _json(home, "--db", str(demo), "--limit", "0", f"status:{status}")
        found = {r["id"] for r in records}
        assert found == {r["id"] for r in everyone if r["status"] == status}, status
        assert found, f"the demo book has {status} customers"
    lapsed = {r["id"] for r in everyone if r["status"] == "lapsed"}
    queue = {r["id"] for r in _attention(home, demo, "--limit", "0", "--reason", "lapsed")}
    assert queue <= lapsed


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["Nobody Here", "--note", "x"], "no customer"),
        (["999", "--note", "x"], "no customer"),
        (["1", "--note", "  "], "--note:"),
        (["1", "--note", "x", "--follow-up", "someday"], "--follow-up:"),
        (["1", "--note", "x", "--at", "2026-05-05", "--follow-up", "2026-05-01"], "--follow-up:"),
        (["1", "--note", "x", "--kind", "telepathy"], "--kind:"),
        (["1", "--note", "x", "--at", "noon"], "--at:"),
    ],
)
def test_a_log_that_cannot_be_saved_is_one_line_and_changes_nothing(home, demo, args, words):
    before = _rows(demo, "SELECT count(*) FROM interaction")
    result = _run(home, "log", *args, "--db", str(demo))
    assert words in _one_line_error(result)
    assert _rows(demo, "SELECT count(*) FROM interaction") == before


@pytest.mark.parametrize(
    "content",
    [b"name,email\nAnna,anna@example.com\n", bytes(range(256)) * 64, b"SQLite format 3\x00" * 9],
)
@pytest.mark.parametrize(
    "command",
    [
        ["find"],
        ["log", "1", "--note", "x"],
        ["attention"],
        ["referrals"],
        ["duplicates"],
        ["export"],
        ["import", "{file}"],
    ],
)
@pytest.mark.sqlite_only  # a file of something else given as the book's file
def test_a_file_that_is_not_a_database_is_refused_and_left_alone(home, tmp_path, content, command):
    path = tmp_path / "contacts.csv"
    path.write_bytes(content)
    command = [arg.replace("{file}", str(path)) for arg in command]
    result = _run(home, *command, "--db", str(path))
    assert "contacts.csv" in _one_line_error(result)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.csv"]


@pytest.mark.sqlite_only  # a folder given as the book's file
def test_a_folder_given_as_the_database_is_refused(home, tmp_path):
    result = _run(home, "find", "--db", str(tmp_path))
    assert "folder" in _one_line_error(result)


def test_tui_crm_db_is_honoured_and_db_overrides_it(home, demo, tmp_path):
    assert len(_json(home, "--limit", "0", TUI_CRM_DB=str(demo))) == 60
    missing = tmp_path / "typo.db"
    line = _one_line_error(_run(home, "find", "--db", str(missing), TUI_CRM_DB=str(demo)))
    assert "no database at" in line and str(missing) in line
    assert not missing.exists()  # a typo never creates a new, empty book
    assert not (home / "data").exists()


@pytest.mark.sqlite_only  # the default book is a file, and its permissions are the test
def test_without_db_the_default_database_is_created_privately(home):
    assert _json(home) == []
    path = home / "data" / "crm.db"
    assert path.exists()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    "argv",
    [
        ["find", "--db", "{db}", "smith", "--format", "json"],
        ["find", "--db", "{db}", "colour:red"],
        ["log", "--db", "{db}", "1", "--note", "no textual here"],
        ["attention", "--db", "{db}", "--format", "csv"],
        ["referrals", "--db", "{db}"],
        ["duplicates", "--db", "{db}", "--format", "json"],
        ["export", "--db", "{db}", "--format", "vcard", "tag:vip"],
        ["import", "--db", "{db}", "--dry-run", "{csv}"],
    ],
)
def test_one_shot_commands_never_import_textual(home, demo, argv, tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text("First Name,Last Name,E-mail Address\nAnn,Lee,ann@example.com\n")
    argv = [a.replace("{db}", str(demo)).replace("{csv}", str(contacts)) for a in argv]
    code = (
        "import sys\n"
        "from tui_crm.cli import main\n"
        f"status = main({argv!r})\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
        "print('status', status)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(home), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] in {"status 0", "status 1"}


# What `tui-crm find` never loads, so that it starts fast over SSH (issue 18): phone number
# metadata (lists show the text kept with each number), the needs-attention queue and the
# referral tree (statuses need only the lapsed rule), backups and migrations (the book is
# up to date), and PostgreSQL's driver (peewee would load it whenever it is installed).
FIND_NEVER_LOADS = (
    "phonenumbers",
    "psycopg",
    "tui_crm.db.postgres",
    "tui_crm.core.attention",
    "tui_crm.core.referrals",
    "tui_crm.db.backup",
    "tui_crm.db.migrations.m0",
)


@pytest.mark.parametrize(
    "query",
    [[], ["rob"], ["status:lapsed", "--format", "json"], ["tier:gold", "--format", "csv"]],
)
def test_find_loads_no_phone_metadata_queue_or_migration(home, demo, query):
    argv = ["find", *query, "--db", str(demo)]
    # A book on PostgreSQL is read through its driver and the app's code for it.
    never = tuple(
        name
        for name in FIND_NEVER_LOADS
        if not (on_server(demo) and name in ("psycopg", "tui_crm.db.postgres"))
    )
    code = (
        "import sys\n"
        "from tui_crm.cli import main\n"
        f"status = main({argv!r})\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({never!r}))\n"
        "print('status', status, 'loaded', loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(home), timeout=60
    )
    assert result.returncode == 0, result.stderr
    *shown, last = result.stdout.strip().splitlines()
    assert last == "status 0 loaded []"
    assert any("+" in line for line in shown)  # rows with their phone numbers were printed


ATTENTION_REQUIRED = ["id", "name", "reason_code", "reason", "score"]


def _attention(home: Path, demo: Place, *args: str) -> list[dict]:
    result = _run(home, "attention", "--db", str(demo), "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_attention_prints_the_queue_one_row_per_customer_and_reason(home, demo):
    from tui_crm.core.attention import attention_queue

    today = date.today()
    records = _attention(home, demo, "--limit", "0", "--as-of", today.isoformat())
    assert records and all(list(r)[:5] == ATTENTION_REQUIRED for r in records)
    db = open_database(demo)
    try:
        queue = attention_queue(db, today)
    finally:
        close_database()
    expected = [
        (item.customer_id, item.name, reason.code, reason.text, reason.score)
        for item in queue
        for reason in item.reasons
    ]
    assert [tuple(r[k] for k in ATTENTION_REQUIRED) for r in records] == expected
    ranks = [r["rank"] for r in records]
    assert ranks == sorted(ranks) and ranks[-1] == len(queue)


def test_attention_csv_matches_json_and_limit_counts_customers(home, demo):
    records = _attention(home, demo, "--limit", "3")
    assert {r["rank"] for r in records} == {1, 2, 3}
    result = _run(home, "attention", "--db", str(demo), "--format", "csv", "--limit", "3")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows == [{k: str(v) for k, v in r.items()} for r in records]
    table = _run(home, "attention", "--db", str(demo), "--limit", "3")
    assert table.returncode == 0 and records[0]["name"] in table.stdout


def test_attention_carries_the_customer_score_that_orders_the_queue(home, demo):
    records = _attention(home, demo, "--limit", "0")
    assert list(records[0])[4:6] == ["score", "customer_score"]  # right after the reason's
    by_customer = {r["id"]: r["customer_score"] for r in records}
    assert all(r["customer_score"] == by_customer[r["id"]] for r in records)
    ordered = [by_customer[i] for i in dict.fromkeys(r["id"] for r in records)]
    assert ordered == sorted(ordered, reverse=True)  # the queue's order, unlike the reasons'
    assert all(r["score"] <= r["customer_score"] for r in records)
    result = _run(home, "attention", "--db", str(demo), "--format", "csv", "--limit", "2")
    header = result.stdout.splitlines()[0]
    assert header.startswith("id,name,reason_code,reason,score,customer_score,rank,")
    # The table shows the customer's score once, beside the name.
    table = _run(home, "attention", "--db", str(demo), "--limit", "2").stdout.splitlines()
    first = records[0]
    assert f"{first['customer_score']}" in table[1] and first["name"] in table[1]


def test_attention_by_reason(home, demo):
    records = _attention(home, demo, "--limit", "0", "--reason", "cadence", "--reason", "lapsed")
    assert records
    assert {r["reason_code"] for r in records} <= {"cadence", "lapsed"}
    lapsed = {r["id"] for r in records if r["reason_code"] == "lapsed"}
    found = {r["id"] for r in _json(home, "--db", str(demo), "--limit", "0", "reason:lapsed")}
    assert found == lapsed


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--reason", "bored"], "unknown reason 'bored'"),
        (["--as-of", "someday"], "someday"),
        (["--limit", "-1"], "--limit"),
        (["--format", "xml"], "xml"),
    ],
)
def test_a_bad_attention_argument_is_one_line(home, demo, args, words):
    result = _run(home, "attention", "--db", str(demo), *args)
    assert words in _one_line_error(result)


def test_referrals_prints_the_forest_as_the_core_renders_it(home, demo):
    from tui_crm.core.referrals import referral_forest, render_tree

    today = date.today()
    result = _run(home, "referrals", "--db", str(demo), "--as-of", today.isoformat())
    assert result.returncode == 0, result.stderr
    db = open_database(demo)
    try:
        expected = render_tree(referral_forest(db, today))
    finally:
        close_database()
    lines = result.stdout.splitlines()
    assert lines == expected
    assert lines[0][0] != " " and any(line.startswith("  ") for line in lines)
    assert any("(not thanked)" in line for line in lines)


def test_referrals_centred_on_a_customer_by_id_or_name(home, demo):
    # Anyone two levels down a chain: their line is indented by two steps.
    everyone = _run(home, "referrals", "--db", str(demo)).stdout.splitlines()
    line = next(line for line in everyone if line.startswith("    ") and line[4] != " ")
    name, cid = line.strip().split("  ")[0].rsplit(" #", 1)
    by_id = _run(home, "referrals", cid, "--db", str(demo))
    assert by_id.returncode == 0, by_id.stderr
    centred = by_id.stdout.splitlines()
    assert len(centred) >= 3 and centred[2].strip().startswith(f"{name} #{cid}")
    assert centred[0] in everyone and not centred[0].startswith(" ")
    assert set(centred) <= set(everyone)
    by_name = _run(home, "referrals", name, "--db", str(demo))
    if by_name.returncode == 0:  # a unique name gives the same tree
        assert by_name.stdout.splitlines() == centred


def test_referrals_of_a_customer_without_any(home, demo):
    db = open_database(demo)
    try:
        cid = create_customer(db, {"first_name": "Lone", "last_name": "Wolf"})
    finally:
        close_database()
    result = _run(home, "referrals", str(cid), "--db", str(demo))
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.strip() == f"Lone Wolf (#{cid}) has no referrals, in or out"


@pytest.mark.parametrize(
    ("args", "words"),
    [(["999999"], "999999"), (["Nobody Atall"], "Nobody Atall"), (["--as-of", "soon"], "soon")],
)
def test_a_bad_referrals_argument_is_one_line(home, demo, args, words):
    result = _run(home, "referrals", "--db", str(demo), *args)
    assert words in _one_line_error(result)


def test_duplicates_prints_one_row_per_pair_in_every_format(home, demo):
    from tui_crm.core.duplicates import find_duplicate_pairs

    db = open_database(demo)
    try:
        pairs = find_duplicate_pairs(db)
    finally:
        close_database()
    assert pairs  # the demo book plants Rob and Robert Smith
    result = _run(home, "duplicates", "--db", str(demo), "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [list(r) for r in records[:1]] == [
        ["a_id", "a_name", "b_id", "b_name", "reason", "reason_codes", "score"]
    ]
    assert [(r["a_id"], r["b_id"], r["reason"], r["score"]) for r in records] == [
        (p.a.id, p.b.id, p.reason_text, p.score) for p in pairs
    ]
    assert any({r["a_name"], r["b_name"]} == {"Rob Smith", "Robert Smith"} for r in records)
    csv_rows = list(
        csv.DictReader(
            io.StringIO(_run(home, "duplicates", "--db", str(demo), "--format", "csv").stdout)
        )
    )
    assert csv_rows == [{k: str(v) for k, v in r.items()} for r in records]
    table = _run(home, "duplicates", "--db", str(demo)).stdout.splitlines()
    assert table[0].split()[:3] == ["SCORE", "ID", "NAME"] and len(table) == len(pairs) + 1


def test_duplicates_on_a_book_without_any(home, book_place):
    path = book_place
    db = open_database(path)
    try:
        create_customer(db, {"first_name": "Ada", "last_name": "Lovelace"})
    finally:
        close_database()
    result = _run(home, "duplicates", "--db", str(path))
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.strip() == "no probable duplicates"


def _customers(path: Place) -> int:
    return _rows(path, "SELECT count(*) FROM customer WHERE deleted_at IS NULL")[0][0]


def test_export_csv_then_import_into_an_empty_book_and_back_gives_the_same_file(
    home, demo, tmp_path
):
    first = tmp_path / "book.csv"
    result = _run(home, "export", "--db", str(demo), "--format", "csv", "-o", str(first))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"tui-crm: 60 customers to {first}"
    other_home = tmp_path / "other"
    imported = _run(other_home, "import", str(first))  # the default book, created on first use
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines()[0].startswith(
        "book.csv (tui-crm, 60 rows): customers 60 added"
    )
    again = _run(other_home, "export", "-o", str(tmp_path / "again.csv"))
    assert again.returncode == 0, again.stderr

    def without_ids(path: Path) -> list[list[str]]:
        return sorted(row[1:] for row in csv.reader(io.StringIO(path.read_text())))

    assert without_ids(tmp_path / "again.csv") == without_ids(first)
    reimported = _run(other_home, "import", str(first))
    assert "0 added, 0 updated, 60 unchanged" in reimported.stdout


def test_import_keeps_what_it_cannot_verify_and_rejects_only_what_identifies_no_one(
    home, demo, tmp_path
):
    path = tmp_path / "outlook.csv"
    path.write_bytes(
        (
            "First Name,Last Name,Company,E-mail Address,Mobile Phone,Birthday,Notes\r\n"
            'Zed,Alpha,Acme,zed@example.com,(212) 555-0100,4/15/1980,"two\r\nlines"\r\n'
            "Bad,Mail,Acme,not-an-email,,,\r\n"
            "Yan,Beta,Acme,yan@example.com,,someday,\r\n"
            "Xu,Gamma,Acme,xu@example.com,,,\r\n"
            ",,,,,4/15/1980,Only a note\r\n"
        ).encode("cp1252")
    )
    before = _customers(demo)
    dry = _run(home, "import", "--db", str(demo), "--dry-run", str(path))
    assert dry.returncode == 0, dry.stderr
    assert "dry run, nothing written: would be 4 added" in dry.stdout
    strict = _run(home, "import", "--db", str(demo), "--strict", str(path))
    assert strict.returncode == 1
    assert "nothing imported: --strict and 1 of 5 rows are bad" in strict.stdout
    assert _customers(demo) == before
    real = _run(home, "import", "--db", str(demo), str(path))
    assert real.returncode == 0, real.stderr
    lines = real.stdout.splitlines()
    assert "customers 4 added, 0 updated, 0 unchanged, 1 rejected" in lines[0]
    assert "2 with values kept as given" in lines[0]
    assert (
        "  line 7: nothing identifies a person or a company: "
        "no name, company, nickname, email or phone"
    ) in lines
    assert (
        "  line 4: Bad Mail (added): emails: 'not-an-email' is not a valid email address; "
        "kept in the notes"
    ) in lines
    assert (
        "  line 5: Yan Beta (added): birthday: 'someday' is not a date; kept in the notes" in lines
    )
    assert _customers(demo) == before + 4
    notes = _rows(demo, "SELECT notes, birthday FROM customer WHERE first_name = 'Zed'")
    assert notes == [("two\nlines", "1980-04-15")]
    kept = _rows(
        demo, "SELECT notes FROM customer WHERE first_name IN ('Bad', 'Yan') ORDER BY first_name"
    )
    assert "not-an-email" in kept[0][0] and "someday" in kept[1][0]


def test_import_with_map_and_purchases_by_email(home, demo, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("Kunde,Mail\nAda Lovelace,ada@example.com\n")
    mapped = _run(
        home,
        "import",
        "--db",
        str(demo),
        "--map",
        "Kunde=last_name",
        "--map",
        "Mail=email",
        str(people),
    )
    assert mapped.returncode == 0, mapped.stderr
    assert "1 added" in mapped.stdout
    sales = tmp_path / "sales.csv"
    sales.write_text("email,date,amount,invoice\nada@example.com,2026-01-05,1234.50,INV-1\n")
    bought = _run(home, "import", "--db", str(demo), str(sales))
    assert "purchases 1 added" in bought.stdout
    assert _rows(demo, "SELECT cents, invoice_ref FROM purchase WHERE invoice_ref = 'INV-1'") == [
        (123450, "INV-1")
    ]
    assert "0 added" in _run(home, "import", "--db", str(demo), str(sales)).stdout


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        (b"", [], "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", [], "binary"),
        (b"BEGIN:VCARD\nVERSION:3.0\nFN:Ann\n", [], "truncated"),
        (b'Name,Email\nAnn,"ann@example.com\n', [], "truncated"),
        (b"a,b,c\n1,2,3\n", [], "no column holds a name"),
        (b"Name,Email\nAnn,ann@example.com\n", ["--format", "vcard"], "not a vCard"),
        (b"Name,Email\nAnn,ann@example.com\n", ["--map", "Nope=email"], "no column 'Nope'"),
        (b"Name,Email\nAnn,ann@example.com\n", ["--map", "Name"], "COLUMN=FIELD"),
    ],
)
def test_a_file_import_cannot_read_is_one_line_and_changes_nothing(
    home, demo, tmp_path, content, args, words
):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    before = _customers(demo)
    line = _one_line_error(_run(home, "import", "--db", str(demo), *args, str(path)))
    assert words in line
    assert _customers(demo) == before


def test_export_emails_leaves_out_opted_out_and_labels_print_in_postal_order(home, demo, tmp_path):
    opted = _rows(demo, "SELECT count(*) FROM customer WHERE email_opt_out")[0][0]
    assert opted > 0
    result = _run(home, "export", "--db", str(demo), "--format", "emails")
    assert result.returncode == 0, result.stderr
    sent = result.stdout.splitlines()
    opted_out = {
        row[0]
        for row in _rows(
            demo,
            "SELECT e.address FROM customer_email e JOIN customer c ON c.id = e.customer_id "
            "WHERE c.email_opt_out",
        )
    }
    assert sent and not any(line.split("<")[-1].rstrip(">") in opted_out for line in sent)
    assert f"left out {opted} opted out of email" in result.stderr
    labels = _run(
        home, "export", "--db", str(demo), "--format", "labels", "-o", str(tmp_path / "l.txt")
    )
    assert labels.returncode == 0, labels.stderr
    blocks = (tmp_path / "l.txt").read_text().split("\n\n")
    assert len(blocks) >= 10 and all(len(block.splitlines()) >= 3 for block in blocks)


def test_export_to_a_missing_folder_is_one_line_and_writes_nothing(home, demo, tmp_path):
    line = _one_line_error(
        _run(home, "export", "--db", str(demo), "-o", str(tmp_path / "no" / "x.csv"))
    )
    assert "does not exist" in line
