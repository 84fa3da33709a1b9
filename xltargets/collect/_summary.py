"""汇总表.xlsx: the office's workbook of the whole batch, written row by row.

Sheets: 项目汇总 (one row per project, with its amounts and the return's status), 部门汇总 (one
row per return), 绩效指标 (every indicator), 问题清单 (every finding), 报送情况 (every input
file and its status) and 未报送 (departments of the manifest with no return). Each has a frozen
header row and a filter.

Written by :mod:`._xlsx` (a streaming table writer, ~10× faster per cell than XlsxWriter, which
matters at 8 million cells): each row goes to a temporary file as it is added, so 20,000 returns
cost no more memory than 500. A sheet that reaches Excel's row limit continues on a sheet of the
same name with a number.

No text ever becomes a formula: there is no formula cell at all, every text is an inline string,
so ``=1+1`` typed by a department stays the text ``=1+1``.
Amounts and percentages are numbers (so the office can sum them), written from the exact decimal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from ..errors import XltargetsError
from ..findings import SEVERITY_ZH
from ..spec import load_spec
from ..spec.model import Kind
from ._model import (
    MARKER_TEXT,
    RESULT_COLUMNS,
    RESULT_HEADERS_ZH,
    Entry,
    FormRoles,
    IndicatorRow,
    ReturnInfo,
    by_fields,
    finding_counts,
    json_decimal,
    value_text,
)
from ._xlsx import NUMBER_STYLES, ROW_END, TEXT, Sheet, TableWorkbook, render_row

#: fixed document time: the same batch gives the same bytes
CREATED = dt.datetime(2020, 1, 1)
EXCEL_MAX_ROWS = 1_048_576
NUMBER_KINDS = {Kind.money: "#,##0.00", Kind.percent: '0"%"', Kind.integer: "0"}
#: a percentage with decimals keeps them (33.5 → 33.50%); whole ones show as 25%
PERCENT_DECIMALS = '0.00"%"'
KIND_ZH = {"quantitative": "定量", "qualitative": "定性"}


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    kind: Kind = Kind.text
    width: float = 14
    #: kind money: the unit (万元 / 元), shown in the header
    unit: str = ""

    @property
    def header(self) -> str:
        return f"{self.label}（{self.unit}）" if self.unit else self.label


def spec_columns(spec_ids: Iterable[str]) -> tuple[list[Column], list[Column], list[Column]]:
    """Department fields, project fields and extra indicator columns of the given specs.

    The union in the specs' own order (first spec first), so the columns are known before the
    first row is written and a batch mixing specs still has one table."""
    dept: dict[str, Column] = {}
    proj: dict[str, Column] = {}
    extra: dict[str, Column] = {}
    for spec_id in spec_ids:
        spec = load_spec(spec_id)
        roles = FormRoles.of(spec_id)
        # the unit's code and name are the rows' own first columns: not twice
        unit_fields = {spec.roles.unit_code, spec.roles.unit_name} - {None}
        for sheet in spec.sheets:
            target = proj if sheet.repeat == "per_project" else dept
            for f in sheet.fields:
                if f.source == "year" or f.id in unit_fields:
                    continue
                width = 30 if f.kind in (Kind.long_text, Kind.text_list) else 14
                unit = spec.money_unit_of(f) if f.kind == Kind.money else ""
                target.setdefault(f.id, Column(f.id, f.label, f.kind, width, unit))
            for table in sheet.tables:
                if table.id != roles.indicator_table:
                    continue  # other tables stay in the JSON and the database's fields
                for c in table.columns:
                    if c.id not in roles.role_columns():
                        extra.setdefault(c.id, Column(c.id, c.label, c.kind, 24))
    return list(dept.values()), list(proj.values()), list(extra.values())


class _Sheet:
    """One logical table, continued on a new worksheet at Excel's row limit."""

    def __init__(self, book: SummaryWorkbook, title: str, header: list[str],
                 widths: list[float]) -> None:
        self.book, self.title, self.header, self.widths = book, title, header, widths
        self.parts = 0
        self.ws: Sheet = self._new()

    def _new(self) -> Sheet:
        self.parts += 1
        n = self.parts
        return self.book.wb.add_sheet(self.title if n == 1 else f"{self.title}({n})",
                                      self.header, self.widths)

    def add(self, values: list[Any]) -> None:
        xml, max_col = render_row(_cells(values))
        self.add_xml(xml + ROW_END, max_col)

    def add_xml(self, xml: str, max_col: int) -> None:
        """A row rendered by :func:`_render` (in a worker, or here), closed."""
        if self.ws.rows >= EXCEL_MAX_ROWS:
            self.ws = self._new()
        self.ws.append_xml(xml, max_col)


