"""The two Shanghai forms typed into generated templates through LibreOffice, as a person types.

Every value goes through LibreOffice's typed-input path (``.uno:EnterString``: what the keyboard
does, refused by locked cells), one job per sheet (LibreOffice 7.4 headless has crashed when one
typing job switched sheets), amounts typed with thousands separators as the forms print them,
dates typed as text. Then the reader reads the saved file back: every value equal.

One exception, forced by the machine, not chosen: an indicator value that starts with ``=`` and is
not a valid formula (``=100.00(%)``, the published form's own way of writing "equals 100%") kills
headless LibreOffice when typed, even into a Text cell (its formula auto-correction dialog has no
window: shared/EXCEL-FACTS.md). Those values alone are set as strings through the API
(``setString``) in a separate job; a person in Excel, WPS or a LibreOffice with a window types them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import shanghai_forms as sf
from libreoffice import client
from test_shanghai import assert_forms_read_back

from xltargets.generate import Department, build_template
from xltargets.layout import plan
from xltargets.layout.model import Place
from xltargets.read import read_workbook
from xltargets.spec import load_spec

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not client.available(),
                       reason="LibreOffice headless (soffice + python3-uno) not installed"),
]


def typed_text(value: Any) -> str:
    """What a person types for a value: amounts with thousands separators, dates as 2024-03-01."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


#: cells per typing job: headless LibreOffice 7.4 aborts now and then a while after typed entries
#: (more often the longer a job types), so the typing is cut into short jobs, each redone from its
#: own source file when soffice died under it (:func:`run_chain`)
CELLS_PER_JOB = 8


def jobs_for(src: Path, folder: Path, fill: dict[str, dict[tuple[str | int, ...], Any]]
             ) -> tuple[list[dict[str, Any]], Path, int]:
    """Typing jobs of one sheet each, chained file to file; the ``=…`` values in a last API job."""
    layout = plan(load_spec(sf.SPEC), 2)
    jobs: list[dict[str, Any]] = []
    as_strings: list[dict[str, Any]] = []
    current = src
    typed = 0
    for step, sheet in enumerate(layout.sheets):
        values = fill.get(sheet.name, {})
        cells = []
        for inp in sheet.inputs:
            value = values.get(inp.path)
            if value is None or inp.fixed:
                continue
            if inp.place == Place.field:
                target = {"sheet": sheet.name, "name": inp.field}
            else:
                table = sheet.tables[str(inp.path[0])]
                target = {"sheet": sheet.name, "name": f"{inp.path[0]}_{inp.path[2]}",
                          "index": [r.index for r in table.rows].index(int(inp.path[1]))}
            text = typed_text(value)
            if text.startswith("="):
                as_strings.append({**target, "value": text, "type": "string"})
            else:
                cells.append({**target, "value": text})
        for part in range(0, len(cells), CELLS_PER_JOB):
            dst = folder / f"typed-{step}-{part}.xlsx"
            jobs.append({"op": "type", "src": str(current), "dst": str(dst),
                         "cells": cells[part:part + CELLS_PER_JOB]})
            current = dst
        typed += len(cells)
    final = folder / "filled.xlsx"
    jobs.append({"op": "fill", "src": str(current), "dst": str(final), "cells": as_strings})
    return jobs, final, typed


def run_chain(jobs: list[dict[str, Any]], attempts: int = 3) -> list[dict[str, Any]]:
    """Run chained jobs one by one; a job that LibreOffice itself failed (a UNO exception: soffice
    died or its bridge broke under it) is run again from its own source file. A job failing for
    any other reason, or failing ``attempts`` times, fails the test."""
    results = []
    for job in jobs:
        for _ in range(attempts):
            result = client.run_jobs([job])[0]
            if result["ok"] or not str(result.get("error")).startswith("com.sun.star."):
                break
        results.append(result)
    return results


def test_both_forms_typed_in_libreoffice_read_back_equal(tmp_path):
    spec = load_spec(sf.SPEC)
    # the unit is prefilled (and locked) from the roster; everything else is typed
    dept = Department(sf.UNIT_CODE, sf.UNIT_NAME, projects=[{}, {}])
    src = tmp_path / "template.xlsx"
    src.write_bytes(build_template(spec, sf.YEAR, department=dept).data)
    fill = sf.fill()
    for key in ("unit_code", "unit_name"):
        fill[sf.UNIT_SHEET].pop((key,))
    jobs, final, typed = jobs_for(src, tmp_path, fill)
    results = run_chain(jobs)
    assert all(r["ok"] for r in results), [r.get("error") for r in results]
    typed_results = [c for r in results if r["op"] == "type" for c in r["cells"]]
    assert len(typed_results) == typed > 60
    # every typed value landed (None: the cell already held that text, e.g. an empty 0.00 cell)
    assert [c for c in typed_results if c["landed"] is False] == []
    assert [c["string"] for r in results if r["op"] == "fill" for c in r["cells"]] == \
        ["=100.00(%)", "=0.00(%)"]
    sub = read_workbook(final)
    assert sub.findings == []
    assert_forms_read_back(sub.to_json())


