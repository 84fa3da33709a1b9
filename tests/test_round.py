"""A whole round as an office lives it, on the bundled data: generate from the roster, the
departments fill the generated templates (examples/departments.py: one changes a locked budget,
one types amounts for percentages, one never answers), collect with the manifest, the
departments correct the feedback copies, collect again. Also: prefilled values and passwords."""

from __future__ import annotations

import csv
import importlib.util
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from db_equals_json import assert_database_equals_json
from typer.testing import CliRunner

from xltargets.cli import app
from xltargets.collect import collect
from xltargets.collect._manifest import Prefilled, load_manifest
from xltargets.collect._prefill import prefill_findings
from xltargets.errors import CollectError
from xltargets.generate import generate_batch
from xltargets.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025


def _departments():
    spec = importlib.util.spec_from_file_location("departments", ROOT / "examples" / "departments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _statuses(out: Path) -> dict[str, str]:
    with (out / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {row["file"]: row["status"] for row in csv.DictReader(fh)}


def _by_unit(statuses: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for file, status in sorted(statuses.items()):
        out.setdefault(Path(file).name[:6], []).append(status)
    return out


@pytest.fixture(scope="module")
def hebei_round(tmp_path_factory):
    base = tmp_path_factory.mktemp("round")
    departments = _departments()
    sent, inbox = base / "sent", base / "inbox"
    generate_batch(load_spec("hebei-county"), YEAR, ROOT / "examples" / "roster-hebei.csv", sent)
    departments.fill(sent / "manifest.json", inbox)
    first = collect(inbox, base / "c1", manifest=sent / "manifest.json", jobs=2)
    departments.correct(sent / "manifest.json", base / "c1" / "feedback", inbox / "第二轮")
    second = collect(inbox, base / "c2", manifest=sent / "manifest.json", jobs=2)
    return {"base": base, "sent": sent, "first": first, "second": second}


def test_statuses_move_from_rejected_to_accepted(hebei_round):
    first = _by_unit(_statuses(hebei_round["base"] / "c1"))
    assert first == {"224001": ["accepted"], "224002": ["rejected"], "224003": ["rejected"],
                     "224004": ["accepted"]}
    second = _statuses(hebei_round["base"] / "c2")
    corrected = {f: s for f, s in second.items() if f.startswith("第二轮/")}
    assert sorted(Path(f).name[:6] for f in corrected) == ["224002", "224003"]
    assert set(corrected.values()) == {"accepted"}
    # the first returns of those two are now duplicates, kept instead: the corrected copies
    assert _by_unit({f: s for f, s in second.items() if not f.startswith("第二轮/")}) == {
        "224001": ["accepted"], "224002": ["duplicate"], "224003": ["duplicate"],
        "224004": ["accepted"]}
    assert hebei_round["second"].counts["missing"] == 0


def test_a_changed_prefilled_budget_is_an_error_naming_cell_and_values(hebei_round):
    lines = (hebei_round["base"] / "c1" / "submissions.jsonl").read_text(encoding="utf-8").splitlines()
    data = next(json.loads(x) for x in lines if json.loads(x)["source"]["stamp"]["unit_code"] == "224002")
    changed = [f for f in data["findings"] if f["code"] == "prefill_changed"]
    assert [(f["sheet"], f["cell"], f["extra"]["prefilled"], f["extra"]["returned"]) for f in changed] == [
        ("项目2", "C4", "35.00", "40.00"), ("项目2", "E4", "35.00", "40.00")]
    assert "原为“35.00”" in changed[0]["message"] and "报送的为“40.00”" in changed[0]["message"]
    assert data["status"] == "rejected"


def test_the_feedback_copy_locks_the_prefilled_values_again(hebei_round):
    (copy,) = (hebei_round["base"] / "c1" / "feedback").glob("224002_*_退回修改意见.xlsx")
    ws = openpyxl.load_workbook(copy)["项目2"]
    assert ws.protection.sheet
    for ref in ("C4", "E4"):
        assert Decimal(str(ws[ref].value)) == Decimal("35") and ws[ref].protection.locked
        assert "原为“35.00”" in ws[ref].comment.text
    assert ws["A1"].value is not None


def test_the_manifest_records_what_was_prefilled(hebei_round):
    manifest = json.loads((hebei_round["sent"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["password"] is False
    first = manifest["workbooks"][0]
    assert first["unit_code"] == "224002"
    prefilled = {(p["sheet"], p["field"]): p["value"] for p in first["prefilled"]}
    assert prefilled[("项目2", "budget_total")] == "35.00"
    assert prefilled[("项目1", "project_code")] == "13022525P002H4T100074"
    assert prefilled[("部门整体绩效目标", "unit_code")] == "224002"
    assert ("项目1", "funds_use") not in prefilled  # the department's to fill


def test_one_silent_department_is_missing_in_both_rounds(tmp_path):
    departments = _departments()
    sent, inbox = tmp_path / "sent", tmp_path / "inbox"
    generate_batch(load_spec("hunan"), YEAR, ROOT / "examples" / "roster-hunan.csv", sent)
    departments.fill(sent / "manifest.json", inbox)
    first = collect(inbox, tmp_path / "c1", manifest=sent / "manifest.json", jobs=1)
    assert [m["unit_code"] for m in first.missing] == ["401002"]
    assert first.counts["rejected"] == 1
    departments.correct(sent / "manifest.json", tmp_path / "c1" / "feedback", inbox / "第二轮")
    second = collect(inbox, tmp_path / "c2", manifest=sent / "manifest.json", jobs=1)
    assert [m["unit_code"] for m in second.missing] == ["401002"]
    # the sums add up now; the projects on the form are not all of 项目支出: a warning only
    assert (second.counts["accepted_with_warnings"], second.counts["duplicate"],
            second.counts["rejected"]) == (1, 1, 0)


def test_prefill_comparison_is_by_value():
    spec = load_spec("hebei-county")
    data = {"department": {"sheet": "部门整体绩效目标", "unit_code": "224002"},
            "projects": [{"sheet": "项目1", "budget_total": "35", "project_name": "甲",
                          "project_code": None, "invalid": {"project_code": "改过的"}}]}
    items = [Prefilled("项目1", "budget_total", "35.00"), Prefilled("项目1", "project_name", "甲"),
             Prefilled("部门整体绩效目标", "unit_code", "224002"),
             Prefilled("项目1", "project_code", "13022525P002H4T100074")]
    found = prefill_findings(spec, data, items)
    assert [(f["cell"], f["value"]) for f in found] == [("B3", "改过的")]
    data["projects"][0]["budget_total"] = None  # cleared
    assert [f["path"] for f in prefill_findings(spec, data, items)] == [
        "projects[0].budget_total", "projects[0].project_code"]


# --- the password: recorded as a fact, needed again for feedback copies ------------------------

@pytest.fixture
def protected(tmp_path):
    sent, inbox = tmp_path / "sent", tmp_path / "inbox"
    generate_batch(load_spec("hebei-county"), YEAR, ROOT / "examples" / "roster-hebei.csv", sent,
                   password="机密-2025")
    _departments().fill(sent / "manifest.json", inbox)
    return tmp_path


def test_password_is_recorded_as_a_fact_only(protected):
    text = (protected / "sent" / "manifest.json").read_text(encoding="utf-8")
    assert json.loads(text)["password"] is True and "机密" not in text
    assert load_manifest(protected / "sent" / "manifest.json").password


def test_collect_refuses_feedback_without_the_password(protected):
    manifest = protected / "sent" / "manifest.json"
    with pytest.raises(CollectError, match="设置了保护密码"):
        collect(protected / "inbox", protected / "o", manifest=manifest)
    assert not (protected / "o").exists()  # refused before anything was written
    r = CliRunner().invoke(app, ["collect", str(protected / "inbox"), "--out", str(protected / "o"),
                                 "--manifest", str(manifest)], env={"XLTARGETS_PASSWORD": ""})
    assert r.exit_code == 2 and "--feedback-without-password" in r.output
    assert str(manifest) in r.output and "Traceback" not in r.output
    # told to: copies without a password; or no copies at all
    result = collect(protected / "inbox", protected / "o", manifest=manifest,
                     feedback_without_password=True)
    (copy,) = (protected / "o" / "feedback").glob("224002_*.xlsx")
    assert openpyxl.load_workbook(copy)["项目2"].protection.password is None
    assert result.feedback == 2
    assert collect(protected / "inbox", protected / "o2", manifest=manifest, feedback=False).feedback == 0


def test_feedback_copies_get_the_password_when_given(protected):
    result = collect(protected / "inbox", protected / "o", manifest=protected / "sent" / "manifest.json",
                     password="机密-2025")
    assert result.feedback == 2
    (copy,) = (protected / "o" / "feedback").glob("224002_*.xlsx")
    assert openpyxl.load_workbook(copy)["项目2"].protection.password  # a hash of it


# --- 汇总表 and report -------------------------------------------------------------------------

def test_summary_rows_carry_year_and_spec_with_totals(hebei_round):
    wb = openpyxl.load_workbook(hebei_round["base"] / "c2" / "汇总表.xlsx")
    projects = list(wb["项目汇总"].iter_rows(values_only=True))
    head = projects[0]
    assert head[:6] == ("年度", "表样", "单位编码", "单位名称", "状态", "文件")
    assert "预算数（万元）" in head and "其中：财政资金（万元）" in head
    budget = head.index("预算数（万元）")
    for row in projects[1:]:
        assert row[0] == 2025 and row[1] == "河北省县级部门预算绩效目标表", row
    subtotals = {r[2]: r[budget] for r in projects if str(r[6] or "").startswith("合计")}
    assert subtotals == {"224001": 25, "224002": 87, "224003": 8}
    total = [r for r in projects if str(r[3] or "").startswith("总计")]
    assert len(total) == 1 and total[0][budget] == 120 and total[0][3] == "总计（4个单位）"
    # the spending plan as whole per cents: 25 shows as 25%, not "25."
    plan = head.index("资金支出计划3月底")
    ws = wb["项目汇总"]
    cell = next(c for c in ws.iter_cols(min_col=plan + 1, max_col=plan + 1, min_row=2) for c in c
                if c.value == 25)
    assert cell.number_format == '0"%"'
    departments = list(wb["部门汇总"].iter_rows(values_only=True))
    assert departments[0].count("单位编码") == 1 and departments[0].count("单位名称") == 1
    assert departments[-1][3] == "总计（4个单位）"
    for name in ("绩效指标", "问题清单", "报送情况"):
        rows = list(wb[name].iter_rows(values_only=True))
        assert rows[0][:2] == ("年度", "表样")


def test_report_has_year_spec_totals_and_missing(hebei_round, tmp_path):
    html = (hebei_round["base"] / "c2" / "report.html").read_text(encoding="utf-8")
    assert "报送表与金额合计" in html and "河北省县级部门预算绩效目标表（hebei-county）" in html
    assert "预算数（万元）：<span class=\"num\">120.00</span>" in html
    assert "预算年度：2025" in html and "多种表样" not in html
    assert hebei_round["second"].forms[0]["returns"] == 4


def test_several_specs_in_one_inbox_are_said(tmp_path):
    from forms import CLEAN, write_fill

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for spec_id in ("hebei-county", "hunan"):
        fill, year = CLEAN[spec_id]
        write_fill(spec_id, fill(), inbox / f"{spec_id}.xlsx")
    r = CliRunner().invoke(app, ["collect", str(inbox), "--out", str(tmp_path / "o"), "--jobs", "1"])
    assert r.exit_code == 0, r.output
    assert "警告：收到的报送表涉及多种表样或年度" in r.output
    assert "河北省县级部门预算绩效目标表 2022年 1份" in r.output
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "涉及多种表样或年度" in html
    rows = list(openpyxl.load_workbook(tmp_path / "o" / "汇总表.xlsx")["项目汇总"].iter_rows(values_only=True))
    totals = [r for r in rows if str(r[3] or "").startswith("总计")]
    assert [(t[0], t[1]) for t in totals] == [(2022, "河北省县级部门预算绩效目标表"),
                                              (2024, "湖南省部门整体支出及项目支出绩效目标表")]


def test_database_equals_the_json_value_by_value(hebei_round):
    out = hebei_round["base"] / "c1"
    lines = [json.loads(x) for x in (out / "submissions.jsonl").read_text("utf-8").splitlines()]
    assert lines
    assert_database_equals_json(out / "xltargets.db", lines)
