"""tui-crm: a keyboard-driven personal CRM for the terminal."""

import sys

__version__ = "0.1.0"


class _PeeweeWithoutPsycopg:
    """peewee imports psycopg whenever it is installed: 30-80 ms of every start of the app and
    of every command, on a file too. Only a book on PostgreSQL needs it, and
    db/postgres/book.py gives it to peewee when one is opened. So peewee is loaded as though
    psycopg were not installed (unless something loaded psycopg before it)."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "peewee":
            return None
        sys.meta_path.remove(cls)
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or "psycopg" in sys.modules:
            return spec
        run = spec.loader.exec_module

        def exec_module(module) -> None:
            sys.modules["psycopg"] = None  # type: ignore[assignment]  # ImportError in peewee
            try:
                run(module)
            finally:
                if "psycopg" in sys.modules and sys.modules["psycopg"] is None:
                    del sys.modules["psycopg"]

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "peewee" not in sys.modules:
    sys.meta_path.insert(0, _PeeweeWithoutPsycopg)
