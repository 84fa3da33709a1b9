"""xltargets.values: every accepted shape of a cell value, and fuzzing for "never raises"."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xltargets.values as values
from xltargets.values import (
    NOTE_CODES,
    PROBLEM_CODES,
    IndicatorValue,
    Parsed,
    clean_text,
    detect_marker,
    parse_code,
    parse_date,
    parse_indicator_value,
    parse_integer,
    parse_money,
    parse_percent,
    parse_phone,
    parse_text,
)
from xltargets.values._numbers import float_decimal, within_form

NAN = float("nan")
INF = float("inf")


class Opaque:
    """Something no reader should ever hand over."""


def test_public_api_is_pinned() -> None:
    assert sorted(values.__all__) == sorted([
        "NOTE_CODES", "NOT_APPLICABLE", "PROBLEM_CODES", "QUALITATIVE", "QUANTITATIVE", "REDACTED",
        "IndicatorValue", "Parsed", "clean_text", "detect_marker", "parse_code", "parse_date",
        "parse_indicator_value", "parse_integer", "parse_money", "parse_percent", "parse_phone",
        "parse_text",
    ])
    assert set(PROBLEM_CODES) == {
        "unsupported_type", "not_a_number", "not_an_integer", "out_of_range", "not_a_date",
        "incomplete_date", "invalid_date", "bad_phone", "not_a_code", "code_mangled",
    }
    assert set(NOTE_CODES) == {
        "too_long", "unit_yuan", "unit_wan", "precision", "negative", "out_of_range", "zero_padded",
        "wrong_length", "fractional", "spaces_removed", "time_ignored", "date_cell",
    }


# -- clean_text ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    (None, None),
    ("", None),
    ("   ", None),
    ("\u3000\xa0\t\n", None),
    ("\u200b", None),
    ("\ufeff\u200b \u3000", None),
    ("abc", "abc"),
    ("  购买舆情监测服务  ", "购买舆情监测服务"),
    ("\u3000≥95%", "≥95%"),
    ("……\u3000", "……"),
    ("\xa0涉密\xa0", "涉密"),
    ("≥2\u200b4小时", "≥24小时"),
    ("第一行\r\n第二行\r第三行\n", "第一行\n第二行\n第三行"),
    ("a  b", "a  b"),
    ("ｆｕｌｌ", "ｆｕｌｌ"),  # cleaning keeps what was typed; folding is the parsers' business
    (224002.0, "224002"),
    (9.6, "9.6"),
    (50.0, "50"),
    (0.1 + 0.2, "0.3"),
    (17763740907.0, "17763740907"),
    (1.30225e19, "13022500000000000000"),
    (-3.5, "-3.5"),
    (1e-7, "0.0000001"),
    (7, "7"),
    (Decimal("50.00"), "50.00"),
    (Decimal("1E+2"), "100"),
    (True, "TRUE"),
    (False, "FALSE"),
    (dt.date(2024, 6, 20), "2024-06-20"),
    (dt.datetime(2024, 6, 20), "2024-06-20"),
    (dt.datetime(2024, 6, 20, 8, 30), "2024-06-20 08:30:00"),
    (dt.time(8, 30), "08:30:00"),
    (dt.timedelta(hours=25, minutes=30), "25:30:00"),
    (NAN, None),
    (INF, None),
    (Decimal("NaN"), None),
    (b"bytes", None),
    (Opaque(), None),
    ([1, 2], None),
])
def test_clean_text(raw: object, expected: str | None) -> None:
    assert clean_text(raw) == expected


# -- markers ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("涉密", "redacted"),
    (" 涉密 ", "redacted"),
    ("涉 密", "redacted"),
    ("（涉密）", "redacted"),
    ("(涉密)", "redacted"),
    ("【涉密】", "redacted"),
    ("……", "not_applicable"),
    ("……\u3000", "not_applicable"),
    ("…", "not_applicable"),
    ("⋯⋯", "not_applicable"),
    ("...", "not_applicable"),
    ("..", "not_applicable"),
    ("。。。", "not_applicable"),
    ("···", "not_applicable"),
    ("――", "not_applicable"),
    ("——", "not_applicable"),
    ("—", "not_applicable"),
    ("-", "not_applicable"),
    ("－", "not_applicable"),
    ("--", "not_applicable"),
    ("/", "not_applicable"),
    ("／", "not_applicable"),
    ("无", None),
    ("0", None),
    ("不适用", None),
    ("N/A", None),
    ("-5", None),
    (".", None),
    ("涉密信息", None),
    ("长期", None),
    ("", None),
    (None, None),
    (0.0, None),
    (Opaque(), None),
])
def test_detect_marker(raw: object, expected: str | None) -> None:
    assert detect_marker(raw) == expected


@pytest.mark.parametrize("parse", [
    parse_text, parse_money, parse_percent, parse_integer, parse_date, parse_phone, parse_code,
    parse_indicator_value,
])
@pytest.mark.parametrize(("raw", "marker"), [("涉密", "redacted"), ("……", "not_applicable")])
def test_every_parser_reports_markers(parse: Callable[[object], Parsed[Any]], raw: str,
                                      marker: str) -> None:
    parsed = parse(raw)
    assert (parsed.value, parsed.marker, parsed.problem, parsed.blank) == (None, marker, None, False)


@pytest.mark.parametrize("parse", [
    parse_text, parse_money, parse_percent, parse_integer, parse_date, parse_phone, parse_code,
    parse_indicator_value,
])
@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000", "\xa0\u200b\n"])
def test_every_parser_reports_blank(parse: Callable[[object], Parsed[Any]], raw: object) -> None:
    parsed = parse(raw)
    assert (parsed.value, parsed.marker, parsed.problem, parsed.notes) == (None, None, None, ())
    assert parsed.blank
    assert parsed.raw is raw


def test_blank_is_false_for_values_and_problems() -> None:
    assert not parse_money("50").blank
    assert not parse_money("abc").blank
    assert not parse_money(0.0).blank
    assert not parse_text(Opaque()).blank


# -- text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "max_length", "value", "notes", "problem"), [
    ("  购买常规舆情监测服务 ", None, "购买常规舆情监测服务", (), None),
    ("目标一\r\n目标二", None, "目标一\n目标二", (), None),
    ("abcd", 4, "abcd", (), None),
    ("abcde", 4, "abcde", ("too_long",), None),
    ("一" * 2001, 2000, "一" * 2001, ("too_long",), None),
    (224002.0, None, "224002", (), None),
    ("无", None, "无", (), None),
    (b"x", None, None, (), "unsupported_type"),
    (Opaque(), None, None, (), "unsupported_type"),
    (NAN, None, None, (), "unsupported_type"),
])
def test_parse_text(raw: object, max_length: int | None, value: str | None,
                    notes: tuple[str, ...], problem: str | None) -> None:
    parsed = parse_text(raw, max_length=max_length)
    assert (parsed.value, parsed.notes, parsed.problem, parsed.marker) == (value, notes, problem, None)


# -- money --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected", "notes"), [
    (50.0, "50", ()),
    (9.6, "9.6", ()),
    (3.84, "3.84", ()),
    (109.04, "109.04", ()),
    (0.0, "0", ()),
    (0.1 + 0.2, "0.3", ()),            # binary noise from a formula
    (1234.5600000000001, "1234.56", ()),
    (0.7999999999999999, "0.8", ()),
    (224002.0, "224002", ()),
    (50, "50", ()),
    (Decimal("50.00"), "50.00", ()),
    (Decimal("9.6"), "9.6", ()),
    ("50", "50", ()),
    ("50.00", "50.00", ()),
    (" 50 ", "50", ()),
    ("\u300050.00\xa0", "50.00", ()),
    ("1,234.50", "1234.50", ()),
    ("５０．００", "50.00", ()),
    ("１，２３４", "1234", ()),
    ("50万元", "50", ()),
    ("50 万", "50", ()),
    ("50万", "50", ()),
    ("50.00（万元）", "50.00", ()),
    ("50.00(万元)", "50.00", ()),
    ("3.2 万元", "3.2", ()),
    ("500000元", "50", ("unit_yuan",)),
    ("500,000 元", "50", ("unit_yuan",)),
    ("500,000.00元", "50", ("unit_yuan",)),
    ("32000元", "3.2", ("unit_yuan",)),
    ("123456元", "12.3456", ("unit_yuan", "precision")),
    ("50.125", "50.125", ("precision",)),
    (50.125, "50.125", ("precision",)),
    ("-5", "-5", ("negative",)),
    (-5.5, "-5.5", ("negative",)),
    ("-0.001", "-0.001", ("precision", "negative")),
    ("+7", "7", ()),
    ("1E+2", "1E+2", ()),
    ("0E-8", "0E-8", ("precision",)),
    ("50.", "50", ()),
    (".5", "0.5", ()),
])
def test_parse_money(raw: object, expected: str, notes: tuple[str, ...]) -> None:
    parsed = parse_money(raw)
    assert parsed.value == Decimal(expected)
    assert str(parsed.value) == expected
    assert (parsed.notes, parsed.problem, parsed.marker) == (notes, None, None)


@pytest.mark.parametrize(("raw", "problem"), [
    ("五十万", "not_a_number"),
    ("abc", "not_a_number"),
    ("50%", "not_a_number"),
    ("50亿元", "not_a_number"),
    ("1,23", "not_a_number"),
    ("1.2.3", "not_a_number"),
    ("≤50万元", "not_a_number"),
    ("1e99999999999999999999", "not_a_number"),
    (True, "not_a_number"),
    (False, "not_a_number"),
    (NAN, "not_a_number"),
    (INF, "not_a_number"),
    (Decimal("NaN"), "not_a_number"),
    (Decimal("sNaN"), "not_a_number"),
    (Decimal("-Infinity"), "not_a_number"),
    (dt.date(2024, 6, 20), "not_a_number"),
    pytest.param(10**5000, "not_a_number", id="huge-int"),
    (b"50", "unsupported_type"),
    (Opaque(), "unsupported_type"),
])
def test_parse_money_problems(raw: object, problem: str) -> None:
    parsed = parse_money(raw)
    assert (parsed.value, parsed.problem, parsed.notes) == (None, problem, ())


# -- percent ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "fraction", "expected", "notes"), [
    (25, False, "25", ()),
    (25.0, False, "25", ()),
    ("25", False, "25", ()),
    ("25%", False, "25", ()),
    ("25%", True, "25", ()),
    ("２５％", False, "25", ()),
    ("25 %", False, "25", ()),
    ("25.5%", False, "25.5", ()),
    ("100%", False, "100", ()),
    ("0.25", True, "0.25", ()),       # text is read as typed even for a %-formatted cell
    (0.25, True, "25", ()),
    (0.5, True, "50", ()),
    (1.0, True, "100", ()),
    (0.125, True, "12.5", ()),
    (0.07, True, "7", ()),
    (Decimal("0.75"), True, "75", ()),
    (0.25, False, "0.25", ()),
    (120, False, "120", ("out_of_range",)),
    ("-5%", False, "-5", ("out_of_range",)),
    (1.5, True, "150", ("out_of_range",)),
])
def test_parse_percent(raw: object, fraction: bool, expected: str, notes: tuple[str, ...]) -> None:
    parsed = parse_percent(raw, fraction=fraction)
    assert parsed.value == Decimal(expected)
    assert str(parsed.value) == expected
    assert (parsed.notes, parsed.problem) == (notes, None)


@pytest.mark.parametrize("raw", ["百分之二十五", "25%%", "≥25%", "abc", True, NAN, dt.date(2024, 1, 1)])
def test_parse_percent_problems(raw: object) -> None:
    parsed = parse_percent(raw)
    assert (parsed.value, parsed.problem) == (None, "not_a_number")


# -- integer ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    (2025.0, 2025),
    (2025, 2025),
    ("2025", 2025),
    ("２０２５", 2025),
    ("2025年", 2025),
    ("2025 年", 2025),
    ("2025年度", 2025),
    ("2025.0", 2025),
    ("1,234", 1234),
    (Decimal("2025"), 2025),
    (Decimal("2025.00"), 2025),
    (-3.0, -3),
    (0.0, 0),
])
def test_parse_integer(raw: object, expected: int) -> None:
    parsed = parse_integer(raw)
    assert parsed.value == expected
    assert type(parsed.value) is int
    assert (parsed.problem, parsed.notes) == (None, ())


@pytest.mark.parametrize(("raw", "problem"), [
    (2025.5, "not_an_integer"),
    ("2025.5", "not_an_integer"),
    (Decimal("0.5"), "not_an_integer"),
    ("二〇二五", "not_a_number"),
    ("abc", "not_a_number"),
    (True, "not_a_number"),
    (NAN, "not_a_number"),
    (INF, "not_a_number"),
    (Decimal("Infinity"), "not_a_number"),
    (1e18, "out_of_range"),
    (10**18, "out_of_range"),
    ("1E+99999", "out_of_range"),
    (Opaque(), "unsupported_type"),
])
def test_parse_integer_problems(raw: object, problem: str) -> None:
    parsed = parse_integer(raw)
    assert (parsed.value, parsed.problem) == (None, problem)


# -- dates --------------------------------------------------------------------------------------

JUNE_20 = dt.date(2024, 6, 20)


@pytest.mark.parametrize(("raw", "notes"), [
    (JUNE_20, ()),
    (dt.datetime(2024, 6, 20), ()),
    (dt.datetime(2024, 6, 20, 15, 30), ("time_ignored",)),
    (45463, ()),
    (45463.0, ()),
    (45463.75, ("time_ignored",)),
    (Decimal("45463"), ()),
    ("2024年6月20日", ()),
    ("2024年06月20日", ()),
    ("2024 年 6 月 20 日", ()),
    ("2024年6月20号", ()),
    ("2024.6.20", ()),
    ("2024/6/20", ()),
    ("2024-06-20", ()),
    ("2024-6-20", ()),
    ("20240620", ()),
    ("２０２４年６月２０日", ()),
    ("２０２４－０６－２０", ()),
    ("2024-06-20 00:00:00", ()),
    ("2024-06-20 08:30", ("time_ignored",)),
])
def test_parse_date(raw: object, notes: tuple[str, ...]) -> None:
    parsed = parse_date(raw)
    assert parsed.value == JUNE_20
    assert type(parsed.value) is dt.date
    assert (parsed.notes, parsed.problem) == (notes, None)


@pytest.mark.parametrize(("raw", "expected"), [
    (1, dt.date(1900, 1, 1)),
    (59, dt.date(1900, 2, 28)),
    (61, dt.date(1900, 3, 1)),
    (2958465, dt.date(9999, 12, 31)),
])
def test_parse_date_serial_edges(raw: int, expected: dt.date) -> None:
    assert parse_date(raw).value == expected


@pytest.mark.parametrize(("raw", "problem"), [
    ("2024年6月", "incomplete_date"),
    ("2024年", "incomplete_date"),
    ("2024-06", "incomplete_date"),
    ("2024.6", "incomplete_date"),
    ("202406", "incomplete_date"),
    ("6月20日", "incomplete_date"),
    ("2024年2月30日", "invalid_date"),
    ("2023-02-29", "invalid_date"),
    ("2024.13.1", "invalid_date"),
    ("20241340", "invalid_date"),
    (60, "invalid_date"),             # Excel's phantom 1900-02-29
    (0, "out_of_range"),
    (-1.0, "out_of_range"),
    (2958466, "out_of_range"),
    (1e300, "out_of_range"),
    ("abc", "not_a_date"),
    ("二〇二四年六月二十日", "not_a_date"),
    ("2024年6月20日前", "not_a_date"),
    ("45463", "not_a_date"),
    (True, "not_a_date"),
    (NAN, "not_a_date"),
    (Decimal("NaN"), "not_a_date"),
    (dt.time(8, 0), "not_a_date"),
    (dt.timedelta(days=1), "not_a_date"),
    (Opaque(), "unsupported_type"),
])
def test_parse_date_problems(raw: object, problem: str) -> None:
    parsed = parse_date(raw)
    assert (parsed.value, parsed.problem) == (None, problem)


# -- phone --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected", "notes"), [
    ("17763740907", "17763740907", ()),
    (17763740907.0, "17763740907", ()),
    (17763740907, "17763740907", ()),
    ("177 6374 0907", "17763740907", ()),
    ("177-6374-0907", "17763740907", ()),
    ("１７７６３７４０９０７", "17763740907", ()),
    ("+86 177 6374 0907", "17763740907", ()),
    ("0737-4567890", "0737-4567890", ()),
    ("07374567890", "0737-4567890", ()),
    ("(0737)4567890", "0737-4567890", ()),
    ("（0737）4567890", "0737-4567890", ()),
    ("0737 4567890", "0737-4567890", ()),
    ("0737—4567890", "0737-4567890", ()),
    ("0737-4567890-123", "0737-4567890-123", ()),
    ("0737-4567890转123", "0737-4567890-123", ()),
    ("010-62345678", "010-62345678", ()),
    ("01062345678", "010-62345678", ()),
    ("020 87654321", "020-87654321", ()),
    ("0311-12345678", "0311-12345678", ()),
    (7374567890.0, "0737-4567890", ("zero_padded",)),
])
def test_parse_phone(raw: object, expected: str, notes: tuple[str, ...]) -> None:
    parsed = parse_phone(raw)
    assert (parsed.value, parsed.notes, parsed.problem) == (expected, notes, None)


@pytest.mark.parametrize("raw", [
    "4567890", "1776374090", "177637409071", "12345678901", "0737-456789", "0737-045678901",
    "0737-4567890/17763740907", "电话", "abc", 17763740907.5, 4567890.0, NAN, True,
    JUNE_20, "7374567890",
])
def test_parse_phone_problems(raw: object) -> None:
    parsed = parse_phone(raw)
    assert (parsed.value, parsed.problem) == (None, "bad_phone")


# -- codes --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "digits", "expected", "notes"), [
    (224002.0, None, "224002", ()),
    (224002.0, 6, "224002", ()),
    (224002, 6, "224002", ()),
    (24002.0, 6, "024002", ("zero_padded",)),
    (2.0, 6, "000002", ("zero_padded",)),
    (Decimal("24002"), 6, "024002", ("zero_padded",)),
    ("224002", 6, "224002", ()),
    ("024002", 6, "024002", ()),
    ("24002", 6, "24002", ("wrong_length",)),
    ("2240021", 6, "2240021", ("wrong_length",)),
    (2240021.0, 6, "2240021", ("wrong_length",)),
    ("22400A", 6, "22400A", ("wrong_length",)),
    (" 13022522P002H4T100074 ", None, "13022522P002H4T100074", ()),
    ("13022522p002h4t100074", None, "13022522P002H4T100074", ()),
    ("１３０２２５２２Ｐ００２Ｈ４Ｔ１００074", None, "13022522P002H4T100074", ()),
    ("2240 02", 6, "224002", ("spaces_removed",)),
    (1.5, None, "1.5", ("fractional",)),
    (999999999999999.0, None, "999999999999999", ()),
])
def test_parse_code(raw: object, digits: int | None, expected: str,
                    notes: tuple[str, ...]) -> None:
    parsed = parse_code(raw, digits=digits)
    assert (parsed.value, parsed.notes, parsed.problem) == (expected, notes, None)


@pytest.mark.parametrize(("raw", "problem"), [
    (1.30225e19, "code_mangled"),
    (1e15, "code_mangled"),
    ("1.30225E+19", "code_mangled"),
    ("1.30225e19", "code_mangled"),
    (JUNE_20, "code_mangled"),
    (dt.datetime(2024, 1, 2), "code_mangled"),
    (dt.time(1, 30), "code_mangled"),
    (-3.0, "not_a_code"),
    (-3, "not_a_code"),
    (True, "not_a_code"),
    (NAN, "not_a_code"),
    (Decimal("NaN"), "not_a_code"),
    (Opaque(), "unsupported_type"),
])
def test_parse_code_problems(raw: object, problem: str) -> None:
    parsed = parse_code(raw, digits=6)
    assert (parsed.value, parsed.problem) == (None, problem)


# -- indicator values ---------------------------------------------------------------------------

Q = "quantitative"

QUANTITATIVE_CASES = [
    # text, comparison, number, unit, prefix, suffix
    ("≥90%", "≥", "90", "%", None, None),
    ("≤50万元", "≤", "50", "万元", None, None),
    ("≤ 50 万元", "≤", "50", "万元", None, None),
    ("≥ 3600 条", "≥", "3600", "条", None, None),
    ("≥3600 条", "≥", "3600", "条", None, None),
    ("≤10 分", "≤", "10", "分", None, None),
    ("≥200人", "≥", "200", "人", None, None),
    ("≥10场", "≥", "10", "场", None, None),
    ("＞95%", ">", "95", "%", None, None),
    ("=100%", "=", "100", "%", None, None),
    ("＝100%", "=", "100", "%", None, None),
    ("==100%", "=", "100", "%", None, None),
    ("1%", None, "1", "%", None, None),
    ("100%", None, "100", "%", None, None),
    ("≥100%", "≥", "100", "%", None, None),
    ("≤35万", "≤", "35", "万", None, None),
    ("≤2 台", "≤", "2", "台", None, None),
    ("≤10 月", "≤", "10", "月", None, None),
    ("≥365天", "≥", "365", "天", None, None),
    ("≥365 天", "≥", "365", "天", None, None),
    ("≥24小时", "≥", "24", "小时", None, None),
    ("≥4课时", "≥", "4", "课时", None, None),
    ("≥3个", "≥", "3", "个", None, None),
    ("≤3.2万元", "≤", "3.2", "万元", None, None),
    ("≤3.20万元", "≤", "3.20", "万元", None, None),
    ("≥1次", "≥", "1", "次", None, None),
    ("重大舆情事件≤1件", "≤", "1", "件", "重大舆情事件", None),
    ("按时完成≥95%", "≥", "95", "%", "按时完成", None),
    ("高质量完成指令≥95%", "≥", "95", "%", "高质量完成指令", None),
    ("不出现网络安全事件≤1次", "≤", "1", "次", "不出现网络安全事件", None),
    ("互联网内容管理被上级通报≤1次", "≤", "1", "次", "互联网内容管理被上级通报", None),
    ("我办全年情报信息研判率 ≥95%", "≥", "95", "%", "我办全年情报信息研判率", None),
    ("满意度：≥90%", "≥", "90", "%", "满意度", None),
    ("≤通报1次", "≤", "1", "次", "通报", None),
    ("≤重大网络舆情1次", "≤", "1", "次", "重大网络舆情", None),
    ("\u3000≥95%", "≥", "95", "%", None, None),
    ("拖延次数≤1次\u3000", "≤", "1", "次", "拖延次数", None),
    # other signs and words
    (">=90%", "≥", "90", "%", None, None),
    ("＞=90%", "≥", "90", "%", None, None),
    ("≧90%", "≥", "90", "%", None, None),
    ("<=5次", "≤", "5", "次", None, None),
    ("＜=5次", "≤", "5", "次", None, None),
    ("≦5次", "≤", "5", "次", None, None),
    ("<5次", "<", "5", "次", None, None),
    ("＜5次", "<", "5", "次", None, None),
    ("不低于90%", "≥", "90", "%", None, None),
    ("满意度不少于 90 %", "≥", "90", "%", "满意度", None),
    ("不超过50万元", "≤", "50", "万元", None, None),
    ("不高于5%", "≤", "5", "%", None, None),
    # full width and odd spacing
    ("≥９５％", "≥", "95", "%", None, None),
    ("≥\u300095\u3000%", "≥", "95", "%", None, None),
    ("≥1,000人", "≥", "1000", "人", None, None),
    ("≤-5%", "≤", "-5", "%", None, None),
    # units and what follows them
    ("≥1次/月", "≥", "1", "次/月", None, None),
    ("≥10场次", "≥", "10", "场次", None, None),
    ("≥95分以上", "≥", "95", "分", None, "以上"),
    ("≥95%（含）", "≥", "95", "%", None, "（含）"),
    ("≥1次完成全部任务", "≥", "1", "次", None, "完成全部任务"),
    ("≥5幅", "≥", "5", "幅", None, None),
    ("≥5帧", "≥", "5", "帧", None, None),            # unknown unit, still a unit after a sign
    ("≥90", "≥", "90", None, None, None),
    # no sign: one figure and nothing but a unit or a qualifier after it
    ("95%以上", "≥", "95", "%", None, "以上"),
    ("1天内", "≤", "1", "天", None, "内"),
    ("50万元以内", "≤", "50", "万元", None, "以内"),
    ("10次左右", None, "10", "次", None, "左右"),
    ("2 台", None, "2", "台", None, None),
    ("全年10场", None, "10", "场", "全年", None),
    ("95", None, "95", None, None, None),
    ("95%（预计）", None, "95", "%", None, "（预计）"),
]


@pytest.mark.parametrize(("text", "comparison", "number", "unit", "prefix", "suffix"),
                         QUANTITATIVE_CASES)
def test_indicator_quantitative(text: str, comparison: str | None, number: str,
                                unit: str | None, prefix: str | None,
                                suffix: str | None) -> None:
    parsed = parse_indicator_value(text)
    assert (parsed.problem, parsed.marker, parsed.notes) == (None, None, ())
    value = parsed.value
    assert isinstance(value, IndicatorValue)
    assert value.text == clean_text(text)
    assert value.kind == Q
    assert value.number == Decimal(number)
    assert str(value.number) == number
    assert (value.comparison, value.unit, value.prefix, value.suffix) == (
        comparison, unit, prefix, suffix)


@pytest.mark.parametrize("text", [
    "长期", "及时完成", "避免发生重大舆情炒作", "避免重大舆情炒作", "中长期", "持续净化",
    "不断提升", "是否按时完成", "通过省、益阳市网络安全演练", "年初工作计划", "无",
    "1.净化网络信息，营造清朗网络空间",  # list numbering, not a figure
    "12月底前完成", "2024年底前", "2024年6月底前完成", "90%-95%", "效益大于成本", "第一名",
])
def test_indicator_qualitative(text: str) -> None:
    parsed = parse_indicator_value(text)
    assert parsed.value == IndicatorValue(text, "qualitative", None, None, None, None, None)
    assert (parsed.problem, parsed.marker, parsed.notes) == (None, None, ())


@pytest.mark.parametrize(("text", "comparison", "prefix", "suffix"), [
    ("≤全年预算数", "≤", None, "全年预算数"),
    ("支出≤全年预算数", "≤", "支出", "全年预算数"),
    ("≥上年水平", "≥", None, "上年水平"),
])
def test_indicator_qualitative_with_comparison(text: str, comparison: str, prefix: str | None,
                                               suffix: str | None) -> None:
    value = parse_indicator_value(text).value
    assert value == IndicatorValue(text, "qualitative", comparison, None, None, prefix, suffix)


@pytest.mark.parametrize(("raw", "text", "number"), [
    (95.0, "95", "95"),
    (95, "95", "95"),
    (0.95, "0.95", "0.95"),
    (Decimal("98.50"), "98.50", "98.50"),
    ("  ≥98% ", "≥98%", "98"),
])
def test_indicator_from_numbers_and_padding(raw: object, text: str, number: str) -> None:
    value = parse_indicator_value(raw).value
    assert value is not None
    assert (value.text, value.kind, str(value.number)) == (text, Q, number)


def test_indicator_from_date_cell() -> None:
    parsed = parse_indicator_value(JUNE_20)
    assert parsed.value == IndicatorValue("2024-06-20", "qualitative", None, None, None, None)
    assert parsed.notes == ("date_cell",)


@pytest.mark.parametrize(("raw", "marker"), [
    ("涉密", "redacted"), ("（涉密）", "redacted"), ("……", "not_applicable"),
    ("……\u3000", "not_applicable"), ("—", "not_applicable"),
])
def test_indicator_markers(raw: str, marker: str) -> None:
    parsed = parse_indicator_value(raw)
    assert (parsed.value, parsed.marker, parsed.problem) == (None, marker, None)


def test_indicator_to_json() -> None:
    value = parse_indicator_value("重大舆情事件≤1.50件（含）").value
    assert value is not None
    assert value.to_json() == {
        "text": "重大舆情事件≤1.50件（含）", "kind": "quantitative", "comparison": "≤",
        "number": "1.50", "unit": "件", "prefix": "重大舆情事件", "suffix": "（含）",
    }
    qualitative = parse_indicator_value("长期").value
    assert qualitative is not None
    assert qualitative.to_json()["number"] is None


def test_results_are_immutable() -> None:
    parsed = parse_money("50")
    with pytest.raises(AttributeError):
        parsed.value = Decimal(1)  # type: ignore[misc]
    value = parse_indicator_value("≥90%").value
    with pytest.raises(AttributeError):
        value.number = Decimal(1)  # type: ignore[misc,union-attr]


# -- fuzzing ------------------------------------------------------------------------------------

FORM_ALPHABET = list(
    "0123456789０１２３４５６７８９.,，．%％≥≤<>=＝＞＜≧≦万元年月日号-－—/／ ()（）涉密…。·Ee+"
    "长期次人条台以上内转\u3000\xa0\u200b\t\n\r"
)
form_text = st.text(alphabet=st.sampled_from(FORM_ALPHABET), max_size=24)

RAW_KINDS: dict[str, st.SearchStrategy[Any]] = {
    "text": st.text(),
    "form_text": form_text,
    "numeral_text": st.builds(
        "{}{}{}{}".format,
        st.sampled_from(["", "-", "+"]),
        st.integers(min_value=0, max_value=10**20).map(str) | st.just(""),
        st.sampled_from(["", ".", ".5", ".00", ".125", ",000", ".0000001"]),
        st.sampled_from(["", "e5", "E+2", "e-9", "E+99999", "万元", "元", "%", "年"]),
    ),
    "floats": st.floats(),  # nan and ±inf included
    "integers": st.integers() | st.integers(min_value=-(2**70), max_value=2**70),
    "none": st.none(),
    "dates": st.dates() | st.datetimes() | st.times() | st.timedeltas(),
    "decimals": st.decimals(),  # NaN, sNaN and infinities included
    "binary": st.binary(),
    "objects": st.builds(Opaque) | st.booleans() | st.lists(st.integers(), max_size=3)
    | st.complex_numbers() | st.fractions() | st.just(object()) | st.just(Ellipsis),
}

PARSERS: list[Callable[[Any], Parsed[Any]]] = [
    parse_text,
    lambda raw: parse_text(raw, max_length=3),
    parse_money,
    parse_percent,
    lambda raw: parse_percent(raw, fraction=True),
    parse_integer,
    parse_date,
    parse_phone,
    parse_code,
    lambda raw: parse_code(raw, digits=6),
    parse_indicator_value,
]

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_invariants(raw: object) -> None:
    cleaned = clean_text(raw)
    assert cleaned is None or (isinstance(cleaned, str) and cleaned == cleaned.strip() and cleaned)
    assert detect_marker(raw) in (None, "redacted", "not_applicable")
    for parse in PARSERS:
        parsed = parse(raw)
        assert isinstance(parsed, Parsed)
        assert parsed.raw is raw
        assert parsed.problem is None or parsed.problem in PROBLEM_CODES
        assert set(parsed.notes) <= NOTE_CODES
        assert parsed.marker in (None, "redacted", "not_applicable")
        if parsed.problem is not None or parsed.marker is not None:
            assert parsed.value is None
        if parsed.blank:
            assert parsed.value is None and parsed.problem is None
        if isinstance(parsed.value, IndicatorValue):
            assert parsed.value.text == cleaned
            assert parsed.value.kind in ("quantitative", "qualitative")
            assert (parsed.value.number is not None) == (parsed.value.kind == "quantitative")
            parsed.value.to_json()


@pytest.mark.parametrize("kind", list(RAW_KINDS))
def test_never_raises(kind: str) -> None:
    @FUZZ
    @given(RAW_KINDS[kind])
    def run(raw: object) -> None:
        check_invariants(raw)

    run()


@FUZZ
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_money_round_trips_decimal_text(number: Decimal) -> None:
    parsed = parse_money(str(number))
    if not within_form(number):  # issue 14: beyond what a form can mean, refused where it enters
        assert parsed.problem == "not_a_number" and parsed.value is None
        return
    assert parsed.problem is None
    assert parsed.value == number
    assert str(parsed.value) == str(number)


@pytest.mark.parametrize("text", ["1e-200000000", "1e999999999", "1E+16", "1e-31", "9" * 41,
                                  "0." + "0" * 40 + "1"])
def test_numbers_no_form_can_mean_are_invalid_at_entry(text: str) -> None:
    for parse in (parse_money, parse_percent):
        parsed = parse(text)
        assert parsed.problem == "not_a_number" and parsed.value is None, (parse, text)
    assert parse_money("1e15").value == Decimal("1e15") and parse_money("0E-50").value == 0


@FUZZ
@given(st.decimals(min_value=-10**9, max_value=10**9, places=2))
def test_money_reads_formatted_amounts(number: Decimal) -> None:
    text = f"{number:,.2f}万元"
    parsed = parse_money(text)
    assert parsed.value == number
    assert str(parsed.value) == f"{number:.2f}"


@FUZZ
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_money_of_any_float_is_close_and_exact(number: float) -> None:
    parsed = parse_money(number)
    if not within_form(float_decimal(number, 2)):
        assert parsed.problem == "not_a_number"
        return
    assert parsed.problem is None and parsed.value is not None
    assert math.isclose(float(parsed.value), number, rel_tol=1e-12, abs_tol=1e-9)


@FUZZ
@given(st.dates(min_value=dt.date(1900, 3, 1)))
def test_date_text_and_serial_round_trip(day: dt.date) -> None:
    serial = (day - dt.date(1899, 12, 30)).days
    assert parse_date(float(serial)).value == day
    assert parse_date(day.isoformat()).value == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日").value == day


@FUZZ
@given(st.integers(min_value=0, max_value=999_999), st.integers(min_value=1, max_value=12))
def test_code_padding_round_trips(number: int, digits: int) -> None:
    parsed = parse_code(float(number), digits=digits)
    assert parsed.value is not None
    assert int(parsed.value) == number
    assert len(parsed.value) == max(digits, len(str(number)))


# --- number formats: the value of its kind, and the text shown (xltargets.values._display) ----------

from xltargets.values import _display as display  # noqa: E402


@pytest.mark.parametrize(("code", "cls"), [
    ("General", "general"), ("@", "text"), ("0.00", "number"), ("#,##0.00;[Red]-#,##0.00", "number"),
    ("0%", "percent"), ("0.00%", "percent"), ('yyyy"年"m"月"d"日"', "date"), ("YYYY-MM-DD", "date"),
    ("[$-804]上午/下午h\"时\"mm\"分\"", "date"), ("h:mm AM/PM", "date"), ("[h]:mm:ss", "duration"),
    ("0.00E+00", "number"), ('"元"0.00', "number"),
])
def test_format_classes(code, cls):
    assert display.format_class(code) == cls


def test_builtin_and_custom_format_ids():
    assert display.format_code(9, {}) == "0%"
    assert display.format_class(display.format_code(14, {})) == "date"
    assert display.format_class(display.format_code(31, {})) == "date"   # zh-CN 年月日
    assert display.format_code(164, {164: "0.##"}) == "0.##"
    assert display.format_code(999, {}) == "General"


@pytest.mark.parametrize("number", [-1e308, 1e308, float("inf"), float("-inf"), float("nan"),
                                    -1.0, 2958466.0, 60.0])
@pytest.mark.parametrize("code", ["yyyy-mm-dd", "[h]:mm:ss", "h:mm", "0%", "0.00", "General"])
def test_no_number_makes_a_format_raise(number, code):
    """Issue 14: a date-formatted -1e308 or -inf, [h]:mm:ss with 1e308 must not raise."""
    text = display.shown_text(number, code)
    assert isinstance(text, str) and len(text) < 40
    value = display.typed_value(number, code)
    assert value == number or isinstance(value, dt.date | dt.time | dt.timedelta) or number != number


def test_typed_values_follow_python_calamine():
    assert display.typed_value(45000, "yyyy-mm-dd") == dt.date(2023, 3, 15)
    assert display.typed_value(45000.5, "m/d") == dt.datetime(2023, 3, 15, 12)
    assert display.typed_value(0.5, "h:mm") == dt.time(12)
    assert display.typed_value(1.5, "[h]:mm:ss") == dt.timedelta(days=1, hours=12)
    assert display.typed_value(0.25, "0%") == 0.25
