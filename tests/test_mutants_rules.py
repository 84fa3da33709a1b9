"""What the spec rules say, on a real read and in a generated template, for `make mutate`.

Survivors of ``xltargets.rules`` in the mutation run (docs/testing.md): no selected test compared
a rule finding whole (its JSON path, value, ``extra`` and the labels in its message), the
boundaries of the Shanghai rules (a one-day period, a figure of 0 or exactly 1/1000 of the
largest), the comparison operators a spec may name but none of ours uses, nor the rules' Excel
face: the check cells' formulas and cached verdicts and the validation formulas written into a
template. The LibreOffice tests (tests/test_shanghai_libreoffice.py
``test_check_cells_recalculate_in_libreoffice_as_the_reader_decides``,
tests/test_libreoffice_typing.py) show those formulas give in LibreOffice the verdict the reader
gives; they take seconds each and start LibreOffice, so here the exact formulas a generated
template holds are compared in this process, read from the template's own XML.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import shanghai_forms as sf
from forms import CLEAN, write_fill

from xltargets.errors import SpecError
from xltargets.generate import Department, build_template
from xltargets.layout import plan
from xltargets.read import read_workbook
from xltargets.rules import Compare, DateOrder, ExcelSheet
from xltargets.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
HUNAN_DEPT = "部门整体支出绩效目标表"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _project(base: dict[tuple[str | int, ...], Any], **change: Any) -> dict[tuple[str | int, ...], Any]:
    out = dict(base)
    for key, value in change.items():
        if value is None:
            out.pop((key,), None)
        else:
            out[(key,)] = value
    return out


def _shanghai(*projects: dict[tuple[str | int, ...], Any]) -> bytes:
    fill = sf.fill()
    for n, project in enumerate(projects, start=1):
        fill[f"项目{n}"] = project
    return build_template(load_spec(sf.SPEC), sf.YEAR, projects=len(projects), values=fill).data


class Workbook:
    """A generated template's sheets as XML: formula cells and data validations, by sheet name."""

    def __init__(self, data: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        book = ElementTree.fromstring(self.zip.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels.iter(REL)}
        self.paths = {s.get("name"): "xl/" + target[s.get(f"{{{NS['r']}}}id")]
                      for s in book.iterfind("m:sheets/m:sheet", NS)}
        order = [s.get("name") for s in book.iterfind("m:sheets/m:sheet", NS)]
        #: (defined name, the sheet it is local to) -> its formula
        self.names = {(d.get("name"), order[int(d.get("localSheetId", -1))] if d.get("localSheetId") else None):
                      d.text for d in book.iterfind("m:definedNames/m:definedName", NS)}

    def _sheet(self, name: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.zip.read(self.paths[name]))

    def formulas(self, name: str) -> dict[str, tuple[str, str]]:
        """cell -> (formula, cached value)"""
        out = {}
        for c in self._sheet(name).iter(f"{{{NS['m']}}}c"):
            f = c.find("m:f", NS)
            if f is not None:
                v = c.find("m:v", NS)
                out[c.get("r")] = (f.text, (v.text or "") if v is not None else "")
        return out

    def validations(self, name: str) -> dict[str, tuple[str, str]]:
        """cell range -> (formula1, what stopping looks like: its title, whether it lets the
        value in, its message)"""
        return {dv.get("sqref"): (dv.find("m:formula1", NS).text, dv.get("errorTitle"),
                                  dv.get("errorStyle", "stop"), dv.get("error"))
                for dv in self._sheet(name).iter(f"{{{NS['m']}}}dataValidation")}


def _checks(spec_id: str, key: str = "project") -> dict[str, str]:
    """rule id -> the address of its check cell (one layout for every sheet of ``key``)."""
    return {c.rule_id: c.box.ref for c in plan(load_spec(spec_id), 1).sheets_of(key)[0].checks}


# --- findings on a real read ------------------------------------------------------------------

def test_the_shanghai_rules_findings_are_whole_on_every_project(tmp_path):
    """Seven projects: a clean one first (every rule passes it and must go on to the next), an
    unreadable amount with a period ending before the budget year, an inverted period with a
    year larger than the whole, a period after the budget year with figures typed in 万元, a
    blank year figure with a one-day period inside the year (no finding), a one-day period
    after the year, and a period with no end (no finding)."""
    road, other = sf.fill()["项目1"], sf.fill()["项目2"]
    path = tmp_path / "sh.xlsx"
    path.write_bytes(_shanghai(
        road,
        _project(other, year_funds="abc", start_date=dt.date(2024, 1, 1), end_date=dt.date(2025, 12, 31)),
        _project(other, year_funds=Decimal("12000000.00"), year_appropriation=Decimal("12000000.00"),
                 start_date=dt.date(2026, 7, 1), end_date=dt.date(2026, 6, 30)),
        _project(other, start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 3, 31),
                 year_funds=Decimal("2261.45"), year_appropriation=Decimal("1800.00"),
                 year_carryover=Decimal("461.45")),
        _project(other, year_funds=None, start_date=dt.date(2026, 6, 30), end_date=dt.date(2026, 6, 30)),
        _project(other, start_date=dt.date(2025, 6, 30), end_date=dt.date(2025, 6, 30)),
        _project(other, end_date=None),
    ))
    assert read_workbook(path).to_json()["findings"] == [
        {"severity": "error", "code": "year_outside_period",
         "message": "预算年度2026年不在项目实施期（2024-01-01至2025-12-31）内",
         "sheet": "项目2", "cell": "E6", "path": "projects[1].end_date", "value": "2025-12-31",
         "extra": {"rule": "period_year"}},
        {"severity": "error", "code": "invalid_number",
         "message": "“年度资金申请总额”应填写金额（元，数字），实际填写“abc”",
         "sheet": "项目2", "cell": "E7", "path": "projects[1].year_funds", "value": "abc"},
        {"severity": "error", "code": "date_order",
         "message": "计划完成日期（2026-06-30）早于计划开始日期（2026-07-01）",
         "sheet": "项目3", "cell": "E6", "path": "projects[2].end_date", "value": "2026-06-30",
         "extra": {"rule": "period_order"}},
        {"severity": "error", "code": "compare_failed",
         "message": "年度资金申请总额(12000000.00)不应大于项目资金总额(10308000.00)，请核对",
         "sheet": "项目3", "cell": "E7", "path": "projects[2].year_funds", "value": "12000000.00",
         "extra": {"rule": "year_within_total", "right": "10308000.00"}},
        {"severity": "error", "code": "year_outside_period",
         "message": "预算年度2026年不在项目实施期（2027-01-01至2027-03-31）内",
         "sheet": "项目4", "cell": "B6", "path": "projects[3].start_date", "value": "2027-01-01",
         "extra": {"rule": "period_year"}},
        {"severity": "error", "code": "year_outside_period",
         "message": "预算年度2026年不在项目实施期（2025-06-30至2025-06-30）内",
         "sheet": "项目6", "cell": "E6", "path": "projects[5].end_date", "value": "2025-06-30",
         "extra": {"rule": "period_year"}},
        {"severity": "warning", "code": "money_scale_suspect",
         "message": "“年度资金申请总额”为2,261.45，远小于本表其他金额（最大10,308,000.00），"
                    "本表金额单位为元，是否按万元填写？如按万元应为22,614,500.00",
         "sheet": "项目4", "cell": "E7", "path": "projects[3].year_funds", "value": "2261.45",
         "extra": {"rule": "money_scale"}},
        {"severity": "warning", "code": "money_scale_suspect",
         "message": "“其中：当年财政拨款”为1,800.00，远小于本表其他金额（最大10,308,000.00），"
                    "本表金额单位为元，是否按万元填写？如按万元应为18,000,000.00",
         "sheet": "项目4", "cell": "E8", "path": "projects[3].year_appropriation", "value": "1800.00",
         "extra": {"rule": "money_scale"}},
    ]


