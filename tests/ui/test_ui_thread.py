"""No database call on the UI thread: a colleague's long write can hold the book for seconds
(the busy timeout), and a query on the UI thread would freeze the screen that long."""

from __future__ import annotations

import threading

from tests.ui.conftest import settle
from tui_crm.ui.screens.interchange import ImportScreen
from tui_crm.ui.screens.lost import MarkLostScreen
from tui_crm.ui.screens.plans import PlanScreen


async def test_every_screen_and_action_reads_and_writes_in_workers(demo_app, monkeypatch):
    on_ui_thread: list[str] = []
    database = type(demo_app.db)
    execute = database.execute_sql

    def spy(self, sql, params=None, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            on_ui_thread.append(sql)
        return execute(self, sql, params, *args, **kwargs)

    async with demo_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(database, "execute_sql", spy)
        opened = []
        for keys in (
            ("r", "o", "b", "down", "enter"),  # search, the profile
            ("escape", "escape", "f2"),  # needs attention
            ("ctrl+d",),  # done
            ("ctrl+x",),  # lost: reads the profile first
            ("escape", "f7"),  # plans: reads the plans first
            ("escape", "f5", "ctrl+d"),  # duplicates: different people
            ("f3", "f4", "escape"),  # tree, insights
            ("ctrl+o",),  # import: offers the file imported last
            ("escape", "ctrl+p", "r", "o", "b"),  # the palette finds customers
            ("escape",),
        ):
            await pilot.press(*keys)
            await settle(pilot)
            opened.append(type(demo_app.screen))
        monkeypatch.setattr(database, "execute_sql", execute)
    assert MarkLostScreen in opened and PlanScreen in opened and ImportScreen in opened
    assert on_ui_thread == []
