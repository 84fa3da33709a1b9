"""Tests for bugs that once survived the suite (issue 10, "Tests that let real bugs through").

Each was planted by hand and this file's test failed on it (see docs/testing.md): ordering
duplicates by modification time instead of the workbook's own save time, the database upsert
turned into DO NOTHING, the 汇总表 writer no longer escaping ``&``, money rounded to cents,
``read`` exiting 1 on warnings only, the stamp looked for on the wrong row of the lists sheet.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import sqlite3
from decimal import Decimal
from pathlib import Path

import openpyxl
from forms import CLEAN, rewrite, write_fill
from typer.testing import CliRunner

from xltargets.cli import app
from xltargets.collect import collect
from xltargets.read import read_workbook

ROOT = Path(__file__).resolve().parent.parent
SPEC, P = "hebei-county", "项目1"


def _with_save_time(data: bytes, when: dt.datetime) -> bytes:
    spec = importlib.util.spec_from_file_location("departments", ROOT / "examples" / "departments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._with_save_time(data, when)


def _fill(**project: object) -> dict:
    fill = CLEAN[SPEC][0]()
    for key, value in project.items():
        fill[P][(key,)] = value
    return fill


def test_newest_duplicate_is_by_save_time_not_file_time(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    older, newer = inbox / "a-saved-later.xlsx", inbox / "b-saved-earlier.xlsx"
    for path, goal, saved in ((older, "后保存的", dt.datetime(2025, 3, 9)),
                              (newer, "先保存的", dt.datetime(2025, 3, 1))):
        write_fill(SPEC, _fill(goal=goal), path)
        path.write_bytes(_with_save_time(path.read_bytes(), saved))
    # the file times say the opposite (a mail client reset them)
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_700_900_000, 1_700_900_000))
    result = collect(inbox, tmp_path / "o", jobs=1, feedback=False)
    assert result.counts["duplicate"] == 1
    rows = {r["file"]: r for r in json.loads((tmp_path / "o" / "results.json").read_text("utf-8"))["files"]}
    assert rows["a-saved-later.xlsx"]["status"] != "duplicate"
    assert rows["b-saved-earlier.xlsx"]["kept_instead_of"] == "a-saved-later.xlsx"


def test_second_run_updates_the_department_row(tmp_path):
    """The upsert must update: a department's row follows its newest kept return."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db = tmp_path / "x.db"
    url = f"sqlite:///{db}"
    write_fill(SPEC, _fill(budget_fiscal=Decimal("40.00")), inbox / "224002.xlsx")  # 40 + 4.5 ≠ 50
    collect(inbox, tmp_path / "o1", jobs=1, feedback=False, db_url=url)
    with sqlite3.connect(db) as con:
        first = con.execute("select status, submission_id from departments").fetchall()
    assert [s for s, _ in first] == ["rejected"]
    path = inbox / "224002.xlsx"
    write_fill(SPEC, _fill(), path)
    collect(inbox, tmp_path / "o2", jobs=1, feedback=False, db_url=url)
    with sqlite3.connect(db) as con:
        second = con.execute("select status, submission_id from departments").fetchall()
        fiscal = con.execute("select fields from projects").fetchall()
    assert [s for s, _ in second] == ["accepted"]
    assert second[0][1] != first[0][1]
    assert [json.loads(f)["budget_fiscal"] for (f,) in fiscal] == ["45.50"]


def test_summary_workbook_escapes_ampersands_and_angles(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = "R&D <研发> & “测试” &amp;"
    write_fill(SPEC, _fill(funds_use=text), inbox / "a.xlsx")
    collect(inbox, tmp_path / "o", jobs=1, feedback=False)
    ws = openpyxl.load_workbook(tmp_path / "o" / "汇总表.xlsx")["项目汇总"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("资金用途") + 1).value == text


def test_money_keeps_every_decimal_it_was_given(tmp_path):
    path = write_fill(SPEC, _fill(budget_total="50.125", budget_fiscal="45.625", budget_other="4.50"),
                      tmp_path / "a.xlsx")
    data = read_workbook(path).to_json()
    assert data["projects"][0]["budget_total"] == "50.125"   # not rounded to cents (50.12)
    assert data["projects"][0]["budget_fiscal"] == "45.625"
    codes = {(f["code"], f["path"]) for f in data["findings"]}
    assert ("money_precision", "projects[0].budget_total") in codes
    assert "sum_mismatch" not in {c for c, _ in codes}  # 45.625 + 4.50 = 50.125 exactly


def test_read_exits_0_on_warnings_only(tmp_path):
    path = write_fill(SPEC, _fill(budget_total="50.125", budget_fiscal="45.625", budget_other="4.50"),
                      tmp_path / "a.xlsx")
    r = CliRunner().invoke(app, ["read", str(path), "-o", str(tmp_path / "a.json")])
    data = json.loads((tmp_path / "a.json").read_text("utf-8"))
    assert data["status"] == "accepted_with_warnings" and r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["check", str(path)])
    assert r.exit_code == 0 and "money_precision" in r.output


def test_stamp_is_found_on_the_lists_sheet_without_custom_properties(tmp_path):
    from xltargets.generate import build_template
    from xltargets.spec import load_spec

    built = build_template(load_spec(SPEC), 2022, projects=1, values=_fill(), batch="第一批")
    path = tmp_path / "a.xlsx"
    path.write_bytes(built.data)

    def drop_custom(name: str, data: bytes) -> bytes:
        if name == "docProps/custom.xml":
            return b'<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"/>'
        return data

    rewrite(path, drop_custom)  # what a program that drops custom properties leaves
    stamp = read_workbook(path).to_json()["source"]["stamp"]
    assert stamp["template_id"] == built.stamp.template_id
    assert stamp["spec_hash"] == built.stamp.spec_hash and stamp["year"] == 2022
