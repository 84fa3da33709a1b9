"""collect's database logic, driven directly with real returns (for `make mutate`, docs/testing.md).

Real workbooks are read the way collect's workers read them (``read_task``), and their entries
and JSON given to :class:`DatabaseWriter` as collect gives them; the database is then compared
value by value with the JSON (tests/db_equals_json.py), and across runs: a newer return replaces
the department's row, what a run no longer keeps in its spec and year goes, other years stay, and
a failed run leaves the database as it was.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from db_equals_json import assert_database_equals_json
from forms import CLEAN, write_fill

from xltargets.collect._db import (
    DatabaseWriter,
    check_database,
    engine_for,
    run_ids,
    table_counts,
)
from xltargets.collect._model import Entry
from xltargets.collect._work import ReadTask, read_task
from xltargets.errors import CollectError
from xltargets.read import Limits

P = "项目1"


def _return(tmp_path: Path, name: str, spec: str = "hebei-county", year: int | None = None,
            **changes: Any) -> tuple[Entry, dict[str, Any]]:
    fill = CLEAN[spec][0]()
    for (sheet, path), value in changes.get("set", {}).items():
        fill[sheet][path] = value
    path = write_fill(spec, fill, tmp_path / name, year=year)
    outcome = read_task(ReadTask(0, name, str(path), Limits(), None))
    assert outcome.json_text is not None, outcome
    entry = Entry(0, name, status=outcome.status, outcome=outcome)
    return entry, json.loads(outcome.json_text)


def _department(entry: Entry, unit_code: str, status: str | None = None) -> dict[str, Any]:
    return {"spec_id": entry.spec_id, "year": entry.year, "unit_code": unit_code,
            "unit_name": entry.unit_name or f"单位{unit_code}", "status": status or entry.status,
            "submission_id": entry.sha256, "file": entry.rel,
            "template_id": entry.template_id or None, "in_manifest": True}


def _write(url: str, returns: list[tuple[Entry, dict[str, Any]]], departments: list[dict],
           run_id: str = "run-1", batch: int = 500) -> DatabaseWriter:
    writer = DatabaseWriter(url, batch=batch)
    for entry, data in returns:
        writer.add(entry, data)
    writer.finish(iter(departments), {(e.spec_id, e.year) for e, _ in returns}, run_id)
    return writer


def _rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def three(tmp_path):
    """Three returns of one spec and year: clean, with an error, with decimals to keep exactly."""
    clean = _return(tmp_path, "clean.xlsx")
    wrong = _return(tmp_path, "wrong.xlsx", set={(P, ("budget_fiscal",)): Decimal("99")})
    exact = _return(tmp_path, "exact.xlsx", set={
        (P, ("budget_total",)): Decimal("50.125"), (P, ("budget_fiscal",)): Decimal("45.625"),
        (P, ("budget_other",)): Decimal("4.5"),
        (P, ("indicators", 1, "value")): "≤12.345万元"})
    assert wrong[0].status == "rejected" and clean[0].status == "accepted"
    return [clean, wrong, exact]


@pytest.fixture
def varied(tmp_path):
    """Indicators with words before and after the figure, a 不适用 marker, department-sheet
    indicators (Hunan), and two projects in one return."""
    hebei = _return(tmp_path, "words.xlsx", set={
        (P, ("indicators", 0, "value")): "全年≥10场以上",
        (P, ("indicators", 1, "value")): "≥95%（预计）",
        (P, ("indicators", 2, "value")): "涉密",
        (P, ("indicators", 3, "value")): "重大舆情事件≤1件"})
    hunan = _return(tmp_path, "hunan.xlsx", spec="hunan")
    return [hebei, hunan]


@pytest.mark.parametrize("batch", [500, 1, 2])
def test_database_equals_the_json_value_by_value(tmp_path, three, batch):
    db = tmp_path / "x.db"
    three[1][0].feedback = "feedback/wrong_退回修改意见.xlsx"
    writer = _write(f"sqlite:///{db}", three,
                    [_department(e, f"22400{n}") for n, (e, _) in enumerate(three)], batch=batch)
    assert_database_equals_json(db, [d for _, d in three])
    # what only the entry knows: the file, its department's name, its feedback copy
    assert _rows(db, "select file, unit_name, feedback from submissions order by file") == sorted(
        (e.rel, e.unit_name or None, e.feedback or None) for e, _ in three)
    assert _rows(db, "select feedback from submissions where file = 'wrong.xlsx'") == [
        ("feedback/wrong_退回修改意见.xlsx",)]
    assert all(name for (name,) in _rows(db, "select unit_name from submissions"))
    # findings are numbered from 1 in the submission's order
    wrong = three[1][1]
    assert wrong["findings"]
    assert _rows(db, f"select n, code from findings where submission_id = '{wrong['source']['sha256']}' "
                     "order by n") == [(n, f["code"]) for n, f in enumerate(wrong["findings"], start=1)]
    exact = three[2][1]
    assert exact["projects"][0]["budget_total"] == "50.125"
    assert _rows(db, "select number from indicators where value_text = '≤12.345万元'") == [("12.345",)]
    assert writer.counts == {"submissions": 3, "departments": 3,
                             "projects": sum(len(d["projects"]) for _, d in three),
                             "indicators": sum(len(p["indicators"]) for _, d in three
                                               for p in d["projects"]),
                             "findings": sum(len(d["findings"]) for _, d in three)}
    assert table_counts(f"sqlite:///{db}") == writer.counts
    assert _rows(db, "select unit_code, status, submission_id, file from departments "
                     "order by unit_code") == [
        (f"22400{n}", e.status, e.sha256, e.rel) for n, (e, _) in enumerate(three)]
    year = three[0][0].year
    assert _rows(db, "select spec_id, year, run_id from collect_runs") == [
        ("hebei-county", year, "run-1")]
    assert run_ids(f"sqlite:///{db}", {("hebei-county", year)}) == {("hebei-county", year): "run-1"}
    assert run_ids(f"sqlite:///{db}", {("hebei-county", year + 1)}) == {}


def test_the_same_return_twice_in_a_run_is_written_once(tmp_path, three):
    db = tmp_path / "x.db"
    clean = three[0]
    writer = _write(f"sqlite:///{db}", [clean, clean], [_department(clean[0], "224001")])
    assert writer.counts["submissions"] == 1
    assert_database_equals_json(db, [clean[1]])


def test_a_second_run_replaces_what_the_department_returned_before(tmp_path, three):
    db = tmp_path / "x.db"
    url = f"sqlite:///{db}"
    clean, wrong, exact = three
    _write(url, [clean, wrong], [_department(clean[0], "224001"), _department(wrong[0], "224002")])
    # the second run: 224002 returned a corrected copy (exact), 224001 is now missing
    missing = dict(_department(clean[0], "224001", "missing"), submission_id=None, file=None)
    _write(url, [exact], [missing, _department(exact[0], "224002")], run_id="run-2")
    assert_database_equals_json(db, [exact[1]])
    assert _rows(db, "select unit_code, status, submission_id, file from departments "
                     "order by unit_code") == [
        ("224001", "missing", None, None), ("224002", exact[0].status, exact[0].sha256, exact[0].rel)]
    assert _rows(db, "select run_id from collect_runs") == [("run-2",)]


def test_a_run_drops_departments_it_no_longer_has_but_not_other_years(tmp_path, three):
    db = tmp_path / "x.db"
    url = f"sqlite:///{db}"
    clean, wrong, _ = three
    other = _return(tmp_path, "2024.xlsx", year=2024)
    assert other[0].year != clean[0].year
    _write(url, [clean, wrong, other], [_department(clean[0], "224001"),
                                        _department(wrong[0], "224002"),
                                        _department(other[0], "224001")])
    _write(url, [wrong], [_department(wrong[0], "224002")], run_id="run-2")
    assert _rows(db, "select year, unit_code from departments order by year, unit_code") == sorted(
        [(other[0].year, "224001"), (wrong[0].year, "224002")])
    assert_database_equals_json(db, [wrong[1], other[1]])
    assert sorted(_rows(db, "select year, run_id from collect_runs")) == sorted(
        [(other[0].year, "run-1"), (wrong[0].year, "run-2")])


def test_a_run_of_one_spec_keeps_another_specs_rows_of_the_same_year(tmp_path, three):
    """One database, two provinces' forms of one year: a Hebei run owns only Hebei's rows."""
    db = tmp_path / "x.db"
    url = f"sqlite:///{db}"
    clean, wrong, _ = three
    hunan = _return(tmp_path, "hunan.xlsx", spec="hunan", year=clean[0].year)
    assert (hunan[0].spec_id, hunan[0].year) == ("hunan", clean[0].year)
    _write(url, [clean, hunan], [_department(clean[0], "224001"),
                                 _department(hunan[0], "224001")])
    _write(url, [wrong], [_department(wrong[0], "224002")], run_id="run-2")
    assert _rows(db, "select spec_id, unit_code from departments order by spec_id, unit_code") == [
        ("hebei-county", "224002"), ("hunan", "224001")]
    assert_database_equals_json(db, [wrong[1], hunan[1]])
    assert sorted(_rows(db, "select spec_id, run_id from collect_runs")) == [
        ("hebei-county", "run-2"), ("hunan", "run-1")]


def test_a_failed_run_leaves_the_database_as_it_was(tmp_path, three):
    db = tmp_path / "x.db"
    url = f"sqlite:///{db}"
    clean, wrong, exact = three
    _write(url, [clean], [_department(clean[0], "224001")])
    before = {t: _rows(db, f"select * from {t}") for t in
              ("submissions", "departments", "projects", "indicators", "findings", "collect_runs")}
    # a department row naming a submission that is not there: the foreign key refuses it
    bad = dict(_department(exact[0], "224003"), submission_id="f" * 64)
    with pytest.raises(CollectError, match="^写入数据库失败：.*FOREIGN KEY constraint failed$"):
        _write(url, [wrong, exact], [_department(wrong[0], "224002"), bad], run_id="run-2")
    after = {t: _rows(db, f"select * from {t}") for t in before}
    assert after == before
    # abandoned before finishing (collect failed elsewhere): nothing either
    writer = DatabaseWriter(url, batch=1)
    writer.add(*wrong)
    writer.add(*exact)
    writer.abort()
    assert {t: _rows(db, f"select * from {t}") for t in before} == before


def test_database_addresses_that_cannot_be_used_are_one_chinese_line(tmp_path):
    with pytest.raises(CollectError, match="^数据库地址无效："):
        engine_for("::not a url::")
    with pytest.raises(CollectError, match="^不支持的数据库“mysql”：请使用 SQLite 或 PostgreSQL$"):
        engine_for("mysql://user@localhost/x")
    with pytest.raises(CollectError, match=r"^无法连接数据库：.*127\.0\.0\.1.*port 1"):
        check_database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=3")
    # SQLite: the folder is made, the file is left for the run
    url = f"sqlite:///{tmp_path / 'new' / 'deeper' / 'x.db'}"
    check_database(url)
    assert (tmp_path / "new" / "deeper").is_dir() and not (tmp_path / "new" / "deeper" / "x.db").exists()
    # the cause is the first line of the driver's message (the next is SQLAlchemy's link)
    with pytest.raises(CollectError, match="^无法连接或建立数据库：.*unable to open database file$"):
        DatabaseWriter(f"sqlite:///{tmp_path}")   # a folder, not a database file
    # a driver SQLAlchemy does not have (a typo, or the postgres extra not installed)
    with pytest.raises(CollectError, match=r"^缺少数据库驱动（PostgreSQL 请安装 xltargets\[postgres\]）："
                                           r".*postgresql\.nodriver"):
        engine_for("postgresql+nodriver://user@localhost/x")


def test_whether_a_department_was_sent_is_stored(tmp_path, three):
    """``in_manifest``: was the department sent a template (a return from anyone else is not)."""
    db = tmp_path / "x.db"
    clean, wrong, _ = three
    _write(f"sqlite:///{db}", [clean, wrong], [
        _department(clean[0], "224001"), dict(_department(wrong[0], "224002"), in_manifest=False)])
    assert _rows(db, "select unit_code, in_manifest from departments order by unit_code") == [
        ("224001", 1), ("224002", 0)]


def test_sqlite_checks_foreign_keys(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_every_part_of_an_indicator_value_and_marker_is_stored(tmp_path, varied):
    db = tmp_path / "x.db"
    hebei, hunan = varied
    _write(f"sqlite:///{db}", varied, [_department(hebei[0], "224001"),
                                       _department(hunan[0], "430001")])
    assert_database_equals_json(db, [hebei[1], hunan[1]])
    rows = _rows(db, "select value_text, comparison, number, unit, prefix, suffix from indicators "
                     "where prefix is not null or suffix is not null order by value_text")
    assert rows == [("≤全年预算数", "≤", None, None, None, "全年预算数"),    # Hunan's own
                    ("≥95%（预计）", "≥", "95", "%", None, "（预计）"),
                    ("全年≥10场以上", "≥", "10", "场", "全年", "以上"),
                    ("重大舆情事件≤1件", "≤", "1", "件", "重大舆情事件", None),  # Hebei's
                    ("重大舆情事件≤1件", "≤", "1", "件", "重大舆情事件", None)]  # Hunan's
    # Hunan: the department sheet has indicators of its own (project_sheet NULL), one a 不适用 mark
    dept = _rows(db, "select sheet, level3, marker from indicators where project_sheet is null "
                     "order by row")
    assert [d[1] for d in dept] == ["开展网络舆情监测", "网民留言回复率", "日常工作成本", None,
                                    "网民留言回复满意度"]
    assert {d[0] for d in dept} == {hunan[1]["department"]["sheet"]}
    markers = _rows(db, "select sheet, row, marker from indicators where marker is not null")
    assert markers == [(P, 3, "redacted")]
    # findings are numbered from 1 in the submission's order
    for _, data in varied:
        numbers = [n for (n,) in _rows(db, "select n from findings where submission_id = "
                                           f"'{data['source']['sha256']}' order by n")]
        assert numbers == list(range(1, len(data["findings"]) + 1))


def test_a_finding_without_a_value_and_a_tiny_figure_are_stored_exactly(tmp_path):
    """A required cell left empty: its finding has no value (NULL, not the text "null"); a
    figure of seven decimals is stored as the digits typed, not as 5E-7."""
    db = tmp_path / "x.db"
    tiny = _return(tmp_path, "tiny.xlsx", set={(P, ("goal",)): None,
                                               (P, ("indicators", 1, "value")): "≤0.0000005"})
    data = tiny[1]
    assert any(f["code"] == "required_missing" and f["value"] is None for f in data["findings"])
    _write(f"sqlite:///{db}", [tiny], [_department(tiny[0], "224001")])
    assert_database_equals_json(db, [data])
    assert _rows(db, "select value from findings where code = 'required_missing'") == [(None,)]
    assert _rows(db, "select number from indicators where value_text = '≤0.0000005'") == [
        ("0.0000005",)]


def test_the_web_apps_copy_of_the_database_keeps_every_value_exactly(tmp_path, three):
    """The database the web app offers for download (``export_database``) is copied through
    SQLAlchemy's types, unlike collect's driver-level writes: its decimals read back and written
    again must stay the exact text (``DecimalText``), value by value as in the JSON."""
    from xltargets.serve._jobs import export_database

    db = tmp_path / "x.db"
    tiny = _return(tmp_path, "tiny.xlsx", set={(P, ("indicators", 1, "value")): "≤0.0000005"})
    returns = [*three, tiny]
    _write(f"sqlite:///{db}", returns,
           [_department(e, f"22400{n}") for n, (e, _) in enumerate(returns)])
    source = engine_for(f"sqlite:///{db}")
    try:
        export_database(source, tmp_path / "copy" / "export.db")
    finally:
        source.dispose()
    copy = tmp_path / "copy" / "export.db"
    assert_database_equals_json(copy, [d for _, d in returns])
    assert _rows(copy, "select number from indicators where value_text in "
                       "('≤12.345万元', '≤0.0000005') order by 1") == [("0.0000005",), ("12.345",)]
    assert {t: _rows(copy, f"select * from {t} order by 1, 2") for t in ("submissions", "findings")} \
        == {t: _rows(db, f"select * from {t} order by 1, 2") for t in ("submissions", "findings")}


def test_json_columns_are_readable_chinese_with_sorted_keys(tmp_path, three):
    db = tmp_path / "x.db"
    clean = three[0]
    _write(f"sqlite:///{db}", [clean], [_department(clean[0], "224001")])
    (department,) = _rows(db, "select department from submissions")[0]
    expected = {k: v for k, v in clean[1]["department"].items() if k != "indicators"}
    # what psql or a SQLite browser shows an office: the Chinese itself, keys in one order
    assert department == json.dumps(expected, ensure_ascii=False, sort_keys=True)
    assert "中共乐亭县委" in department


def test_long_lists_of_ids_go_in_chunks():
    from xltargets.collect._db import IN_CHUNK, _chunks

    items = list(range(2 * IN_CHUNK + 1))
    assert [len(c) for c in _chunks(items)] == [IN_CHUNK, IN_CHUNK, 1]
    assert [x for c in _chunks(items) for x in c] == items
    assert list(_chunks([], 3)) == []
