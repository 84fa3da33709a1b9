"""The lean paths of collect at province scale (issue 13) give what the plain ones gave.

Each fast path here replaces a simpler one; these tests hold it to the simpler one's answers on
the cases where a shortcut could go wrong: the compact set of template ids, the bounds test on
a worker's JSON, the private copies in one folder per worker, the two-part pickle of a return's
rows, and the feedback copies drawn by a thread of the parent while its one worker reads.
"""

from __future__ import annotations

import json
import os
import pickle
import random

import pytest
from test_collect_faults import put_returns, return_bytes

from xltargets.collect import _collect, collect
from xltargets.collect._collect import _within_bounds
from xltargets.collect._faults import MAX_MESSAGE
from xltargets.collect._model import ReturnInfo
from xltargets.collect._prepared import Prepared, prepare
from xltargets.collect._work import ReadTask, TemplateIds, read_task
from xltargets.read import Limits


def test_template_ids_answer_as_a_set_of_the_strings_does():
    rng = random.Random(5)
    generated = [f"T{rng.getrandbits(60):015X}" for _ in range(300)]
    odd = ["", "T", "t" + generated[0][1:], generated[1].lower(), generated[2] + "0",
           generated[3][:-1], "T00000000000000G", "ＴABCDEF012345678", "T٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠",
           "T000000000000000", "TFFFFFFFFFFFFFFF", " " + generated[4]]
    members = generated[:200] + odd[::2]
    ids = TemplateIds(members)
    plain = set(members)
    probes = generated + odd + [f"T{rng.getrandbits(60):015X}" for _ in range(300)]
    assert [p in ids for p in probes] == [p in plain for p in probes]
    assert 5 not in ids and None not in ids
    assert len(ids) == len(plain)
    again = pickle.loads(pickle.dumps(ids))
    assert [p in again for p in probes] == [p in plain for p in probes]
    # far smaller in memory than the set it stands for (every worker holds one)
    assert _memory(pickle.dumps(ids)) < _memory(pickle.dumps(frozenset(members))) / 4


def _memory(data: bytes) -> int:
    """Bytes held by what ``data`` unpickles to."""
    import tracemalloc

    tracemalloc.start()
    try:
        value = pickle.loads(data)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del value
    return held


def _split_bounds(text: str) -> bool:
    """The bounds test as it was: split the text at every quote."""
    return '\\"' not in text and max(map(len, text.split('"'))) <= MAX_MESSAGE


def test_the_bounds_test_on_a_workers_json_is_the_split_one():
    rng = random.Random(7)
    lengths = [0, 1, 5, MAX_MESSAGE - 1, MAX_MESSAGE, MAX_MESSAGE + 1, 3 * MAX_MESSAGE]
    cases = ["", '"', '""', "{}", '\\"', "x" * (MAX_MESSAGE + 1), "x" * MAX_MESSAGE]
    for _ in range(3000):
        parts = ["长" * rng.choice(lengths) for _ in range(rng.randint(0, 5))]
        text = '"'.join(parts)
        if rng.random() < 0.3:
            text = rng.choice(['"', '\\"', "{", "x" * rng.choice(lengths)]) + text
        if rng.random() < 0.3:
            text += rng.choice(['"', '\\"', "}", "y" * rng.choice(lengths)])
        cases.append(text)
    for text in cases:
        assert _within_bounds(text) == _split_bounds(text), (len(text), text[:20])


