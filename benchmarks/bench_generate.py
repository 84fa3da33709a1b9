"""Generate time per workbook, as a ratio to bare XlsxWriter writing the same workbook.

    python benchmarks/bench_generate.py [--workbooks 200] [--projects 4]

The baseline is XlsxWriter with no layout machinery: every XlsxWriter call that xltargets makes
for a workbook (cells, merges, formats, validations, names, protection, print setup) is recorded
once, then replayed as a flat list of calls on a fresh workbook. The ratio is therefore the cost
of everything xltargets adds: planning (cached), prefill, titles, the stamp, the instructions
sheet, and the workbook-protection step. Both are timed interleaved in the same run.

The generator prepares each distinct formula once per process (``generate.draw._Worksheet``:
XlsxWriter's ``_prepare_formula`` is a third of drawing a workbook), which bare XlsxWriter does
not, so xltargets is faster than its bare baseline. The like-for-like baseline replays the same
calls on XlsxWriter with that same formula cache: its ratio is what xltargets' own layers cost,
and it is the one the ≤ 1.3× target is about. Both baselines are printed.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xltargets.generate import Department, build_template
from xltargets.generate.draw import _Worksheet as CachedFormulaWorksheet
from xltargets.spec import load_spec

WORKSHEET_CALLS = [
    "set_column", "set_row", "merge_range", "write_blank", "write_string", "write_number",
    "write_datetime", "write_formula", "data_validation", "write_comment", "conditional_format",
    "protect", "set_paper", "set_portrait", "set_landscape", "fit_to_pages", "center_horizontally",
    "set_margins", "set_footer", "repeat_rows", "hide_gridlines", "hide", "autofilter", "freeze_panes",
]
WORKBOOK_CALLS = ["define_name", "set_properties", "set_custom_property"]


def department(i: int, spec_id: str, projects: int) -> Department:
    if spec_id == "hebei-county":
        rows = [{"project_code": f"13022525P{i:06d}{k:06d}", "project_name": f"项目{i}-{k}",
                 "budget_total": Decimal("50.00"), "budget_fiscal": Decimal("50.00")}
                for k in range(projects)]
    else:
        rows = [{"project_name": f"项目{i}-{k}", "budget_local": Decimal("9.60"),
                 "budget_upper": Decimal("0")} for k in range(projects)]
    return Department(f"{224000 + i:06d}", f"测试单位{i}", "130225", projects=rows)


def record(spec_id: str, projects: int) -> list[tuple[Any, ...]]:
    """Every XlsxWriter call of one build_template, with formats as their property dicts."""
    calls: list[tuple[Any, ...]] = []
    formats: dict[int, int] = {}
    saved: dict[tuple[type, str], Any] = {}

    def wrap(cls: type, name: str, scope: str) -> None:
        original = getattr(cls, name)
        saved[(cls, name)] = original

        def recorder(self: Any, *args: Any, **kwargs: Any) -> Any:
            plain = tuple(("fmt", formats[id(a)]) if isinstance(a, Format) else a for a in args)
            sheet = self.name if scope == "sheet" else None
            calls.append((scope, sheet, name, plain, kwargs))
            return original(self, *args, **kwargs)

        setattr(cls, name, recorder)

    original_add_format = Workbook.add_format
    original_add_sheet = Workbook.add_worksheet

    def add_format(self: Any, props: dict | None = None) -> Any:
        fmt = original_add_format(self, props)
        formats[id(fmt)] = len(formats)
        calls.append(("format", None, "add_format", (dict(props or {}),), {}))
        return fmt

    def add_worksheet(self: Any, name: str | None = None, *args: Any) -> Any:
        calls.append(("book", None, "add_worksheet", (name,), {}))
        return original_add_sheet(self, name, *args)

    Workbook.add_format = add_format  # type: ignore[method-assign]
    Workbook.add_worksheet = add_worksheet  # type: ignore[method-assign]
    for name in WORKSHEET_CALLS:
        wrap(Worksheet, name, "sheet")
    for name in WORKBOOK_CALLS:
        wrap(Workbook, name, "book")
    try:
        build_template(load_spec(spec_id), 2025, department=department(0, spec_id, projects))
    finally:
        Workbook.add_format = original_add_format  # type: ignore[method-assign]
        Workbook.add_worksheet = original_add_sheet  # type: ignore[method-assign]
        for (cls, name), original in saved.items():
            setattr(cls, name, original)
    return calls


def replay(calls: list[tuple[Any, ...]], worksheet_class: type[Worksheet] | None = None) -> bytes:
    """The recorded calls on a fresh XlsxWriter workbook (``worksheet_class``: its sheets')."""
    buf = io.BytesIO()
    wb = Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                        "strings_to_formulas": False, "strings_to_urls": False})
    formats: list[Any] = []
    sheets: dict[str, Any] = {}
    for scope, sheet, name, args, kwargs in calls:
        if scope == "format":
            # XlsxWriter's own default formats (made in Workbook.__init__) exist already
            formats.append(None if "xf_index" in args[0] else wb.add_format(args[0]))
        elif name == "add_worksheet":
            sheets[args[0]] = wb.add_worksheet(args[0], worksheet_class=worksheet_class)
        elif scope == "book":
            getattr(wb, name)(*args, **kwargs)
        else:
            real = tuple(formats[a[1]] if isinstance(a, tuple) and len(a) == 2 and a[0] == "fmt" else a
                         for a in args)
            getattr(sheets[sheet], name)(*real, **kwargs)
    wb.close()
    return buf.getvalue()


def measure(workbooks: int = 200, projects: int = 4) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec_id in ("hebei-county", "hunan"):
        spec = load_spec(spec_id)
        calls = record(spec_id, projects)
        depts = [department(i, spec_id, projects) for i in range(workbooks)]
        build_template(spec, 2025, department=depts[0])  # warm: spec, plan, Jinja caches
        replay(calls)
        replay(calls, CachedFormulaWorksheet)
        ours: list[float] = []
        bare: list[float] = []
        cached: list[float] = []
        for dept in depts:
            t = time.perf_counter()
            build_template(spec, 2025, department=dept)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            replay(calls)
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            replay(calls, CachedFormulaWorksheet)
            cached.append(time.perf_counter() - t)
        o, b, c = statistics.median(ours), statistics.median(bare), statistics.median(cached)
        out[spec_id] = {"xltargets_ms": round(o * 1000, 3), "bare_xlsxwriter_ms": round(b * 1000, 3),
                        "ratio": round(o / b, 3),
                        "cached_formulas_xlsxwriter_ms": round(c * 1000, 3),
                        "ratio_like_for_like": round(o / c, 3), "calls_per_workbook": len(calls)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workbooks", type=int, default=200)
    ap.add_argument("--projects", type=int, default=4)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    result = measure(args.workbooks, args.projects)
    print(f"{'spec':<14}{'xltargets ms':>14}{'bare ms':>10}{'ratio':>8}"
          f"{'same-cache ms':>15}{'ratio':>8}  (target <= 1.3, like for like)")
    for spec_id, r in result.items():
        print(f"{spec_id:<14}{r['xltargets_ms']:>14.2f}{r['bare_xlsxwriter_ms']:>10.2f}{r['ratio']:>8.3f}"
              f"{r['cached_formulas_xlsxwriter_ms']:>15.2f}{r['ratio_like_for_like']:>8.3f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
