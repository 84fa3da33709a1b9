"""Number formats: what a number cell means (a date? a percentage?) and the text a clerk saw.

A spreadsheet stores a number and a format; what the clerk typed and saw is the pair. ``100%``
typed into a General cell is stored as ``1`` with the format ``0%``, ``3-5`` as a date serial with
a date format. Two views of such a cell are needed:

* :func:`typed_value`: the number as a value of its kind, the way python-calamine and openpyxl
  give it (a date-formatted serial becomes a ``date``/``datetime``/``time``, a duration a
  ``timedelta``), for money, percent, integer, date and code cells whose parsers know these types.
  A serial outside what a date can hold stays a plain float (never an exception).
* :func:`shown_text`: the text the clerk saw, for text cells (``100%``, ``03-05``, ``12:00``).

Only the first section of a format is used for dates, the sign section for negative numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from functools import lru_cache
from typing import Final

from ._core import float_text

#: Excel's built-in format ids as a zh-CN Excel shows them (ids 27-36 and 50-58 are the East Asian
#: date and time formats; 14 and 22 follow the locale's short date).
BUILTIN_FORMATS: Final[dict[int, str]] = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
    5: "#,##0;-#,##0", 6: "#,##0;[Red]-#,##0", 7: "#,##0.00;-#,##0.00", 8: "#,##0.00;[Red]-#,##0.00",
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
    14: "yyyy/m/d", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "yyyy/m/d h:mm",
    27: 'yyyy"年"m"月"', 28: 'm"月"d"日"', 29: 'm"月"d"日"', 30: "m-d-yy", 31: 'yyyy"年"m"月"d"日"',
    32: 'h"时"mm"分"', 33: 'h"时"mm"分"ss"秒"', 34: '上午/下午h"时"mm"分"',
    35: '上午/下午h"时"mm"分"ss"秒"', 36: 'yyyy"年"m"月"',
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0",
    49: "@",
    50: 'yyyy"年"m"月"', 51: 'm"月"d"日"', 52: 'yyyy"年"m"月"', 53: 'm"月"d"日"', 54: 'm"月"d"日"',
    55: '上午/下午h"时"mm"分"', 56: '上午/下午h"时"mm"分"ss"秒"', 57: 'yyyy"年"m"月"',
    58: 'm"月"d"日"',
}

GENERAL: Final = "general"
TEXT: Final = "text"
DATE: Final = "date"          # dates, times and date-times
DURATION: Final = "duration"  # [h]:mm:ss and alike
PERCENT: Final = "percent"
NUMBER: Final = "number"      # any other numeric format (decimals, grouping, scientific, fractions)

#: longest format code looked at: Excel's own limit is 255 characters
_MAX_CODE: Final = 255
_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKET = re.compile(r"\[[^\]]*\]")
_DURATION = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)
_AMPM = re.compile(r"AM/PM|A/P|上午/下午", re.IGNORECASE)
_DATE_CHARS = re.compile(r"[ymdhs]", re.IGNORECASE)


def format_code(num_fmt_id: int, custom: dict[int, str]) -> str:
    """The format code of a cell's ``numFmtId`` (custom codes first, then the built-ins)."""
    code = custom.get(num_fmt_id)
    if code is None:
        code = BUILTIN_FORMATS.get(num_fmt_id, "General")
    return code[:_MAX_CODE]


@lru_cache(maxsize=512)
def format_class(code: str) -> str:
    """One of GENERAL, TEXT, DATE, DURATION, PERCENT, NUMBER."""
    first = code.split(";", 1)[0]
    if first.strip().casefold() in ("general", ""):
        return GENERAL
    if first.strip() == "@":
        return TEXT
    if _DURATION.search(first):
        return DURATION
    bare = _BRACKET.sub("", _QUOTED.sub("", first))
    if _DATE_CHARS.search(_AMPM.sub("", bare).replace("General", "").replace("general", "")):
        return DATE
    if "%" in bare:
        return PERCENT
    return NUMBER


