"""The CLI's consoles, made on first use: importing rich costs more than reading a return.

:class:`LazyConsole` stands for a ``rich.console.Console`` and creates it when something else
than a plain line is printed. A plain line (one printable string without markup brackets or
``:emoji:`` colons, printed with ``highlight=False``) is written as rich would write it, the text
and a newline, without importing rich at all: that is what ``xltargets read FILE -o OUT`` prints.
"""

from __future__ import annotations

import re
import sys
from typing import Any

#: what rich would change in a line: a markup tag, an emoji code
_RICH_SYNTAX = re.compile(r"\[|:\S*:")


class LazyConsole:
    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def real(self) -> Any:
        """The rich Console itself (for rich's progress bars)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: A003 - rich's name
        if self._console is None and self._plain(objects, kwargs):
            stream = sys.stderr if self._options.get("stderr") else sys.stdout
            stream.write(objects[0] + "\n")
            return
        self.real().print(*objects, **kwargs)

    def _plain(self, objects: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        if len(objects) != 1 or not isinstance(objects[0], str):
            return False
        highlight = kwargs.get("highlight", self._options.get("highlight", True))
        if highlight or set(kwargs) - {"highlight", "markup"}:
            return False
        text = objects[0]
        # rich drops control characters and reads markup and emoji codes: leave those to it
        return text.isprintable() and _RICH_SYNTAX.search(text) is None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)
