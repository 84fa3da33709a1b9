"""Which cells of a sheet the checks look at, for `make mutate` (docs/testing.md).

Survivors of ``xltargets.checks._sheet_checks``/``_quiet``/``_cell_checks`` in the mutation run:
no selected test left a required cell blank after the sheet's fixed (generated) year, left blank
a required cell that has no length or pattern limit, quoted a code of the wrong shape typed with
spaces around it, or compared a list's ``list_too_few`` finding whole. Real workbooks are read and
each finding compared whole.
"""

from __future__ import annotations

from forms import CLEAN, write_fill

from xltargets.read import read_workbook

D = "部门整体绩效目标"
P = "项目1"


def _findings(tmp_path, changes):
    fill = CLEAN["hebei-county"][0]()
    for (sheet, path), value in changes.items():
        if value is None:
            fill[sheet].pop(path, None)
        else:
            fill[sheet][path] = value
    data = read_workbook(write_fill("hebei-county", fill, tmp_path / "c.xlsx")).to_json()
    return [{k: f[k] for k in ("severity", "code", "sheet", "cell", "path", "message", "value")}
            for f in data["findings"]]


def test_a_required_cell_after_the_fixed_year_is_still_checked(tmp_path):
    """The department sheet's fields: 单位编码, 单位名称, then the year (fixed: the template
    writes it), then 总体绩效目标. Skipping the fixed year must not end the sheet's checks."""
    assert _findings(tmp_path, {(D, ("overall_goal",)): None}) == [{
        "severity": "error", "code": "required_missing", "sheet": D, "cell": "B3",
        "path": "department.overall_goal", "message": "必填项“一、总体绩效目标”未填写",
        "value": None}]


def test_a_blank_required_cell_without_limits_is_missing(tmp_path):
    """A money cell has no length or pattern limit: left blank, it is still 必填 (and the
    project's budget split then no longer adds up)."""
    missing = [f for f in _findings(tmp_path, {(P, ("budget_total",)): None})
               if f["code"] == "required_missing"]
    assert missing == [{
        "severity": "error", "code": "required_missing", "sheet": P, "cell": "C4",
        "path": "projects[0].budget_total", "message": "必填项“预算数”未填写", "value": None}]


def test_a_code_of_the_wrong_shape_is_quoted_as_read_not_as_typed(tmp_path):
    """A pattern's finding quotes the code as read (spaces trimmed), the text its pattern was
    checked on, not the raw cell."""
    assert _findings(tmp_path, {(P, ("project_code",)): "  1302252  "}) == [{
        "severity": "error", "code": "code_pattern", "sheet": P, "cell": "B3",
        "path": "projects[0].project_code", "value": "1302252",
        "message": "“项目编码”“1302252”格式不正确，应为8位数字+P+12位数字或大写字母"
                   "（如13022522P002H4T100074）"}]


def test_a_list_with_too_few_items_names_the_list_and_its_minimum(tmp_path):
    assert _findings(tmp_path, {(D, ("sub_goals", 0)): None, (D, ("sub_goals", 1)): None}) == [{
        "severity": "error", "code": "list_too_few", "sheet": D, "cell": "B4",
        "path": "department.sub_goals[0]", "message": "“二、分项绩效目标”至少填写1项",
        "value": None}]


def test_an_indicator_value_over_its_length_is_too_long(tmp_path):
    """An indicator's value reads as an indicator (operator, number, unit), not as text: its
    length limit measures the cell as typed."""
    typed = "≥" + "9" * 199 + "人"
    assert _findings(tmp_path, {(P, ("indicators", 0, "value")): typed}) == [{
        "severity": "error", "code": "text_too_long", "sheet": P, "cell": "F11",
        "path": "projects[0].indicators[0].value", "message": "“指标值（第1行）”超过200字（实际201字）",
        "value": None}]


def test_one_item_is_enough_for_a_list_of_at_least_one(tmp_path):
    assert _findings(tmp_path, {(D, ("sub_goals", 1)): None}) == []


def test_a_list_item_over_its_length_is_too_long(tmp_path):
    assert _findings(tmp_path, {(D, ("sub_goals", 1)): "目" * 251}) == [{
        "severity": "error", "code": "text_too_long", "sheet": D, "cell": "B5",
        "path": "department.sub_goals[1]", "message": "“二、分项绩效目标第2项”超过250字（实际251字）",
        "value": None}]


def test_a_list_item_of_spaces_only_is_blank_and_optional(tmp_path):
    assert _findings(tmp_path, {(D, ("sub_goals", 2)): "   ", (D, ("safeguards", 1)): "\u3000"}) == []


def _own_hebei(tmp_path, fill):
    """Hebei's form with a list labelled 第二部分 目标 of at least 2 items and 工作保障措施 of
    one row (no bundled spec has any of these), filled, generated and read with that spec."""
    from pathlib import Path

    from xltargets.generate import build_template
    from xltargets.read import ReadOptions
    from xltargets.spec import load_spec

    text = (Path(__file__).resolve().parent.parent / "specs" / "hebei-county.yaml").read_text(
        encoding="utf-8")
    text = text.replace("{id: sub_goals, label: 二、分项绩效目标, kind: text_list, rows: 8, min_items: 1,",
                        "{id: sub_goals, label: 第二部分 目标, kind: text_list, rows: 8, min_items: 2,", 1)
    text = text.replace("{id: safeguards, label: 三、工作保障措施, kind: text_list, rows: 8,",
                        "{id: safeguards, label: 三、工作保障措施, kind: text_list, rows: 1,", 1)
    (tmp_path / "own.yaml").write_text(text, encoding="utf-8")
    spec = load_spec(tmp_path / "own.yaml")
    path = tmp_path / "own.xlsx"
    path.write_bytes(build_template(spec, CLEAN["hebei-county"][1], projects=1, values=fill).data)
    return [(f["code"], f["cell"], f["message"])
            for f in read_workbook(path, ReadOptions(spec=spec)).to_json()["findings"]]


def test_a_list_of_at_least_two_items_counts_each_item_once(tmp_path):
    """(and names the list by its label, a 第 in it kept: only the item's 第N项 is cut)"""
    fill = CLEAN["hebei-county"][0]()
    assert _own_hebei(tmp_path, fill) == []
    fill[D].pop(("sub_goals", 1))
    assert _own_hebei(tmp_path, fill) == [
        ("list_too_few", "B4", "“第二部分 目标”至少填写2项")]


def test_an_optional_indicator_cell_is_checked_and_a_blank_one_ends_nothing(tmp_path):
    """绩效指标描述 and 指标值确定依据 are optional: a blank one does not stop the row's checks
    (the required 指标值 after it), a filled one is checked (its length)."""
    row = ("indicators", 1)
    assert _findings(tmp_path, {(P, (*row, "description")): None, (P, (*row, "value")): None}) == [{
        "severity": "error", "code": "required_missing", "sheet": P, "cell": "F12",
        "path": "projects[0].indicators[1].value", "message": "必填项“指标值（第2行）”未填写",
        "value": None}]
    assert _findings(tmp_path, {(P, (*row, "basis")): "据" * 501}) == [{
        "severity": "error", "code": "text_too_long", "sheet": P, "cell": "G12",
        "path": "projects[0].indicators[1].basis",
        "message": "“指标值确定依据（第2行）”超过500字（实际501字）", "value": None}]
