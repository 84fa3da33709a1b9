"""Spec loading: every kind of mistake gives a located error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from xltargets.errors import SpecError
from xltargets.spec import builtin_ids, json_schema, load_spec, parse_spec

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"


def _base() -> str:
    return (SPECS_DIR / "hebei-county.yaml").read_text(encoding="utf-8")


def _mutated(old: str, new: str) -> str:
    text = _base()
    assert old in text, old
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_builtin_specs_load():
    assert builtin_ids() == ["hebei-county", "hunan", "shanghai-district"]
    for spec_id in builtin_ids():
        spec = load_spec(spec_id)
        assert spec.id == spec_id


def test_builtin_specs_validate_against_published_schema():
    schema = json_schema()
    for spec_id in builtin_ids():
        data = yaml.safe_load((SPECS_DIR / f"{spec_id}.yaml").read_text(encoding="utf-8"))
        jsonschema.validate(data, schema)


MISTAKES = [
    # (description, old, new, needle for the line, location part, message part)
    ("unknown kind", "{id: budget_total, label: 预算数, kind: money",
     "{id: budget_total, label: 预算数, kind: mony", "id: budget_total", "sheets[1].fields[2].kind",
     "未知的取值“mony”"),
    ("unknown key", "{id: funds_use, label: 资金用途, kind: long_text,",
     "{id: funds_use, label: 资金用途, kind: long_text, colour: red,", "id: funds_use",
     "sheets[1].fields[5].colour", "未知的键"),
    ("missing key", "{id: goal, label: 绩效目标, kind: long_text,", "{id: goal, kind: long_text,",
     "id: goal,", "sheets[1].fields[10].label", "缺少必需的键"),
    ("unknown rule type", "type: sum_equals", "type: sum_equal", "type: sum_equal", "rules[0]",
     "未知的规则类型"),
    ("rule names an unknown field", "terms: [budget_fiscal, budget_other]",
     "terms: [budget_fiscal, budget_others]", "terms: [budget_fiscal", "rules[0].terms[1]",
     "工作表“project”上没有字段“budget_others”（是否应为“budget_other”？）"),
    ("cost cap names an unknown column", "table: indicators, budget: budget_total}",
     "table: indicators, budget: budget_total, column: valu}", "column: valu", "rules[5].column",
     "表格“indicators”没有“valu”列（是否应为“value”？）"),
    ("cost cap names an unknown 二级", "table: indicators, budget: budget_total}",
     "table: indicators, budget: budget_total, level2: 成本}", "level2: 成本", "rules[5].level2",
     "“成本”不是指标体系中的二级指标"),
    ("rule names an unknown table", "{id: indicator_taxonomy, type: taxonomy, sheet: project, table: indicators}",
     "{id: indicator_taxonomy, type: taxonomy, sheet: project, table: indicator}", "table: indicator}",
     "rules[2].table", "没有表格“indicator”"),
    ("rule names an unknown sheet", "{id: project_code_year, type: code_year, sheet: project,",
     "{id: project_code_year, type: code_year, sheet: projects,", "sheet: projects,", "rules[4].sheet",
     "未知的工作表“projects”"),
    ("pattern Excel cannot check", r"pattern: '^\d{6}$'", r"pattern: '^\d+$'", r"pattern: '^\d+$'",
     "sheets[0].fields[0].pattern", "无法转换为 Excel 校验公式"),
    ("sheet name too long", "name: 部门整体绩效目标", "name: 部门整体绩效目标部门整体绩效目标部门整体绩效目标部门整体绩效目标",
     "name: 部门整体绩效目标部门", "sheets[0].name", "超过31个字符"),
    ("sheet name with forbidden character", 'name: "项目{{ n }}"', 'name: "项目/{{ n }}"',
     'name: "项目/', "sheets[1].name", "不允许的字符"),
    ("input prompt too long", "help: 每行填写一项工作保障措施}", "help: " + "很长的说明" * 60 + "}",
     "很长的说明", "sheets[0].fields[5].help", "超过255个字符"),
    ("unknown list", "suggest: basis", "suggest: basiss", "suggest: basiss",
     "sheets[1].tables[0].columns[5].suggest", "未知的列表“basiss”"),
    ("field not placed", "- cells: [{text: 绩效目标, style: label}, {field: goal, span: 6}]",
     "- cells: [{text: 绩效目标, style: label}, {text: 绩效目标, span: 6}]", "id: goal,",
     "sheets[1].fields[10]", "没有放在 rows 中"),
    ("cell past the last column", "- {text: 单位：万元, span: 2, style: right}",
     "- {text: 单位：万元, span: 3, style: right}", "单位：万元, span: 3", "sheets[1].rows[1].cells[1]",
     "超出了工作表的"),
    ("正则表达式有误", r"pattern: '^\d{6}$'", r"pattern: '^\d{6$('", r"pattern: '^\d{6$('",
     "sheets[0].fields[0].pattern", "正则表达式有误"),
    ("taxonomy level1 unknown to a rule", "level1: [产出指标, 效益指标, 满意度指标]",
     "level1: [产出指标, 效益指标, 满意指标]", "满意指标]", "rules[3].level1[2]", "不是指标体系中的一级指标"),
    ("duplicate field id", "{id: plan_jun, label: 资金支出计划6月底", "{id: plan_mar, label: 资金支出计划6月底",
     "id: plan_mar, label: 资金支出计划6月底", "sheets[1].fields", "有两个字段的 id 相同"),
]


@pytest.mark.parametrize("what,old,new,needle,location,message", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_mistake_gives_located_error(what, old, new, needle, location, message, tmp_path):
    text = _mutated(old, new)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    errors = getattr(info.value, "all_errors", [info.value])
    match = [e for e in errors if e.location == location and message in e.message]
    assert match, [str(e) for e in errors]
    err = match[0]
    assert err.path == str(path)
    if what not in ("duplicate field id", "unknown rule type"):
        assert err.line == _line_of(text, needle), str(err)
    assert str(err).startswith(f"{path}:{err.line} {location}:")


def test_cross_sheet_sum_with_a_misspelt_field_is_located(tmp_path):
    """Issue 9: ``field: budget_locl`` in a cross_sheet_sum used to load and never fire."""
    text = (SPECS_DIR / "hunan.yaml").read_text(encoding="utf-8")
    old = "type: cross_sheet_sum, sheet: project, field: budget_local,"
    assert old in text
    text = text.replace(old, "type: cross_sheet_sum, sheet: project, field: budget_locl,")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    assert err.location == "rules[2].field"
    assert "工作表“project”上没有字段“budget_locl”（是否应为“budget_local”？）" in err.message
    assert err.line == _line_of(text, "field: budget_locl")


def test_every_rule_lists_its_references():
    """The loader checks references generically: every built-in rule names what it uses."""
    for spec_id in builtin_ids():
        for rule in load_spec(spec_id).rules:
            refs = rule.references()
            assert any(r.kind == "sheet" for r in refs), rule.id
            named = {r.name for r in refs}
            for key in ("total", "field", "table", "column", "budget", "amount_field", "total_sheet"):
                value = getattr(rule, key, None)
                if isinstance(value, str):
                    assert value in named, (rule.id, key)


def test_yaml_syntax_error_is_located(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nsheets: [\n  - a\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert "YAML 语法错误" in str(info.value) and info.value.line is not None


def test_not_a_mapping_and_empty_and_missing(tmp_path):
    with pytest.raises(SpecError, match="YAML 映射"):
        parse_spec("- just\n- a list\n", "x.yaml")
    with pytest.raises(SpecError, match="空的"):
        parse_spec("", "x.yaml")
    with pytest.raises(SpecError, match="不存在"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match="没有名为“shanxi”的表样"):
        load_spec("shanxi")


def test_schema_has_the_rule_types():
    text = str(json_schema())
    for rule in ("sum_equals", "cumulative_percent", "taxonomy", "required_categories", "code_year",
                 "cost_cap", "cross_sheet_sum"):
        assert rule in text
