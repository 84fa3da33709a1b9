"""Reading a returned workbook through its layout plan.

Order of work, cheapest and safest first: size/zip/type checks (:mod:`._safety`), the small XML
parts (sheets, names, stamp), the spec and layout the stamp names, then cell values with
python-calamine for just the sheets and rows the layout needs. Nothing here knows a rule; the
user's file is only ever opened for reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine
from python_calamine import CalamineWorkbook

from .._atomic import sha256_file
from ..checks import run_checks
from ..errors import SpecError, WorkbookError, XltargetsError
from ..findings import Finding, Severity
from ..form import normalize
from ..layout import Layout, SheetLayout, plan, sheet_name
from ..spec import load_spec
from ..spec.load import builtin_ids, spec_hash
from ..spec.model import Spec
from ..stamp import STAMP_HEADER, Stamp
from ..submission import Submission, build_submission
from ._parts import WorkbookParts, parse_ref, workbook_parts
from ._safety import Limits, Package, check_parts_for_calamine, open_package, workbook_error

CALAMINE_ERRORS = (python_calamine.CalamineError, python_calamine.PasswordError,
                   python_calamine.XmlError, python_calamine.ZipError)
_SPACE = re.compile(r"[\s\u3000\u00a0]+")
#: share of a sheet's printed labels that may differ before the sheet is "not our template"
LABEL_MISMATCH_LIMIT = 0.5


@dataclass
class ReadOptions:
    spec: str | Path | Spec | None = None
    limits: Limits = field(default_factory=Limits)


def _clean(text: Any) -> str:
    return _SPACE.sub("", str(text or ""))


class _Grid:
    """Cell values of one sheet, read row by row only as far as the layout needs."""

    def __init__(self, wb: CalamineWorkbook, name: str, n_rows: int, limits: Limits,
                 path: Path) -> None:
        sheet = wb.get_sheet_by_name(name)
        if sheet.height * max(sheet.width, 1) > limits.max_cells_per_sheet:
            raise workbook_error("too_many_cells", path=path, limit=limits.max_cells_per_sheet,
                                 detail=name)
        self.rows: list[list[Any]] = []
        for i, row in enumerate(sheet.iter_rows()):
            if i >= n_rows:
                break
            self.rows.append(row)
        # iter_rows starts at the first used row: shift to A1 coordinates
        self.r0, self.c0 = sheet.start if sheet.start is not None else (0, 0)

    def get(self, r: int, c: int) -> Any:
        rr, cc = r - self.r0, c - self.c0
        if rr < 0 or cc < 0 or rr >= len(self.rows):
            return None
        row = self.rows[rr]
        if cc >= len(row):
            return None
        value = row[cc]
        return None if value == "" else value


def read_workbook(path: str | Path, options: ReadOptions | None = None) -> Submission:
    """Read, normalize and check one returned workbook.

    Raises :class:`WorkbookError` when the file cannot be read at all; everything wrong inside
    a readable workbook comes back as findings in the :class:`Submission`.
    """
    options = options or ReadOptions()
    path = Path(path)
    with open_package(path, options.limits) as pkg:
        try:
            return _read(path, pkg, options)
        except CALAMINE_ERRORS as exc:
            # a part that passed the zip checks but that the cell reader cannot parse
            raise workbook_error("corrupt_workbook", path=path,
                                 detail=f"{type(exc).__name__}: {str(exc)[:200]}") from None


def _read(path: Path, pkg: Package, options: ReadOptions) -> Submission:
    findings: list[Finding] = []
    try:
        parts = workbook_parts(pkg, pkg.workbook_part)
    except WorkbookError:
        raise
    except (KeyError, ValueError) as exc:
        raise workbook_error("missing_part", path=path, detail=str(exc)) from None
    sheet_names = [name for name, _ in parts.sheets]
    check_parts_for_calamine(pkg, pkg.xml_parts())
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except CALAMINE_ERRORS as exc:
        raise workbook_error("corrupt_workbook", path=path, detail=str(exc)[:200]) from None
    try:
        stamp = _stamp(parts, wb, sheet_names, options, path)
        spec, spec_findings = _choose_spec(stamp, options, sheet_names, wb, path)
        findings.extend(spec_findings)
        project_sheet = next((s for s in spec.sheets if s.repeat == "per_project"), None)
        count = 0
        if project_sheet is not None:
            while sheet_name(project_sheet, count + 1) in sheet_names:
                count += 1
            if stamp is not None and stamp.project_count != count:
                findings.append(Finding(
                    Severity.warning, "project_count_changed",
                    f"下发模板含{stamp.project_count}个项目表，收回的文件有{count}个", value=count))
        layout = plan(spec, count)
        raw, label_findings = _extract(layout, parts, wb, options.limits, path)
        findings.extend(label_findings)
    finally:
        wb.close()
    year = stamp.year if stamp is not None and stamp.year else _year_from(raw, layout)
    values = normalize(spec, layout, raw, year=year, region=stamp.region_code if stamp else "")
    findings.extend(run_checks(values))
    if pkg.has_macros:
        findings.append(Finding(Severity.warning, "macros_present",
                                "文件含有宏（.xlsm），已只读取数据、未运行任何宏；请使用下发的 .xlsx 模板"))
    source = {
        "file": path.name,
        "sha256": sha256_file(path),
        "size": path.stat().st_size,
        "stamp": stamp.to_json() if stamp else None,
        "macros": pkg.has_macros,
    }
    return build_submission(values, findings, source)


def _stamp(parts: WorkbookParts, wb: CalamineWorkbook, sheet_names: list[str],
           options: ReadOptions, path: Path) -> Stamp | None:
    stamp = Stamp.from_mapping(parts.properties) if parts.properties else None
    if stamp is not None:
        return stamp
    # the copy on the lists sheet survives programs that drop custom properties
    for name in sheet_names:
        if not name.startswith("_"):
            continue
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except CALAMINE_ERRORS:
            continue
        for row in rows[:1]:
            for c, value in enumerate(row):
                if value == STAMP_HEADER:
                    data = {str(r[c]): str(r[c + 1]) for r in rows[1:40]
                            if len(r) > c + 1 and r[c] not in ("", None)}
                    return Stamp.from_mapping(data)
    return None


def _choose_spec(stamp: Stamp | None, options: ReadOptions, sheet_names: list[str],
                 wb: CalamineWorkbook, path: Path) -> tuple[Spec, list[Finding]]:
    findings: list[Finding] = []
    if options.spec is not None:
        spec = options.spec if isinstance(options.spec, Spec) else load_spec(options.spec)
        if stamp is not None and stamp.spec_id != spec.id:
            raise workbook_error("wrong_spec", path=path, spec=stamp.spec_id,
                                 version=stamp.spec_version, expected=spec.id,
                                 expected_version=spec.version)
    elif stamp is not None:
        try:
            spec = load_spec(stamp.spec_id)
        except SpecError:
            raise workbook_error("unknown_spec", path=path, spec=stamp.spec_id,
                                 version=stamp.spec_version) from None
    else:
        spec = _guess_spec(sheet_names, path)
        findings.append(Finding(Severity.warning, "no_stamp",
                                f"文件缺少模板标记，按表样“{spec.id}”（版本{spec.version}）的格式读取；"
                                "请使用下发的模板填报"))
        return spec, findings
    if stamp is not None and stamp.spec_version != spec.version:
        findings.append(Finding(
            Severity.warning, "spec_version_mismatch",
            f"文件使用的模板版本为{stamp.spec_version}，当前表样“{spec.id}”版本为{spec.version}，"
            "已按当前版本读取，请核对", value=stamp.spec_version))
    elif stamp is not None and stamp.spec_hash and stamp.spec_hash != spec_hash(spec):
        findings.append(Finding(
            Severity.warning, "spec_changed",
            f"表样“{spec.id}”版本{spec.version}的内容在下发后有改动（模板 {stamp.spec_hash}，"
            f"当前 {spec_hash(spec)}），请核对", value=stamp.spec_hash))
    return spec, findings


def _guess_spec(sheet_names: list[str], path: Path) -> Spec:
    for spec_id in builtin_ids():
        spec = load_spec(spec_id)
        fixed = [sheet_name(s, None) for s in spec.sheets if s.repeat == "once"]
        if fixed and all(name in sheet_names for name in fixed):
            return spec
    raise workbook_error("unknown_form", path=path)


def _extract(layout: Layout, parts: WorkbookParts, wb: CalamineWorkbook, limits: Limits,
             path: Path) -> tuple[dict[str, dict[tuple[str | int, ...], Any]], list[Finding]]:
    raw: dict[str, dict[tuple[str | int, ...], Any]] = {}
    findings: list[Finding] = []
    present = {name for name, _ in parts.sheets}
    for sheet in layout.sheets:
        if sheet.name not in present:
            findings.append(Finding(Severity.error, "sheet_missing",
                                    f"缺少工作表“{sheet.name}”", sheet=sheet.name))
            continue
        grid = _Grid(wb, sheet.name, sheet.n_rows + 5, limits, path)
        findings.extend(_check_labels(sheet, grid))
        cells: dict[tuple[str | int, ...], Any] = {}
        offsets = _name_offsets(sheet, parts)
        for inp in sheet.inputs:
            dr, dc = offsets.get(inp.field, (0, 0))
            cells[inp.path] = grid.get(inp.box.r1 + dr, inp.box.c1 + dc)
        raw[sheet.name] = cells
    return raw, findings


def _name_offsets(sheet: SheetLayout, parts: WorkbookParts) -> dict[str, tuple[int, int]]:
    """Where a defined name moved from its planned cell (rows inserted in an unprotected copy)."""
    out: dict[str, tuple[int, int]] = {}
    unquoted_prefix = sheet.name + "!"
    for name in sheet.names:
        text = parts.names.get((sheet.name, name.name))
        if text is None:
            continue
        if text == name.ref or text == unquoted_prefix + name.ref.split("!", 1)[1]:
            continue  # where the plan put it (LibreOffice drops the quotes around sheet names)
        ref = parse_ref(text)
        if ref is None or ref.sheet != sheet.name:
            continue
        planned = name.ref.split("!", 1)[1].replace("$", "").split(":")[0]
        m = re.match(r"([A-Z]+)(\d+)", planned)
        if m is None:
            continue
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        dr, dc = ref.r1 - (int(m.group(2)) - 1), ref.c1 - (col - 1)
        if (dr, dc) != (0, 0) and abs(dr) < 1000 and abs(dc) < 100:
            out[name.name] = (dr, dc)
    return out


def _check_labels(sheet: SheetLayout, grid: _Grid) -> list[Finding]:
    checked = 0
    wrong: list[tuple[str, str, str]] = []
    for st in sheet.statics:
        if st.template or not st.text.strip() or st.style not in ("label", "header", "fixed"):
            continue
        checked += 1
        got = grid.get(st.box.r1, st.box.c1)
        if _clean(got) != _clean(st.text):
            wrong.append((st.box.ref, st.text, "" if got is None else str(got)))
    if not wrong:
        return []
    if checked and len(wrong) / checked > LABEL_MISMATCH_LIMIT:
        return [Finding(Severity.error, "template_mismatch",
                        f"工作表“{sheet.name}”与模板格式不符（{len(wrong)}/{checked}个标题单元格不一致），"
                        "可能不是下发的模板或版本不同", sheet=sheet.name, cell=wrong[0][0])]
    return [Finding(Severity.warning, "label_changed",
                    f"表头“{want}”被改为“{got}”，请勿修改表格结构", sheet=sheet.name, cell=ref,
                    value=got) for ref, want, got in wrong]


def _year_from(raw: dict[str, dict[tuple[str | int, ...], Any]], layout: Layout) -> int:
    for sheet in layout.sheets:
        for cell in sheet.inputs:
            if cell.source != "year":
                continue  # the year is the cell the spec says the generator set (source: year)
            value = raw.get(sheet.name, {}).get(cell.path)
            if isinstance(value, int | float) and 2000 <= value <= 2100:
                return int(value)
    return 0


__all__ = ["ReadOptions", "XltargetsError", "read_workbook"]