# --- the Excel face: formulas and cached verdicts in a generated template -------------------

def test_the_shanghai_rules_excel_face_in_a_generated_template():
    """The check cells' formulas, and the conditions the rules add to their cells' validation
    (with the words shown when Excel refuses), exactly as the template holds them."""
    book = Workbook(_shanghai(sf.fill()["项目1"]))
    at = _checks(sf.SPEC)
    formulas = book.formulas("项目1")
    assert {rule: formulas[ref][0] for rule, ref in at.items()} == {
        "period_year": 'IF(OR(COUNT(B6,E6)<2,E6<B6),"",'
                       'IF(AND(YEAR(B6)<=2026,YEAR(E6)>=2026),"正常","2026年度不在项目实施期内"))',
        "period_order": 'IF(COUNT(B6,E6)<2,"",IF(E6>=B6,"正常","计划完成日期不能早于计划开始日期"))',
        "year_within_total": 'IF(COUNT(E7,C7)<2,"",IF(E7<=C7,"正常","年度资金申请总额不应大于项目资金总额"))',
        "total_split": 'IF(COUNT(C7,C8,C10)=0,"",IF(ROUND(SUM(C8,C10)-N(C7),2)=0,"平衡","不平衡"))',
        "year_split": 'IF(COUNT(E7,E8,E9,E10)=0,"",IF(ROUND(SUM(E8,E9,E10)-N(E7),2)=0,"平衡","不平衡"))',
        "money_scale": 'IF(COUNT(C7,C8,E7,E8)=0,"",IF(OR('
                       + ",".join(f"AND(N({r})>0,N({r})*1000<MAX(C7,C8,E7,E8))"
                                  for r in ("C7", "C8", "E7", "E8"))
                       + '),"有金额似按万元填写，请核对","正常"))',
    }
    date = "AND(ISNUMBER({0}),{0}>=DATE(2000,1,1),{0}<=DATE(2099,12,31))"
    validations = book.validations("项目1")
    assert {ref: validations[ref] for ref in ("B6", "E6", "E7")} == {
        "B6": (f"AND({date.format('B6')},YEAR(B6)<=2026)", "填写有误", "stop",
               "请输入有效日期，如 2025-06-20；计划开始日期应不晚于预算年度2026年"),
        "E6": (f"AND({date.format('E6')},OR(ISBLANK(B6),E6>=B6),YEAR(E6)>=2026)", "填写有误", "stop",
               "请输入有效日期，如 2025-06-20；计划完成日期不能早于计划开始日期；计划完成日期应不早于预算年度2026年"),
        "E7": ("AND(AND(ISNUMBER(E7),E7>=0),OR(ISBLANK(C7),E7<=C7))", "填写有误", "stop",
               "金额应为不小于0的数字（元），不要输入单位或文字；年度资金申请总额不应大于项目资金总额"),
    }


