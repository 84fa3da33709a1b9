"""Money (万元), percent and integer cells, as exact Decimals."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Final

from ._core import Parsed, decimal_or_none, fold, text_prelude

#: A numeral as people type it: optional sign, optional 3-digit grouping, decimals, and the
#: scientific form because ``str(Decimal)`` produces it.
NUMERAL: Final = r"[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"

_MONEY_RE: Final = re.compile(
    rf"(?P<num>{NUMERAL})(?:(?P<wan>万元|万|\(万元\))|(?P<yuan>元|\(元\)))?"
)
_PERCENT_RE: Final = re.compile(rf"(?P<num>{NUMERAL})%?")
_INTEGER_RE: Final = re.compile(rf"(?P<num>{NUMERAL})(?:年度|年)?")

# Formula results carry binary noise (0.1 + 0.2 = 0.30000000000000004); anything this close to a
# value with the expected number of decimals is that value.
_NOISE: Final = Decimal("1e-9")
_ZERO: Final = Decimal(0)
_HUNDRED: Final = Decimal(100)
# Beyond this an "integer" is a mangled code or a typo, and int() of a huge Decimal is costly.
_INTEGER_LIMIT: Final = 10**18
_MAX_INT_BITS: Final = 3000
# What an amount or a percentage on a form can mean, checked where the number enters: beyond these a
# figure is a typo or an attack (``1e-200000000`` expands to 200 million digits wherever it is
# printed with ``:f``, ``1e999999999`` overflows the first arithmetic), never a budget.
MAX_DIGITS: Final = 40
MIN_EXPONENT: Final = -30      # 30 decimals: far past a float's noise
MAX_ADJUSTED: Final = 15       # 10**16 万元 and 10**16 % are not on any form


def within_form(number: Decimal) -> bool:
    """Whether ``number`` is finite and of a size a form can mean (see MAX_DIGITS and alike)."""
    if not number.is_finite():
        return False
    _sign, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int) or len(digits) > MAX_DIGITS:
        return False
    if number.is_zero():
        return True
    return exponent >= MIN_EXPONENT and number.adjusted() <= MAX_ADJUSTED


def float_decimal(number: float, places: int) -> Decimal:
    """Exact Decimal a finite float stands for: its shortest repr, binary noise removed.

    ``9.6`` → ``9.6`` (repr, not the binary expansion), ``50.0`` → ``50`` (the '.0' is an artefact
    of float repr, not something typed), ``0.30000000000000004`` → ``0.3`` when ``places`` >= 1.
    """
    if number.is_integer():
        return Decimal(int(number))
    value = Decimal(repr(number))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        rounded_float = round(number, places)
        rounded = (Decimal(int(rounded_float)) if rounded_float.is_integer()
                   else Decimal(repr(rounded_float)))
        if abs(value - rounded) < _NOISE:
            return rounded
    return value


def shift(value: Decimal, places: int) -> Decimal:
    """``value * 10**places`` exactly (no context rounding), in plain notation where sensible."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return value
    exponent += places
    if 0 < exponent <= 40:
        digits = digits + (0,) * exponent
        exponent = 0
    return Decimal((sign, digits, exponent))


