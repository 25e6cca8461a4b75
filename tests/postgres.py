"""A throwaway PostgreSQL cluster for tests and benchmarks: made in a temporary folder (the
tests': in memory when there is room, `memory_folder`), on a local socket only (no TCP port),
without fsync, and removed after.

PostgreSQL refuses to run as root; as root (CI) the cluster runs as the `postgres` system user,
which owns its folder. The server binaries are found on PATH or under
/usr/lib/postgresql/<version>/bin (Debian's packages).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "crm"


def server_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), or None if not installed."""
    found = shutil.which("initdb") or shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def memory_folder(room: int = 2 << 30) -> str | None:
    """/dev/shm when it is a writable memory file system with `room` bytes free, else None.
    A cluster there makes each test's database (CREATE DATABASE … TEMPLATE, about 300
    files) in 20 ms rather than 300-550 ms on a disk's file system, even without fsync."""
    shm = "/dev/shm"
    try:
        free = os.statvfs(shm)
    except OSError:
        return None
    if not os.access(shm, os.W_OK) or free.f_bavail * free.f_frsize < room:
        return None
    return shm


class Cluster:
    """One running server; `url(name)` names a database on it. `parent`: the folder to make
    the cluster's in (the system's temporary folder when None)."""

    def __init__(self, parent: str | None = None) -> None:
        binaries = server_bin()
        if binaries is None:
            raise RuntimeError(
                "PostgreSQL's server programs (initdb, pg_ctl) are not installed: install "
                "PostgreSQL, or run only the SQLite tests with TUI_CRM_ENGINES=sqlite"
            )
        self._bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="tui-crm-pg-", dir=parent))
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.folder, user="postgres")
        data = self.folder / "data"
        self._run(
            "initdb", "-D", str(data), "-A", "trust", "-U", SUPERUSER, "--no-sync",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        options = (
            f"-k {self.folder} -c listen_addresses='' -p 5432 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(data), "-o", options, "-l", str(self.folder / "log"), "-w",
            "start",
        )  # fmt: skip
        self._reap_after(os.getpid())

    def _reap_after(self, pid: int) -> None:
        """Stop the server and remove its folder once the process that started it is gone,
        however it ended (a test run killed, a timeout): no cluster outlives its tests."""
        stop = " ".join(
            [*self._as, str(self._bin / "pg_ctl"), "-D", str(self.folder / "data")]
            + ["-m", "immediate", "stop"]
        )
        script = (
            f"while kill -0 {pid} 2>/dev/null; do sleep 1; done; "
            f"{stop} >/dev/null 2>&1; rm -rf '{self.folder}'"
        )
        subprocess.Popen(
            ["sh", "-c", script],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self._bin / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@/{database}?host={quote(str(self.folder), safe='')}"

    def stop(self) -> None:
        """Stop the server at once. Its folder (the templates, and any database a test left:
        seconds to delete on a disk) is removed by the reaper when this process has ended,
        not while the test run waits."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
