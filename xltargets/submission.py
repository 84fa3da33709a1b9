"""The Submission: one returned workbook as data, and its JSON form.

JSON conventions (documented in docs/json.md and pinned by schemas/submission.schema.json):

* money and percentages are **decimal strings** (``"50.00"``, ``"25"``): JSON numbers are
  binary floats in most consumers (JavaScript, many SQL loaders), and a budget must add up to
  the cent. The string keeps the exact value and its scale as the department typed it.
* dates are ISO strings (``"2024-06-20"``); integers are numbers.
* an indicator value is an object: the raw text and its parsed parts.
* ``markers`` maps a field (or ``indicators[3].value``) to ``redacted`` (涉密) or
  ``not_applicable`` (……): those are recorded, never reported as missing.
* ``invalid`` keeps the raw text of every value that could not be parsed: nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .findings import Finding, Severity
from .form import _BLANK, Cell, FormValues, SheetValues
from .layout.model import a1_position

FORMAT = "xltargets.submission/1"


def json_value(value: Any) -> Any:
    """A value as the submission JSON holds it: decimals as exact decimal strings (the one
    convention; :func:`json_decimal` reads them back), dates as ISO strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "to_json"):
        return value.to_json()
    return str(value)


def json_decimal(value: Any) -> Decimal | None:
    """A decimal string of the submission JSON (or a number) back to an exact Decimal; None when
    absent, not a number or not finite. Every consumer of the JSON reads amounts through this."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _raw_text(raw: Any) -> str:
    if isinstance(raw, float):
        return repr(raw)
    return str(raw)


def _put(obj: dict[str, Any], key: str, cell: Cell) -> None:
    p = cell.parsed
    obj[key] = json_value(p.value) if not p.problem else None
    if p.marker is not None:
        obj.setdefault("markers", {})[key] = p.marker
    if p.problem and not p.blank:
        obj.setdefault("invalid", {})[key] = _raw_text(p.raw)


def sheet_json(sheet: SheetValues) -> dict[str, Any]:
    # (a blank cell is the shared _BLANK parse, most cells of a return: its JSON is None,
    # what _put gives it, put without the call)
    out: dict[str, Any] = {"sheet": sheet.layout.name}
    for fid, cell in sheet.fields.items():
        if cell.parsed is _BLANK:
            out[fid] = None
        else:
            _put(out, fid, cell)
    for fid, cells in sheet.lists.items():
        items = []
        for i, cell in enumerate(cells):
            if cell.parsed is _BLANK or cell.parsed.blank:
                continue
            holder: dict[str, Any] = {}
            _put(holder, "v", cell)
            items.append(holder["v"] if holder.get("v") is not None else _raw_text(cell.parsed.raw))
            if "markers" in holder:
                out.setdefault("markers", {})[f"{fid}[{i}]"] = holder["markers"]["v"]
        out[fid] = items
    for tid, rows in sheet.tables.items():
        table_rows = []
        for index, row_cells, fixed in rows:
            row: dict[str, Any] = {"row": index + 1}
            row.update(fixed)
            for col, cell in row_cells.items():
                if cell.parsed is _BLANK:
                    row[col] = None
                else:
                    _put(row, col, cell)
            table_rows.append(row)
        out[tid] = table_rows
    return out


@dataclass
class Submission:
    spec_id: str
    spec_version: str
    spec_hash: str
    year: int
    department: dict[str, Any]
    projects: list[dict[str, Any]]
    findings: list[Finding]
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.warning]

    @property
    def status(self) -> str:
        if self.errors:
            return "rejected"
        if self.warnings:
            return "accepted_with_warnings"
        return "accepted"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "spec": {"id": self.spec_id, "version": self.spec_version, "hash": self.spec_hash},
            "year": self.year,
            "status": self.status,
            "department": self.department,
            "projects": self.projects,
            "findings": [f.to_json() for f in self.findings],
            "source": self.source,
        }


def build_submission(values: FormValues, findings: list[Finding], source: dict[str, Any]) -> Submission:
    department: dict[str, Any] = {}
    projects: list[dict[str, Any]] = []
    for sheet in values.sheets:
        if sheet.layout.index is None:
            department = sheet_json(sheet)
        else:
            projects.append(sheet_json(sheet))
    order = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}
    findings = sorted(findings, key=lambda f: (order[f.severity], f.sheet or "", _cell_key(f.cell)))
    return Submission(values.spec.id, values.spec.version, values.layout.spec_hash, values.year,
                      department, projects, findings, source)


def _cell_key(ref: str | None) -> tuple[int, int]:
    """Findings in reading order: by row, then column; those without a cell first."""
    if not ref:
        return (-1, -1)
    return a1_position(ref)
