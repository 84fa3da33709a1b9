"""Reading a returned workbook through its layout plan into a :class:`RawWorkbook`.

Order of work, cheapest and safest first: size/zip/type checks (:mod:`._safety`), the small XML
parts (sheets, names, stamp), the spec and layout the stamp names, then the planned cells only,
streamed out of the sheets that hold them (:mod:`._cells`). What comes back is the workbook as
stored: each planned cell with its type, number format and protection, plus the findings about
the workbook's shape (labels, project count, damaged input cells). Interpreting values is the
pipeline's next step (:mod:`xltargets.pipeline`); nothing here knows a rule, and the user's file
is only ever opened for reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError, WorkbookError, XltargetsError
from ..findings import Finding, Severity
from ..layout import Layout, SheetLayout, live, plan, sheet_name
from ..layout.capacity import Capacity, CapacityError
from ..layout.model import Input, a1, a1_position
from ..spec import load_spec
from ..spec.load import builtin_ids, spec_hash
from ..spec.model import Kind, Spec
from ..stamp import STAMP_HEADER, Stamp
from ..values import _display as display
from ._cells import (
    BLANK,
    NUMBER,
    SHARED_STRING,
    RawCell,
    SheetCells,
    Styles,
    read_shared_strings,
    read_sheet,
    read_styles,
)
from ._parts import WorkbookParts, parse_ref, workbook_parts
from ._safety import Limits, Package, check_parts_for_calamine, open_package, workbook_error

_SPACE = re.compile(r"[\s\u3000\u00a0]+")
#: refusals that say "not our form": a hostile part elsewhere in the file is named instead
_NOT_OURS = frozenset({"unknown_form", "unknown_spec", "too_many_sheets", "shared_sheet_part",
                       "bad_capacity"})
#: share of a sheet's printed labels that may differ before the sheet is "not our template"
LABEL_MISMATCH_LIMIT = 0.5
#: where the stamp's copy is looked for on a lists sheet: its first rows and columns
STAMP_ROWS, STAMP_COLS = 40, 64
#: kinds whose cells hold text (a number there was converted by the spreadsheet)
TEXT_KINDS = frozenset({Kind.text, Kind.long_text, Kind.choice, Kind.text_list,
                        Kind.indicator_value})

Path_ = tuple[str | int, ...]


@dataclass
class ReadOptions:
    spec: str | Path | Spec | None = None
    limits: Limits = field(default_factory=Limits)
    #: the file's SHA-256 when the caller already has it (collect hashes its private copy as it
    #: makes it): the file is not read again for it
    sha256: str = ""
    #: called with the open package once the workbook is read (collect reads the save time
    #: from docProps/core.xml there rather than opening the zip a second time)
    with_package: Callable[[Package], None] | None = None
    #: the file's bytes when the caller has read them already (collect reads each return once,
    #: into memory it owns): read from them, ``path`` only names the file in messages
    data: bytes | None = None


@dataclass
class RawWorkbook:
    """A returned workbook as stored, located through its layout: the reader's whole result."""

    path: Path
    stamp: Stamp | None
    spec: Spec
    layout: Layout
    #: sheet name -> input path -> the stored cell (None: no cell element there)
    cells: dict[str, dict[Path_, RawCell | None]]
    findings: list[Finding]
    source: dict[str, Any]
    macros: bool = False
    #: sheet name -> its inputs holding a value (a cell that is not blank), in the inputs' order:
    #: what :func:`~xltargets.read.seen_values` turns into values, found during the read so that
    #: the blank majority is not looked at again (None: look at every input)
    filled: dict[str, list[tuple[Input, RawCell]]] | None = None

    @property
    def year(self) -> int:
        if self.stamp is not None and self.stamp.year:
            return self.stamp.year
        for sheet in self.layout.sheets:
            for inp in sheet.inputs:
                if inp.source != "year":
                    continue  # the year is the cell the spec says the generator set (source: year)
                cell = self.cells.get(sheet.name, {}).get(inp.path)
                if cell is not None and cell.type == NUMBER and 2000 <= cell.value <= 2100:
                    return int(cell.value)
        return 0


def _clean(text: Any) -> str:
    return _SPACE.sub("", str(text or ""))


