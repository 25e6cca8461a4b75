"""Many writers on one book through the command line (issue 20): processes started at once,
each logging calls (`tui-crm log`) and tagging (`tui-crm tag`) on the same few customers, and
afterwards every write is there, once, and each customer's figures agree with what was written.

Each writer is one Python interpreter that runs `tui_crm.cli.main([...])` once per write (the
command line's own path: parse, open the book, write, print; only the interpreter's start is
saved), so a few seconds hold 160 writes (on 2 cores about 5 s on PostgreSQL, 3 s on
SQLite). benchmarks/bench_writers.py runs the same
writers at 8 × 500 and prints their rates."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.commands import cli_env
from tui_crm.core.customers import create_customer, get_profile
from tui_crm.db.database import close_database, open_database
from tui_crm.db.store import store_of

pytestmark = pytest.mark.both_engines

ROOT = Path(__file__).resolve().parents[2]

WRITER = r"""
import contextlib, io, json, sys, time

from tui_crm.cli import main

print("ready", flush=True)
commands = json.loads(sys.stdin.readline())  # the line is the signal to start
done = []
for argv in commands:
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    done.append([code, time.perf_counter() - started, err.getvalue()])
print(json.dumps(done), flush=True)
"""


@dataclass(frozen=True)
class Write:
    """One command a writer runs, and what it must leave in the book."""

    writer: str
    customer: int
    argv: tuple[str, ...]
    note: str = ""  # a call logged with this note
    at: datetime | None = None
    tag: str = ""  # or this tag added


@dataclass(frozen=True)
class Outcome:
    seconds: float  # from the start signal until the last writer finished
    latencies: tuple[float, ...]  # of each write, as its writer timed it
    failures: tuple[str, ...]  # "writer: status: stderr" of each write that did not succeed


def plan_writes(
    place: str, customers: list[int], writers: int, writes: int, tag_every: int
) -> list[list[Write]]:
    """Each writer's commands: calls logged in turn on every customer (each with its own note
    and a moment of its own, in an order that is not the order of the moments), and every
    `tag_every`-th write a tag added to one customer (found by its city, c<n>)."""
    base = datetime.now().replace(second=0, microsecond=0) - timedelta(days=writes // 200 + 7)
    plans = []
    for w in range(writers):
        me = f"w{w}"
        plan = []
        for n in range(writes):
            which = (w + n) % len(customers)
            cid = customers[which]
            if tag_every and n % tag_every == tag_every - 1:
                tag = f"{me}-t{n:04d}"
                argv = ("tag", f"city:c{which}", f"+{tag}", "--db", place)
                plan.append(Write(me, cid, argv, tag=tag))
                continue
            note = f"{me} call {n:04d}"
            at = base + timedelta(minutes=(writes - n) * writers + w)  # later writes: earlier
            argv = ("log", str(cid), "--note", note, "--at", f"{at:%Y-%m-%d %H:%M}")
            if n % 5 == 0:
                argv += ("--follow-up", "+3d")
            plan.append(Write(me, cid, (*argv, "--db", place), note=note, at=at))
        plans.append(plan)
    return plans


def run_writers(home: Path, plans: list[list[Write]], timeout: float = 600) -> Outcome:
    """Start one process per plan, let them all begin at once, and wait for them."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**cli_env(home), "TUI_CRM_USER": plan[0].writer},
        )
        for plan in plans
    ]
    try:
        for proc in procs:  # every interpreter has imported the command line
            assert proc.stdout.readline() == "ready\n", proc.stderr.read()
        started = time.perf_counter()
        for proc, plan in zip(procs, plans, strict=True):
            proc.stdin.write(json.dumps([list(w.argv) for w in plan]) + "\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err
            results.append(json.loads(out))
        seconds = time.perf_counter() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    failures = [
        f"{w.writer}: {' '.join(w.argv[:2])}: status {code}: {err.strip()}"
        for plan, done in zip(plans, results, strict=True)
        for w, (code, _, err) in zip(plan, done, strict=True)
        if code != 0
    ]
    latencies = [took for done in results for _, took, _ in done]
    return Outcome(seconds, tuple(latencies), tuple(failures))


def missing_writes(db, plans: list[list[Write]], customers: list[int]) -> list[str]:
    """What the book does not hold of the writes planned: each note once, logged by its
    writer (or the book's role) at its moment; the count of calls; last contact; each tag, with one history line
    for each tag written, each line based on the one before. Empty when all is there."""
    wrong: list[str] = []
    writes = [w for plan in plans for w in plan]
    role = store_of(db).role()  # on a server, who writes is the database role
    for cid in customers:
        mine = [w for w in writes if w.customer == cid]
        calls = {w.note: w for w in mine if w.note}
        tags = {w.tag for w in mine if w.tag}
        profile = get_profile(db, cid, datetime.now().date(), history=10**6)
        notes = [i.notes for i in profile.interactions]
        if len(notes) != len(calls):
            wrong.append(f"#{cid}: {len(notes)} calls, not {len(calls)}")
        for note, w in calls.items():
            found = [i for i in profile.interactions if i.notes == note]
            if len(found) != 1:
                wrong.append(f"#{cid}: {note!r} found {len(found)} times")
            elif (found[0].at, found[0].logged_by) != (w.at, role or w.writer):
                wrong.append(f"#{cid}: {note!r} at {found[0].at} by {found[0].logged_by}")
        newest = max((w.at for w in calls.values()), default=None)
        if profile.last_contact != newest:
            wrong.append(f"#{cid}: last contact {profile.last_contact}, not {newest}")
        if set(profile.tags) != tags:
            wrong.append(f"#{cid}: tags lost {sorted(tags - set(profile.tags))}")
        lines = [c for c in profile.changes if c.field == "tags"]
        if len(lines) != len(tags) or profile.version != 1 + len(tags):
            wrong.append(f"#{cid}: {len(lines)} tag lines, version {profile.version}")
        # One chain from no tags to all of them: each line starts where another ended.
        steps = {c.old or "": c.new or "" for c in lines}
        held = ""
        while held in steps:
            held = steps.pop(held)
        if steps or held != ", ".join(profile.tags):
            wrong.append(f"#{cid}: tag history does not lead from none to {profile.tags}")
    return wrong


def book_with_customers(db, count: int) -> list[int]:
    """`count` customers, each with a city of its own (`c<n>`, for `tui-crm tag city:c<n>`);
    their ids."""
    return [
        create_customer(db, {"last_name": f"Writer{n}", "city": f"c{n}"}, who="setup")
        for n in range(count)
    ]


def test_eight_processes_writing_through_the_command_line_lose_no_write(
    db, book_place, home, capsys
):
    from tui_crm.cli import main

    customers = book_with_customers(db, 4)
    close_database()
    plans = plan_writes(book_place, customers, writers=8, writes=20, tag_every=10)
    outcome = run_writers(home, plans)
    assert outcome.failures == ()
    db = open_database(book_place, create=False)
    assert missing_writes(db, plans, customers) == []
    assert db.execute_sql("SELECT count(*) FROM interaction").fetchone()[0] == sum(
        1 for plan in plans for w in plan if w.note
    )
    close_database()
    capsys.readouterr()
    assert main(["check", "--db", book_place]) == 0, capsys.readouterr()
    count = sum(map(len, plans))
    print(f"\n{count} writes by 8 processes: {count / outcome.seconds:.0f} writes/s")
