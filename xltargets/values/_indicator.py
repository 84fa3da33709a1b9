"""Indicator values (指标值): ``≥90%``, ``≤50万元``, ``重大舆情事件≤1件`` or plain words (``长期``).

The grammar, on a half-width copy of the cleaned text::

    [prefix] [comparison] [more prefix] figure [unit] [suffix]

A value with a comparison sign and a figure after it is quantitative whatever surrounds them
(``≤通报1次``: the words between sign and figure join the prefix). Without a sign the text must
hold exactly one figure followed by nothing, a known unit, or a qualifier (``以上``, ``以内`` …),
so prose that merely contains a number (``1.净化网络信息…``, ``12月底前完成``) stays qualitative.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ._core import Parsed, decimal_or_none, fold, text_prelude

QUANTITATIVE: Final = "quantitative"
QUALITATIVE: Final = "qualitative"


@dataclass(frozen=True, slots=True)
class IndicatorValue:
    """A parsed indicator value; ``text`` is the cleaned cell text, the rest its parts."""

    text: str
    kind: str
    comparison: str | None
    number: Decimal | None
    unit: str | None
    prefix: str | None
    suffix: str | None = None

    def to_json(self) -> dict[str, str | None]:
        """JSON-ready dict; the number as a decimal string so no float ever touches it."""
        return {
            "text": self.text,
            "kind": self.kind,
            "comparison": self.comparison,
            # "f": plain digits (str() writes 5E-7 for 0.0000005, which the schema refuses)
            "number": None if self.number is None else format(self.number, "f"),
            "unit": self.unit,
            "prefix": self.prefix,
            "suffix": self.suffix,
        }


_SYMBOLS: Final = {">=": "≥", "≥": "≥", "<=": "≤", "≤": "≤", ">": ">", "<": "<", "==": "=", "=": "="}
_WORDS: Final = {
    "不低于": "≥", "不少于": "≥", "不小于": "≥", "不得低于": "≥", "不得少于": "≥", "至少": "≥",
    "不高于": "≤", "不超过": "≤", "不大于": "≤", "不多于": "≤", "不得高于": "≤", "不得超过": "≤",
    "至多": "≤", "最多": "≤",
    "大于": ">", "高于": ">", "超过": ">", "多于": ">",
    "小于": "<", "低于": "<", "少于": "<",
    "等于": "=",
}


def _alternation(words: Iterable[str]) -> str:
    # Longest first: regex alternation takes the first branch that matches, not the longest.
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# A sign counts anywhere; a word only right before a figure, so prose like 效益大于成本 stays prose.
_COMPARISON_RE: Final = re.compile(
    rf"(?P<symbol>{_alternation(_SYMBOLS)})|(?P<word>{_alternation(_WORDS)})(?=\s*[-+]?\d)"
)
# A sign belongs to the figure only where it cannot be a range dash (2023-2025).
_FIGURE_RE: Final = re.compile(
    r"(?<![\d.])(?:(?<![\w)])[-+](?=\d))?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)"
)

_UNITS: Final = (
    "%", "‰", "万元", "亿元", "千元", "元", "万", "亿", "千", "百",
    "个", "人", "人次", "万人", "万人次", "户", "户次", "家", "家次", "次", "场", "场次", "期",
    "条", "分", "台", "套", "件", "项", "篇", "份", "本", "册", "部", "所", "处", "座", "间",
    "名", "位", "批", "轮", "起", "例", "种", "类", "张", "幅", "首", "集", "辆", "块", "棵",
    "株", "栋", "层", "门", "节", "组", "支", "队", "群", "个月", "月", "年", "季度", "周", "天",
    "日", "小时", "分钟", "秒", "课时", "学时", "工作日", "个工作日", "个百分点", "百分点",
    "公里", "千米", "米", "平方米", "平方公里", "立方米", "亩", "公顷", "吨", "千克", "公斤",
    "GB", "TB", "MB", "KB", "G", "M", "T", "Mbps", "km", "kg",
)
_PER: Final = ("年", "季度", "季", "月", "周", "天", "日", "人", "次", "户", "篇", "件")
_UNIT_PATTERN: Final = rf"(?:{_alternation(_UNITS)})(?:/(?:{_alternation(_PER)}))?"
_KNOWN_UNIT_RE: Final = re.compile(_UNIT_PATTERN)
# What can make up a unit: anything but spaces, digits and punctuation that ends a phrase.
_UNIT_RUN_RE: Final = re.compile(
    r"[^\s\d.,;:!?()\[\]{}<>=≥≤~\-+、。，；：！？（）【】《》〈〉「」『』\"'“”‘’]+"
)
_QUALIFIERS: Final = {
    "及以上": "≥", "以上": "≥",
    "及以下": "≤", "以下": "≤", "以内": "≤", "之内": "≤", "内": "≤",
    "左右": None,
}
_QUALIFIER_TAIL_RE: Final = re.compile(rf"(?:{_alternation(_QUALIFIERS)})$")
_TRAILING_NOTE_RE: Final = re.compile(r"\(.*\)")
# An open unit (non-strict) longer than this is prose that happens to follow a figure.
_MAX_OPEN_UNIT: Final = 4
_MAX_FIGURE_TEXT: Final = 200
_LABEL_SEPARATORS: Final = ":："


def _split_unit(folded: str, start: int, *, strict: bool) -> tuple[str | None, int]:
    """(unit, end) of the unit right after a figure ending at ``start``; (None, start) if none."""
    position = start
    length = len(folded)
    while position < length and folded[position].isspace():
        position += 1
    run = _UNIT_RUN_RE.match(folded, position)
    if run is None:
        return None, start
    core = run.group()
    qualifier = _QUALIFIER_TAIL_RE.search(core)
    if qualifier is not None:
        core = core[:qualifier.start()]
    if not core:
        return None, start
    if _KNOWN_UNIT_RE.fullmatch(core) or (not strict and len(core) <= _MAX_OPEN_UNIT):
        return core, position + len(core)
    known = _KNOWN_UNIT_RE.match(core)
    if known is not None:
        return known.group(), position + known.end()
    return None, start


def _join(*parts: str) -> str | None:
    # Separators people put between a label and its figure (满意度：≥90%) are not part of it.
    joined = "".join(part.strip().strip(_LABEL_SEPARATORS).strip() for part in parts)
    return joined or None


def split_indicator(text: str) -> IndicatorValue:
    """Parts of cleaned, non-empty indicator text; never fails (prose is qualitative)."""
    folded = fold(text)
    comparison_match = _COMPARISON_RE.search(folded)
    if comparison_match is not None:
        symbol = comparison_match["symbol"]
        comparison = _SYMBOLS[symbol] if symbol is not None else _WORDS[comparison_match["word"]]
        after = comparison_match.end()
        figure = _FIGURE_RE.search(folded, after)
        number = decimal_or_none(figure.group().replace(",", "")) if figure else None
        if figure is None or number is None:
            return IndicatorValue(text, QUALITATIVE, comparison, None, None,
                                  _join(text[:comparison_match.start()]),
                                  _join(text[after:]))
        unit, end = _split_unit(folded, figure.end(), strict=False)
        return IndicatorValue(text, QUANTITATIVE, comparison, number, unit,
                              _join(text[:comparison_match.start()], text[after:figure.start()]),
                              text[end:].strip() or None)

    # Past a couple of hundred characters an indicator value is prose, not a figure.
    figures = _FIGURE_RE.findall(folded) if len(folded) <= _MAX_FIGURE_TEXT else ()
    figure = _FIGURE_RE.search(folded) if len(figures) == 1 else None
    if figure is not None:
        number = decimal_or_none(figure.group().replace(",", ""))
        if number is not None:
            unit, end = _split_unit(folded, figure.end(), strict=True)
            rest = folded[end:].strip()
            # 以上/以内 after the figure say what a sign would have said.
            implied = _QUALIFIERS.get(rest)
            if not rest or rest in _QUALIFIERS or _TRAILING_NOTE_RE.fullmatch(rest):
                return IndicatorValue(text, QUANTITATIVE, implied, number, unit,
                                      _join(text[:figure.start()]), text[end:].strip() or None)
    return IndicatorValue(text, QUALITATIVE, None, None, None, None, None)


def parse_indicator_value(raw: object) -> Parsed[IndicatorValue]:
    """An indicator value (指标值) split into comparison, number, unit, prefix and suffix.

    Blank cells and markers (``涉密``, ``……``) give no value. A date cell (Excel converted what
    was typed) is read as its ISO text with note ``date_cell``.
    """
    text = text_prelude(raw)
    if isinstance(text, Parsed):
        return text
    value = split_indicator(text)
    if isinstance(raw, dt.date | dt.time | dt.timedelta):
        return Parsed(value, raw, notes=("date_cell",))
    return Parsed(value, raw)
