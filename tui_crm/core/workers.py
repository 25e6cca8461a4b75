"""Worker processes that work out pieces of a large import ahead of the rows being checked
(a vCard file's cards, its phone numbers), both sides of them: the pool, and `serve`, what
a worker runs. Only the standard library: a worker imports little more than what it
computes."""

from __future__ import annotations

import gc
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any


def spare_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_start() -> bool:
    """Whether worker processes can be started here: a frozen app's executable is the app,
    not a Python that runs `-c`."""
    return bool(sys.executable) and not getattr(sys, "frozen", False)


class PieceWorkers:
    """`count` processes, each running `command` (Python code that calls `serve`): fresh
    interpreters (`python -c`), never a fork of this process (the app imports from a worker
    thread, and a fork would copy locks that other threads hold) and not multiprocessing's,
    which would run the caller's main script again in each.

    Pieces are asked in order, from piece `first` on: piece n goes to worker n % count, whose
    feeder thread writes it as soon as that worker has read the piece before; `answer` reads
    the answers back in the same order. A worker that cannot be read from leaves the pool
    `broken`: the caller works the rest out itself. OSError when a process cannot start."""

    def __init__(self, count: int, command: str, first: int = 0):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.next = first  # the first piece not answered yet
        self.broken = False
        self.procs: list[subprocess.Popen] = []
        self.feeders: list[threading.Thread] = []
        self.pieces: list[queue.SimpleQueue] = []
        try:
            for _ in range(count):
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-c", command],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL,
                        env=env,
                    )
                )
        except OSError:
            self.stop()
            raise
        self.pieces = [queue.SimpleQueue() for _ in range(count)]
        self.feeders = [
            threading.Thread(target=self._feed, args=(n,), daemon=True) for n in range(count)
        ]
        for feeder in self.feeders:
            feeder.start()

    def ask(self, piece: int, work: Any) -> None:
        """Have piece number `piece` worked out (pieces are asked in order)."""
        self.pieces[piece % len(self.procs)].put(work)

    def _feed(self, n: int) -> None:
        proc, pieces = self.procs[n], self.pieces[n]
        try:
            while (work := pieces.get()) is not None:
                pickle.dump(work, proc.stdin, -1)
                proc.stdin.flush()
            proc.stdin.close()
        except (OSError, ValueError):  # the worker died or was stopped: the reader notices
            pass

    def answer(self) -> Any:
        """The answer to piece `next` (then the next one is next); None, and the pool broken,
        when its worker cannot be read from."""
        if self.broken:
            return None
        # Unpickling makes a piece's objects all at once, and all of them live on: the cycle
        # collector would look at them again and again as they pile up (they hold no cycles).
        # It waits the few milliseconds this takes (in every thread: nothing else here pauses
        # it), then goes on as before.
        collecting = gc.isenabled()
        gc.disable()
        try:
            said = pickle.load(self.procs[self.next % len(self.procs)].stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            self.broken = True
            return None
        finally:
            if collecting:
                gc.enable()
        self.next += 1
        return said

    def done(self) -> None:
        """Every piece was asked for: the workers end once they have answered them."""
        for pieces in self.pieces:
            pieces.put(None)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()  # they only compute: nothing is lost
        for pieces in self.pieces:
            pieces.put(None)  # a feeder waiting for a piece ends
        for feeder in self.feeders:
            feeder.join()
        for proc in self.procs:
            proc.wait()
            proc.stdout.close()


def serve(work: Callable[[Any], Any]) -> None:
    """What a worker runs: read pickled pieces from stdin and write the pickled `work` of each
    to stdout, until stdin ends (the importing process closed it, or died)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the importing process
    # What a piece makes lives until it is answered: rather than the cycle collector looking
    # at it again and again as it piles up, one pass after each piece, over only what is left
    # of it (the modules are out of its way).
    gc.disable()
    gc.freeze()
    source = sys.stdin.buffer
    sink = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot garble the pipe
    while True:
        try:
            asked = pickle.load(source)
        except EOFError:
            return
        pickle.dump(work(asked), sink, -1)
        sink.flush()
        del asked
        gc.collect()
