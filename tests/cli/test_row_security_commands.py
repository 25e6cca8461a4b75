"""The command line of a team whose salespeople see only their own customers (issue 20, README
"Team mode"): what ole, restricted to his customers, gets from each command, and the team's
keeper (`tui-crm keep --watch`, run as mona) that keeps his queue up to date."""

from __future__ import annotations

import csv
import io
import signal
import subprocess
import sys
import time

import pytest

from tests.cli.commands import cli_env, run_cli
from tests.teams import restricted_team

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def team(pg_cluster, tmp_path_factory):
    """The demo's 60 customers in the team's book, Oslo's given to ole (made once: only the
    keeper's test writes, a follow-up no other test reads)."""
    with restricted_team(pg_cluster, "cli") as made:
        home = tmp_path_factory.mktemp("team") / "home"
        mona, ole = made["urls"]["mona"], made["urls"]["ole"]
        for args in (
            ("demo", "--customers", "60", "--seed", "1"),
            ("set", "city:oslo", f"owner={made['names']['ole']}"),
            ("keep",),
        ):
            done = run_cli(home, *args, "--db", mona)
            assert done.returncode == 0, done.stderr
        yield {"home": home, "mona": mona, "ole": ole, **made}


def _ids(team, person: str, *query: str) -> set[int]:
    done = run_cli(
        team["home"], "find", *query, "--limit", "0", "--format", "csv", "--db", team[person]
    )
    assert done.returncode == 0, done.stderr
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(done.stdout))}


def _queue(team, person: str, reason: str) -> set[int]:
    done = run_cli(
        team["home"], "attention", "--reason", reason, "--format", "csv", "--db", team[person]
    )
    assert done.returncode == 0, done.stderr
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(done.stdout))}


def test_ole_finds_and_exports_only_his_customers(team):
    oslo = _ids(team, "mona", "city:oslo")
    assert oslo and _ids(team, "ole") == oslo
    assert _ids(team, "ole", "owner:me") == oslo
    assert len(_ids(team, "mona")) == 60
    done = run_cli(team["home"], "export", "--format", "csv", "-o", "-", "--db", team["ole"])
    assert done.returncode == 0, done.stderr
    assert len(list(csv.DictReader(io.StringIO(done.stdout)))) == len(oslo)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("check",), "a check needs the whole book"),
        (("check", "--repair"), "a repair needs the whole book"),
        (("keep",), "keeping the book's figures needs the whole book"),
        (("backup",), "a backup needs the whole book"),
    ],
)
def test_what_needs_the_whole_book_is_refused_to_ole_in_one_line(team, args, said):
    done = run_cli(team["home"], *args, "--db", team["ole"])
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_the_keeper_brings_oles_queue_up_to_date_within_seconds(team):
    home = team["home"]
    keeper = subprocess.Popen(
        [sys.executable, "-m", "tui_crm", "keep", "--watch", "--db", team["mona"]],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # One of his customers with no follow-up due yet (whatever an earlier run logged).
        someone = min(_ids(team, "ole") - _queue(team, "ole", "follow_up_due"))
        done = run_cli(
            home, "log", str(someone), "--note", "call back", "--follow-up", "today",
            "--db", team["ole"],
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 20
        while someone not in _queue(team, "ole", "follow_up_due"):
            assert time.monotonic() < deadline, "the keeper never brought the queue up to date"
            time.sleep(0.2)
    finally:
        keeper.send_signal(signal.SIGTERM)
        out, err = keeper.communicate(timeout=30)
    assert keeper.returncode == 0, err
    assert err.splitlines()[0].startswith("keeping ") and "Traceback" not in err