def _cells(values: list[Any]) -> list[tuple[Any, int | None]]:
    """A row's values as the writer's (value, style) cells."""
    cells: list[tuple[Any, int | None]] = []
    append = cells.append
    for value in values:
        if value is None or value == "":
            append(_EMPTY)
        elif isinstance(value, str):
            append((value, TEXT))
        elif isinstance(value, Number):
            number = value.value
            if isinstance(number, Decimal) and not number.is_finite():
                append((str(number), None))
            else:
                append((float(number), NUMBER_STYLES[value.fmt]))
        elif isinstance(value, bool):
            append(("是" if value else "否", None))
        elif isinstance(value, int):
            append((float(value), None))
        else:
            append((str(value), TEXT))
    return cells


def _render(values: list[Any]) -> tuple[str, int]:
    """A closed row's XML (row number to be set) and its highest filled column."""
    xml, max_col = render_row(_cells(values))
    return xml + ROW_END, max_col


class _Prefix:
    """The first cells shared by every row of one return (year, spec, unit, status, file),
    rendered once: a row is its XML followed by the rest of the row's cells (the same bytes as
    rendering the whole row, since a cell's XML depends only on its column and value)."""

    __slots__ = ("xml", "max_col", "width")

    def __init__(self, values: list[Any]) -> None:
        self.xml, self.max_col = render_row(_cells(values))
        self.width = len(values)

    def row(self, rest: list[Any], *, close: bool = True) -> tuple[str, int]:
        xml, max_col = render_row(_cells(rest), start=self.width)
        return (self.xml + xml + ROW_END if close else self.xml + xml), max(self.max_col, max_col)


_EMPTY: tuple[Any, int | None] = (None, None)


@dataclass(frozen=True)
class Number:
    """A number cell with its format (amounts, percentages, counts)."""

    value: Decimal | int
    fmt: str = "0"


@dataclass
class Totals:
    """The sums of one spec and year: the 合计 rows and the report's figures."""

    spec_id: str
    spec_name: str
    year: int
    returns: int = 0
    projects: int = 0
    #: column id -> sum of the money values of the project sheets / the department sheets
    project_sums: dict[str, Decimal] = field(default_factory=dict)
    department_sums: dict[str, Decimal] = field(default_factory=dict)


def _add_money(sums: dict[str, Decimal], obj: dict[str, Any], columns: list[Column]) -> None:
    for c in columns:
        if c.kind == Kind.money:
            value = json_decimal(obj.get(c.id))
            if value is not None and value.is_finite():
                sums[c.id] = sums.get(c.id, Decimal(0)) + value


def _sums(sums: dict[str, Decimal], columns: list[Column]) -> list[Any]:
    return [Number(sums[c.id], NUMBER_KINDS[Kind.money]) if c.id in sums else None for c in columns]


@lru_cache(maxsize=32)
def columns_for(spec_key: tuple[str, ...]) -> tuple[list[Column], list[Column], list[Column]]:
    """:func:`spec_columns`, once per set of specs (a worker makes rows for thousands of returns)."""
    return spec_columns(spec_key)


