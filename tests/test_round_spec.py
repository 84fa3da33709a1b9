"""A round is read with the spec its templates were generated from.

The office sends the templates, then the spec changes before every return is in: the office
edits its YAML, or upgrades xltargets and a built-in spec moved. The manifest keeps the spec as
it was (``spec.definition``), and collect (and the web service) read the round with it: the
returns are judged by the form the departments were given, not by one they never saw.

Here the templates are generated from an older hebei-county, whose department sheet printed
单位全称 where today's prints 单位名称 (a label the reader checks to know the sheet is ours).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xltargets.cli import app
from xltargets.collect import collect
from xltargets.collect._manifest import load_manifest
from xltargets.errors import CollectError
from xltargets.generate import generate_batch
from xltargets.spec import load_spec, spec_hash

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025
OLD_LABEL, NEW_LABEL = "单位全称", "单位名称"
#: findings that say a return is not read with its own template's plan
MISMATCH = {"template_mismatch", "spec_changed", "spec_version_mismatch", "label_changed"}


def _departments():
    spec = importlib.util.spec_from_file_location("departments", ROOT / "examples" / "departments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _old_spec(folder: Path) -> Path:
    text = (ROOT / "specs" / "hebei-county.yaml").read_text(encoding="utf-8")
    old = text.replace(f"- {{text: {NEW_LABEL}, style: label}}", f"- {{text: {OLD_LABEL}, style: label}}")
    assert old.count(OLD_LABEL) == 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hebei-county.yaml"
    path.write_text(old, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def old_round(tmp_path_factory):
    base = tmp_path_factory.mktemp("old-round")
    old = load_spec(_old_spec(base / "old-spec"))
    assert spec_hash(old) != spec_hash(load_spec("hebei-county"))
    sent, inbox = base / "sent", base / "inbox"
    generate_batch(old, YEAR, ROOT / "examples" / "roster-hebei.csv", sent)
    _departments().fill(sent / "manifest.json", inbox)
    return {"base": base, "sent": sent, "inbox": inbox, "old": old}


def _statuses(out: Path) -> dict[str, str]:
    with (out / "results.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {row["file"][:6]: row["status"] for row in csv.DictReader(fh)}


def _codes(out: Path) -> dict[str, set[str]]:
    lines = (out / "submissions.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(x)["source"]["stamp"]["unit_code"]: {f["code"] for f in json.loads(x)["findings"]}
            for x in lines}


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_returns_are_read_with_the_spec_they_were_sent_with(old_round, tmp_path, jobs):
    out = tmp_path / "out"
    result = collect(old_round["inbox"], out, manifest=old_round["sent"] / "manifest.json", jobs=jobs)
    # as in the round of today's spec (test_round): only the departments' own mistakes
    assert _statuses(out) == {"224001": "accepted", "224002": "rejected", "224003": "rejected",
                              "224004": "accepted"}
    codes = _codes(out)
    assert all(not (c & MISMATCH) for c in codes.values()), codes
    assert "prefill_changed" in codes["224002"]
    lines = (out / "submissions.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(x)["spec"]["hash"] for x in lines} == {spec_hash(old_round["old"])}
    # the feedback copies are the form the department was given (workers draw them with two
    # jobs, a thread of this process with one)
    assert result.feedback == 2
    for copy in (out / "feedback").glob("*_退回修改意见.xlsx"):
        sheet = openpyxl.load_workbook(copy)["部门整体绩效目标"]
        assert sheet["C2"].value == OLD_LABEL
    # and after the run the spec's id means today's file again
    assert load_spec("hebei-county").id == "hebei-county"
    assert spec_hash(load_spec("hebei-county")) != spec_hash(old_round["old"])


def test_without_the_spec_in_the_manifest_every_return_is_judged_by_todays_form(old_round, tmp_path):
    """What the manifest's copy of the spec prevents (manifests written before it)."""
    manifest = json.loads((old_round["sent"] / "manifest.json").read_text(encoding="utf-8"))
    del manifest["spec"]["definition"]
    older = tmp_path / "manifest.json"
    older.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert load_manifest(older).spec is None
    out = tmp_path / "out"
    collect(old_round["inbox"], out, manifest=older, jobs=1)
    codes = _codes(out)
    assert all({"spec_changed", "label_changed"} <= c for c in codes.values())
    # every department is told it changed the form's header, which the office did
    lines = (out / "submissions.jsonl").read_text(encoding="utf-8").splitlines()
    for data in map(json.loads, lines):
        (changed,) = [f for f in data["findings"] if f["code"] == "label_changed"]
        assert (changed["sheet"], changed["cell"]) == ("部门整体绩效目标", "C2")
        assert changed["message"] == f"表头“{NEW_LABEL}”被改为“{OLD_LABEL}”，请勿修改表格结构"
    assert _statuses(out) == {"224001": "accepted_with_warnings", "224002": "rejected",
                              "224003": "rejected", "224004": "accepted_with_warnings"}