def test_the_shanghai_check_cells_cached_verdicts():
    """What each check cell shows before any recalculation (LibreOffice shows the cached value
    until a cell it depends on is edited), on projects at the rules' boundaries."""
    road, other = sf.fill()["项目1"], sf.fill()["项目2"]
    book = Workbook(_shanghai(
        road,   # everything right
        # a year larger than the whole; a one-day period; a zero figure is not 万元
        _project(other, year_funds=Decimal("12000000.00"), year_appropriation=Decimal("0.00"),
                 year_carryover=Decimal("12000000.00"),
                 start_date=dt.date(2026, 3, 1), end_date=dt.date(2026, 3, 1)),
        # a blank year figure; an inverted period; a figure of exactly 1/1000 of the largest
        _project(other, year_funds=None, year_appropriation=Decimal("10308.00"),
                 start_date=dt.date(2026, 7, 1), end_date=dt.date(2026, 6, 30)),
        # no end date; a figure under 1 元 typed in 万元
        _project(other, end_date=None, year_appropriation=Decimal("0.50"),
                 year_carryover=Decimal("10307999.50")),
        # a period after the budget year; no amount at all
        _project({k: v for k, v in other.items() if k[0] not in (
            "total_funds", "total_fiscal", "year_funds", "year_appropriation")},
            start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31)),
        # periods starting on the year's last day, ending on the previous year's last day
        _project(other, start_date=dt.date(2026, 12, 31), end_date=dt.date(2027, 6, 30)),
        _project(other, start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31)),
    ))
    at = _checks(sf.SPEC)
    ok = {"period_order": "正常", "year_within_total": "正常", "total_split": "平衡",
          "year_split": "平衡", "money_scale": "正常"}
    shown = {n: {rule: book.formulas(f"项目{n}")[ref][1] for rule, ref in at.items()} for n in range(1, 8)}
    assert shown == {
        1: {"period_year": "正常", "period_order": "正常", "year_within_total": "正常",
            "total_split": "平衡", "year_split": "平衡", "money_scale": "正常"},
        2: {"period_year": "正常", "period_order": "正常",
            "year_within_total": "年度资金申请总额不应大于项目资金总额",
            "total_split": "平衡", "year_split": "平衡", "money_scale": "正常"},
        3: {"period_year": "", "period_order": "计划完成日期不能早于计划开始日期",
            "year_within_total": "", "total_split": "平衡", "year_split": "不平衡", "money_scale": "正常"},
        4: {"period_year": "", "period_order": "", "year_within_total": "正常",
            "total_split": "平衡", "year_split": "平衡", "money_scale": "有金额似按万元填写，请核对"},
        5: {"period_year": "2026年度不在项目实施期内", "period_order": "正常", "year_within_total": "",
            "total_split": "", "year_split": "", "money_scale": ""},
        6: {**ok, "period_year": "正常"},
        7: {**ok, "period_year": "2026年度不在项目实施期内"},
    }


# --- what a spec may name that ours do not: every operator, a label with a quote -------------

