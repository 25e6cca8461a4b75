"""The kept stylesheet (ui/stylesheet.py): re-parsing with the same theme parses nothing again,
and what it gives is what Textual's own stylesheet gives, for every theme."""

from __future__ import annotations

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
