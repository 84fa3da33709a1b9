"""Clean filled forms of both specs, and ways to write them, shared by the read tests.

A "fill" is ``{sheet name: {input path: value}}``: what a department types, by the layout's
paths. :func:`write_fill` draws it with the generator (fast); the LibreOffice tests fill the
blank template through a real spreadsheet program instead, by defined names.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from xltargets.generate import build_template
from xltargets.layout import plan
from xltargets.spec import load_spec

Fill = dict[str, dict[tuple[str | int, ...], Any]]

HEBEI_YEAR = 2022
HUNAN_YEAR = 2024


def skeleton_row(spec_id: str, sheet_key: str, level2: str, nth: int = 0, projects: int = 1) -> int:
    """The layout row index of the nth row of a 二级 category in a skeleton table."""
    layout = plan(load_spec(spec_id), projects)
    sheet = layout.sheets_of(sheet_key)[0]
    rows = [r.index for r in sheet.tables["indicators"].rows if r.fixed.get("level2") == level2]
    return rows[nth]


def hebei_clean() -> Fill:
    project = {
        ("project_code",): "13022522P002H4T100074",
        ("project_name",): "购买舆情监测服务",
        ("budget_total",): Decimal("50.00"),
        ("budget_fiscal",): Decimal("45.50"),
        ("budget_other",): Decimal("4.50"),
        ("funds_use",): "购买常规舆情监测服务",
        ("plan_mar",): Decimal("25"),
        ("plan_jun",): Decimal("50"),
        ("plan_oct",): Decimal("75"),
        ("plan_dec",): Decimal("100"),
        ("goal",): "1.监测和研判重大网络事件和舆情、舆情处置。",
    }
    rows = [
        ("产出指标", "质量指标", "互联网重大突发事件应急处置率", "有害信息处置情况", "≥90%", "计划标准"),
        ("产出指标", "成本指标", "专项资金使用率", "项目资金使用情况", "≤50万元", "年初工作计划"),
        ("效益指标", "社会效益指标", "社会影响力", "维护社会网络安全", "长期", "历史标准"),
        ("满意度指标", "服务对象满意度指标", "服务对象满意度", "干群满意度", "≥90%", "行业标准"),
    ]
    cols = ("level1", "level2", "level3", "description", "value", "basis")
    for i, row in enumerate(rows):
        for col, value in zip(cols, row, strict=True):
            project[("indicators", i, col)] = value
    return {
        "部门整体绩效目标": {
            ("unit_code",): "224002",
            ("unit_name",): "中共乐亭县委网络安全和信息化委员会办公室",
            ("overall_goal",): "深入学习宣传习近平总书记重要讲话精神，维护互联网意识形态安全。",
            ("sub_goals", 0): "1、开发网信乐亭平台功能。",
            ("sub_goals", 1): "2、组织各级网评员学习培训。",
            ("safeguards", 0): "（一）完善制度建设。",
        },
        "项目1": project,
    }


def hunan_clean() -> Fill:
    dept: dict[tuple[str | int, ...], Any] = {
        ("dept_name",): "中共沅江市委网络安全和信息化委员会办公室",
        ("budget_total",): Decimal("109.04"),
        ("income_general",): Decimal("109.04"),
        ("income_special",): Decimal("0"),
        ("income_other",): Decimal("0"),
        ("expense_basic",): Decimal("99.44"),
        ("expense_project",): Decimal("9.60"),
        ("functions",): "负责处理市委网信委日常事务工作。",
        ("overall_goal",): "围绕中心服务大局，做好网络舆论宣传与舆情管理。",
        ("filled_by",): "严飞",
        ("phone",): "17763740907",
        ("filled_date",): dt.date(2024, 6, 20),
    }
    for level2, level3, value in [
        ("数量指标", "开展网络舆情监测", "≥300次"),
        ("质量指标", "网民留言回复率", "≥95%"),
        ("成本指标", "日常工作成本", "≤全年预算数"),
        ("经济效益指标", "……", None),
        ("社会公众或服务对象满意度指标", "网民留言回复满意度", "≥95%"),
    ]:
        i = skeleton_row("hunan", "department", level2)
        dept[("indicators", i, "level3")] = level3
        if value is not None:
            dept[("indicators", i, "value")] = value
    project: dict[tuple[str | int, ...], Any] = {
        ("project_name",): "B网络舆情监测管理平台维护费",
        ("budget_local",): Decimal("9.60"),
        ("budget_upper",): Decimal("0"),
        ("period",): "一年",
        ("period_goal",): "通过日常舆情监测确保全市舆情稳定可控。",
        ("year_goal",): "通过日常舆情监测确保全市舆情稳定可控。",
        ("filled_by",): "严飞",
        ("phone",): "0737-4567890",
        ("filled_date",): dt.date(2024, 6, 20),
    }
    for level2, level3, value in [
        ("数量指标", "监测软件账号数量", "≥3个"),
        ("成本指标", "控制日常运行经费", "≤9.6万元"),
        ("社会效益指标", "确保全市舆情平稳", "重大舆情事件≤1件"),
    ]:
        i = skeleton_row("hunan", "project", level2)
        project[("indicators", i, "level3")] = level3
        project[("indicators", i, "value")] = value
    return {"部门整体支出绩效目标表": dept, "项目1": project}


CLEAN = {"hebei-county": (hebei_clean, HEBEI_YEAR), "hunan": (hunan_clean, HUNAN_YEAR)}


def write_fill(spec_id: str, fill: Fill, path: Path, *, year: int | None = None,
               projects: int = 1) -> Path:
    spec = load_spec(spec_id)
    built = build_template(spec, year or CLEAN[spec_id][1], projects=projects, values=fill)
    path.write_bytes(built.data)
    return path


def rewrite(path: Path, change: Any) -> Path:
    """Rewrite a workbook's zip parts in place: ``change(part name, bytes) -> bytes``. How the
    tests imitate what other programs (or people) do to a saved file."""
    import io
    import zipfile

    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info.filename)) for info in src.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in parts:
            dst.writestr(info, change(info.filename, data))
    path.write_bytes(buf.getvalue())
    return path


def libreoffice_cells(spec_id: str, fill: Fill, projects: int = 1) -> list[dict[str, Any]]:
    """The same fill as LibreOffice jobs: every value set through its defined name."""
    layout = plan(load_spec(spec_id), projects)
    cells = []
    for sheet in layout.sheets:
        values = fill.get(sheet.name, {})
        for inp in sheet.inputs:
            if inp.path not in values:
                continue
            value = values[inp.path]
            if value is None:
                continue  # left blank
            job: dict[str, Any] = {"sheet": sheet.name}
            if len(inp.path) == 1:
                job["name"] = inp.field
            elif len(inp.path) == 2:
                job.update(name=inp.field, index=inp.path[1])
            else:
                table = sheet.tables[str(inp.path[0])]
                job.update(name=f"{inp.path[0]}_{inp.path[2]}",
                           index=[r.index for r in table.rows].index(int(inp.path[1])))
            if isinstance(value, Decimal | int | float):
                job.update(value=str(value), type="number")
            elif isinstance(value, dt.date):
                # a date is a serial number in a date-formatted cell, as Excel stores it
                job.update(value=str((value - dt.date(1899, 12, 30)).days), type="number")
            else:
                job.update(value=str(value), type="string")
            cells.append(job)
    return cells