def test_a_worker_reads_each_file_from_memory_and_leaves_nothing(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    names = ["224001.xlsx", "sub/224002.xlsx", "224003.xlsx", "big.xlsx", "big.xlsx"]
    for i, name in enumerate(names[:3]):
        path = inbox / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(return_bytes(f"22400{i + 1}"))
    (inbox / "big.xlsx").write_bytes(b"PK" + b"\0" * 2000)
    limits = Limits(max_file_bytes=1000)
    outcomes = [read_task(ReadTask(i, n, str(inbox / n), limits if n == "big.xlsx" else Limits(),
                                   None, str(scratch)))
                for i, n in enumerate(names[:4])]
    assert [o.status for o in outcomes[:3]] == ["accepted"] * 3
    assert [o.unit_code for o in outcomes[:3]] == ["224001", "224002", "224003"]
    # a file over the size limit is not read: the reader refuses an empty stand-in of its
    # size, made in the worker's own folder and removed after
    assert (outcomes[3].status, outcomes[3].reason) == ("unreadable", "too_large")
    (folder,) = scratch.iterdir()
    assert list(folder.iterdir()) == []
    # a stand-in left behind by a read that could not clean up does not stop the next one
    (folder / "big.xlsx").write_bytes(b"left over")
    again = read_task(ReadTask(4, names[4], str(inbox / names[4]), limits, None, str(scratch)))
    assert (again.status, again.reason) == ("unreadable", "too_large")
    assert list(scratch.iterdir()) == [folder] and list(folder.iterdir()) == []


def test_a_returns_rows_and_findings_come_back_from_their_bytes(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(return_bytes("224005", "rejected"))
    outcome = read_task(ReadTask(0, "r.xlsx", str(path), Limits(), None, str(tmp_path)))
    data = json.loads(outcome.json_text or "")
    info = ReturnInfo("r.xlsx", outcome.status, outcome.unit_code, outcome.unit_name,
                      outcome.template_id, outcome.errors, outcome.warnings, outcome.year)
    prepared = prepare((outcome.spec_id,), info, data)
    assert prepared.findings and prepared.db.indicators and prepared.summary.indicator_rows
    data_bytes = prepared.to_bytes()
    assert Prepared.from_bytes(data_bytes) == prepared
    assert Prepared.findings_from(data_bytes) == prepared.findings


def test_feedback_copies_drawn_by_the_parents_thread_and_a_failed_one_said(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    put_returns(inbox, ["224001", "224002", "224003"], rejected=("224001", "224002", "224003"))
    real = _collect.draw_feedback
    drawn_by: list[str] = []

    def draw(task, expected):  # the parent's drawing thread runs this (one worker)
        import threading

        drawn_by.append(threading.current_thread().name)
        if task.target.endswith(f"{os.sep}1.xlsx"):
            raise ValueError("a copy that cannot be drawn")
        return real(task, expected)

    monkeypatch.setattr(_collect, "draw_feedback", draw)
    result = collect(inbox, tmp_path / "out", jobs=1)
    assert len(drawn_by) == 3 and all(n.startswith("xltargets-feedback") for n in drawn_by)
    assert result.feedback == 2 and result.feedback_failed == ["224002.xlsx"]
    rows = {r["file"]: r for r in json.loads(
        (tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["files"]}
    assert rows["224002.xlsx"]["feedback"] == ""
    assert "未能生成修改意见副本（internal_error）" in rows["224002.xlsx"]["message"]
    for name in ("224001.xlsx", "224003.xlsx"):
        assert (tmp_path / "out" / "feedback" / rows[name]["feedback"]).is_file()


def test_a_full_disk_while_the_thread_draws_stops_the_batch(tmp_path, monkeypatch):
    from xltargets.errors import CollectError

    inbox = tmp_path / "inbox"
    put_returns(inbox, ["224001", "224002"], rejected=("224001", "224002"))

    def full(task, expected):
        raise OSError(28, "No space left on device", task.target)

    monkeypatch.setattr(_collect, "draw_feedback", full)
    with pytest.raises(CollectError, match="磁盘空间已满"):
        collect(inbox, tmp_path / "out", jobs=1)
    assert not (tmp_path / "out" / "current").exists()


def _plain_manifest(path):
    """The manifest as read before (every object a dict, converted afterwards)."""
    from xltargets.collect._manifest import Manifest, _workbook

    data = json.loads(path.read_text(encoding="utf-8-sig"))
    spec = data["spec"]
    return Manifest(str(spec["id"]), str(spec.get("version") or ""), str(spec.get("hash") or ""),
                    int(data["year"]), str(data.get("batch") or ""),
                    tuple(_workbook(w) for w in data["workbooks"]), str(path),
                    data.get("password") is True)


def test_the_manifest_read_compactly_is_the_manifest_read_plainly(tmp_path):
    from xltargets.collect._manifest import load_manifest
    from xltargets.errors import CollectError
    from xltargets.generate import MANIFEST_FORMAT

    workbooks = [{"file": f"{224000 + i}.xlsx", "unit_code": f"{224000 + i}",
                  "unit_name": f"单位{i}", "template_id": f"T{i:015X}", "projects": i % 3,
                  "sha256": "", "rows": {"indicators": 10}, "region_code": "130225",
                  "prefilled": [{"sheet": "项目1", "field": "project_name", "value": f"项目{i}"}]}
                 for i in range(5)]
    workbooks[2]["unit_name"] = None  # shown as ""
    manifest = {"format": MANIFEST_FORMAT, "year": 2025, "batch": "b", "password": True,
                # a spec object that has a workbook's keys too stays the spec
                "spec": {"id": "hebei-county", "version": "1", "hash": "h", "file": "x",
                         "unit_code": "1", "template_id": "T1"},
                "workbooks": workbooks}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert load_manifest(path) == _plain_manifest(path)
    assert load_manifest(path).workbooks[3].prefilled[0].value == "项目3"
    # a workbook that does not convert is refused as before, with the same words
    del workbooks[1]["template_id"]
    workbooks[1]["unit_code"] = {"not": "text"}
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CollectError, match="下发清单内容不完整（缺少或无效：'template_id'）"):
        load_manifest(path)
    # not a manifest at all, though its objects look like workbooks: the format is said first
    path.write_text(json.dumps({"workbooks": workbooks}), encoding="utf-8")
    with pytest.raises(CollectError, match="不是下发清单"):
        load_manifest(path)


def test_the_workers_are_gone_before_the_outputs_are_written(tmp_path, monkeypatch):
    """Pass 2 has no work for the workers: they stop when the last file is read, so the
    parent's peak (in pass 2, at province scale) is not carried beside two idle workers."""
    import multiprocessing

    from xltargets.collect import _db

    inbox = tmp_path / "inbox"
    put_returns(inbox, ["224001", "224002", "224003", "224004"], rejected=("224002",))
    alive_while_writing: list[list[str]] = []
    real_finish = _db.DatabaseWriter.finish

    def finish(self, *args, **kwargs):
        alive_while_writing.append(sorted(p.name for p in multiprocessing.active_children()))
        return real_finish(self, *args, **kwargs)

    monkeypatch.setattr(_db.DatabaseWriter, "finish", finish)
    result = collect(inbox, tmp_path / "out", jobs=2)
    assert alive_while_writing == [[]]
    # and every file was read, the rejected one with its feedback copy, as before
    assert result.feedback == 1
    rows = {r["file"]: r["status"] for r in json.loads(
        (tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["files"]}
    assert rows == {"224001.xlsx": "accepted", "224002.xlsx": "rejected", "224003.xlsx": "accepted",
                    "224004.xlsx": "accepted"}
