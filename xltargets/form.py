"""A returned workbook's values, typed and located: what the checks look at.

:func:`normalize` turns raw cell values (read through the layout) into :class:`FormValues`:
each value parsed by its kind, with the cell it came from, so every finding can name its sheet
and cell. The views below are the small API rules use (see :mod:`xltargets.rules`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .findings import Finding, Severity
from .layout.model import Input, Layout, Place, SheetLayout
from .spec.model import Kind, Spec, TableSpec
from .values import (
    Parsed,
    parse_code,
    parse_date,
    parse_indicator_value,
    parse_integer,
    parse_money,
    parse_percent,
    parse_phone,
    parse_text,
)

Path_ = tuple[str | int, ...]
_CENT = Decimal("0.01")
_MONEY_MAX = Decimal(10) ** 12


class Cell:
    """One parsed input cell with where it came from (a plain slotted class: one per input cell
    of every return, where a frozen dataclass costs several times more to build)."""

    __slots__ = ("input", "parsed")

    def __init__(self, input: Input, parsed: Parsed) -> None:  # noqa: A002 - the public name
        self.input = input
        self.parsed = parsed

    @property
    def value(self) -> Any:
        return self.parsed.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and (self.input, self.parsed) == (other.input, other.parsed)

    def __hash__(self) -> int:
        return hash((self.input, self.parsed))

    def __repr__(self) -> str:
        return f"Cell(input={self.input.path!r}, parsed={self.parsed!r})"


@dataclass
class SheetValues:
    layout: SheetLayout
    fields: dict[str, Cell] = field(default_factory=dict)
    lists: dict[str, list[Cell]] = field(default_factory=dict)
    #: table id -> filled rows (blank rows dropped, order kept), each column id -> Cell
    tables: dict[str, list[tuple[int, dict[str, Cell], Mapping[str, str]]]] = field(default_factory=dict)


@dataclass
class FormValues:
    spec: Spec
    layout: Layout
    year: int
    region: str
    sheets: list[SheetValues]


_BLANK: Parsed[Any] = Parsed(value=None, raw=None)


def parse_kind(cell: Input, raw: Any, *, fraction: bool = False) -> Parsed:
    if raw is None:
        return _BLANK  # most cells of a form are empty: skip the parsers
    kind = cell.kind
    if kind == Kind.money:
        parsed = parse_money(raw, cell.money_unit)
        value = parsed.value
        if isinstance(value, Decimal) and value.is_finite() and abs(value) < _MONEY_MAX \
                and value == value.quantize(_CENT):
            # two decimals, as printed on the form, whatever the cell stored (50.0 -> 50.00)
            return Parsed(value.quantize(_CENT), parsed.raw, parsed.marker, parsed.problem,
                          parsed.notes)
        return parsed
    if kind == Kind.percent:
        parsed = parse_percent(raw, fraction=fraction)
        value = parsed.value
        if isinstance(value, Decimal) and value.is_finite() and abs(value) < _MONEY_MAX:
            # 8, 8.0 and "8.00" are the same percentage: one canonical text in the JSON
            return Parsed(Decimal(format(value.normalize(), "f")), parsed.raw, parsed.marker,
                          parsed.problem, parsed.notes)
        return parsed
    if kind == Kind.integer:
        return parse_integer(raw)
    if kind == Kind.date:
        return parse_date(raw)
    if kind == Kind.phone:
        return parse_phone(raw)
    if kind == Kind.code:
        return parse_code(raw, digits=cell.digits)
    if kind == Kind.indicator_value:
        return parse_indicator_value(raw)
    return parse_text(raw, max_length=cell.max_length)


def _fraction_sheet(sheet: SheetLayout, raw: dict[Path_, Any]) -> bool:
    """Percent cells that all hold fractions ≤ 1 reaching 1 were typed as 25% in a %-cell."""
    return _fractions(_plan(sheet).percent_fields, raw)


def _fractions(percent_fields: list[Input], raw: dict[Path_, Any]) -> bool:
    nums = []
    for cell in percent_fields:
        value = raw.get(cell.path)
        if isinstance(value, int | float) and not isinstance(value, bool):
            nums.append(float(value))
    # a true fraction (0.25) must be present: blank, 1, 1, 1 is seed 003's amounts on a 1 万元 project
    return (len(nums) > 1 and max(nums) == 1.0 and all(0 <= n <= 1 for n in nums)
            and any(0 < n < 1 for n in nums))


class _SheetPlan:
    """What normalizing one sheet layout needs, worked out once per layout (a layout is shared
    by every return of its spec and project count)."""

    __slots__ = ("blank_fields", "direct", "fields", "lists", "percent_fields", "slots", "tables")

    def __init__(self, sheet: SheetLayout) -> None:
        self.percent_fields = [c for c in sheet.inputs
                               if c.kind == Kind.percent and c.place == Place.field]
        # each input with its blank Cell, made once: most cells of a return are blank, and a
        # Cell (an input and a Parsed, both immutable) is never changed once made
        self.fields = [(c, Cell(c, _BLANK)) for c in sheet.inputs if c.place == Place.field]
        lists: dict[str, list[tuple[Input, Cell]]] = {}
        for c in sheet.inputs:
            if c.place == Place.list_item:
                lists.setdefault(c.field, []).append((c, Cell(c, _BLANK)))
        #: list field -> its items (in the order of the inputs, as the values keep them)
        self.lists = list(lists.items())
        #: table id -> rows as (index, fixed, [(column, input, blank Cell)], the rows' input paths)
        self.tables = [(table.id, [(row.index, row.fixed,
                                    [(col, inp, Cell(inp, _BLANK)) for col, inp in row.cells.items()],
                                    frozenset(inp.path for inp in row.cells.values()))
                                   for row in table.rows])
                       for table in sheet.tables.values()]
        # Where each input's value goes, for the values given (a return fills a third of its
        # inputs): the blank sheet is copied and only the given values are placed, instead of
        # asking for every input. Field ids are unique in a sheet's layout; if one were not,
        # the loop over every input (normalize's generic path) decides which one wins.
        field_ids = [c.field for c, _ in self.fields]
        self.direct = len(set(field_ids)) == len(field_ids)
        #: field id -> its blank Cell, in the order of the fields
        self.blank_fields = {c.field: blank for c, blank in self.fields}
        #: input path -> (0, input) of a field, (1, input, list id, item) of a list item,
        #: (2, table position, row position) of a table cell
        self.slots: dict[Path_, tuple[Any, ...]] = {}
        for c, _ in self.fields:
            self.slots[c.path] = (0, c)
        for field_id, items in self.lists:
            for item, (c, _) in enumerate(items):
                self.slots[c.path] = (1, c, field_id, item)
        for t, (_, table_rows) in enumerate(self.tables):
            for r, (_, _, row_cells, _) in enumerate(table_rows):
                for _, inp, _ in row_cells:
                    self.slots[inp.path] = (2, t, r)


_PLANS: dict[int, tuple[SheetLayout, _SheetPlan]] = {}


def _plan(sheet: SheetLayout) -> _SheetPlan:
    hit = _PLANS.get(id(sheet))
    if hit is not None and hit[0] is sheet:
        return hit[1]
    made = _SheetPlan(sheet)
    if len(_PLANS) > 1024:
        _PLANS.clear()
    _PLANS[id(sheet)] = (sheet, made)  # the layout is kept: its id cannot be reused
    return made


def _table_row(row_cells: Any, get: Any) -> dict[str, Cell] | None:
    """One table row's cells by column (a blank cell where nothing was given), or None when no
    cell holds a value: a blank row is not data (both normalize paths)."""
    parsed: dict[str, Cell] = {}
    filled = False
    for col, inp, blank in row_cells:
        value = get(inp.path)
        if value is None:
            parsed[col] = blank
        else:
            parsed[col] = made = Cell(inp, parse_kind(inp, value))
            filled = filled or not made.parsed.blank
    return parsed if filled else None


def normalize(spec: Spec, layout: Layout, raw: dict[str, dict[Path_, Any]], *, year: int,
              region: str = "") -> FormValues:
    """Parse every input cell of every sheet by its kind. Pure: no I/O."""
    sheets = []
    for sheet in layout.sheets:
        cells = raw.get(sheet.name, {})
        get = cells.get
        plan = _plan(sheet)
        fraction = _fractions(plan.percent_fields, cells) if plan.percent_fields else False
        sv = SheetValues(sheet)
        if plan.direct and DIRECT:
            _place(plan, cells, sv, fraction)
            sheets.append(sv)
            continue
        fields = sv.fields
        for cell, blank in plan.fields:
            value = get(cell.path)
            fields[cell.field] = blank if value is None else \
                Cell(cell, parse_kind(cell, value, fraction=fraction))
        lists = sv.lists
        for field_id, items in plan.lists:
            lists[field_id] = [blank if (value := get(cell.path)) is None
                               else Cell(cell, parse_kind(cell, value)) for cell, blank in items]
        for table_id, table_rows in plan.tables:
            rows = []
            for index, fixed, row_cells, paths in table_rows:
                if paths.isdisjoint(cells):
                    continue  # blank rows are not data (most rows of a template stay blank)
                parsed = _table_row(row_cells, get)
                if parsed is not None:
                    rows.append((index, parsed, fixed))
            sv.tables[table_id] = rows
        sheets.append(sv)
    return FormValues(spec, layout, year, region, sheets)


#: values placed from the values given (tests turn it off to compare with every input's loop)
DIRECT = True


def _place(plan: _SheetPlan, cells: dict[Path_, Any], sv: SheetValues, fraction: bool) -> None:
    """normalize for one sheet, from the values given: what the loop over every input gives
    (tests compare both on real returns and random fills)."""
    fields = sv.fields
    fields.update(plan.blank_fields)
    lists = {field_id: [blank for _, blank in items] for field_id, items in plan.lists}
    rows_given: set[tuple[int, int]] = set()
    slots = plan.slots
    for path, value in cells.items():
        slot = slots.get(path)
        if slot is None or value is None:
            continue  # (not an input of this sheet; None is a blank cell)
        where = slot[0]
        if where == 0:
            cell = slot[1]
            fields[cell.field] = Cell(cell, parse_kind(cell, value, fraction=fraction))
        elif where == 1:
            cell = slot[1]
            lists[slot[2]][slot[3]] = Cell(cell, parse_kind(cell, value))
        else:
            rows_given.add((slot[1], slot[2]))
    sv.lists = lists
    get = cells.get
    for t, (table_id, table_rows) in enumerate(plan.tables):
        rows = []
        for t_, r in sorted(rows_given):
            if t_ != t:
                continue
            index, fixed, row_cells, _ = table_rows[r]
            parsed = _table_row(row_cells, get)
            if parsed is not None:
                rows.append((index, parsed, fixed))
        sv.tables[table_id] = rows


# --- views for rules ---------------------------------------------------------------------------

class SheetView:
    def __init__(self, form: FormView, values: SheetValues) -> None:
        self._form = form
        self._values = values
        self.name = values.layout.name
        self.index = values.layout.index
        self._spec_sheet = form.spec.sheet(values.layout.key)

    def _cell(self, field_id: str) -> Cell | None:
        return self._values.fields.get(field_id)

    def number(self, field_id: str) -> Decimal | None:
        cell = self._cell(field_id)
        if cell is None or cell.parsed.problem:
            return None
        value = cell.parsed.value
        return value if isinstance(value, Decimal) else (Decimal(value) if isinstance(value, int) else None)

    def date(self, field_id: str) -> dt.date | None:
        """A date field's value (None when blank or unreadable)."""
        cell = self._cell(field_id)
        if cell is None or cell.parsed.problem:
            return None
        value = cell.parsed.value
        return value if isinstance(value, dt.date) else None

    def money_unit(self, field_id: str) -> str:
        """万元 or 元: the unit the spec gives this money field."""
        cell = self._cell(field_id)
        return cell.input.money_unit if cell is not None else self._form.spec.money_unit

    def invalid(self, field_id: str) -> bool:
        """The cell holds something that could not be parsed (already reported by kind)."""
        cell = self._cell(field_id)
        return cell is not None and cell.parsed.problem is not None

    def text(self, field_id: str) -> str | None:
        cell = self._cell(field_id)
        if cell is None or cell.parsed.value is None:
            return None
        return str(cell.parsed.value)

    def label(self, field_id: str) -> str:
        for f in self._spec_sheet.fields:
            if f.id == field_id:
                return f.label
        return field_id

    def table_spec(self, table_id: str) -> TableSpec:
        return next(t for t in self._spec_sheet.tables if t.id == table_id)

    def rows(self, table_id: str) -> list[RowView]:
        return [RowView(self, table_id, index, cells, fixed)
                for index, cells, fixed in self._values.tables.get(table_id, [])]

    def path(self, field_id: str) -> str:
        return _path(self._values.layout, (field_id,))

    def finding(self, severity: Severity, code: str, message: str, *, field: str | None = None,
                value: Any = None, table: str | None = None,
                extra: dict[str, Any] | None = None) -> Finding:
        cell = None
        path = _path(self._values.layout, ())
        if field is not None:
            c = self._cell(field)
            cell = c.input.box.ref if c is not None else None
            path = _path(self._values.layout, (field,))
        elif table is not None:
            t = self._values.layout.tables.get(table)
            if t is not None:
                from .layout.model import a1

                cell = a1(t.header_row, 0)
            path = _path(self._values.layout, (table,))
        return Finding(severity, code, message, sheet=self.name, cell=cell, path=path,
                       value=value, extra=extra or {})


