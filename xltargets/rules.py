"""Cross-field rules of a spec, each in one class with both of its faces.

A rule says one thing a reviewer checks (``budget_fiscal + budget_other = budget_total``). The
same object yields

* ``excel(sheet)``: what the template shows of it, conditions merged into a cell's data
  validation and live check cells (平衡 / 不平衡), used by the layout planner;
* ``evaluate(form)``: the findings on a returned workbook, used by the checks.

Keeping both faces on one object is what stops the Excel hint and the reader's verdict drifting
apart. The reader is the authority: Excel validation is advice that pasting bypasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .cellrules import percent_excel, percent_typed_excel
from .findings import Severity

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from .findings import Finding
    from .form import FormView


@dataclass(frozen=True)
class CellCondition:
    """A condition (Excel formula) one input cell must meet, merged into its validation."""

    field: str
    #: formula over A1 references of the same sheet, without the leading '='
    formula: str
    message: str
    severity: Severity


@dataclass(frozen=True)
class CheckFormula:
    """A live check cell: the grid places it with ``{check: rule_id}``."""

    rule_id: str
    formula: str


#: stands for the form's year in a rule's Excel face: the layout is planned once for every year,
#: the drawer puts the year in (checks and validations)
YEAR = "{{ year }}"
#: the key of the form's year in the values given to :meth:`_Rule.check_text`
YEAR_KEY = "__year__"


@dataclass(frozen=True)
class Ref:
    """One name a rule refers to, for the spec loader to check (each rule lists its own).

    ``key`` is the rule's key that holds the name (``terms``; ``index`` for a list), so an error
    points at its line. ``kind``: ``sheet``, ``field`` (on ``sheet``), ``table`` (on ``sheet``),
    ``column`` (of ``table``), ``level1`` or ``level2`` (of the taxonomy).
    """

    key: str
    kind: Literal["sheet", "field", "table", "column", "level1", "level2"]
    name: str
    sheet: str | None = None
    table: str | None = None
    index: int | None = None


def _field_refs(key: str, names: list[str], sheet: str) -> list[Ref]:
    return [Ref(key, "field", n, sheet, index=i) for i, n in enumerate(names)]


class ExcelSheet:
    """What a rule may ask of the layout while it is being planned (one sheet)."""

    def __init__(self, sheet_id: str, refs: dict[str, str],
                 labels: dict[str, str] | None = None) -> None:
        self.sheet_id = sheet_id
        self._refs = refs
        self._labels = labels or {}

    def has(self, field: str) -> bool:
        return field in self._refs

    def ref(self, field: str) -> str:
        return self._refs[field]

    def label(self, field: str) -> str:
        return self._labels.get(field, field)


def _diff(got: Decimal, total: Decimal) -> str:
    delta = got - total
    return f"合计多{delta:f}" if delta > 0 else f"合计少{-delta:f}"


def _money(value: Decimal | None) -> str:
    return "空" if value is None else f"{value:f}"


class _Rule(BaseModel):
    # defer_build: validators are built when a spec is first validated, not at import; a
    # command that uses a cached spec (spec._cache) never builds them
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    severity: Severity = Severity.error

    def excel(self, sheet: ExcelSheet) -> list[CellCondition | CheckFormula]:
        return []

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        return iter(())

    def check_text(self, values: dict[str, Decimal | None],
                   labels: Mapping[str, str] | None = None) -> str:
        """What the live check cell shows for these values: its cached result (``labels``: the
        fields' labels, for the words a check cell shows).

        LibreOffice does not recalculate an XlsxWriter file on load, so a check cell shows its
        cached value until a cell it depends on is edited: write the right one."""
        return ""

    def fields(self) -> list[str]:
        """Field ids this rule refers to on its own sheet."""
        return []

    def references(self) -> list[Ref]:
        """Every sheet, field, table, column and taxonomy name this rule names: the spec loader
        refuses a spec where one does not exist (a misspelt name would never fire).

        The default covers a rule with a ``sheet`` and :meth:`fields` on it; rules naming more
        (a table, a column, another sheet) add theirs."""
        sheet = getattr(self, "sheet", None)
        if not isinstance(sheet, str):
            return []
        return [Ref("sheet", "sheet", sheet), *_field_refs("fields", self.fields(), sheet)]


class SumEquals(_Rule):
    """``sum(terms) == total`` in exact decimals; blank terms count as 0."""

    type: Literal["sum_equals"]
    sheet: str
    total: str
    terms: list[str]
    code: str = "sum_mismatch"

    def fields(self) -> list[str]:
        return [self.total, *self.terms]

    def references(self) -> list[Ref]:
        return [Ref("sheet", "sheet", self.sheet), Ref("total", "field", self.total, self.sheet),
                *_field_refs("terms", self.terms, self.sheet)]

    def excel(self, sheet: ExcelSheet) -> list[CellCondition | CheckFormula]:
        if sheet.sheet_id != self.sheet:
            return []
        total = sheet.ref(self.total)
        terms = ",".join(sheet.ref(t) for t in self.terms)
        formula = (
            f'IF(COUNT({total},{terms})=0,"",'
            f'IF(ROUND(SUM({terms})-N({total}),2)=0,"平衡","不平衡"))'
        )
        return [CheckFormula(self.id, formula)]

    def check_text(self, values: dict[str, Decimal | None],
                   labels: Mapping[str, str] | None = None) -> str:
        cells = [values.get(f) for f in (self.total, *self.terms)]
        if all(v is None for v in cells):
            return ""
        got = sum((values.get(t) or Decimal(0) for t in self.terms), Decimal(0))
        return "平衡" if got == (values.get(self.total) or Decimal(0)) else "不平衡"

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        for view in form.sheets(self.sheet):
            if any(view.invalid(f) for f in (self.total, *self.terms)):
                continue  # an unreadable amount is reported by kind; a sum over it says nothing
            total = view.number(self.total)
            values = [view.number(t) for t in self.terms]
            if total is None or all(v is None for v in values):
                continue  # 'required' reports what is missing; a sum of nothing says nothing
            got = sum((v for v in values if v is not None), Decimal(0))
            if got != total:
                parts = " + ".join(
                    f"{view.label(t)}({_money(v)})" for t, v in zip(self.terms, values, strict=True)
                )
                yield view.finding(
                    self.severity, self.code,
                    f"{parts} = {got:f}，与{view.label(self.total)}({total:f})不相等，{_diff(got, total)}",
                    field=self.total, value=total,
                    extra={"sum": got, "total": total, "rule": self.id},
                )


class CumulativePercent(_Rule):
    """A spending plan: cumulative percentages, never decreasing, reaching ``final``."""

    type: Literal["cumulative_percent"]
    sheet: str
    fields_: list[str] = Field(alias="fields")
    final: Decimal = Decimal(100)
    #: the project's budget, to recognise amounts typed where percentages belong
    amount_field: str | None = None

    def fields(self) -> list[str]:
        return [*self.fields_, *([self.amount_field] if self.amount_field else [])]

    def references(self) -> list[Ref]:
        refs = [Ref("sheet", "sheet", self.sheet), *_field_refs("fields", self.fields_, self.sheet)]
        if self.amount_field:
            refs.append(Ref("amount_field", "field", self.amount_field, self.sheet))
        return refs

    def excel(self, sheet: ExcelSheet) -> list[CellCondition | CheckFormula]:
        """Percent cells are Text cells: ``25`` and ``25%`` both mean 25 here, in the
        validation and in the reader (xltargets.cellrules.percent_excel)."""
        if sheet.sheet_id != self.sheet:
            return []
        out: list[CellCondition | CheckFormula] = []
        refs = [sheet.ref(f) for f in self.fields_]
        for prev, (field, ref) in zip(refs, list(zip(self.fields_, refs, strict=True))[1:], strict=False):
            # an unreadable neighbour is its own cell's problem: IFERROR lets this one pass
            out.append(CellCondition(
                field,
                f'IFERROR(OR({prev}="",{percent_typed_excel(ref)}>={percent_excel(prev)}),TRUE)',
                "资金支出计划为累计百分比，不能小于上一期", self.severity))
        # a blank milestone counts as 0 (nothing spent yet), an unreadable one as -1 (wrong)
        nums = [f'IF({r}="",0,IFERROR({percent_excel(r)},-1))' for r in refs]
        steps = "".join(f",{b}>={a}" for a, b in zip(nums, nums[1:], strict=False))
        formula = (
            f'IF(COUNTA({",".join(refs)})=0,"",IF(AND({nums[-1]}={self.final:f}{steps}),"正常",'
            f'"应逐期累计不减，{self._final_text()}"))'
        )
        out.append(CheckFormula(self.id, formula))
        return out

    def _final_text(self) -> str:
        return f"最后一期应为{self.final:f}%"

    def check_text(self, values: dict[str, Decimal | None],
                   labels: Mapping[str, str] | None = None) -> str:
        plan = [values.get(f) for f in self.fields_]
        if all(v is None for v in plan):
            return ""
        nums = [v or Decimal(0) for v in plan]  # Excel compares a blank cell as 0
        ok = nums[-1] == self.final and all(b >= a for a, b in zip(nums, nums[1:], strict=False))
        return "正常" if ok else f"应逐期累计不减，{self._final_text()}"

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        for view in form.sheets(self.sheet):
            if any(view.invalid(f) for f in self.fields_):
                continue
            values = [(f, view.number(f)) for f in self.fields_]
            present = [(f, v) for f, v in values if v is not None]
            if not present:
                last = self.fields_[-1]
                yield view.finding(
                    self.severity, "plan_not_complete",
                    f"资金支出计划未填写，“{view.label(last)}”应达到{self.final:f}%",
                    field=last, value=None, extra={"rule": self.id})
                continue
            amount = view.number(self.amount_field) if self.amount_field else None
            if self._looks_like_amounts(present, amount):
                shown = "、".join(f"{v:f}" for _, v in present)
                why = f"，与预算数{amount:f}相同" if amount is not None and any(
                    v == amount for _, v in present) else ""
                yield view.finding(
                    self.severity, "plan_looks_like_amounts",
                    f"资金支出计划应填写累计百分比（如 25、50、75、100），此处填写的是 {shown}{why}，似为金额",
                    field=present[0][0], value=present[0][1],
                    extra={"rule": self.id},
                )
                continue
            previous: tuple[str, Decimal] | None = None
            for field, value in present:
                if previous is not None and value < previous[1]:
                    yield view.finding(
                        self.severity, "plan_decreasing",
                        f"资金支出计划为累计数，“{view.label(field)}”({value:f}%)"
                        f"小于“{view.label(previous[0])}”({previous[1]:f}%)",
                        field=field, value=value, extra={"rule": self.id},
                    )
                previous = (field, value)
            last_field, last_value = values[-1]
            if last_value is None or last_value != self.final:
                yield view.finding(
                    self.severity, "plan_not_complete",
                    # the label names the plan already ("资金支出计划12月底"), as in every
                    # other finding it is quoted, not prefixed
                    f"“{view.label(last_field)}”应达到{self.final:f}%，"
                    f"当前为{'空' if last_value is None else f'{last_value:f}%'}",
                    field=last_field, value=last_value, extra={"rule": self.id},
                )

    def _looks_like_amounts(self, present: list[tuple[str, Decimal]],
                            amount: Decimal | None) -> bool:
        values = [v for _, v in present]
        valid = all(b >= a for a, b in zip(values, values[1:], strict=False)) and values[-1] == self.final
        if valid:
            return False  # a correct plan is a plan, whatever the budget happens to be
        if all(v > self.final for v in values):
            return True  # no milestone can be a percentage (one above 100 alone is a typo:
            # 25/50/75/120 is reported as out of range, not as amounts)
        # seed 003 typed 8.00 8.00 8.00 for a project of 8.00 万元
        return amount is not None and amount != self.final and values[-1] == amount


class Taxonomy(_Rule):
    """Every 二级 belongs to its 一级 (a stale 二级 left after the 一级 changed included)."""

    type: Literal["taxonomy"]
    sheet: str
    table: str

    def references(self) -> list[Ref]:
        return [Ref("sheet", "sheet", self.sheet), Ref("table", "table", self.table, self.sheet)]

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        spec = form.spec
        # in the taxonomy's order: the same file gives the same message on every run
        order = [n.level1 for n in spec.taxonomy]
        known1 = set(order)
        for view in form.sheets(self.sheet):
            level1, level2 = view.table_spec(self.table).level_columns()
            for row in view.rows(self.table):
                l1 = row.text(level1)
                l2 = row.text(level2)
                if l1 is not None and l1 not in known1:
                    yield row.finding(
                        self.severity, "level1_unknown",
                        f"一级指标“{l1}”不在指标体系中，应为：{'、'.join(order)}",
                        column=level1, value=l1)
                    continue
                if l2 is None:
                    continue
                if l1 is None:
                    yield row.finding(self.severity, "level1_missing",
                                      f"已填写二级指标“{l2}”，但未选择一级指标",
                                      column=level1, value=None)
                    continue
                children = spec.level2_of(l1)
                if l2 not in children:
                    owner = next((n.level1 for n in spec.taxonomy if l2 in n.level2), None)
                    hint = f"（“{l2}”属于“{owner}”，可能是修改一级指标后遗留的二级指标）" if owner else ""
                    yield row.finding(
                        self.severity, "level2_mismatch",
                        f"二级指标“{l2}”不属于一级指标“{l1}”{hint}；“{l1}”下可选：{'、'.join(children)}",
                        column=level2, value=l2)


class RequiredCategories(_Rule):
    """Each listed 一级指标 has at least one filled indicator row."""

    type: Literal["required_categories"]
    sheet: str
    table: str
    level1: list[str]

    def references(self) -> list[Ref]:
        return [Ref("sheet", "sheet", self.sheet), Ref("table", "table", self.table, self.sheet),
                *(Ref("level1", "level1", n, index=i) for i, n in enumerate(self.level1))]

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        for view in form.sheets(self.sheet):
            level1 = view.table_spec(self.table).level_columns()[0]
            seen = {row.text(level1) for row in view.rows(self.table)}
            for name in self.level1:
                if name not in seen:
                    yield view.finding(
                        self.severity, "category_missing",
                        f"绩效指标中缺少一级指标“{name}”，每类至少填写一项",
                        table=self.table, value=name)


class CodeYear(_Rule):
    """A project code carries the year (digits 7-8) and the region (digits 1-6)."""

    type: Literal["code_year"]
    sheet: str
    field: str

    def fields(self) -> list[str]:
        return [self.field]

    def references(self) -> list[Ref]:
        return [Ref("sheet", "sheet", self.sheet), Ref("field", "field", self.field, self.sheet)]

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        year2 = f"{form.year % 100:02d}" if form.year else None
        regions: dict[str, str] = {}
        for view in form.sheets(self.sheet):
            code = view.text(self.field)
            if code is None or len(code) < 8 or not code[:8].isdigit():
                continue  # the pattern check reports malformed codes
            if year2 and code[6:8] != year2:
                yield view.finding(
                    self.severity, "code_year_mismatch",
                    f"项目编码第7-8位年度为“{code[6:8]}”，与本表预算年度{form.year}（{year2}）不一致",
                    field=self.field, value=code)
            regions.setdefault(code[:6], view.name)
            expected = form.region
            if expected and code[:6] != expected:
                yield view.finding(
                    Severity.warning, "code_region_mismatch",
                    f"项目编码前6位区划“{code[:6]}”与本单位区划“{expected}”不一致",
                    field=self.field, value=code)
        if not form.region and len(regions) > 1:
            first = next(iter(form.sheets(self.sheet)))
            yield first.finding(
                Severity.warning, "code_region_mismatch",
                "各项目编码前6位区划不一致：" + "、".join(f"{r}（{s}）" for r, s in regions.items()),
                field=self.field, value=None)


class CostCap(_Rule):
    """A 成本指标 capped above the project's own budget is probably a typo."""

    type: Literal["cost_cap"]
    sheet: str
    table: str
    level2: str = "成本指标"
    #: the value column (default: the value column of ``roles.indicators``)
    column: str | None = None
    budget: str
    severity: Severity = Severity.warning

    def fields(self) -> list[str]:
        return [self.budget]

    def references(self) -> list[Ref]:
        refs = [Ref("sheet", "sheet", self.sheet), Ref("table", "table", self.table, self.sheet),
                Ref("level2", "level2", self.level2), Ref("budget", "field", self.budget, self.sheet)]
        if self.column is not None:  # None: the value column of roles.indicators
            refs.append(Ref("column", "column", self.column, self.sheet, self.table))
        return refs

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        for view in form.sheets(self.sheet):
            budget = view.number(self.budget)
            if budget is None:
                continue
            level2 = view.table_spec(self.table).level_columns()[1]
            ind = form.spec.roles.indicators
            column = self.column or (ind.value if ind is not None else None)
            if column is None:
                return
            for row in view.rows(self.table):
                if row.text(level2) != self.level2:
                    continue
                iv = row.value(column)
                cap = _cap_in_wan(iv)
                if cap is not None and cap > budget:
                    yield row.finding(
                        self.severity, "cost_cap_exceeds_budget",
                        f"成本指标“{iv.text}”上限{cap:f}万元高于本项目{view.label(self.budget)}{budget:f}万元",
                        column=column, value=iv.text)


def _cap_in_wan(iv: Any) -> Decimal | None:
    if iv is None or getattr(iv, "number", None) is None:
        return None
    if iv.comparison not in ("≤", "<", "=", None):
        return None
    unit = (iv.unit or "").strip()
    if unit in ("万元", "万"):
        return Decimal(iv.number)
    if unit == "元":
        return Decimal(iv.number) / 10000
    return None


class CrossSheetSum(_Rule):
    """The projects' amounts add up to a department total (a workbook may miss projects)."""

    type: Literal["cross_sheet_sum"]
    sheet: str
    field: str
    total_sheet: str
    total: str
    severity: Severity = Severity.warning

    def references(self) -> list[Ref]:
        return [Ref("sheet", "sheet", self.sheet), Ref("field", "field", self.field, self.sheet),
                Ref("total_sheet", "sheet", self.total_sheet),
                Ref("total", "field", self.total, self.total_sheet)]

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        totals = form.sheets(self.total_sheet)
        if not totals:
            return
        head = totals[0]
        total = head.number(self.total)
        views = form.sheets(self.sheet)
        if head.invalid(self.total) or any(v.invalid(self.field) for v in views):
            return
        values = [v.number(self.field) for v in views]
        if total is None or not views or all(v is None for v in values):
            return
        got = sum((v for v in values if v is not None), Decimal(0))
        if got != total:
            label = views[0].label(self.field)
            yield head.finding(
                self.severity, "projects_sum_mismatch",
                f"{len(views)}个项目的{label}合计{got:f}，与{head.label(self.total)}({total:f})不相等，"
                f"{_diff(got, total)}（如有项目未列入本表，可忽略）",
                field=self.total, value=total, extra={"sum": got, "total": total, "rule": self.id})


# --- rules for forms with dates, two money columns and figures in 元 (docs/specs.md) -----------

_OPS: dict[str, tuple[str, str]] = {
    # op -> (Excel operator, Chinese words for "should be …")
    "<=": ("<=", "不应大于"), "<": ("<", "应小于"), ">=": (">=", "不应小于"), ">": (">", "应大于"),
    "=": ("=", "应等于"),
}


def _holds(left: Decimal, op: str, right: Decimal) -> bool:
    return {"<=": left <= right, "<": left < right, ">=": left >= right, ">": left > right,
            "=": left == right}[op]


def _excel_text(text: str) -> str:
    return text.replace('"', '""')


class Compare(_Rule):
    """``left op right`` between two amounts of a sheet (``year_funds <= total_funds``)."""

    type: Literal["compare"]
    sheet: str
    left: str
    op: Literal["<=", "<", ">=", ">", "="] = "<="
    right: str
    code: str = "compare_failed"

    def fields(self) -> list[str]:
        return [self.left, self.right]

    def references(self) -> list[Ref]:
        return [Ref("sheet", "sheet", self.sheet), Ref("left", "field", self.left, self.sheet),
                Ref("right", "field", self.right, self.sheet)]

    def _words(self, left: str, right: str) -> str:
        return f"{left}{_OPS[self.op][1]}{right}"

    def excel(self, sheet: ExcelSheet) -> list[CellCondition | CheckFormula]:
        if sheet.sheet_id != self.sheet:
            return []
        left, right = sheet.ref(self.left), sheet.ref(self.right)
        op = _OPS[self.op][0]
        words = _excel_text(self._words(sheet.label(self.left), sheet.label(self.right)))
        return [
            CellCondition(self.left, f"OR(ISBLANK({right}),{left}{op}{right})", words, self.severity),
            CheckFormula(self.id, f'IF(COUNT({left},{right})<2,"",'
                                  f'IF({left}{op}{right},"正常","{words}"))'),
        ]

    def check_text(self, values: dict[str, Decimal | None],
                   labels: Mapping[str, str] | None = None) -> str:
        left, right = values.get(self.left), values.get(self.right)
        if left is None or right is None:
            return ""
        names = labels or {}
        return "正常" if _holds(left, self.op, right) else self._words(
            names.get(self.left, self.left), names.get(self.right, self.right))

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        for view in form.sheets(self.sheet):
            if view.invalid(self.left) or view.invalid(self.right):
                continue
            left, right = view.number(self.left), view.number(self.right)
            if left is None or right is None or _holds(left, self.op, right):
                continue
            yield view.finding(
                self.severity, self.code,
                f"{view.label(self.left)}({left:f}){_OPS[self.op][1]}{view.label(self.right)}({right:f})，请核对",
                field=self.left, value=left, extra={"rule": self.id, "right": right})


def _serial(day: dt.date) -> Decimal:
    """A date as Excel's serial number (what a check formula compares)."""
    return Decimal((day - dt.date(1899, 12, 30)).days)


class _Period(_Rule):
    """A rule over a period: two date fields of one sheet (its start and its end)."""

    sheet: str
    start: str
    end: str

    def fields(self) -> list[str]:
        return [self.start, self.end]

    def references(self) -> list[Ref]:
        return [Ref("sheet", "sheet", self.sheet), Ref("start", "field", self.start, self.sheet),
                Ref("end", "field", self.end, self.sheet)]


class DateOrder(_Period):
    """A period's end is not before its start (计划完成日期 ≥ 计划开始日期)."""

    type: Literal["date_order"]
    code: str = "date_order"

    def excel(self, sheet: ExcelSheet) -> list[CellCondition | CheckFormula]:
        if sheet.sheet_id != self.sheet:
            return []
        start, end = sheet.ref(self.start), sheet.ref(self.end)
        words = _excel_text(f"{sheet.label(self.end)}不能早于{sheet.label(self.start)}")
        return [
            CellCondition(self.end, f"OR(ISBLANK({start}),{end}>={start})", words, self.severity),
            CheckFormula(self.id, f'IF(COUNT({start},{end})<2,"",IF({end}>={start},"正常","{words}"))'),
        ]

    def check_text(self, values: dict[str, Decimal | None],
                   labels: Mapping[str, str] | None = None) -> str:
        start, end = values.get(self.start), values.get(self.end)
        if start is None or end is None:
            return ""
        names = labels or {}
        return "正常" if end >= start else \
            f"{names.get(self.end, self.end)}不能早于{names.get(self.start, self.start)}"

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        for view in form.sheets(self.sheet):
            start, end = view.date(self.start), view.date(self.end)
            if start is None or end is None or end >= start:
                continue
            yield view.finding(
                self.severity, self.code,
                f"{view.label(self.end)}（{end.isoformat()}）早于{view.label(self.start)}（{start.isoformat()}）",
                field=self.end, value=end.isoformat(), extra={"rule": self.id})


class YearInPeriod(_Period):
    """The form's budget year lies within the project's period (start year ≤ year ≤ end year)."""

    type: Literal["year_in_period"]
    code: str = "year_outside_period"

    def excel(self, sheet: ExcelSheet) -> list[CellCondition | CheckFormula]:
        if sheet.sheet_id != self.sheet:
            return []
        start, end = sheet.ref(self.start), sheet.ref(self.end)
        words = f"{YEAR}年度不在项目实施期内"
        return [
            CellCondition(self.start, f"YEAR({start})<={YEAR}",
                          _excel_text(f"{sheet.label(self.start)}应不晚于预算年度{YEAR}年"), self.severity),
            CellCondition(self.end, f"YEAR({end})>={YEAR}",
                          _excel_text(f"{sheet.label(self.end)}应不早于预算年度{YEAR}年"), self.severity),
            # an inverted period is date_order's to report: this cell stays empty then
            CheckFormula(self.id, f'IF(OR(COUNT({start},{end})<2,{end}<{start}),"",'
                                  f'IF(AND(YEAR({start})<={YEAR},YEAR({end})>={YEAR}),"正常","{words}"))'),
        ]

    def check_text(self, values: dict[str, Decimal | None],
                   labels: Mapping[str, str] | None = None) -> str:
        start, end, year = values.get(self.start), values.get(self.end), values.get(YEAR_KEY)
        if start is None or end is None or year is None or end < start:
            return ""
        first = dt.date(1899, 12, 30) + dt.timedelta(days=int(start))
        last = dt.date(1899, 12, 30) + dt.timedelta(days=int(end))
        return "正常" if first.year <= year <= last.year else f"{year}年度不在项目实施期内"

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        if not form.year:
            return
        for view in form.sheets(self.sheet):
            start, end = view.date(self.start), view.date(self.end)
            if start is None or end is None or end < start:
                continue  # an inverted period is date_order's finding
            if start.year <= form.year <= end.year:
                continue
            field = self.start if form.year < start.year else self.end
            yield view.finding(
                self.severity, self.code,
                f"预算年度{form.year}年不在项目实施期（{start.isoformat()}至{end.isoformat()}）内",
                field=field, value=(start if field == self.start else end).isoformat(),
                extra={"rule": self.id})


class MoneyScale(_Rule):
    """A figure far below the sheet's other amounts: 万元 typed into a 元 cell (22614.51 where the
    others are in the millions). List the fields expected to be of one order of magnitude."""

    type: Literal["money_scale"]
    sheet: str
    fields_: list[str] = Field(alias="fields")
    #: a figure is suspect when it times ``factor`` is still below the largest of the fields
    factor: Decimal = Decimal(1000)
    severity: Severity = Severity.warning
    code: str = "money_scale_suspect"

    def fields(self) -> list[str]:
        return list(self.fields_)

    def excel(self, sheet: ExcelSheet) -> list[CellCondition | CheckFormula]:
        if sheet.sheet_id != self.sheet:
            return []
        refs = [sheet.ref(f) for f in self.fields_]
        every = ",".join(refs)
        suspect = ",".join(f"AND(N({r})>0,N({r})*{self.factor:f}<MAX({every}))" for r in refs)
        return [CheckFormula(self.id, f'IF(COUNT({every})=0,"",IF(OR({suspect}),'
                                      f'"有金额似按万元填写，请核对","正常"))')]

    def _suspects(self, values: dict[str, Decimal | None]) -> list[tuple[str, Decimal, Decimal]]:
        present = {f: v for f, v in values.items() if f in self.fields_ and v is not None}
        if not present:
            return []
        top = max(present.values())
        return [(f, v, top) for f, v in present.items() if v > 0 and v * self.factor < top]

    def check_text(self, values: dict[str, Decimal | None],
                   labels: Mapping[str, str] | None = None) -> str:
        if all(values.get(f) is None for f in self.fields_):
            return ""
        return "有金额似按万元填写，请核对" if self._suspects(values) else "正常"

    def evaluate(self, form: FormView) -> Iterator[Finding]:
        for view in form.sheets(self.sheet):
            values = {f: view.number(f) for f in self.fields_ if not view.invalid(f)}
            for field, value, top in self._suspects(values):
                yield view.finding(
                    self.severity, self.code,
                    f"“{view.label(field)}”为{value:,f}，远小于本表其他金额（最大{top:,f}），"
                    f"本表金额单位为{view.money_unit(field)}，是否按万元填写？如按万元应为{value * 10000:,f}",
                    field=field, value=value, extra={"rule": self.id})


Rule = Annotated[
    SumEquals | CumulativePercent | Taxonomy | RequiredCategories | CodeYear | CostCap | CrossSheetSum
    | Compare | DateOrder | YearInPeriod | MoneyScale,
    Field(discriminator="type"),
]
