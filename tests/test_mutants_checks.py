"""What a mistyped cell's finding says, for `make mutate` (docs/testing.md).

Survivors of ``xltargets.checks`` in the mutation run: no selected test compared a cell
finding's JSON path, its message (the cell's label, what was expected, the quoted text and where
the quote is cut) or the code of a percentage that is not a number. A real workbook with typed
mistakes is read, and each finding is compared whole.
"""

from __future__ import annotations

from decimal import Decimal

from forms import CLEAN, write_fill

from xltargets.checks import QUOTE
from xltargets.read import read_workbook

P = "项目1"


def test_a_mistyped_cells_finding_names_its_label_cell_path_and_what_was_typed(tmp_path):
    fill = CLEAN["hebei-county"][0]()
    exact = "y" * QUOTE              # quoted whole
    longer = "z" * (QUOTE + 1)       # cut after QUOTE characters
    fill[P][("plan_mar",)] = "abc"
    fill[P][("plan_jun",)] = longer
    fill[P][("budget_other",)] = exact
    findings = read_workbook(write_fill("hebei-county", fill, tmp_path / "m.xlsx")).to_json()[
        "findings"]
    cells = {f["path"]: f for f in findings if f["path"] in (
        "projects[0].plan_mar", "projects[0].plan_jun", "projects[0].budget_other")}
    assert cells == {
        "projects[0].budget_other": {
            "severity": "error", "code": "invalid_number", "sheet": P, "cell": "G4",
            "path": "projects[0].budget_other", "value": exact,
            "message": f"“其他资金”应填写金额（万元，数字），实际填写“{exact}”"},
        "projects[0].plan_mar": {
            "severity": "error", "code": "invalid_percent", "sheet": P, "cell": "B8",
            "path": "projects[0].plan_mar", "value": "abc",
            "message": "“资金支出计划3月底”应填写百分比数字（0-100），实际填写“abc”"},
        "projects[0].plan_jun": {
            "severity": "error", "code": "invalid_percent", "sheet": P, "cell": "C8",
            "path": "projects[0].plan_jun", "value": longer,
            "message": f"“资金支出计划6月底”应填写百分比数字（0-100），实际填写“{longer[:QUOTE]}…”"},
    }


def test_a_cell_read_with_a_note_quotes_what_was_typed(tmp_path):
    """Warnings and errors about a value that was read (in 元 instead of 万元, more than two
    decimals, negative, a percentage over 100) quote the text as typed."""
    fill = CLEAN["hebei-county"][0]()
    fill[P][("budget_total",)] = "500000元"
    fill[P][("budget_fiscal",)] = "12.345"
    fill[P][("budget_other",)] = "-5"
    fill[P][("plan_mar",)] = "150"
    findings = read_workbook(write_fill("hebei-county", fill, tmp_path / "n.xlsx")).to_json()[
        "findings"]
    noted = {"money_in_yuan", "money_precision", "money_negative", "percent_out_of_range"}
    assert [(f["code"], f["cell"], f["value"], f["message"]) for f in findings
            if f["code"] in noted] == [
        ("money_negative", "G4", "-5", "“其他资金”金额不能为负数，实际为“-5”"),
        ("percent_out_of_range", "B8", "150", "“资金支出计划3月底”应为0-100之间的百分比，实际为“150”"),
        ("money_in_yuan", "C4", "500000元",
         "“预算数”填写“500000元”，单位应为万元，已按元折算为50.00万元，请核实"),
        ("money_precision", "E4", "12.345", "“其中：财政资金”金额“12.345”超过两位小数"),
    ]


def test_a_cell_over_its_limits_names_the_limit_and_quotes_only_a_wrong_pattern(tmp_path):
    """A text over its length is not quoted (it may be thousands of characters); a code of the
    wrong shape is quoted as typed."""
    fill = CLEAN["hebei-county"][0]()
    fill[P][("project_code",)] = "1302252"
    fill[P][("project_name",)] = "名" * 300
    findings = read_workbook(write_fill("hebei-county", fill, tmp_path / "l.xlsx")).to_json()[
        "findings"]
    assert [(f["code"], f["cell"], f["path"], f["value"], f["message"]) for f in findings] == [
        ("code_pattern", "B3", "projects[0].project_code", "1302252",
         "“项目编码”“1302252”格式不正确，应为8位数字+P+12位数字或大写字母（如13022522P002H4T100074）"),
        ("text_too_long", "E3", "projects[0].project_name", None, "“项目名称”超过200字（实际300字）"),
    ]


def test_a_wan_figure_in_a_yuan_cell_quotes_it_and_says_what_it_was_read_as(tmp_path):
    """A form in 元 (Shanghai): a figure typed in 万元 is read as 元 and the warning says so."""
    import shanghai_forms as sf

    from xltargets.generate import build_template
    from xltargets.spec import load_spec

    fill = sf.fill()
    fill[P][("year_carryover",)] = "0.5万元"
    path = tmp_path / "sh.xlsx"
    path.write_bytes(build_template(load_spec(sf.SPEC), sf.YEAR, projects=2, values=fill).data)
    assert [(f["code"], f["cell"], f["path"], f["value"], f["message"])
            for f in read_workbook(path).to_json()["findings"] if f["code"] == "money_in_wan"] == [
        ("money_in_wan", "E9", "projects[0].year_carryover", "0.5万元",
         "“上年结转资金”填写“0.5万元”，本表金额单位为元，已按万元折算为5000.00元，请核实")]


def _plan_findings(tmp_path, **plan):
    fill = CLEAN["hebei-county"][0]()
    for field, value in plan.items():
        fill[P][(field,)] = value
    findings = read_workbook(write_fill("hebei-county", fill, tmp_path / "p.xlsx")).to_json()[
        "findings"]
    return [{k: f[k] for k in ("code", "cell", "path", "value", "message", "extra")}
            for f in findings if f["code"].startswith("plan_")]


def test_the_spending_plan_findings_say_which_milestone_and_what_it_holds(tmp_path):
    """Survivors of ``rules.CumulativePercent.evaluate``: no test compared these findings'
    messages or values (the message named 资金支出计划 twice: "资金支出计划资金支出计划12月底")."""
    rule = {"rule": "spending_plan"}
    assert _plan_findings(tmp_path, plan_dec=Decimal("90")) == [{
        "code": "plan_not_complete", "cell": "E8", "path": "projects[0].plan_dec", "value": "90",
        "message": "“资金支出计划12月底”应达到100%，当前为90%", "extra": rule}]
    assert _plan_findings(tmp_path, plan_dec=None) == [{
        "code": "plan_not_complete", "cell": "E8", "path": "projects[0].plan_dec", "value": None,
        "message": "“资金支出计划12月底”应达到100%，当前为空", "extra": rule}]
    assert _plan_findings(tmp_path, plan_mar=None, plan_jun=None, plan_oct=None,
                          plan_dec=None) == [{
        "code": "plan_not_complete", "cell": "E8", "path": "projects[0].plan_dec", "value": None,
        "message": "资金支出计划未填写，“资金支出计划12月底”应达到100%", "extra": rule}]
    assert _plan_findings(tmp_path, plan_oct=Decimal("40")) == [{
        "code": "plan_decreasing", "cell": "D8", "path": "projects[0].plan_oct", "value": "40",
        "message": "资金支出计划为累计数，“资金支出计划10月底”(40%)小于“资金支出计划6月底”(50%)",
        "extra": rule}]
