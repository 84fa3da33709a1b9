"""The typed model of a form spec (what a ``specs/*.yaml`` file holds).

A spec says *what* a form contains (fields, tables, the indicator taxonomy, lists, rules) and
*how it is drawn* as a grid of rows, read like an HTML table: each row lists its cells left to
right, a cell may span columns (``span``) and rows (``rowspan``), and later rows skip the
positions that a rowspan above already covers. The layout planner turns this into cell
addresses; nothing else in xltargets interprets the grid.
"""

from __future__ import annotations

import builtins
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..rules import Rule

_ID = r"^[a-z][a-z0-9_]*$"


class _Model(BaseModel):
    # extra="forbid" turns a misspelt key into a located error instead of a silent no-op
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind(StrEnum):
    """What a field or column holds; decides cell format, Excel validation and parsing."""

    text = "text"
    long_text = "long_text"
    money = "money"
    percent = "percent"
    integer = "integer"
    date = "date"
    phone = "phone"
    code = "code"
    choice = "choice"
    text_list = "text_list"
    indicator_value = "indicator_value"


class FieldSpec(_Model):
    id: Annotated[str, Field(pattern=_ID)]
    label: str
    kind: Kind
    required: bool = False
    help: str | None = None
    #: a value the roster may supply; when supplied the cell is written and locked
    prefill: bool = False
    #: a Jinja2 text giving the prefill when the roster has no column for this field
    #: (``{{ unit_name }}`` for Hunan's 部门名称)
    default: str | None = None
    #: a value the generator always sets (``year``); the cell is always locked
    source: Literal["year"] | None = None
    #: regular expression the text must match in full (codes)
    pattern: str | None = None
    #: human description of the pattern, used in prompts and messages
    pattern_hint: str | None = None
    #: exact length in characters (Excel can check length, not a regex)
    length: int | None = None
    #: digits a numeric code must have (zero padding restores what Excel dropped)
    digits: int | None = None
    max_length: int | None = None
    #: list id (from ``lists``) for kind choice
    list: str | None = None
    #: number of rows for kind text_list
    rows: int | None = None
    #: minimum number of filled items for kind text_list
    min_items: int = 0
    #: height of the input row in points (long texts)
    height: float | None = None


class ColumnSpec(_Model):
    id: Annotated[str, Field(pattern=_ID)]
    label: str
    kind: Kind = Kind.text
    span: int = 1
    required: bool = False
    help: str | None = None
    max_length: int | None = None
    #: a strict dropdown from a list id, or ``taxonomy.level1`` / ``taxonomy.level2``
    list: str | None = None
    #: the column whose value selects this column's list (the 一级 → 二级 cascade)
    depends_on: str | None = None
    #: a list offered as suggestions while any text is accepted (warning-style validation)
    suggest: str | None = None


class TableSpec(_Model):
    id: Annotated[str, Field(pattern=_ID)]
    label: str
    #: ``free``: ``rows`` blank input rows with 一级/二级 dropdowns;
    #: ``skeleton``: one block per taxonomy category printed in taxonomy order (Hunan)
    style: Literal["free", "skeleton"] = "free"
    rows: int = 12
    rows_per_category: int = 1
    #: per 二级 label, rows for that category when it needs more than ``rows_per_category``
    category_rows: dict[str, int] = {}
    columns: list[ColumnSpec]
    #: the columns holding the taxonomy levels (skeleton tables print them as labels)
    level1: str = "level1"
    level2: str = "level2"
    #: the height of each input row in points
    row_height: float | None = None


class CellSpec(_Model):
    """One cell of the grid: a literal text, an input field, or a live check cell."""

    text: str | None = None
    field: str | None = None
    check: str | None = None
    span: int = 1
    rowspan: int = 1
    style: Literal["label", "text", "title", "subtitle", "right", "note", "blank", "box"] | None = None


class RowSpec(_Model):
    """A grid row: ``cells``, or a block that expands to many rows (``table``, ``list``)."""

    cells: builtins.list[CellSpec] | None = None
    table: str | None = None
    list: str | None = None
    #: a label to the left of a table or list block, spanning all its rows
    side_label: str | None = None
    #: columns the side label takes (the block starts after it)
    side_span: int = 1
    height: float | None = None
    #: print titles: rows marked repeat are repeated at the top of each printed page
    repeat: bool = False


class SheetSpec(_Model):
    id: Annotated[str, Field(pattern=_ID)]
    #: sheet name, a Jinja2 text; ``{{ n }}`` is the project's number on repeated sheets
    name: str
    repeat: Literal["once", "per_project"] = "once"
    columns: list[float]
    fields: list[FieldSpec] = []
    tables: list[TableSpec] = []
    rows: list[RowSpec]
    landscape: bool = False


class TaxonomyNode(_Model):
    level1: str
    level2: list[str]


class Spec(_Model):
    """A whole form style."""

    format: Literal["xltargets.spec/1"] = "xltargets.spec/1"
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    version: str
    name: str
    description: str = ""
    #: 一级 → 二级, in print order
    taxonomy: list[TaxonomyNode]
    #: named value lists for dropdowns and suggestions
    lists: dict[str, list[str]] = {}
    sheets: list[SheetSpec]
    rules: list[Rule] = []
    #: extra paragraphs for the instructions sheet (填表说明)
    instructions: list[str] = []

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        # YAML reads 1.0 as a float; a version is a label, not a number
        return str(value) if isinstance(value, int | float) else value

    # --- lookups used by layout and checks -------------------------------------------------
    def sheet(self, sheet_id: str) -> SheetSpec:
        for sheet in self.sheets:
            if sheet.id == sheet_id:
                return sheet
        raise KeyError(sheet_id)

    def level2_of(self, level1: str) -> list[str]:
        for node in self.taxonomy:
            if node.level1 == level1:
                return node.level2
        return []
