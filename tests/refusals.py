"""For command-line tests: a refusal as a user sees it."""

from __future__ import annotations


def one_line_error(code: int, out: str, err: str) -> str:
    """Status 1, nothing on stdout, and one `tui-crm: error: …` line on stderr (returned)."""
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("tui-crm: error: ")
    return err.strip()
