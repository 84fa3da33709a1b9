"""How each value kind looks and is validated in Excel.

Every input cell gets exactly one data validation: the kind's own condition, merged with the
conditions rules add (a spending-plan step must not fall). Texts are Chinese: the person
filling the form reads them. Excel's limits (title 32, prompt 255, error 224) are enforced by
:func:`clip` so a long label never makes Excel drop a rule.
"""

from __future__ import annotations

from typing import Any

from ..cellrules import Pattern, TextLength, percent_typed_excel
from ..findings import Severity
from ..rules import CellCondition
from ..spec.load import ERROR_MAX, PROMPT_MAX, TITLE_MAX
from ..spec.model import Kind
from .model import Input, Place

#: kinds whose cells are Text-formatted ('@'): Excel, WPS and LibreOffice store exactly what
#: was typed (100% stays "100%", 3-5 is no date, a code keeps its leading zeros). Percent is
#: one of them: a clerk may type 25 or 25%, and a %-formatted or General cell would turn either
#: into something else in one program or another (EXCEL-FACTS.md); the check cells and the
#: reader read both as 25.
TEXT_KINDS = frozenset({Kind.text, Kind.long_text, Kind.text_list, Kind.indicator_value,
                        Kind.choice, Kind.code, Kind.phone, Kind.percent})

#: number format per kind ('@' = text)
NUM_FORMATS: dict[Kind, str] = {
    **dict.fromkeys(TEXT_KINDS, "@"),
    Kind.money: "0.00",
    Kind.integer: "0",
    Kind.date: 'yyyy"年"m"月"d"日"',
}

#: the longest text a text cell takes when its spec gives no max_length (both faces)
DEFAULT_TEXT_MAX = 2000
#: a phone field without its own pattern: an 11-digit mobile, or an area code and a 7-8 digit
#: number (separators removed first, see PHONE_REMOVE)
DEFAULT_PHONE_PATTERN = r"^(1[3-9]\d{9}|010[1-9]\d{6,7}|02\d[1-9]\d{6,7}|0[3-9]\d{2}[1-9]\d{6,7})$"
DEFAULT_PHONE_HINT = "11位手机号，或带区号的固定电话（如0737-4567890）"
#: what people put between the digits of a phone number; removed before matching (both faces)
PHONE_REMOVE = " -()"


def limits_for(kind: Kind, *, max_length: int | None = None, pattern: str | None = None,
               pattern_hint: str | None = None, length: int | None = None) -> tuple[Any, ...]:
    """The limits a typed cell of this kind gets from its spec (one object per limit)."""
    out: list[Any] = []
    if kind in (Kind.text, Kind.long_text, Kind.text_list, Kind.indicator_value):
        out.append(TextLength(max_length or DEFAULT_TEXT_MAX))
    elif max_length:
        out.append(TextLength(max_length))
    if kind == Kind.code:
        if pattern:
            out.append(Pattern(pattern, pattern_hint or pattern, remove=" ", upper=True,
                               code="code_pattern"))
        elif length:
            out.append(TextLength(length, length, code="code_pattern"))
    elif kind == Kind.phone:
        out.append(Pattern(pattern or DEFAULT_PHONE_PATTERN, pattern_hint or DEFAULT_PHONE_HINT,
                           remove=PHONE_REMOVE, code="invalid_phone"))
    elif pattern:
        out.append(Pattern(pattern, pattern_hint or pattern, remove="", code="pattern_mismatch"))
    return tuple(out)


#: number format of a money cell per unit: 元 figures are long, printed with thousands separators
#: (771,325,800.00) as the forms that use 元 print them
MONEY_FORMATS: dict[str, str] = {"万元": "0.00", "元": "#,##0.00"}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def condition(kind: Kind, ref: str) -> str | None:
    """The kind's own condition as an Excel formula over ``ref`` (None: nothing to check)."""
    if kind == Kind.money:
        # more than two decimals is a warning in the reader, not a refusal: not checked here
        return f"AND(ISNUMBER({ref}),{ref}>=0)"
    if kind == Kind.percent:
        v = percent_typed_excel(ref)
        return f"AND(ISNUMBER({v}),{v}>=0,{v}<=100)"
    if kind == Kind.integer:
        return f"AND(ISNUMBER({ref}),INT({ref})={ref})"
    return None


def _prompt(cell: Input, help_text: str | None) -> str:
    kind = cell.kind
    if kind == Kind.money:
        base = f"请输入金额（{cell.money_unit}），不小于0，最多两位小数，只填数字"
    elif kind == Kind.percent:
        base = "请输入0-100之间的累计百分比，如 25 或 25%（两种写法均可），不要填写金额"
    elif kind == Kind.integer:
        base = "请输入整数"
    elif kind == Kind.date:
        base = "请输入日期，如 2025-06-20"
    elif kind == Kind.phone:
        base = f"请输入{_hint(cell) or DEFAULT_PHONE_HINT}"
    elif kind == Kind.code:
        base = f"请输入{_hint(cell) or '编码'}"
    elif kind == Kind.choice:
        base = "请从下拉列表中选择"
    else:
        limit = _max_length(cell)
        base = f"最多{limit}字" if limit else "请填写"
    if cell.required:
        # a table column's rule covers every row, and most rows stay empty
        base = ("填写本行时必填，" if cell.place == Place.table_cell else "必填，") + base
    if help_text:
        base = f"{help_text.rstrip('。')}。{base}"
    return clip(base + "。", PROMPT_MAX)


def _hint(cell: Input) -> str | None:
    return next((lim.hint for lim in cell.limits if isinstance(lim, Pattern)), None)


