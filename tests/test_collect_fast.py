"""collect's fast paths give the same outputs as the plain ones.

The rows of each kept return are made by the workers (``--jobs 2``) or by the parent while its
one worker reads (``--jobs 1``); the parent's per-file records live in a side table past a bound
(:mod:`xltargets.collect._entries`). Whichever way, every output must be the same bytes and the
database the same rows. (benchmarks/collect_same.py compares two commits the same way, on the
province corpus too.)
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from pathlib import Path

import pytest
from test_collect import build_inbox

from xltargets.collect import _collect as collect_module
from xltargets.collect import _entries, collect
from xltargets.collect._faults import MAX_MESSAGE, cap_submission

TABLES = ["submissions", "departments", "projects", "indicators", "findings", "collect_runs"]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("fast")
    return build_inbox(root, libreoffice=False)


def _outputs(out: Path) -> dict[str, str]:
    """Every output of the published run by its hash, the database by its rows."""
    current = (out / "current").resolve()
    found = {str(p.relative_to(current)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(current.rglob("*"))
             if p.is_file() and p.name not in ("xltargets.db", "run.json")}
    run = json.loads((current / "run.json").read_text(encoding="utf-8"))
    run.pop("database")  # the out folder's own path
    found["run.json"] = repr(run)
    db = sqlite3.connect(current / "xltargets.db")
    try:
        for table in TABLES:
            rows = db.execute(f"select * from {table} order by 1, 2, 3").fetchall()
            found[f"db:{table}"] = repr(rows)
            assert table == "collect_runs" or rows, table  # the comparison compares something
    finally:
        db.close()
    found["run"] = current.name
    return found


def test_rows_made_by_the_workers_equal_rows_made_by_the_parent(inbox, tmp_path):
    folder, manifest = inbox
    collect(folder, tmp_path / "one", manifest=manifest, jobs=1)      # the parent makes them
    collect(folder, tmp_path / "two", manifest=manifest, jobs=2)      # the workers make them
    one, two = _outputs(tmp_path / "one"), _outputs(tmp_path / "two")
    assert one == two
    assert any(name.startswith("feedback/") for name in one)


def test_entries_in_the_side_table_give_the_same_outputs(inbox, tmp_path, monkeypatch):
    folder, manifest = inbox
    collect(folder, tmp_path / "objects", manifest=manifest, jobs=2)
    spilled: list[bool] = []
    real = _entries.EntryStore

    def store(*args, **kwargs):
        made = real(*args, **{**kwargs, "spill_at": 0})
        spilled.append(made.spilled)
        return made

    monkeypatch.setattr(collect_module, "EntryStore", store)
    collect(folder, tmp_path / "table", manifest=manifest, jobs=2)
    assert spilled == [True]
    assert _outputs(tmp_path / "objects") == _outputs(tmp_path / "table")
    # a second run over the first (upserts, the run's scope) the same way too
    collect(folder, tmp_path / "table", manifest=manifest, jobs=1)
    collect(folder, tmp_path / "objects", manifest=manifest, jobs=1)
    assert _outputs(tmp_path / "objects") == _outputs(tmp_path / "table")


def test_the_side_table_keeps_changes_put_back(tmp_path):
    from xltargets.collect._model import Entry

    store = _entries.EntryStore([Entry(i, f"{i}.xlsx") for i in range(1200)], tmp_path,
                                spill_at=10)
    assert store.spilled and len(store) == 1200
    for entry in store:  # changed while iterating, a few hundred rows fetched at a time
        if entry.index % 7 == 0:
            entry.status, entry.feedback = "duplicate", f"f{entry.index}"
            store.put(entry)
    assert [e.index for e in store] == list(range(1200))
    assert store[700].status == "duplicate" and store[700].feedback == "f700"
    assert store[701].status == ""
    with pytest.raises(IndexError):
        store[1200]
    store.close()


def test_the_quick_bounds_test_never_lets_a_cut_pass():
    """``_within_bounds`` is True only when cap_submission would cut nothing."""
    rng = random.Random(5)
    alphabet = ["a", "长", '"', "\\", "\n", "\u2028", "é"]
    for _ in range(400):
        def text(n: int) -> str:
            return "".join(rng.choice(alphabet) for _ in range(n))
        data = {"department": {"overall_goal": text(rng.choice([5, 900, 1001, 33000]))},
                "findings": [{"message": text(rng.choice([10, 999, 1000, 1001, 1500])),
                              "value": text(rng.choice([0, 1001]))}]}
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if collect_module._within_bounds(raw):
            assert cap_submission(json.loads(raw)) == 0
    plain = json.dumps({"findings": [{"message": "x" * MAX_MESSAGE}]}, ensure_ascii=False)
    assert collect_module._within_bounds(plain)
    assert not collect_module._within_bounds(plain.replace("x", "y", 0) + '"' + "z" * 1001 + '"')
    assert not collect_module._within_bounds(json.dumps({"a": 'say "hi"'}))
