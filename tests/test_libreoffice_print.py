"""The printout is the official form: each sheet printed by LibreOffice (A4) on the pages it should
take, the check cells not printed (issue 11). Pages are told apart by their first line (the sheet's
title, repeated on every page it takes)."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest
from libreoffice import client

from xltargets.generate import Department, build_template
from xltargets.layout.plan import ASIDE_NOTE
from xltargets.spec import load_spec

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not client.available() or shutil.which("pdftotext") is None,
                       reason="LibreOffice headless or pdftotext not installed"),
]

LONG_GOAL = "深入学习宣传习近平总书记重要讲话以及重大会议精神，协调处理网络安全和信息化重大突发事件。" * 6

CASES = {
    # spec: (year, department, titles in print order: each printed on exactly one page)
    "hebei-county": (2022, Department("224002", "中共乐亭县委网络安全和信息化委员会办公室", "130225", projects=[
        {"project_code": "13022522P002H4T100074", "project_name": "购买舆情监测服务",
         "budget_total": Decimal("50.00"), "budget_fiscal": Decimal("50.00")},
        {"project_code": "13022522P002H4T10005W", "project_name": "网信乐亭",
         "budget_total": Decimal("2.00"), "budget_fiscal": Decimal("2.00")}]),
        ["2022年部门整体绩效目标", "1.购买舆情监测服务绩效目标表", "2.网信乐亭绩效目标表",
         "河北省县级部门预算绩效目标表（2022年度）填表说明"]),
    "hunan": (2024, Department("401001", "中共沅江市委网络安全和信息化委员会办公室", projects=[
        {"project_name": "B网络舆情监测管理平台维护费", "budget_local": Decimal("3.2")},
        {"project_name": "网络安全宣传周", "budget_local": Decimal("1.5")},
        {"project_name": "网评员培训", "budget_local": Decimal("2")}]),
        ["2024年部门整体支出绩效目标表", "2024年项目支出绩效目标表", "2024年项目支出绩效目标表",
         "2024年项目支出绩效目标表", "湖南省部门整体支出及项目支出绩效目标表（2024年度）填表说明"]),
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    jobs = []
    for spec_id, (year, dept, _titles) in CASES.items():
        xlsx = tmp / f"{spec_id}.xlsx"
        xlsx.write_bytes(build_template(load_spec(spec_id), year, department=dept).data)
        jobs.append({"op": "pdf", "src": xlsx, "dst": tmp / f"{spec_id}.pdf"})
    for result in client.run_jobs(jobs):
        client.ensure_ok(result)
    return tmp


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.parametrize("spec_id", sorted(CASES))
def test_every_sheet_prints_on_one_a4_page(printed, spec_id):
    titles = CASES[spec_id][2]
    pages = _pages(printed / f"{spec_id}.pdf")
    firsts = ["".join(page.strip().splitlines()[0].split()) for page in pages]
    # one page per sheet, in order: a sheet that spilled over would repeat its title
    assert firsts == titles


@pytest.mark.parametrize("spec_id", sorted(CASES))
def test_check_cells_are_not_printed(printed, spec_id):
    text = "".join(_pages(printed / f"{spec_id}.pdf"))
    for word in (ASIDE_NOTE, "平衡", "资金核对", "进度核对", "收入核对", "支出核对"):
        assert word not in text


def test_a_blank_template_prints_the_typed_project_and_unit(tmp_path):
    """Issue 11: the title and the unit line are formulas over the typed cells. Typed in
    LibreOffice as a clerk types (.uno:EnterString), the printout names the typed project and
    unit; an untouched project sheet keeps 预算项目; the re-saved file reads without a label
    finding (the live texts come back as formulas with LibreOffice's values)."""
    from xltargets.read import read_raw

    spec = load_spec("hebei-county")
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(build_template(spec, 2022, projects=2).data)
    typed, pdf = tmp_path / "typed.xlsx", tmp_path / "typed.pdf"
    cells = [{"sheet": "部门整体绩效目标", "name": "unit_code", "value": "224002"},
             {"sheet": "部门整体绩效目标", "name": "unit_name", "value": "中共乐亭县委网络安全和信息化委员会办公室"},
             {"sheet": "项目1", "name": "project_name", "value": "购买舆情监测服务"}]
    titles = [{"sheet": "项目1", "address": "A1"}, {"sheet": "项目1", "address": "A2"}]
    results = client.run_jobs([{"op": "type", "src": blank, "dst": typed, "cells": cells},
                               {"op": "pdf", "src": typed, "dst": pdf},
                               {"op": "read", "src": typed, "cells": titles},
                               {"op": "type", "src": typed, "cells": [{**titles[0], "value": "别的标题"}]}])
    for result in results:
        client.ensure_ok(result)
    assert all(cell["landed"] for cell in results[0]["cells"])
    # re-saved by LibreOffice: still locked formulas on a protected sheet, which refuse typing
    for cell in results[2]["cells"]:
        assert cell["kind"] == "FORMULA" and cell["locked"] and cell["sheet_protected"]
    assert results[2]["cells"][0]["string"] == "1.购买舆情监测服务绩效目标表"
    assert results[3]["cells"][0]["landed"] is False
    pages = _pages(pdf)
    firsts = ["".join(page.strip().splitlines()[0].split()) for page in pages]
    assert firsts[1:3] == ["1.购买舆情监测服务绩效目标表", "2.预算项目绩效目标表"]
    unit_lines = [page.strip().splitlines()[1].split() for page in pages[1:3]]
    assert unit_lines[0][:2] == ["224002", "中共乐亭县委网络安全和信息化委员会办公室"]
    assert unit_lines[1][:2] == ["224002", "中共乐亭县委网络安全和信息化委员会办公室"]
    raw = read_raw(typed)
    assert not [f for f in raw.findings if f.code in ("label_changed", "template_mismatch")]
    assert raw.cells["项目1"][("project_name",)].value == "购买舆情监测服务"


def test_hebei_level1_prints_once_per_run_and_every_row_keeps_its_cascade(tmp_path):
    """Issue 11: the official Hebei form merges 一级指标 over the rows of one category. The
    template keeps a cell and a dropdown per row (the 二级 list follows each row's own 一级) and
    prints a repeated 一级 once (conditional formats): typed as a clerk types, LibreOffice prints
    产出指标 once for two rows, still judges each row's 二级 by its own 一级, and the reader reads
    every row's 一级 back."""
    from xltargets.read import read_raw

    spec = load_spec("hebei-county")
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(build_template(spec, 2022, projects=1).data)
    typed, pdf = tmp_path / "typed.xlsx", tmp_path / "typed.pdf"
    rows = [("产出指标", "数量指标", "监测舆情事件"), ("产出指标", "质量指标", "互联网重大突发事件应急处置率"),
            ("效益指标", "社会效益指标", "营造良好网络环境"), ("效益指标", "数量指标", "错配的二级")]
    cells = [{"sheet": "项目1", "name": f"indicators_{col}", "index": i, "value": text}
             for i, row in enumerate(rows) for col, text in zip(("level1", "level2", "level3"), row,
                                                                strict=True)]
    results = client.run_jobs([
        {"op": "type", "src": blank, "dst": typed, "cells": cells, "validate": True},
        {"op": "pdf", "src": typed, "dst": pdf}])
    for result in results:
        client.ensure_ok(result)
    typed_cells = results[0]["cells"]
    assert all(cell["landed"] for cell in typed_cells)
    level2 = [cell for cell in typed_cells if cell["typed"] in {r[1] for r in rows}]
    # 数量指标 is right under 产出指标 and wrong under 效益指标: each row follows its own 一级
    assert [cell["valid"] for cell in level2] == [True, True, True, False]
    (page,) = [p for p in _pages(pdf) if "绩效指标描述" in p]
    words = page.split("绩效指标描述", 1)[1].split()
    assert words.count("产出指标") == 1 and words.count("效益指标") == 1
    assert words.count("监测舆情事件") == 1 and "错配的二级" in words
    raw = read_raw(typed)
    got = [raw.cells["项目1"][("indicators", i, "level1")].value for i in range(len(rows))]
    assert got == [r[0] for r in rows]


def test_hunan_department_sheet_prints_the_official_rows(printed):
    """Issue 11: the official Hunan department form prints 资金总额 alone on its row (the year is in
    the title): the template's 预算年度 cell is kept, locked, in a hidden row off the printout."""
    department = _pages(printed / "hunan.pdf")[0]
    assert "资金总额" in department and "预算年度" not in department


def test_a_level1_run_cut_by_a_page_break_is_named_on_both_pages(tmp_path):
    """A Hebei project sheet given more indicator rows than a page holds breaks between rows
    (layout.row_breaks): the row that starts a page shows its 一级 and its line above, so a run of
    产出指标 across the break is named on both pages (like the cut 一级 labels of skeleton
    tables), and printed once on each."""
    from xltargets.layout.capacity import Capacity, requested

    spec = load_spec("hebei-county")
    capacity = Capacity.of(spec, requested(spec, indicator_rows=40))
    rows = [("产出指标", "数量指标", f"产出{i}") for i in range(30)] + [
        ("效益指标", "社会效益指标", f"效益{i}") for i in range(8)]
    values = {("indicators", i, col): text for i, row in enumerate(rows)
              for col, text in zip(("level1", "level2", "level3"), row, strict=True)}
    built = build_template(spec, 2022, projects=1, values={"项目1": values}, capacity=capacity)
    (sheet,) = built.layout.sheets_of("project")
    assert sheet.row_breaks, "40 indicator rows must not fit one page"
    xlsx, pdf = tmp_path / "long.xlsx", tmp_path / "long.pdf"
    xlsx.write_bytes(built.data)
    client.ensure_ok(client.run_jobs([{"op": "pdf", "src": xlsx, "dst": pdf}])[0])
    pages = [p.split() for p in _pages(pdf) if "产出0" in p or "效益0" in p or "产出29" in p]
    assert len(pages) == 2
    assert [page.count("产出指标") for page in pages] == [1, 1]
    assert [page.count("效益指标") for page in pages] == [0, 1]