def read_raw(path: str | Path, options: ReadOptions | None = None) -> RawWorkbook:
    """Read one returned workbook's planned cells, as stored.

    Raises :class:`WorkbookError` when the file cannot be read at all; everything wrong inside
    a readable workbook comes back as findings."""
    options = options or ReadOptions()
    path = Path(path)
    with open_package(path, options.limits, data=options.data) as pkg:
        try:
            raw = _read(path, pkg, options)
        except WorkbookError as error:
            if error.code in _NOT_OURS:
                # Not our form: before saying so, say what else is wrong with it if anything
                # (a DTD, a bomb, an odd encoding in a part no step needed): the same verdict
                # as before the streaming reader, and the more useful one for a hostile file.
                check_parts_for_calamine(pkg, pkg.xml_parts())
            raise
        if options.with_package is not None:
            options.with_package(pkg)
        return raw


def _read(path: Path, pkg: Package, options: ReadOptions) -> RawWorkbook:
    try:
        parts = workbook_parts(pkg, pkg.workbook_part)
    except WorkbookError:
        raise
    except (KeyError, ValueError) as exc:
        raise workbook_error("missing_part", path=path, detail=str(exc)[:200]) from None
    _check_sheets(parts, pkg, path)
    sheet_names = [name for name, _ in parts.sheets]
    styles = read_styles(pkg, parts.styles)
    stamp = _stamp(parts, pkg, styles)
    spec, findings = _choose_spec(stamp, options, sheet_names, path)
    project_sheet = next((s for s in spec.sheets if s.repeat == "per_project"), None)
    count = 0
    if project_sheet is not None:
        limit = options.limits.max_project_sheets
        while sheet_name(project_sheet, count + 1) in parts.sheet_parts:
            count += 1
            if count > limit:
                raise workbook_error("too_many_projects", path=path, limit=limit)
        if stamp is not None and stamp.project_count != count:
            findings.append(Finding(
                Severity.warning, "project_count_changed",
                f"下发模板含{stamp.project_count}个项目表，收回的文件有{count}个", value=count))
    layout = plan(spec, count, _capacity(stamp, spec, path))
    filled: dict[str, list[tuple[Input, RawCell]]] = {}
    cells = _extract(layout, parts, pkg, styles, findings, filled)
    source = {
        "file": path.name,
        # the caller may have hashed the bytes already (collect, as it copies the file)
        "sha256": options.sha256 or pkg.sha256(),
        "size": pkg.size,
        "stamp": stamp.to_json() if stamp else None,
        "macros": pkg.has_macros,
    }
    return RawWorkbook(path, stamp, spec, layout, cells, findings, source, pkg.has_macros, filled)


def _capacity(stamp: Stamp | None, spec: Spec, path: Path) -> Capacity:
    """The rows the template was generated with (its stamp), within the bounds a template can
    have: a forged stamp never makes the plan allocate what it claims. No stamp, or a stamp of a
    template generated before capacity existed: the spec's rows."""
    if stamp is None or not stamp.capacity:
        return Capacity()
    try:
        return Capacity.parse(stamp.capacity, spec)
    except CapacityError as exc:
        raise workbook_error("bad_capacity", path=path, why=str(exc)[:120]) from None


def _check_sheets(parts: WorkbookParts, pkg: Package, path: Path) -> None:
    """A workbook with more sheets than any form, or whose sheets share one part, is not ours."""
    limit = pkg.limits.max_project_sheets + 10
    if len(parts.sheets) > limit:
        raise workbook_error("too_many_sheets", path=path, limit=limit,
                             detail=f"{len(parts.sheets)} 个工作表")
    seen: dict[str, str] = {}
    for name, part in parts.sheet_parts.items():
        other = seen.setdefault(part, name)
        if other != name:
            raise workbook_error("shared_sheet_part", path=path,
                                 detail=f"“{other[:40]}”与“{name[:40]}”指向同一部件 {part[:80]}")


def _resolve(sheets: list[SheetCells], pkg: Package, parts: WorkbookParts, styles: Styles) -> None:
    """Shared-string texts, number formats and locked flags of the cells kept."""
    formats, locks = styles.formats, styles.locked
    n_formats, n_locks = len(formats), len(locks)
    strings: list[RawCell] = []
    for sheet in sheets:
        distinct = sheet.distinct
        for cell in sheet.cells.values() if distinct is None else distinct:
            if cell.type == SHARED_STRING:
                strings.append(cell)
            style = cell.style  # (Styles.format and Styles.is_locked, inlined: ~500 cells a file)
            cell.number_format = formats[style] if 0 <= style < n_formats else "General"
            cell.locked = locks[style] if 0 <= style < n_locks else True
    if strings:
        texts = read_shared_strings(pkg, parts.shared_strings,
                                    {cell.value for cell in strings if cell.value >= 0})
        for cell in strings:
            cell.value = texts.get(cell.value, "")


