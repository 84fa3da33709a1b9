"""The layout plan: where everything of a form goes, as plain immutable data.

The generator draws a :class:`Layout`; the reader reads through the very same object. Nothing
else knows a cell address. Rows and columns are 0-based here; :func:`a1` turns them into the
A1 references Excel shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ..cellrules import CellLimit
from ..spec.model import Kind

#: an empty read-only mapping (layouts are shared through the planner's cache: never mutable)
EMPTY: Mapping[Any, Any] = MappingProxyType({})


def frozen_map(items: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """A read-only copy of ``items``."""
    return MappingProxyType(dict(items))


class Place(StrEnum):
    """What kind of place an input cell is (never inferred from the length of its path)."""

    #: a scalar field: path ``(field,)``
    field = "field"
    #: one item of a text_list field: path ``(field, i)``
    list_item = "list_item"
    #: one cell of a table row: path ``(table, row, column)``
    table_cell = "table_cell"


#: column letters of the grid's 16,384 columns, worked out once (the reader needs A1 references
#: without importing XlsxWriter: a cached layout makes `xltargets read` import no writer)
_COLUMNS: list[str] = []


def _column_letters() -> list[str]:
    if not _COLUMNS:
        letters = [chr(65 + i) for i in range(26)]
        two = [a + b for a in letters for b in letters]
        _COLUMNS.extend(letters + two + [a + b for a in letters for b in two])
    return _COLUMNS


def col_letter(col: int) -> str:
    """0-based column -> its letters (as XlsxWriter's ``xl_col_to_name``)."""
    if 0 <= col < 18_278:
        return _column_letters()[col]
    from xlsxwriter.utility import xl_col_to_name  # (outside the grid: its warning and answer)

    return xl_col_to_name(col)


def a1(row: int, col: int, *, absolute: bool = False) -> str:
    """0-based row and column -> an A1 reference (``$A$1`` when ``absolute``), as XlsxWriter's
    ``xl_rowcol_to_cell``."""
    if row >= 0 and 0 <= col < 18_278:
        letters = _column_letters()[col]
        return f"${letters}${row + 1}" if absolute else f"{letters}{row + 1}"
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


_A1 = re.compile(r"\$?([A-Z]{1,3})\$?([1-9][0-9]{0,6})")


def a1_position(ref: str) -> tuple[int, int]:
    """An A1 reference of one cell (``$`` allowed) -> 0-based (row, column); ValueError when it
    is not one (XlsxWriter would only warn and say A1)."""
    match = _A1.fullmatch(ref)
    if not match:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    col = 0
    for char in match.group(1):
        col = col * 26 + ord(char) - 64
    return int(match.group(2)) - 1, col - 1


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


@dataclass(frozen=True)
class Box:
    """A cell or a merged block: rows r1..r2, columns c1..c2, inclusive."""

    r1: int
    c1: int
    r2: int
    c2: int

    @property
    def merged(self) -> bool:
        return self.r2 > self.r1 or self.c2 > self.c1

    @property
    def ref(self) -> str:
        return a1(self.r1, self.c1)


@dataclass(frozen=True)
class LiveRef:
    """A typed cell a live text follows: where it is (``sheet`` name, absolute ``cell``) and its
    input ``path`` there; ``blank`` is shown while it is empty, ``before`` precedes its text."""

    sheet: str
    cell: str
    path: tuple[str | int, ...]
    blank: str = ""
    before: str = ""


@dataclass(frozen=True)
class LivePending:
    """A live part while the sheets are planned: field ``field`` of the sheet with id ``key``
    (None: the cell's own sheet); :func:`xltargets.layout.live.resolve` places it."""

    key: str | None
    field: str
    blank: str = ""
    before: str = ""


@dataclass(frozen=True)
class Static:
    """Printed text: a label, a title, a header. ``template`` texts are Jinja2, rendered when drawn.

    ``live`` set: the text follows typed cells (literal parts and :class:`LiveRef`), drawn as a
    formula whose cached value is computed from the values written (xltargets.layout.live);
    ``text`` is then what it shows while every cell is empty."""

    box: Box
    text: str
    style: str
    template: bool = False
    live: tuple[str | LiveRef | LivePending, ...] = ()


@dataclass(frozen=True)
class Input:
    """One input cell. ``path`` locates its value in a submission (``("indicators", 3, "value")``);
    ``place`` says what kind of place it is."""

    box: Box
    path: tuple[str | int, ...]
    field: str
    kind: Kind
    label: str
    style: str
    place: Place = Place.field
    required: bool = False
    #: the generator sets it and locks it (the budget year)
    fixed: bool = False
    #: what the generator sets it from (``year``), with ``fixed``
    source: str | None = None
    #: kind money: 万元 or 元
    money_unit: str = "万元"
    #: the roster may set it; then it is written and locked
    prefillable: bool = False
    max_length: int | None = None
    length: int | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    digits: int | None = None
    list_id: str | None = None
    #: limits on what may be typed (length, pattern): the template's validation and the
    #: reader's checks both come from these objects (xltargets.cellrules)
    limits: tuple[CellLimit, ...] = ()


@dataclass(frozen=True)
class CheckCell:
    box: Box
    rule_id: str
    formula: str


@dataclass(frozen=True)
class Validation:
    """One data-validation rule, in XlsxWriter's vocabulary (``options`` is its read-only dict)."""

    ref: str
    options: Mapping[str, Any]
    origin: str


@dataclass(frozen=True)
class Name:
    """A defined name; ``sheet`` set means scoped to that sheet."""

    name: str
    ref: str
    sheet: str | None = None
    hidden: bool = False


@dataclass(frozen=True)
class TableRow:
    """One input row of a table: its input cells by column id, and fixed (printed) values."""

    index: int
    cells: Mapping[str, Input]
    fixed: Mapping[str, str] = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True)
