"""The four published seed forms, written into templates and read back: every value, every finding.

The expected values come from tests/seed_forms.py (transcribed from ../shared/seeds by hand); the
expected findings below are what a finance reviewer says about each seed, written from the seed
text, not copied from the reader. Where the reader is known to differ from a reviewer, the test
was a strict xfail naming the library code at fault (none is left).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from seed_forms import (
    SEEDS,
    TYPED,
    VALUE_PARTS,
    SeedForm,
    build_seed,
    expected_value,
    file_name,
    fit_list,
    place_skeleton,
    seed_form,
    write_seed,
)

from xltargets.layout import plan
from xltargets.read import read_workbook
from xltargets.spec import load_spec
from xltargets.submission import Submission

KEYS = ["000", "001", "002", "003"]
VARIANTS = [*KEYS, *(f"{k}-typed" for k in KEYS)]
HUNAN = "部门整体支出绩效目标表"

Finding_ = tuple[str, str, str | None, str | None, str | None]   # severity, code, sheet, cell, path

# --- what a reviewer says about each seed -------------------------------------------------------
# Cells: Hunan department sheet C4 = 资金总额 (budget_total), E7 = 项目支出 (expense_project);
# Hebei project sheet B3 = 项目编码, B8..E8 = 资金支出计划 3月底..12月底.

EXPECTED_FINDINGS: dict[str, list[Finding_]] = {
    # 乐亭: budgets balance (fiscal = total, other blank), plans 25/50/75/100, codes say 22 = 2022,
    # every 二级 under its 一级, all three 一级 present, cost caps equal to the budgets. Clean.
    "000": [],
    # 沅江: 66.16 + 44.28 = 110.44 ≠ 109.04 (error on 资金总额); the seven projects add up to
    # 9.6 + 3.84 + 9.6 + 9.6 + 3.84 + 3.2 + 3.2 = 42.88 ≠ 44.28 (warning on 项目支出).
    # Income lines 109.04 + blank + 0 + 0 = 109.04: nothing to say.
    "001": [
        ("error", "sum_mismatch", HUNAN, "C4", "department.budget_total"),
        ("warning", "projects_sum_mismatch", HUNAN, "E7", "department.expense_project"),
    ],
    # 魏县: every indicator cell 涉密 (redacted, never missing); budgets balance; plans never fall
    # and reach 100%; project 1 leaves 3月底 blank (nothing spent by March), which is a plan,
    # not an omission; codes say 25 = 2025. Clean.
    "002": [],
    # 临西: 8.00 8.00 8.00 for an 8.00 万元 project (and 10/10/10, 2/2/2): amounts typed where
    # cumulative percentages belong. Said once per project, on the first figure (6月底).
    "003": [
        ("error", "plan_looks_like_amounts", "项目1", "C8", "projects[0].plan_jun"),
        ("error", "plan_looks_like_amounts", "项目2", "C8", "projects[1].plan_jun"),
        ("error", "plan_looks_like_amounts", "项目3", "C8", "projects[2].plan_jun"),
    ],
}

EXPECTED_STATUS = {"000": "accepted", "001": "rejected", "002": "accepted", "003": "rejected"}

# --- reading, once per variant --------------------------------------------------------------------

_CACHE: dict[str, Submission] = {}


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seeds")


def read_seed(key: str, out_dir: Path) -> Submission:
    if key not in _CACHE:
        path = write_seed(key, out_dir / file_name(key))
        _CACHE[key] = read_workbook(path)
    return _CACHE[key]


def triples(sub: Submission) -> list[Finding_]:
    return sorted((f.severity.value, f.code, f.sheet, f.cell, f.path) for f in sub.findings)


# --- comparing values -----------------------------------------------------------------------------

def assert_value(got: Any, want: Any, where: str) -> None:
    if isinstance(want, Decimal):               # percentages: compared by value
        assert got is not None, f"{where}: expected {want}, got nothing"
        assert isinstance(got, str), f"{where}: a percentage is a decimal string in JSON, got {got!r}"
        assert Decimal(got) == want, f"{where}: expected {want}, got {got}"
    else:
        assert got == want, f"{where}: expected {want!r}, got {got!r}"


def assert_rows(got: list[dict[str, Any]], want: list[dict[str, Any]], where: str) -> None:
    # blank rows dropped and order kept: the same row numbers, in the same order
    assert [r["row"] for r in got] == [r["row"] for r in want], f"{where}: rows"
    for g, w in zip(got, want, strict=True):
        at = f"{where}[row {w['row']}]"
        assert "invalid" not in g, f"{at}: unreadable cells {g.get('invalid')}"
        for key, value in w.items():
            if key == "markers":
                assert g.get("markers") == value, f"{at}.markers"
            elif key == "value" and value is not None:
                got_value = g["value"]
                assert got_value is not None, f"{at}.value missing"
                assert {k: got_value.get(k) for k in value} == value, f"{at}.value"
            else:
                assert_value(g.get(key), value, f"{at}.{key}")
        extra = set(g) - set(w) - {"markers"}
        assert not extra, f"{at}: unexpected columns {extra}"


def assert_sheet(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    assert "invalid" not in got, f"{where}: unreadable cells {got.get('invalid')}"
    assert "markers" not in got, f"{where}: no field of a seed is a marker, got {got.get('markers')}"
    assert set(got) == set(want), f"{where}: fields {set(got) ^ set(want)}"
    for key, value in want.items():
        if key == "indicators":
            assert_rows(got[key], value, f"{where}.{key}")
        else:
            assert_value(got[key], value, f"{where}.{key}")


# =============================================================================================
# Values
# =============================================================================================

@pytest.mark.parametrize("key", VARIANTS)
def test_every_value_comes_back(key: str, out_dir: Path) -> None:
    form = seed_form(key)
    data = read_seed(key, out_dir).to_json()
    assert data["spec"]["id"] == form.spec_id
    assert data["year"] == form.year
    assert_sheet(data["department"], form.expected["department"], "department")
    assert len(data["projects"]) == form.project_count == len(form.expected["projects"])
    for i, (got, want) in enumerate(zip(data["projects"], form.expected["projects"], strict=True)):
        assert_sheet(got, want, f"projects[{i}]")


@pytest.mark.parametrize("key", VARIANTS)
def test_money_is_exact(key: str, out_dir: Path) -> None:
    """Every amount a two-decimal string in JSON, equal as a Decimal to what the seed printed."""
    form = seed_form(key)
    data = read_seed(key, out_dir).to_json()
    money = {"budget_total", "budget_fiscal", "budget_other", "budget_local", "budget_upper",
             "income_general", "income_fund", "income_special", "income_other", "expense_basic",
             "expense_project"}
    seen = 0
    for got, want in [(data["department"], form.expected["department"]),
                      *zip(data["projects"], form.expected["projects"], strict=True)]:
        for fid in money & set(want):
            if want[fid] is None:
                assert got[fid] is None
                continue
            assert isinstance(got[fid], str)
            assert got[fid] == want[fid]
            assert Decimal(got[fid]) == Decimal(want[fid])
            assert Decimal(got[fid]).as_tuple().exponent == -2
            seen += 1
    assert seen > 0


def test_seed_001_amounts() -> None:
    """The Hunan figures as the seed printed them (a second, literal look at the expectations)."""
    dept = SEEDS["001"].expected["department"]
    assert (dept["budget_total"], dept["income_general"], dept["income_fund"], dept["income_special"],
            dept["income_other"], dept["expense_basic"], dept["expense_project"]) == \
        ("109.04", "109.04", None, "0.00", "0.00", "66.16", "44.28")
    assert [p["budget_local"] for p in SEEDS["001"].expected["projects"]] == \
        ["9.60", "3.84", "9.60", "9.60", "3.84", "3.20", "3.20"]
    assert sum(Decimal(p["budget_local"]) for p in SEEDS["001"].expected["projects"]) == Decimal("42.88")


@pytest.mark.parametrize("key", VARIANTS)
def test_findings(key: str, out_dir: Path) -> None:
    """Exactly the reviewer's findings, by (severity, code, sheet, cell, path), in both variants."""
    sub = read_seed(key, out_dir)
    assert triples(sub) == sorted(EXPECTED_FINDINGS[key[:3]])
    assert sub.status == EXPECTED_STATUS[key[:3]]


