"""Checks: the spec's rules applied to typed values, giving findings. Pure.

Two layers: the kind of every cell (required, parseable, pattern, length, range), then the
spec's cross-field rules (:mod:`xltargets.rules`). The reader is the authority: it re-runs
everything Excel validation only hinted at.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..findings import Finding, Severity
from ..form import _BLANK, Cell, FormValues, FormView, SheetValues, _path
from ..spec.model import Kind
from ..values._core import float_text

KIND_ZH = {
    Kind.money: "金额（万元，数字）",
    Kind.percent: "百分比数字（0-100）",
    Kind.integer: "整数",
    Kind.date: "日期（如 2025-06-20）",
    Kind.phone: "11位手机号或带区号的固定电话",
    Kind.code: "编码",
}

#: problem code from parsing -> (finding code, message template)
PROBLEMS = {
    "not_a_number": "invalid_number",
    "not_an_integer": "invalid_integer",
    "not_a_date": "invalid_date",
    "invalid_date": "invalid_date",
    "incomplete_date": "invalid_date",
    "bad_phone": "invalid_phone",
    "code_mangled": "code_mangled",
}

#: characters of a cell quoted in a message
QUOTE = 40


def _quote(raw: object) -> str:
    """A short prefix of what a cell held, for a message (never the whole of a long text).

    A number is quoted with its digits as the spreadsheet shows them (``20250620``, never the
    ``2.02506e+07`` of Python's ``g`` format): the clerk must recognise what was typed."""
    if isinstance(raw, float):
        text = float_text(raw) if math.isfinite(raw) else str(raw)
    else:
        text = str(raw)
    return text if len(text) <= QUOTE else text[:QUOTE] + "…"


def run_checks(values: FormValues) -> list[Finding]:
    findings: list[Finding] = []
    for sheet in values.sheets:
        findings.extend(_sheet_checks(sheet))
    view = FormView(values)
    for rule in values.spec.rules:
        findings.extend(rule.evaluate(view))
    return findings


def _finding(sheet: SheetValues, cell: Cell, severity: Severity, code: str, message: str,
             value: object = None) -> Finding:
    return Finding(severity, code, message, sheet=sheet.layout.name, cell=cell.input.box.ref,
                   path=_path(sheet.layout, cell.input.path), value=value)


def _cell_checks(sheet: SheetValues, cell: Cell, *, required: bool) -> Iterator[Finding]:
    p = cell.parsed
    inp = cell.input
    label = inp.label
    if p.marker is not None:
        return
    if p.blank:
        if required:
            yield _finding(sheet, cell, Severity.error, "required_missing", f"必填项“{label}”未填写")
        return
    if p.problem:
        code = PROBLEMS.get(p.problem, f"invalid_{inp.kind.value}")
        if inp.kind == Kind.percent and p.problem == "not_a_number":
            code = "invalid_percent"
        want = KIND_ZH.get(inp.kind, "有效内容")
        if inp.kind == Kind.money:
            want = f"金额（{inp.money_unit}，数字）"
        yield _finding(sheet, cell, Severity.error, code,
                       f"“{label}”应填写{want}，实际填写“{_quote(p.raw)}”", p.raw)
        return
    # (the quote is made only for a finding: most cells have none)
    shown = _quote(p.raw) if p.notes else ""
    for note in p.notes:
        if note == "unit_wan":
            yield _finding(sheet, cell, Severity.warning, "money_in_wan",
                           f"“{label}”填写“{shown}”，本表金额单位为元，已按万元折算为{p.value:f}元，请核实", p.raw)
        elif note == "unit_yuan":
            yield _finding(sheet, cell, Severity.warning, "money_in_yuan",
                           f"“{label}”填写“{shown}”，单位应为万元，已按元折算为{p.value}万元，请核实", p.raw)
        elif note == "precision":
            yield _finding(sheet, cell, Severity.warning, "money_precision",
                           f"“{label}”金额“{shown}”超过两位小数", p.raw)
        elif note == "negative":
            yield _finding(sheet, cell, Severity.error, "money_negative",
                           f"“{label}”金额不能为负数，实际为“{shown}”", p.raw)
        elif note == "out_of_range":
            yield _finding(sheet, cell, Severity.error, "percent_out_of_range",
                           f"“{label}”应为0-100之间的百分比，实际为“{shown}”", p.raw)
    # length and pattern: the very objects the template's validation was built from
    subject = p.value if isinstance(p.value, str) else p.raw
    for limit in inp.limits:
        if limit.refuses(subject):
            yield _finding(sheet, cell, Severity.error, limit.code, limit.message(label, subject),
                           None if limit.code == "text_too_long" else _quote(subject))


def _quiet(cell: Cell, required: bool) -> bool:
    """Whether :func:`_cell_checks` has nothing to say about ``cell``, decided without starting
    it (most cells of a return: blank and optional, or a plain value with no limit)."""
    p = cell.parsed
    if p.marker is not None:
        return True
    if p.value is not None:  # (then not blank)
        return not p.problem and not p.notes and not cell.input.limits
    return p is _BLANK and not required


def _sheet_checks(sheet: SheetValues) -> Iterator[Finding]:
    # (a blank cell is the shared _BLANK parse: most cells of a return, quiet unless required,
    # decided here without a call)
    for cell in sheet.fields.values():
        inp = cell.input
        if inp.fixed:
            continue
        required = inp.required
        if cell.parsed is _BLANK and not required:
            continue
        if not _quiet(cell, required):
            yield from _cell_checks(sheet, cell, required=required)
    spec_fields = {}
    for cells in sheet.lists.values():
        for cell in cells:
            if cell.parsed is not _BLANK and not _quiet(cell, False):
                yield from _cell_checks(sheet, cell, required=False)
        if cells:
            spec_fields[cells[0].input.field] = cells
    for _fid, cells in spec_fields.items():
        filled = sum(1 for c in cells if not c.parsed.blank)
        need = sum(1 for c in cells if c.input.required)
        if filled < need:
            first = cells[0]
            yield _finding(sheet, first, Severity.error, "list_too_few",
                           f"“{first.input.label.rsplit('第', 1)[0]}”至少填写{need}项")
    for rows in sheet.tables.values():
        for _index, row_cells, _fixed in rows:
            texts = dict(row_cells)
            all_na = any(c.parsed.marker == "not_applicable" for c in texts.values())
            for cell in texts.values():
                required = cell.input.required
                if all_na:
                    required = False  # …… marks the whole category as not applicable
                if cell.parsed is _BLANK and not required:
                    continue
                if not _quiet(cell, required):
                    yield from _cell_checks(sheet, cell, required=required)
