"""Live texts: printed texts (titles, the unit line) that follow what is typed.

A grid cell's ``live`` parts (spec) become a :class:`~.model.Static` whose parts are literal
texts and :class:`~.model.LiveRef` cells with their addresses (:func:`resolve`, once every sheet
is planned: a part may follow a cell of the department sheet). The generator writes
:func:`formula` with the cached value :func:`value` computes from the values it writes (LibreOffice
and Excel trust a cached value until a cell it depends on changes); the reader accepts the
formula whatever it shows and recomputes the text when a program saved the value only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..spec.model import CellSpec
from .model import Box, LivePending, LiveRef, Place, SheetLayout, Static, a1, quote_sheet


def resolve(sheets: Sequence[SheetLayout]) -> list[SheetLayout]:
    """The sheets with every live part placed (the loader made sure each target exists)."""
    out: list[SheetLayout] = []
    for sheet in sheets:
        if not any(st.live for st in sheet.statics):
            out.append(sheet)
            continue
        statics = tuple(replace(st, live=tuple(_place(p, sheet, sheets) for p in st.live))
                        if st.live else st for st in sheet.statics)
        out.append(replace(sheet, statics=statics))
    return out


def _place(part: str | LiveRef | LivePending, here: SheetLayout,
           sheets: Sequence[SheetLayout]) -> str | LiveRef:
    if not isinstance(part, LivePending):
        return part
    target = here if part.key in (None, here.key) else next(s for s in sheets if s.key == part.key)
    cell = target.input(part.field)
    assert cell.place == Place.field
    return LiveRef(target.name, a1(cell.box.r1, cell.box.c1, absolute=True), cell.path,
                   part.blank, part.before)


def _literal(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def formula(static: Static, sheet: str) -> str:
    """The Excel formula of a live text on worksheet ``sheet`` (``=...``)."""
    terms: list[str] = []
    for part in static.live:
        assert not isinstance(part, LivePending), "live parts are placed by resolve()"
        if isinstance(part, str):
            if part:
                terms.append(_literal(part))
            continue
        ref = part.cell if part.sheet == sheet else f"{quote_sheet(part.sheet)}!{part.cell}"
        if part.blank or part.before:
            shown = f"{_literal(part.before)}&{ref}" if part.before else ref
            terms.append(f'IF({ref}="",{_literal(part.blank)},{shown})')
        else:
            terms.append(f'{ref}&""')
    return "=" + ("&".join(terms) if terms else '""')


def value(static: Static, lookup: Callable[[str, tuple[str | int, ...]], Any]) -> str:
    """The text the formula shows when ``lookup(sheet, path)`` gives each cell's value."""
    out: list[str] = []
    for part in static.live:
        assert not isinstance(part, LivePending), "live parts are placed by resolve()"
        if isinstance(part, str):
            out.append(part)
            continue
        got = lookup(part.sheet, part.path)
        text = "" if got is None else format(got, "f") if isinstance(got, Decimal) else str(got)
        out.append(part.before + text if text else part.blank)
    return "".join(out)


def pending(box: Box, cell: CellSpec, n: int | None) -> Static:
    """The static of a grid cell with ``live`` parts, its cells still to be placed; literal
    parts are Jinja2 texts knowing ``n`` (the project number)."""
    parts: list[str | LiveRef | LivePending] = []
    for part in cell.live or ():
        if isinstance(part, str):
            parts.append(_render(part, n or 0) if "{" in part else part)
        else:
            parts.append(LivePending(part.sheet, part.field, part.blank, part.before))
    shown = "".join(p if isinstance(p, str) else p.blank for p in parts)
    return Static(box, shown, cell.style or "label", live=tuple(parts))


@lru_cache(maxsize=1024)
def _render(text: str, n: int) -> str:
    from .plan import render_n  # (Jinja2, imported by the planner when it plans)

    return render_n(text, n)
