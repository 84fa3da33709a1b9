"""The Shanghai district form (spec ``shanghai-district``): a third province from a YAML file alone.

Two forms transcribed in the published style (tests/shanghai_forms.py) are written into generated
templates, read back with every value equal and checked by the spec's rules; planted mistakes of
this style (万元 in a 元 cell, an inverted period, a budget year outside it, a year larger than the
whole) are reported by the rules the spec names.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import shanghai_forms as sf

from xltargets.generate import Department, build_template
from xltargets.layout import plan
from xltargets.read import read_workbook
from xltargets.spec import load_spec


def _write(path: Path, fill: dict[str, dict[tuple[str | int, ...], Any]], year: int = sf.YEAR) -> Path:
    built = build_template(load_spec(sf.SPEC), year, projects=2, values=fill)
    path.write_bytes(built.data)
    return path


def _codes(sub: Any) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.sheet, f.cell) for f in sub.findings]


def assert_forms_read_back(data: dict[str, Any]) -> None:
    """Every value of both forms, as the submission JSON holds it."""
    assert data["spec"]["id"] == sf.SPEC and data["year"] == sf.YEAR
    assert data["department"]["unit_code"] == sf.UNIT_CODE
    assert data["department"]["unit_name"] == sf.UNIT_NAME
    assert len(data["projects"]) == 2
    for project, (fields, rows) in zip(data["projects"], sf.PROJECTS, strict=True):
        for key, want in sf.expected_json(fields).items():
            assert project[key] == want, (project["sheet"], key)
        got_rows = [(r["level1"], r["level2"], r["level3"], r["value"]["text"])
                    for r in project["indicators"]]
        assert got_rows == list(rows)


def test_both_forms_read_back_clean(tmp_path):
    sub = read_workbook(_write(tmp_path / "sh.xlsx", sf.fill()))
    assert sub.findings == []
    data = sub.to_json()
    assert_forms_read_back(data)
    road = data["projects"][0]
    # the published value shapes are parsed, not only kept as text
    values = {r["level3"]: r["value"] for r in road["indicators"]}
    assert values["工程验收合格率"]["comparison"] == "=" and values["工程验收合格率"]["number"] == "100.00"
    assert values["道路新建长度"]["number"] == "985" and values["道路新建长度"]["unit"] == "米"
    assert values["施工扬尘噪声影响"]["kind"] == "qualitative"
    assert values["项目总投资控制"]["number"] == "771325800.00"


def test_layout_is_the_published_form():
    spec = load_spec(sf.SPEC)
    layout = plan(spec, 1)
    sheet = layout.sheets_of("project")[0]
    texts = {s.text for s in sheet.statics}
    for label in ("财政项目支出绩效目标申报表", "（{{ year }}年度）", "项目资金总额", "年度资金申请总额",
                  "其中：财政资金", "其中：当年财政拨款", "上年结转资金", "项目总目标", "年度总体目标",
                  "一级指标", "二级指标", "三级指标", "年度(/项目)指标值", "计划开始日期", "计划完成日期"):
        assert label in texts, label
    # the money block: the whole project and this year side by side, on the same rows
    total, year = sheet.input("total_funds").box, sheet.input("year_funds").box
    assert total.r1 == year.r1 and total.c1 < year.c1
    assert sheet.input("total_fiscal").box.r1 == sheet.input("year_appropriation").box.r1
    assert sheet.input("total_other").box.r1 == sheet.input("year_other").box.r1
    assert {c.money_unit for c in sheet.scalar_inputs() if c.kind.value == "money"} == {"元"}


def test_money_prints_in_yuan_with_thousands_separators(tmp_path):
    import zipfile

    path = _write(tmp_path / "sh.xlsx", sf.fill())
    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    assert 'formatCode="#,##0.00"' in styles
    sheet = plan(load_spec(sf.SPEC), 2).sheets_of("project")[0]
    money = next(v for v in sheet.validations if v.ref == sheet.input("total_funds").box.ref)
    assert "（元）" in money.options["input_message"] and "万元" not in money.options["input_message"]


def test_typed_thousands_separators_and_units_are_read(tmp_path):
    fill = sf.fill()
    fill["项目1"][("total_funds",)] = "771,325,800.00"
    fill["项目1"][("total_fiscal",)] = "771,325,800.00元"
    fill["项目1"][("year_funds",)] = "22614.51万元"   # typed with its unit: converted, with a warning
    sub = read_workbook(_write(tmp_path / "sh.xlsx", fill))
    road = sub.to_json()["projects"][0]
    assert road["total_funds"] == "771325800.00" and road["total_fiscal"] == "771325800.00"
    assert road["year_funds"] == "226145100.00"
    assert [c for c, _, _ in _codes(sub)] == ["money_in_wan"]


def test_wan_figure_in_a_yuan_cell_is_a_warning(tmp_path):
    fill = sf.fill()
    fill["项目1"][("year_funds",)] = Decimal("22614.51")
    fill["项目1"][("year_appropriation",)] = Decimal("18000.00")
    fill["项目1"][("year_carryover",)] = Decimal("4614.51")
    sub = read_workbook(_write(tmp_path / "sh.xlsx", fill))
    sheet = plan(load_spec(sf.SPEC), 2).sheets_of("project")[0]
    found = {(c, cell) for c, s, cell in _codes(sub) if s == "项目1"}
    assert found == {("money_scale_suspect", sheet.input("year_funds").box.ref),
                     ("money_scale_suspect", sheet.input("year_appropriation").box.ref)}
    assert all(f.severity.value == "warning" for f in sub.findings)
    message = next(f.message for f in sub.findings if f.cell == sheet.input("year_funds").box.ref)
    assert "22,614.51" in message and "226,145,100" in message and "万元" in message


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"end_date": dt.date(2023, 12, 31)}, "date_order", "end_date"),
    ({"start_date": dt.date(2027, 1, 1), "end_date": dt.date(2027, 12, 31)}, "year_outside_period",
     "start_date"),
    ({"end_date": dt.date(2025, 6, 30)}, "year_outside_period", "end_date"),
    ({"year_funds": Decimal("900000000.00"), "year_appropriation": Decimal("853854900.00")},
     "compare_failed", "year_funds"),
    ({"total_other": Decimal("100.00")}, "sum_mismatch", "total_funds"),
    ({"year_carryover": None}, "sum_mismatch", "year_funds"),
])
def test_rules_of_the_style(tmp_path, change, code, field):
    fill = sf.fill()
    for key, value in change.items():
        if value is None:
            fill["项目1"].pop((key,), None)
        else:
            fill["项目1"][(key,)] = value
    sub = read_workbook(_write(tmp_path / "sh.xlsx", fill))
    sheet = plan(load_spec(sf.SPEC), 2).sheets_of("project")[0]
    assert _codes(sub) == [(code, "项目1", sheet.input(field).box.ref)]


def test_taxonomy_and_required_categories(tmp_path):
    fill = sf.fill()
    # 成本指标 is a 一级 here: 数量指标 does not belong to it; no 效益指标 row is left
    project = fill["项目2"]
    project[("indicators", 0, "level2")] = "数量指标"
    for i in (4, 5):
        for col in sf.COLUMNS:
            project.pop(("indicators", i, col))
    sub = read_workbook(_write(tmp_path / "sh.xlsx", fill))
    assert sorted(c for c, s, _ in _codes(sub) if s == "项目2") == ["category_missing", "level2_mismatch"]


def test_check_cells_show_the_rules_verdicts(tmp_path):
    """The live check cells' cached values (what LibreOffice shows before recalculating)."""
    from python_calamine import CalamineWorkbook

    fill = sf.fill()
    fill["项目2"][("end_date",)] = dt.date(2025, 12, 31)
    path = _write(tmp_path / "sh.xlsx", fill)
    sheet = plan(load_spec(sf.SPEC), 2).sheets_of("project")[0]
    wb = CalamineWorkbook.from_path(str(path))
    shown = {}
    for name in ("项目1", "项目2"):
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        shown[name] = {c.rule_id: rows[c.box.r1][c.box.c1] for c in sheet.checks}
    assert set(shown["项目1"].values()) == {"平衡", "正常"}
    assert shown["项目2"]["period_order"] == "计划完成日期不能早于计划开始日期"
    assert shown["项目2"]["period_year"] == ""  # an inverted period: the order check speaks
    assert shown["项目2"]["total_split"] == "平衡"


