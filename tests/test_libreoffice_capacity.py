"""Capacity as the office and the clerk live it (issue 11), through a real LibreOffice.

The office generates from a roster where one department needs more rows (指标行数 / 每类指标行数)
and asks every department for more 分项绩效目标 rows (``--rows``); the clerk types into the extra
rows through LibreOffice's typed-input path and saves; the reader finds every row; collect's
feedback copy has the same rows and holds what was typed; a department with the spec's rows
(no capacity in its stamp, as every template generated before capacity existed) reads as before.
The taller sheets print on whole A4 pages: the title repeated on each, no merged cell cut by a
page break, no page the planner did not plan.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from libreoffice import client

from xltargets.collect import collect
from xltargets.generate import generate_batch
from xltargets.layout import Layout, SheetLayout
from xltargets.read import read_workbook
from xltargets.read._reader import read_raw
from xltargets.spec import load_spec

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not client.available() or shutil.which("pdftotext") is None,
                       reason="LibreOffice headless or pdftotext not installed"),
]

ROOT = Path(__file__).resolve().parent.parent


def _roster(folder: Path, spec_id: str, column: str, values: dict[str, str]) -> Path:
    lines = (ROOT / "examples" / f"roster-{spec_id.split('-')[0]}.csv").read_text(
        encoding="utf-8").splitlines()
    out = [lines[0] + "," + column]
    out += [line + "," + values.get(line.split(",", 1)[0], "") for line in lines[1:]]
    path = folder / f"roster-{spec_id}.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _typed(layout: Layout, sheet: str, path: tuple, text: str) -> dict:
    inp = next(i for i in layout.sheet(sheet).inputs if i.path == path)
    return {"sheet": sheet, "address": inp.box.ref, "value": text}


def _category_row(layout: Layout, sheet: str, level2: str, nth: int) -> int:
    rows = [r.index for r in layout.sheet(sheet).tables["indicators"].rows
            if r.fixed.get("level2") == level2]
    return rows[nth]


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("capacity")
    hebei, hunan = load_spec("hebei-county"), load_spec("hunan")
    sent = {
        "hebei-county": generate_batch(
            hebei, 2025, _roster(tmp, "hebei-county", "指标行数", {"224003": "30"}),
            tmp / "sent-hebei", rows={"sub_goals": 10}),
        "hunan": generate_batch(hunan, 2025, _roster(tmp, "hunan", "每类指标行数", {"401002": "4"}),
                                tmp / "sent-hunan"),
    }
    files = {spec_id: {w["unit_code"]: tmp / f"sent-{spec_id.split('-')[0]}" / w["file"]
                       for w in manifest["workbooks"]} for spec_id, manifest in sent.items()}
    layouts = {(spec_id, code): read_raw(path).layout
               for spec_id, by_code in files.items() for code, path in by_code.items()}
    typed: dict[tuple[str, str], list[tuple[str, tuple, str]]] = {
        # the 20th of 30 indicator rows (15 in the spec) and the 10th 分项绩效目标 (8 in the spec)
        ("hebei-county", "224003"): [
            ("项目1", ("indicators", 19, "level1"), "产出指标"),
            ("项目1", ("indicators", 19, "level2"), "数量指标"),
            ("项目1", ("indicators", 19, "level3"), "第二十行的三级指标"),
            ("项目1", ("indicators", 19, "value"), "≥20次"),
            ("部门整体绩效目标", ("sub_goals", 9), "第十项分项目标"),
        ],
        # the spec's rows, no capacity in the stamp: the last of the 15 rows
        ("hebei-county", "224002"): [
            ("项目1", ("indicators", 14, "level3"), "第十五行的三级指标"),
            ("部门整体绩效目标", ("sub_goals", 9), "第十项分项目标"),
        ],
    }
    # the spec's rows, no capacity in the stamp (as every template before capacity existed)
    last = _category_row(layouts[("hunan", "401001")], "部门整体支出绩效目标表", "数量指标", 2)
    typed[("hunan", "401001")] = [
        ("部门整体支出绩效目标表", ("indicators", last, "level3"), "第三行数量指标")]
    hunan_layout = layouts[("hunan", "401002")]
    economic = _category_row(hunan_layout, "部门整体支出绩效目标表", "经济效益指标", 3)
    happy = _category_row(hunan_layout, "项目1", "社会公众或服务对象满意度指标", 3)
    typed[("hunan", "401002")] = [  # the 4th row of categories the spec gives 2
        ("部门整体支出绩效目标表", ("indicators", economic, "level3"), "第四行经济效益"),
        ("部门整体支出绩效目标表", ("indicators", economic, "value"), "≥4万元"),
        ("项目1", ("indicators", happy, "level3"), "第四行满意度"),
        ("项目1", ("indicators", happy, "value"), "≥90%"),
    ]
    inbox = tmp / "inbox"
    inbox.mkdir()
    jobs, returned = [], {}
    for (spec_id, code), entries in typed.items():
        layout = layouts[(spec_id, code)]
        dst = inbox / f"{spec_id}-{code}.xlsx"
        jobs.append({"op": "type", "src": str(files[spec_id][code]), "dst": str(dst),
                     "cells": [_typed(layout, sheet, path, text) for sheet, path, text in entries]})
        returned[(spec_id, code)] = dst
    printed = {}
    for key in (("hebei-county", "224003"), ("hunan", "401002")):
        printed[key] = tmp / f"{key[0]}-{key[1]}.pdf"
        jobs.append({"op": "pdf", "src": str(files[key[0]][key[1]]), "dst": str(printed[key])})
    results = client.run_jobs(jobs, timeout=900)
    for result in results:
        client.ensure_ok(result)
    landed = [cell.get("landed") for r in results if r["op"] == "type" for cell in r["cells"]]
    return {"tmp": tmp, "sent": sent, "files": files, "layouts": layouts, "typed": typed,
            "returned": returned, "printed": printed, "landed": landed}


def _found(data: dict, sheet: str, path: tuple, text: str) -> bool:
    """Is ``text`` where it was typed in the submission JSON?"""
    obj = next(o for o in [data["department"], *data["projects"]] if o["sheet"] == sheet)
    if len(path) == 2:  # a list keeps its filled items only, in order
        return text in obj[path[0]]
    row = next((r for r in obj[path[0]] if r["row"] == path[1] + 1), None)
    value = None if row is None else row.get(path[2])
    return (value.get("text") if isinstance(value, dict) else value) == text


def test_every_typed_entry_landed(round_trip):
    assert round_trip["landed"] and all(round_trip["landed"]), round_trip["landed"]


def test_the_reader_finds_every_typed_row(round_trip):
    for key, entries in round_trip["typed"].items():
        data = read_workbook(round_trip["returned"][key]).to_json()
        capacity = data["source"]["stamp"].get("capacity")
        assert capacity == {("hebei-county", "224003"): "indicators=30,sub_goals=10",
                            ("hebei-county", "224002"): "sub_goals=10",
                            ("hunan", "401001"): None,
                            ("hunan", "401002"): "indicators=4"}[key]
        for sheet, path, text in entries:
            assert _found(data, sheet, path, text), (key, sheet, path, data)


def test_a_template_with_the_spec_rows_has_no_capacity_and_reads_as_before(round_trip):
    path = round_trip["files"]["hunan"]["401001"]
    data = read_workbook(path).to_json()
    assert "capacity" not in data["source"]["stamp"]
    raw = read_raw(path)
    assert [len(s.tables["indicators"].rows) for s in raw.layout.sheets] == [20, 18, 18, 18]
    manifest = round_trip["sent"]["hunan"]
    rows = {w["unit_code"]: w["rows"] for w in manifest["workbooks"]}
    assert rows == {"401001": {"indicators": 2}, "401002": {"indicators": 4}}
    json.dumps(manifest)


def test_feedback_copies_keep_the_rows_and_what_was_typed(round_trip):
    tmp = round_trip["tmp"]
    for spec_id in ("hebei-county", "hunan"):
        inbox = tmp / f"inbox-{spec_id}"
        inbox.mkdir()
        keys = [k for k in round_trip["returned"] if k[0] == spec_id]
        for key in keys:
            shutil.copy(round_trip["returned"][key], inbox / f"{key[1]}.xlsx")
        folder = tmp / f"sent-{spec_id.split('-')[0]}"
        out = tmp / f"collected-{spec_id}"
        collect(inbox, out, manifest=folder / "manifest.json")
        for key in keys:
            copy = out / "feedback" / f"{key[1]}_退回修改意见.xlsx"
            assert copy.exists(), sorted(p.name for p in (out / "feedback").iterdir())
            returned = read_raw(round_trip["returned"][key])
            again = read_raw(copy)
            assert again.stamp is not None and returned.stamp is not None
            assert again.stamp.capacity == returned.stamp.capacity
            assert again.stamp.template_id == returned.stamp.template_id
            assert [len(t.rows) for s in again.layout.sheets for t in s.tables.values()] == \
                [len(t.rows) for s in returned.layout.sheets for t in s.tables.values()]
            data = read_workbook(copy).to_json()
            for sheet, path, text in round_trip["typed"][key]:
                assert _found(data, sheet, path, text), (key, sheet, path, data)


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    return [page for page in text.split("\f") if page.strip()]


def _merged_boxes(sheet: SheetLayout) -> list:
    boxes = [st.box for st in sheet.statics] + [i.box for i in sheet.inputs]
    return [b for b in boxes if b.r2 > b.r1]


@pytest.mark.parametrize("key", [("hebei-county", "224003"), ("hunan", "401002")])
def test_taller_sheets_print_on_whole_pages(round_trip, key):
    layout = round_trip["layouts"][key]
    pages = _pages(round_trip["printed"][key])
    firsts = ["".join(page.strip().splitlines()[0].split()) for page in pages]
    tall = [s for s in layout.sheets if s.row_breaks]
    assert tall, "the capacity was meant to need more than one page"
    # no page LibreOffice had to add: each sheet on exactly the pages the planner broke it into,
    # the instructions on one
    counts = [len(s.row_breaks) + 1 for s in layout.sheets]
    assert len(pages) == sum(counts) + 1, (counts, firsts)
    start = 0
    for sheet, n in zip(layout.sheets, counts, strict=True):
        group, start = firsts[start:start + n], start + n
        # the title row repeats on every page the sheet takes, and only there
        assert len(set(group)) == 1 and group[0] not in firsts[:start - n], (sheet.name, firsts)
        for number, b in enumerate(sheet.row_breaks, start=1):
            # a page break never cuts a merged cell
            assert not [box for box in _merged_boxes(sheet) if box.r1 < b <= box.r2], (sheet.name, b)
            # a page that starts inside a table prints the 一级 of its first row again
            table = sheet.tables.get("indicators")
            row = next((r for r in table.rows if any(c.box.r1 == b for c in r.cells.values())),
                       None) if table is not None else None
            if row is not None and "level1" in row.fixed:
                assert row.fixed["level1"] in pages[start - n + number], (sheet.name, b)
