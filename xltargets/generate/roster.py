"""The roster: which departments get a workbook, with what prefilled.

A roster is a CSV (UTF-8, UTF-8 with BOM, or GB18030 as Excel saves it in China) or the first
sheet of an .xlsx. Row 1 names the columns, by field id or by Chinese label:

============== ============ ===========================================================
column         label        meaning
============== ============ ===========================================================
unit_code      单位编码      required; identifies the department (one workbook each)
unit_name      单位名称      required
region_code    区划编码      optional, 6 digits; checked against project codes
<project field> its label    any prefillable field of the project sheet (project_code,
                            project_name, budget_total …); one row per project
indicator_rows 指标行数      optional: this department's indicator rows per table (a free
                            indicator table, as ``generate --indicator-rows``)
category_rows  每类指标行数  optional: rows per category (a skeleton table, as
                            ``generate --category-rows``)
============== ============ ===========================================================

The two row columns exist only where the spec has such a table. A department gets the largest
number given on any of its rows; blank means the spec's rows (or the generate option's).

A department with several projects has one row per project; a row with no project columns
filled gives a department without projects. See ``examples/roster-hebei.csv``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import RosterError, XltargetsError, os_error_zh
from ..layout.capacity import Capacity, CapacityError, requested, shortcuts
from ..spec.model import FieldSpec, Kind, Spec
from ..values import parse_code, parse_money, parse_text

DEPARTMENT_COLUMNS = {"unit_code": "单位编码", "unit_name": "单位名称", "region_code": "区划编码"}
MAX_ROSTER_BYTES = 20 * 2**20
#: the extent of a roster sheet handed to python-calamine, which allocates every cell of the
#: rectangle from A1 to the farthest filled cell: a province's roster is one row per project
#: (some 100,000 rows) of about ten columns; one stray value at XFD1048576 would otherwise ask
#: for 17 billion cells and end the process in the allocator
MAX_ROSTER_ROWS = 200_000
MAX_ROSTER_COLUMNS = 100
MAX_ROSTER_CELLS = 4_000_000


@dataclass
class Department:
    unit_code: str
    unit_name: str
    region_code: str = ""
    projects: list[dict[str, Any]] = field(default_factory=list)
    row: int = 0
    #: the roster row of each project (same order as ``projects``), for messages
    project_rows: list[int] = field(default_factory=list)
    #: rows this department needs (block id -> rows) from the roster's 指标行数/每类指标行数
    rows: dict[str, int] = field(default_factory=dict)

    def row_of(self, project: int | None) -> int:
        """The roster row of project number ``project`` (1-based), or the department's row."""
        if project is not None and 0 < project <= len(self.project_rows):
            return self.project_rows[project - 1]
        return self.row


def project_fields(spec: Spec) -> dict[str, FieldSpec]:
    for sheet in spec.sheets:
        if sheet.repeat == "per_project":
            return {f.id: f for f in sheet.fields if f.prefill}
    return {}


