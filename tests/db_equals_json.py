"""The database collect writes equals its submissions.jsonl, value by value (issue 10).

One helper for every test that checks it (tests/test_round.py, tests/test_collect.py,
tests/test_mutants_db.py): each submission's row, findings, projects with all their fields, and
the indicators of every sheet (the department's too), and no row more than the JSON holds.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from xltargets.spec import load_spec

#: the indicator value's parts and the columns that hold them
VALUE_COLUMNS = ("text", "kind", "comparison", "number", "unit", "prefix", "suffix")


def _decimal(value: Any) -> str | None:
    return None if value is None else str(Decimal(str(value)))


def _value_parts(value: dict[str, Any] | None) -> tuple[Any, ...]:
    value = value or {}
    return tuple(_decimal(value.get(k)) if k == "number" else value.get(k) for k in VALUE_COLUMNS)


def _indicators(spec_id: str, sheet_obj: dict[str, Any], project_sheet: str | None) -> list[tuple]:
    roles = load_spec(spec_id).roles.indicators
    if roles is None:
        return []
    rows = []
    for r in sheet_obj.get(roles.table) or []:
        role_columns = {roles.level1, roles.level2, roles.level3, roles.value}
        extra = {k: v for k, v in r.items()
                 if k not in role_columns and k not in ("row", "markers", "invalid")}
        extra.update({k: r[k] for k in ("markers", "invalid") if r.get(k)})
        value = r.get(roles.value) if isinstance(r.get(roles.value), dict) else None
        parts = _value_parts(value)
        if not value:  # a text that is no value is kept as typed
            parts = ((r.get("invalid") or {}).get(roles.value), *parts[1:])
        rows.append((str(sheet_obj.get("sheet") or ""), r["row"], project_sheet, r.get(roles.level1),
                     r.get(roles.level2), r.get(roles.level3) if roles.level3 else None,
                     *parts, (r.get("markers") or {}).get(roles.value), extra or None))
    return sorted(rows, key=lambda t: (t[0], t[1]))


def assert_database_equals_json(db_path: Path, lines: list[dict[str, Any]]) -> None:
    """``lines``: the run's submissions.jsonl, parsed. Fails naming the first difference."""
    db = sqlite3.connect(db_path)
    try:
        counts = {t: db.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("submissions", "projects", "indicators", "findings")}
        expected_counts = {"submissions": 0, "projects": 0, "indicators": 0, "findings": 0}
        for data in lines:
            sid = data["source"]["sha256"]
            spec_id = data["spec"]["id"]
            spec_roles = load_spec(spec_id).roles
            roles = spec_roles.indicators
            table = roles.table if roles else None
            row = db.execute("select status, spec_id, spec_version, spec_hash, year, template_id, "
                             "unit_code, errors, warnings, project_count, department "
                             "from submissions where id = ?", (sid,)).fetchone()
            assert row is not None, f"submission {data['source']['file']} is not in the database"
            stamp = data["source"].get("stamp") or {}
            errors = sum(f["severity"] == "error" for f in data["findings"])
            warnings = sum(f["severity"] == "warning" for f in data["findings"])
            department = data.get("department") or {}
            # who returned it: the stamp the generator wrote, else the field the spec names
            unit_code = stamp.get("unit_code") or (
                department.get(spec_roles.unit_code) if spec_roles.unit_code else None)
            assert row[:10] == (data["status"], spec_id, data["spec"].get("version"),
                                data["spec"].get("hash"), data["year"],
                                stamp.get("template_id") or None, unit_code or None,
                                errors, warnings, len(data["projects"])), sid
            assert json.loads(row[10]) == {k: v for k, v in department.items() if k != table}
            found = db.execute("select severity, code, message, sheet, cell, path, value "
                               "from findings where submission_id = ? order by n", (sid,)).fetchall()
            assert found == [
                (f["severity"], f["code"], f["message"], f["sheet"], f["cell"], f["path"],
                 None if f.get("value") is None else (
                     f["value"] if isinstance(f["value"], str)
                     else json.dumps(f["value"], ensure_ascii=False, sort_keys=True)))
                for f in data["findings"]]
            projects = db.execute("select sheet, number, project_code, project_name, fields, "
                                  "indicators, errors, warnings from projects "
                                  "where submission_id = ? order by number", (sid,)).fetchall()
            assert len(projects) == len(data["projects"])
            for got, p in zip(projects, data["projects"], strict=True):
                on_sheet = [f for f in data["findings"] if f["sheet"] == p["sheet"]]
                assert got[:4] == (p["sheet"], data["projects"].index(p) + 1,
                                   p.get("project_code"), p.get("project_name")), got
                assert json.loads(got[4]) == {k: v for k, v in p.items()
                                              if k not in ("sheet", table)}, p["sheet"]
                assert got[5:] == (len(p.get(table) or []) if table else 0,
                                   sum(f["severity"] == "error" for f in on_sheet),
                                   sum(f["severity"] == "warning" for f in on_sheet)), p["sheet"]
            rows = db.execute(
                "select sheet, row, project_sheet, level1, level2, level3, value_text, value_kind, "
                "comparison, number, unit, prefix, suffix, marker, extra from indicators "
                "where submission_id = ? order by sheet, row", (sid,)).fetchall()
            expected = _indicators(spec_id, department, None)
            for p in data["projects"]:
                expected += _indicators(spec_id, p, p["sheet"])
            expected.sort(key=lambda t: (t[0], t[1]))
            assert [(*r[:9], _decimal(r[9]), *r[10:14], None if r[14] is None else json.loads(r[14]))
                    for r in rows] == expected
            expected_counts["submissions"] += 1
            expected_counts["projects"] += len(data["projects"])
            expected_counts["indicators"] += len(expected)
            expected_counts["findings"] += len(data["findings"])
        assert counts == expected_counts
    finally:
        db.close()