@by_fields
@dataclass(frozen=True, slots=True)
class SummaryPart:
    """One kept return's share of the 汇总表: its rows rendered (row numbers left open, see
    :func:`~._xlsx.render_row`) and its amounts for the totals, as exact decimals.

    Made where the return is read, for the columns of ``spec_key`` (the specs of the batch as
    the worker expects them: its own and the manifest's); the parent uses it when the batch's
    specs are those, else makes the rows again from the JSON."""

    spec_key: tuple[str, ...]
    spec_id: str
    year: int
    projects: int
    #: 部门汇总's row without its last cell (the feedback copy) and without its end
    department: tuple[str, int]
    feedback_column: int
    projects_rows: list[tuple[str, int]]
    indicator_rows: list[tuple[str, int]]
    finding_rows: list[tuple[str, int]]
    #: (column id, amount) of the department sheet, in column order: added to the totals
    department_money: list[tuple[str, Decimal]]
    #: (column id, sum over the return's projects)
    project_money: list[tuple[str, Decimal]]


def summary_part(spec_key: tuple[str, ...], info: ReturnInfo, data: dict[str, Any],
                 indicators_of: Callable[[dict[str, Any]], list[IndicatorRow]] | None = None
                 ) -> SummaryPart:
    """The 汇总表 rows of one kept return (its JSON), for the columns of the specs ``spec_key``.
    ``indicators_of``: the indicator rows of a sheet (``FormRoles.indicators``, or a memo of it
    shared with the database's rows)."""
    dept_cols, proj_cols, extra_cols = columns_for(spec_key)
    spec_id = data["spec"]["id"]
    year = int(data.get("year") or info.year or 0)
    form = [year or None, _spec_name(spec_id)]
    who = [*form, info.unit_code, info.unit_name, info.label, info.rel]
    roles = FormRoles.of(spec_id)
    if indicators_of is None:
        indicators_of = roles.indicators
    department = data.get("department") or {}
    per_sheet = finding_counts(data)
    projects = data.get("projects") or []
    # the amounts as they are (the parent adds them to the totals in input order, as before)
    department_money = []
    for c in dept_cols:
        if c.kind == Kind.money:
            amount = json_decimal(department.get(c.id))
            if amount is not None and amount.is_finite():
                department_money.append((c.id, amount))
    prefix = _Prefix(who)
    rest = [*[_field(department, c) for c in dept_cols], len(projects), info.errors, info.warnings]
    department_row = prefix.row(rest, close=False)
    feedback_column = len(who) + len(rest)
    indicator_rows = _indicators(extra_cols, indicators_of(department), prefix, department, "")
    projects_rows: list[tuple[str, int]] = []
    mine: dict[str, Decimal] = {}
    indicators = errors_sum = warnings_sum = 0
    for project in projects:
        sheet = str(project.get("sheet") or "")
        errors, warnings = per_sheet.get(sheet, [0, 0])
        rows = indicators_of(project)
        count = len(rows)
        indicators, errors_sum, warnings_sum = (indicators + count, errors_sum + errors,
                                                warnings_sum + warnings)
        _add_money(mine, project, proj_cols)
        projects_rows.append(prefix.row([sheet, *[_field(project, c) for c in proj_cols],
                                         count, errors, warnings]))
        indicator_rows += _indicators(extra_cols, rows, prefix, project,
                                      roles.project_name(project) or "")
    if projects:
        # the department's own 合计 under its projects
        projects_rows.append(_render([*form, info.unit_code, info.unit_name, "", "",
                                      f"合计（{len(projects)}个项目）", *_sums(mine, proj_cols),
                                      indicators, errors_sum, warnings_sum]))
    finding_rows = []
    for f in data.get("findings") or []:
        severity = str(f.get("severity") or "")
        finding_rows.append(prefix.row([SEVERITY_ZH.get(severity, severity), f.get("sheet"),
                                        f.get("cell"), f.get("code"), f.get("message"),
                                        value_text(f.get("value"))]))
    return SummaryPart(spec_key, spec_id, year, len(projects), department_row, feedback_column,
                       projects_rows, indicator_rows, finding_rows,
                       department_money, list(mine.items()) if projects else [])