def test_a_manifest_whose_spec_was_altered_is_refused_in_one_chinese_line(old_round, tmp_path):
    manifest = json.loads((old_round["sent"] / "manifest.json").read_text(encoding="utf-8"))
    manifest["spec"]["definition"]["name"] = "改过的表样"
    altered = tmp_path / "manifest.json"
    altered.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CollectError, match="下发清单中的表样定义无效.*不符"):
        load_manifest(altered)
    result = CliRunner().invoke(app, ["collect", str(old_round["inbox"]), "--out",
                                      str(tmp_path / "out"), "--manifest", str(altered)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(altered) in lines[0] and "表样定义无效" in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "current").exists()


def test_the_web_intake_reads_and_redraws_with_the_spec_the_round_was_sent_with(old_round, tmp_path):
    """The web service: an upload of the old template is read with its spec (no header
    "changed" by the department), and a lost template is drawn again byte for byte."""
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("starlette")
    from serve_harness import ServerProcess, upload

    sent = old_round["sent"]
    manifest = json.loads((sent / "manifest.json").read_text(encoding="utf-8"))
    (returned,) = old_round["inbox"].rglob("224001*.xlsx")
    book = next(w for w in manifest["workbooks"] if w["unit_code"] == "224001")
    with ServerProcess(tmp_path / "root", sent / "manifest.json") as srv:
        link = srv.links()["224001"]
        with httpx.Client(timeout=60) as client:
            r = upload(client, srv.api(link), returned.read_bytes(), returned.name)
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "accepted"
            assert not {f["code"] for f in r.json()["findings"]} & MISMATCH
            original = sent / book["file"]
            kept = original.read_bytes()
            original.unlink()
            try:
                again = client.get(link + "/template")
            finally:
                original.write_bytes(kept)
    assert again.status_code == 200
    assert hashlib.sha256(again.content).hexdigest() == book["sha256"]


def test_read_and_check_with_the_manifest_use_the_spec_it_keeps(old_round, tmp_path):
    (returned,) = old_round["inbox"].rglob("224001*.xlsx")
    manifest = old_round["sent"] / "manifest.json"
    runner = CliRunner()
    today = runner.invoke(app, ["read", str(returned), "-o", str(tmp_path / "today.json")])
    sent = runner.invoke(app, ["read", str(returned), "--manifest", str(manifest),
                               "-o", str(tmp_path / "sent.json")])
    assert (today.exit_code, sent.exit_code) == (0, 0)
    today_codes = {f["code"] for f in json.loads((tmp_path / "today.json").read_text("utf-8"))["findings"]}
    data = json.loads((tmp_path / "sent.json").read_text("utf-8"))
    assert {"spec_changed", "label_changed"} <= today_codes
    assert data["status"] == "accepted" and data["findings"] == []
    assert data["spec"]["hash"] == spec_hash(old_round["old"])
    checked = runner.invoke(app, ["check", str(returned), "--manifest", str(manifest)])
    assert checked.exit_code == 0 and "通过，未发现问题" in checked.output