def read_roster(path: str | Path, spec: Spec) -> list[Department]:
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise RosterError("名单为空（没有表头行）", path=path)
    pfields = project_fields(spec)
    by_label = {v: k for k, v in DEPARTMENT_COLUMNS.items()}
    by_label.update({f.label: f.id for f in pfields.values()})
    row_columns = shortcuts(spec)
    by_label.update({v: k for k, v in row_columns.items()})
    header = [_header(h, by_label) for h in rows[0]]
    known = set(DEPARTMENT_COLUMNS) | set(pfields) | set(row_columns)
    for i, name in enumerate(header):
        if name and name not in known:
            raise RosterError(
                f"未知的列“{rows[0][i]}”；可用的列：{', '.join(sorted(known))}", path=path, row=1)
    for need in ("unit_code", "unit_name"):
        if need not in header:
            raise RosterError(f"缺少必需的列 {need}（{DEPARTMENT_COLUMNS[need]}）", path=path, row=1)
    code_field = _unit_code_field(spec)
    departments: dict[str, Department] = {}
    project_codes: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(str(v).strip() for v in raw if v is not None):
            continue
        record = {header[i]: raw[i] for i in range(min(len(header), len(raw))) if header[i]}
        code = parse_code(record.get("unit_code"), digits=code_field.digits if code_field else None).value
        if not code:
            raise RosterError("单位编码为空", path=path, row=number)
        if code_field and code_field.pattern and not re.fullmatch(code_field.pattern, str(code)):
            raise RosterError(f"单位编码“{code}”格式不正确，应为{code_field.pattern_hint or code_field.pattern}",
                              path=path, row=number)
        name = parse_text(record.get("unit_name")).value or ""
        if not name:
            raise RosterError("单位名称为空", path=path, row=number)
        region = parse_code(record.get("region_code"), digits=6).value or ""
        dept = departments.get(str(code))
        if dept is None:
            dept = Department(str(code), str(name), str(region), row=number)
            departments[str(code)] = dept
        elif dept.unit_name != name:
            raise RosterError(
                f"单位编码{code}重复：第{dept.row}行为“{dept.unit_name}”，本行为“{name}”",
                path=path, row=number)
        _rows_needed(spec, dept, record, row_columns, path, number)
        project = _project(spec, record, pfields, path, number)
        if project:
            pcode = project.get(spec.roles.project_code) if spec.roles.project_code else None
            if pcode:
                if pcode in project_codes:
                    raise RosterError(f"项目编码{pcode}重复（第{project_codes[pcode]}行已有）",
                                      path=path, row=number)
                project_codes[pcode] = number
            dept.projects.append(project)
            dept.project_rows.append(number)
    if not departments:
        raise RosterError("名单中没有单位", path=path)
    return list(departments.values())


def _rows_needed(spec: Spec, dept: Department, record: dict[str, Any], columns: dict[str, str],
                 path: Path, number: int) -> None:
    """The 指标行数/每类指标行数 of one roster row, checked and merged into the department's."""
    for column, label in columns.items():
        raw = record.get(column)
        text = str(raw if raw is not None else "").strip()
        if not text:
            continue
        if text.endswith(".0"):
            text = text[:-2]  # a number cell of an .xlsx roster
        if not text.isdigit() or len(text) > 6:
            raise RosterError(f"{label}“{text[:20]}”应为整数", path=path, row=number)
        try:
            asked = (requested(spec, indicator_rows=int(text)) if column == "indicator_rows"
                     else requested(spec, category_rows=int(text)))
            Capacity.of(spec, asked)  # within the bounds
        except CapacityError as exc:
            raise RosterError(f"{label}：{exc}", path=path, row=number) from None
        for block_id, n in asked.items():
            dept.rows[block_id] = max(n, dept.rows.get(block_id, 0))


def _unit_code_field(spec: Spec) -> FieldSpec | None:
    return spec.field_spec(spec.roles.unit_code) if spec.roles.unit_code else None


def _header(text: Any, by_label: dict[str, str]) -> str:
    name = str(text or "").strip().lstrip("\ufeff")
    return by_label.get(name, name)