def test_seed_000_is_clean(out_dir: Path) -> None:
    sub = read_seed("000", out_dir)
    assert sub.findings == []
    assert sub.status == "accepted"


def test_seed_001_sums(out_dir: Path) -> None:
    sub = read_seed("001", out_dir)
    by_code = {f.code: f for f in sub.findings}
    expense = by_code["sum_mismatch"]
    assert expense.severity.value == "error"
    assert expense.extra["rule"] == "expense_split"
    assert expense.extra["sum"] == Decimal("110.44")
    assert expense.extra["total"] == Decimal("109.04")
    projects = by_code["projects_sum_mismatch"]
    assert projects.severity.value == "warning"
    assert projects.extra["sum"] == Decimal("42.88")
    assert projects.extra["total"] == Decimal("44.28")
    # 109.04 + blank + 0 + 0 = 109.04: the income split balances
    assert not [f for f in sub.findings if f.extra.get("rule") == "income_split"]
    assert sub.status == "rejected"
    # the data is kept although the figures do not add up
    dept = sub.to_json()["department"]
    assert (dept["budget_total"], dept["expense_basic"], dept["expense_project"]) == \
        ("109.04", "66.16", "44.28")


@pytest.mark.parametrize("key", ["001", "001-typed"])
def test_seed_001_not_applicable_categories(key: str, out_dir: Path) -> None:
    """…… in 三级指标 marks an unused category: recorded as not applicable, never as missing."""
    data = read_seed(key, out_dir).to_json()
    sheets = [data["department"], *data["projects"]]
    for sheet in sheets:
        na = [r for r in sheet["indicators"] if r.get("markers") == {"level3": "not_applicable"}]
        assert [r["level2"] for r in na] == ["经济效益指标", "生态效益指标", "可持续影响指标"], sheet["sheet"]
        assert all(r["level3"] is None and r["value"] is None for r in na)
    assert not [f for f in read_seed(key, out_dir).findings if f.code == "required_missing"]


