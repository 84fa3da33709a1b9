"""Raw cell values → exact, typed values (money, percent, dates, codes, indicator values, markers).

Pure functions that never raise: whatever a reader hands over comes back as a ``Parsed`` carrying
the value, the raw input, a marker (涉密 / ……), a ``problem`` code when it could not be read, and
``notes`` worth a warning. ``PROBLEM_CODES`` and ``NOTE_CODES`` list every code.
"""

from ._core import (
    NOT_APPLICABLE,
    NOTE_CODES,
    PROBLEM_CODES,
    REDACTED,
    Parsed,
    clean_text,
    detect_marker,
)
from ._dates import parse_date
from ._identifiers import parse_code, parse_phone
from ._indicator import QUALITATIVE, QUANTITATIVE, IndicatorValue, parse_indicator_value
from ._numbers import parse_integer, parse_money, parse_percent
from ._text import parse_text

__all__ = [
    "NOTE_CODES",
    "NOT_APPLICABLE",
    "PROBLEM_CODES",
    "QUALITATIVE",
    "QUANTITATIVE",
    "REDACTED",
    "IndicatorValue",
    "Parsed",
    "clean_text",
    "detect_marker",
    "parse_code",
    "parse_date",
    "parse_indicator_value",
    "parse_integer",
    "parse_money",
    "parse_percent",
    "parse_phone",
    "parse_text",
]
