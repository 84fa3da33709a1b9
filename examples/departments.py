"""The departments of the demo round: they fill the templates the office sent, and later correct
the feedback copies the office sent back.

    python examples/departments.py fill    SENT/manifest.json INBOX      # round 1: the returns
    python examples/departments.py correct SENT/manifest.json FEEDBACK INBOX/第二轮   # round 2

``fill`` opens each template that ``xltargets generate`` wrote (listed in the manifest) and types
into its input cells what the department wrote in the published forms of ../shared/seeds (data
in tests/seed_forms.py; the Shanghai forms of tests/shanghai_forms.py), mistakes included, then saves it under the same name, as a department
returns it. Only cells that are not locked are typed into — except by one department, which
removes the sheet protection and raises a prefilled budget. One department never answers.

``correct`` opens the feedback copies (…_退回修改意见.xlsx) of the departments that were asked to
correct their return, fixes what the comments point at, and saves each as a new return.

Each saved workbook gets a save time of its own (docProps/core.xml, as Excel writes it), so the
office's collect keeps the corrected copy over the first return by the workbook's save time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import shanghai_forms  # noqa: E402
from seed_forms import SEEDS  # noqa: E402

from xltargets.layout import plan  # noqa: E402
from xltargets.spec import load_spec  # noqa: E402

#: what a department types, by source: the four published seeds and the Shanghai forms
SOURCES: dict[str, Any] = {
    **{key: form.values for key, form in SEEDS.items()},
    "shanghai": shanghai_forms.fill(),
}

#: unit code -> (the source it types, a short note of what it does) ; None: the department is silent
ROUND_1: dict[str, tuple[str, str] | None] = {
    "224002": ("000", "解除保护，把项目2预算数从35.00改为40.00（预填、锁定的单元格）"),
    "224001": ("002", "按要求填写"),
    "224003": ("003", "资金支出计划填成了金额"),
    "224004": ("000", "只有部门整体表（没有项目）"),
    "401001": ("001", "支出合计与资金总额不相等"),
    "401002": None,
    "PT0301": ("shanghai", "项目2的结束日期早于开始日期"),
    "PT0412": None,
}

#: mistakes typed on top of the source: unit -> sheet -> field -> value
MISTAKES: dict[str, dict[str, dict[str, Any]]] = {
    "PT0301": {"项目2": {"end_date": dt.date(2025, 12, 31)}},
}

#: what the departments change in the feedback copy: sheet -> field -> value
CORRECTIONS: dict[str, dict[str, dict[str, Any]]] = {
    # the prefilled budget is locked again in the feedback copy, holding the value sent out
    "224002": {},
    # the spending plan as cumulative percentages, as the comment on C8 asks
    "224003": {f"项目{n}": {"plan_mar": 25, "plan_jun": 50, "plan_oct": 75, "plan_dec": 100}
               for n in (1, 2, 3)},
    # 基本支出 + 项目支出 = 资金总额 (the projects on the form need not be all of 项目支出)
    "401001": {"部门整体支出绩效目标表": {"expense_basic": Decimal("64.76")}},
    "PT0301": {"项目2": {"end_date": dt.date(2026, 12, 31)}},
}

#: the tampering department: it unprotects the sheet and raises its budget
TAMPER = {"224002": {"项目2": {"budget_total": Decimal("40.00"), "budget_fiscal": Decimal("40.00")}}}

ROUND_1_SAVED = dt.datetime(2025, 3, 3, 9, 0, 0)
ROUND_2_SAVED = dt.datetime(2025, 3, 17, 9, 0, 0)


def _cells(spec_id: str, projects: int) -> dict[str, dict[tuple[str | int, ...], str]]:
    """Sheet name -> input path -> cell address, from the layout plan."""
    layout = plan(load_spec(spec_id), projects)
    return {s.name: {inp.path: inp.box.ref for inp in s.inputs} for s in layout.sheets}


def _type(ws: Any, ref: str, value: Any, *, unlocked_only: bool = True) -> bool:
    cell = ws[ref]
    if unlocked_only and cell.protection.locked:
        return False  # Excel refuses to type into a locked cell
    cell.value = value  # a Decimal is written as the number it is
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # typed as text ("=100.00(%)"), as the form shows it, not a formula
    return True


def _save(wb: Any, path: Path, saved: dt.datetime) -> None:
    buf = io.BytesIO()
    wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_with_save_time(buf.getvalue(), saved))


def _with_save_time(data: bytes, saved: dt.datetime) -> bytes:
    """Set the workbook's own last-save time (openpyxl writes the current time)."""
    stamp = saved.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                part = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp + rb"\g<2>", part)
            dst.writestr(info, part)
    return out.getvalue()


def _open(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes on extensions it does not model
        return openpyxl.load_workbook(path)


def fill(manifest_path: Path, inbox: Path) -> list[str]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    spec_id = manifest["spec"]["id"]
    lines = []
    for n, sent in enumerate(manifest["workbooks"]):
        unit = sent["unit_code"]
        plan_ = ROUND_1.get(unit)
        if plan_ is None:
            lines.append(f"  {unit} {sent['unit_name']}：未报送")
            continue
        seed, note = plan_
        wb = _open(manifest_path.parent / sent["file"])
        cells = _cells(spec_id, sent["projects"])
        for sheet, values in SOURCES[seed].items():
            if sheet not in cells:
                continue  # a seed project the roster does not give this department
            for path, value in values.items():
                if path in cells[sheet] and value is not None:
                    _type(wb[sheet], cells[sheet][path], value)
        for sheet, values in MISTAKES.get(unit, {}).items():
            for field, value in values.items():
                _type(wb[sheet], cells[sheet][(field,)], value)
        for sheet, values in TAMPER.get(unit, {}).items():
            wb[sheet].protection.sheet = False  # 撤销工作表保护
            for field, value in values.items():
                _type(wb[sheet], cells[sheet][(field,)], value, unlocked_only=False)
        _save(wb, inbox / sent["file"], ROUND_1_SAVED + dt.timedelta(hours=n))
        lines.append(f"  {unit} {sent['unit_name']}：{note}")
    return lines


def correct(manifest_path: Path, feedback: Path, inbox: Path) -> list[str]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    spec_id = manifest["spec"]["id"]
    lines = []
    for sent in manifest["workbooks"]:
        unit = sent["unit_code"]
        if unit not in CORRECTIONS:
            continue
        stem = Path(sent["file"]).stem
        copies = sorted(feedback.rglob(f"{stem}_退回修改意见.xlsx"))
        if not copies:
            continue
        wb = _open(copies[0])
        cells = _cells(spec_id, sent["projects"])
        for sheet, values in CORRECTIONS[unit].items():
            if sheet not in wb.sheetnames:
                continue  # a project this department was not sent
            for field, value in values.items():
                _type(wb[sheet], cells[sheet][(field,)], value)
        target = inbox / f"{stem}_修改后.xlsx"
        _save(wb, target, ROUND_2_SAVED)
        lines.append(f"  {unit} {sent['unit_name']}：按修改意见改正后重新报送 {target.name}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "fill":
        lines = fill(Path(argv[1]), Path(argv[2]))
    elif len(argv) == 4 and argv[0] == "correct":
        lines = correct(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