def _stamp(parts: WorkbookParts, pkg: Package, styles: Styles) -> Stamp | None:
    stamp = Stamp.from_mapping(parts.properties) if parts.properties else None
    if stamp is not None:
        return stamp
    # the copy on the lists sheet survives programs that drop custom properties: read through
    # the same bounded path as every other sheet, its first rows and columns only
    for name, part in parts.sheet_parts.items():
        if not name.startswith("_"):
            continue
        window = {(r, c) for r in range(STAMP_ROWS) for c in range(STAMP_COLS)}
        sheet = read_sheet(pkg, part, window)
        _resolve([sheet], pkg, parts, styles)
        got = sheet.cells
        for (r, c), cell in got.items():
            if r == 0 and cell.value == STAMP_HEADER:
                data: dict[str, str] = {}
                for row in range(1, STAMP_ROWS):
                    key, value = got.get((row, c)), got.get((row, c + 1))
                    if key is None or key.value in ("", None):
                        continue
                    data[_text(key)] = "" if value is None else _text(value)
                return Stamp.from_mapping(data)
    return None


def _text(cell: RawCell) -> str:
    if cell.type == NUMBER:
        return display.shown_text(cell.value, "General")
    return "" if cell.value is None else str(cell.value)


def _choose_spec(stamp: Stamp | None, options: ReadOptions, sheet_names: list[str],
                 path: Path) -> tuple[Spec, list[Finding]]:
    findings: list[Finding] = []
    if options.spec is not None:
        spec = options.spec if isinstance(options.spec, Spec) else load_spec(options.spec)
        if stamp is not None and stamp.spec_id != spec.id:
            raise workbook_error("wrong_spec", path=path, spec=stamp.spec_id[:80],
                                 version=stamp.spec_version[:40], expected=spec.id,
                                 expected_version=spec.version)
    elif stamp is not None:
        try:
            spec = load_spec(stamp.spec_id)
        except SpecError:
            raise workbook_error("unknown_spec", path=path, spec=stamp.spec_id[:80],
                                 version=stamp.spec_version[:40]) from None
    else:
        spec = _guess_spec(sheet_names, path)
        findings.append(Finding(Severity.warning, "no_stamp",
                                f"文件缺少模板标记，按表样“{spec.id}”（版本{spec.version}）的格式读取；"
                                "请使用下发的模板填报"))
        return spec, findings
    if stamp is not None and stamp.spec_version != spec.version:
        findings.append(Finding(
            Severity.warning, "spec_version_mismatch",
            f"文件使用的模板版本为{stamp.spec_version[:40]}，当前表样“{spec.id}”版本为{spec.version}，"
            "已按当前版本读取，请核对", value=stamp.spec_version[:40]))
    elif stamp is not None and stamp.spec_hash and stamp.spec_hash != spec_hash(spec):
        findings.append(Finding(
            Severity.warning, "spec_changed",
            f"表样“{spec.id}”版本{spec.version}的内容在下发后有改动（模板 {stamp.spec_hash[:40]}，"
            f"当前 {spec_hash(spec)}），请核对", value=stamp.spec_hash[:40]))
    return spec, findings


def _guess_spec(sheet_names: list[str], path: Path) -> Spec:
    names = set(sheet_names)
    for spec_id in builtin_ids():
        spec = load_spec(spec_id)
        fixed = [sheet_name(s, None) for s in spec.sheets if s.repeat == "once"]
        if fixed and all(name in names for name in fixed):
            return spec
    raise workbook_error("unknown_form", path=path)


class _SheetPlan:
    """What reading one sheet of a layout needs, worked out once per layout (a layout is shared
    by every return of its spec and project count)."""

    __slots__ = ("inputs", "labels", "live", "lost", "refs", "wanted", "where")

    def __init__(self, sheet: SheetLayout, offsets: dict[str, tuple[int, int]]) -> None:
        self.where: dict[Path_, tuple[int, int]] = {}
        for inp in sheet.inputs:
            dr, dc = offsets.get(inp.field, (0, 0))
            self.where[inp.path] = (inp.box.r1 + dr, inp.box.c1 + dc)
        #: printed labels that prove the sheet is ours: (row, col), A1, text, cleaned text
        self.labels = [((st.box.r1, st.box.c1), st.box.ref, st.text, _clean(st.text))
                       for st in sheet.statics
                       if not st.template and not st.live and st.text.strip()
                       and st.style in ("label", "header", "fixed")]
        #: live texts (titles that follow typed cells): (row, col), A1, the static
        self.live = [((st.box.r1, st.box.c1), st.box.ref, st) for st in sheet.statics if st.live]
        self.wanted = (frozenset(self.where.values()) | {rc for rc, *_ in self.labels}
                       | {rc for rc, *_ in self.live})
        #: the wanted cells by their A1 reference as a sheet's bytes write it (the byte scan)
        self.refs = {a1(*rc).encode(): rc for rc in self.wanted}
        #: every input in order: (input, where, formats it may have, may be locked, holds text,
        #: its damage is looked for)
        self.inputs = [(inp, self.where[inp.path], expected_format_classes(inp), inp.prefillable,
                        inp.kind in TEXT_KINDS, not inp.fixed)
                       for inp in sheet.inputs]
        #: (validated cells, any validation, inputs with whether their validation is lost): the
        #: same for every return of a template (the validated cells are remembered with the part)
        self.lost: tuple[object, bool, list[Any]] = (None, False, [])


