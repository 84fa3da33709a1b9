"""Stored cells → the values the clerk saw, by the kind of field each cell is.

* Text fields (names, 指标值, goals …): a string is the text; a number is what the spreadsheet
  showed for it (``1`` in a ``0%`` cell → ``100%``, a date serial → ``03-05``), with a warning
  ``text_cell_not_text`` when its format made it something else than the digits typed: the cell
  was not text, so the spreadsheet converted what was typed (an old template, a pasted cell).
* Money, percent, integer, date, code and phone cells keep numeric handling: the number as a value
  of its kind (a date-formatted serial is a date), which their parsers understand; a number in a
  percent-formatted percent cell is the percentage itself (0.25 → 25).
* Booleans and errors are read as the text the spreadsheet shows (``TRUE``, ``#DIV/0!``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..findings import Finding, Severity
from ..layout.model import a1
from ..spec.model import Kind
from ..values import _display as display
from ._cells import BLANK, BOOLEAN, ERROR, ISO_DATE, NUMBER, TEXT_TYPES, RawCell
from ._reader import TEXT_KINDS, Path_, RawWorkbook

#: formats whose rendering of a number is just its digits (nothing was converted)
_PLAIN = frozenset({display.GENERAL, display.TEXT, display.NUMBER})


def seen_values(raw: RawWorkbook) -> tuple[dict[str, dict[Path_, Any]], list[Finding]]:
    """Per sheet, per input path, the value to parse; and the findings about converted cells."""
    out: dict[str, dict[Path_, Any]] = {}
    findings: list[Finding] = []
    filled = raw.filled
    for sheet in raw.layout.sheets:
        cells = raw.cells.get(sheet.name)
        if cells is None:
            continue
        values: dict[Path_, Any] = {}
        # the inputs holding a value, as the read found them (the same list as filtering every
        # input's cell here: a test compares both ways)
        pairs = filled.get(sheet.name) if filled is not None else None
        if pairs is None:
            get = cells.get
            pairs = [(inp, cell) for inp in sheet.inputs
                     if (cell := get(inp.path)) is not None and cell.type != BLANK]
        for inp, cell in pairs:
            if cell.type in TEXT_TYPES:  # (what seen() gives them, decided in one test)
                values[inp.path] = cell.value
                continue
            value = seen(cell, inp.kind)
            values[inp.path] = value
            if (inp.kind in TEXT_KINDS and cell.type == NUMBER
                    and display.format_class(cell.number_format) not in _PLAIN):
                findings.append(Finding(
                    Severity.warning, "text_cell_not_text",
                    f"“{inp.label}”单元格不是文本格式，表格软件把填写的内容转换成了"
                    f"{_what(cell.number_format)}，已按显示的“{str(value)[:40]}”读取，请核对",
                    sheet=sheet.name, cell=a1(inp.box.r1, inp.box.c1), value=str(value)[:40]))
        out[sheet.name] = values
    return out, findings


def _what(code: str) -> str:
    cls = display.format_class(code)
    return {display.PERCENT: "百分比数字", display.DATE: "日期或时间",
            display.DURATION: "时间长度"}.get(cls, "数字")


def seen(cell: RawCell, kind: Kind) -> Any:
    """The value of one stored cell for a field of ``kind``."""
    kind_type = cell.type
    if kind_type == NUMBER:
        number = cell.value
        if kind in TEXT_KINDS:
            return display.shown_text(number, cell.number_format)
        if kind == Kind.percent and display.format_class(cell.number_format) == display.PERCENT \
                and abs(number) < 1e15:
            return Decimal(repr(number)).scaleb(2)
        return display.typed_value(number, cell.number_format)
    if kind_type == BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if kind_type in (ERROR, ISO_DATE):
        return str(cell.value)
    return cell.value