def _project(spec: Spec, record: dict[str, Any], pfields: dict[str, FieldSpec], path: Path,
             number: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fid, f in pfields.items():
        raw = record.get(fid)
        if raw is None or str(raw).strip() == "":
            continue
        if f.kind == Kind.money:
            parsed = parse_money(raw, spec.money_unit_of(f))
            if not isinstance(parsed.value, Decimal) or parsed.problem:
                raise RosterError(f"{f.label}“{raw}”不是有效金额", path=path, row=number)
            if parsed.value < 0:
                raise RosterError(f"{f.label}“{raw}”不能为负数", path=path, row=number)
            out[fid] = parsed.value
        elif f.kind == Kind.code:
            value = parse_code(raw, digits=f.digits).value
            if f.pattern and value and not re.fullmatch(f.pattern, str(value)):
                raise RosterError(f"{f.label}“{raw}”格式不正确，应为{f.pattern_hint or f.pattern}",
                                  path=path, row=number)
            out[fid] = value
        else:
            out[fid] = parse_text(raw).value
    return out


def _rows(path: Path) -> list[list[Any]]:
    try:
        if path.is_dir():
            raise RosterError("这是一个文件夹；请给出名单文件（CSV 或 .xlsx）", path=path)
        size = path.stat().st_size
        if size > MAX_ROSTER_BYTES:
            raise RosterError("名单文件过大", path=path)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _xlsx_rows(path)
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"无法读取名单：{os_error_zh(exc)}", path=path) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterError("名单编码无法识别（请保存为 UTF-8 或 GBK 编码的 CSV）", path=path)
    try:
        return [row for row in csv.reader(io.StringIO(text))]
    except csv.Error:
        raise RosterError("CSV 格式错误（引号不配对或含有空字符）", path=path) from None


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    from ..read._parts import workbook_parts
    from ..read._safety import open_package
    from ..read._zip import check_parts_for_calamine

    try:
        # the same size, zip and XML limits as returned workbooks, then the sheet's real extent
        with open_package(path) as pkg:
            check_parts_for_calamine(pkg, pkg.xml_parts())
            parts = workbook_parts(pkg, pkg.workbook_part)
            first = parts.sheet_parts.get(parts.sheets[0][0]) if parts.sheets else None
            if first is not None:
                _check_extent(path, pkg.read_part(first))
    except XltargetsError as exc:
        if isinstance(exc, RosterError):
            raise
        raise RosterError(f"无法读取名单工作簿：{getattr(exc, 'message', exc)}", path=path) from None
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_index(0)
        return [list(r) for r in sheet.to_python(skip_empty_area=False)]
    except Exception:  # calamine raises its own error types for broken files
        raise RosterError("无法读取名单工作簿（文件损坏或不是 .xlsx）", path=path) from None


def _check_extent(path: Path, sheet_xml: bytes) -> None:
    """Refuse a first sheet whose filled cells reach past the roster bounds (see MAX_ROSTER_ROWS).

    Counts only cells that hold a value (formatting alone is no content) and follows cells and
    rows written without a reference the way spreadsheet programs place them."""
    from xml.parsers import expat

    from ..read._cells import parse_cell_ref

    state = {"row": 0, "col": 0, "valued": False, "rows": 0, "cols": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition("}")[2]
        if local == "row":
            ref = attrs.get("r", "")
            state["row"] = int(ref) if ref.isdigit() and len(ref) < 8 else state["row"] + 1
            state["col"] = 0
        elif local == "c":
            where = parse_cell_ref(attrs.get("r", ""))
            if where is not None:
                state["row"], state["col"] = where[0] + 1, where[1] + 1
            else:
                state["col"] += 1
            state["valued"] = False
        elif local in ("v", "is"):
            state["valued"] = True

    def end(tag: str) -> None:
        if tag.rpartition("}")[2] == "c" and state["valued"]:
            state["rows"] = max(state["rows"], state["row"])
            state["cols"] = max(state["cols"], state["col"])

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(sheet_xml, True)
    except expat.ExpatError:
        raise RosterError("无法读取名单工作簿（第一个工作表已损坏）", path=path) from None
    rows, cols = state["rows"], state["cols"]
    if rows > MAX_ROSTER_ROWS or cols > MAX_ROSTER_COLUMNS or rows * cols > MAX_ROSTER_CELLS:
        raise RosterError(
            f"名单工作簿第一个工作表的内容过大（有内容的单元格远至第{rows}行、第{cols}列；"
            f"名单最多{MAX_ROSTER_ROWS}行、{MAX_ROSTER_COLUMNS}列）；请删除表格以外的内容后另存",
            path=path)
