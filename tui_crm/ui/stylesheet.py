"""Textual's stylesheet, with the rules it parses kept for as long as the process runs."""

from __future__ import annotations

from typing import ClassVar

from textual.css.model import RuleSet
from textual.css.stylesheet import CSSLocation, Stylesheet

KEEP_AT_MOST = 4_096  # parsed sources; one theme's are some 100


class KeptStylesheet(Stylesheet):
    """Textual re-parses every CSS source (its widgets', ours) each time the stylesheet is
    re-parsed: when the theme is set, when a mode is first shown, when a screen brings CSS of
    its own. Each pass cost 7-19 ms, about 60 ms before the first frame. A source's rules
    depend only on its text, where it was read from, its scope and priority, and the CSS
    variables (the theme's colours), so they are kept by those for every stylesheet of the
    process and a re-parse with the same theme parses nothing again."""

    _kept: ClassVar[dict[tuple, list[RuleSet]]] = {}

    def _parse_rules(
        self,
        css: str,
        read_from: CSSLocation,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list[RuleSet]:
        key = (css, read_from, is_default_rules, tie_breaker, scope, *self._variables.items())
        rules = self._kept.get(key)
        if rules is None:
            rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
            if len(self._kept) >= KEEP_AT_MOST:
                self._kept.clear()
            self._kept[key] = rules
        return rules

    def reparse(self) -> None:
        # Textual's own, but the fresh stylesheet it parses into is one of these (Textual's
        # makes a plain `Stylesheet`, which would parse every source again).
        stylesheet = type(self)(variables=self._variables)
        for read_from, (css, is_defaults, tie_breaker, scope) in self.source.items():
            stylesheet.add_source(
                css,
                read_from=read_from,
                is_default_css=is_defaults,
                tie_breaker=tie_breaker,
                scope=scope,
            )
        try:
            stylesheet.parse()
        except Exception:
            self._invalid_css.update(stylesheet._invalid_css)
            raise
        self._rules = stylesheet.rules
        self._rules_map = None
        self.source = stylesheet.source
        self._require_parse = False
