"""Date cells: date objects, Excel serial numbers and the ways people type a date."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Final

from ._core import Parsed, fold, text_prelude

# Excel's 1900 date system counts 1900-02-29, a day that never was (a Lotus 1-2-3 bug kept for
# compatibility): serials from 61 on are days since 1899-12-30, those below 60 since 1899-12-31.
_EPOCH_AFTER_LEAP_BUG: Final = dt.date(1899, 12, 30)
_EPOCH_BEFORE_LEAP_BUG: Final = dt.date(1899, 12, 31)
_PHANTOM_SERIAL: Final = 60
_MAX_SERIAL: Final = 2958465  # 9999-12-31

# A trailing time of day, as text exports write datetimes ("2024-06-20 00:00:00").
_TIME_TAIL_RE: Final = re.compile(r"(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_FULL_RES: Final = (
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?"),
    re.compile(r"(?P<y>\d{4})(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
# Shapes that are clearly a date with a part missing: a year and month, a bare year, a month
# and day without the year.
_PARTIAL_RES: Final = (
    re.compile(r"\d{4}年(?:\d{1,2}月(?:份)?)?(?:底|末|初)?"),
    re.compile(r"\d{4}[-./]\d{1,2}"),
    re.compile(r"\d{6}"),
    re.compile(r"\d{1,2}月\d{1,2}[日号]?"),
    re.compile(r"\d{1,2}[-./]\d{1,2}"),
)


def _serial_date(serial: float | Decimal, raw: object) -> Parsed[dt.date]:
    if not 1 <= serial < _MAX_SERIAL + 1:
        return Parsed(None, raw, problem="out_of_range")
    days = int(serial)
    if days == _PHANTOM_SERIAL:
        return Parsed(None, raw, problem="invalid_date")
    epoch = _EPOCH_AFTER_LEAP_BUG if days > _PHANTOM_SERIAL else _EPOCH_BEFORE_LEAP_BUG
    value = epoch + dt.timedelta(days=days)
    if serial != days:
        return Parsed(value, raw, notes=("time_ignored",))
    return Parsed(value, raw)


def parse_date(raw: object) -> Parsed[dt.date]:
    """A calendar date.

    Accepts ``date``/``datetime`` objects, Excel serial numbers (1900 system, 1..2958465) and text:
    ``2024年6月20日``, ``2024.6.20``, ``2024/6/20``, ``2024-06-20``, ``20240620``, with full-width
    digits and spaces tolerated. A time of day is dropped with note ``time_ignored``.

    Problems: ``incomplete_date`` (``2024年6月``, ``6月20日``), ``invalid_date`` (``2024年2月30日``,
    serial 60, Excel's phantom 1900-02-29), ``out_of_range`` (serial outside 1..2958465),
    ``not_a_date`` for anything else, times and durations included.
    """
    if isinstance(raw, dt.datetime):
        if raw.time() != dt.time(0):
            return Parsed(raw.date(), raw, notes=("time_ignored",))
        return Parsed(raw.date(), raw)
    if isinstance(raw, dt.date):
        return Parsed(raw, raw)
    if isinstance(raw, float | Decimal) or (isinstance(raw, int) and not isinstance(raw, bool)):
        if isinstance(raw, float) and not math.isfinite(raw):
            return Parsed(None, raw, problem="not_a_date")
        if isinstance(raw, Decimal) and not raw.is_finite():
            return Parsed(None, raw, problem="not_a_date")
        return _serial_date(raw, raw)
    if isinstance(raw, dt.time | dt.timedelta | bool):
        return Parsed(None, raw, problem="not_a_date")
    text = text_prelude(raw)
    if isinstance(text, Parsed):
        return text
    if len(text) > 40:
        return Parsed(None, raw, problem="not_a_date")
    folded = fold(text)
    tail = _TIME_TAIL_RE.search(folded)
    notes: tuple[str, ...] = ()
    if tail is not None:
        if any(digit in "123456789" for digit in tail.group()):
            notes = ("time_ignored",)
        folded = folded[:tail.start()]
    compact = "".join(folded.split())
    for pattern in _FULL_RES:
        match = pattern.fullmatch(compact)
        if match is not None:
            try:
                value = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return Parsed(None, raw, problem="invalid_date")
            return Parsed(value, raw, notes=notes)
    for pattern in _PARTIAL_RES:
        if pattern.fullmatch(compact):
            return Parsed(None, raw, problem="incomplete_date")
    return Parsed(None, raw, problem="not_a_date")
