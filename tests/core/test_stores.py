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
    assert {"ids", "bulk_load", "take_backup", "rebuild_values"} <= set(_declared())


@pytest.mark.parametrize("store", [SqliteStore, PostgresStore])
def test_each_engine_answers_every_declared_method(store: type[Store]):
    missing = [name for name in _declared() if getattr(store, name) is getattr(Store, name)]
    assert not missing, f"{store.__name__} leaves these to the interface: {missing}"


def test_no_two_parts_of_the_store_answer_to_one_name():
    """The parts are mixed into one store: a method of one part named as another's would
    silently answer in its place."""
    from tui_crm.db.store.area import Area

    seen: dict[str, str] = {}
    clashes = []
    for part in Store.__mro__:
        if part in (Store, Area, object) or not issubclass(part, Area):
            continue
        for name in vars(part):
            if name.startswith("__") or name in vars(Area):
                continue
            if name in seen:
                clashes.append(f"{name} ({seen[name]} and {part.__name__})")
            seen[name] = part.__name__
    assert not clashes, clashes


@pytest.mark.parametrize("store", [SqliteStore, PostgresStore])
def test_no_two_parts_of_an_engine_store_answer_to_one_name(store: type[Store]):
    """Each engine part answers its own part's questions; a name of its own that another part
    also has would answer in that part's place."""
    from tui_crm.db.store.area import Area

    owner: dict[str, str] = {}
    for part in Store.__mro__:
        if issubclass(part, Area) and part not in (Store, Area):
            owner.update({name: part.__name__ for name in vars(part) if not name.startswith("__")})
    clashes = []
    engine_parts = [p for p in store.__mro__ if p not in Store.__mro__ and p is not store]
    for part in engine_parts:
        own = next(base.__name__ for base in part.__mro__[1:] if base in Store.__mro__)
        for name in vars(part):
            if name.startswith("__"):
                continue
            if name in owner and owner[name] != own and owner[name] != "Area":
                clashes.append(f"{part.__name__}.{name} answers for {owner[name]}")
            elif name not in owner:  # a name of the engine part's own
                owner[name] = own
    assert not clashes, clashes