class TableLayout:
    id: str
    label: str
    style: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]
    header_row: int
    #: columns whose repeated values print once (TableSpec.merge_equal)
    merge_equal: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetLayout:
    key: str                      # the spec's sheet id: "department" or "project"
    name: str                     # the worksheet name
    index: int | None             # 1-based project number on repeated sheets
    col_widths: tuple[float, ...]
    row_heights: Mapping[int, float]
    statics: tuple[Static, ...]
    inputs: tuple[Input, ...]
    checks: tuple[CheckCell, ...]
    validations: tuple[Validation, ...]
    names: tuple[Name, ...]
    tables: Mapping[str, TableLayout]
    repeat_rows: tuple[int, int] | None
    landscape: bool
    n_rows: int
    #: hidden names holding long validation formulas (patterns); Excel keeps a validation
    #: formula to 255 characters, a name to 8,192
    formula_names: tuple[Name, ...] = ()
    #: (first row, first col, last row, last col) printed, when the sheet has cells beside the
    #: form (check cells) that must not print; None: everything prints
    print_area: tuple[int, int, int, int] | None = None
    #: printed pages tall at most (0: as many as needed); always one page wide
    pages: int = 1
    #: rows out of sight and off the printout (RowSpec.hidden)
    hidden_rows: tuple[int, ...] = ()
    #: rows before which a manual page break goes (a sheet a capacity made taller: see
    #: plan._paginate); empty: the program breaks pages itself
    row_breaks: tuple[int, ...] = ()

    def input(self, field_id: str) -> Input:
        for cell in self.inputs:
            if cell.place == Place.field and cell.field == field_id:
                return cell
        raise KeyError(field_id)

    def scalar_inputs(self) -> list[Input]:
        return [c for c in self.inputs if c.place == Place.field]


@dataclass(frozen=True)
class ListsSheet:
    """The hidden sheet holding dropdown lists (and a copy of the template stamp)."""

    name: str
    columns: tuple[tuple[str, tuple[str, ...]], ...]   # (header, values) per column, from A
    names: tuple[Name, ...]
    stamp_col: int


@dataclass(frozen=True)
class Layout:
    spec_id: str
    spec_version: str
    spec_hash: str
    project_count: int
    sheets: tuple[SheetLayout, ...]
    lists: ListsSheet
    instructions_sheet: str
    level1_names: Mapping[str, str]     # 一级 label -> its 二级 list name

    def sheets_of(self, key: str) -> list[SheetLayout]:
        return [s for s in self.sheets if s.key == key]

    def sheet(self, name: str) -> SheetLayout:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)