def test_seed_001_department_satisfaction_label() -> None:
    """The department sheet prints 社会公众或服务对象满意度; the skeleton row is the taxonomy's …指标."""
    rows = SEEDS["001"].expected["department"]["indicators"]
    last = rows[-1]
    assert (last["level1"], last["level2"], last["level3"]) == \
        ("效益指标", "社会公众或服务对象满意度指标", "网民留言回复满意度")


@pytest.mark.parametrize("key", ["002", "002-typed"])
def test_seed_002_redacted_cells(key: str, out_dir: Path) -> None:
    sub = read_seed(key, out_dir)
    data = sub.to_json()
    redacted = 0
    for project in data["projects"]:
        assert len(project["indicators"]) == 7
        for row in project["indicators"]:
            assert row["level1"] and row["level2"]
            assert row["markers"] == {c: "redacted" for c in ("level3", "description", "value", "basis")}
            assert all(row[c] is None for c in ("level3", "description", "value", "basis"))
            redacted += 4
    assert redacted == 4 * 7 * 4
    # never missing: no required_missing (nor anything else) on an indicator cell
    assert not [f for f in sub.findings if f.path and ".indicators" in f.path]
    assert not [f for f in sub.findings if f.code == "category_missing"]


@pytest.mark.parametrize("key", ["003", "003-typed"])
def test_seed_003_plan_typed_as_amounts(key: str, out_dir: Path) -> None:
    sub = read_seed(key, out_dir)
    found = [f for f in sub.findings if f.code == "plan_looks_like_amounts"]
    assert [f.sheet for f in found] == ["项目1", "项目2", "项目3"]
    assert [Decimal(str(f.value)) for f in found] == [Decimal(8), Decimal(10), Decimal(2)]
    # said, not silently accepted, and not also reported as a falling or unfinished plan
    assert not [f for f in sub.findings if f.code in ("plan_decreasing", "plan_not_complete",
                                                       "percent_out_of_range")]
    # the figures are kept as typed
    for project, amount in zip(sub.to_json()["projects"], ("8", "10", "2"), strict=True):
        assert [Decimal(project[f]) for f in ("plan_jun", "plan_oct", "plan_dec")] == [Decimal(amount)] * 3
        assert project["plan_mar"] is None


def _seed_003_one_wan(typed: bool) -> SeedForm:
    """Seed 003's project 3 as if its budget were 1.00 万元 (plan 空 1.00 1.00 1.00)."""
    seed = TYPED["003"] if typed else SEEDS["003"]
    project = dict(seed.values["项目3"])
    one: Any = "1.00" if typed else Decimal("1.00")
    for fid in ("budget_total", "budget_fiscal", "plan_jun", "plan_oct", "plan_dec"):
        project[(fid,)] = one
    project[("indicators", 3, "value")] = "≤1 万元"
    return dataclasses.replace(seed, values={**seed.values, "项目3": project})


