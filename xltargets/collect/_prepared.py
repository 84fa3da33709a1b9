"""What the parent writes for one kept return, made where the return is read.

A collect worker that has just read a return holds its JSON as Python objects: it makes that
return's rows for every output there — the 汇总表 rows rendered as XML (:class:`SummaryPart`), the
database rows as plain tuples (:class:`DbPart`), the findings as report.html shows them — and
sends them with the JSON. The parent then only places them, in input order: no JSON parsed again,
no row made while both workers wait. Everything here is a function of the return's JSON and its
:class:`~._model.ReturnInfo`, so the parent makes the same rows itself when it must (a batch of
several specs without a manifest; a worker whose JSON the parent had to cut).

No SQLAlchemy, no generator here: a worker imports this module.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..findings import SEVERITY_ZH
from ._model import (
    FormRoles,
    IndicatorRow,
    ReturnInfo,
    by_fields,
    finding_counts,
    json_decimal,
    value_text,
)
from ._summary import SummaryPart, summary_part


def dumps_sorted(value: Any) -> str:
    """A JSON column's text (keys sorted: the same value, the same text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_dumps = dumps_sorted


@by_fields
@dataclass(frozen=True, slots=True)
class DbPart:
    """One kept return's rows, as plain tuples in the tables' column order, ready for the
    driver's ``executemany``: JSON columns as their JSON text, decimals as exact decimal text
    (the SQL casts them to NUMERIC and JSONB in PostgreSQL), the submission's row without its
    last column (the feedback copy, known only once the batch is read). Made where the return
    is read (:func:`db_part`)."""

    sid: str
    submission: tuple[Any, ...]
    projects: list[tuple[Any, ...]]
    indicators: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]


def db_part(info: ReturnInfo, data: dict[str, Any],
            indicators_of: Callable[[dict[str, Any]], list[IndicatorRow]] | None = None) -> DbPart:
    """The rows of one submission (its JSON) for each table but departments.

    Projects and indicators are found by the spec's roles (which field is the project's code
    and name, which table holds the indicators and which columns are its levels and value).
    ``indicators_of``: as :func:`~._summary.summary_part`'s."""
    sid = data["source"]["sha256"]
    roles = FormRoles.of(data["spec"]["id"])
    if indicators_of is None:
        indicators_of = roles.indicators
    table = roles.indicator_table
    department = data.get("department") or {}
    per_sheet = finding_counts(data)
    submission = (
        sid, info.rel, info.status, data["spec"]["id"], data["spec"].get("version"),
        data["spec"].get("hash"), int(data.get("year") or 0), info.template_id or None,
        info.unit_code or None, info.unit_name or None, info.errors, info.warnings,
        len(data.get("projects") or []),
        _dumps({k: v for k, v in department.items() if k != table}),
    )
    indicators = _indicator_rows(indicators_of, sid, department, None)
    projects = []
    for number, project in enumerate(data.get("projects") or [], start=1):
        sheet = str(project.get("sheet") or f"#{number}")
        errors, warnings = per_sheet.get(sheet, [0, 0])
        rows = _indicator_rows(indicators_of, sid, project, sheet)
        projects.append((
            sid, sheet, number, roles.project_code(project), roles.project_name(project),
            _dumps({k: v for k, v in project.items() if k not in ("sheet", table)}),
            len(rows), errors, warnings,
        ))
        indicators += rows
    findings = []
    for n, f in enumerate(data.get("findings") or [], start=1):
        value = f.get("value")
        findings.append((
            sid, n, f.get("severity") or "", f.get("code") or "", f.get("message") or "",
            f.get("sheet"), f.get("cell"), f.get("path"),
            None if value is None else (value if isinstance(value, str) else _dumps(value)),
        ))
    return DbPart(sid, submission, projects, indicators, findings)


def _decimal_text(value: Any) -> str | None:
    number = json_decimal(value)
    return None if number is None else format(number, "f")


def _indicator_rows(indicators_of: Callable[[dict[str, Any]], list[IndicatorRow]], sid: str,
                    sheet_obj: dict[str, Any], project_sheet: str | None) -> list[tuple[Any, ...]]:
    sheet = str(sheet_obj.get("sheet") or "")
    out = []
    for row in indicators_of(sheet_obj):
        value = row.value
        out.append((
            sid, sheet, row.row, project_sheet, row.level1, row.level2, row.level3,
            value.get("text") if value else row.invalid_text,
            value.get("kind"), value.get("comparison"), _decimal_text(value.get("number")),
            value.get("unit"), value.get("prefix"), value.get("suffix"), row.marker,
            _dumps(row.extra or None),
        ))
    return out


def report_findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings of one return as report.html lists them."""
    return [{
        "severity": f.get("severity"), "level": SEVERITY_ZH.get(f.get("severity") or "", ""),
        "sheet": f.get("sheet") or "", "cell": f.get("cell") or "", "code": f.get("code") or "",
        "message": f.get("message") or "", "value": value_text(f.get("value")),
    } for f in data.get("findings") or []]


@by_fields
@dataclass(frozen=True, slots=True)
class Prepared:
    """One kept return's rows for the 汇总表, the database and the report; ``info``: what they
    were made with (the parent uses them only when it records the same)."""

    info: ReturnInfo
    summary: SummaryPart
    db: DbPart
    findings: list[dict[str, Any]]

    def to_bytes(self) -> bytes:
        """Two pickles: the report's findings first (read alone by :meth:`findings_from`),
        then the rows."""
        return (pickle.dumps(self.findings, protocol=pickle.HIGHEST_PROTOCOL)
                + pickle.dumps((self.info, self.summary, self.db),
                               protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def from_bytes(data: bytes) -> Prepared:
        # our own spool, written by this run's parent
        fh = io.BytesIO(data)
        findings = pickle.load(fh)
        info, summary, db = pickle.load(fh)
        return Prepared(info, summary, db, findings)

    @staticmethod
    def findings_from(data: bytes) -> list[dict[str, Any]]:
        """The report's findings alone, without unpickling the rows (most of the bytes)."""
        findings = pickle.load(io.BytesIO(data))
        assert isinstance(findings, list)
        return findings


def prepare(spec_key: tuple[str, ...], info: ReturnInfo, data: dict[str, Any]) -> Prepared:
    """Every row of one kept return; ``spec_key``: the specs whose columns the 汇总表 has."""
    roles = FormRoles.of(data["spec"]["id"])
    # each sheet's indicator rows once, for the 汇总表 and the database (by the sheet object's
    # id, the object kept with them so that no other object can take its id meanwhile)
    seen: dict[int, tuple[dict[str, Any], list[IndicatorRow]]] = {}

    def indicators_of(sheet_obj: dict[str, Any]) -> list[IndicatorRow]:
        hit = seen.get(id(sheet_obj))
        if hit is None:
            hit = seen[id(sheet_obj)] = (sheet_obj, roles.indicators(sheet_obj))
        return hit[1]

    return Prepared(info, summary_part(spec_key, info, data, indicators_of),
                    db_part(info, data, indicators_of), report_findings(data))
