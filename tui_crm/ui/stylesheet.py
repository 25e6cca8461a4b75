"""Textual's stylesheet, with the rules it parses kept for as long as the process runs, and on
disk from one start to the next."""

from __future__ import annotations

import gc
import os
import pickle
import sys
import threading
from contextlib import suppress
from pathlib import Path
from typing import ClassVar

from textual.css.model import RuleSet
from textual.css.stylesheet import CSSLocation, Stylesheet

KEEP_AT_MOST = 4_096  # parsed sources; one theme's are some 100
FILE_NAME = "stylesheet.pickle"


# The modules whose objects the kept rules are (pickled by reference to their classes).
MADE_BY = (
    "textual",
    "textual.color",
    "textual.css._style_properties",
    "textual.css.constants",
    "textual.css.match",
    "textual.css.model",
    "textual.css.parse",
    "textual.css.scalar",
    "textual.css.styles",
    "textual.css.stylesheet",
    "textual.css.tokenizer",
    "textual.css.transition",
    "textual.css.types",
    "textual.geometry",
    "textual.style",
)


def _textual_build() -> tuple:
    """What the kept rules were made by: this Python, and the files of Textual's modules that
    make them. Reading Textual's version from its metadata would cost 8 ms at every start;
    the files' sizes and times of change say the same (an upgrade, a reinstall) for 0.1."""
    build: list = [sys.version]
    for name in MADE_BY:
        path = getattr(sys.modules.get(name), "__file__", None)
        with suppress(OSError, TypeError):
            found = os.stat(path)  # type: ignore[arg-type]
            build.append((name, found.st_size, found.st_mtime_ns))
    return tuple(build)


def _place(key: tuple) -> tuple:
    """Where a kept source was read from (its file or class, scope and priority), without
    its text and the theme's colours."""
    return key[1:5]


class KeptStylesheet(Stylesheet):
    """Textual re-parses every CSS source (its widgets', ours) each time the stylesheet is
    re-parsed: when the theme is set, when a mode is first shown, when a screen brings CSS of
    its own. Each pass cost 7-19 ms, about 60 ms before the first frame. A source's rules
    depend only on its text, where it was read from, its scope and priority, and the CSS
    variables (the theme's colours), so they are kept by those for every stylesheet of the
    process and a re-parse with the same theme parses nothing again.

    The first parse of a process still cost 20-30 ms of the 250 to the first frame (the
    tokenizer, in Python). So the rules are also kept in a file (`keep_on_disk`, as the app
    ends and once its first rows are drawn) and read back as the next start's first parse
    begins (`read_from_disk`, 3 ms): Python's own bytecode cache, for the stylesheet. A file
    that is missing, unreadable, or made by another Python or Textual is passed over, and the
    rules are parsed as before."""

    _kept: ClassVar[dict[tuple, list[RuleSet]]] = {}
    _used: ClassVar[set[tuple]] = set()  # the sources this process has parsed (or read kept)
    _file: ClassVar[Path | None] = None  # where the rules are kept between starts
    _on_disk: ClassVar[set[tuple]] = set()  # the sources the file holds

    @classmethod
    def keep_in(cls, file: Path | None) -> None:
        """Keep the rules in `file` between starts (None: only in this process)."""
        cls._file = file
        if file is not None:
            cls.read_from_disk()

    @classmethod
    def read_from_disk(cls) -> int:
        """Add the rules kept in the file to those of this process; how many sources."""
        if cls._file is None:
            return 0
        collecting = gc.isenabled()
        gc.disable()  # tens of thousands of objects, none garbage: no pass needs to look
        try:
            with open(cls._file, "rb") as kept:
                build, rules = pickle.load(kept)
        except Exception:  # missing, cut short, or not ours: parsed again, and kept anew
            return 0
        finally:
            if collecting:
                gc.enable()
        if build != _textual_build() or not isinstance(rules, dict):
            return 0
        for key, value in rules.items():
            cls._kept.setdefault(key, value)
        cls._on_disk = set(rules)
        return len(rules)

    @classmethod
    def keep_on_disk(cls, *, wait: bool = True) -> threading.Thread | None:
        """Write the rules to the file if this process used sources it did not hold: whole or
        not at all (a private file renamed over the old one). Not waited for with
        `wait=False`: written by a thread of its own (pickling is some 4 ms).

        The file keeps what this process used, and what it held for other places (screens
        not opened this time): a place whose CSS or theme changed keeps only its rules of
        now, so the file does not grow with every version of the app."""
        file = cls._file
        if file is None or cls._used <= cls._on_disk:
            return None
        used = {key: cls._kept[key] for key in cls._used if key in cls._kept}
        places = {_place(key) for key in used}
        rules = {
            key: cls._kept[key]
            for key in cls._on_disk
            if key in cls._kept and _place(key) not in places
        }
        rules.update(used)
        cls._on_disk = set(rules)
        build = _textual_build()

        def write() -> None:
            from tui_crm.paths import ensure_private_dir
            from tui_crm.whole_files import replacing

            with suppress(Exception):  # a cache: not kept this time costs the next start time
                ensure_private_dir(file.parent)
                with (
                    replacing(file, prefix=".tui-crm-stylesheet-", suffix=".part") as part,
                    open(part, "wb") as out,
                ):
                    pickle.dump((build, rules), out, protocol=pickle.HIGHEST_PROTOCOL)

        if wait:
            write()
            return None
        thread = threading.Thread(target=write, name="keep stylesheet", daemon=True)
        thread.start()
        return thread

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
                self._used.clear()
            self._kept[key] = rules
        self._used.add(key)
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
