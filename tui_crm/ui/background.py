"""Database work off the UI thread: one helper that runs it in a worker and closes the
worker's connection, then hands the result (or the refusal) back on the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode

from tui_crm.errors import CrmError

T = TypeVar("T")


def in_background(
    node: DOMNode,
    work: Callable[[Any], T],
    done: Callable[[T], None],
    *,
    failed: Callable[[CrmError], None] | None = None,
    group: str = "background",
) -> None:
    """Run `work(db)` in a thread with the app's database and close that thread's connection;
    then call `done(result)` on the UI thread, or `failed(error)` when the domain refused (a
    notification saying why when no `failed` is given)."""
    app = node.app

    def job() -> None:
        db = app.db
        try:
            result = work(db)
        except CrmError as err:
            app.call_from_thread(failed or _notify_refusal(app), err)
            return
        finally:
            db.close()
        app.call_from_thread(done, result)

    node.run_worker(job, thread=True, group=group, exit_on_error=False)


def _notify_refusal(app) -> Callable[[CrmError], None]:
    return lambda err: app.notify(str(err), severity="error")