def strip_fraction_zeros(value: Decimal) -> Decimal:
    """Drop trailing zeros after the decimal point only (``50.0000`` → ``50``, ``500`` stays)."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return value
    kept = list(digits)
    while exponent < 0 and len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    if kept == [0]:
        exponent = 0
    return Decimal((sign, tuple(kept), exponent))


def _numeral_decimal(numeral: str) -> Decimal | None:
    return decimal_or_none(numeral.replace(",", "") if "," in numeral else numeral)


def _compact(text: str) -> str:
    return "".join(fold(text).split())


class _NotNumeric:
    __slots__ = ()


#: ``numeric_raw`` result for a raw value that is not a number cell (text, date, bool …).
NOT_NUMERIC: Final = _NotNumeric()


def numeric_raw(raw: object, places: int) -> Decimal | None | _NotNumeric:
    """Decimal of a numeric cell; None for a non-finite or absurd number; NOT_NUMERIC otherwise."""
    if isinstance(raw, float):
        return float_decimal(raw, places) if math.isfinite(raw) else None
    if isinstance(raw, bool):
        return NOT_NUMERIC
    if isinstance(raw, int):
        return Decimal(raw) if raw.bit_length() <= _MAX_INT_BITS else None
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    return NOT_NUMERIC


def parse_money(raw: object, unit: str = "万元") -> Parsed[Decimal]:
    """An amount in ``unit`` (万元 or 元), exact, with the scale as typed (``"50.00"`` →
    ``Decimal("50.00")``).

    Accepts numbers, numeric text with grouping commas (``771,325,800.00``), full-width digits and
    a unit (``万元``, ``万``, ``（万元）``, ``元``). For a 万元 cell a figure in ``元`` is divided by
    10,000 (note ``unit_yuan``); for a 元 cell a figure in 万元 is multiplied by 10,000 (note
    ``unit_wan``). Notes: ``precision`` past two decimals, ``negative``. Problem ``not_a_number``
    for anything else, booleans included.
    """
    number = numeric_raw(raw, 2)
    notes: tuple[str, ...] = ()
    if isinstance(number, _NotNumeric):
        text = text_prelude(raw)
        if isinstance(text, Parsed):
            return text
        match = _MONEY_RE.fullmatch(_compact(text))
        number = _numeral_decimal(match["num"]) if match is not None else None
        if number is not None and match is not None:
            if unit == "元" and match["wan"] is not None:
                number = shift(number, 4)
                notes = ("unit_wan",)
            elif unit != "元" and match["yuan"] is not None:
                number = strip_fraction_zeros(shift(number, -4))
                notes = ("unit_yuan",)
    if number is None or not within_form(number):
        return Parsed(None, raw, problem="not_a_number")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        notes += ("precision",)
    if number < _ZERO:
        notes += ("negative",)
    return Parsed(number, raw, notes=notes)


def parse_percent(raw: object, *, fraction: bool = False) -> Parsed[Decimal]:
    """A percentage on the 0..100 scale.

    ``fraction=True`` says numeric cells are %-formatted, so they store 0.25 for 25%; it applies
    to numbers only: text is read as typed (``"25%"`` and ``"25"`` are both 25). Note
    ``out_of_range`` outside 0..100; problem ``not_a_number`` for anything else.
    """
    number = numeric_raw(raw, 4 if fraction else 2)
    if isinstance(number, _NotNumeric):
        text = text_prelude(raw)
        if isinstance(text, Parsed):
            return text
        match = _PERCENT_RE.fullmatch(_compact(text))
        number = _numeral_decimal(match["num"]) if match is not None else None
    elif number is not None and fraction:
        number = shift(number, 2)
    if number is None or not within_form(number):
        return Parsed(None, raw, problem="not_a_number")
    if number < _ZERO or number > _HUNDRED:
        return Parsed(number, raw, notes=("out_of_range",))
    return Parsed(number, raw)


def parse_integer(raw: object) -> Parsed[int]:
    """A whole number (years, counts): ``2025.0``, ``"2025"``, ``"２０２５"``, ``"2025年"``.

    Problems: ``not_an_integer`` for a fraction, ``out_of_range`` from 10**18 on (such a figure is
    a mangled code, not a count), ``not_a_number`` for anything else.
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        if abs(raw) >= _INTEGER_LIMIT:
            return Parsed(None, raw, problem="out_of_range")
        return Parsed(int(raw), raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return Parsed(None, raw, problem="not_a_number")
        if not raw.is_integer():
            return Parsed(None, raw, problem="not_an_integer")
        if abs(raw) >= _INTEGER_LIMIT:
            return Parsed(None, raw, problem="out_of_range")
        return Parsed(int(raw), raw)
    if isinstance(raw, Decimal):
        number: Decimal | None = raw if raw.is_finite() else None
    else:
        text = text_prelude(raw)
        if isinstance(text, Parsed):
            return text
        match = _INTEGER_RE.fullmatch(_compact(text))
        number = _numeral_decimal(match["num"]) if match is not None else None
    if number is None:
        return Parsed(None, raw, problem="not_a_number")
    # adjusted() first: comparing or rounding a Decimal like 1E+999999999 is costly.
    if not number.is_zero() and number.adjusted() >= 18:
        return Parsed(None, raw, problem="out_of_range")
    if number != number.to_integral_value():
        return Parsed(None, raw, problem="not_an_integer")
    integer = int(number)
    if abs(integer) >= _INTEGER_LIMIT:
        return Parsed(None, raw, problem="out_of_range")
    return Parsed(integer, raw)
