"""The roster against the spec's rules, before anything is written.

A value prefilled from the roster is locked in the template: a department cannot correct it. If
it breaks one of the spec's rules (a project code of another year, a project of another region,
amounts that cannot add up), every return of that department would be rejected for a mistake
only the office can fix. So generation refuses such a roster, naming the file, the row and the
rule.

No second implementation of any rule: each department's prefilled values are put through the
reader's own path (``normalize`` → :class:`~xltargets.form.FormView`) and the spec's rule objects
evaluate them exactly as they evaluate a return. A finding counts when it sits on a prefilled
cell and the department cannot make it go away by filling the cells left open to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import RosterError
from ..findings import Finding
from ..form import FormView, normalize
from ..layout import Layout
from ..spec.model import Spec
from .roster import Department

Prefill = Callable[[Spec, Layout, Department, int], tuple[
    dict[str, dict[tuple[str | int, ...], Any]], dict[str, set[tuple[str | int, ...]]]]]


@dataclass(frozen=True)
class RosterProblem:
    row: int
    rule: str
    finding: Finding

    def text(self) -> str:
        return f"{self.finding.message}（规则 {self.rule}）"


def _unfixable(finding: Finding, open_fields: list[str]) -> bool:
    """Can the department still make this finding disappear by filling its open cells?"""
    if not open_fields:
        return True  # every value the rule looks at is prefilled and locked
    # a sum whose prefilled terms already exceed the prefilled total: open terms (amounts ≥ 0)
    # can only make it larger. The rule itself computed both figures.
    got, total = finding.extra.get("sum"), finding.extra.get("total")
    return isinstance(got, Decimal) and isinstance(total, Decimal) and got > total


def roster_problems(spec: Spec, year: int, departments: list[Department],
                    layouts: Callable[[int], Layout], prefill: Prefill) -> list[RosterProblem]:
    """Every rule the prefilled values of ``departments`` break, in roster order."""
    problems: list[RosterProblem] = []
    for dept in departments:
        layout = layouts(len(dept.projects))
        values, locked = prefill(spec, layout, dept, year)
        if not values:
            continue
        view = FormView(normalize(spec, layout, values, year=year, region=dept.region_code))
        sheets = {s.name: s for s in layout.sheets}
        prefilled = {(s.name, inp.box.ref) for s in layout.sheets for inp in s.inputs
                     if inp.path in locked.get(s.name, set())}
        for rule in spec.rules:
            for finding in rule.evaluate(view):
                if (finding.sheet, finding.cell) not in prefilled or finding.sheet is None:
                    continue
                sheet = sheets[finding.sheet]
                on_sheet = {inp.field for inp in sheet.scalar_inputs()}
                fixed = {inp.field for inp in sheet.scalar_inputs()
                         if inp.path in locked.get(sheet.name, set())}
                open_fields = [f for f in rule.fields() if f in on_sheet and f not in fixed]
                if _unfixable(finding, open_fields):
                    problems.append(RosterProblem(dept.row_of(sheet.index), rule.id, finding))
    problems.sort(key=lambda p: p.row)
    return problems


def check_roster(spec: Spec, year: int, departments: list[Department], path: str | Path,
                 layouts: Callable[[int], Layout], prefill: Prefill) -> None:
    """Raise :class:`RosterError` naming the first broken row (all of them in ``all_errors``)."""
    problems = roster_problems(spec, year, departments, layouts, prefill)
    if not problems:
        return
    errors = [RosterError(p.text(), path=path, row=p.row) for p in problems]
    first = errors[0]
    first.all_errors = errors
    raise first
