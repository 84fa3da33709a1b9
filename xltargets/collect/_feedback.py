"""Feedback copies (退回修改意见): a fresh template holding what the department typed.

The copy is drawn by the generator from the same spec, so dropdowns, validations and protection
are exactly those of a template; it never starts from the department's file (which is never
modified). Every finding with a cell becomes a cell comment and a red highlight there, and the
sheet 问题清单 lists all findings, including those without a cell.

The copy carries the template id of the return it answers, so that when the department sends it
back, collect with the distribution manifest recognises it as the template that was sent out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ..findings import SEVERITY_ZH
from ..generate import Department, build_template
from ..layout import Layout, plan
from ..layout.capacity import Capacity, CapacityError
from ..layout.model import Place
from ..spec.model import Kind, Spec
from ..submission import json_decimal
from ._manifest import Prefilled
from ._model import MARKER_TEXT, value_text

Values = dict[str, dict[tuple[str | int, ...], Any]]

#: the sheet listing every finding (its name must not clash with a form sheet)
FINDINGS_SHEET = "问题清单"
FINDINGS_HEADER = ["序号", "级别", "工作表", "单元格", "代码", "填写的内容", "问题说明"]
_TEMPLATE_ID = re.compile(r"T[0-9A-F]{15}")


def submission_values(spec: Spec, submission: Mapping[str, Any]) -> tuple[Values, int]:
    """The values of a submission's JSON, by sheet and input path, ready for ``build_template``.

    Parsed values are written back in their kind (money and percentages as exact decimals, dates
    as dates); a value that could not be parsed is written back as the text the department
    typed, and a marker as its word (涉密, ……). Returns the values and the project count.
    """
    projects = list(submission.get("projects") or [])
    layout = plan(spec, len(projects), submission_capacity(spec, submission))
    by_sheet: dict[str, Mapping[str, Any]] = {}
    department = submission.get("department") or {}
    for sheet in layout.sheets:
        if sheet.index is None:
            by_sheet[sheet.name] = department
    for number, project in enumerate(projects, start=1):
        sheet_name = project.get("sheet")
        target = next((s for s in layout.sheets if s.index == number), None)
        if target is not None:
            by_sheet[target.name] = project
        elif sheet_name:
            by_sheet[str(sheet_name)] = project
    values: Values = {}
    for sheet in layout.sheets:
        obj = by_sheet.get(sheet.name)
        if not obj:
            continue
        cells: dict[tuple[str | int, ...], Any] = {}
        list_items: dict[str, list[Any]] = {}
        for inp in sheet.inputs:
            if inp.fixed:
                continue  # the year: the generator writes it
            if inp.place == Place.field:
                value = _scalar(obj, inp.field, inp.kind)
                if value is not None:
                    cells[inp.path] = value
            elif inp.place == Place.list_item:
                # lists keep only the filled items: put them back from the top
                items = list_items.setdefault(inp.field, list(obj.get(inp.field) or []))
                position = int(inp.path[1])
                if position < len(items) and items[position] not in (None, ""):
                    cells[inp.path] = str(items[position])
        for table_id, table in sheet.tables.items():
            rows = {int(r["row"]) - 1: r for r in obj.get(table_id) or [] if "row" in r}
            for trow in table.rows:
                row = rows.get(trow.index)
                if row is None:
                    continue
                for column, inp in trow.cells.items():
                    value = _scalar(row, column, inp.kind)
                    if value is not None:
                        cells[inp.path] = value
        values[sheet.name] = cells
    return values, len(projects)


def submission_capacity(spec: Spec, submission: Mapping[str, Any]) -> Capacity:
    """The rows of the template a submission was read from (its stamp): the feedback copy is
    drawn with the same rows, so every row the department filled has its place again."""
    stamp = (submission.get("source") or {}).get("stamp") or {}
    try:
        return Capacity.parse(str(stamp.get("capacity") or ""), spec)
    except CapacityError:
        return Capacity()  # the reader refuses such a stamp: a JSON from elsewhere gets the spec's


def _scalar(obj: Mapping[str, Any], key: str, kind: Kind) -> Any:
    marker = (obj.get("markers") or {}).get(key)
    if marker in MARKER_TEXT:
        return MARKER_TEXT[marker]
    invalid = (obj.get("invalid") or {}).get(key)
    value = obj.get(key)
    if value is None:
        return invalid  # raw text of an unparseable value, or None when blank
    if kind == Kind.indicator_value and isinstance(value, Mapping):
        return value.get("text")
    if kind in (Kind.money, Kind.percent) and isinstance(value, str):
        number = json_decimal(value)
        return value if number is None else number
    if kind == Kind.integer and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    if kind == Kind.date and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def finding_comments(layout: Layout, findings: list[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Cell comments by sheet and cell: every finding located on a sheet of the layout."""
    sheets = {s.name for s in layout.sheets}
    comments: dict[str, dict[str, list[str]]] = {}
    for f in findings:
        sheet, cell = f.get("sheet"), f.get("cell")
        if not sheet or not cell or sheet not in sheets:
            continue
        text = f"{SEVERITY_ZH.get(str(f.get('severity')), '提示')}：{f.get('message', '')}"
        bucket = comments.setdefault(str(sheet), {}).setdefault(str(cell), [])
        if text not in bucket:
            bucket.append(text)
    return {s: {c: "\n".join(texts) for c, texts in cells.items()} for s, cells in comments.items()}