def test_roster_prefills_unit_and_projects(tmp_path):
    from xltargets.generate import read_roster

    roster = Path(__file__).resolve().parent.parent / "examples" / "roster-shanghai.csv"
    departments = read_roster(roster, load_spec(sf.SPEC))
    assert len(departments) >= 2
    first = departments[0]
    assert first.projects[0]["total_funds"] == Decimal("771325800.00")
    built = build_template(load_spec(sf.SPEC), sf.YEAR, department=first)
    path = tmp_path / "t.xlsx"
    path.write_bytes(built.data)
    data = read_workbook(path).to_json()
    assert data["department"]["unit_code"] == first.unit_code
    assert data["department"]["unit_name"] == first.unit_name
    road = data["projects"][0]
    assert road["project_name"] == first.projects[0]["project_name"]
    assert road["supervisor"] and road["implementer"]
    assert road["total_funds"] == "771325800.00"


def test_department_name_comes_from_roles_not_ids():
    from xltargets.collect._model import FormRoles

    roles = FormRoles.of(sf.SPEC)
    data = {"department": {"unit_code": "X1", "unit_name": "某单位"},
            "projects": [{"project_name": "甲", "indicators": [
                {"row": 1, "level1": "产出指标", "level2": "数量指标", "level3": "长度",
                 "value": {"text": "985米", "kind": "quantitative"}}]}]}
    assert (roles.unit_code(data), roles.unit_name(data)) == ("X1", "某单位")
    assert roles.project_name(data["projects"][0]) == "甲"
    assert roles.project_code(data["projects"][0]) is None   # this form has no project code
    assert [r.level3 for r in roles.indicators(data["projects"][0])] == ["长度"]