_PLANS: dict[int, tuple[SheetLayout, _SheetPlan]] = {}


def _sheet_plan(sheet: SheetLayout, offsets: dict[str, tuple[int, int]]) -> _SheetPlan:
    if offsets:  # names moved in this file (rows inserted in an unprotected copy)
        return _SheetPlan(sheet, offsets)
    hit = _PLANS.get(id(sheet))
    if hit is not None and hit[0] is sheet:
        return hit[1]
    sheet_plan = _SheetPlan(sheet, offsets)
    if len(_PLANS) > 1024:
        _PLANS.clear()
    _PLANS[id(sheet)] = (sheet, sheet_plan)  # the layout is kept: its id cannot be reused
    return sheet_plan


def _extract(layout: Layout, parts: WorkbookParts, pkg: Package, styles: Styles,
             findings: list[Finding], filled: dict[str, list[tuple[Input, RawCell]]]
             ) -> dict[str, dict[Path_, RawCell | None]]:
    planned: list[tuple[SheetLayout, _SheetPlan, SheetCells]] = []
    for sheet in layout.sheets:
        part = parts.sheet_parts.get(sheet.name)
        if part is None:
            findings.append(Finding(Severity.error, "sheet_missing",
                                    f"缺少工作表“{sheet.name}”", sheet=sheet.name))
            continue
        sheet_plan = _sheet_plan(sheet, _name_offsets(sheet, parts))
        planned.append((sheet, sheet_plan,
                        read_sheet(pkg, part, sheet_plan.wanted, sheet_plan.refs)))
    _resolve([got for _, _, got in planned], pkg, parts, styles)
    raw: dict[str, dict[Path_, RawCell | None]] = {}
    for sheet, sheet_plan, got in planned:
        findings.extend(_check_labels(sheet, sheet_plan, got))
        raw[sheet.name], filled[sheet.name] = _inputs(sheet, sheet_plan, got, findings)
    findings.extend(_check_live(planned, raw))
    return raw


def _check_live(planned: list[tuple[SheetLayout, _SheetPlan, SheetCells]],
                raw: dict[str, dict[Path_, RawCell | None]]) -> list[Finding]:
    """Live texts (xltargets.layout.live): a formula is accepted whatever it shows (it follows
    typed cells, which are read and checked themselves); a plain text must be what the formula
    shows over the cells read (a program that saved values only), else it was replaced (the cell
    is locked: possible in an unprotected copy only) and is reported like a changed label."""
    out: list[Finding] = []

    def lookup(name: str, path: Path_) -> str | None:
        cell = raw.get(name, {}).get(path)
        return None if cell is None or cell.type == BLANK else _text(cell)

    for sheet, sheet_plan, got in planned:
        for rc, ref, st in sheet_plan.live:
            cell = got.cells.get(rc)
            if cell is not None and cell.formula:
                continue
            text = "" if cell is None or cell.type == BLANK else _text(cell)
            want = live.value(st, lookup)
            if text != want and _clean(text) != _clean(want):
                out.append(Finding(Severity.warning, "label_changed",
                                   f"标题行“{want}”被改为“{text[:200]}”，请勿修改表格结构",
                                   sheet=sheet.name, cell=ref, value=text[:200]))
    return out


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
        row, col = a1_position(name.ref.split("!", 1)[1].split(":")[0])
        dr, dc = ref.r1 - row, ref.c1 - col
        if (dr, dc) != (0, 0) and abs(dr) < 1000 and abs(dc) < 100:
            out[name.name] = (dr, dc)
    return out


