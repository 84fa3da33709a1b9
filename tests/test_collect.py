"""collect: a realistic inbox, every status, every output, twice.

The inbox is what a county finance office gets back for one distribution round (hebei-county,
2022, six departments): returns filled through LibreOffice (or, where it is not installed, drawn
by the generator), one department returning twice, one never, one only a broken file, plus an
old .xls, an encrypted workbook, a workbook of the other spec, an unrelated spreadsheet, a
workbook that was never sent out, and the litter of real folders (.DS_Store, ~$ lock files).
Every test checks one promise of docs/collect.md against that batch.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from db_equals_json import assert_database_equals_json
from forms import CLEAN, hunan_clean, libreoffice_cells, write_fill

from xltargets.collect import STATUS_LABELS, collect, feedback_workbook, submission_values
from xltargets.collect import _collect as collect_module
from xltargets.collect._db import TABLES
from xltargets.collect._outputs import csv_safe
from xltargets.collect._pool import WorkerPool
from xltargets.collect._scan import feedback_names, scan
from xltargets.collect._work import read_task
from xltargets.errors import CollectError
from xltargets.generate import build_template, generate_batch
from xltargets.generate.roster import read_roster
from xltargets.read import Limits, read_workbook
from xltargets.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "submission.schema.json").read_text(encoding="utf-8"))
SPEC = "hebei-county"
YEAR = 2022
D, P = "部门整体绩效目标", "项目1"

ROSTER = """unit_code,unit_name,region_code,project_code,project_name,budget_total,budget_fiscal,budget_other
224001,乐亭县网信办,130225,13022522P002H4T100074,购买舆情监测服务,50.00,45.50,4.50
224002,乐亭县融媒体中心,130225,13022522P002H4T100075,网络宣传,50.00,45.50,4.50
224003,乐亭县委宣传部,130225,13022522P002H4T100076,舆情处置,50.00,45.50,4.50
224004,乐亭县教育局,130225,13022522P002H4T100077,校园网络安全,50.00,45.50,4.50
224005,"=SUM(1,2)某局",130225,13022522P002H4T100078,某项目,50.00,45.50,4.50
224006,乐亭县财政局,130225,13022522P002H4T100079,财政网络安全,50.00,45.50,4.50
"""

#: every file of the inbox and the status collect must give it
EXPECTED = {
    "224001.xlsx": "accepted",
    "224002.xlsx": "accepted_with_warnings",
    "224003.xlsx": "rejected",
    "邮件1/224004.xlsx": "duplicate",
    "邮件2/224004.xlsx": "accepted",
    "224006.xlsx": "unreadable",
    "旧格式.xls": "unreadable",
    "加密.xlsx": "unreadable",
    "湖南表.xlsx": "unexpected",
    "=HYPERLINK(1).xlsx": "unexpected",
    "not-sent.xlsx": "unexpected",
    ".DS_Store": "ignored",
    "~$224001.xlsx": "ignored",
}
REASONS = {"224006.xlsx": "corrupt_zip", "旧格式.xls": "legacy_xls", "加密.xlsx": "encrypted",
           "湖南表.xlsx": "other_spec", "=HYPERLINK(1).xlsx": "unknown_form",
           "not-sent.xlsx": "not_in_manifest", ".DS_Store": "hidden_file",
           "~$224001.xlsx": "office_lock_file", "邮件1/224004.xlsx": "duplicate"}
#: what each department's return gets wrong: (code, sheet, cell)
REJECTED_FINDINGS = {("list_too_few", D, "B4"), ("invalid_percent", P, "E8")}
WARNING_FINDINGS = {("cost_cap_exceeds_budget", P, "F12")}
OUTPUT_FILES = ["results.csv", "results.json", "submissions.jsonl", "submissions.json",
                "missing.csv", "汇总表.xlsx", "report.html"]


# --------------------------------------------------------------------------------------------
# the inbox
# --------------------------------------------------------------------------------------------

def _fill(**changes: Any) -> dict:
    """hebei_clean without the prefilled fields, with ``changes`` ({(sheet, path)}): a department
    cannot type into them (and a changed one is ``prefill_changed``)."""
    fill = CLEAN[SPEC][0]()
    for path in (("unit_code",), ("unit_name",)):
        fill[D].pop(path)
    for path in (("project_code",), ("project_name",)):
        fill[P].pop(path)
    for (sheet, path), value in changes.get("set", {}).items():
        if value is None:
            fill[sheet].pop(path, None)
        else:
            fill[sheet][path] = value
    return fill


FILLS = {
    "224001.xlsx": ("224001", _fill()),
    "224002.xlsx": ("224002", _fill(set={(P, ("indicators", 1, "value")): "≤80万元"})),
    "224003.xlsx": ("224003", _fill(set={
        (D, ("sub_goals", 0)): None, (D, ("sub_goals", 1)): None,
        (P, ("plan_dec",)): "<script>alert(1)</script>",
        (P, ("goal",)): '=HYPERLINK("http://example.invalid","点我")',
        (P, ("funds_use",)): "@SUM(1+1)",
        (P, ("indicators", 2, "level3")): "-社会影响力",
    })),
    "邮件1/224004.xlsx": ("224004", _fill(set={(P, ("goal",)): None})),
    "邮件2/224004.xlsx": ("224004", _fill()),
    "224006.xlsx": ("224006", _fill()),
    "not-sent.xlsx": ("", _fill(set={(D, ("unit_code",)): "224001", (D, ("unit_name",)): "某单位",
                                     (P, ("project_code",)): "13022522P002H4T100074",
                                     (P, ("project_name",)): "某项目"})),
}


def _corpus(folder: Path) -> dict[str, Path]:
    from hostile.corpus import build_corpus

    return build_corpus(folder)


def build_inbox(root: Path, *, libreoffice: bool) -> tuple[Path, Path]:
    """Write the distribution (templates + manifest.json) and the inbox; return both folders."""
    spec = load_spec(SPEC)
    sent, inbox = root / "sent", root / "inbox"
    roster = root / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    manifest = generate_batch(spec, YEAR, roster, sent)
    templates = {w["unit_code"]: sent / w["file"] for w in manifest["workbooks"]}
    departments = {d.unit_code: d for d in read_roster(roster, spec)}
    blank = root / "blank.xlsx"
    blank.write_bytes(build_template(spec, YEAR, projects=1).data)
    inbox.mkdir()
    jobs = []
    for rel, (unit, fill) in FILLS.items():
        dst = inbox / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        src = templates[unit] if unit else blank
        if libreoffice:
            jobs.append({"op": "fill", "src": str(src), "dst": str(dst),
                         "cells": libreoffice_cells(SPEC, fill)})
        elif unit:
            dst.write_bytes(build_template(spec, YEAR, department=departments[unit],
                                           values=fill).data)
        else:
            dst.write_bytes(build_template(spec, YEAR, projects=1, values=fill).data)
    if jobs:
        from libreoffice import client

        results = client.run_jobs(jobs, timeout=900)
        assert all(r.get("ok") for r in results), [r for r in results if not r.get("ok")][:2]
    # the older of the two returns of 224004 was saved first
    os.utime(inbox / "邮件1/224004.xlsx", (1_700_000_000, 1_700_000_000))
    os.utime(inbox / "邮件2/224004.xlsx", (1_700_100_000, 1_700_100_000))
    broken = inbox / "224006.xlsx"
    data = broken.read_bytes()
    broken.write_bytes(data[: len(data) * 6 // 10])
    corpus = _corpus(root / "corpus")
    (inbox / "旧格式.xls").write_bytes(corpus["legacy_xls"].read_bytes())
    (inbox / "加密.xlsx").write_bytes(corpus["encrypted_xlsx"].read_bytes())
    (inbox / "=HYPERLINK(1).xlsx").write_bytes(corpus["valid"].read_bytes())
    write_fill("hunan", hunan_clean(), inbox / "湖南表.xlsx")
    (inbox / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (inbox / "~$224001.xlsx").write_bytes(b"\x0cuser" + bytes(150))
    return inbox, sent / "manifest.json"


@pytest.fixture(scope="module", params=[
    "generator", pytest.param("libreoffice", marks=pytest.mark.libreoffice)])
def batch(request, tmp_path_factory):
    """The inbox, collected once with the manifest (jobs=2)."""
    if request.param == "libreoffice":
        from libreoffice import client

        if not client.available():
            pytest.skip("LibreOffice headless (soffice + python3-uno) not installed")
    root = tmp_path_factory.mktemp(f"collect-{request.param}")
    inbox, manifest = build_inbox(root, libreoffice=request.param == "libreoffice")
    out = root / "out"
    started = time.perf_counter()
    result = collect(inbox, out, manifest=manifest, jobs=2)
    seconds = time.perf_counter() - started
    print(f"\ncollect of {len(EXPECTED)} files ({request.param}): {seconds:.2f} s")
    return {"inbox": inbox, "manifest": manifest, "out": out, "result": result, "root": root,
            "kind": request.param}


def _results(out: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {row["file"]: row for row in data["files"]}


def _jsonl(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "submissions.jsonl").read_text(encoding="utf-8").splitlines()]


def _csv(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


# --------------------------------------------------------------------------------------------
# statuses
# --------------------------------------------------------------------------------------------

def test_every_file_has_exactly_its_status(batch):
    rows = _results(batch["out"])
    assert {rel: row["status"] for rel, row in rows.items()} == EXPECTED
    for rel, code in REASONS.items():
        assert rows[rel]["reason"] == code, rel
    for row in rows.values():
        assert row["label"] == STATUS_LABELS[row["status"]]
        if row["status"] in ("unreadable", "unexpected", "duplicate", "ignored"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in row["message"]), row
    counts = batch["result"].counts
    assert sum(counts[s] for s in STATUS_LABELS if s != "missing") == len(EXPECTED)
    assert counts["missing"] == 2
    assert batch["result"].total == len(EXPECTED)


def test_results_csv_is_the_same_table(batch):
    table = _csv(batch["out"] / "results.csv")
    rows = _results(batch["out"])
    header, body = table[0], table[1:]
    assert header[:3] == ["file", "status", "label"]
    assert [r[0].removeprefix("'") for r in body] == sorted(rows)  # input order: by path
    assert len(body) == len(EXPECTED)


def test_duplicate_keeps_the_newest_and_says_which(batch):
    rows = _results(batch["out"])
    assert rows["邮件1/224004.xlsx"]["kept_instead_of"] == "邮件2/224004.xlsx"
    assert "邮件2/224004.xlsx" in rows["邮件1/224004.xlsx"]["message"]
    assert rows["邮件2/224004.xlsx"]["kept_instead_of"] == ""


def test_missing_departments_with_what_they_sent(batch):
    missing = _csv(batch["out"] / "missing.csv")
    assert missing[0][:2] == ["unit_code", "unit_name"]
    by_code = {row[0]: row for row in missing[1:]}
    assert sorted(by_code) == ["224005", "224006"]
    assert by_code["224005"][1] == "'=SUM(1,2)某局"        # formula-proof CSV
    assert "224006.xlsx" in by_code["224006"][4]            # its only return was broken
    assert [m["unit_code"] for m in batch["result"].missing] == ["224005", "224006"]


def test_submissions_are_the_kept_returns_and_valid_json(batch):
    rows = _results(batch["out"])
    lines = _jsonl(batch["out"])
    kept = sorted(rel for rel, row in rows.items()
                  if row["status"] in ("accepted", "accepted_with_warnings", "rejected"))
    by_sha = {row["sha256"]: rel for rel, row in rows.items()}
    assert [by_sha[s["source"]["sha256"]] for s in lines] == kept
    for s in lines:
        jsonschema.validate(s, SCHEMA)
    array = json.loads((batch["out"] / "submissions.json").read_text(encoding="utf-8"))
    assert array == lines
    found = {by_sha[s["source"]["sha256"]]: {(f["code"], f["sheet"], f["cell"]) for f in s["findings"]}
             for s in lines}
    assert found["224001.xlsx"] == set()
    assert found["224002.xlsx"] == WARNING_FINDINGS
    assert found["224003.xlsx"] == REJECTED_FINDINGS


def test_database_rows_equal_the_json(batch):
    lines = _jsonl(batch["out"])
    db = sqlite3.connect(batch["out"] / "xltargets.db")
    try:
        count = {t.name: db.execute(f"select count(*) from {t.name}").fetchone()[0] for t in TABLES}
        assert db.execute("pragma foreign_key_check").fetchall() == []
        statuses = dict(db.execute("select unit_code, status from departments").fetchall())
        kept_files = {r[0] for r in db.execute("select file from submissions")}
    finally:
        db.close()
    assert count["submissions"] == len(lines)
    assert count["projects"] == sum(len(s["projects"]) for s in lines)
    assert count["indicators"] == sum(len(s["department"].get("indicators") or [])
                                      + sum(len(p["indicators"]) for p in s["projects"])
                                      for s in lines)
    assert count["findings"] == sum(len(s["findings"]) for s in lines)
    assert statuses == {"224001": "accepted", "224002": "accepted_with_warnings",
                        "224003": "rejected", "224004": "accepted", "224005": "missing",
                        "224006": "missing"}
    assert kept_files == {"224001.xlsx", "224002.xlsx", "224003.xlsx", "邮件2/224004.xlsx"}
    assert batch["result"].db_counts == count
    # value by value, not only the counts (issue 10)
    assert_database_equals_json(batch["out"] / "xltargets.db", lines)


def test_summary_workbook(batch):
    wb = openpyxl.load_workbook(batch["out"] / "汇总表.xlsx")
    assert wb.sheetnames == ["项目汇总", "部门汇总", "绩效指标", "问题清单", "报送情况", "未报送"]
    lines = _jsonl(batch["out"])
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
    rows = list(wb["项目汇总"].iter_rows(values_only=True))
    header = rows[0]
    projects = [r for r in rows[1:] if r[header.index("状态")]]  # not the 合计 / 总计 rows
    assert len(projects) == sum(len(s["projects"]) for s in lines)
    total = header.index("预算数（万元）")
    assert all(row[total] == 50 for row in projects)             # a number, to sum
    assert len(list(wb["问题清单"].iter_rows())) - 1 == sum(len(s["findings"]) for s in lines)
    assert len(list(wb["报送情况"].iter_rows())) - 1 == len(EXPECTED)
    assert [r[0] for r in wb["未报送"].iter_rows(min_row=2, values_only=True)] == ["224005", "224006"]


def test_no_text_becomes_a_formula_in_any_workbook_or_csv(batch):
    out = batch["out"]
    texts = {'=HYPERLINK("http://example.invalid","点我")', "@SUM(1+1)", "-社会影响力",
             "=SUM(1,2)某局", "=HYPERLINK(1).xlsx"}
    seen = set()
    workbooks = [out / "汇总表.xlsx", *sorted((out / "feedback").rglob("*.xlsx"))]
    for path in workbooks:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name) or path.name != "汇总表.xlsx", name
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value in texts:
                        assert cell.data_type == "s", (path.name, ws.title, cell.coordinate)
                        seen.add(cell.value)
    assert texts <= seen
    for name in ("results.csv", "missing.csv"):
        for row in _csv(out / name):
            for value in row:
                assert not value.startswith(("=", "+", "-", "@")), (name, value)


def test_report_is_chinese_escaped_and_complete(batch):
    html = (batch["out"] / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for label in ("通过", "通过（有警告）", "退回修改", "无法读取", "重复提交（未采用）", "非下发模板", "未报送"):
        assert label in html
    for unit in ("224001", "224002", "224003", "224004", "224005", "224006"):
        assert unit in html
    assert "=SUM(1,2)某局" in html


# --------------------------------------------------------------------------------------------
# feedback copies
# --------------------------------------------------------------------------------------------

def _comments(path: Path) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, cell.coordinate): cell.comment.text for ws in wb.worksheets
            for row in ws.iter_rows() for cell in row if cell.comment}


def test_feedback_copies_for_returns_with_findings_only(batch):
    folder = batch["out"] / "feedback"
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.xlsx"))
    assert names == ["224002_退回修改意见.xlsx", "224003_退回修改意见.xlsx"]
    rows = _results(batch["out"])
    assert rows["224003.xlsx"]["feedback"] == "224003_退回修改意见.xlsx"
    assert rows["224001.xlsx"]["feedback"] == ""


def test_feedback_copy_holds_values_comments_and_protection(batch):
    copy = batch["out"] / "feedback" / "224003_退回修改意见.xlsx"
    original = read_workbook(batch["inbox"] / "224003.xlsx").to_json()
    comments = _comments(copy)
    assert set(comments) == {(sheet, cell) for _, sheet, cell in REJECTED_FINDINGS}
    assert "百分比" in comments[(P, "E8")] and comments[(P, "E8")].startswith("错误：")
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[-2:] == ["问题清单", "_lists"]
    listing = list(wb["问题清单"].iter_rows(values_only=True))
    assert len(listing) - 1 == len(original["findings"])
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
    assert wb[P].data_validations.dataValidation          # dropdowns and checks are there
    again = read_workbook(copy).to_json()
    # the copy is the same template: same id, same values, the same mistakes in the same cells
    assert again["source"]["stamp"]["template_id"] == original["source"]["stamp"]["template_id"]
    assert again["projects"] == original["projects"]
    assert {(f["code"], f["sheet"], f["cell"]) for f in again["findings"]} == REJECTED_FINDINGS
    assert (batch["inbox"] / "224003.xlsx").read_bytes() == _inbox_bytes(batch, "224003.xlsx")


def _inbox_bytes(batch: dict, rel: str) -> bytes:
    sha = _results(batch["out"])[rel]["sha256"]
    data = (batch["inbox"] / rel).read_bytes()
    import hashlib

    assert hashlib.sha256(data).hexdigest() == sha     # the department's file is untouched
    return data


def test_feedback_copy_returned_is_recognised_as_the_template_sent(batch, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "224003-改.xlsx").write_bytes(
        (batch["out"] / "feedback" / "224003_退回修改意见.xlsx").read_bytes())
    result = collect(inbox, tmp_path / "out", manifest=batch["manifest"], feedback=False)
    rows = _results(tmp_path / "out")
    assert rows["224003-改.xlsx"]["status"] == "rejected"   # still wrong, but ours
    assert result.counts["missing"] == 5


@pytest.mark.libreoffice
def test_feedback_copies_open_in_libreoffice_with_comments_in_place(batch, tmp_path):
    from libreoffice import client

    if not client.available():
        pytest.skip("LibreOffice headless (soffice + python3-uno) not installed")
    folder = batch["out"] / "feedback"
    copies = sorted(folder.rglob("*.xlsx"))
    jobs: list[dict[str, Any]] = []
    for i, copy in enumerate(copies):
        jobs.append({"op": "resave", "src": str(copy), "dst": str(tmp_path / f"{i}.xlsx")})
        jobs.append({"op": "read", "src": str(copy), "cells": [
            {"sheet": sheet, "address": cell} for sheet, cell in _comments(copy)]})
    results = client.run_jobs(jobs, timeout=600)
    assert all(r["ok"] for r in results), results
    for i, copy in enumerate(copies):
        # LibreOffice wrote every comment back from its own model: it had each on its cell
        assert _comments(tmp_path / f"{i}.xlsx") == _comments(copy)
        for cell in results[2 * i + 1]["cells"]:
            assert cell["sheet_protected"], cell
        assert read_workbook(tmp_path / f"{i}.xlsx").to_json()["projects"] == \
            read_workbook(copy).to_json()["projects"]


# --------------------------------------------------------------------------------------------
# idempotence
# --------------------------------------------------------------------------------------------

def _snapshot(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in OUTPUT_FILES}
    for path in sorted((out / "feedback").rglob("*")):
        if path.is_file():
            files[path.relative_to(out).as_posix()] = path.read_bytes()
    return files


def _db_rows(path: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(path)
    try:
        return {t.name: sorted(db.execute(f"select * from {t.name}").fetchall(), key=repr)
                for t in TABLES}
    finally:
        db.close()


def test_second_run_gives_identical_outputs_and_no_new_rows(batch):
    out = batch["out"]
    before, rows_before = _snapshot(out), _db_rows(out / "xltargets.db")
    again = collect(batch["inbox"], out, manifest=batch["manifest"], jobs=1)
    after = _snapshot(out)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []
    assert _db_rows(out / "xltargets.db") == rows_before
    assert again.counts == batch["result"].counts
    assert not [p for p in out.iterdir() if p.name.startswith((".collect-", ".results"))]


# --------------------------------------------------------------------------------------------
# duplicates, scanning, naming
# --------------------------------------------------------------------------------------------

def _twice(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill = CLEAN[SPEC][0]()
    write_fill(SPEC, fill, inbox / "a.xlsx")
    fill[P][("goal",)] = "第二版"
    write_fill(SPEC, fill, inbox / "b.xlsx")
    os.utime(inbox / "a.xlsx", (1_700_100_000, 1_700_100_000))   # a is the newer
    os.utime(inbox / "b.xlsx", (1_700_000_000, 1_700_000_000))
    return inbox


@pytest.mark.parametrize(("strategy", "kept"), [("newest", "a.xlsx"), ("oldest", "b.xlsx")])
def test_duplicate_strategies(tmp_path, strategy, kept):
    inbox = _twice(tmp_path)
    collect(inbox, tmp_path / "out", duplicates=strategy, feedback=False)
    rows = _results(tmp_path / "out")
    other = "b.xlsx" if kept == "a.xlsx" else "a.xlsx"
    assert rows[kept]["status"] == "accepted"
    assert rows[other]["status"] == "duplicate"
    assert rows[other]["kept_instead_of"] == kept
    assert len(_jsonl(tmp_path / "out")) == 1


def test_duplicate_strategy_fail_stops_before_any_output(tmp_path):
    inbox = _twice(tmp_path)
    with pytest.raises(CollectError) as info:
        collect(inbox, tmp_path / "out", duplicates="fail")
    assert "a.xlsx" in str(info.value) and "b.xlsx" in str(info.value)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_scan_ignores_litter_and_its_own_output(tmp_path):
    inbox = tmp_path / "inbox"
    for rel in ("a.xlsx", "sub/b.xlsx", "sub/.hidden/c.xlsx", "~$a.xlsx", "Thumbs.db", "out/x.xlsx"):
        (inbox / rel).parent.mkdir(parents=True, exist_ok=True)
        (inbox / rel).write_bytes(b"x")
    files = scan(inbox, exclude=[inbox / "out"])
    assert [(f.rel, f.ignored) for f in files] == [
        ("Thumbs.db", "system_file"), ("a.xlsx", ""), ("sub/.hidden/c.xlsx", "hidden_file"),
        ("sub/b.xlsx", ""), ("~$a.xlsx", "office_lock_file")]
    with pytest.raises(CollectError):
        scan(inbox, exclude=[inbox])
    with pytest.raises(CollectError):
        scan(tmp_path / "nowhere", exclude=[])


def test_feedback_names_never_collide():
    names = feedback_names(["a/报表.xlsx", "b/报表.xlsx", "a/报表.xlsm", "c.xlsx"])
    assert names == {"a/报表.xlsm": "a/报表_退回修改意见.xlsx",
                     "a/报表.xlsx": "a/报表_xlsx_退回修改意见.xlsx",
                     "b/报表.xlsx": "b/报表_退回修改意见.xlsx", "c.xlsx": "c_退回修改意见.xlsx"}


def test_csv_cells_that_would_run_get_an_apostrophe():
    assert [csv_safe(v) for v in ("=1+1", "+86", "-5", "@A1", "\tx", "正常", 5, None)] == \
        ["'=1+1", "'+86", "'-5", "'@A1", "'\tx", "正常", 5, ""]


def test_bad_arguments_are_collect_errors(tmp_path):
    with pytest.raises(CollectError):
        collect(tmp_path, tmp_path / "o", duplicates="random")
    with pytest.raises(CollectError):
        collect(tmp_path, tmp_path / "o", jobs=0)
    bad = tmp_path / "manifest.json"
    bad.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(CollectError):
        collect(tmp_path, tmp_path / "o", manifest=bad)
    with pytest.raises(CollectError):
        collect(tmp_path, tmp_path / "o", db_url="mysql://u@localhost/x")


def test_empty_inbox_still_writes_every_output(tmp_path):
    (tmp_path / "inbox").mkdir()
    result = collect(tmp_path / "inbox", tmp_path / "out")
    assert result.total == 0
    for name in OUTPUT_FILES:
        assert (tmp_path / "out" / name).is_file(), name
    assert json.loads((tmp_path / "out" / "submissions.json").read_text(encoding="utf-8")) == []


# --------------------------------------------------------------------------------------------
# the pool: no file stops the batch
# --------------------------------------------------------------------------------------------

def _behave(arg: str) -> str:
    if arg == "hang":
        time.sleep(60)
    if arg == "crash":
        os._exit(3)
    if arg == "raise":
        raise ValueError("boom")
    return arg.upper()


@pytest.mark.parametrize(("jobs", "depth"), [(2, 1), (1, 2), (2, 3)])
def test_pool_survives_hangs_crashes_and_exceptions(jobs, depth):
    # with depth > 1 the tasks behind a hang or a crash were already sent to that worker: they
    # go to its successor and are neither lost nor blamed
    with WorkerPool(jobs, depth=depth) as pool:
        for i, arg in enumerate(["ok", "hang", "crash", "raise", "fine", "crash", "last"]):
            # a fresh worker imports this module to unpickle _behave: ~1 s, more on a loaded
            # machine; 15 s is generous for that and still far below the 60 s hang
            pool.submit(i, _behave, arg, 15.0)
        done = {d.key: d for d in pool.drain()}
    assert sorted(done) == list(range(7))
    assert [done[i].value for i in (0, 4, 6)] == ["OK", "FINE", "LAST"]
    assert done[1].failure is not None and done[1].failure.code == "timeout"
    assert done[2].failure is not None and done[2].failure.code == "crashed"
    assert done[5].failure is not None and done[5].failure.code == "crashed"
    assert done[3].failure is not None and done[3].failure.code == "internal_error"
    assert "boom" in done[3].failure.detail


def _timed(arg: str) -> tuple[float, float]:
    """When this task started and ended (the clock is the machine's, the same in every process)."""
    start = time.monotonic()
    if arg == "stderr":
        os.write(2, b"first task's warning\n")
    if arg == "big":
        os.write(2, b"x" * (80 * 1024) + b"\n")
    if arg.startswith("die:"):
        os.write(2, arg[4:].encode() + b"\n")
        os._exit(7)
    return start, time.monotonic()


@pytest.mark.parametrize("depth", [1, 2])
def test_a_worker_goes_on_to_its_next_task_without_waiting_for_the_parent(depth):
    with WorkerPool(1, depth=depth) as pool:
        pool.submit(0, _timed, "", 30.0)
        assert [d.key for d in pool.poll(block=True)] == [0]  # the worker is up, and idle
        pool.submit(1, _timed, "", 30.0)
        pool.submit(2, _timed, "", 30.0)
        early = pool.poll(block=False)  # sends what the worker may hold
        asleep = time.monotonic()
        time.sleep(1.0)  # the parent is busy elsewhere (drawing a feedback copy, say)
        first, second = [*early, *pool.drain()]
    assert (first.key, second.key) == (1, 2)
    started = second.value[0]
    if depth == 1:  # the control: the second task waited for the parent to send it
        assert started >= asleep + 1.0
    else:
        assert started < asleep + 0.5
        assert started - first.value[1] < 0.5


@pytest.mark.parametrize("depth", [1, 2])
def test_a_crash_is_told_with_its_own_stderr_only(depth):
    # the worker ran other tasks before (one wrote to stderr, one more than the file keeps)
    with WorkerPool(1, depth=depth) as pool:
        for i, arg in enumerate(["stderr", "big", "", "die:panicked at src/x.rs", "after"]):
            pool.submit(i, _timed, arg, 30.0)
        done = {d.key: d for d in pool.drain()}
    assert sorted(done) == [0, 1, 2, 3, 4]
    crash = done[3].failure
    assert crash is not None and crash.code == "crashed"
    assert "panicked at src/x.rs" in crash.detail
    assert "first task" not in crash.detail and "xxxx" not in crash.detail
    assert all(done[i].failure is None for i in (0, 1, 2, 4))


def _flaky_read(task):
    """The real reader, except for files named to hang or to kill their worker."""
    if "hang" in task.rel:
        time.sleep(60)
    if "crash" in task.rel:
        os._exit(9)
    return read_task(task)


def test_a_hanging_or_crashing_file_is_unreadable_and_the_batch_goes_on(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill = CLEAN[SPEC][0]()
    for name in ("good.xlsx", "hang.xlsx", "crash.xlsx", "zz-good.xlsx"):
        fill[P][("goal",)] = name      # four different returns of one department
        write_fill(SPEC, fill, inbox / name)
    monkeypatch.setattr(collect_module, "read_task", _flaky_read)
    seen: list[int] = []

    def progress(items):
        seen.append(len(items))
        yield from items

    # a fresh worker first imports this module (to unpickle _flaky_read): 1–3 s on a busy
    # machine; 15 s is generous for that and still far below the 60 s hang
    result = collect(inbox, tmp_path / "out", jobs=2, limits=Limits(max_seconds=15),
                     progress=progress, feedback=False)
    rows = _results(tmp_path / "out")
    assert (rows["hang.xlsx"]["status"], rows["hang.xlsx"]["reason"]) == ("unreadable", "timeout")
    assert (rows["crash.xlsx"]["status"], rows["crash.xlsx"]["reason"]) == ("unreadable", "crashed")
    assert "超时" in rows["hang.xlsx"]["message"]
    assert {rows["good.xlsx"]["status"], rows["zz-good.xlsx"]["status"]} == {"accepted", "duplicate"}
    assert seen == [4]
    assert result.counts["unreadable"] == 2


def test_every_hostile_file_is_accounted_for(tmp_path):
    cases = _corpus(tmp_path / "inbox")
    result = collect(tmp_path / "inbox", tmp_path / "out", jobs=2)
    rows = _results(tmp_path / "out")
    files = sorted(p.relative_to(tmp_path / "inbox").as_posix()
                   for p in (tmp_path / "inbox").rglob("*") if not p.is_dir())
    assert sorted(rows) == files
    assert result.total == len(files)
    assert {r["status"] for r in rows.values()} <= {"unreadable", "unexpected", "ignored"}
    assert rows[cases["legacy_xls"].name]["reason"] == "legacy_xls"


# --------------------------------------------------------------------------------------------
# submission values: what feedback copies are made of
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec_id", sorted(CLEAN))
def test_feedback_copy_reads_back_as_the_same_submission(spec_id, tmp_path):
    make, year = CLEAN[spec_id]
    fill = make()
    sheet = next(iter(fill))
    project = [s for s in fill if s != sheet][0]
    if spec_id == "hebei-county":
        fill[project][("budget_other",)] = "四万五"          # unparseable: kept as typed
        fill[project][("indicators", 2, "value")] = "涉密"   # a marker
    else:
        fill[sheet][("phone",)] = "12345"
    path = write_fill(spec_id, fill, tmp_path / "in.xlsx")
    original = read_workbook(path).to_json()
    spec = load_spec(spec_id)
    values, count = submission_values(spec, original)
    assert count == len(original["projects"])
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(feedback_workbook(spec, original))
    again = read_workbook(copy).to_json()
    assert again["department"] == original["department"]
    assert again["projects"] == original["projects"]
    assert sorted((f["code"], f["cell"]) for f in again["findings"]) == \
        sorted((f["code"], f["cell"]) for f in original["findings"])
    if spec_id == "hebei-county":
        assert values[project][("budget_other",)] == "四万五"
        assert values[project][("budget_total",)] == Decimal("50.00")
