"""Keys typed in one burst, as a slow SSH link delivers them, until the rows are drawn.

Runs the real app headless on a book (build one with `bench.py --db PATH --keep`), feeds each
query to it as one read through Textual's terminal parser (as the driver does), and measures
until the search screen shows the rows that answer the whole query and has drawn them.

    python benchmarks/bench_typing.py --db /tmp/bench.db
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import tui_crm.ui  # noqa: F401 - first, as the app loads it: it sets Textual's frame rate
from tui_crm.paths import book_place, place_name

QUERIES = ("robert smith", "hansen oslo", "mar", "smith, rob", "lars", "tier:gold city:oslo")


@contextlib.asynccontextmanager
async def app_with_rows(db_path: Path, **options) -> AsyncIterator[tuple[Any, Any]]:
    """The real app, headless at 120×40 on `db_path`, once its first list (everyone) is on the
    screen: yields the app and its pilot."""
    from tui_crm.db.database import close_database, open_database
    from tui_crm.ui.app import CrmApp

    app = CrmApp(db=open_database(db_path), db_path=db_path, cursor_blink=False, **options)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(400):
                await pilot.pause(0.05)
                if getattr(app.screen, "rows", None):
                    break
            yield app, pilot
    finally:
        close_database()


async def burst_to_rows(db_path: Path, text: str) -> float:
    from textual._xterm_parser import XTermParser

    async with app_with_rows(db_path) as (app, pilot):
        screen = app.screen
        start = time.perf_counter()
        for event in XTermParser().feed(text):
            app.post_message(event)
        while screen._rows_for != text and time.perf_counter() - start < 30:
            await asyncio.sleep(0.002)
        await pilot.pause()  # one refresh: the rows drawn
        return time.perf_counter() - start


async def keystrokes_to_rows(db_path: Path, texts: tuple[str, ...]) -> list[float]:
    """Each query typed a key at a time, as a person types: for each key, the time from the
    key to the rows for the query so far drawn (the next key comes once they are)."""
    from textual._xterm_parser import XTermParser

    from tui_crm.ui.screens.search import ResultsList

    # When the rows for the query typed so far were first drawn: a line of the list rendered
    # for the compositor once the screen holds the rows answering it.
    drawn = [0.0]
    wanted = [""]
    render_line = ResultsList.render_line

    def timed(self, y):
        if not drawn[0] and self.screen._rows_for == wanted[0]:
            drawn[0] = time.perf_counter()
        return render_line(self, y)

    ResultsList.render_line = timed
    times = []
    async with app_with_rows(db_path, watch_every=None) as (app, pilot):
        screen = app.screen
        field = screen.query_one("#query")
        for text in texts:
            await pilot.press("escape")  # an empty field
            field.value = ""
            await pilot.pause()
            for end in range(1, len(text) + 1):
                typed = text[:end]
                wanted[0], drawn[0] = typed, 0.0
                start = time.perf_counter()
                for event in XTermParser().feed(text[end - 1]):  # as the driver hands it over
                    app.post_message(event)
                while screen._answered != typed and time.perf_counter() - start < 5:
                    await asyncio.sleep(0.0005)
                if screen._answered != typed:
                    print(f"  no rows for {typed!r} after 5 s (shown: {screen._rows_for!r})")
                answered = time.perf_counter()
                if screen.query_one("#query-status").has_class("error"):
                    await pilot.pause()  # "tier:" on the way to "tier:gold": no rows to draw
                    continue
                while not drawn[0] and time.perf_counter() - answered < 1:
                    await asyncio.sleep(0.0005)  # the next frame draws them
                times.append(drawn[0] - start)
                if os.environ.get("BENCH_VERBOSE"):
                    print(f"    {typed!r}: {(drawn[0] - start) * 1000:.1f} ms")
                await pilot.pause()
    ResultsList.render_line = render_line
    return times


def core_floor(db_path: Path, texts: tuple[str, ...]) -> list[float]:
    """The core search the screen runs for each prefix (its first window of rows), timed in
    this process: what a keystroke costs below the screen."""
    from datetime import date

    from tui_crm.core.search import search
    from tui_crm.db.database import close_database, open_database
    from tui_crm.errors import CrmError
    from tui_crm.ui.screens.search import WINDOW

    db = open_database(db_path)
    times = []
    try:
        for text in texts:
            for end in range(1, len(text) + 1):
                start = time.perf_counter()
                with contextlib.suppress(CrmError):  # "tier:" on the way to "tier:gold"
                    search(db, text[:end], as_of=date.today(), limit=WINDOW)
                times.append(time.perf_counter() - start)
    finally:
        close_database()
    return times


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db",
        type=book_place,
        required=True,
        help="a book, e.g. from bench.py, or a postgresql:// URL (tui-crm copy puts it there)",
    )
    parser.add_argument("--runs", type=int, default=3, help="bursts per query")
    args = parser.parse_args()
    os.environ.setdefault("TUI_CRM_HOME", tempfile.mkdtemp(prefix="tui-crm-bench-"))
    print(f"burst of keys → rows drawn, {place_name(args.db)}")
    every = []
    for text in QUERIES:
        times = [await burst_to_rows(args.db, text) for _ in range(args.runs)]
        every += times
        print(f"  {text!r:26} median {statistics.median(times) * 1000:6.0f} ms")
    print(
        f"  {'all':26} median {statistics.median(every) * 1000:6.0f} ms, max {max(every) * 1000:.0f} ms"
    )
    keyed = []
    for _ in range(args.runs):
        keyed += await keystrokes_to_rows(args.db, QUERIES)
    floor = core_floor(args.db, QUERIES) + core_floor(args.db, QUERIES)
    print(f"one key at a time → rows drawn ({len(keyed)} keys): p50 / p95")
    print(
        f"  {'tui-crm':26} {_p(keyed, 0.5):6.1f} / {_p(keyed, 0.95):6.1f} ms  (target p95 ≤ 16 ms)"
    )
    print(f"  {'floor: core search':26} {_p(floor, 0.5):6.1f} / {_p(floor, 0.95):6.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
