"""Building many rows without the cycle collector going over them again and again."""

from __future__ import annotations

import gc
import threading

from tui_crm.core.interchange.rows import settled_objects


def test_settled_objects_are_back_under_the_collector_when_the_last_block_ends():
    assert gc.get_freeze_count() == 0
    inside, leave = threading.Event(), threading.Event()

    def other_import():
        with settled_objects() as settle:
            settle()
            inside.set()
            leave.wait()

    thread = threading.Thread(target=other_import)
    thread.start()
    inside.wait()
    with settled_objects() as settle:
        assert gc.isenabled()  # never paused, for this thread or the other
        settle()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() > 0  # the other thread's block is still open
    leave.set()
    thread.join()
    assert gc.get_freeze_count() == 0


def test_settling_leaves_alone_what_something_else_froze():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with settled_objects() as settle:
            junk = [[n] for n in range(1000)]
            settle()
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen and junk
    finally:
        gc.unfreeze()


def test_settled_objects_end_even_when_the_block_fails():
    try:
        with settled_objects() as settle:
            settle()
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled() and gc.get_freeze_count() == 0
