"""How every benchmark prints its table: a title, a rule, then one aligned line per figure."""

from __future__ import annotations

from collections.abc import Sequence


def print_table(title: str, rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(what) for what, _ in rows)
    print(title)
    print("-" * (width + 24))
    for what, value in rows:
        print(f"{what:<{width}}  {value}")
