"""Codes and phone numbers at their limits, for `make mutate` (docs/testing.md).

Survivors of ``xltargets.values._identifiers`` in the mutation run: no selected test gave a code
cell holding a negative or zero decimal, a fraction as a decimal, a number at the 64-digit or
256-bit limit, a ``digits`` of 1, 0 or over 64, nor a phone of exactly 40 or 41 characters, a
phone cell of a type no workbook holds, or compared the raw value a phone keeps.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from xltargets.values._identifiers import parse_code, parse_phone

MAX = 64  # _MAX_CODE_DIGITS


def _parsed(p):
    return (p.value, p.problem, p.notes)


@pytest.mark.parametrize(("raw", "parsed"), [
    (Decimal("-1"), (None, "not_a_code", ())),
    (Decimal(0), ("0", None, ())),
    (0, ("0", None, ())),
    (Decimal("1.5"), ("1.5", None, ("fractional",))),
    (Decimal("9" * MAX), ("9" * MAX, None, ())),                       # 64 digits
    (Decimal("1" + "0" * MAX), (None, "not_a_code", ())),              # 65
    (2 ** (4 * MAX) - 1, (str(2 ** (4 * MAX) - 1), None, ())),          # 256 bits
    (2 ** (4 * MAX), (None, "not_a_code", ())),                        # 257
    (2 ** (5 * MAX) - 1, (None, "not_a_code", ())),
])
def test_a_numeric_code_cell_at_its_limits(raw, parsed):
    assert _parsed(parse_code(raw)) == parsed


def test_the_digits_a_code_should_have_count_from_one_to_sixty_four():
    assert _parsed(parse_code("7", digits=1)) == ("7", None, ())
    assert _parsed(parse_code("12", digits=1)) == ("12", None, ("wrong_length",))
    assert _parsed(parse_code("1" * MAX, digits=MAX)) == ("1" * MAX, None, ())
    assert _parsed(parse_code("1", digits=MAX)) == ("1", None, ("wrong_length",))
    assert _parsed(parse_code("12 3", digits=6)) == ("123", None, ("spaces_removed", "wrong_length"))
    # outside 1-64 the length is not checked
    assert _parsed(parse_code("12", digits=0)) == ("12", None, ())
    assert _parsed(parse_code("1", digits=MAX + 1)) == ("1", None, ())


def test_a_phone_of_forty_characters_is_read_and_of_forty_one_refused():
    forty = "177" + " " * 28 + "6374 0907"
    assert len(forty) == 40
    assert _parsed(parse_phone(forty)) == ("17763740907", None, ())
    assert _parsed(parse_phone("177 " + forty[3:])) == (None, "bad_phone", ())  # 41


def test_a_phone_keeps_what_was_typed_and_refuses_what_no_cell_holds():
    mobile, landline = parse_phone("177 6374 0907"), parse_phone("0737 456 7890")
    assert (mobile.value, mobile.raw) == ("17763740907", "177 6374 0907")
    assert (landline.value, landline.raw) == ("0737-4567890", "0737 456 7890")
    assert _parsed(parse_phone(object())) == (None, "unsupported_type", ())
