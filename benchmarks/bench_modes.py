"""Key → screen drawn with its data: each top-level screen, the first visit and coming back to
it, and the screens opened over Search (a profile, the edit form, the new-customer form).

Each time runs from the key to the last frame drawn once the screen's workers are done (the
screen with its data), not to when the test pilot has seen the app idle.

Top-level screens are modes (issue 17): the first f2 builds Needs attention and reads the
queue; f2 again later finds it as it was left, so coming back costs a switch and a redraw,
not a new read. Runs the real app headless on a book (build one with
`bench.py --db PATH --keep`):

    python benchmarks/bench_modes.py --db /tmp/bench.db
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_typing import app_with_rows  # noqa: E402
from report import print_table  # noqa: E402

KEYS = (
    ("f2", "attention"),
    ("f3", "referrals"),
    ("f4", "insights"),
    ("f5", "duplicates"),
    ("f6", "trash"),
)
# Screens opened over Search: the key, what it opens (the screen's class name), the key back.
PUSHED = (
    ("ctrl+l", "LogInteractionScreen", "escape"),
    ("enter", "ProfileScreen", None),
    ("e", "CustomerFormScreen", "escape"),
    ("escape", None, None),  # the profile closes: back on the results
    ("ctrl+n", "CustomerFormScreen", "escape"),
)


async def _drawn(app, pilot, mode: str, start: float) -> float:
    """Wait until `mode` is on top, its workers are done, and it has been drawn."""
    while time.perf_counter() - start < 120:
        if app.current_mode == mode and not [
            w for w in app.workers if w.is_running and w.group != "watch"
        ]:
            break
        await asyncio.sleep(0.002)
    await pilot.pause()  # one refresh: the screen drawn with what its workers read
    return _last_frame(app, start)


def _last_frame(app, start: float) -> float:
    """From `start` to the last frame the app drew (the screen with what its workers read;
    nothing draws once all is done), not to when the pilot has seen the app idle."""
    frames = app.frames_drawn
    return (frames[-1] if frames and frames[-1] > start else time.perf_counter()) - start


def _count_frames(app) -> None:
    """Note when each frame is handed to the terminal (headless: to nothing)."""
    app.frames_drawn = []
    display = app._display

    def timed(screen, renderable) -> None:
        display(screen, renderable)
        app.frames_drawn.append(time.perf_counter())

    app._display = timed


async def one_run(db_path: Path) -> dict[str, tuple[float, float]]:
    times: dict[str, list[float]] = {}
    async with app_with_rows(db_path, watch_every=None) as (app, pilot):
        _count_frames(app)
        for _visit in range(2):  # first visit, then coming back
            for key, mode in KEYS:
                start = time.perf_counter()
                await pilot.press(key)
                times.setdefault(mode, []).append(await _drawn(app, pilot, mode, start))
            start = time.perf_counter()
            await pilot.press("ctrl+f")
            times.setdefault("search", []).append(await _drawn(app, pilot, "search", start))
        await _pushed(app, pilot, times)
        await _pushed(app, pilot, times)
    return {what: (t[0], t[1]) for what, t in times.items()}


async def _on_top(app, pilot, name: str, start: float) -> float:
    """Wait until a screen of class `name` is on top, its workers done, and drawn."""
    while time.perf_counter() - start < 120:
        if type(app.screen).__name__ == name and not [
            w for w in app.workers if w.is_running and w.group != "watch"
        ]:
            break
        await asyncio.sleep(0.002)
    await pilot.pause()
    return _last_frame(app, start)


async def _pushed(app, pilot, times: dict[str, list[float]]) -> None:
    """From the results of a search: Enter → profile, e → edit form, ctrl+n → new customer."""
    await pilot.press("ctrl+f")
    await _drawn(app, pilot, "search", time.perf_counter())
    for key in "hansen":
        await pilot.press(key)
    await _drawn(app, pilot, "search", time.perf_counter())
    await pilot.press("down")
    for key, name, back in PUSHED:
        start = time.perf_counter()
        await pilot.press(key)
        if name is None:
            await _drawn(app, pilot, "search", start)
            continue
        times.setdefault(f"{key} → {name}", []).append(await _on_top(app, pilot, name, start))
        if back:
            await pilot.press(back)
            await _drawn(app, pilot, app.current_mode, time.perf_counter())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a book, e.g. from bench.py")
    parser.add_argument("--runs", type=int, default=3, help="app starts")
    args = parser.parse_args()
    os.environ.setdefault("TUI_CRM_HOME", tempfile.mkdtemp(prefix="tui-crm-bench-"))
    runs = [await one_run(args.db) for _ in range(args.runs)]
    rows = []
    for mode in [m for _, m in KEYS] + ["search"]:
        first = statistics.median(r[mode][0] for r in runs) * 1000
        again = statistics.median(r[mode][1] for r in runs) * 1000
        key = dict((m, k) for k, m in KEYS).get(mode, "ctrl+f")
        rows.append((f"{key} → {mode}", f"first {first:6.0f} ms   coming back {again:5.0f} ms"))
    for what in [w for w in runs[0] if "→" in w]:
        first = statistics.median(r[what][0] for r in runs) * 1000
        again = statistics.median(r[what][1] for r in runs) * 1000
        rows.append((what, f"first {first:6.0f} ms   again       {again:5.0f} ms"))
    print_table(f"key → screen drawn with its data, {args.db}, median of {args.runs} runs", rows)


if __name__ == "__main__":
    asyncio.run(main())