def test_blank_template_reads_without_crash(tmp_path):
    path = tmp_path / "blank.xlsx"
    path.write_bytes(build_template(load_spec(sf.SPEC), sf.YEAR,
                                    department=Department("PT9", "某单位", projects=[{}])).data)
    sub = read_workbook(path)
    codes = {f.code for f in sub.findings}
    assert codes <= {"required_missing", "category_missing"}


# --- the whole round: generate with a roster → fill → collect with the manifest ----------------

def _round(tmp_path: Path) -> dict[str, Any]:
    import json

    from xltargets.collect import collect
    from xltargets.generate import generate_batch, read_roster

    spec = load_spec(sf.SPEC)
    roster = Path(__file__).resolve().parent.parent / "examples" / "roster-shanghai.csv"
    sent = tmp_path / "sent"
    manifest = generate_batch(spec, sf.YEAR, roster, sent)
    departments = {d.unit_code: d for d in read_roster(roster, spec)}
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # PT0301 returns both forms as transcribed: the roster's cells are already written and locked
    clean = sf.fill()
    clean[sf.UNIT_SHEET] = {("contact",): "王敏", ("phone",): "021-52564588"}
    built = build_template(spec, sf.YEAR, department=departments["PT0301"], values=clean)
    (inbox / "PT0301_建管委.xlsx").write_bytes(built.data)
    # PT0412 returns its one project with an inverted period and other funds that break the sum
    green = {("project_nature",): "经常性项目", ("project_category",): "运转类（其他运转类）",
             ("start_date",): dt.date(2026, 12, 31), ("end_date",): dt.date(2026, 1, 1),
             ("total_other",): Decimal("365.00"),
             ("total_goal",): "完成苏州河沿岸绿地日常养护。", ("year_goal",): "绿地养护达标率不低于95%。"}
    for i, row in enumerate([("产出指标", "质量指标", "绿地养护达标率", "≥95.00(%)"),
                             ("效益指标", "生态效益指标", "沿岸景观效果", "明显改善")]):
        for column, value in zip(sf.COLUMNS, row, strict=True):
            green[("indicators", i, column)] = value
    built2 = build_template(spec, sf.YEAR, department=departments["PT0412"], values={"项目1": green})
    (inbox / "PT0412_绿化市容局.xlsx").write_bytes(built2.data)
    sent_ids = {w["unit_code"]: w["template_id"] for w in manifest["workbooks"]}
    assert sent_ids == {"PT0301": built.stamp.template_id, "PT0412": built2.stamp.template_id}
    out = tmp_path / "out"
    result = collect(inbox, out, manifest=sent / "manifest.json", jobs=1)
    lines = [json.loads(line) for line in (out / "submissions.jsonl").read_text("utf-8").splitlines()]
    return {"result": result, "out": out, "lines": lines}


