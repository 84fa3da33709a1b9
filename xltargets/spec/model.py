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

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..rules import Rule

_ID = r"^[a-z][a-z0-9_]*$"


class _Model(BaseModel):
    # extra="forbid" turns a misspelt key into a located error instead of a silent no-op
    # defer_build: validators are built when a spec is first validated, not at import; a
    # command that uses a cached spec (spec._cache) never builds them
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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


#: the money units a spec or a field may use (docs/specs.md, "Money units")
MoneyUnit = Literal["万元", "元"]


class FieldSpec(_Model):
    id: Annotated[str, Field(pattern=_ID)]
    label: str
    kind: Kind
    #: kind money: the unit of this field when it differs from the spec's ``money_unit``
    unit: MoneyUnit | None = None
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
    #: a list offered as suggestions while any text is accepted (项目性质: 阶段性项目 …)
    suggest: str | None = None
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
    #: kind money: the unit of this column when it differs from the spec's ``money_unit``
    unit: MoneyUnit | None = None
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
    #: the columns holding the taxonomy levels (skeleton tables print them as labels); the
    #: indicator table of ``roles.indicators`` gets them from there
    level1: str | None = None
    level2: str | None = None
    #: the height of each input row in points
    row_height: float | None = None
    #: skeleton tables: a printed label per 二级 where the form prints another text than the
    #: taxonomy's name (the value read stays the taxonomy's 二级)
    level_labels: dict[str, str] = {}
    #: free tables: columns whose value, repeated on consecutive rows, prints once like the
    #: official form's merged cells (Hebei's 一级指标); every row keeps its own cell, value and
    #: dropdown (a real merge would leave one cell and break each row's 一级 → 二级 cascade)
    merge_equal: list[str] = []

    def level_columns(self) -> tuple[str, str]:
        """The (一级, 二级) column ids; the loader makes sure a table used with the taxonomy
        (skeleton style, taxonomy rules) declares them."""
        if self.level1 is None or self.level2 is None:
            raise KeyError(f"table '{self.id}' has no level columns")
        return self.level1, self.level2


class LivePart(_Model):
    """A typed cell a live text follows (``live`` of a grid cell)."""

    field: str
    #: the id of another sheet holding the field (a sheet printed once, e.g. the department
    #: sheet); by default the field is on the cell's own sheet
    sheet: str | None = None
    #: shown while the cell is empty (``预算项目``)
    blank: str = ""
    #: put before the cell's text when it is not empty (a separator: ``" "``)
    before: str = ""


class CellSpec(_Model):
    """One cell of the grid: a literal text, an input field, a live check cell, or a live text."""

    text: str | None = None
    field: str | None = None
    check: str | None = None
    #: a printed text that follows typed cells (a title naming the typed project): literal
    #: parts (Jinja2 texts knowing ``n``) and typed cells, joined; the template holds it as a
    #: formula with its value computed at generation
    live: builtins.list[str | LivePart] | None = None
    span: int = 1
    rowspan: int = 1
    style: Literal["label", "text", "title", "subtitle", "center", "right", "note", "blank",
                   "box"] | None = None


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
    #: a rule id: its live check cell goes to the right of this row, outside the printed area
    #: (the printout stays the official form; the check shows on screen, green or red)
    aside: str | None = None
    #: a row out of sight and off the printout: a value the template keeps though the official
    #: form does not print it (Hunan's 预算年度, set by the generator and locked)
    hidden: bool = False


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
    #: printed pages tall at most (always one page wide): 1 keeps the form on one A4 page like
    #: the official one (scaled to fit); 0 lets it run to as many pages as it needs
    pages: int = 1


class IndicatorRoles(_Model):
    """Which table holds the indicators, and which of its columns are the levels and the value."""

    table: str
    level1: str
    level2: str
    level3: str | None = None
    value: str


class Roles(_Model):
    """What the engine needs to know about a form without knowing its field ids.

    Collect, the database, the 汇总表, the report and feedback ask these roles, never a field id:
    a province whose indicator table is called ``metrics`` or whose form has no project code
    declares so here."""

    #: the field naming the unit: its code and its name (on the sheet that holds it)
    unit_code: str | None = None
    unit_name: str | None = None
    #: the project sheet's code and name fields (a form may have no project code)
    project_code: str | None = None
    project_name: str | None = None
    #: the project's amount fields, the main one first (the 汇总表 and database sum them)
    amounts: list[str] = []
    indicators: IndicatorRoles | None = None


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
    #: the unit of money fields (a field's own ``unit`` overrides it)
    money_unit: MoneyUnit = "万元"
    roles: Roles = Roles.model_construct()  # no validation at import (defer_build)

    @model_validator(mode="before")
    @classmethod
    def _indicator_levels(cls, data: object) -> object:
        # the indicator table's level columns are declared once, in roles.indicators
        if not isinstance(data, dict):
            return data
        roles = data.get("roles")
        ind = roles.get("indicators") if isinstance(roles, dict) else None
        sheets = data.get("sheets")
        if not isinstance(ind, dict) or not isinstance(sheets, list):
            return data
        new_sheets = []
        for sheet in sheets:
            tables = sheet.get("tables") if isinstance(sheet, dict) else None
            if isinstance(tables, list):
                tables = [
                    {**t, **{k: ind[k] for k in ("level1", "level2") if k in ind and k not in t}}
                    if isinstance(t, dict) and t.get("id") == ind.get("table") else t
                    for t in tables]
                sheet = {**sheet, "tables": tables}
            new_sheets.append(sheet)
        return {**data, "sheets": new_sheets}

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

    def project_sheet(self) -> SheetSpec | None:
        """The sheet repeated per project (at most one), or None."""
        return next((s for s in self.sheets if s.repeat == "per_project"), None)

    def field_spec(self, field_id: str, *, sheet: str | None = None) -> FieldSpec | None:
        """A field by id (on ``sheet`` when given; else the first sheet that has it)."""
        for s in self.sheets:
            if sheet is not None and s.id != sheet:
                continue
            for f in s.fields:
                if f.id == field_id:
                    return f
        return None

    def money_unit_of(self, f: FieldSpec | ColumnSpec) -> MoneyUnit:
        return getattr(f, "unit", None) or self.money_unit

    def level2_of(self, level1: str) -> list[str]:
        for node in self.taxonomy:
            if node.level1 == level1:
                return node.level2
        return []
