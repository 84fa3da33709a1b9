"""What a clerk saw in a number cell, and the cell rules' messages (for `make mutate`).

Mutants that the rest of the in-process suite let through (docs/testing.md): the text a number
shows in its format (``shown_text``: decimals, grouping, sign sections, percentages, dates and
times token by token, durations) was only checked through LibreOffice; the wording of the length
and pattern findings was never compared. Each expectation below is what Excel shows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from xltargets.cellrules import Pattern, TextLength
from xltargets.values import _display as display
from xltargets.values import parse_money
from xltargets.values._numbers import strip_fraction_zeros

SHOWN = [
    # numbers: decimals padded, never rounded away; grouping; the negative section
    (1234.5, "#,##0.00", "1,234.50"),
    (1234.5, "0.00", "1234.50"),
    (0.5, "0.00", "0.50"),
    (2.125, "0.00", "2.125"),
    (-5.0, "0.00", "-5.00"),
    (-0.5, "0.0", "-0.5"),
    (-5.0, "0.00;0.00", "5.00"),
    (0.5, "0.00;[Red]0.0", "0.50"),
    (1234.5, "#,##0.00_);(#,##0.00)", "1,234.50"),
    (0.12345678901234568, "0.00", "0.123456789012346"),
    (0.0, "0.00", "0.00"),
    # scientific, fractions and numbers too large for a fixed format: the General text
    (1.5e15, "0.00", "1500000000000000"),
    (12345.0, "0.00E+00", "12345"),
    (0.75, "# ?/?", "0.75"),
    (0.75, "# ??/??", "0.75"),
    # percentages keep the value's own digits
    (0.005, "0.00%", "0.5%"),
    (0.25, "0%", "25%"),
    (1.0, "0%", "100%"),
    (0.0, "0%", "0%"),
    (-0.125, "0.0%", "-12.5%"),
    (1e-16, "0%", "0.00000000000001%"),
    # dates, token by token
    (45463.0, "yyyy-mm-dd", "2024-06-20"),
    (45463.0, 'yyyy"年"m"月"d"日"', "2024年6月20日"),
    (45463.5, "yyyy/m/d h:mm", "2024/6/20 12:00"),
    (45463.0, "d-mmm-yy", "20-Jun-24"),
    (45463.0, "ddd", "Thu"),
    (45463.0, "mmm", "Jun"),
    (45463.0, "yy", "24"),
    (45463.0, "dd", "20"),
    (45296.0, "d", "5"),
    (45296.0, "m/d", "1/5"),
    (45296.0, "mm/dd", "01/05"),
    (45463.0, "[$-804]yyyy-mm-dd", "2024-06-20"),
    (45463.0, "yyyy\\-mm", "2024-06"),
    (45463.0, "yyyy;@", "2024"),
    (61.0, "yyyy-mm-dd", "1900-03-01"),
    (59.0, "yyyy-mm-dd", "1900-02-28"),
    (60.0, "yyyy-mm-dd", "60"),          # Excel's phantom 1900-02-29: no date
    (-1.0, "yyyy-mm-dd", "-1"),
    # times: m is minutes after an hour or before seconds
    (0.5, "hh:mm:ss", "12:00:00"),
    (1 / 24, "h:mm", "1:00"),
    (0.5104166667, "h:mm", "12:15"),
    (45296 + 3723 / 86400, "hh:mm:ss", "01:02:03"),
    (45296 + 3723 / 86400, "h:m:s", "1:2:3"),
    (45463 + 65 / 86400, "mm:ss", "01:05"),
    (45463 + 65 / 86400, "m:s", "1:5"),
    (45463 + 5 / 86400, "ss", "05"),
    (45463 + 5 / 86400, "s", "5"),
    (0.0, "hh:mm", "00:00"),
    (0.75, "h:mm AM/PM", "6:00 PM"),
    (0.25, "h:mm AM/PM", "6:00 AM"),
    (0.5, "h AM/PM", "12 PM"),
    (0.0, "h AM/PM", "12 AM"),
    (45463.75, "m/d h:mm A/P", "6/20 6:00 P"),
    (0.25, '上午/下午h"时"mm"分"', "上午6时00分"),
    (0.75, '上午/下午h"时"mm"分"', "下午6时00分"),
    # durations
    (1.5, "[h]:mm:ss", "36:00:00"),
    (1.5, "[h]:mm", "36:00"),
    (-0.5, "[h]:mm", "-12:00"),
    (3723 / 86400, "[h]:mm:ss", "1:02:03"),
    (1e7, "[h]:mm", "10000000"),
    # whole numbers in fixed formats; a negative section's own sign or brackets; literal text
    (50.0, "0", "50"),
    (1234.0, "#,##0", "1,234"),
    (-1234.5, "#,##0.00;-#,##0.00", "-1,234.50"),
    (-1234.5, "#,##0.00;(#,##0.00)", "(1,234.50)"),
    (-3.0, "0;[Red]-0", "-3"),
    (1234.5, '"¥"#,##0.00', "¥1,234.50"),
    (100.0, '0"%"', "100%"),
    # what no format can show
    (float("nan"), "0.00", "NaN"),
    (float("inf"), "0", "∞"),
    (float("-inf"), "0", "-∞"),
    (0.1 + 0.2, "General", "0.3"),
    (5.0, "@", "5"),
]


@pytest.mark.parametrize(("number", "code", "shown"), SHOWN)
def test_shown_text_is_what_the_spreadsheet_shows(number, code, shown):
    assert display.shown_text(number, code) == shown


def test_typed_values_by_format():
    assert display.typed_value(45463.0, "yyyy-mm-dd") == dt.date(2024, 6, 20)
    assert display.typed_value(45463.25, "yyyy-mm-dd h:mm") == dt.datetime(2024, 6, 20, 6)
    assert display.typed_value(0.75, "h:mm") == dt.time(18)
    assert display.typed_value(0.0, "h:mm") == dt.time(0)
    assert display.typed_value(-1.0, "yyyy-mm-dd") == -1.0
    assert display.typed_value(60.0, "yyyy-mm-dd") == 60.0
    assert display.typed_value(-0.25, "[h]:mm") == dt.timedelta(hours=-6)
    assert display.typed_value(1e7, "[h]:mm") == 1e7
    assert display.typed_value(float("inf"), "[h]:mm") == float("inf")
    assert display.typed_value(0.5, "0.00") == 0.5


def test_serial_datetime_edges():
    assert display.serial_datetime(0.0) == dt.datetime(1899, 12, 31)
    assert display.serial_datetime(1.0) == dt.datetime(1900, 1, 1)
    assert display.serial_datetime(59.5) == dt.datetime(1900, 2, 28, 12)
    assert display.serial_datetime(60.0) is None
    assert display.serial_datetime(61.0) == dt.datetime(1900, 3, 1)
    assert display.serial_datetime(2958465.0) == dt.datetime(9999, 12, 31)
    assert display.serial_datetime(2958466.0) is None
    assert display.serial_datetime(-0.5) is None


def test_format_code_prefers_the_workbook_own_codes():
    assert display.format_code(9, {}) == "0%"
    assert display.format_code(9, {9: "0.0%"}) == "0.0%"
    assert display.format_code(164, {164: 'yyyy"年"'}) == 'yyyy"年"'
    assert display.format_code(999, {}) == "General"
    assert display.format_code(164, {164: "0" * 300}) == "0" * 255


# -- amounts typed in 元 in a 万元 cell ----------------------------------------------------------------

@pytest.mark.parametrize(("typed", "wan"), [
    ("500000元", "50"), ("123456元", "12.3456"), ("1000.00元", "0.1"), ("100元", "0.01"),
    ("10元", "0.001"), ("-50000元", "-5"), ("0元", "0"), ("0.00元", "0"),
])
def test_yuan_become_wan_without_trailing_zeros(typed, wan):
    assert str(parse_money(typed).value) == wan


@pytest.mark.parametrize(("value", "kept"), [
    ("50.0000", "50"), ("0.10", "0.1"), ("-1.50", "-1.5"), ("0.000", "0"), ("0E-5", "0"),
    ("500", "500"), ("1E+2", "1E+2"), ("7", "7"), ("12.345", "12.345"),
])
def test_only_zeros_after_the_point_are_dropped(value, kept):
    assert str(strip_fraction_zeros(Decimal(value))) == kept


# -- the cell rules' messages --------------------------------------------------------------------

def test_text_length_messages_name_the_limit_and_the_count():
    assert TextLength(5).message("项目名称", "一二三四五六") == "“项目名称”超过5字（实际6字）"
    assert TextLength(6, low=6).message("单位编码", "12345") == "“单位编码”应为6个字符（实际5个）"
    assert TextLength(8, low=2).message("联系人", "王") == "“联系人”应为2-8个字符（实际1个）"
    assert TextLength(3).refuses("一二三四") and not TextLength(3).refuses("一二三")
    assert TextLength(3, low=2).refuses("一") and not TextLength(3, low=2).refuses("一二")


def test_pattern_message_quotes_at_most_forty_characters():
    rule = Pattern(r"^\d{6}$", "6位数字")
    assert rule.message("单位编码", "12a") == "“单位编码”“12a”格式不正确，应为6位数字"
    long = "甲" * 41
    assert rule.message("单位编码", long) == f"“单位编码”“{'甲' * 40}…”格式不正确，应为6位数字"
    exact = "乙" * 40
    assert rule.message("单位编码", exact) == f"“单位编码”“{exact}”格式不正确，应为6位数字"


# -- an indicator's figure in the submission JSON ---------------------------------------------------

@pytest.mark.parametrize(("typed", "number"), [
    ("≤0.0000005", "0.0000005"),     # str(Decimal) would write 5E-7, which the schema refuses
    ("≥0.00001万元", "0.00001"),
    ("=100%", "100"),
    ("≤1200.50元", "1200.50"),
])
def test_an_indicator_figure_is_a_plain_decimal_string(tmp_path, typed, number):
    import json
    from pathlib import Path

    import jsonschema
    from forms import CLEAN, write_fill

    from xltargets.read import read_workbook

    schema = json.loads((Path(__file__).resolve().parent.parent / "schemas" /
                         "submission.schema.json").read_text(encoding="utf-8"))
    fill = CLEAN["hebei-county"][0]()
    fill["项目1"][("indicators", 1, "value")] = typed
    data = read_workbook(write_fill("hebei-county", fill, tmp_path / "n.xlsx")).to_json()
    value = data["projects"][0]["indicators"][1]["value"]
    assert (value["text"], value["number"]) == (typed, number)
    jsonschema.validate(data, schema)
