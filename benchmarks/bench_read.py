"""Read + check time per workbook, as ratios to baselines measured in the same run.

    python benchmarks/bench_read.py [--files 200] [--json out.json]

Builds filled workbooks of both specs (department sheet + 4 project sheets, indicator tables
filled: a 6-sheet form like the one EXCEL-FACTS.md measured), then times per file, interleaved
so machine noise hits all alike:

* floor: python-calamine opening the file and dumping every cell of every sheet;
* naive: openpyxl full load (what most scripts do), reading the same input cells;
* xltargets: ``read_workbook`` = safety checks + names/stamp parts + values + normalize + checks.

Machines are noisy: only the ratios mean anything, never the absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from forms import CLEAN, write_fill  # noqa: E402

from xltargets.layout import plan  # noqa: E402
from xltargets.read import read_workbook  # noqa: E402
from xltargets.spec import load_spec  # noqa: E402

PROJECTS = 4


def multi_project_fill(spec_id: str, projects: int = PROJECTS) -> dict:
    """The clean form of tests/forms.py with its project sheet repeated ``projects`` times,
    the department totals adjusted so the form stays free of findings."""
    make, _year = CLEAN[spec_id]
    fill: dict = {}
    for sheet, values in make().items():
        if sheet == "项目1":
            for k in range(1, projects + 1):
                fill[f"项目{k}"] = dict(values)
        else:
            fill[sheet] = dict(values)
    if spec_id == "hunan":
        dept = fill["部门整体支出绩效目标表"]
        dept[("expense_project",)] = Decimal("9.60") * projects
        dept[("expense_basic",)] = Decimal("109.04") - Decimal("9.60") * projects
    return fill


def build(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        spec_id = "hebei-county" if i % 2 == 0 else "hunan"
        paths.append(write_fill(spec_id, multi_project_fill(spec_id),
                                folder / f"{i:05d}_{spec_id}.xlsx", projects=PROJECTS))
    return paths


def calamine_dump(path: Path) -> int:
    wb = CalamineWorkbook.from_path(str(path))
    n = 0
    for name in wb.sheet_names:
        n += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
    wb.close()
    return n


_layouts: dict[str, object] = {}


def openpyxl_naive(path: Path) -> int:
    spec_id = "hebei-county" if "hebei" in path.name else "hunan"
    layout = _layouts.get(spec_id) or plan(load_spec(spec_id), PROJECTS)
    _layouts[spec_id] = layout
    wb = openpyxl.load_workbook(path, data_only=True)
    n = 0
    for sheet in layout.sheets:  # type: ignore[attr-defined]
        ws = wb[sheet.name]
        for inp in sheet.inputs:
            if ws.cell(inp.box.r1 + 1, inp.box.c1 + 1).value is not None:
                n += 1
    return n


def ours(path: Path) -> int:
    sub = read_workbook(path)
    assert not sub.errors, [f.message for f in sub.errors][:3]
    return len(sub.projects)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--naive-every", type=int, default=5,
                    help="time openpyxl on every k-th file only (it is ~100x slower)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = build(Path(tmp), args.files)
        build_s = time.perf_counter() - t0
        for p in paths[:4]:  # warm caches (spec load, layout plan) outside the timing
            ours(p)
            calamine_dump(p)
        times: dict[str, list[float]] = {"calamine_dump": [], "openpyxl_full": [], "xltargets_read": []}
        pairs: list[tuple[str, float]] = []
        for i, p in enumerate(paths):
            for name, fn in (("calamine_dump", calamine_dump), ("xltargets_read", ours)):
                t = time.perf_counter()
                fn(p)
                times[name].append(time.perf_counter() - t)
            if i % args.naive_every == 0:
                t = time.perf_counter()
                openpyxl_naive(p)
                times["openpyxl_full"].append(time.perf_counter() - t)
        med = {k: statistics.median(v) for k, v in times.items()}
        pairs = [("xltargets / calamine dump", med["xltargets_read"] / med["calamine_dump"]),
                 ("xltargets / openpyxl full load", med["xltargets_read"] / med["openpyxl_full"])]
    result = {
        "files": args.files,
        "sheets_per_file": 1 + PROJECTS + 2,
        "build_seconds": round(build_s, 2),
        "median_ms": {k: round(v * 1000, 3) for k, v in med.items()},
        "ratios": {k: round(v, 3) for k, v in pairs},
        "target": "xltargets / calamine dump <= 2.0",
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    print(f"{'measure':<34}{'median ms/file':>16}")
    for k, v in med.items():
        print(f"{k:<34}{v * 1000:>16.3f}")
    print()
    for k, v in pairs:
        print(f"{k:<34}{v:>16.3f}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
