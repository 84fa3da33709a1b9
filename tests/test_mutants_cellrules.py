"""Cell limits' corners, for `make mutate` (docs/testing.md).

Survivors of ``xltargets.cellrules`` in the mutation run. ``_closes_at_end``: no selected test gave a
pattern whose group holds an escaped ``\\)`` (it does not close the group), closes right after
an escape (``\\d)``), or holds a ``(`` that is never closed (in a class: the subset refuses it,
with a message, never a traceback). A class's characters (ranges, a ``-`` or ``]`` as itself,
its limits), escapes and a double quote in a class, branches and quantifiers, messages of
patterns outside the subset, the Excel face of a
pattern with alternatives or of a length range, white space other than spaces in a pattern's
text, upper case only when told, and the bounds of a percentage.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from xltargets.cellrules import Pattern, Shape, TextLength, pattern_problem, percent_number, shapes


def test_an_escaped_parenthesis_does_not_close_the_wrapping_group():
    assert shapes(r"^(a\)|b)$") == (Shape(runs=(("a", 1),), last=(")", 1, 1)),
                                    Shape(runs=(), last=("b", 1, 1)))


def test_a_group_closing_right_after_an_escape_is_unwrapped():
    assert shapes(r"^(a|\d)$") == (Shape(runs=(), last=("a", 1, 1)),
                                   Shape(runs=(), last=("0123456789", 1, 1)))


def test_a_group_left_open_to_the_end_is_refused_with_a_message():
    assert pattern_problem(r"^([(]a)$") == (
        "pattern 无法转换为 Excel 校验公式：不支持“(”（分组、.、*、+ 无法用 Excel 公式检查），"
        "请用 | 把各种写法逐一列出")


def test_a_group_runs_to_its_closing_parenthesis_character_by_character():
    assert shapes(r"^(a|bc)$") == (Shape(runs=(), last=("a", 1, 1)),
                                   Shape(runs=(("b", 1),), last=("c", 1, 1)))


def test_the_excel_face_of_a_pattern_of_two_shapes_one_of_variable_length():
    """Survivors of ``Pattern.excel``/``_shape_formula``: no selected test read the formula of a
    pattern with alternatives or an optional last character (the LibreOffice typing tests, not
    in the mutation selection, show such formulas accept and refuse what the reader does)."""
    pattern = Pattern(r"^(\d{2}|[AB]\d?)$", "2位数字或A、B加1位数字")
    digits = '"0123456789"'
    assert pattern.excel("T", "'S'") == (
        "OR("
        f"AND(LEN(T)=2,SUMPRODUCT(--ISNUMBER(FIND(MID(T,ROW('S'!$1:$2),1),{digits})))=2),"
        'AND(LEN(T)>=1,LEN(T)<=2,ISNUMBER(FIND(MID(T,1,1),"AB")),'
        'ISNUMBER(FIND(MID(T,2,1)&"|","0|1|2|3|4|5|6|7|8|9|"))))')
    assert Pattern(r"^\d{2}$", "2位数字").excel("T", "'S'") == (
        f"AND(LEN(T)=2,SUMPRODUCT(--ISNUMBER(FIND(MID(T,ROW('S'!$1:$2),1),{digits})))=2)")


def test_the_excel_face_of_a_length_range():
    assert TextLength(10, 2).excel("A1") == "AND(LEN(A1)>=2,LEN(A1)<=10)"
    assert TextLength(6, 6).excel("A1") == "LEN(A1)=6"
    assert TextLength(200).excel("A1") == "LEN(A1)<=200"


def test_a_pattern_drops_every_kind_of_white_space_and_keeps_lower_case_unless_told():
    """A space in ``remove`` stands for tabs, NBSP and U+3000 too; only ``upper`` upper-cases."""
    assert Pattern(r"^\d{3}$", "3位数字").normalize("1\u00a02\t3\u30004") == "1234"
    assert not Pattern(r"^\d{3}$", "3位数字").refuses("1\u00a02\t3")
    assert Pattern(r"^[a-z]{2}$", "2个小写字母").normalize("ab") == "ab"
    assert not Pattern(r"^[a-z]{2}$", "2个小写字母").refuses("ab")
    assert Pattern(r"^[A-Z]{2}$", "2个字母", upper=True).normalize("ab") == "AB"


@pytest.mark.parametrize(("typed", "number"), [
    ("1e15", Decimal("1e15")), ("1e16", None), ("1e-15", Decimal("1e-15")), ("1e-16", None),
    ("Infinity", None), ("25%", Decimal(25))])
def test_a_percentage_is_a_number_of_at_most_fifteen_digits_either_side(typed, number):
    assert percent_number(typed) == number


def test_escapes_inside_a_class():
    """``\\d`` in a class is the ten digits, an escaped sign is itself, a letter escape is
    refused by name."""
    assert shapes(r"^[\d]$") == (Shape(runs=(), last=("0123456789", 1, 1)),)
    assert shapes(r"^[\dA]{2}$") == (Shape(runs=(), last=("0123456789A", 2, 2)),)
    assert shapes(r"^[\-+]$") == (Shape(runs=(), last=("-+", 1, 1)),)
    assert pattern_problem(r"^[\w]$") == "pattern 无法转换为 Excel 校验公式：字符类中不支持 \\w"


def test_a_double_quote_allowed_by_a_pattern_is_doubled_in_its_formula():
    assert Pattern(r'^["a]$', "引号或a").excel("T", "'S'") == (
        'AND(LEN(T)=1,ISNUMBER(FIND(MID(T,1,1),"""a")))')