class RowView:
    def __init__(self, sheet: SheetView, table_id: str, index: int, cells: dict[str, Cell],
                 fixed: Mapping[str, str]) -> None:
        self.sheet = sheet
        self.table_id = table_id
        self.index = index
        self.cells = cells
        self.fixed = fixed

    def text(self, column: str) -> str | None:
        if column in self.fixed:
            return self.fixed[column]
        cell = self.cells.get(column)
        if cell is None or cell.parsed.value is None:
            return None
        value = cell.parsed.value
        return getattr(value, "text", None) or str(value)

    def value(self, column: str) -> Any:
        cell = self.cells.get(column)
        return None if cell is None else cell.parsed.value

    def finding(self, severity: Severity, code: str, message: str, *, column: str,
                value: Any = None) -> Finding:
        cell = self.cells.get(column)
        layout = self.sheet._values.layout
        ref = cell.input.box.ref if cell is not None else None
        if ref is None:  # a fixed column (skeleton 一级/二级): point at the row's first input
            row = layout.tables[self.table_id].rows[self.index]
            ref = next(iter(row.cells.values())).box.ref
        return Finding(severity, code, f"第{self.index + 1}行：{message}", sheet=self.sheet.name,
                       cell=ref, path=_path(layout, (self.table_id, self.index, column)),
                       value=value)


class FormView:
    def __init__(self, values: FormValues) -> None:
        self.values = values
        self.spec = values.spec
        self.year = values.year
        self.region = values.region
        self._views = [SheetView(self, s) for s in values.sheets]

    def sheets(self, key: str) -> list[SheetView]:
        return [v for v, s in zip(self._views, self.values.sheets, strict=True) if s.layout.key == key]


def _path(sheet: SheetLayout, path: Path_) -> str:
    base = "department" if sheet.index is None else f"projects[{sheet.index - 1}]"
    out = base
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