@pytest.mark.parametrize(("op", "verdicts", "excel", "words"), [
    ("<=", ("正常", "正常", "年度资金不应大于总额"), "<=", "不应大于"),
    ("<", ("正常", "年度资金应小于总额", "年度资金应小于总额"), "<", "应小于"),
    (">=", ("年度资金不应小于总额", "正常", "正常"), ">=", "不应小于"),
    (">", ("年度资金应大于总额", "年度资金应大于总额", "正常"), ">", "应大于"),
    ("=", ("年度资金应等于总额", "正常", "年度资金应等于总额"), "=", "应等于"),
])
def test_compare_with_every_operator(op, verdicts, excel, words):
    """A compare rule's verdict for a left side below, equal to and above the right one, and
    its Excel face: the operator in the formulas, the labels in the words."""
    rule = Compare.model_validate({"id": "c", "type": "compare", "sheet": "p", "left": "year",
                                   "op": op, "right": "total"})
    labels = {"year": "年度资金", "total": "总额"}
    got = tuple(rule.check_text({"year": Decimal(x), "total": Decimal(2)}, labels) for x in (1, 2, 3))
    assert got == verdicts
    assert rule.check_text({"year": Decimal(1), "total": None}, labels) == ""
    assert rule.check_text({"year": None, "total": Decimal(1)}, labels) == ""
    # without labels the field ids stand in
    assert rule.check_text({"year": Decimal(3), "total": Decimal(2)}) == (
        verdicts[2].replace("年度资金", "year").replace("总额", "total"))
    condition, check = rule.excel(ExcelSheet("p", {"year": "E7", "total": "C7"}, labels=labels))
    assert (condition.field, condition.formula, condition.message, condition.severity.value) == (
        "year", f"OR(ISBLANK(C7),E7{excel}C7)", f"年度资金{words}总额", "error")
    assert (check.rule_id, check.formula) == (
        "c", f'IF(COUNT(E7,C7)<2,"",IF(E7{excel}C7,"正常","年度资金{words}总额"))')
    assert rule.excel(ExcelSheet("other", {"year": "E7", "total": "C7"})) == []


def test_a_label_with_a_quote_is_doubled_in_the_excel_face_and_ids_stand_in_for_labels():
    order = DateOrder.model_validate({"id": "d", "type": "date_order", "sheet": "p",
                                      "start": "start", "end": "end"})
    labels = {"start": '"开始"日期', "end": "完成日期"}
    condition, check = order.excel(ExcelSheet("p", {"start": "B6", "end": "E6"}, labels=labels))
    assert (condition.field, condition.formula, condition.message, condition.severity.value) == (
        "end", "OR(ISBLANK(B6),E6>=B6)", '完成日期不能早于""开始""日期', "error")
    assert check == type(check)("d", 'IF(COUNT(B6,E6)<2,"",IF(E6>=B6,"正常","完成日期不能早于""开始""日期"))')
    # no labels: the field ids
    condition, _ = order.excel(ExcelSheet("p", {"start": "B6", "end": "E6"}))
    assert condition.message == "end不能早于start"
    assert order.check_text({"start": Decimal(46000), "end": Decimal(45999)}) == "end不能早于start"
    assert order.check_text({"start": Decimal(46000), "end": Decimal(45999)}, labels) == '完成日期不能早于"开始"日期'


# --- hunan: the projects' amounts against the department's total (cross_sheet_sum) -----------

def _hunan(tmp_path, name: str, department: dict[str, Any], projects: list[dict[str, Any]]) -> list[dict]:
    fill = CLEAN["hunan"][0]()
    fill[HUNAN_DEPT] = _project(fill[HUNAN_DEPT], **department)
    base = fill["项目1"]
    for n, change in enumerate(projects, start=1):
        fill[f"项目{n}"] = _project(base, **change)
    path = write_fill("hunan", fill, tmp_path / f"{name}.xlsx", projects=len(projects))
    return read_workbook(path).to_json()["findings"]


def _sums(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["code"] in ("projects_sum_mismatch", "sum_mismatch")]


def _projects_sum(message: str, total: str, got: str) -> dict[str, Any]:
    return {"severity": "warning", "code": "projects_sum_mismatch", "message": message,
            "sheet": HUNAN_DEPT, "cell": "E7", "path": "department.expense_project", "value": total,
            "extra": {"sum": got, "total": total, "rule": "projects_total"}}


def test_projects_that_do_not_add_up_to_the_departments_figure(tmp_path):
    """Over by less than 1 万元 across two projects, under by 0.50 with one."""
    over = _hunan(tmp_path, "over", {}, [{"budget_local": Decimal("5.10")}, {"budget_local": Decimal("5.00")}])
    assert _sums(over) == [_projects_sum(
        "2个项目的年度本级预算金额合计10.10，与项目支出(9.60)不相等，合计多0.50（如有项目未列入本表，可忽略）",
        "9.60", "10.10")]
    under = _hunan(tmp_path, "under", {}, [{"budget_local": Decimal("9.10")}])
    assert _sums(under) == [_projects_sum(
        "1个项目的年度本级预算金额合计9.10，与项目支出(9.60)不相等，合计少0.50（如有项目未列入本表，可忽略）",
        "9.60", "9.10")]