def test_the_excel_text_is_upper_cased_only_when_told():
    assert Pattern(r"^[a-z]{2}$", "2个小写字母").excel_text("A1") == 'SUBSTITUTE(ASC(A1)," ","")'
    assert Pattern(r"^[A-Z]{2}$", "2个字母", upper=True).excel_text("A1") == (
        'UPPER(SUBSTITUTE(ASC(A1)," ",""))')


def _class(pattern: str) -> str:
    (shape,) = shapes(pattern)
    assert shape.runs == ()
    return shape.last[0]


def test_the_characters_of_a_class():
    """Ranges with both ends included (one of a single character), a ``-`` last is itself, a
    plain character and an escape after others, a ``]`` first is itself."""
    assert _class(r"^[a-c]$") == "abc"
    assert _class(r"^[a-a]$") == "a"
    assert _class(r"^[a-]$") == "a-"
    assert _class(r"^[A\d]$") == "A0123456789"
    assert _class(r"^[AB]$") == "AB"
    assert shapes(r"^[]a][b]$") == (Shape(runs=(("]a", 1),), last=("b", 1, 1)),)
    assert len(_class("^[ -\x9f]$")) == 128  # MAX_SET, the most a class may allow


@pytest.mark.parametrize(("pattern", "problem"), [
    ("^[一-龥]$", "范围 一-龥 有误"),                     # a range over MAX_SET characters
    ("^[ -\xa0]$", "字符类超过128个字符"),                # a range of 129
    (r"^\w$", "不支持 \\w（只支持 \\d 和转义的标点）"),
])
def test_a_class_or_escape_outside_the_subset_is_refused_with_its_reason(pattern, problem):
    assert pattern_problem(pattern) == f"pattern 无法转换为 Excel 校验公式：{problem}"


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"^X\d$", (Shape(runs=(("X", 1),), last=("0123456789", 1, 1)),)),
    (r"^\d{64}$", (Shape(runs=(), last=("0123456789", 64, 64)),)),    # MAX_PATTERN_LENGTH
    (r"^[]][a]$", (Shape(runs=(("]", 1),), last=("a", 1, 1)),)),      # a ] first is itself
    (r"^ab", (Shape(runs=(("a", 1),), last=("b", 1, 1)),)),          # no $: b is kept
    (r"^a\$", (Shape(runs=(("a", 1),), last=("$", 1, 1)),)),         # an escaped $ is a $
    (r"^(?:a|b)$", (Shape(runs=(), last=("a", 1, 1)), Shape(runs=(), last=("b", 1, 1)))),
    (r"^a\|b$", (Shape(runs=(("a", 1), ("|", 1)), last=("b", 1, 1)),)),  # an escaped | is a |
    (r"^a\|$", (Shape(runs=(("a", 1),), last=("|", 1, 1)),)),
    (r"^[a|b]$", (Shape(runs=(), last=("a|b", 1, 1)),)),             # | in a class is a |
])
def test_branches_and_atoms_of_a_pattern(pattern, expected):
    assert shapes(pattern) == expected


@pytest.mark.parametrize(("pattern", "problem"), [
    (r"^[^a]$", "不支持取反的字符类 [^…]"),
    (r"^\d{65}$", "次数 {65} 有误"),
    (r"^(a|)$", "空的分支"),
])
def test_a_pattern_outside_the_subset_is_refused_with_its_reason(pattern, problem):
    assert pattern_problem(pattern) == f"pattern 无法转换为 Excel 校验公式：{problem}"
