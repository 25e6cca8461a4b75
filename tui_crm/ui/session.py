"""The end of a session never costs the words being typed.

A note being typed is kept as a draft a moment after each change (screens/log.py). When the
session ends first, `SessionGuard` writes every open draft as it is at that instant:

* on SIGHUP (the SSH connection or the terminal window went away) and SIGTERM: at once, from
  the signal handler; then the app handles the keys it had already read (they were typed
  before the connection dropped; three seconds at most, drawing nothing when the
  terminal is gone), writes the drafts again and ends. If it cannot, the process ends a few
  seconds later anyway;
* when the terminal goes away without a signal (its input or output reports a hang-up or an
  error, reading it fails, or the thread writing to it died): by raising SIGHUP itself.
  Textual would otherwise read the closed input in a loop, or wait forever to write;
* whenever the app ends (ctrl+q with a note open, an internal error).

A screen that keeps drafts registers in `app.draft_keepers` and has `flush_draft()`.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import threading
from queue import Empty
from typing import Protocol

GRACE = 3.0  # seconds to handle the keys already read, after a hang-up
HARD_EXIT = 6.0  # seconds after a hang-up the process ends whatever it is doing
LOST = select.POLLHUP | select.POLLERR | select.POLLNVAL


class DraftKeeper(Protocol):
    def flush_draft(self) -> None: ...


def _terminal_lost() -> None:
    """Called from any thread: end the session as a hang-up does."""
    os.kill(os.getpid(), signal.SIGHUP)


def _hung_up() -> bool:
    """Whether the terminal the app reads has gone (a hang-up, or an error on it)."""
    poller = select.poll()
    for stream in (sys.__stdin__, sys.__stderr__):
        try:
            poller.register(stream.fileno(), 0)
        except (AttributeError, OSError, ValueError):
            return True
    return any(flags & LOST for _, flags in poller.poll(0))


def _unread_input() -> bool:
    """Whether keys typed are still in the terminal, not yet read by the app."""
    try:
        waiting = fcntl.ioctl(sys.__stdin__.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except (AttributeError, OSError, ValueError):
        return False
    return struct.unpack("i", waiting)[0] > 0


def terminal_driver(base: type) -> type:
    """Textual's terminal driver, made to survive its terminal: once the terminal is gone it
    stops drawing and reading instead of blocking on a full output queue or reading the
    closed input in a loop, so the app can still finish the keys it had read."""

    class TerminalDriver(base):
        terminal_gone = False

        def write(self, data: str) -> None:
            writer = self._writer_thread
            if writer is not None and not writer.is_alive():
                self.terminal_gone = True  # it died writing to the terminal
            if not self.terminal_gone:
                super().write(data)

        def run_input_thread(self) -> None:
            try:
                super().run_input_thread()
            except OSError:  # the terminal went away under the read: no crash report
                if not self.exit_event.is_set():
                    _terminal_lost()

        def let_go(self) -> None:
            """Stop drawing and reading; free the output queue if a write waits on it."""
            self.terminal_gone = True
            self.exit_event.set()
            writer = self._writer_thread
            if writer is not None and not writer.is_alive():
                try:
                    while True:
                        writer._queue.get_nowait()
                except Empty:
                    pass

    TerminalDriver.__name__ = TerminalDriver.__qualname__ = f"Terminal{base.__name__}"
    return TerminalDriver


class SessionGuard:
    """Mixed into the App, before `App` in its bases."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.draft_keepers: list[DraftKeeper] = []
        self._session_over = threading.Event()

    def get_driver_class(self):
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver":
            return terminal_driver(driver)
        return driver

    def _on_mount(self) -> None:
        # Tests run headless: no terminal to lose, and the signals belong to the test runner.
        if self.is_headless or threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(signum, self._session_ended)
        threading.Thread(target=self._watch_terminal, name="tui-crm-terminal", daemon=True).start()

    async def run_async(self, *args, **kwargs):
        try:
            return await super().run_async(*args, **kwargs)
        finally:
            self.flush_drafts()

    def flush_drafts(self) -> None:
        """Write every open draft as it is now."""
        for keeper in list(self.draft_keepers):
            try:
                keeper.flush_draft()
            except Exception:  # one that cannot be written must not stop the others
                continue

    def _session_ended(self, signum: int, _frame) -> None:
        if self._session_over.is_set():
            return
        self._session_over.set()
        self.flush_drafts()
        threading.Thread(target=_exit_later, args=(128 + signum,), daemon=True).start()
        driver = self._driver
        if signum == signal.SIGHUP and hasattr(driver, "let_go") and _hung_up():
            driver.let_go()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._leave()))

    async def _leave(self) -> None:
        """Let the keys typed before the end reach their fields, write the drafts again, then
        end. Keys are on their way while the terminal still holds some unread (a SIGHUP sent
        while it is still there), the app has some in its queue, or they are being handed
        out; the input thread posts what it read within moments, so a few quiet checks in a
        row mean there are no more."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GRACE
        driver = self._driver
        quiet = 0
        while quiet < 3 and loop.time() < deadline:
            reading = not getattr(driver, "terminal_gone", True)
            busy = (
                getattr(self, "keys_pending", False)
                or not self._message_queue.empty()
                or (reading and _unread_input())
            )
            quiet = 0 if busy else quiet + 1
            await asyncio.sleep(0.01)
        self.flush_drafts()
        self.exit()

    def _watch_terminal(self) -> None:
        """Raise SIGHUP when the terminal's input or output hangs up or fails."""
        poller = select.poll()
        for stream in (sys.__stdin__, sys.__stderr__):  # Textual reads stdin, draws on stderr
            try:
                poller.register(stream.fileno(), 0)  # only hang-ups and errors are reported
            except (AttributeError, OSError, ValueError):
                continue
        while not self._session_over.is_set():
            lost = any(flags & LOST for _, flags in poller.poll(500))
            driver = self._driver
            if lost or getattr(driver, "terminal_gone", False):
                _terminal_lost()
                return


def _exit_later(status: int) -> None:
    threading.Event().wait(HARD_EXIT)
    os._exit(status)
