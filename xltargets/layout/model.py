"""The layout plan: where everything of a form goes, as plain immutable data.

The generator draws a :class:`Layout`; the reader reads through the very same object. Nothing
else knows a cell address. Rows and columns are 0-based here; :func:`a1` turns them into the
A1 references Excel shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..spec.model import Kind


def col_letter(col: int) -> str:
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def a1(row: int, col: int, *, absolute: bool = False) -> str:
    if absolute:
        return f"${col_letter(col)}${row + 1}"
    return f"{col_letter(col)}{row + 1}"


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
class Static:
    """Printed text: a label, a title, a header. ``template`` texts are Jinja2, rendered when drawn."""

    box: Box
    text: str
    style: str
    template: bool = False


@dataclass(frozen=True)
class Input:
    """One input cell. ``path`` locates its value in a submission (``("indicators", 3, "value")``)."""

    box: Box
    path: tuple[str | int, ...]
    field: str
    kind: Kind
    label: str
    style: str
    required: bool = False
    #: the generator sets it and locks it (the budget year)
    fixed: bool = False
    #: the roster may set it; then it is written and locked
    prefillable: bool = False
    max_length: int | None = None
    length: int | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    digits: int | None = None
    list_id: str | None = None


@dataclass(frozen=True)
class CheckCell:
    box: Box
    rule_id: str
    formula: str


@dataclass(frozen=True)
class Validation:
    """One data-validation rule, in XlsxWriter's vocabulary (``options`` is its dict)."""

    ref: str
    options: dict[str, Any]
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
    cells: dict[str, Input]
    fixed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TableLayout:
    id: str
    label: str
    style: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]
    header_row: int


@dataclass(frozen=True)
class SheetLayout:
    key: str                      # the spec's sheet id: "department" or "project"
    name: str                     # the worksheet name
    index: int | None             # 1-based project number on repeated sheets
    col_widths: tuple[float, ...]
    row_heights: dict[int, float]
    statics: tuple[Static, ...]
    inputs: tuple[Input, ...]
    checks: tuple[CheckCell, ...]
    validations: tuple[Validation, ...]
    names: tuple[Name, ...]
    tables: dict[str, TableLayout]
    repeat_rows: tuple[int, int] | None
    landscape: bool
    n_rows: int

    def input(self, field_id: str) -> Input:
        for cell in self.inputs:
            if cell.path == (field_id,):
                return cell
        raise KeyError(field_id)

    def scalar_inputs(self) -> list[Input]:
        return [c for c in self.inputs if len(c.path) == 1]


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
    level1_names: dict[str, str]     # 一级 label -> its 二级 list name

    def sheets_of(self, key: str) -> list[SheetLayout]:
        return [s for s in self.sheets if s.key == key]

    def sheet(self, name: str) -> SheetLayout:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)
