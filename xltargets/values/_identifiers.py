"""Phone numbers and codes: digit strings that General cells like to turn into numbers."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Final

from ._core import Parsed, as_text, decimal_text, float_text, fold, marker_of

_DASHES: Final = str.maketrans(dict.fromkeys("‐‑‒–—―─", "-"))
_PHONE_SEPARATORS_RE: Final = re.compile(r"[\s\-()]+")
_MOBILE_RE: Final = re.compile(r"(?:\+?86)?(?P<number>1[3-9]\d{9})")
# Mainland area codes: 010 and 020-029 have three digits, every other one four. Knowing this
# splits an unseparated "07374567890" correctly; a subscriber number never starts with 0.
_LANDLINE_RE: Final = re.compile(
    r"(?:\+?86[\s-]*)?"
    r"(?:\((?P<area_p>010|02\d|0[3-9]\d{2})\)|(?P<area>010|02\d|0[3-9]\d{2}))"
    r"[\s-]*(?P<number>[1-9]\d{6,7})"
    r"(?:\s*(?:-|转|EXT\.?|X|#)\s*(?P<ext>\d{1,6}))?",
    re.IGNORECASE,
)

_CODE_MANGLED_RE: Final = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)
# Excel shows at most 15 significant digits; a numeric cell at or past 10**15 lost digits.
_CODE_FLOAT_LIMIT: Final = 1e15
_MAX_CODE_DIGITS: Final = 64


def _landline(text: str) -> str | None:
    match = _LANDLINE_RE.fullmatch(text)
    if match is None:
        return None
    area = match["area_p"] or match["area"]
    value = f"{area}-{match['number']}"
    return f"{value}-{match['ext']}" if match["ext"] else value


def parse_phone(raw: object) -> Parsed[str]:
    """A Chinese phone number as digits.

    Mobile: 11 digits ``1[3-9]…``, separators and a ``+86`` dropped (``"177 6374 0907"``,
    ``17763740907.0`` → ``"17763740907"``). Landline: area code (010, 02x, or four digits from 03)
    and a 7-8 digit number not starting with 0, joined by ``-``, with an optional extension
    (``-123``, ``转123``): ``"(0737)4567890"``, ``"07374567890"`` → ``"0737-4567890"``. A numeric
    cell that lost the landline's leading zero gets it back (note ``zero_padded``). Anything else,
    a number without area code included: ``bad_phone``.
    """
    if isinstance(raw, bool | dt.date | dt.time | dt.timedelta):
        return Parsed(None, raw, problem="bad_phone")
    numeric = isinstance(raw, int | float | Decimal)
    if isinstance(raw, float) and not (math.isfinite(raw) and raw.is_integer()):
        return Parsed(None, raw, problem="bad_phone")
    text = as_text(raw)
    if text is None:
        return Parsed(None, raw)
    if not isinstance(text, str):
        return Parsed(None, raw, problem="unsupported_type")
    marker = marker_of(text)
    if marker is not None:
        return Parsed(None, raw, marker=marker)
    if len(text) > 40:
        return Parsed(None, raw, problem="bad_phone")
    text = fold(text).translate(_DASHES)
    mobile = _MOBILE_RE.fullmatch(_PHONE_SEPARATORS_RE.sub("", text))
    if mobile is not None:
        return Parsed(mobile["number"], raw)
    # with its separators, or without them: the area codes make "0737 456 7890" unambiguous
    value = _landline(text.strip()) or _landline(_PHONE_SEPARATORS_RE.sub("", text))
    if value is not None:
        return Parsed(value, raw)
    if numeric and text.isdigit() and not text.startswith("0"):
        value = _landline("0" + text)
        if value is not None:
            return Parsed(value, raw, notes=("zero_padded",))
    return Parsed(None, raw, problem="bad_phone")


def parse_code(raw: object, *, digits: int | None = None) -> Parsed[str]:
    """An identifier (unit code, project code) as text: upper case, half-width, no spaces.

    A numeric cell gives its digits (``224002.0`` → ``"224002"``); with ``digits`` set, a shorter
    number gets the leading zeros a General cell dropped (note ``zero_padded``). A code that is not
    exactly ``digits`` digits gets note ``wrong_length``. Problems: ``code_mangled`` when Excel
    turned the code into a number of 16+ digits, a scientific-notation text, a date or a time;
    ``not_a_code`` for negative numbers and booleans.
    """
    expected = digits if isinstance(digits, int) and 0 < digits <= _MAX_CODE_DIGITS else None
    notes: tuple[str, ...] = ()
    if isinstance(raw, bool):
        return Parsed(None, raw, problem="not_a_code")
    if isinstance(raw, dt.date | dt.time | dt.timedelta):
        return Parsed(None, raw, problem="code_mangled")
    if isinstance(raw, int | float | Decimal):
        code, problem = _numeric_code(raw)
        if code is None:
            return Parsed(None, raw, problem=problem)
        if "." in code:
            notes = ("fractional",)
        elif expected is not None and len(code) < expected:
            return Parsed(code.zfill(expected), raw, notes=("zero_padded",))
    else:
        text = as_text(raw)
        if text is None:
            return Parsed(None, raw)
        if not isinstance(text, str):
            return Parsed(None, raw, problem="unsupported_type")
        marker = marker_of(text)
        if marker is not None:
            return Parsed(None, raw, marker=marker)
        folded = fold(text)
        code = "".join(folded.split()).upper()
        if len(code) != len(folded):
            notes = ("spaces_removed",)
        if _CODE_MANGLED_RE.fullmatch(code):
            return Parsed(None, raw, problem="code_mangled")
    if expected is not None and (len(code) != expected or not code.isdigit()):
        notes += ("wrong_length",)
    return Parsed(code, raw, notes=notes)


def _numeric_code(number: float | int | Decimal) -> tuple[str | None, str | None]:
    """(digits, None) of a numeric code cell, or (None, problem) when it cannot be a code."""
    if isinstance(number, float):
        if not math.isfinite(number) or number < 0:
            return None, "not_a_code"
        if number >= _CODE_FLOAT_LIMIT:
            return None, "code_mangled"
        return float_text(number), None
    if isinstance(number, Decimal):
        # adjusted() first: int() of a Decimal like 1E+999999999 would build a huge integer.
        if not number.is_finite() or number < 0 or number.adjusted() >= _MAX_CODE_DIGITS:
            return None, "not_a_code"
        if number == number.to_integral_value():
            return str(int(number)), None
        return decimal_text(number), None
    if number < 0 or number.bit_length() > 4 * _MAX_CODE_DIGITS:
        return None, "not_a_code"
    return str(number), None
