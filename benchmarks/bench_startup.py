"""Process start → first frame with rows, beside a minimal Textual app measured in the same run.

Each run starts a fresh process on a pseudo-terminal (as a salesperson's SSH session does),
with the modules' bytecode kept as an installed app has it, and times until the terminal has
been sent the first rows: for tui-crm the results' count
line ("… customers"), for the floor a minimal Textual app (Header, Input, DataTable with one
row) its row. The book is one built by `bench.py --db PATH --keep`.

    python benchmarks/bench_startup.py --db /tmp/bench.db [--runs 7]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import print_table  # noqa: E402

MINIMAL_APP = """
from textual.app import App
from textual.widgets import DataTable, Header, Input

class Minimal(App):
    def compose(self):
        yield Header()
        yield Input(placeholder="Search")
        yield DataTable()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Name", "Phone")
        table.add_row("FIRSTROW", "+1 415-555-0101")

Minimal().run()
"""


def until_drawn(
    command: list[str], marker: bytes, env: dict[str, str], *, linger: float = 0.0
) -> float:
    """Seconds from starting `command` on a 120×40 pty until `marker` has been written (the
    process is then left `linger` seconds more before it is killed)."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(command[0], command, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    try:
        while marker not in seen:
            if time.perf_counter() - start > 30:
                raise SystemExit(f"{marker!r} never appeared: {seen[-300:]!r}")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    raise SystemExit(f"the process ended before {marker!r}") from None
        drawn = time.perf_counter() - start
        time.sleep(linger)
        return drawn
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a book, e.g. from bench.py")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="tui-crm-bench-")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TEXTUAL") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8", TUI_CRM_HOME=home)
    # Both with their modules' bytecode kept (in a folder of the run's own), as an installed
    # app has it: where PYTHONDONTWRITEBYTECODE is set, ours would otherwise be compiled from
    # source at every start while Textual's comes compiled from its install.
    env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "bytecode")
    minimal = Path(home) / "minimal.py"
    minimal.write_text(MINIMAL_APP, encoding="utf-8")
    app = [sys.executable, "-m", "tui_crm", "--db", str(args.db)]
    floor = [sys.executable, str(minimal)]
    # Warm the file cache and the day's backup and value summary, which a first start makes.
    subprocess.run(
        [sys.executable, "-m", "tui_crm", "find", "zz", "--db", str(args.db)],
        env=env,
        capture_output=True,
        check=False,
    )
    # And the bytecode of both, and the stylesheet tui-crm keeps once its first rows are drawn
    # (ui/stylesheet.py), as after any earlier start.
    until_drawn(app, b"customers", env, linger=2.0)
    until_drawn(floor, b"FIRSTROW", env)
    ours, theirs = [], []
    for _ in range(args.runs):  # interleaved, so load falls on both alike
        ours.append(until_drawn(app, b"customers", env))
        theirs.append(until_drawn(floor, b"FIRSTROW", env))
    mine, base = statistics.median(ours), statistics.median(theirs)
    print_table(
        f"process start → first frame with rows, {args.db}, median of {args.runs}",
        [
            ("tui-crm", f"{mine * 1000:6.0f} ms   ({mine / base:.2f}× the floor; target ≤ 1.30×)"),
            ("minimal Textual app (floor)", f"{base * 1000:6.0f} ms"),
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