def test_locked_prefill_refuses_typing(tmp_path):
    """The roster's unit code and the generator's year cannot be typed over."""
    src = tmp_path / "template.xlsx"
    src.write_bytes(build_template(load_spec(sf.SPEC), sf.YEAR,
                                   department=Department(sf.UNIT_CODE, sf.UNIT_NAME, projects=[{}])).data)
    cases = [({"sheet": sf.UNIT_SHEET, "name": "unit_code", "value": "XX"}, False),
             ({"sheet": sf.UNIT_SHEET, "name": "year", "value": "1999"}, False),
             ({"sheet": "项目1", "name": "project_name", "value": "改名"}, True),
             ({"sheet": sf.UNIT_SHEET, "name": "contact", "value": "王敏"}, True)]
    # one job per cell: after a locked cell refused an entry, further typing in the same job
    # kills headless LibreOffice 7.4 (its "protected cell" message box has no window)
    results = run_chain([{"op": "type", "src": str(src), "dst": str(tmp_path / f"t{i}.xlsx"),
                          "cells": [cell]} for i, (cell, _) in enumerate(cases)])
    assert [r["cells"][0]["landed"] for r in results] == [want for _, want in cases]


def test_check_cells_recalculate_in_libreoffice_as_the_reader_decides(tmp_path):
    """The Excel faces of the new rules (compare, date_order, year_in_period, money_scale) give in
    LibreOffice the verdict the reader gives for the same values."""
    spec = load_spec(sf.SPEC)
    src = tmp_path / "blank.xlsx"
    src.write_bytes(build_template(spec, sf.YEAR, projects=1).data)
    layout = plan(spec, 1)
    sheet = layout.sheets_of("project")[0]
    values = {"start_date": "46023", "end_date": "45657",   # 2026-01-01 and 2024-12-31
              "total_funds": "771325800", "total_fiscal": "771325800",
              "year_funds": "900000000", "year_appropriation": "22614.51"}
    cells = [{"sheet": "项目1", "name": k, "value": v, "type": "number"} for k, v in values.items()]
    read = [{"sheet": "项目1", "address": c.box.ref} for c in sheet.checks]
    results = run_chain([
        {"op": "fill", "src": str(src), "dst": str(tmp_path / "f.xlsx"), "cells": cells, "recalc": True},
        {"op": "read", "src": str(tmp_path / "f.xlsx"), "cells": read},
    ])
    assert all(r["ok"] for r in results)
    shown = {c.rule_id: got["string"] for c, got in zip(sheet.checks, results[1]["cells"], strict=True)}
    assert shown["total_split"] == "平衡"
    assert shown["year_split"] == "不平衡"
    assert shown["year_within_total"] == "年度资金申请总额不应大于项目资金总额"
    assert shown["money_scale"] == "有金额似按万元填写，请核对"
    assert shown["period_order"] == "计划完成日期不能早于计划开始日期"
    assert shown["period_year"] == ""
    codes = {f.code for f in read_workbook(tmp_path / "f.xlsx").findings}
    assert {"sum_mismatch", "compare_failed", "money_scale_suspect", "date_order"} <= codes
    assert "year_outside_period" not in codes


def test_prints_like_the_published_form_on_a4_one_page_wide(tmp_path):
    """Rendered by LibreOffice: A4 portrait, each project one page wide with its title, subtitle,
    the money block in 元 and the indicator table's last column on the same page as its first."""
    import shutil
    import subprocess

    if not shutil.which("pdfinfo") or not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    src = tmp_path / "filled.xlsx"
    src.write_bytes(build_template(load_spec(sf.SPEC), sf.YEAR, projects=2, values=sf.fill()).data)
    pdf = tmp_path / "filled.pdf"
    assert run_chain([{"op": "pdf", "src": str(src), "dst": str(pdf)}])[0]["ok"]
    info = subprocess.run(["pdfinfo", "-l", "-1", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = [line for line in info.splitlines() if line.startswith("Page") and "size:" in line]
    assert sizes and all("(A4)" in s and s.index("595") < s.index(" x ") for s in sizes), sizes
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = [p for p in text.split("\f") if "年度(/项目)指标值" in p]   # not the instructions
    assert len(pages) == 2
    for page, (fields, _) in zip(pages, sf.PROJECTS, strict=True):
        assert "（2026年度）" in page and "一级指标" in page and "年度(/项目)指标值" in page
        assert f"{fields['total_funds']:,.2f}" in page     # 771,325,800.00 as published
