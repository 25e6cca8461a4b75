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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a book, e.g. from bench.py")
    parser.add_argument("--runs", type=int, default=3, help="bursts per query")
    args = parser.parse_args()
    os.environ.setdefault("TUI_CRM_HOME", tempfile.mkdtemp(prefix="tui-crm-bench-"))
    print(f"burst of keys → rows drawn, {args.db}")
    every = []
    for text in QUERIES:
        times = [await burst_to_rows(args.db, text) for _ in range(args.runs)]
        every += times
        print(f"  {text!r:26} median {statistics.median(times) * 1000:6.0f} ms")
    print(
        f"  {'all':26} median {statistics.median(every) * 1000:6.0f} ms, max {max(every) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