@pytest.mark.parametrize("typed", [False, True])
def test_seed_003_amounts_on_a_one_wan_project(typed: bool, tmp_path: Path) -> None:
    path = tmp_path / "one_wan.xlsx"
    path.write_bytes(build_seed(_seed_003_one_wan(typed)))
    sub = read_workbook(path)
    assert ("error", "plan_looks_like_amounts", "项目3", "C8", "projects[2].plan_jun") in triples(sub)
    project = sub.to_json()["projects"][2]
    assert [Decimal(project[f]) for f in ("plan_jun", "plan_oct", "plan_dec")] == [Decimal(1)] * 3


# =============================================================================================
# Years in the project codes
# =============================================================================================

@pytest.mark.parametrize("key", ["000", "002", "003"])
def test_codes_carry_the_year(key: str, out_dir: Path) -> None:
    form = SEEDS[key]
    codes = [p["project_code"] for p in form.expected["projects"]]
    assert all(2000 + int(code[6:8]) == form.year for code in codes)
    sub = read_seed(key, out_dir)
    assert sub.year == form.year
    assert not [f for f in sub.findings if f.code.startswith("code_")]


def test_code_year_literal() -> None:
    assert SEEDS["000"].expected["projects"][0]["project_code"][6:8] == "22"
    assert SEEDS["000"].year == 2022
    assert SEEDS["002"].expected["projects"][0]["project_code"][6:8] == "25"
    assert SEEDS["002"].year == 2025
    assert SEEDS["003"].expected["projects"][0]["project_code"][6:8] == "22"
    assert SEEDS["003"].year == 2022


@pytest.mark.parametrize(("key", "wrong_year"), [("000", 2023), ("002", 2024), ("003", 2021)])
def test_code_year_mismatch_is_reported(key: str, wrong_year: int, tmp_path: Path) -> None:
    """The same return on a template of another year: every project code is flagged."""
    form = dataclasses.replace(SEEDS[key], year=wrong_year)
    path = tmp_path / "wrong_year.xlsx"
    path.write_bytes(build_seed(form))
    sub = read_workbook(path)
    flagged = [(f.severity.value, f.sheet, f.cell, f.path) for f in sub.findings
               if f.code == "code_year_mismatch"]
    assert flagged == [("error", f"项目{n}", "B3", f"projects[{n - 1}].project_code")
                       for n in range(1, form.project_count + 1)]


# =============================================================================================
# Rows: blank rows dropped, order kept
# =============================================================================================

def test_free_table_gaps_are_dropped_and_order_kept(tmp_path: Path) -> None:
    """Seed 000 project 1 written with blank rows between indicators: the same rows come back."""
    seed = SEEDS["000"]
    project = dict(seed.values["项目1"])
    rows = {k: v for k, v in project.items() if k[0] == "indicators"}
    for k in rows:
        del project[k]
    targets = [0, 2, 4, 6, 8, 10, 12, 13, 14]
    for (_, i, col), value in rows.items():
        project[("indicators", targets[i], col)] = value
    form = dataclasses.replace(seed, values={**seed.values, "项目1": project})
    path = tmp_path / "gaps.xlsx"
    path.write_bytes(build_seed(form))
    sub = read_workbook(path)
    got = sub.to_json()["projects"][0]["indicators"]
    want = seed.expected["projects"][0]["indicators"]
    assert [r["row"] for r in got] == [t + 1 for t in targets]
    assert [r["level3"] for r in got] == [r["level3"] for r in want]
    assert sub.findings == []


def test_seed_000_keeps_the_seed_order(out_dir: Path) -> None:
    """Project 1 lists 质量 before 数量 and 成本 before 时效: kept as typed."""
    got = read_seed("000", out_dir).to_json()["projects"][0]["indicators"]
    assert [r["level2"] for r in got] == [
        "质量指标", "数量指标", "成本指标", "时效指标", "可持续影响指标", "社会效益指标",
        "生态效益指标", "经济效益指标", "服务对象满意度指标",
    ]


def test_hunan_skeleton_rows(out_dir: Path) -> None:
    """Seed 001 department: each indicator in its category's rows; unused second rows dropped."""
    got = read_seed("001", out_dir).to_json()["department"]["indicators"]
    # rows (1-based): 数量 1-3, 质量 4-6, 时效 7-8, 成本 9-10, 经济 11-12, 社会 13-14,
    # 生态 15-16, 可持续 17-18, 满意度 19-20
    assert [r["row"] for r in got] == [1, 2, 3, 4, 5, 6, 7, 9, 11, 13, 15, 17, 19]
    assert [(r["level2"], r["level3"]) for r in got][6:8] == [
        ("时效指标", "在规定时间内完成各项工作任务"), ("成本指标", "日常工作成本")]