def findings_rows(findings: list[Mapping[str, Any]]) -> list[list[Any]]:
    """The 问题清单 sheet: a header row and one row per finding, in the submission's order."""
    rows: list[list[Any]] = [list(FINDINGS_HEADER)]
    for n, f in enumerate(findings, start=1):
        rows.append([n, SEVERITY_ZH.get(str(f.get("severity")), str(f.get("severity") or "")),
                     f.get("sheet") or "", f.get("cell") or "", f.get("code") or "",
                     value_text(f.get("value")), f.get("message") or ""])
    return rows


def _sent_projects(spec: Spec, layout: Layout, count: int,
                   prefilled: Iterable[Prefilled]) -> list[dict[str, Any]]:
    """Each project's prefilled values, typed as the roster gave them, for the generator."""
    projects: list[dict[str, Any]] = [{} for _ in range(count)]
    index = {s.name: s.index for s in layout.sheets if s.index is not None}
    kinds = {f.id: f.kind for s in spec.sheets for f in s.fields}
    for item in prefilled:
        number = index.get(item.sheet)
        if number is None or number > count:
            continue  # department-sheet values come from the stamp (unit code, name) and defaults
        value: Any = item.value
        if kinds.get(item.field) == Kind.money:
            with contextlib.suppress(InvalidOperation):  # a text the roster had: keep it
                value = Decimal(item.value)
        projects[number - 1][item.field] = value
    return projects


def feedback_workbook(spec: Spec, submission: Mapping[str, Any], *,
                      password: str | None = None, prefilled: Iterable[Prefilled] = ()) -> bytes:
    """The feedback copy of one submission (its JSON), as the bytes of an .xlsx workbook.

    ``prefilled`` (from the manifest): the values the template was sent with; the copy holds
    them again, locked, whatever the return held in their cells."""
    values, count = submission_values(spec, submission)
    stamp = ((submission.get("source") or {}).get("stamp")) or {}
    year = int(submission.get("year") or stamp.get("year") or 0)
    capacity = submission_capacity(spec, submission)
    layout = plan(spec, count, capacity)
    department = None
    if stamp.get("unit_code"):
        # the same prefilled, locked unit code and name as the template that was sent out
        department = Department(str(stamp["unit_code"]), str(stamp.get("unit_name") or ""),
                                str(stamp.get("region_code") or ""),
                                projects=_sent_projects(spec, layout, count, prefilled))
    findings = list(submission.get("findings") or [])
    original = str(stamp.get("template_id") or "")
    # a stamp is read from the department's file: only a well-formed id is ever copied, so the
    # corrected copy comes back as the template that was sent out
    built = build_template(spec, year, department=department, projects=count, password=password,
                           values=values, comments=finding_comments(layout, findings),
                           extra_sheets=[(FINDINGS_SHEET, findings_rows(findings))],
                           template_id=original if _TEMPLATE_ID.fullmatch(original) else None,
                           capacity=capacity)
    return built.data
