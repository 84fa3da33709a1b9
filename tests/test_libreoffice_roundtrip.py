"""Round trips through a real spreadsheet program.

Blank templates are generated, then LibreOffice (headless, through UNO) opens each one, fills it
by its defined names, and saves it as .xlsx, as a department's program would. The reader reads
those files: values must come back exact, clean forms without findings, every planted mistake
with exactly its finding, the four seed forms with the reviewer's findings. Afterwards the stamp,
names, protection and validations must still be in the file. One LibreOffice process serves the
whole module (it takes seconds to start).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from forms import CLEAN, libreoffice_cells
from libreoffice import client
from seed_forms import SEEDS
from test_read import MISTAKES, _found, plant
from test_seeds import EXPECTED_FINDINGS, triples

from xltargets.generate import build_template
from xltargets.read import read_workbook
from xltargets.spec import load_spec

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not client.available(), reason="LibreOffice headless (soffice + python3-uno) not installed"),
]


def _blank(folder: Path, spec_id: str, year: int, projects: int) -> Path:
    path = folder / f"blank-{spec_id}-{year}-{projects}.xlsx"
    if not path.exists():
        path.write_bytes(build_template(load_spec(spec_id), year, projects=projects).data)
    return path


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> dict[str, Path]:
    """Every case filled and saved by LibreOffice, in one batch."""
    folder = tmp_path_factory.mktemp("lo")
    jobs, outputs = [], {}

    def add(key: str, spec_id: str, year: int, fill: dict, projects: int = 1) -> None:
        dst = folder / f"{key}.xlsx"
        jobs.append({"op": "fill", "src": str(_blank(folder, spec_id, year, projects)), "dst": str(dst),
                     "cells": libreoffice_cells(spec_id, fill, projects)})
        outputs[key] = dst

    for spec_id, (make, year) in CLEAN.items():
        add(f"clean-{spec_id}", spec_id, year, make())
    for name, spec_id, changes, _expected in MISTAKES:
        add(f"mistake-{name}", spec_id, CLEAN[spec_id][1], plant(spec_id, changes))
    for key, seed in SEEDS.items():
        add(f"seed-{key}", seed.spec_id, seed.year, seed.values, seed.project_count)
    results = client.run_jobs(jobs, timeout=900)
    failed = [r for r in results if not r.get("ok")]
    assert not failed, failed[:3]
    return outputs


@pytest.mark.parametrize("spec_id", sorted(CLEAN))
def test_clean_forms_survive_libreoffice(filled, spec_id):
    sub = read_workbook(filled[f"clean-{spec_id}"])
    assert _found(sub) == []
    direct = CLEAN[spec_id][0]()
    data = sub.to_json()
    sheets = {data["department"]["sheet"]: data["department"]} | {p["sheet"]: p for p in data["projects"]}
    from test_read import _assert_same

    for sheet, values in direct.items():
        obj = sheets[sheet]
        for path, value in values.items():
            if len(path) == 3:
                row = next(r for r in obj[path[0]] if r["row"] == path[1] + 1)
                _assert_same(row[path[2]], value, (sheet, path), row.get("markers"))
            elif len(path) == 2:
                _assert_same(obj[path[0]][path[1]], value, (sheet, path))
            else:
                _assert_same(obj[path[0]], value, (sheet, path), obj.get("markers"))


@pytest.mark.parametrize("case", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_planted_mistakes_through_libreoffice(filled, case):
    name, _spec_id, _changes, expected = case
    assert _found(read_workbook(filled[f"mistake-{name}"])) == sorted(expected)


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_seed_forms_through_libreoffice(filled, key):
    sub = read_workbook(filled[f"seed-{key}"])
    assert triples(sub) == sorted(EXPECTED_FINDINGS[key])


@pytest.mark.parametrize("spec_id", sorted(CLEAN))
def test_template_survives_a_libreoffice_save(filled, spec_id):
    path = filled[f"clean-{spec_id}"]
    wb = openpyxl.load_workbook(path)
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props.get("xltargets.spec_id") == spec_id, "stamp (custom properties) lost"
    sheet = wb.worksheets[0]
    assert sheet.protection.sheet
    assert all(ws.protection.sheet for ws in wb.worksheets)
    assert len(sheet.data_validations.dataValidation) > 5
    assert any(dv.prompt for dv in sheet.data_validations.dataValidation)
    project = wb["项目1"]
    for name in ("indicators_level3", "indicators_value"):
        assert name in project.defined_names
    first_id = "project_name"
    assert first_id in project.defined_names
    lists = [ws for ws in wb.worksheets if ws.title == "_lists"][0]
    assert lists.sheet_state == "hidden"
    flat = [c.value for row in lists.iter_rows() for c in row]
    assert "xltargets-stamp" in flat, "stamp copy on the lists sheet lost"
    # LibreOffice drops workbook structure protection on save (EXCEL-FACTS.md): the stamp and the
    # reader do not depend on it
    xml = zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("xl/workbook.xml")
    assert b"definedName" in xml


def test_templates_print_one_page_wide_on_a4(tmp_path):
    import shutil
    import subprocess

    if not shutil.which("pdfinfo") or not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    jobs, pdfs = [], {}
    for spec_id, last_header in (("hebei-county", "指标值确定依据"), ("hunan", "指标值及单位")):
        src = _blank(tmp_path, spec_id, 2025, 2)
        pdf = tmp_path / f"{spec_id}.pdf"
        jobs.append({"op": "pdf", "src": str(src), "dst": str(pdf)})
        pdfs[spec_id] = (pdf, last_header)
    assert all(r.get("ok") for r in client.run_jobs(jobs))
    for spec_id, (pdf, last_header) in pdfs.items():
        info = subprocess.run(["pdfinfo", "-l", "-1", str(pdf)], capture_output=True, text=True,
                              check=True).stdout
        sizes = [line for line in info.splitlines() if "size:" in line and line.startswith("Page")]
        assert sizes and all("(A4)" in s and s.index("595") < s.index(" x ") for s in sizes), sizes
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        for page in text.split("\f"):
            if "三级指标" in page and "本工作簿" not in page:  # not the instructions page
                # the table's last column prints on the same page as its first: one page wide
                assert last_header in page, spec_id


def test_typing_reaches_inputs_and_is_refused_by_locked_cells(tmp_path):
    """As a person types (the UI path), not through the API that ignores protection."""
    src = _blank(tmp_path, "hebei-county", 2025, 1)
    cases = [
        ({"sheet": "项目1", "name": "budget_total", "value": "50"}, True),
        ({"sheet": "项目1", "address": "A4", "value": "改标题"}, False),        # the label 预算规模及资金用途
        ({"sheet": "部门整体绩效目标", "name": "year", "value": "1999"}, False),  # set by the office
    ]
    # one job per cell: LibreOffice 7.4 headless has crashed when one typing job switched sheets
    jobs = [{"op": "type", "src": str(src), "dst": str(tmp_path / f"typed{i}.xlsx"), "cells": [cell]}
            for i, (cell, _) in enumerate(cases)]
    results = client.run_jobs(jobs)
    assert [r["cells"][0]["landed"] for r in results] == [want for _, want in cases], results
    sub = read_workbook(tmp_path / "typed0.xlsx")
    assert sub.to_json()["projects"][0]["budget_total"] == "50.00"
    assert read_workbook(tmp_path / "typed2.xlsx").to_json()["department"]["year"] == 2025
