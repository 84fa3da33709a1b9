"""A made-up form in a folder of its own runs the whole round: the engine knows no built-in spec.

Its indicator table is called ``metrics`` with columns ``tier1``/``tier2``/``item``/``target``, it
has no project code, its unit is named by a field ``org`` and its money is in 元. Nothing in the
package knows these names: the spec's ``roles`` say what they are. Generated from a roster, filled,
read and collected with the manifest, its database tables, 汇总表 and report hold its data.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest

from xltargets.collect import collect
from xltargets.generate import build_template, generate_batch, read_roster
from xltargets.read import read_workbook
from xltargets.spec import load_spec

SPEC = """
format: xltargets.spec/1
id: test-metrics
version: "0.1"
name: 测试用事项绩效表
money_unit: 元
taxonomy:
  - {level1: 产出, level2: [数量, 质量]}
  - {level1: 效果, level2: [社会, 环境]}
roles:
  unit_name: org
  project_name: title
  amounts: [amount]
  indicators: {table: metrics, level1: tier1, level2: tier2, level3: item, value: target}
sheets:
  - id: org
    name: 机构
    columns: [14, 40]
    fields:
      - {id: org, label: 机构名称, kind: text, prefill: true, default: '{{ unit_name }}', required: true}
    rows:
      - {cells: [{text: 机构名称, style: label}, {field: org}]}
  - id: item
    name: "事项{{ n }}"
    repeat: per_project
    columns: [12, 14, 24, 16]
    fields:
      - {id: title, label: 事项名称, kind: text, prefill: true, required: true}
      - {id: amount, label: 金额, kind: money, prefill: true, required: true}
      - {id: spent, label: 已支出, kind: money}
    tables:
      - id: metrics
        label: 指标
        rows: 4
        columns:
          - {id: tier1, label: 一级, kind: choice, list: taxonomy.level1, required: true}
          - {id: tier2, label: 二级, kind: choice, list: taxonomy.level2, depends_on: tier1, required: true}
          - {id: item, label: 指标名称, kind: text, required: true}
          - {id: target, label: 目标值, kind: indicator_value, required: true}
    rows:
      - {cells: [{text: "{{ n }}.{{ project.title }}", span: 4, style: title}]}
      - {cells: [{text: 事项名称, style: label}, {field: title, span: 3}]}
      - cells:
          - {text: 金额（元）, style: label}
          - {field: amount}
          - {text: 已支出（元）, style: label}
          - {field: spent}
      - {cells: [{text: 核对, style: note}, {check: spent_cap, span: 3}]}
      - {table: metrics}
rules:
  - {id: spent_cap, type: compare, sheet: item, left: spent, op: "<=", right: amount}
  - {id: tiers, type: taxonomy, sheet: item, table: metrics}
  - {id: both_tiers, type: required_categories, sheet: item, table: metrics, level1: [产出, 效果]}
