"""Generating templates: one locked workbook per department, prefilled from a roster."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import __version__
from .._atomic import write_bytes, write_text
from ..errors import OutputError
from ..layout import Layout, plan
from ..layout.capacity import SPEC_ROWS, Capacity, bare_label, blocks, rows_of
from ..spec.load import spec_definition, spec_hash
from ..spec.model import Spec
from ..stamp import Stamp
from ..stamp import template_id as make_template_id
from .draw import FIXED_CREATED, DrawOptions, draw_workbook, render
from .precheck import check_roster
from .roster import Department, read_roster

MANIFEST_FORMAT = "xltargets.manifest/1"


@dataclass(frozen=True)
class Built:
    data: bytes
    stamp: Stamp
    layout: Layout
    #: what was prefilled and locked: sheet name -> input path -> value (the manifest records it)
    prefilled: dict[str, dict[tuple[str | int, ...], Any]] = field(default_factory=dict)

    def prefilled_fields(self) -> list[dict[str, str]]:
        """The prefilled fields as the manifest lists them: sheet, field id, value as text."""
        out = []
        for sheet in self.layout.sheets:
            values = self.prefilled.get(sheet.name) or {}
            for cell in sheet.scalar_inputs():
                value = values.get(cell.path)
                if value is not None:
                    text = format(value, "f") if isinstance(value, Decimal) else str(value)
                    out.append({"sheet": sheet.name, "field": cell.field, "value": text})
        return out


def _prefill(spec: Spec, layout: Layout, dept: Department | None, year: int
             ) -> tuple[dict[str, dict[tuple[str | int, ...], Any]], dict[str, set[tuple[str | int, ...]]],
                        dict[str, dict[str, Any]]]:
    values: dict[str, dict[tuple[str | int, ...], Any]] = {}
    locked: dict[str, set[tuple[str | int, ...]]] = {}
    context: dict[str, dict[str, Any]] = {}
    base = {"year": year, "unit_code": dept.unit_code if dept else "",
            "unit_name": dept.unit_name if dept else "",
            "region_code": dept.region_code if dept else ""}
    # the roster's unit code and name go to the fields the spec's roles name
    unit_values: dict[str, str] = {}
    if dept is not None:
        for field_id, unit_value in ((spec.roles.unit_code, dept.unit_code),
                                     (spec.roles.unit_name, dept.unit_name)):
            if field_id is not None:
                unit_values[field_id] = unit_value
    for sheet in layout.sheets:
        fields = {f.id: f for f in spec.sheet(sheet.key).fields}
        project = {}
        if sheet.index is not None and dept is not None and sheet.index <= len(dept.projects):
            project = dept.projects[sheet.index - 1]
        context[sheet.name] = {"project": project}
        if dept is None:
            continue
        ctx = {**base, "project": project}
        for cell in sheet.scalar_inputs():
            f = fields.get(cell.field)
            if f is None or not f.prefill:
                continue
            value: Any = project.get(f.id) if sheet.index is not None else None
            if value is None and sheet.index is None:
                value = unit_values.get(f.id) or None
            if value is None and f.default:
                value = render(f.default, ctx) or None
            if value is not None:
                values.setdefault(sheet.name, {})[cell.path] = value
                locked.setdefault(sheet.name, set()).add(cell.path)
    return values, locked, context


def _prefilled(spec: Spec, layout: Layout, dept: Department, year: int
               ) -> tuple[dict[str, dict[tuple[str | int, ...], Any]], dict[str, set[tuple[str | int, ...]]]]:
    values, locked, _ = _prefill(spec, layout, dept, year)
    return values, locked


def build_template(spec: Spec, year: int, *, department: Department | None = None,
                   projects: int | None = None, password: str | None = None, batch: str = "",
                   values: dict[str, dict[tuple[str | int, ...], Any]] | None = None,
                   comments: dict[str, dict[str, str]] | None = None,
                   extra_sheets: list[tuple[str, list[list[Any]]]] | None = None,
                   created: dt.datetime = FIXED_CREATED,
                   template_id: str | None = None, capacity: Capacity = SPEC_ROWS) -> Built:
    """One workbook, in memory. ``values`` fills input cells (examples, feedback copies).

    ``template_id`` keeps the id of a template sent out earlier (a feedback copy must come back
    as the same template); by default the id is derived from the inputs. ``capacity``: rows of
    the tables and lists where they differ from the spec (recorded in the stamp, so the reader
    plans the same rows)."""
    count = len(department.projects) if department is not None and projects is None else (projects or 0)
    layout = plan(spec, count, capacity)
    payload: Any = [p for p in department.projects] if department else count
    if capacity:
        payload = [payload, capacity.text()]  # only then: ids of default templates never change
    stamp = Stamp(
        spec_id=spec.id, spec_version=spec.version, spec_hash=spec_hash(spec),
        template_id=template_id or make_template_id(
            spec_hash(spec), year, department.unit_code if department else "", payload, batch),
        year=year, project_count=count,
        unit_code=department.unit_code if department else "",
        unit_name=department.unit_name if department else "",
        region_code=department.region_code if department else "",
        tool_version=__version__,
        capacity=capacity.text(),
    )
    prefill, locked, context = _prefill(spec, layout, department, year)
    merged = {k: dict(v) for k, v in prefill.items()}
    for sheet_name, cells in (values or {}).items():
        for path, value in cells.items():
            if path not in locked.get(sheet_name, set()):
                merged.setdefault(sheet_name, {})[path] = value
    for sheet in layout.sheets:
        # titles name the project ("1.购买舆情监测服务绩效目标表") whatever filled its cells
        filled = merged.get(sheet.name)
        if not filled:
            continue
        sheet_ctx = context.setdefault(sheet.name, {})
        project = dict(sheet_ctx.get("project") or {})  # never the caller's roster dict
        for cell in sheet.scalar_inputs():
            value = filled.get(cell.path)
            if value is not None:
                project.setdefault(cell.field, value)
        sheet_ctx["project"] = project
    opts = DrawOptions(
        year=year, stamp=stamp, values=merged, locked=locked, context=context,
        unit_code=stamp.unit_code, unit_name=stamp.unit_name, password=password, created=created,
        comments=comments or {}, extra_sheets=extra_sheets or [],
    )
    return Built(draw_workbook(spec, layout, opts), stamp, layout,
                 {k: {p: v for p, v in cells.items() if p in locked.get(k, set())}
                  for k, cells in prefill.items()})


def file_name(dept: Department, year: int) -> str:
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", dept.unit_name).strip("_")[:60]
    return f"{dept.unit_code}_{safe}_{year}年绩效目标表.xlsx"


def generate_batch(spec: Spec, year: int, roster: str | Path, out_dir: str | Path, *,
                   password: str | None = None, batch: str = "",
                   progress: Callable[[Iterable[Department]], Iterable[Department]] | None = None,
                   rows: dict[str, int] | None = None) -> dict[str, Any]:
    """One workbook per roster department, and the distribution manifest (manifest.json).

    ``rows``: block id -> rows for every department (:func:`~xltargets.layout.capacity.requested`);
    a department's own roster columns (指标行数 …) take precedence for its workbook."""
    Capacity.of(spec, rows or {})  # a bad request fails before the roster is read
    departments = read_roster(roster, spec)
    # a prefilled value is locked: one that breaks a rule would get every return rejected
    check_roster(spec, year, departments, roster, lambda n: plan(spec, n), _prefilled)
    out = _out_dir(out_dir)
    entries = []
    iterable: Iterable[Department] = progress(departments) if progress else departments
    for dept in iterable:
        capacity = Capacity.of(spec, {**(rows or {}), **dept.rows})  # the roster's are checked
        built = build_template(spec, year, department=dept, password=password, batch=batch,
                               capacity=capacity)
        name = file_name(dept, year)
        _write(out / name, built.data)
        entries.append({
            "file": name,
            "unit_code": dept.unit_code,
            "unit_name": dept.unit_name,
            # in the stamp too: the web intake draws a lost template again from this record
            "region_code": dept.region_code,
            "template_id": built.stamp.template_id,
            "projects": len(dept.projects),
            "sha256": hashlib.sha256(built.data).hexdigest(),
            # collect compares each return with these: a locked value changed is an error
            "prefilled": built.prefilled_fields(),
            # the rows of each table and list (the reader learns them from the stamp)
            "rows": capacity_rows(spec, capacity),
        })
    manifest = {
        "format": MANIFEST_FORMAT,
        # the spec itself, as hashed: the round is read with it even if the spec's file changes
        # (or xltargets is upgraded) before every return is in (collect pins it)
        "spec": {"id": spec.id, "version": spec.version, "hash": spec_hash(spec),
                 "definition": spec_definition(spec)},
        "year": year,
        "batch": batch,
        # a fact, never the password: collect needs one to protect the feedback copies alike
        "password": bool(password),
        "workbooks": entries,
    }
    try:
        write_text(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise OutputError.from_os(exc, out / "manifest.json") from None
    return manifest


def capacity_rows(spec: Spec, capacity: Capacity) -> dict[str, int]:
    """Every block's rows (per category for a skeleton table) under ``capacity``."""
    return {b.id: rows_of(b, capacity) for b in blocks(spec).values()}


def generate_blank(spec: Spec, year: int, projects: int, out_dir: str | Path, *,
                   password: str | None = None, batch: str = "",
                   rows: dict[str, int] | None = None) -> Path:
    capacity = Capacity.of(spec, rows or {})
    built = build_template(spec, year, projects=projects, password=password, batch=batch,
                           capacity=capacity)
    out = _out_dir(out_dir)
    known = blocks(spec)  # the rows asked for are in the name: another capacity, another file
    more = "".join(f"_{bare_label(known[key].label)}{'每类' if known[key].kind == 'category' else ''}"
                   f"{value}行" for key, value in capacity.rows)
    path = out / f"{spec.id}_{year}_空白模板_{projects}个项目{more}.xlsx"
    _write(path, built.data)
    return path


def _out_dir(path: str | Path) -> Path:
    """The output folder, created; an :class:`OutputError` in Chinese when it cannot be."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError("已存在同名文件，不是文件夹；请指定一个输出文件夹", path=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.from_os(exc, out, "无法建立输出文件夹") from None
    return out


def _write(path: Path, data: bytes) -> None:
    try:
        write_bytes(path, data)
    except OSError as exc:
        raise OutputError.from_os(exc, path) from None


__all__ = ["Built", "Department", "build_template", "file_name", "generate_batch",
           "generate_blank", "read_roster"]