def _indicators(extra_cols: list[Column], indicators: list[IndicatorRow], prefix: _Prefix,
                obj: dict[str, Any], project_name: str) -> list[tuple[str, int]]:
    rows = []
    for row in indicators:
        value = row.value
        number = json_decimal(value.get("number")) if value else None
        marker = str(row.marker or "")
        rows.append(prefix.row([
            obj.get("sheet"), project_name, row.row, row.level1, row.level2, row.level3,
            value.get("text") if value else (row.invalid_text or MARKER_TEXT.get(marker)),
            KIND_ZH.get(value.get("kind") or "", value.get("kind")) if value else None,
            value.get("comparison") if value else None,
            Number(number, "General") if number is not None else None,
            value.get("unit") if value else None,
            *[_extra_text(row, c.id) for c in extra_cols],
            {"redacted": "涉密", "not_applicable": "不适用"}.get(marker, marker),
        ]))
    return rows


class SummaryWorkbook:
    """汇总表.xlsx; call :meth:`add` for each kept return in order, then :meth:`close`.

    Every row carries its budget year and spec (表样): an inbox may hold returns of several,
    and their amounts are never added together. Each department's projects end with a 合计 row;
    each spec and year gets a 总计 row on 项目汇总 and 部门汇总."""

    def __init__(self, fh: IO[bytes], tmpdir: Path, spec_ids: list[str]) -> None:
        self.wb = TableWorkbook(fh, tmpdir, title="预算绩效目标汇总表", author="xltargets",
                                created=CREATED)
        self.spec_key = tuple(spec_ids)
        self.dept_cols, self.proj_cols, self.extra_cols = columns_for(self.spec_key)
        self.totals: dict[tuple[str, int], Totals] = {}
        self._names: dict[str, str] = {}
        who = ["年度", "表样", "单位编码", "单位名称", "状态", "文件"]
        who_w = [6.0, 24.0, 10.0, 28.0, 14.0, 36.0]
        self.projects = _Sheet(self, "项目汇总", [*who, "工作表", *[c.header for c in self.proj_cols],
                                                  "指标数", "错误数", "警告数"],
                               [*who_w, 8, *[c.width for c in self.proj_cols], 8, 8, 8])
        self.departments = _Sheet(self, "部门汇总", [*who, *[c.header for c in self.dept_cols],
                                                     "项目数", "错误数", "警告数", "修改意见副本"],
                                  [*who_w, *[c.width for c in self.dept_cols], 8, 8, 8, 36])
        self.indicators = _Sheet(
            self, "绩效指标",
            [*who, "工作表", "项目名称", "行", "一级指标", "二级指标", "三级指标", "指标值",
             "类型", "比较符", "数值", "计量单位", *[c.header for c in self.extra_cols], "标记"],
            [*who_w, 8, 24, 5, 12, 16, 24, 16, 6, 6, 10, 8, *[c.width for c in self.extra_cols], 8])
        self.findings = _Sheet(self, "问题清单", [*who, "级别", "工作表", "单元格", "代码",
                                                  "问题说明", "填写的内容"],
                               [*who_w, 6, 10, 8, 20, 60, 24])
        self.files = _Sheet(self, "报送情况", ["年度", "表样", *RESULT_HEADERS_ZH],
                            [6, 24, 36, 12, 14, 16, 40, 10, 28, 18, 8, 8, 36, 36, 20, 10, 20])
        self.missing = _Sheet(self, "未报送", ["单位编码", "单位名称", "下发文件", "模板编号", "备注"],
                              [10, 28, 40, 18, 50])

    # -- rows ----------------------------------------------------------------------------------

    def _group(self, spec_id: str, year: int) -> Totals:
        key = (spec_id, year)
        group = self.totals.get(key)
        if group is None:
            group = self.totals[key] = Totals(spec_id, _spec_name(spec_id), year)
        return group

    def add(self, entry: Entry, data: dict[str, Any]) -> None:
        """One kept return from its JSON (the rows made here rather than in a worker)."""
        self.add_part(summary_part(self.spec_key, ReturnInfo.of(entry), data), entry.feedback)

    def add_part(self, part: SummaryPart, feedback: str) -> None:
        """One kept return's rows, made by :func:`summary_part` (in the worker that read it);
        ``feedback``: its feedback copy, known only once the batch is read."""
        group = self._group(part.spec_id, part.year)
        group.returns += 1
        group.projects += part.projects
        for key, value in part.department_money:
            group.department_sums[key] = group.department_sums.get(key, Decimal(0)) + value
        xml, max_col = part.department
        last, col = render_row([(f"feedback/{feedback}", TEXT) if feedback else _EMPTY],
                               start=part.feedback_column)
        self.departments.add_xml(xml + last + ROW_END, max(max_col, col))
        for xml, max_col in part.projects_rows:
            self.projects.add_xml(xml, max_col)
        for key, value in part.project_money:
            group.project_sums[key] = group.project_sums.get(key, Decimal(0)) + value
        for xml, max_col in part.indicator_rows:
            self.indicators.add_xml(xml, max_col)
        for xml, max_col in part.finding_rows:
            self.findings.add_xml(xml, max_col)

    def _write_totals(self) -> None:
        for group in self.totals.values():
            label = f"总计（{group.returns}个单位）"
            self.projects.add([group.year or None, group.spec_name, "", label, "", "",
                               f"{group.projects}个项目", *_sums(group.project_sums, self.proj_cols),
                               None, None, None])
            self.departments.add([group.year or None, group.spec_name, "", label, "", "",
                                  *_sums(group.department_sums, self.dept_cols), group.projects,
                                  None, None, None])

    def groups(self) -> list[dict[str, Any]]:
        """Per spec and year: returns, projects and the money totals (for the report)."""
        out = []
        for g in self.totals.values():
            amounts = [{"label": c.header, "total": format(g.project_sums[c.id], ",.2f")}
                       for c in self.proj_cols if c.id in g.project_sums]
            amounts += [{"label": f"{c.header}（部门）", "total": format(g.department_sums[c.id], ",.2f")}
                        for c in self.dept_cols if c.id in g.department_sums]
            out.append({"spec_id": g.spec_id, "spec_name": g.spec_name, "year": g.year,
                        "returns": g.returns, "projects": g.projects, "amounts": amounts})
        return out

    def add_file(self, entry: Entry) -> None:
        row = entry.result_row()
        name = None
        if entry.spec_id:
            # once per spec in a run (load_spec looks at the spec's file each time: 20,000 files)
            name = self._names.get(entry.spec_id)
            if name is None:
                name = self._names[entry.spec_id] = _spec_name(entry.spec_id)
        form = [entry.year or None, name]
        self.files.add([*form, *[row[c] for c in RESULT_COLUMNS]])

    def add_missing(self, values: list[Any]) -> None:
        self.missing.add(values)

    def abort(self) -> None:
        """Release the temporary row files (the half-written workbook is discarded by the caller)."""
        with contextlib.suppress(Exception):
            self.wb.abort()

    def close(self) -> None:
        self._write_totals()
        self.wb.close()




