"""A spec pattern wrapped in one group, for `make mutate` (docs/testing.md).

Survivors of ``xltargets.cellrules._closes_at_end`` in the mutation run: no selected test gave a
pattern whose group holds an escaped ``\\)`` (it does not close the group), closes right after
an escape (``\\d)``), or holds a ``(`` that is never closed (in a class: the subset refuses it,
with a message, never a traceback).
"""

from __future__ import annotations

from xltargets.cellrules import Shape, pattern_problem, shapes


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