def _max_length(cell: Input) -> int | None:
    return next((lim.high for lim in cell.limits if isinstance(lim, TextLength)), None)


def _error(cell: Input) -> tuple[str, str]:
    kind = cell.kind
    if kind == Kind.money:
        return "金额格式不正确", f"金额应为不小于0的数字（{cell.money_unit}），不要输入单位或文字"
    if kind == Kind.percent:
        return "百分比不正确", "请输入0到100之间的累计支出进度，如 25 或 25%，不要输入金额"
    if kind == Kind.integer:
        return "不是整数", "请输入整数"
    if kind == Kind.date:
        return "日期不正确", "请输入有效日期，如 2025-06-20"
    if kind == Kind.phone:
        return "电话号码不正确", clip(f"请输入{_hint(cell) or DEFAULT_PHONE_HINT}", ERROR_MAX)
    if kind == Kind.code:
        return "编码格式不正确", clip(f"编码应为{_hint(cell) or '规定格式'}", ERROR_MAX)
    if kind == Kind.choice:
        return "请从列表中选择", "输入的内容不在下拉列表中，请从列表中选择"
    return "内容过长", f"内容不能超过{_max_length(cell) or DEFAULT_TEXT_MAX}字"


def cell_conditions(cell: Input, ref: str, sheet: str, rules: list[str] | None = None) -> list[str]:
    """The kind's own condition, the cell's limits and the ``rules``' conditions over ``ref``.

    ``sheet`` is the cell's quoted sheet name: a pattern counts positions with
    ``ROW(sheet!$1:$n)``, and a reference inside a defined name must name its sheet.
    """
    out = []
    own = condition(cell.kind, ref)
    if own:
        out.append(own)
    elif rules and cell.kind == Kind.date:
        # a rule's condition replaces Excel's date rule: keep "a date" in the formula
        out.append(f"AND(ISNUMBER({ref}),{ref}>=DATE(2000,1,1),{ref}<=DATE(2099,12,31))")
    for limit in cell.limits:
        if isinstance(limit, Pattern):
            out.append(limit.excel(limit.excel_text(ref), sheet))
        else:
            out.append(limit.excel(ref))
    return out + list(rules or [])


def validation_options(cell: Input, *, help_text: str | None, extra: list[CellCondition],
                       conditions: list[str], list_source: str | None = None,
                       suggest: bool | tuple[str, ...] = False,
                       name: str | None = None) -> dict[str, Any] | None:
    """XlsxWriter ``data_validation`` options for one input cell (or a column of them).

    ``conditions`` are :func:`cell_conditions` plus the rules' conditions, over the cell's own
    (relative) reference; ``name`` set means the planner put them into that hidden name
    because the formula is longer than Excel takes in a validation. ``suggest``: the list is a
    suggestion (any text accepted after a warning); given as the list's values, the prompt
    names them.
    """
    title = clip(cell.label, TITLE_MAX)
    prompt = _prompt(cell, help_text)
    error_title, error_msg = _error(cell)
    opts: dict[str, Any]
    if list_source is not None:
        opts = {"validate": "list", "source": list_source}
        if suggest:
            # accepts free text after a warning: the list is a suggestion (指标值确定依据)
            opts.update(error_type="warning", error_title="不在建议列表中",
                        error_message="建议从列表中选择；如确需填写其他内容，请点“是”"
                                      "（LibreOffice中为“确定”）继续")
            offered = "：" + "、".join(suggest) if isinstance(suggest, tuple) and suggest else ""
            prompt = clip(f"{prompt.rstrip('。')}。可从下拉列表选择{offered}，也可直接填写。", PROMPT_MAX)
        else:
            if "INDIRECT(" in list_source:
                # the cascade: the 二级 list is the one of this row's 一级
                error_msg = ("二级指标须从本行一级指标下的列表中选择：请先选一级指标，"
                             "再选二级指标；修改一级指标后请重新选择二级指标")
                prompt = clip(prompt.rstrip("。") + "。先选本行的一级指标，此列表才会列出可选项。",
                              PROMPT_MAX)
            opts.update(error_type="stop", error_title=error_title, error_message=error_msg)
        opts.update(input_title=title, input_message=prompt, ignore_blank=True)
        return opts
    severity = Severity.error
    for cond in extra:
        # one alert for the cell: what the kind wants, then what the rule adds
        error_msg = cond.message if error_msg in ("", cond.message) else f"{error_msg}；{cond.message}"
        error_title = "填写有误" if cond.severity == Severity.error else "请核对"
        if cond.severity != Severity.error:
            severity = Severity.warning
    only = cell.limits[0] if len(cell.limits) == 1 else None
    if name is not None:
        opts = {"validate": "custom", "value": "=" + name}
    elif len(conditions) > 1 or (conditions and not isinstance(only, TextLength)):
        formula = conditions[0] if len(conditions) == 1 else "AND(" + ",".join(conditions) + ")"
        opts = {"validate": "custom", "value": "=" + formula}
    elif isinstance(only, TextLength) and only.low == 0:
        # a plain length limit reads best as Excel's own "text length" rule
        opts = {"validate": "length", "criteria": "<=", "value": only.high}
    elif conditions:
        opts = {"validate": "custom", "value": "=" + conditions[0]}
    elif cell.kind == Kind.date:
        import datetime as dt

        opts = {"validate": "date", "criteria": "between",
                "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2099, 12, 31)}
    else:
        return None
    opts.update(error_type="stop" if severity == Severity.error else "warning",
                error_title=clip(error_title, TITLE_MAX), error_message=clip(error_msg, ERROR_MAX))
    opts.update(input_title=title, input_message=prompt, ignore_blank=True)
    return opts
