"""How each value kind looks and is validated in Excel.

Every input cell gets exactly one data validation: the kind's own condition, merged with the
conditions rules add (a spending-plan step must not fall). Texts are Chinese: the person
filling the form reads them. Excel's limits (title 32, prompt 255, error 224) are enforced by
:func:`clip` so a long label never makes Excel drop a rule.
"""

from __future__ import annotations

from typing import Any

from ..findings import Severity
from ..rules import CellCondition
from ..spec.model import Kind
from .model import Input

TITLE_MAX = 32
PROMPT_MAX = 255
ERROR_MAX = 224

#: number format per kind ('@' = text: keeps leading zeros and exactly what was typed)
NUM_FORMATS: dict[Kind, str] = {
    Kind.money: "0.00",
    Kind.percent: "0.##",
    Kind.integer: "0",
    Kind.date: 'yyyy"年"m"月"d"日"',
    Kind.phone: "@",
    Kind.code: "@",
}


#: number format of a money cell per unit: 元 figures are long, printed with thousands separators
#: (771,325,800.00) as the forms that use 元 print them
MONEY_FORMATS: dict[str, str] = {"万元": "0.00", "元": "#,##0.00"}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def condition(kind: Kind, ref: str, cell: Input) -> str | None:
    """The kind's own condition as an Excel formula over ``ref`` (None: nothing to check)."""
    if kind == Kind.money:
        return f"AND(ISNUMBER({ref}),{ref}>=0,ROUND({ref},2)={ref})"
    if kind == Kind.percent:
        return f"AND(ISNUMBER({ref}),{ref}>=0,{ref}<=100)"
    if kind == Kind.integer:
        return f"AND(ISNUMBER({ref}),INT({ref})={ref})"
    if kind == Kind.code and cell.length:
        return f"LEN({ref})={cell.length}"
    return None


def _prompt(cell: Input, help_text: str | None) -> str:
    kind = cell.kind
    if kind == Kind.money:
        base = f"请输入金额（{cell.money_unit}），不小于0，最多两位小数，只填数字"
    elif kind == Kind.percent:
        base = "请输入0-100之间的累计百分比数字，如 25，不要填写金额"
    elif kind == Kind.integer:
        base = "请输入整数"
    elif kind == Kind.date:
        base = "请输入日期，如 2025-06-20"
    elif kind == Kind.phone:
        base = "请输入11位手机号或带区号的固定电话"
    elif kind == Kind.code:
        base = f"请输入{cell.pattern_hint or '编码'}"
    elif kind == Kind.choice:
        base = "请从下拉列表中选择"
    else:
        base = f"最多{cell.max_length}字" if cell.max_length else "请填写"
    if cell.required:
        base = "必填。" + base
    if help_text:
        base = f"{help_text}。{base}" if not help_text.endswith(("。", "）", ")")) else help_text + base
    return clip(base, PROMPT_MAX)


def _error(cell: Input) -> tuple[str, str]:
    kind = cell.kind
    if kind == Kind.money:
        return "金额格式不正确", f"金额应为不小于0的数字（{cell.money_unit}），最多两位小数，不要输入单位或文字"
    if kind == Kind.percent:
        return "百分比不正确", "请输入0到100之间的数字（累计支出进度%），不要输入金额"
    if kind == Kind.integer:
        return "不是整数", "请输入整数"
    if kind == Kind.date:
        return "日期不正确", "请输入有效日期，如 2025-06-20"
    if kind == Kind.phone:
        return "电话号码不正确", "请输入11位手机号，或带区号的固定电话，如 0737-4567890"
    if kind == Kind.code:
        return "编码格式不正确", clip(f"编码应为{cell.pattern_hint or '规定格式'}", ERROR_MAX)
    if kind == Kind.choice:
        return "请从列表中选择", "输入的内容不在下拉列表中，请从列表中选择"
    return "内容过长", f"内容不能超过{cell.max_length}字"


def validation_options(cell: Input, ref: str, *, help_text: str | None,
                       extra: list[CellCondition], list_source: str | None = None,
                       suggest: bool | tuple[str, ...] = False) -> dict[str, Any] | None:
    """XlsxWriter ``data_validation`` options for one input cell (or a column of them).

    ``suggest``: the list is a suggestion (any text accepted after a warning); given as the
    list's values, the prompt names them."""
    title = clip(cell.label, TITLE_MAX)
    prompt = _prompt(cell, help_text)
    error_title, error_msg = _error(cell)
    opts: dict[str, Any]
    if list_source is not None:
        opts = {"validate": "list", "source": list_source}
        if suggest:
            # accepts free text after a warning: the list is a suggestion (指标值确定依据)
            opts.update(error_type="warning", error_title="不在建议列表中",
                        error_message="建议从列表中选择；如确需填写其他内容，请点“是”继续")
            offered = "：" + "、".join(suggest) if isinstance(suggest, tuple) and suggest else ""
            prompt = clip(f"{prompt}。可从下拉列表选择{offered}，也可直接填写", PROMPT_MAX)
        else:
            opts.update(error_type="stop", error_title=error_title, error_message=error_msg)
    else:
        own = condition(cell.kind, ref, cell)
        conditions = [own] if own else []
        severity = Severity.error
        for cond in extra:
            conditions.append(cond.formula)
            error_msg = cond.message
            error_title = "填写有误" if cond.severity == Severity.error else "请核对"
            if cond.severity != Severity.error:
                severity = Severity.warning
        if extra and own is None and cell.kind == Kind.date:
            # a rule's condition replaces the date validation: keep "a date" in the formula
            conditions.insert(0, f"AND(ISNUMBER({ref}),{ref}>=DATE(2000,1,1),{ref}<=DATE(2099,12,31))")
        if len(conditions) > 1 or (conditions and cell.kind in (Kind.money, Kind.code)):
            formula = conditions[0] if len(conditions) == 1 else "AND(" + ",".join(conditions) + ")"
            opts = {"validate": "custom", "value": "=" + formula}
        elif cell.kind == Kind.percent:
            opts = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100}
        elif cell.kind == Kind.integer:
            opts = {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 9999}
        elif cell.kind == Kind.date:
            import datetime as dt

            opts = {"validate": "date", "criteria": "between",
                    "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2099, 12, 31)}
        elif cell.kind == Kind.phone:
            opts = {"validate": "length", "criteria": "between", "minimum": 7, "maximum": 20}
        else:
            limit = cell.max_length or 2000
            opts = {"validate": "length", "criteria": "<=", "value": limit}
            error_title, error_msg = "内容过长", f"内容不能超过{limit}字"
        opts.update(error_type="stop" if severity == Severity.error else "warning",
                    error_title=clip(error_title, TITLE_MAX), error_message=clip(error_msg, ERROR_MAX))
    opts.update(input_title=title, input_message=prompt, ignore_blank=True)
    return opts