# Excel's 1900 date system: serial 60 is the phantom 1900-02-29; from 61 on, days since 1899-12-30.
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_EARLY = dt.datetime(1899, 12, 31)
_MAX_SERIAL: Final = 2958466.0   # 10000-01-01
_MAX_DURATION_DAYS: Final = 10_000_000.0


def serial_datetime(serial: float) -> dt.datetime | None:
    """The datetime of an Excel serial, None outside 0 ≤ serial < 10000-01-01 or at serial 60."""
    if not (0.0 <= serial < _MAX_SERIAL):
        return None
    days = int(serial)
    if days == 60:
        return None
    seconds = round((serial - days) * 86400)
    base = _EPOCH if days > 60 else _EPOCH_EARLY
    try:
        return base + dt.timedelta(days=days, seconds=seconds)
    except OverflowError:
        return None


def typed_value(number: float, code: str) -> object:
    """A number cell as a value of its kind: a date-formatted serial gives ``time`` (below 1),
    ``date`` (a whole day) or ``datetime``; a duration format gives ``timedelta``; anything else,
    and any serial no date can hold (negative, 1e308, inf, nan), stays the float."""
    cls = format_class(code)
    if cls == DATE:
        when = serial_datetime(number)
        if when is None:
            return number
        if number < 1.0:
            return when.time()
        if when.time() == dt.time(0):
            return when.date()
        return when
    if cls == DURATION:
        if not math.isfinite(number) or abs(number) >= _MAX_DURATION_DAYS:
            return number
        return dt.timedelta(seconds=round(number * 86400))
    return number


def shown_text(number: float, code: str) -> str:
    """The text a spreadsheet shows for ``number`` in format ``code``, never losing a digit.

    Percentages keep the value's own digits (``0.005`` in ``0.00%`` → ``0.5%``: what was typed);
    fixed decimals are padded but never rounded away (``1.5`` in ``0.00`` → ``1.50``); dates and
    times follow the format's tokens; a number no date can hold, and anything unusual, falls back
    to the General rendering (15 significant digits)."""
    if not math.isfinite(number):
        return "NaN" if math.isnan(number) else ("-∞" if number < 0 else "∞")
    cls = format_class(code)
    if cls == DATE:
        when = serial_datetime(number)
        return float_text(number) if when is None else _date_text(when, code)
    if cls == DURATION:
        if abs(number) >= _MAX_DURATION_DAYS:
            return float_text(number)
        return _duration_text(number, code)
    if cls == PERCENT:
        if abs(number) >= 1e15 or (number != 0 and abs(number) < 1e-15):
            return float_text(number * 100) + "%"
        value = Decimal(repr(number)).scaleb(2).normalize()
        return _plain(value) + "%"
    if cls == NUMBER:
        return _number_text(number, code)
    return float_text(number)


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def _number_text(number: float, code: str) -> str:
    section = code.split(";")
    use = section[1] if number < 0 and len(section) > 1 else section[0]
    bare = _BRACKET.sub("", _QUOTED.sub("", use))
    if "E" in bare.upper() or "?" in bare or "/" in bare or abs(number) >= 1e15:
        return float_text(number)
    decimals = len(re.findall(r"0", bare.split(".", 1)[1])) if "." in bare else 0
    value = Decimal(repr(number))
    # the value's own decimals, without the ".0" repr gives a whole float (50.0 in "0" shows 50)
    exponent = value.normalize().as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    places = max(decimals, min(own, 15))
    grouped = "," in bare.split(".", 1)[0]
    text = f"{abs(value):,.{places}f}" if grouped else f"{abs(value):.{places}f}"
    # a negative section shows its own sign (or brackets) as literal text; one section gets "-"
    negative = number < 0 and len(section) == 1
    prefix, suffix = _literals(use)
    return prefix + ("-" if negative else "") + text + suffix


_PLACEHOLDER = re.compile(r"[0#?.,]")


