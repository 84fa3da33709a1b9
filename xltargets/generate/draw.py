"""Drawing a :class:`Layout` with XlsxWriter into the bytes of one .xlsx workbook.

Every XlsxWriter call goes through :func:`_ok`: XlsxWriter reports most mistakes by a warning
and a negative return code, and a silently skipped validation is the worst failure a template
generator can have. Output is deterministic: fixed document times and XlsxWriter's fixed zip
times make the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..cellrules import percent_number
from ..errors import TemplateError
from ..layout import live
from ..layout.kinds import MONEY_FORMATS, NUM_FORMATS
from ..layout.model import Input, Layout, SheetLayout, Static, a1
from ..rules import YEAR, YEAR_KEY
from ..spec.model import Kind, Spec
from ..stamp import STAMP_HEADER, Stamp
from .protect import password_hash

FIXED_CREATED = dt.datetime(2020, 1, 1, 0, 0, 0)
#: what a check formula shows when all is right (rules.py); anything else non-blank is wrong
CHECK_OK_WORDS = ("平衡", "正常")
BODY_FONT = "宋体"
TITLE_FONT = "黑体"

_STYLE_BASE: dict[str, Any] = {"font_name": BODY_FONT, "font_size": 10, "text_wrap": True,
                                "valign": "vcenter"}
_BORDER = {"border": 1}
_INPUT_FILL = "#FFF7D6"      # pale yellow: where to type
_PREFILL_FILL = "#EDEDED"    # grey: written by the office, locked

STYLES: dict[str, dict[str, Any]] = {
    "title": {"font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center",
              "valign": "vcenter", "text_wrap": True},
    "subtitle": {"align": "left"},
    "center": {"align": "center", "font_size": 11},
    "para": {"align": "left", "valign": "top", "font_size": 11},
    # the instructions' title is long (spec name and year): one line on A4 at this size
    "para_title": {"font_name": TITLE_FONT, "font_size": 12, "bold": True, "align": "center",
                   "valign": "vcenter"},
    "right": {"align": "right"},
    "label": {**_BORDER, "align": "center", "bold": True},
    "header": {**_BORDER, "align": "center", "bold": True, "bg_color": "#F2F2F2"},
    "fixed": {**_BORDER, "align": "center"},
    "note": {**_BORDER, "align": "center", "font_color": "#595959"},
    "text": {**_BORDER, "align": "left"},
    "box": {**_BORDER},
    "blank": {},
    # a check cell's colour comes from its result (conditional formats in _draw_sheet)
    "check": {**_BORDER, "align": "center", "bold": True, "font_color": "#595959",
              "bg_color": "#F2F2F2"},
    "check_ok": {"font_color": "#006100", "bg_color": "#C6EFCE"},
    "check_bad": {"font_color": "#9C0006", "bg_color": "#FFC7CE"},
    # merge_equal columns (conditional formats): a run's first row gets the line above it, a
    # repeated value is written in the input cell's own colour (seen in the formula bar only)
    # (LibreOffice reads a side a conditional format leaves out as "no line": each names all
    # the sides the cell keeps; the table's last row keeps its bottom line)
    "run_start": {"top": 1, "left": 1, "right": 1},
    "run_repeat": {"num_format": ";;;"},
    "run_start_last": {"top": 1, "left": 1, "right": 1, "bottom": 1},
    "run_repeat_last": {"num_format": ";;;", "left": 1, "right": 1, "bottom": 1},
}


@dataclass
class DrawOptions:
    year: int
    stamp: Stamp
    #: values by sheet name, then by input path; written into the cells
    values: dict[str, dict[tuple[str | int, ...], Any]] = field(default_factory=dict)
    #: paths (per sheet) whose value came from the roster: written and locked
    locked: dict[str, set[tuple[str | int, ...]]] = field(default_factory=dict)
    #: template context for titles per sheet name (project fields for repeated sheets)
    context: dict[str, dict[str, Any]] = field(default_factory=dict)
    unit_code: str = ""
    unit_name: str = ""
    password: str | None = None
    created: dt.datetime = FIXED_CREATED
    #: cells to highlight (feedback copies): sheet -> {A1: comment}
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    extra_sheets: list[tuple[str, list[list[Any]]]] = field(default_factory=list)


_jinja = jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=False,
                            keep_trailing_newline=False)

#: kinds whose given values are written as text even when they are numbers (codes, names)
_TEXT_VALUES = (Kind.code, Kind.phone, Kind.text, Kind.long_text, Kind.text_list,
                Kind.indicator_value)

_CN_DIGITS = "零一二三四五六七八九十"


def chinese_number(n: int) -> str:
    if n <= 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n - 10] if n > 10 else "")
    tens, ones = divmod(n, 10)
    return _CN_DIGITS[tens] + "十" + (_CN_DIGITS[ones] if ones else "")


def _templates_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise TemplateError("templates folder not found (broken installation)")


_file_env: jinja2.Environment | None = None


def _file_templates() -> jinja2.Environment:
    global _file_env
    if _file_env is None:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_templates_dir())),
                                 autoescape=False, undefined=jinja2.StrictUndefined,
                                 keep_trailing_newline=False)
        env.filters["chinese_number"] = chinese_number
        _file_env = env
    return _file_env


def _ok(result: Any, what: str) -> Any:
    if isinstance(result, int) and result < 0:
        raise TemplateError(f"XlsxWriter refused {what} (code {result})")
    return result


def render(text: str, context: dict[str, Any]) -> str:
    return _compiled(text).render(**context)


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> jinja2.Template:
    # titles are rendered on every sheet of every workbook: compile each text once
    return _jinja.from_string(text)


#: formulas as XlsxWriter writes them (see :class:`_Worksheet`), by (formula, expanded)
_PREPARED: dict[tuple[str, bool], str] = {}
_PREPARED_MAX = 20_000


class _Worksheet(Worksheet):
    """XlsxWriter's worksheet, with each distinct formula prepared once per process.

    XlsxWriter runs about 130 regular-expression substitutions over every formula it writes
    (validations, conditional formats, check cells) to prefix Excel's newer functions with
    ``_xlfn.``: a third of drawing a workbook. The result depends only on the formula and on
    whether the newer functions are expanded, and the formulas of a layout are the same in every
    workbook drawn from it (a batch of templates, collect's feedback copies): the same text,
    the same bytes, once."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        key = (formula, bool(expand_future_functions or self.use_future_functions))
        prepared = _PREPARED.get(key)
        if prepared is None:
            if len(_PREPARED) >= _PREPARED_MAX:
                _PREPARED.clear()
            prepared = _PREPARED[key] = super()._prepare_formula(formula, expand_future_functions)
        return prepared


class _Workbook(Workbook):
    """XlsxWriter's workbook, with the structure protection XlsxWriter cannot write.

    ``<workbookProtection lockStructure="1"/>`` (with the password's hash when there is one)
    goes right before ``<bookViews>``, where the schema (CT_Workbook) puts it, and the long
    validation formulas' names (``_xlt_…``, plumbing, not names for people) are hidden from
    Excel's name manager: the same bytes :func:`.protect.lock_structure` makes by rewriting a
    finished package, written the first time (no second inflating and deflating of every
    part)."""

    worksheet_class = _Worksheet
    #: None: no structure protection; "" : without a password
    structure_password: str | None = None

    def _write_book_views(self) -> None:
        if self.structure_password is not None:
            attributes: list[tuple[str, Any]] = [("lockStructure", 1)]
            if self.structure_password:
                attributes.insert(0, ("workbookPassword", password_hash(self.structure_password)))
            self._xml_empty_tag("workbookProtection", attributes)
        super()._write_book_views()

    def _write_defined_name(self, defined_name: list[Any]) -> None:
        name, sheet_id, sheet_range = defined_name[:3]
        if not name.startswith("_xlt_"):
            super()._write_defined_name(defined_name)
            return
        attributes: list[tuple[str, Any]] = [("hidden", 1), ("name", name)]
        if sheet_id != -1:
            attributes.append(("localSheetId", sheet_id))
        self._xml_data_element("definedName", sheet_range, attributes)


class _Formats:
    """XlsxWriter formats, created once per workbook and shared by key."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.cache: dict[tuple[Any, ...], Any] = {}

    def get(self, style: str, *, locked: bool = True, num_format: str | None = None,
            extra: tuple[tuple[str, Any], ...] = ()) -> Any:
        key = (style, locked, num_format, extra)
        fmt = self.cache.get(key)
        if fmt is None:
            props = {**_STYLE_BASE, **self._props(style, locked)}
            props["locked"] = locked
            if num_format is not None:
                props["num_format"] = num_format
            props.update(extra)  # after "border": a side set here wins
            fmt = self.wb.add_format(props)
            self.cache[key] = fmt
        return fmt

    def dxf(self, style: str) -> Any:
        """A conditional format (only what it changes: colours)."""
        key = (style, False, "dxf", ())
        fmt = self.cache.get(key)
        if fmt is None:
            fmt = self.cache[key] = self.wb.add_format(dict(STYLES[style]))
        return fmt

    def _props(self, style: str, locked: bool) -> dict[str, Any]:
        if style in STYLES:
            return STYLES[style]
        kind_name = style.split("_", 1)[1]
        kind = Kind(kind_name)
        props: dict[str, Any] = {**_BORDER, "bg_color": _PREFILL_FILL if locked else _INPUT_FILL}
        if kind in NUM_FORMATS:
            props["num_format"] = NUM_FORMATS[kind]
        if kind in (Kind.money, Kind.percent, Kind.integer):
            props["align"] = "right"
        elif kind in (Kind.long_text, Kind.text_list):
            props["align"] = "left"
            props["valign"] = "top"
        else:
            props["align"] = "center" if kind in (Kind.choice, Kind.date, Kind.phone, Kind.code) else "left"
        return props


def draw_workbook(spec: Spec, layout: Layout, opts: DrawOptions) -> bytes:
    """The finished .xlsx as bytes (workbook structure protection included)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # XlsxWriter warns and carries on; a template with a dropped rule must not ship
        warnings.simplefilter("error")
        try:
            _draw(spec, layout, opts, buf)
        except TemplateError:
            raise
        except (UserWarning, xlsxwriter.exceptions.XlsxWriterException) as exc:
            raise TemplateError(f"XlsxWriter: {exc}") from None
    return buf.getvalue()


def _draw(spec: Spec, layout: Layout, opts: DrawOptions, buf: io.BytesIO) -> None:
    wb = _Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.structure_password = opts.password or ""  # the structure is always locked
    fmts = _Formats(wb)
    wb.set_properties({
        "title": render("{{ year }}年" + spec.name, {"year": opts.year}),
        "subject": "预算绩效目标表",
        "author": "xltargets",
        "company": opts.unit_name,
        "comments": f"{spec.id} {spec.version}",
        "created": opts.created,
    })
    for key, value in opts.stamp.properties().items():
        _ok(wb.set_custom_property(key, value, "text"), f"custom property {key}")
    base_ctx = {"year": opts.year, "unit_code": opts.unit_code, "unit_name": opts.unit_name,
                "spec": spec, "project": {}}
    for sheet in layout.sheets:
        ctx = {**base_ctx, **opts.context.get(sheet.name, {}), "n": sheet.index}
        _draw_sheet(wb, fmts, sheet, ctx, opts, {r.id: r for r in spec.rules})
    _draw_instructions(wb, fmts, spec, layout, opts)
    for title, rows in opts.extra_sheets:
        _draw_table_sheet(wb, fmts, title, rows, opts)
    _draw_lists(wb, fmts, layout, opts)
    for name in layout.lists.names:
        _ok(wb.define_name(name.name, "=" + name.ref), f"name {name.name}")
    for sheet in layout.sheets:
        for name in (*sheet.names, *sheet.formula_names):
            _ok(wb.define_name(f"{_quote(sheet.name)}!{name.name}", "=" + _with_year(name.ref, opts.year)),
                f"name {name.name}")
    wb.close()


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _protect(ws: Worksheet, opts: DrawOptions) -> None:
    ws.protect(opts.password or "", {
        "select_locked_cells": True,
        "select_unlocked_cells": True,
        # long answers need taller rows: let people adjust heights, not structure
        "format_rows": True,
    })


def _write(ws: Worksheet, row: int, col: int, value: Any, fmt: Any, kind: Kind | None = None) -> None:
    if value is None or value == "":
        _ok(ws.write_blank(row, col, None, fmt), "blank")
    elif isinstance(value, bool):
        _ok(ws.write_string(row, col, "是" if value else "否", fmt), "string")
    elif isinstance(value, Decimal | int | float) and kind not in _TEXT_VALUES:
        # a number given for a percent cell stays a number (what a pasted cell holds)
        _ok(ws.write_number(row, col, float(value), fmt), "number")
    elif isinstance(value, dt.datetime | dt.date):
        d = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        _ok(ws.write_datetime(row, col, d, fmt), "date")
    else:
        _ok(ws.write_string(row, col, str(value), fmt), "string")


def _place(ws: Worksheet, box: Any, value: Any, fmt: Any, kind: Kind | None = None) -> None:
    if box.merged:
        _ok(ws.merge_range(box.r1, box.c1, box.r2, box.c2, "", fmt), f"merge {box.ref}")
    _write(ws, box.r1, box.c1, value, fmt, kind)


def _place_live(ws: Worksheet, st: Static, sheet: str, fmt: Any, opts: DrawOptions) -> None:
    """A live text: its formula, with the value it shows over the values written here (a
    spreadsheet shows the cached value until a cell it follows changes). Locked like every
    printed text: protection keeps the formula."""
    box = st.box
    if box.merged:
        _ok(ws.merge_range(box.r1, box.c1, box.r2, box.c2, "", fmt), f"merge {box.ref}")
    cached = live.value(st, lambda name, path: opts.values.get(name, {}).get(path))
    _ok(ws.write_formula(box.r1, box.c1, live.formula(st, sheet), fmt, cached), f"live text {box.ref}")


def _draw_sheet(wb: Workbook, fmts: _Formats, sheet: SheetLayout, ctx: dict[str, Any],
                opts: DrawOptions, rules: dict[str, Any]) -> None:
    ws = wb.add_worksheet(sheet.name)
    for c, width in enumerate(sheet.col_widths):
        _ok(ws.set_column(c, c, width), "column width")
    hidden = set(sheet.hidden_rows)
    for r in range(sheet.n_rows):
        _ok(ws.set_row(r, sheet.row_heights.get(r, 22.0), None, {"hidden": r in hidden}),
            "row height")
    for st in sheet.statics:
        if st.live:
            _place_live(ws, st, sheet.name, fmts.get(st.style), opts)
            continue
        text = render(st.text, ctx) if st.template else st.text
        _place(ws, st.box, text, fmts.get(st.style))
    values = opts.values.get(sheet.name, {})
    locked = opts.locked.get(sheet.name, set())
    sides = _run_sides(sheet)
    for cell in sheet.inputs:
        value = values.get(cell.path)
        is_locked = cell.fixed or cell.path in locked
        if cell.source == "year":
            value = opts.year
        fmt = fmts.get(cell.style if not is_locked else "input_" + cell.kind.value, locked=is_locked,
                       num_format=MONEY_FORMATS.get(cell.money_unit) if cell.kind == Kind.money else None,
                       extra=sides.get(cell.path, ()))
        _place(ws, cell.box, _cell_value(cell, value), fmt, cell.kind)
    _merge_equal_runs(ws, fmts, sheet)
    # what the check cells compute from, as Excel sees it (dates are serial numbers)
    numbers: dict[str, Decimal | None] = {
        cell.field: _decimal(_cell_value(cell, values[cell.path]))
        for cell in sheet.scalar_inputs() if cell.path in values}
    numbers[YEAR_KEY] = Decimal(opts.year)
    labels = {cell.field: cell.label for cell in sheet.scalar_inputs()}
    for check in sheet.checks:
        fmt = fmts.get("check")
        if check.box.merged:
            _ok(ws.merge_range(check.box.r1, check.box.c1, check.box.r2, check.box.c2, "", fmt), "merge")
        rule = rules.get(check.rule_id)
        cached = rule.check_text(numbers, labels) if rule is not None else ""
        _ok(ws.write_formula(check.box.r1, check.box.c1, "=" + _with_year(check.formula, opts.year),
                             fmt, cached), "formula")
        # green when right, red when wrong: 平衡 and 不平衡 must not look alike
        ref = check.box.ref
        good = ",".join(f'{ref}="{word}"' for word in CHECK_OK_WORDS)
        _ok(ws.conditional_format(check.box.r1, check.box.c1, check.box.r2, check.box.c2, {
            "type": "formula", "criteria": f"=OR({good})", "format": fmts.dxf("check_ok")}),
            "check colour")
        _ok(ws.conditional_format(check.box.r1, check.box.c1, check.box.r2, check.box.c2, {
            "type": "formula", "criteria": f'=AND({ref}<>"",NOT(OR({good})))',
            "format": fmts.dxf("check_bad")}), "check colour")
    _fit_rows(ws, sheet, values)
    texts = [c.box.ref for c in sheet.inputs if c.kind in (Kind.percent, Kind.code, Kind.phone)]
    if texts:
        # digits in a Text cell are meant as text here: no "number stored as text" flags
        _ok(ws.ignore_errors({"number_stored_as_text": " ".join(texts)}), "ignore errors")
    for v in sheet.validations:
        options = {k: _with_year(x, opts.year) if isinstance(x, str) else x for k, x in v.options.items()}
        _ok(ws.data_validation(v.ref, options), f"validation {sheet.name}!{v.ref} ({v.origin})")
    for ref, text in opts.comments.get(sheet.name, {}).items():
        _ok(ws.write_comment(ref, text, {"author": "xltargets", "x_scale": 2.2, "y_scale": 2.0}),
            f"comment {ref}")
        _ok(ws.conditional_format(ref, {"type": "no_blanks", "format": fmts.get("check")}), "highlight")
        _ok(ws.conditional_format(ref, {"type": "blanks", "format": fmts.get("check")}), "highlight")
    _print_setup(ws, sheet.repeat_rows, sheet.landscape, pages=sheet.pages)
    if sheet.row_breaks:
        ws.set_h_pagebreaks(list(sheet.row_breaks))
    if sheet.print_area is not None:
        _ok(ws.print_area(*sheet.print_area), "print area")
    _protect(ws, opts)


def _run_sides(sheet: SheetLayout) -> dict[tuple[str | int, ...], tuple[tuple[str, Any], ...]]:
    """The cells of merge_equal columns draw no line between rows (the last row closes the
    table, a row that starts a printed page opens it): :func:`_merge_equal_runs` draws one where
    a run of equal values starts."""
    out: dict[tuple[str | int, ...], tuple[tuple[str, Any], ...]] = {}
    breaks = set(sheet.row_breaks)
    for table in sheet.tables.values():
        for col in table.merge_equal:
            for row in table.rows:
                last = row.index == len(table.rows) - 1
                top = 1 if row.cells[col].box.r1 in breaks else 0
                out[row.cells[col].path] = (("top", top), ("bottom", 1 if last else 0))
    return out


def _merge_equal_runs(ws: Worksheet, fmts: _Formats, sheet: SheetLayout) -> None:
    """A value equal to the one above prints once, like the official form's merged cell, while
    each row keeps its own cell and dropdown (the 二级 list follows each row's 一级): conditional
    formats hide the repeated text (number format ``;;;``: the formula bar still shows it) and
    draw the line above a row that starts a run (or is empty). A row that starts a printed page
    is left out: it shows its value, so a run cut by a page break is named on both pages, like
    the cut 一级 labels of skeleton tables."""
    breaks = set(sheet.row_breaks)
    for table in sheet.tables.values():
        for col in table.merge_equal:
            boxes = [row.cells[col].box for row in table.rows]
            for r1, r2, suffix in _segments([b.r1 for b in boxes if b.r1 not in breaks], boxes[-1].r1):
                box = boxes[0]
                here, above = a1(r1, box.c1), a1(r1 - 1, box.c1)
                area = (r1, box.c1, r2 + box.r2 - box.r1, box.c2)
                _ok(ws.conditional_format(*area, {
                    "type": "formula", "criteria": f'=OR({here}="",{here}<>{above})',
                    "format": fmts.dxf("run_start" + suffix)}), "run start")
                _ok(ws.conditional_format(*area, {
                    "type": "formula", "criteria": f'=AND({here}<>"",{here}={above})',
                    "format": fmts.dxf("run_repeat" + suffix)}), "run repeat")


def _segments(rows: list[int], last: int) -> list[tuple[int, int, str]]:
    """Consecutive ``rows`` as (first, last, style suffix) ranges; the table's ``last`` row alone
    (it keeps its bottom line: suffix ``_last``)."""
    out: list[tuple[int, int, str]] = []
    for r in rows:
        if r == last:
            out.append((r, r, "_last"))
        elif out and out[-1][1] == r - 1 and not out[-1][2]:
            out[-1] = (out[-1][0], r, "")
        else:
            out.append((r, r, ""))
    return out


def _with_year(text: str, year: int) -> str:
    """A rule's Excel face with the form's year put in (the layout is planned for every year)."""
    return text.replace(YEAR, str(year)) if YEAR in text else text


def _fit_rows(ws: Worksheet, sheet: SheetLayout, values: dict[tuple[str | int, ...], Any]) -> None:
    """Taller rows where written text needs them (examples, feedback copies); blank templates
    keep the spec's heights."""
    if not values:
        return
    per_row: dict[int, list[tuple[str, float]]] = {}
    for cell in sheet.inputs:
        value = values.get(cell.path)
        if value is None or cell.box.r1 != cell.box.r2 or isinstance(value, Decimal | int | float):
            continue
        width = sum(sheet.col_widths[c] for c in range(cell.box.c1, cell.box.c2 + 1))
        per_row.setdefault(cell.box.r1, []).append((str(value), width))
    for row, texts in per_row.items():
        if row in sheet.hidden_rows:
            continue  # set_row would show it again
        base = sheet.row_heights.get(row, 22.0)
        height = fitted_height(texts, base)
        if height > base:
            _ok(ws.set_row(row, height), "row height")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, dt.date):
        # a date cell holds Excel's serial number: what a check formula compares
        day = value.date() if isinstance(value, dt.datetime) else value
        return Decimal((day - dt.date(1899, 12, 30)).days)
    if isinstance(value, str):
        return percent_number(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(repr(value))
    return None


def _cell_value(cell: Input, value: Any) -> Any:
    if value is None:
        return None
    if cell.kind == Kind.date and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _print_setup(ws: Worksheet, repeat: tuple[int, int] | None, landscape: bool,
                 pages: int = 0) -> None:
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, pages)  # one page wide; ``pages`` tall (0: as many as needed)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    if repeat is not None:
        _ok(ws.repeat_rows(repeat[0], repeat[1]), "print titles")
    ws.hide_gridlines(2)


