"""Free text fields (names, goals, descriptions)."""

from __future__ import annotations

from ._core import Parsed, text_prelude


def parse_text(raw: object, *, max_length: int | None = None) -> Parsed[str]:
    """Cleaned text (see ``clean_text``); note ``too_long`` past ``max_length`` characters.

    An over-long text keeps its value: cutting a department's words is the reviewer's call.
    """
    text = text_prelude(raw)
    if isinstance(text, Parsed):
        return text
    if max_length is not None and len(text) > max_length:
        return Parsed(text, raw, notes=("too_long",))
    return Parsed(text, raw)