def _literals(section: str) -> tuple[str, str]:
    """The literal text a number section prints before and after its digits (``-``, ``(…)``,
    ``"¥"``, ``\\-``), colours, conditions, padding (``_x``) and fill (``*x``) dropped."""
    parts: list[tuple[bool, str]] = []  # (is_placeholder, text)
    pos = 0
    while pos < len(section):
        char = section[pos]
        if char == '"':
            end = section.find('"', pos + 1)
            end = len(section) if end < 0 else end
            parts.append((False, section[pos + 1:end]))
            pos = end + 1
        elif char == "\\" and pos + 1 < len(section):
            parts.append((False, section[pos + 1]))
            pos += 2
        elif char in "_*" and pos + 1 < len(section):
            pos += 2  # alignment padding and fill: no text of their own
        elif char == "[":
            end = section.find("]", pos)
            pos = len(section) if end < 0 else end + 1
        elif _PLACEHOLDER.match(char):
            parts.append((True, char))
            pos += 1
        else:
            parts.append((False, char))
            pos += 1
    marks = [i for i, (placeholder, _) in enumerate(parts) if placeholder]
    if not marks:
        return "", ""
    prefix = "".join(text for _, text in parts[:marks[0]])
    suffix = "".join(text for _, text in parts[marks[-1] + 1:])
    return prefix, suffix


def _duration_text(days: float, code: str) -> str:
    seconds = round(abs(days) * 86400)
    sign = "-" if days < 0 else ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    first = _QUOTED.sub("", code.split(";", 1)[0]).lower()
    if "s" not in first:
        return f"{sign}{hours}:{minutes:02d}"
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"|\\(?P<escaped>.)|\[(?P<bracket>[^\]]*)\]|(?P<ampm>AM/PM|A/P|上午/下午)'
    r"|(?P<code>y+|m+|d+|h+|s+|e+)|(?P<other>.)",
    re.IGNORECASE | re.DOTALL,
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@lru_cache(maxsize=256)
def _date_tokens(code: str) -> tuple[tuple[str, str], ...]:
    first = code.split(";", 1)[0]
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(first):
        kind = match.lastgroup or "other"
        text = match.group(kind) or ""
        if kind == "code":
            text = text.lower()
        tokens.append((kind, text))
    # "m" is minutes right after an hour or right before seconds, else the month
    codes = [i for i, (k, _) in enumerate(tokens) if k == "code"]
    for n, i in enumerate(codes):
        text = tokens[i][1]
        if text[0] != "m" or len(text) > 2:
            continue
        before = tokens[codes[n - 1]][1][0] if n > 0 else ""
        after = tokens[codes[n + 1]][1][0] if n + 1 < len(codes) else ""
        if before == "h" or after == "s":
            tokens[i] = ("minute", text)
    return tuple(tokens)


def _date_text(when: dt.datetime, code: str) -> str:
    tokens = _date_tokens(code)
    twelve = any(kind == "ampm" for kind, _ in tokens)
    out: list[str] = []
    for kind, text in tokens:
        if kind in ("quoted", "escaped", "other"):
            out.append(text)
        elif kind == "bracket":
            continue  # locale, colour, condition
        elif kind == "ampm":
            morning = when.hour < 12
            if text.startswith("上"):
                out.append("上午" if morning else "下午")
            elif len(text) == 3:
                out.append("A" if morning else "P")
            else:
                out.append("AM" if morning else "PM")
        elif kind == "minute":
            out.append(f"{when.minute:02d}" if len(text) == 2 else str(when.minute))
        elif text[0] in ("y", "e"):
            out.append(f"{when.year % 100:02d}" if len(text) <= 2 and text[0] == "y" else str(when.year))
        elif text[0] == "m":
            out.append(_MONTHS[when.month - 1] if len(text) >= 3 else
                       f"{when.month:02d}" if len(text) == 2 else str(when.month))
        elif text[0] == "d":
            out.append(_DAYS[when.weekday()] if len(text) >= 3 else
                       f"{when.day:02d}" if len(text) == 2 else str(when.day))
        elif text[0] == "h":
            hour = when.hour % 12 or 12 if twelve else when.hour
            out.append(f"{hour:02d}" if len(text) >= 2 else str(hour))
        elif text[0] == "s":
            out.append(f"{when.second:02d}" if len(text) >= 2 else str(when.second))
    return "".join(out).strip()
