"""Render every screen from the demo database to screenshots/*.svg (fixed size and clock).

python screenshots/make.py          # writes the SVGs the README shows
python screenshots/make.py --png    # also PNGs next to them, for looking (needs cairosvg)
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = date(2026, 11, 22)


async def _shoot(
    db_path: Path, name: str, size: tuple[int, int], keys: list[str], screen: str
) -> Path:
    from tui_crm.db.database import close_database, open_database
    from tui_crm.ui.app import CrmApp

    app = CrmApp(
        open_database(db_path), db_path, today=lambda: TODAY, cursor_blink=False, watch_every=None
    )
    async with app.run_test(size=size) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
            for _ in range(4):  # a screen pushed by the key starts its worker a tick later
                await app.workers.wait_for_complete()
                await pilot.pause(0.05)
        shown = type(app.screen).__name__
        if shown != screen:  # keys that no longer do what the shot is of
            raise SystemExit(f"{name}: the keys {keys} end on {shown}, not {screen}")
        target = HERE / f"{name}.svg"
        target.write_text(app.export_screenshot(title=f"tui-crm: {name}"), encoding="utf-8")
    close_database()
    # A shot that ends in a half-typed note leaves a draft; the next shot must not offer it.
    from tui_crm.core.drafts import discard_draft, load_drafts

    for draft in load_drafts(db_path):
        discard_draft(db_path, draft.customer_id)
    return target


SHOTS = [  # name, size, the keys typed, the screen they end on
    ("search", (100, 30), list("smith"), "SearchScreen"),
    ("search-80x24", (80, 24), [], "SearchScreen"),
    ("search-gold", (120, 30), list("tier:gold sort:-value"), "SearchScreen"),
    ("profile", (100, 34), [*"robert smith", "enter"], "ProfileScreen"),
    ("profile-full", (120, 60), [*"robert smith", "enter"], "ProfileScreen"),
    # The biggest spender among those who stopped buying: LAPSED, and why.
    ("profile-lapsed", (100, 34), [*"status:lapsed sort:-lifetime", "enter"], "ProfileScreen"),
    (
        "purchase",
        (80, 24),
        [*"robert smith", "down", "ctrl+b", *"1250", "tab", *"Support plan"],
        "AddPurchaseScreen",
    ),
    ("empty", (80, 24), [], "SearchScreen"),
    ("new-customer", (100, 40), ["ctrl+n", *"Rob", "tab", *"Smith"], "CustomerFormScreen"),
    (
        "log",
        (80, 24),
        [*"robert smith", "down", "ctrl+l", *"Wants a quote for 20 seats", "tab", "tab", *"+2w"],
        "LogInteractionScreen",
    ),
    ("attention", (100, 30), ["f2"], "AttentionScreen"),
    ("attention-80x24", (80, 24), ["f2", "down", "down"], "AttentionScreen"),
    ("snooze", (80, 24), ["f2", "ctrl+t"], "SnoozeScreen"),
    (
        "referrals",
        (100, 30),
        ["f3", "space", "down", "space", "down", "down"],
        "ReferralTreeScreen",
    ),
    ("referrals-centred", (80, 24), [*"robert smith", "enter", "r"], "ReferralTreeScreen"),
    ("duplicates", (100, 30), ["f5"], "DuplicatesScreen"),
    ("merge", (100, 30), ["f5", *["down"] * 9, "enter"], "MergeScreen"),
    ("insights", (100, 50), ["f4"], "InsightsScreen"),
    ("insights-80x24", (80, 24), ["f4"], "InsightsScreen"),
    ("import", (100, 30), ["ctrl+o", *"google-contacts.csv", "enter"], "ImportScreen"),
    ("export", (80, 24), [*"tag:vip", "down", "f8"], "ExportDialog"),
    ("agenda", (100, 30), ["f10"], "AgendaScreen"),
    ("plans", (110, 30), ["f2", "f7"], "PlanScreen"),
    ("search-notes", (110, 30), [*"voicemail"], "SearchScreen"),
    ("marked", (100, 30), [*"city:oslo", "down", "space", "space", "space"], "SearchScreen"),
    (
        "marked-action",
        (100, 30),
        [*"city:oslo", "down", "space", "space", "space", "f9", *"+fair -prospect", "ctrl+s"],
        "MarkedActionScreen",
    ),
    # Last: these change the book (a correction, a merge, a delete).
    (
        "correct",
        (100, 30),
        [*"robert smith", "enter", "tab", "c", "end", *" (20 seats, not 12)"],
        "CorrectInteractionScreen",
    ),
    (
        "trash",
        (100, 24),
        ["escape", "escape", "f5", "enter", "ctrl+s", "escape", *"kari", "enter", "d", "y", "f6"],
        "TrashScreen",
    ),
]
# The file the import shot checks: Google Contacts' layout, one bad row, one probable duplicate.
GOOGLE_CONTACTS = (
    "First Name,Middle Name,Last Name,Organization Name,Organization Title,"
    "E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Labels\n"
    "Bob,,Smith,Smith & Sons,Owner,* work,bob@smithsons.example.com,Mobile,+1 415 555 0188,"
    "* myContacts\n"
    "Ingrid,,Dahl,Fjord Fisk AS,Buyer,* work,ingrid@fjordfisk.example.no,Work,+47 22 33 44 55,"
    "* myContacts ::: trade fair\n"
    "Marco,,Rossi,,,* home,marco.rossi@example,Mobile,,* myContacts\n"
    "Aiko,,Tanaka,Sakura Tea,Owner,* work,aiko@sakura.example.jp,Mobile,+81 90 1234 5678,"
    "* myContacts ::: trade fair\n"
)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(TUI_CRM_HOME=tmp, TUI_CRM_REGION="US", TUI_CRM_USER="demo")
        from tui_crm.cli import make_demo

        demo = Path(tmp) / "demo.db"
        make_demo(demo, customers=300, seed=7, today=TODAY)
        (Path(tmp) / "google-contacts.csv").write_text(GOOGLE_CONTACTS, encoding="utf-8")
        os.chdir(tmp)  # the import shot types the file's name as a salesperson would
        written = []
        for name, size, keys, screen in SHOTS:
            path = demo if name != "empty" else Path(tmp) / "crm.db"
            written.append(asyncio.run(_shoot(path, name, size, keys, screen)))
        os.chdir(HERE)
    if "--png" in sys.argv:
        import cairosvg

        for svg in written:
            cairosvg.svg2png(url=str(svg), write_to=str(svg.with_suffix(".png")))
    for svg in written:
        print(svg.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
