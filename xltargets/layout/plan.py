"""The planner: ``plan(spec, project_count) -> Layout``. Pure, deterministic, cached.

The grid of a sheet spec is read like an HTML table (see :mod:`xltargets.spec.model`). Blocks
(``table``, ``list``) expand to many rows here. A second pass, once every field has an
address, asks each rule for its Excel face (validation conditions and live check cells).
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from functools import lru_cache
from typing import Any

from ..rules import CellCondition, CheckFormula, ExcelSheet
from ..spec.load import FORMULA_MAX, spec_hash
from ..spec.model import FieldSpec, SheetSpec, Spec, TableSpec
from . import _cache as _disk_cache
from . import live
from .capacity import SPEC_ROWS, Capacity
from .kinds import cell_conditions, limits_for, validation_options
from .model import (
    Box,
    CheckCell,
    Input,
    Layout,
    ListsSheet,
    Name,
    Place,
    SheetLayout,
    Static,
    TableLayout,
    TableRow,
    Validation,
    a1,
    col_letter,
    frozen_map,
    quote_sheet,
)

LISTS_SHEET = "_lists"
INSTRUCTIONS_SHEET = "填表说明"
DEFAULT_ROW_HEIGHT = 22.0
#: the column of check cells right of the printed form (RowSpec.aside) and its heading
ASIDE_WIDTH = 24.0
ASIDE_NOTE = "核对（不打印）"
HEADER_ROW_HEIGHT = 30.0
#: the printable A4 area (points) inside the drawer's margins (0.5 in left/right, 0.6 in
#: top/bottom), and the share of it a page is planned to fill: column widths in characters only
#: approximate what a program renders, so a page is never planned to its last point
A4_PRINT = (595.3 - 72.0, 841.9 - 86.4)
PAGE_FILL = 0.9
#: printed points per character of column width: measured in LibreOffice 7.4 (a 98-character
#: Hunan sheet prints 523 pt wide at 76 %), where the workbook's fonts make a character wide
CHAR_POINTS = 7.0
#: a sheet a capacity made taller stays on the spec's one page while that shrinks it by at most
#: this much more than its own rows would (a few rows more need no second page)
SHRINK_MAX = 1.15
#: the name of the 一级 list and the prefix of each 二级 list (ASCII: see EXCEL-FACTS.md)
LEVEL1_NAME = "tax_l1"
LEVEL2_PREFIX = "tax_l2_"

_cache: dict[tuple[str, int, str], Layout] = {}
_cache_lock = threading.Lock()
_jinja: Any = None


def render_n(template: str, n: int) -> str:
    """A Jinja2 text of the spec knowing ``n`` (the project number). Jinja2 is imported on the
    first call: `xltargets read` with a cached layout renders only sheet names, which the plain
    form below covers."""
    global _jinja
    if _jinja is None:
        import jinja2

        _jinja = jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=False)
    return _jinja.from_string(template).render(n=n)


#: a sheet name such as "项目{{ n }}": text without braces or line ends around one ``{{ n }}``,
#: which Jinja2 renders as the text around str(n)
_PLAIN_N = re.compile(r"([^{}\r\n]*)\{\{ *n *\}\}([^{}\r\n]*)")


def plan(spec: Spec, project_count: int, capacity: Capacity = SPEC_ROWS) -> Layout:
    """The layout of a workbook of ``spec`` with ``project_count`` project sheets and the rows
    ``capacity`` gives its tables and lists (the spec's own rows by default)."""
    if project_count < 0:
        raise ValueError("project_count must be >= 0")
    key = (spec_hash(spec) + spec.id, project_count, capacity.text())
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    disk_key = repr(key)
    layout = _disk_cache.load(disk_key)
    if not isinstance(layout, Layout):
        layout = _plan(spec, project_count, capacity)
        _disk_cache.store(disk_key, layout)
    with _cache_lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = layout
    return layout


def _plan(spec: Spec, project_count: int, capacity: Capacity) -> Layout:
    lists, level1_names, list_names = _lists_sheet(spec)
    sheets: list[SheetLayout] = []
    for sheet in spec.sheets:
        if sheet.repeat == "per_project":
            for n in range(1, project_count + 1):
                sheets.append(_SheetPlanner(spec, sheet, n, list_names, capacity).run())
        else:
            sheets.append(_SheetPlanner(spec, sheet, None, list_names, capacity).run())
    return Layout(
        spec_id=spec.id,
        spec_version=spec.version,
        spec_hash=spec_hash(spec),
        project_count=project_count,
        sheets=tuple(live.resolve(sheets)),
        lists=lists,
        instructions_sheet=INSTRUCTIONS_SHEET,
        level1_names=frozen_map(level1_names),
    )


def sheet_name(sheet: SheetSpec, n: int | None) -> str:
    return _sheet_name(sheet.name, n or 0)


@lru_cache(maxsize=4096)
def _sheet_name(template: str, n: int) -> str:
    # the reader asks for 项目1, 项目2 … on every file: compile each template once
    if not any(ch in template for ch in "{}\r\n"):
        return template  # (no Jinja2 syntax: rendered as it is)
    plain = _PLAIN_N.fullmatch(template)
    if plain is not None:
        return f"{plain.group(1)}{n}{plain.group(2)}"
    return render_n(template, n)


def _lists_sheet(spec: Spec) -> tuple[ListsSheet, dict[str, str], dict[str, str]]:
    """Column A: the 一级 list; then one column per 一级 with its 二级; then the named lists."""
    columns: list[tuple[str, tuple[str, ...]]] = []
    names: list[Name] = []
    list_names: dict[str, str] = {}
    q = quote_sheet(LISTS_SHEET)

    def add(header: str, values: list[str], name: str) -> None:
        col = len(columns)
        columns.append((header, tuple(values)))
        letter = col_letter(col)
        names.append(Name(name, f"{q}!${letter}$2:${letter}${len(values) + 1}"))

    add("一级指标", [n.level1 for n in spec.taxonomy], LEVEL1_NAME)
    list_names["taxonomy.level1"] = LEVEL1_NAME
    level1_names: dict[str, str] = {}
    for i, node in enumerate(spec.taxonomy, start=1):
        add(node.level1, node.level2, f"{LEVEL2_PREFIX}{i}")
        level1_names[node.level1] = f"{LEVEL2_PREFIX}{i}"
    all_level2 = [l2 for node in spec.taxonomy for l2 in node.level2]
    add("二级指标（全部）", list(dict.fromkeys(all_level2)), "tax_l2_all")
    list_names["taxonomy.level2"] = "tax_l2_all"
    for list_id, values in spec.lists.items():
        name = "list_" + "".join(ch if ch.isalnum() and ch.isascii() else "_" for ch in list_id)
        add(list_id, values, name)
        list_names[list_id] = name
    sheet = ListsSheet(LISTS_SHEET, tuple(columns), tuple(names), stamp_col=len(columns) + 1)
    return sheet, level1_names, list_names


class _SheetPlanner:
    def __init__(self, spec: Spec, sheet: SheetSpec, n: int | None,
                 list_names: dict[str, str], capacity: Capacity) -> None:
        self.spec = spec
        self.capacity = capacity
        self.sheet = sheet
        self.n = n
        self.name = sheet_name(sheet, n)
        self.list_names = list_names
        self.fields = {f.id: f for f in sheet.fields}
        self.tables_spec = {t.id: t for t in sheet.tables}
        self.width = len(sheet.columns)
        self.statics: list[Static] = []
        self.inputs: list[Input] = []
        self.check_slots: list[tuple[Box, str]] = []
        self.heights: dict[int, float] = {}
        self.tables: dict[str, TableLayout] = {}
        self.covered: dict[int, set[int]] = {}
        self.repeat: list[int] = []
        self.hidden: list[int] = []
        self.row = 0
        #: indexes into ``statics`` of labels that may be cut into one piece per printed page
        #: (a block's side label, a skeleton's 一级): only a sheet with more rows than the spec
        #: runs to several pages, and then each page prints its own piece (_paginate)
        self.splittable: set[int] = set()
        #: rows before which a manual page break goes (_paginate); the spec's print setup if none
        self.breaks: list[int] = []
        #: a check cell sits right of the printed columns (see RowSpec.aside)
        self.aside = False
        #: input cell -> (help text, list source, suggested values: empty unless a suggestion list)
        self.extras: dict[tuple[str | int, ...], tuple[str | None, str | None, tuple[str, ...]]] = {}
        self.column_rules: list[tuple[str, str, str | None, str | None, tuple[str, ...]]] = []
        self.column_validations: list[tuple[str, Input, str | None, str | None, tuple[str, ...],
                                            str]] = []

    # --- pass 1: place everything -----------------------------------------------------------
    def run(self) -> SheetLayout:
        for row in self.sheet.rows:
            start = self.row
            if row.cells is not None:
                self._cells_row(row.cells)
                self.heights.setdefault(start, row.height or DEFAULT_ROW_HEIGHT)
                if row.aside is not None:
                    # right of the printed form: seen on screen, never on the printout
                    self.check_slots.append((Box(start, self.width, start, self.width), row.aside))
                    self.aside = True
            elif row.list is not None:
                self._list_block(self.fields[row.list], row.side_label, row.side_span)
            elif row.table is not None:
                self._table_block(self.tables_spec[row.table], row.side_label, row.side_span)
            if row.repeat:
                self.repeat.extend(range(start, self.row))
            if row.hidden:
                self.hidden.extend(range(start, self.row))
        self._paginate()
        return self._finish()

    def _text(self, box: Box, text: str, style: str, splittable: bool = False) -> None:
        if splittable:
            self.splittable.add(len(self.statics))
        self.statics.append(Static(box, text, style, template="{{" in text or "{%" in text))

    def _cells_row(self, cells: list[Any]) -> None:
        r = self.row
        col = 0
        taken = self.covered.get(r, set())
        for cell in cells:
            while col in taken:
                col += 1
            box = Box(r, col, r + cell.rowspan - 1, col + cell.span - 1)
            for dr in range(1, cell.rowspan):
                self.covered.setdefault(r + dr, set()).update(range(col, col + cell.span))
            if cell.field is not None:
                f = self.fields[cell.field]
                self._input(box, (f.id,), f)
                if f.height:
                    self.heights[r] = max(self.heights.get(r, 0), f.height)
            elif cell.check is not None:
                self.check_slots.append((box, cell.check))
            elif cell.live is not None:
                self.statics.append(live.pending(box, cell, self.n))  # placed in _plan
            else:
                self._text(box, cell.text or "", cell.style or "label")
            col += cell.span
        self.row += 1

    def _input(self, box: Box, path: tuple[str | int, ...], f: FieldSpec) -> Input:
        style = "input_" + f.kind.value
        if f.source is not None:
            style = "fixed_" + f.kind.value
        cell = Input(
            box=box, path=path, field=f.id, kind=f.kind, label=f.label, style=style,
            place=Place.field, required=f.required, fixed=f.source is not None,
            source=f.source, money_unit=self.spec.money_unit_of(f), prefillable=f.prefill,
            max_length=f.max_length, length=f.length, pattern=f.pattern,
            pattern_hint=f.pattern_hint, digits=f.digits,
            list_id=f.list,
            limits=limits_for(f.kind, max_length=f.max_length, pattern=f.pattern,
                              pattern_hint=f.pattern_hint, length=f.length),
        )
        self.inputs.append(cell)
        source = self.list_names.get(f.list) if f.list else None
        suggested: tuple[str, ...] = ()
        if source is None and f.suggest is not None:
            # a text field with suggestions (项目性质): a warning-style list, any text accepted
            source = self.list_names[f.suggest]
            suggested = tuple(self.spec.lists[f.suggest])
        self.extras[path] = (f.help, f"={source}" if source else None, suggested)
        return cell

    def _list_block(self, f: FieldSpec, side_label: str | None, side_span: int) -> None:
        rows = self.capacity.get(f.id) or f.rows or 1
        r0 = self.row
        c0 = 0
        if side_label is not None:
            self._text(Box(r0, 0, r0 + rows - 1, side_span - 1), side_label, "label", splittable=True)
            c0 = side_span
        for i in range(rows):
            box = Box(r0 + i, c0, r0 + i, self.width - 1)
            cell = Input(
                box=box, path=(f.id, i), field=f.id, kind=f.kind, label=f"{f.label}第{i + 1}项",
                style="input_long_text", place=Place.list_item, required=i < f.min_items,
                max_length=f.max_length, limits=limits_for(f.kind, max_length=f.max_length),
            )
            self.inputs.append(cell)
            self.extras[cell.path] = (f.help, None, ())
            self.heights[r0 + i] = f.height or 36.0
        self.row += rows

    def _table_block(self, t: TableSpec, side_label: str | None, side_span: int) -> None:
        r0 = self.row
        c0 = side_span if side_label is not None else 0
        starts: dict[str, tuple[int, int]] = {}
        col = c0
        for c in t.columns:
            starts[c.id] = (col, col + c.span - 1)
            self._text(Box(r0, col, r0, col + c.span - 1), c.label, "header")
            col += c.span
        self.heights[r0] = HEADER_ROW_HEIGHT
        body = r0 + 1
        height = t.row_height or 30.0
        rows: list[TableRow] = []
        # a skeleton table's level columns are checked to exist when the spec loads
        level1_col, level2_col = t.level1 or "", t.level2 or ""
        fixed_cols = {level1_col, level2_col} if t.style == "skeleton" else set()
        wanted = self.capacity.get(t.id)
        if t.style == "free":
            plan_rows: list[dict[str, str]] = [{} for _ in range(wanted or t.rows)]
        else:
            plan_rows = []
            for node in self.spec.taxonomy:
                block_start = body + len(plan_rows)
                for l2 in node.level2:
                    k = t.category_rows.get(l2, t.rows_per_category)
                    if wanted is not None:
                        # every category gets the rows asked for; one the spec gives more keeps them
                        k = max(wanted, t.category_rows.get(l2, 0))
                    c1, c2 = starts[level2_col]
                    r = body + len(plan_rows)
                    self._text(Box(r, c1, r + k - 1, c2), t.level_labels.get(l2, l2), "fixed")
                    plan_rows.extend({level1_col: node.level1, level2_col: l2} for _ in range(k))
                c1, c2 = starts[level1_col]
                self._text(Box(block_start, c1, body + len(plan_rows) - 1, c2), node.level1, "fixed",
                           splittable=True)
        for i, fixed in enumerate(plan_rows):
            r = body + i
            cells: dict[str, Input] = {}
            for c in t.columns:
                if c.id in fixed_cols:
                    continue
                c1, c2 = starts[c.id]
                cell = Input(
                    box=Box(r, c1, r, c2), path=(t.id, i, c.id), field=f"{t.id}_{c.id}",
                    kind=c.kind, label=f"{c.label}（第{i + 1}行）", style="input_" + c.kind.value,
                    place=Place.table_cell, money_unit=self.spec.money_unit_of(c),
                    required=c.required, max_length=c.max_length, list_id=c.list,
                    limits=limits_for(c.kind, max_length=c.max_length),
                )
                cells[c.id] = cell
                self.inputs.append(cell)
                source = None
                if c.depends_on is not None:
                    parent = f"${col_letter(starts[c.depends_on][0])}{r + 1}"
                    # each row follows its own 一级 cell; the ASCII names avoid CJK in INDIRECT
                    source = f'=INDIRECT("{LEVEL2_PREFIX}"&MATCH({parent},{LEVEL1_NAME},0))'
                elif c.list is not None:
                    source = "=" + self.list_names[c.list]
                elif c.suggest is not None:
                    source = "=" + self.list_names[c.suggest]
                if i == 0:
                    suggested = tuple(self.spec.lists[c.suggest]) \
                        if c.suggest is not None and c.list is None else ()
                    self.column_rules.append((c.id, c.label, c.help, source, suggested))
            rows.append(TableRow(i, frozen_map(cells), frozen_map(fixed)))
            self.heights[r] = height
        n_body = len(plan_rows)
        if side_label is not None:
            self._text(Box(r0, 0, r0 + n_body, side_span - 1), side_label, "label", splittable=True)
        for col_id, label, help_text, source, suggest in self.column_rules:
            first, last = rows[0].cells[col_id], rows[-1].cells[col_id]
            # one validation per column over all rows: relative references follow each row
            self.column_validations.append((
                f"{first.box.ref}:{last.box.ref}",
                replace(first, label=label), help_text, source, suggest,
                f"{t.id}.{col_id}",
            ))
        self.column_rules.clear()
        self.tables[t.id] = TableLayout(
            id=t.id, label=t.label, style=t.style, columns=tuple(c.id for c in t.columns),
            rows=tuple(rows), header_row=r0, merge_equal=tuple(t.merge_equal),
        )
        self.row = body + n_body

    # --- printing a sheet a capacity made taller ----------------------------------------------
    def _paginate(self) -> None:
        """Page breaks for a sheet with more rows than the spec gives it, when they no longer fit
        the page(s) the spec's own rows take: the sheet prints one page wide at its width's
        scale, on as many A4 pages as it needs, broken only where no merged cell spans the
        break; a block's side label and a 一级 label are cut into one piece per page, so every
        page prints whole labels. A sheet with the spec's rows keeps the spec's print setup."""
        own = {t.id for t in self.sheet.tables} | {f.id for f in self.sheet.fields if f.rows}
        if not any(block_id in own for block_id, _ in self.capacity.rows):
            return
        hidden = set(self.hidden)  # off the printout
        heights = [0.0 if r in hidden else self.heights.get(r, DEFAULT_ROW_HEIGHT)
                   for r in range(self.row)]
        spec_rows = _SheetPlanner(self.spec, self.sheet, self.n, self.list_names, SPEC_ROWS)
        spec_rows.run()
        spec_height = sum(spec_rows.heights.get(r, DEFAULT_ROW_HEIGHT) for r in range(spec_rows.row)
                          if r not in set(spec_rows.hidden))
        page_w, page_h = A4_PRINT[::-1] if self.sheet.landscape else A4_PRINT
        width = sum(self.sheet.columns) * CHAR_POINTS
        budget = page_h * PAGE_FILL / min(1.0, page_w / width)
        if sum(heights) <= max(budget, spec_height) * SHRINK_MAX:
            return  # still fits the spec's page(s) at no smaller a scale than the spec's rows
        fixed = [st.box for i, st in enumerate(self.statics) if i not in self.splittable]
        fixed += [c.box for c in self.inputs] + [box for box, _ in self.check_slots]
        # a break before row r is allowed unless a merged cell that cannot be cut spans it
        allowed = [all(not (b.r1 < r <= b.r2) for b in fixed) for r in range(self.row)]
        repeat = sum(heights[r] for r in set(self.repeat))
        start, used, last_ok = 0, 0.0, None
        for r in range(self.row):
            if allowed[r] and r > start:
                last_ok = r
            if used + heights[r] > budget and r > start:
                cut = last_ok if last_ok is not None else r  # no whole place: cut where it must
                self.breaks.append(cut)
                used = repeat + sum(heights[cut:r])
                start, last_ok = cut, None
            used += heights[r]
        if not self.breaks:
            return
        pieces: list[Static] = []
        for i, st in enumerate(self.statics):
            if i not in self.splittable:
                pieces.append(st)
                continue
            bounds = [st.box.r1, *(b for b in self.breaks if st.box.r1 < b <= st.box.r2),
                      st.box.r2 + 1]
            for top, end in zip(bounds, bounds[1:], strict=False):
                pieces.append(replace(st, box=Box(top, st.box.c1, end - 1, st.box.c2)))
        self.statics = pieces

    # --- pass 2: rules, validations, names ---------------------------------------------------
    def _finish(self) -> SheetLayout:
        q = quote_sheet(self.name)
        scalars = [c for c in self.inputs if c.place == Place.field]
        refs = {c.field: c.box.ref for c in scalars}
        # the same rules over absolute references, for conditions that go into a defined name
        refs_abs = {c.field: f"{q}!{a1(c.box.r1, c.box.c1, absolute=True)}" for c in scalars}
        labels = {f.id: f.label for f in self.sheet.fields}
        conditions: dict[str, list[CellCondition]] = {}
        conditions_abs: dict[str, list[CellCondition]] = {}
        formulas: dict[str, str] = {}
        for rule in self.spec.rules:
            for item in rule.excel(ExcelSheet(self.sheet.id, refs, labels=labels)):
                if isinstance(item, CellCondition):
                    conditions.setdefault(item.field, []).append(item)
                elif isinstance(item, CheckFormula):
                    formulas[item.rule_id] = item.formula
            for item in rule.excel(ExcelSheet(self.sheet.id, refs_abs, labels=labels)):
                if isinstance(item, CellCondition):
                    conditions_abs.setdefault(item.field, []).append(item)
        checks = tuple(
            CheckCell(box, rule_id, formulas.get(rule_id, '""')) for box, rule_id in self.check_slots
        )
        validations = []
        formula_names: list[Name] = []
        for cell in self.inputs:
            if cell.fixed or cell.place == Place.table_cell:
                continue  # table columns get one validation each, below
            help_text, source, suggest = self.extras.get(cell.path, (None, None, ()))
            extra = conditions.get(cell.field, []) if cell.place == Place.field else []
            conds = [] if source else cell_conditions(cell, cell.box.ref, q, [c.formula for c in extra])
            name = None
            if cell.place == Place.field and len(_joined(conds)) > FORMULA_MAX:
                # too long for Excel's validation: the same conditions over absolute
                # references go into a hidden sheet-scoped name the validation refers to
                ref_abs = refs_abs[cell.field]
                conds_abs = cell_conditions(cell, ref_abs, q, [
                    c.formula for c in conditions_abs.get(cell.field, [])])
                name = f"_xlt_ok_{cell.field}"
                formula_names.append(Name(name, _joined(conds_abs), sheet=self.name, hidden=True))
            opts = validation_options(cell, help_text=help_text, extra=extra, conditions=conds,
                                      list_source=source, suggest=suggest, name=name)
            if opts is not None:
                validations.append(Validation(cell.box.ref, frozen_map(opts),
                                              ".".join(map(str, cell.path))))
        for ref, cell, help_text, source, suggest, origin in self.column_validations:
            conds = [] if source else cell_conditions(cell, cell.box.ref, q)
            opts = validation_options(cell, help_text=help_text, extra=[], conditions=conds,
                                      list_source=source, suggest=suggest)
            if opts is not None:
                validations.append(Validation(ref, frozen_map(opts), origin))
        names: list[Name] = []
        for cell in self.inputs:
            if cell.place == Place.field:
                names.append(Name(cell.field, f"{q}!{a1(cell.box.r1, cell.box.c1, absolute=True)}",
                                  sheet=self.name))
        lists_seen: dict[str, list[Input]] = {}
        for cell in self.inputs:
            if cell.place == Place.list_item:
                lists_seen.setdefault(cell.field, []).append(cell)
        for fid, cells in lists_seen.items():
            names.append(Name(fid, _range(q, cells[0].box, cells[-1].box), sheet=self.name))
        for table in self.tables.values():
            if not table.rows:
                continue
            first_row = table.header_row + 1
            last_row = table.header_row + len(table.rows)
            for col_id in table.columns:
                sample = next((r.cells[col_id] for r in table.rows if col_id in r.cells), None)
                c = sample.box.c1 if sample is not None else self._fixed_col(table, col_id)
                letter = col_letter(c)
                names.append(Name(f"{table.id}_{col_id}",
                                  f"{q}!${letter}${first_row + 1}:${letter}${last_row + 1}",
                                  sheet=self.name))
        repeat = (min(self.repeat), max(self.repeat)) if self.repeat else None
        widths = tuple(self.sheet.columns)
        print_area = None
        if self.aside:
            widths += (ASIDE_WIDTH,)
            print_area = (0, 0, self.row - 1, self.width - 1)
            self.statics.append(Static(Box(0, self.width, 0, self.width), ASIDE_NOTE, "note"))
        return SheetLayout(
            key=self.sheet.id, name=self.name, index=self.n,
            col_widths=widths, print_area=print_area, row_heights=frozen_map(self.heights),
            statics=tuple(self.statics), inputs=tuple(self.inputs), checks=checks,
            validations=tuple(validations), names=tuple(names), tables=frozen_map(self.tables),
            repeat_rows=repeat, landscape=self.sheet.landscape, n_rows=self.row,
            pages=0 if self.breaks else self.sheet.pages, row_breaks=tuple(self.breaks),
            formula_names=tuple(formula_names), hidden_rows=tuple(self.hidden),
        )

    def _fixed_col(self, table: TableLayout, col_id: str) -> int:
        labels = {s.text: s.box.c1 for s in self.statics if s.box.r1 == table.header_row}
        spec = self.tables_spec[table.id]
        label = next(c.label for c in spec.columns if c.id == col_id)
        return labels[label]


def _joined(conditions: list[str]) -> str:
    return conditions[0] if len(conditions) == 1 else "AND(" + ",".join(conditions) + ")"


def _range(q: str, first: Box, last: Box) -> str:
    return f"{q}!{a1(first.r1, first.c1, absolute=True)}:{a1(last.r1, last.c1, absolute=True)}"