"""

ROSTER = """unit_code,unit_name,事项名称,金额
A01,甲单位,社区活动,"120,000.00"
A01,甲单位,设备更新,80000
B02,乙单位,宣传印刷,5000.50
"""

METRICS = {
    "社区活动": [("产出", "数量", "活动场次", "≥12场"), ("效果", "社会", "居民参与度", "明显提高")],
    "设备更新": [("产出", "质量", "设备完好率", "=100.00(%)"), ("效果", "环境", "能耗", "下降")],
    "宣传印刷": [("产出", "数量", "印刷份数", "5000份"), ("效果", "社会", "知晓率", "≥80%")],
}


@pytest.fixture
def spec_dir(tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "test-metrics.yaml").write_text(SPEC, encoding="utf-8")
    # the reader and collect's workers find the spec by the id written in each template
    monkeypatch.setenv("XLTARGETS_SPEC_PATH", str(folder))
    return folder


def _fill(department) -> dict:
    fill = {}
    for n, project in enumerate(department.projects, start=1):
        cells = {("spent",): Decimal("1000.00")}
        for i, row in enumerate(METRICS[project["title"]]):
            for col, value in zip(("tier1", "tier2", "item", "target"), row, strict=True):
                cells[("metrics", i, col)] = value
        fill[f"事项{n}"] = cells
    return fill


def test_made_up_spec_whole_round(tmp_path, spec_dir):
    spec = load_spec("test-metrics")
    assert spec.roles.project_code is None
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    sent = tmp_path / "sent"
    manifest = generate_batch(spec, 2026, roster, sent)
    assert [w["unit_code"] for w in manifest["workbooks"]] == ["A01", "B02"]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for dept in read_roster(roster, spec):
        fill = _fill(dept)
        if dept.unit_code == "B02":
            fill["事项1"][("spent",)] = Decimal("9000.00")   # more than its 5,000.50 元
        built = build_template(spec, 2026, department=dept, values=fill)
        (inbox / f"{dept.unit_code}.xlsx").write_bytes(built.data)

    # read: every value back, found by the spec's own names
    data = read_workbook(inbox / "A01.xlsx").to_json()
    assert data["department"]["org"] == "甲单位"
    assert [p["title"] for p in data["projects"]] == ["社区活动", "设备更新"]
    assert data["projects"][0]["amount"] == "120000.00"
    assert [(r["tier1"], r["target"]["text"]) for r in data["projects"][1]["metrics"]] == [
        ("产出", "=100.00(%)"), ("效果", "下降")]
    assert data["findings"] == []

    out = tmp_path / "out"
    # two workers: they fork from a server that may predate XLTARGETS_SPEC_PATH (earlier tests)
    result = collect(inbox, out, manifest=sent / "manifest.json", jobs=2)
    assert result.counts["accepted"] == 1 and result.counts["rejected"] == 1
    db = sqlite3.connect(out / "xltargets.db")
    try:
        submissions = db.execute(
            "select unit_code, unit_name, status from submissions order by unit_code").fetchall()
        projects = db.execute(
            "select s.unit_code, p.project_code, p.project_name, p.indicators, p.fields "
            "from projects p join submissions s on s.id = p.submission_id "
            "order by s.unit_code, p.number").fetchall()
        indicators = db.execute(
            "select s.unit_code, i.project_sheet, level1, level2, level3, value_text, number, unit "
            "from indicators i join submissions s on s.id = i.submission_id "
            "order by s.unit_code, i.project_sheet, i.row").fetchall()
        findings = db.execute("select code, sheet, cell from findings").fetchall()
    finally:
        db.close()
    assert submissions == [("A01", "甲单位", "accepted"), ("B02", "乙单位", "rejected")]
    assert [p[:4] for p in projects] == [("A01", None, "社区活动", 2), ("A01", None, "设备更新", 2),
                                         ("B02", None, "宣传印刷", 2)]
    assert json.loads(projects[2][4])["amount"] == "5000.50"
    assert indicators == [
        ("A01", "事项1", "产出", "数量", "活动场次", "≥12场", "12", "场"),
        ("A01", "事项1", "效果", "社会", "居民参与度", "明显提高", None, None),
        ("A01", "事项2", "产出", "质量", "设备完好率", "=100.00(%)", "100.00", None),
        ("A01", "事项2", "效果", "环境", "能耗", "下降", None, None),
        ("B02", "事项1", "产出", "数量", "印刷份数", "5000份", "5000", "份"),
        ("B02", "事项1", "效果", "社会", "知晓率", "≥80%", "80", "%"),
    ]
    assert [f[:2] for f in findings] == [("compare_failed", "事项1")]

    import openpyxl

    wb = openpyxl.load_workbook(out / "汇总表.xlsx")
    rows = list(wb["项目汇总"].iter_rows(values_only=True))
    header = rows[0]
    items = [r for r in rows[1:] if r[header.index("状态")]]  # not the 合计 / 总计 rows
    assert [r[header.index("事项名称")] for r in items] == ["社区活动", "设备更新", "宣传印刷"]
    assert [r[header.index("金额（元）")] for r in items] == [120000, 80000, 5000.5]
    metrics = list(wb["绩效指标"].iter_rows(values_only=True))
    assert len(metrics) - 1 == 6
    assert [r[metrics[0].index("三级指标")] for r in metrics[1:3]] == ["活动场次", "居民参与度"]
    report = (out / "report.html").read_text("utf-8")
    assert "乙单位" in report and "已支出" in report
    assert len(list((out / "feedback").glob("*.xlsx"))) == 1
