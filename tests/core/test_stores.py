"""Each engine's store answers everything the store's interface declares (tui_crm/db/store):
no method an engine must answer with its own SQL is left to the interface's stub."""

from __future__ import annotations

import inspect

import pytest

from tui_crm.db.postgres.store import PostgresStore
from tui_crm.db.sqlite.store import SqliteStore
from tui_crm.db.store import Store


def _declared() -> list[str]:
    """The methods of the interface that only declare: each engine must answer them."""
    names = []
    for name, member in inspect.getmembers(Store, inspect.isfunction):
        source = inspect.getsource(member)
        if "raise NotImplementedError" in source:
            names.append(name)
    return names


def test_the_interface_declares_what_engines_answer():
    assert {"ids", "categories_by_name", "scope_touches", "replace_touches"} <= set(_declared())


@pytest.mark.parametrize("store", [SqliteStore, PostgresStore])
def test_each_engine_answers_every_declared_method(store: type[Store]):
    missing = [name for name in _declared() if getattr(store, name) is getattr(Store, name)]
    assert not missing, f"{store.__name__} leaves these to the interface: {missing}"
