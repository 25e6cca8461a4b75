"""A dropped connection loses none of the note being typed.

The real app runs in its own process on a pseudo-terminal, as over SSH. The test opens the
log dialog, types a note in one go, then drops the connection: a SIGHUP right behind the last
key (the app still has to read most of the note from the terminal), or 0.05 s after it the
terminal itself closing (the kernel hangs the terminal up and signals the app), or the
terminal closing under an app it is not the controlling terminal of (no signal: only its
input and output fail). The draft file must hold every character, and the process must be
gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tui_crm.core.drafts import load_drafts

NOTE = "Wants 20 seats — call back Friday, ask for Åse (procurement) ✓"


class Terminal:
    """The app on the slave side of a pty; this side types and reads what it draws."""

    def __init__(self, book: Path, *, controlling: bool = True) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
        env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8")
        command = [sys.executable, "-m", "tui_crm", "--db", str(book)]
        if controlling:  # the app's controlling terminal: closing it signals the app
            self.pid, self.fd = pty.fork()
            if self.pid == 0:
                try:
                    os.execve(sys.executable, command, env)
                finally:
                    os._exit(127)
        else:  # only its stdin, stdout and stderr, in a session of its own
            self.fd, slave = os.openpty()
            self.process = subprocess.Popen(
                command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
            )
            self.pid = self.process.pid
            os.close(slave)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared on the screen")
            time.sleep(0.05)

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def exit_status(self, timeout: float = 15.0) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                if hasattr(self, "process"):
                    self.process.returncode = os.waitstatus_to_exitcode(status)
                return status
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


@pytest.fixture
def book(demo_file: Path, ui_home: Path) -> Path:
    path = ui_home / "book.db"
    shutil.copy(demo_file, path)
    return path


@pytest.mark.parametrize("drop", ["sighup", "close the terminal", "close, no signal"])
def test_the_connection_dropped_just_after_the_last_key_keeps_every_character(book, drop):
    terminal = Terminal(book, controlling=drop != "close, no signal")
    try:
        terminal.wait_for("customers")  # the first search has answered: the app is up
        terminal.type("smith\x1b[B\x0c")  # ↓ ctrl+l
        terminal.wait_for("Log for")  # the dialog is open: from here on, only the note
        terminal.type(NOTE)
        if drop == "sighup":  # right behind the last key: most of the note is still unread
            os.kill(terminal.pid, signal.SIGHUP)
        else:
            time.sleep(0.05)  # a closed terminal drops what it holds: the keys arrived first
            terminal.close()
        status = terminal.exit_status()
    finally:
        terminal.close()
    assert status is not None, "the app was still running after the connection dropped"
    drafts = load_drafts(book)
    assert [draft.notes for draft in drafts] == [NOTE]
