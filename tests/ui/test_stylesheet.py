"""The kept stylesheet (ui/stylesheet.py): re-parsing with the same theme parses nothing again,
and what it gives is what Textual's own stylesheet gives, for every theme; the next start
reads the rules kept on disk instead of parsing them."""

from __future__ import annotations

import pickle
import stat

import pytest
from textual.css.stylesheet import Stylesheet

from tui_crm.ui.stylesheet import KeptStylesheet

CSS = """
Screen { background: $surface; }
#query-status.error { color: $error; text-style: bold; }
"""


def _rules(sheet: Stylesheet) -> list[str]:
    return [rule.css for rule in sheet.rules]


def _sheet(cls, variables: dict[str, str]) -> Stylesheet:
    sheet = cls(variables=variables)
    sheet.add_source(CSS, read_from=("app.tcss", ""))
    sheet.parse()
    return sheet


def test_a_reparse_with_the_same_theme_reads_the_kept_rules(monkeypatch):
    dark = {"surface": "#121212", "error": "#ba3c5b"}
    sheet = _sheet(KeptStylesheet, dark)
    parsed = []
    real = Stylesheet._parse_rules

    def counting(self, css, *args, **kwargs):
        parsed.append(css)
        return real(self, css, *args, **kwargs)

    monkeypatch.setattr(Stylesheet, "_parse_rules", counting)
    sheet.reparse()
    sheet.set_variables(dict(dark))  # the same theme set again
    sheet.reparse()
    assert parsed == []
    assert _rules(sheet) == _rules(_sheet(Stylesheet, dark))


def test_another_theme_gives_its_own_colours():
    dark = {"surface": "#121212", "error": "#ba3c5b"}
    light = {"surface": "#ffffff", "error": "#aa0000"}
    sheet = _sheet(KeptStylesheet, dark)
    sheet.set_variables(light)
    sheet.reparse()
    assert _rules(sheet) == _rules(_sheet(Stylesheet, light)) != _rules(_sheet(Stylesheet, dark))
    assert "#AA0000" in " ".join(_rules(sheet)).upper()


@pytest.fixture
def kept_in(tmp_path, monkeypatch):
    """The rules kept in a file of the test's own, and nothing kept from other tests."""
    monkeypatch.setattr(KeptStylesheet, "_kept", {})
    monkeypatch.setattr(KeptStylesheet, "_used", set())
    monkeypatch.setattr(KeptStylesheet, "_on_disk", set())
    monkeypatch.setattr(KeptStylesheet, "_file", None)
    return tmp_path / "cache" / "stylesheet.pickle"


def _counting(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real = Stylesheet._parse_rules

    def counting(self, css, *args, **kwargs):
        parsed.append(css)
        return real(self, css, *args, **kwargs)

    monkeypatch.setattr(Stylesheet, "_parse_rules", counting)
    return parsed


def _next_start(file) -> None:
    """What a new process has: nothing parsed, the file."""
    KeptStylesheet._kept.clear()
    KeptStylesheet._used.clear()
    KeptStylesheet._on_disk = set()
    KeptStylesheet.keep_in(file)


def test_the_next_start_reads_the_rules_kept_on_disk_and_parses_nothing(kept_in, monkeypatch):
    dark = {"surface": "#121212", "error": "#ba3c5b"}
    KeptStylesheet.keep_in(kept_in)  # the first start: no file yet
    first = _rules(_sheet(KeptStylesheet, dark))
    KeptStylesheet.keep_on_disk()
    assert kept_in.exists() and stat.S_IMODE(kept_in.stat().st_mode) == 0o600
    parsed = _counting(monkeypatch)
    _next_start(kept_in)
    assert _rules(_sheet(KeptStylesheet, dark)) == first
    assert parsed == []
    before = kept_in.stat().st_mtime_ns
    KeptStylesheet.keep_on_disk()  # nothing new: not written again
    assert kept_in.stat().st_mtime_ns == before


@pytest.mark.parametrize("spoilt", ["cut short", "not a pickle", "another build"])
def test_a_kept_file_that_cannot_be_used_is_parsed_again_and_replaced(kept_in, monkeypatch, spoilt):
    dark = {"surface": "#121212", "error": "#ba3c5b"}
    KeptStylesheet.keep_in(kept_in)
    first = _rules(_sheet(KeptStylesheet, dark))
    KeptStylesheet.keep_on_disk()
    whole = kept_in.read_bytes()
    if spoilt == "cut short":
        kept_in.write_bytes(whole[: len(whole) // 2])
    elif spoilt == "not a pickle":
        kept_in.write_text("Screen { color: red; }")
    else:  # made by another Python or Textual: its objects may not be this Textual's
        build, rules = pickle.loads(whole)
        kept_in.write_bytes(pickle.dumps((build[:-1], rules)))
    parsed = _counting(monkeypatch)
    _next_start(kept_in)
    assert _rules(_sheet(KeptStylesheet, dark)) == first
    assert parsed == [CSS]
    KeptStylesheet.keep_on_disk()
    _next_start(kept_in)
    assert KeptStylesheet._on_disk  # good again


def test_the_file_keeps_one_version_of_each_place(kept_in):
    # A new version of the app (or another theme) replaces a place's rules in the file, and
    # a place not used this time (a screen not opened) keeps its own: the file does not grow.
    dark = {"surface": "#121212", "error": "#ba3c5b"}
    KeptStylesheet.keep_in(kept_in)
    for css, where in ((CSS, "app.tcss"), ("Footer { height: 1; }", "footer")):
        sheet = KeptStylesheet(variables=dark)
        sheet.add_source(css, read_from=(where, ""))
        sheet.parse()
    KeptStylesheet.keep_on_disk()
    _next_start(kept_in)
    sheet = KeptStylesheet(variables=dark)
    sheet.add_source(CSS.replace("bold", "italic"), read_from=("app.tcss", ""))
    sheet.parse()
    KeptStylesheet.keep_on_disk()
    _, rules = pickle.loads(kept_in.read_bytes())
    assert sorted((key[1][0], "italic" in key[0]) for key in rules) == [
        ("app.tcss", True),
        ("footer", False),
    ]