def test_place_skeleton_fills_the_next_free_row() -> None:
    rows = plan(load_spec("hunan"), 1).sheets[0].tables["indicators"].rows
    placed = place_skeleton(rows, [("数量指标", "a", "1"), ("质量指标", "b", "2"), ("数量指标", "c", "3")])
    assert placed == {0: ("a", "1"), 3: ("b", "2"), 1: ("c", "3")}
    with pytest.raises(ValueError, match="时效指标"):
        place_skeleton(rows, [("时效指标", "x", "1")] * 3)


def test_fit_list_overflow() -> None:
    items = [f"第{i}项" for i in range(1, 11)]
    fitted = fit_list(items)
    assert len(fitted) == 8
    assert fitted[:7] == items[:7]
    assert fitted[7] == "第8项\n第9项\n第10项"
    assert fit_list(items[:3]) == items[:3]
    # none of the seeds needs it
    for key in ("000", "002", "003"):
        dept = SEEDS[key].expected["department"]
        assert len(dept["sub_goals"]) <= 8 and len(dept["safeguards"]) <= 8


# =============================================================================================
# The transcription itself
# =============================================================================================

def test_transcription_counts() -> None:
    """Row and item counts as printed in the seeds."""
    def counts(form: SeedForm) -> list[int]:
        return [len(p["indicators"]) for p in form.expected["projects"]]

    assert counts(SEEDS["000"]) == [9, 8, 7]
    assert counts(SEEDS["001"]) == [9] * 7
    assert len(SEEDS["001"].expected["department"]["indicators"]) == 13
    assert counts(SEEDS["002"]) == [7, 7, 7, 7]
    assert counts(SEEDS["003"]) == [7, 7, 8]
    assert [len(SEEDS[k].expected["department"]["sub_goals"]) for k in ("000", "002", "003")] == [3, 8, 3]
    assert [len(SEEDS[k].expected["department"]["safeguards"]) for k in ("000", "002", "003")] == [7, 8, 4]
    assert SEEDS["000"].expected["department"]["unit_code"] == "224002"
    assert SEEDS["003"].expected["department"]["unit_name"] == "中共临西县委网络安全和信息化委员会办公室本级"


def test_every_value_text_is_parsed_by_hand() -> None:
    for form in [*SEEDS.values(), *TYPED.values()]:
        for sheet in form.values.values():
            for path, value in sheet.items():
                if path[-1] == "value" and isinstance(value, str) and value.strip() not in ("", "涉密"):
                    assert value.strip() in VALUE_PARTS, value
    assert expected_value("\u3000≥95%") == {"text": "≥95%", "kind": "quantitative", "comparison": "≥",
                                            "number": "95", "unit": "%"}


def test_variants_differ_only_in_how_they_are_typed() -> None:
    for key in KEYS:
        assert SEEDS[key].expected == TYPED[key].expected
        assert SEEDS[key].values.keys() == TYPED[key].values.keys()
    assert SEEDS["000"].values["项目1"][("budget_total",)] == Decimal("50.00")
    assert TYPED["000"].values["项目1"][("budget_total",)] == "50.00"
    assert SEEDS["000"].values["项目1"][("plan_mar",)] == 25
    assert TYPED["000"].values["项目1"][("plan_mar",)] == "25%"
    assert TYPED["001"].values["项目1"][("budget_local",)] == "\u30009.6"


# =============================================================================================
# examples/make_filled.py
# =============================================================================================

def test_make_filled_writes_the_four_returns(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent.parent / "examples" / "make_filled.py"
    spec = importlib.util.spec_from_file_location("make_filled", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_filled", module)
    spec.loader.exec_module(module)
    assert module.main([str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "seed000_乐亭县网信办_2022.xlsx",
        "seed001_沅江市网信办_2024.xlsx",
        "seed002_魏县网信办_2025.xlsx",
        "seed003_临西县网信办_2022.xlsx",
    ]
    for name in names:
        sub = read_workbook(tmp_path / name)
        key = name[4:7]
        assert triples(sub) == sorted(EXPECTED_FINDINGS[key]), name