def test_whole_round_database(tmp_path):
    import sqlite3

    run = _round(tmp_path)
    assert run["result"].counts["accepted"] == 1 and run["result"].counts["rejected"] == 1
    db = sqlite3.connect(run["out"] / "xltargets.db")
    try:
        departments = db.execute(
            "select unit_code, unit_name, status from departments order by unit_code").fetchall()
        projects = db.execute(
            "select s.unit_code, p.sheet, p.project_code, p.project_name, p.indicators, p.fields "
            "from projects p join submissions s on s.id = p.submission_id "
            "order by s.unit_code, p.number").fetchall()
        indicators = db.execute(
            "select i.sheet, i.row, level1, level2, level3, value_text, comparison, number, unit "
            "from indicators i join submissions s on s.id = i.submission_id "
            "where s.unit_code = 'PT0301' order by i.sheet, i.row").fetchall()
        findings = db.execute("select code, sheet from findings order by code").fetchall()
    finally:
        db.close()
    assert departments == [("PT0301", sf.UNIT_NAME, "accepted"),
                           ("PT0412", "上海市普陀区绿化和市容管理局", "rejected")]
    assert [(u, s, c, n, k) for u, s, c, n, k, _ in projects] == [
        ("PT0301", "项目1", None, sf.ROAD["project_name"], 7),
        ("PT0301", "项目2", None, sf.DEMOLITION["project_name"], 7),
        ("PT0412", "项目1", None, "苏州河沿岸绿地养护项目", 2)]
    import json as _json

    road_fields = _json.loads(projects[0][5])
    assert road_fields["total_funds"] == "771325800.00" and road_fields["start_date"] == "2024-03-01"
    expected = [(f"项目{n}", i + 1, *row) for n, (_, rows) in enumerate(sf.PROJECTS, start=1)
                for i, row in enumerate(rows)]
    assert [r[:6] for r in indicators] == expected
    first = indicators[2]   # 工程验收合格率 =100.00(%)
    assert first[5] == "=100.00(%)" and first[6] == "=" and first[7] == "100.00"
    assert ("date_order", "项目1") in findings and ("sum_mismatch", "项目1") in findings


def test_whole_round_summary_report_and_feedback(tmp_path):
    import openpyxl

    run = _round(tmp_path)
    out = run["out"]
    wb = openpyxl.load_workbook(out / "汇总表.xlsx")
    rows = list(wb["项目汇总"].iter_rows(values_only=True))
    header = rows[0]
    for label in ("项目名称", "主管部门", "实施单位", "计划开始日期", "项目资金总额（元）",
                  "年度资金申请总额（元）"):
        assert label in header, label
    by_name = {r[header.index("项目名称")]: r for r in rows[1:]}
    assert by_name[sf.ROAD["project_name"]][header.index("项目资金总额（元）")] == 771325800
    assert by_name[sf.DEMOLITION["project_name"]][header.index("年度资金申请总额（元）")] == 10308000
    indicators = list(wb["绩效指标"].iter_rows(values_only=True))
    values = [r[indicators[0].index("指标值")] for r in indicators[1:]]
    assert "=100.00(%)" in values and "985米" in values and "可控" in values
    report = (out / "report.html").read_text("utf-8")
    assert "上海市普陀区绿化和市容管理局" in report and "计划完成日期" in report
    copies = sorted((out / "feedback").glob("*.xlsx"))
    assert len(copies) == 1 and "PT0412" in copies[0].name
    feedback = openpyxl.load_workbook(copies[0])
    sheet = plan(load_spec(sf.SPEC), 1).sheets_of("project")[0]
    ref = sheet.input("end_date").box.ref
    comment = feedback["项目1"][ref].comment
    assert comment is not None and "早于" in comment.text
    # the department's values are in the copy, in 元 with thousands separators
    cell = feedback["项目1"][sheet.input("total_funds").box.ref]
    assert cell.value == 3650000 and cell.number_format == "#,##0.00"