def _check_labels(sheet: SheetLayout, sheet_plan: _SheetPlan, got: SheetCells) -> list[Finding]:
    checked = len(sheet_plan.labels)
    wrong: list[tuple[str, str, str]] = []
    cells = got.cells
    for rc, ref, want, cleaned in sheet_plan.labels:
        cell = cells.get(rc)
        text = "" if cell is None or cell.type == BLANK else _text(cell)
        if text != want and _clean(text) != cleaned:
            wrong.append((ref, want, text[:200]))
    if not wrong:
        return []
    if checked and len(wrong) / checked > LABEL_MISMATCH_LIMIT:
        return [Finding(Severity.error, "template_mismatch",
                        f"工作表“{sheet.name}”与模板格式不符（{len(wrong)}/{checked}个标题单元格不一致），"
                        "可能不是下发的模板或版本不同", sheet=sheet.name, cell=wrong[0][0])]
    return [Finding(Severity.warning, "label_changed",
                    f"表头“{want}”被改为“{got_}”，请勿修改表格结构", sheet=sheet.name, cell=ref,
                    value=got_) for ref, want, got_ in wrong]


_NUMERIC_FORMATS = frozenset({display.NUMBER})
# a Text cell in templates (layout.kinds.NUM_FORMATS); older templates had a number format, and
# typing 25% there makes any spreadsheet switch the cell to a % format
_PERCENT_FORMATS = frozenset({display.TEXT, display.NUMBER, display.PERCENT})
_DATE_FORMATS = frozenset({display.DATE})
_TEXT_FORMATS = frozenset({display.GENERAL, display.TEXT})


def expected_format_classes(inp: Input) -> frozenset[str]:
    """The number-format classes an input cell may have without having been damaged."""
    kind = inp.kind
    if kind in (Kind.money, Kind.integer):
        return _NUMERIC_FORMATS
    if kind == Kind.percent:
        return _PERCENT_FORMATS
    if kind == Kind.date:
        return _DATE_FORMATS
    return _TEXT_FORMATS


_FORMAT_ZH = {display.GENERAL: "常规", display.TEXT: "文本", display.DATE: "日期",
              display.DURATION: "时间长度", display.PERCENT: "百分比", display.NUMBER: "数值"}


def _inputs(sheet: SheetLayout, sheet_plan: _SheetPlan, got: SheetCells, out: list[Finding]
            ) -> tuple[dict[Path_, RawCell | None], list[tuple[Input, RawCell]]]:
    """One pass over the sheet's inputs: each input's stored cell by its path, the inputs that
    hold a value, and (into ``out``) the input cells that came back locked, without their
    validation, or with another number format: what pasting from another workbook does. One
    warning per cell naming what changed."""
    any_validation = got.has_validations
    cells, validated = got.cells, got.validated
    format_class = display.format_class
    known, known_any, entries = sheet_plan.lost
    if known is not validated or known_any != any_validation:
        entries = [(inp, rc, formats, prefillable, text_kind, checked,
                    checked and any_validation and not prefillable and rc not in validated)
                   for inp, rc, formats, prefillable, text_kind, checked in sheet_plan.inputs]
        sheet_plan.lost = (validated, any_validation, entries)
    get = cells.get
    raw: dict[Path_, RawCell | None] = {}
    filled: list[tuple[Input, RawCell]] = []
    for inp, rc, formats, prefillable, text_kind, checked, lost in entries:
        raw[inp.path] = cell = get(rc)
        if cell is None:
            if not lost:
                continue  # (the usual case is decided without building anything)
            bad_format = False
        else:
            if cell.type != BLANK:
                filled.append((inp, cell))
            if not checked:
                continue
            # (a number in a text cell got its format from the typing: reported as not text)
            bad_format = not (text_kind and cell.type == NUMBER) and \
                format_class(cell.number_format) not in formats
            if not (lost or bad_format or (cell.locked and not prefillable)):
                continue
        damage: list[str] = []
        if cell is not None and not prefillable and cell.locked:
            damage.append("被锁定")
        if lost:
            damage.append("数据有效性（下拉列表/输入限制）丢失")
        if bad_format and cell is not None:
            cls = format_class(cell.number_format)
            damage.append(f"数字格式被改为“{_FORMAT_ZH[cls]}”（{cell.number_format[:30]}）")
        if damage:
            out.append(Finding(
                Severity.warning, "input_cell_tampered",
                f"“{inp.label}”单元格{'、'.join(damage)}，可能是从其他表格粘贴带入了格式；"
                "请用“选择性粘贴→数值”（WPS：粘贴为数值）重新填写",
                sheet=sheet.name, cell=a1(*rc)))
    if not any_validation and sheet.inputs:
        out.append(Finding(Severity.warning, "input_cell_tampered",
                           f"工作表“{sheet.name}”的数据有效性（下拉列表/输入限制）已全部丢失，"
                           "请使用下发的模板填报", sheet=sheet.name))
    return raw, filled


__all__ = ["RawWorkbook", "ReadOptions", "XltargetsError", "read_raw"]