def _draw_instructions(wb: Workbook, fmts: _Formats, spec: Spec, layout: Layout,
                       opts: DrawOptions) -> None:
    text = _file_templates().get_template("instructions.txt.j2").render(
        spec=spec, year=opts.year, unit_code=opts.unit_code, unit_name=opts.unit_name,
        stamp=opts.stamp, layout=layout)
    ws = wb.add_worksheet(layout.instructions_sheet)
    # LibreOffice stops wrapping a cell wider than the printable width: keep it narrower
    ws.set_column(0, 0, 64)
    lines = [line for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if i == 0:
            ws.set_row(i, 40)
            _write(ws, i, 0, line, fmts.get("para_title"))
            continue
        # measured in LibreOffice (A4, font 11, width 64): about 38 CJK characters a line, a
        # CJK character two width units and an ASCII one one (uneven gaps came from counting
        # characters)
        n_lines = max(1, -(-text_width(line) // 76))
        ws.set_row(i, 6 + 17 * n_lines)
        _write(ws, i, 0, line, fmts.get("para"))
    _print_setup(ws, None, False)
    _protect(ws, opts)


def text_width(text: str) -> int:
    """Display width in Excel's column units: a CJK character takes about two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def fitted_height(texts_and_widths: list[tuple[str, float]], minimum: float, line: float = 14.0) -> float:
    """A row height that shows every text wrapped in its cell (XlsxWriter cannot autofit, and
    LibreOffice keeps the heights a file carries)."""
    lines = 1
    for text, width in texts_and_widths:
        usable = int(max(width - 1.5, 4.0))
        needed = sum(max(1, -(-text_width(part) // usable)) for part in str(text).split("\n"))
        lines = max(lines, needed)
    return min(409.0, max(minimum, 6 + line * lines))


def _draw_table_sheet(wb: Workbook, fmts: _Formats, title: str, rows: list[list[Any]],
                      opts: DrawOptions) -> None:
    ws = wb.add_worksheet(title)
    widths: list[float] = []
    if rows:
        for c in range(len(rows[0])):
            longest = max(text_width(str(r[c])) for r in rows if c < len(r) and r[c] is not None)
            widths.append(min(60.0, max(6.0, longest + 2.0)) if c < len(rows[0]) - 1 else 60.0)
            ws.set_column(c, c, widths[c])
        for r, row in enumerate(rows[1:], start=1):
            ws.set_row(r, fitted_height([(str(v), w) for v, w in zip(row, widths, strict=False)
                                         if v is not None], 18.0))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            _write(ws, r, c, value, fmts.get("header" if r == 0 else "text"))
    if rows:
        ws.autofilter(0, 0, max(len(rows) - 1, 0), len(rows[0]) - 1)
        ws.freeze_panes(1, 0)
    _print_setup(ws, (0, 0), True)
    _protect(ws, opts)


def _draw_lists(wb: Workbook, fmts: _Formats, layout: Layout, opts: DrawOptions) -> None:
    ws = wb.add_worksheet(layout.lists.name)
    plain = fmts.get("blank")
    for c, (header, values) in enumerate(layout.lists.columns):
        _write(ws, 0, c, header, plain)
        for r, value in enumerate(values, start=1):
            _write(ws, r, c, value, plain)
    sc = layout.lists.stamp_col
    _write(ws, 0, sc, STAMP_HEADER, plain)
    for r, (key, value) in enumerate(opts.stamp.items(), start=1):
        _write(ws, r, sc, key, plain)
        _write(ws, r, sc + 1, value, plain)
    ws.hide()
    _protect(ws, opts)