def _spec_name(spec_id: str) -> str:
    """The spec's Chinese name (表样) for a row; its id when it cannot be loaded."""
    try:
        return load_spec(spec_id).name
    except XltargetsError:
        return spec_id


def _cell_text(obj: dict[str, Any], key: str) -> Any:
    marker = (obj.get("markers") or {}).get(key)
    if marker:
        return MARKER_TEXT.get(marker, marker)
    value = obj.get(key)
    if value is None:
        return (obj.get("invalid") or {}).get(key)
    return value_text(value)


def _extra_text(row: IndicatorRow, key: str) -> Any:
    return _cell_text(row.extra, key)


def _field(obj: dict[str, Any], column: Column) -> Any:
    """A field's cell: a number for amounts and percentages, else text; what the department
    typed when it could not be read; the marker's word for 涉密 / ……"""
    if column.kind == Kind.text_list:
        items = obj.get(column.id)
        return "\n".join(str(i) for i in items) if isinstance(items, list) else None
    value = obj.get(column.id)
    if value is None:
        return _cell_text(obj, column.id)
    fmt = NUMBER_KINDS.get(column.kind)
    if fmt is not None:
        number = json_decimal(value)
        if number is not None:
            if column.kind == Kind.percent and number.is_finite() and number != number.to_integral_value():
                fmt = PERCENT_DECIMALS
            return Number(number, fmt)
    return value_text(value)


__all__ = ["SummaryWorkbook", "spec_columns"]
