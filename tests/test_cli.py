"""The CLI in-process: exit status and message first, then the files it produced."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from forms import CLEAN, write_fill
from typer.testing import CliRunner

from xltargets.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_specs_list_show_schema():
    r = invoke("specs", "list")
    assert r.exit_code == 0 and "hebei-county" in r.output and "hunan" in r.output
    r = invoke("specs", "show", "hunan")
    assert r.exit_code == 0 and "社会公众或服务对象满意度指标" in r.output and "income_split" in r.output
    r = invoke("specs", "schema")
    assert r.exit_code == 0 and json.loads(r.output)["title"] == "xltargets form spec"


def test_specs_check_reports_every_error_with_line(tmp_path):
    text = (ROOT / "specs" / "hunan.yaml").read_text(encoding="utf-8")
    text = text.replace("kind: money, required: true}", "kind: mony, required: true}", 1)
    text = text.replace("type: cross_sheet_sum", "type: cross_sheet_summ", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["specs", "check", str(bad)])
    assert r.exit_code == 1
    assert "unknown value 'mony'" in r.output and "unknown rule type" in r.output
    assert f"{bad}:" in r.output and "Traceback" not in r.output
    assert invoke("specs", "check", str(ROOT / "specs" / "hunan.yaml")).exit_code == 0


def test_generate_from_roster_writes_workbooks_and_manifest(tmp_path):
    out = tmp_path / "out"
    r = invoke("generate", "hebei-county", "--year", "2022", "--roster",
               str(ROOT / "examples" / "roster-hebei.csv"), "--out", str(out))
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [w["unit_code"] for w in manifest["workbooks"]] == ["224002", "224001", "224003", "224004"]
    assert [w["projects"] for w in manifest["workbooks"]] == [3, 2, 1, 0]
    first = out / manifest["workbooks"][0]["file"]
    wb = openpyxl.load_workbook(first)
    assert wb.sheetnames[:4] == ["部门整体绩效目标", "项目1", "项目2", "项目3"]
    assert wb["项目2"]["E3"].value == "网络强军工程和网络宣传"
    assert not list(out.glob(".*.part"))


def test_generate_blank_and_usage_errors(tmp_path):
    r = invoke("generate", "hunan", "--year", "2024", "--projects", "2", "--out", str(tmp_path))
    assert r.exit_code == 0
    assert len(list(tmp_path.glob("*.xlsx"))) == 1
    r = runner.invoke(app, ["generate", "hunan", "--year", "2024", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--roster" in r.output


@pytest.mark.parametrize("row,message", [
    (",某单位,,13022522P002H4T100074,项目,1,1,", "单位编码为空"),
    ("224002,另一个名字,,13022522P002H4T100099,项目,1,1,", "单位编码224002重复"),
    ("224009,某单位,,13022522P002H4T100099,项目,五十,1,", "不是有效金额"),
    ("224009,某单位,,1302252P,项目,1,1,", "格式不正确"),
])
def test_bad_roster_row_is_named(tmp_path, row, message):
    roster = (ROOT / "examples" / "roster-hebei.csv").read_text(encoding="utf-8").splitlines()
    roster.insert(3, row)
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(roster) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["generate", "hebei-county", "--year", "2022", "--roster", str(path),
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert f"{path} 第4行" in r.output and message in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_read_and_check_exit_status(tmp_path):
    clean = write_fill("hunan", CLEAN["hunan"][0](), tmp_path / "clean.xlsx")
    r = invoke("read", str(clean), "-o", str(tmp_path / "clean.json"))
    assert r.exit_code == 0 and "通过" in r.output
    data = json.loads((tmp_path / "clean.json").read_text(encoding="utf-8"))
    assert data["department"]["budget_total"] == "109.04"
    fill = CLEAN["hunan"][0]()
    del fill["部门整体支出绩效目标表"][("functions",)]
    bad = write_fill("hunan", fill, tmp_path / "bad.xlsx")
    r = invoke("check", str(bad))
    assert r.exit_code == 1 and "required_missing" in r.output and "部门职能职责概述" in r.output
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    r = runner.invoke(app, ["read", str(junk)])
    assert r.exit_code == 2 and str(junk) in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["read", str(tmp_path / "none.xlsx")])
    assert r.exit_code == 2 and "不存在" in r.output
