"""Files written whole or not at all: leftovers of killed writes are removed only when ours,
old and not being written; a failed backup leaves no half copy."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time

import pytest

from tui_crm.db import backup
from tui_crm.whole_files import LEFTOVER_AGE, clean_leftovers


def test_a_leftover_still_locked_by_a_live_write_is_kept_however_old(tmp_path):
    live, dead = tmp_path / ".tui-crm-export-live.part", tmp_path / ".tui-crm-export-dead.part"
    for path in (live, dead):
        path.write_text("customers")
    then = time.time() - LEFTOVER_AGE - 60  # a slow export that has not written for a while
    for path in (live, dead):
        os.utime(path, (then, then))
    with live.open("rb") as writing:
        fcntl.flock(writing.fileno(), fcntl.LOCK_EX)
        assert clean_leftovers(tmp_path, ".tui-crm-export-", ".part") == 1
    assert [p.name for p in tmp_path.iterdir()] == [live.name]


def test_a_backup_that_fails_midway_leaves_no_half_copy_among_the_backups(tmp_path, monkeypatch):
    book = tmp_path / "crm.db"
    conn = sqlite3.connect(book)
    conn.execute("CREATE TABLE customer (name)")
    conn.commit()
    conn.close()

    class DiskFullHalfway:
        def __init__(self, conn):
            self.conn = conn

        def backup(self, dest):
            dest.execute("CREATE TABLE half (x)")
            dest.commit()
            raise sqlite3.OperationalError("database or disk is full")

        def close(self):
            self.conn.close()

    real_connect = sqlite3.connect

    def connect(target, **kwargs):
        conn = real_connect(target, **kwargs)
        return DiskFullHalfway(conn) if kwargs.get("uri") else conn

    monkeypatch.setattr(backup.sqlite3, "connect", connect)
    with pytest.raises(sqlite3.OperationalError):
        backup.backup_file(book, "before-schema-9")
    assert list((tmp_path / "crm.db.backups").iterdir()) == []
