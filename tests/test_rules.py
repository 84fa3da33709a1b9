"""Rule messages a reviewer reads: deterministic, and the right diagnosis (issue 11)."""

from __future__ import annotations

from decimal import Decimal

from forms import CLEAN, write_fill

from xltargets.read import read_workbook

P = "项目1"


def _findings(tmp_path, changes):
    fill = CLEAN["hebei-county"][0]()
    for path, value in changes.items():
        fill[P][path] = value
    return read_workbook(write_fill("hebei-county", fill, tmp_path / "f.xlsx")).findings


def test_level1_unknown_lists_the_choices_in_taxonomy_order(tmp_path):
    found = [f for f in _findings(tmp_path, {("indicators", 0, "level1"): "产出"})
             if f.code == "level1_unknown"]
    assert [f.message for f in found] == ["第1行：一级指标“产出”不在指标体系中，应为：产出指标、效益指标、满意度指标"]


def test_a_plan_over_100_at_the_end_is_a_typo_not_amounts(tmp_path):
    plan = dict(zip(("plan_mar", "plan_jun", "plan_oct", "plan_dec"),
                    ("25", "50", "75", "120"), strict=True))
    codes = {f.code for f in _findings(tmp_path, {(k,): Decimal(v) for k, v in plan.items()})}
    assert "plan_looks_like_amounts" not in codes
    assert {"percent_out_of_range", "plan_not_complete"} <= codes