def test_no_projects_sum_over_an_unreadable_or_missing_figure(tmp_path):
    """An unreadable project amount, blank project amounts, a blank department figure: the sum
    says nothing (the cell's own finding does); a blank term of a sum_equals reads 空."""
    assert _sums(_hunan(tmp_path, "bad", {}, [{"budget_local": "abc"}, {"budget_local": Decimal("1.00")}])) == []
    assert _sums(_hunan(tmp_path, "blank", {}, [{"budget_local": None}, {"budget_local": None}])) == []
    assert _sums(_hunan(tmp_path, "nototal", {"expense_project": None}, [{}])) == [
        {"severity": "error", "code": "sum_mismatch",
         "message": "基本支出(99.44) + 项目支出(空) = 99.44，与资金总额(109.04)不相等，合计少9.60",
         "sheet": HUNAN_DEPT, "cell": "C4", "path": "department.budget_total", "value": "109.04",
         "extra": {"sum": "99.44", "total": "109.04", "rule": "expense_split"}}]


@pytest.mark.parametrize(("old", "new", "location", "message"), [
    ("sheet: project, field: budget_local,", "sheet: projet, field: budget_local,",
     "rules[2].sheet", "未知的工作表“projet”（可用：department、project）"),
    ("field: budget_local,\n", "field: budget_locl,\n",
     "rules[2].field", "工作表“project”上没有字段“budget_locl”（是否应为“budget_local”？）"),
    ("total_sheet: department,", "total_sheet: departmnt,",
     "rules[2].total_sheet", "未知的工作表“departmnt”（可用：department、project）"),
    ("total: expense_project, severity: warning}", "total: expense_projct, severity: warning}",
     "rules[2].total", "工作表“department”上没有字段“expense_projct”（是否应为“expense_project”？）"),
])
def test_a_misspelt_name_in_a_cross_sheet_sum_is_located(tmp_path, old, new, location, message):
    """Every name a cross_sheet_sum rule holds is checked where it is written (the rule lists
    them, ``references``): a misspelt one is an error at its key and line, never a rule that
    silently never fires."""
    text = (ROOT / "specs" / "hunan.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    errors = getattr(info.value, "all_errors", [info.value])
    assert [(e.location, e.line) for e in errors if message in e.message] == [
        (location, 1 + text[:text.index(old)].count("\n"))]


HEBEI_RULES = {
    "budget_split": "  - {id: budget_split, type: sum_equals, sheet: project, total: budget_total, "
                    "terms: [budget_fiscal, budget_other]}",
    "indicator_taxonomy": "  - {id: indicator_taxonomy, type: taxonomy, sheet: project, table: indicators}",
    "project_code_year": "  - {id: project_code_year, type: code_year, sheet: project, field: project_code}",
    "cost_cap": "  - {id: cost_cap, type: cost_cap, sheet: project, table: indicators, budget: budget_total}",
}
NO_SHEET = "未知的工作表“projct”（可用：department、project）"


@pytest.mark.parametrize(("rule", "old", "new", "errors"), [
    ("budget_split", "sheet: project", "sheet: projct", [("rules[0].sheet", NO_SHEET)]),
    ("budget_split", "total: budget_total", "total: budget_totl", [
        ("rules[0].total", "工作表“project”上没有字段“budget_totl”（是否应为“budget_total”？）")]),
    ("budget_split", "budget_other]", "budget_othr]", [
        ("rules[0].terms[1]", "工作表“project”上没有字段“budget_othr”（是否应为“budget_other”？）")]),
    ("indicator_taxonomy", "sheet: project", "sheet: projct", [("rules[2].sheet", NO_SHEET)]),
    ("indicator_taxonomy", "table: indicators", "table: indicator", [
        ("rules[2].table", "工作表“project”上没有表格“indicator”（是否应为“indicators”？）")]),
    ("project_code_year", "sheet: project", "sheet: projct", [("rules[4].sheet", NO_SHEET)]),
    ("project_code_year", "field: project_code", "field: project_cod", [
        ("rules[4].field", "工作表“project”上没有字段“project_cod”（是否应为“project_code”？）")]),
    ("cost_cap", "sheet: project", "sheet: projct", [("rules[5].sheet", NO_SHEET)]),
    ("cost_cap", "table: indicators", "table: indicator", [
        ("rules[5].table", "工作表“project”上没有表格“indicator”（是否应为“indicators”？）")]),
    ("cost_cap", "budget: budget_total", "budget: budget_tota", [
        ("rules[5].budget", "工作表“project”上没有字段“budget_tota”（是否应为“budget_total”？）")]),
    ("cost_cap", "budget: budget_total}", "budget: budget_total, column: valu, level2: 成本}", [
        ("rules[5].level2", "“成本”不是指标体系中的二级指标"),
        ("rules[5].column", "表格“indicators”没有“valu”列（是否应为“value”？）")]),
])
def test_a_misspelt_name_in_a_rule_is_an_error_at_its_key(tmp_path, rule, old, new, errors):
    """Each name a rule holds (``references``) is checked by the spec loader, at the rule's own
    key and line: a misspelt one never makes a rule that silently never fires."""
    text = (ROOT / "specs" / "hebei-county.yaml").read_text(encoding="utf-8")
    line = HEBEI_RULES[rule]
    assert text.count(line) == 1 and line.count(old) == 1
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(line, line.replace(old, new)), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    at = 1 + text[:text.index(line)].count("\n")
    assert [(e.location, e.line, e.message) for e in getattr(info.value, "all_errors", [info.value])] == [
        (location, at, message) for location, message in errors]


@pytest.mark.parametrize(("old", "new", "location", "message"), [
    ("sheet: project,\n     fields:", "sheet: projct,\n     fields:", "rules[1].sheet", NO_SHEET),
    ("plan_oct, plan_dec]", "plan_oc, plan_dec]", "rules[1].fields[2]",
     "工作表“project”上没有字段“plan_oc”（是否应为“plan_oct”？）"),
    ("amount_field: budget_total}", "amount_field: budget_tota}", "rules[1].amount_field",
     "工作表“project”上没有字段“budget_tota”（是否应为“budget_total”？）"),
    ("table: indicators,\n     level1:", "table: indicator,\n     level1:", "rules[3].table",
     "工作表“project”上没有表格“indicator”（是否应为“indicators”？）"),
    ("sheet: project, table: indicators,\n     level1:", "sheet: projct, table: indicators,\n     level1:",
     "rules[3].sheet", NO_SHEET),
    ("level1: [产出指标, 效益指标, 满意度指标]}", "level1: [产出指标, 效益, 满意度指标]}", "rules[3].level1[1]",
     "“效益”不是指标体系中的一级指标"),
])
def test_a_misspelt_name_in_a_two_line_rule_is_an_error_at_its_key(tmp_path, old, new, location, message,
                                                                   spec="hebei-county"):
    text = (ROOT / "specs" / f"{spec}.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    key = location.split(".")[-1].split("[")[0] + ":"
    at = 1 + text[:text.index(old) + max(old.find(key), 0)].count("\n")  # the line of the key
    assert [(e.location, e.line, e.message) for e in getattr(info.value, "all_errors", [info.value])] == [
        (location, at, message)]


@pytest.mark.parametrize(("old", "new", "location", "message"), [
    ("left: year_funds,", "left: year_fund,", "rules[2].left",
     "工作表“project”上没有字段“year_fund”（是否应为“year_funds”？）"),
    ("right: total_funds}", "right: total_fund}", "rules[2].right",
     "工作表“project”上没有字段“total_fund”（是否应为“total_funds”？）"),
    ("year_funds, year_appropriation]}", "year_funds, year_appropriatio]}", "rules[3].fields[3]",
     "工作表“project”上没有字段“year_appropriatio”（是否应为“year_appropriation”？）"),
    ("date_order, sheet: project, start: start_date,", "date_order, sheet: project, start: start_dat,",
     "rules[4].start", "工作表“project”上没有字段“start_dat”（是否应为“start_date”？）"),
    ("year_in_period, sheet: project, start: start_date, end: end_date}",
     "year_in_period, sheet: project, start: start_date, end: end_dat}",
     "rules[5].end", "工作表“project”上没有字段“end_dat”（是否应为“end_date”？）"),
])
def test_a_misspelt_field_of_a_shanghai_rule_is_an_error_at_its_key(tmp_path, old, new, location, message):
    """compare, money_scale, date_order and year_in_period: the error names the key that holds the
    misspelt field (``left``, ``fields[3]``, ``end``…), not one the rule does not have."""
    test_a_misspelt_name_in_a_two_line_rule_is_an_error_at_its_key(
        tmp_path, old, new, location, message, spec="shanghai-district")


# --- hebei: the spending plan (cumulative_percent) on every project ----------------------------

def test_the_spending_plan_findings_are_whole_on_every_project(tmp_path):
    """A plan with an unreadable milestone (its own finding only), a blank plan, a plan typed as
    the budget's amount (seed 003: 8.00 8.00 8.00 for a project of 8.00 万元), one above 100
    everywhere (amounts, not a typo), a decreasing one: each project's plan is judged on its own."""
    fill = CLEAN["hebei-county"][0]()
    base = fill["项目1"]

    def plan(*values: Any, **other: Any) -> dict[tuple[str | int, ...], Any]:
        return _project(base, **dict(zip(("plan_mar", "plan_jun", "plan_oct", "plan_dec"), values,
                                         strict=True)), **other)

    eight = Decimal("8.00")
    for n, project in enumerate([
        plan(Decimal(25), Decimal(50), Decimal(75), "abc"),
        plan(None, None, None, None),
        plan(eight, eight, eight, eight, budget_total=eight, budget_fiscal=eight, budget_other=Decimal(0)),
        plan(Decimal(120), Decimal(150), Decimal(200), Decimal(250)),
        plan(Decimal(25), Decimal(25), Decimal(20), Decimal(100)),   # equal is not decreasing
    ], start=1):
        fill[f"项目{n}"] = project
    path = write_fill("hebei-county", fill, tmp_path / "plans.xlsx", projects=5)
    findings = read_workbook(path).to_json()["findings"]
    rule = {"rule": "spending_plan"}
    assert [f for f in findings if f["code"].startswith("plan_")] == [
        {"severity": "error", "code": "plan_not_complete",
         "message": "资金支出计划未填写，“资金支出计划12月底”应达到100%",
         "sheet": "项目2", "cell": "E8", "path": "projects[1].plan_dec", "value": None, "extra": rule},
        {"severity": "error", "code": "plan_looks_like_amounts",
         "message": "资金支出计划应填写累计百分比（如 25、50、75、100），此处填写的是 8、8、8、8，"
                    "与预算数8.00相同，似为金额",
         "sheet": "项目3", "cell": "B8", "path": "projects[2].plan_mar", "value": "8", "extra": rule},
        {"severity": "error", "code": "plan_looks_like_amounts",
         "message": "资金支出计划应填写累计百分比（如 25、50、75、100），此处填写的是 120、150、200、250，似为金额",
         "sheet": "项目4", "cell": "B8", "path": "projects[3].plan_mar", "value": "120", "extra": rule},
        {"severity": "error", "code": "plan_decreasing",
         "message": "资金支出计划为累计数，“资金支出计划10月底”(20%)小于“资金支出计划6月底”(25%)",
         "sheet": "项目5", "cell": "D8", "path": "projects[4].plan_oct", "value": "20", "extra": rule},
    ]
    assert [(f["code"], f["sheet"], f["cell"]) for f in findings if f["sheet"] == "项目1"] == [
        ("invalid_percent", "项目1", "E8")]


def test_a_project_codes_year_is_checked_from_eight_digits_on(tmp_path):
    """A code too short to hold a year is the pattern check's alone; from eight digits on its
    7th-8th digits are compared with the form's year (2022 here), on every project."""
    fill = CLEAN["hebei-county"][0]()
    base = fill["项目1"]
    for n, code in enumerate(["1302252", "13022525", "13022525P002H4T100074"], start=1):
        fill[f"项目{n}"] = _project(base, project_code=code)
    path = write_fill("hebei-county", fill, tmp_path / "codes.xlsx", projects=3)
    message = "项目编码第7-8位年度为“25”，与本表预算年度2022（22）不一致"
    assert [f for f in read_workbook(path).to_json()["findings"] if f["code"] == "code_year_mismatch"] == [
        {"severity": "error", "code": "code_year_mismatch", "message": message, "sheet": "项目2",
         "cell": "B3", "path": "projects[1].project_code", "value": "13022525"},
        {"severity": "error", "code": "code_year_mismatch", "message": message, "sheet": "项目3",
         "cell": "B3", "path": "projects[2].project_code", "value": "13022525P002H4T100074"},
    ]


@pytest.mark.parametrize(("region", "finding"), [
    ("", {"severity": "warning", "code": "code_region_mismatch",
          "message": "各项目编码前6位区划不一致：130225（项目1）、130226（项目2）", "sheet": "项目1",
          "cell": "B3", "path": "projects[0].project_code", "value": None}),
    ("130225", {"severity": "warning", "code": "code_region_mismatch",
                "message": "项目编码前6位区划“130226”与本单位区划“130225”不一致", "sheet": "项目2",
                "cell": "B3", "path": "projects[1].project_code", "value": "13022622P002H4T100075"}),
])
def test_project_codes_of_another_region(tmp_path, region, finding):
    """Two projects' codes of two regions: without the department's region (a template made
    without a roster's 区划编码) the disagreement is said once; with it (kept in the template's
    stamp), the project of the other region is named."""
    fill = CLEAN["hebei-county"][0]()
    base = fill["项目1"]
    for n, code in enumerate(["13022522P002H4T100074", "13022622P002H4T100075"], start=1):
        fill[f"项目{n}"] = _project(base, project_code=code)
    department = Department("224002", "中共乐亭县委网络安全和信息化委员会办公室", region_code=region,
                            projects=[{}, {}])
    path = tmp_path / "regions.xlsx"
    path.write_bytes(build_template(load_spec("hebei-county"), 2022, department=department, projects=2,
                                    values=fill).data)
    assert read_workbook(path).to_json()["findings"] == [finding]


def test_the_spending_plan_and_budget_excel_face_in_a_generated_template():
    """hebei: the check cells of budget_split and spending_plan (formulas and cached verdicts on
    four projects) and the plan's validations: each milestone after the first must not be below
    the one before (a defined name: the formula is too long for a validation)."""
    fill = CLEAN["hebei-county"][0]()
    base = fill["项目1"]
    plan = ("plan_mar", "plan_jun", "plan_oct", "plan_dec")

    def project(milestones: tuple[Any, ...], **budget: Any) -> dict[tuple[str | int, ...], Any]:
        return _project(base, **dict(zip(plan, milestones, strict=True)), **budget)

    d = Decimal
    # a milestone equal to the one before is right; a blank one counts as 0 (project 4)
    fill["项目2"] = project((d(25), d(50), d(50), d(100)), budget_fiscal=d("50.00"), budget_other=None)
    fill["项目3"] = project((None, None, None, None), budget_fiscal=d("40.00"))
    fill["项目4"] = project((d(25), None, d(75), d(90)), budget_total=None, budget_fiscal=None,
                            budget_other=None)
    book = Workbook(build_template(load_spec("hebei-county"), 2022, projects=4, values=fill).data)
    at = _checks("hebei-county")

    def num(r: str) -> str:
        return (f'IF({r}="",0,IFERROR(IF(ISNUMBER({r}),IF(LEFT(CELL("format",{r}),1)="P",{r}*100,{r}),'
                f'VALUE(SUBSTITUTE(ASC({r}),"%",""))),-1))')

    assert {rule: book.formulas("项目1")[ref][0] for rule, ref in at.items()} == {
        "budget_split": 'IF(COUNT(C4,E4,G4)=0,"",IF(ROUND(SUM(E4,G4)-N(C4),2)=0,"平衡","不平衡"))',
        "spending_plan": f'IF(COUNTA(B8,C8,D8,E8)=0,"",IF(AND({num("E8")}=100,{num("C8")}>={num("B8")},'
                         f'{num("D8")}>={num("C8")},{num("E8")}>={num("D8")}),"正常",'
                         f'"应逐期累计不减，最后一期应为100%"))',
    }
    assert {n: {rule: book.formulas(f"项目{n}")[ref][1] for rule, ref in at.items()} for n in range(1, 5)} == {
        1: {"budget_split": "平衡", "spending_plan": "正常"},
        2: {"budget_split": "平衡", "spending_plan": "正常"},
        3: {"budget_split": "不平衡", "spending_plan": ""},
        4: {"budget_split": "", "spending_plan": "应逐期累计不减，最后一期应为100%"},
    }

    def typed(r: str) -> str:
        return f'VALUE(SUBSTITUTE(ASC({r}),"%",""))'

    def shown(r: str) -> str:
        return f'IF(ISNUMBER({r}),IF(LEFT(CELL("format",{r}),1)="P",{r}*100,{r}),{typed(r)})'

    cells = {"plan_jun": ("B", "C"), "plan_oct": ("C", "D"), "plan_dec": ("D", "E")}
    for (field, (before, here)), n in itertools.product(cells.items(), range(1, 5)):
        prev, ref = f"'项目{n}'!${before}$8", f"'项目{n}'!${here}$8"
        assert book.names[(f"_xlt_ok_{field}", f"项目{n}")] == (
            f"AND(AND(ISNUMBER({typed(ref)}),{typed(ref)}>=0,{typed(ref)}<=100),"
            f'IFERROR(OR({prev}="",{typed(ref)}>={shown(prev)}),TRUE))'), field
    assert book.validations("项目1")["C8"] == (
        "_xlt_ok_plan_jun", "填写有误", "stop",
        "请输入0到100之间的累计支出进度，如 25 或 25%，不要输入金额；资金支出计划为累计百分比，不能小于上一期")
