"""The shared ground of the value parsers: the result type, text cleaning, markers, codes.

Every parser follows one pattern: turn the raw cell value into a ``Parsed`` and never raise.
Whatever a reader hands over (calamine, openpyxl, a test) is either understood or reported with a
stable ``problem`` code; a department's typo must become a finding, not a traceback.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Generic, TypeVar

T = TypeVar("T")

#: Marker values (``Parsed.marker``).
REDACTED: Final = "redacted"
NOT_APPLICABLE: Final = "not_applicable"

#: Every ``Parsed.problem`` a parser can return. Pinned by a test: consumers map them to messages.
PROBLEM_CODES: Final = frozenset({
    "unsupported_type",   # the reader handed over something that is not a cell value
    "not_a_number",
    "not_an_integer",
    "out_of_range",       # an integer or a date serial beyond what a form can mean
    "not_a_date",
    "incomplete_date",
    "invalid_date",
    "bad_phone",
    "not_a_code",
    "code_mangled",       # Excel turned a code into a number in scientific notation, a date or a time
})

#: Every ``Parsed.notes`` entry a parser can return (parsed, but worth a warning).
NOTE_CODES: Final = frozenset({
    "too_long",
    "unit_yuan",          # a money figure was given in 元 and converted to 万元
    "unit_wan",           # a money figure for a 元 cell was given in 万元 and converted to 元
    "precision",          # money with more than two decimals (in 万元)
    "negative",
    "out_of_range",       # a percent outside 0..100
    "zero_padded",        # leading zeros lost by a General cell were put back
    "wrong_length",       # a code that does not have the expected number of digits
    "fractional",         # a code cell held a fractional number
    "spaces_removed",     # a code had spaces inside
    "time_ignored",       # a date carried a time of day, dropped
    "date_cell",          # an indicator value came back as a date (Excel converted the typing)
})


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """One raw cell value, read.

    ``value`` is None when the cell is blank, holds a marker, or could not be parsed (then
    ``problem`` says why). ``notes`` flag things worth a warning although the value was parsed.
    """

    value: T | None
    raw: object | None
    marker: str | None = None
    problem: str | None = None
    notes: tuple[str, ...] = ()

    def __init__(self, value: T | None, raw: object | None, marker: str | None = None,
                 problem: str | None = None, notes: tuple[str, ...] = ()) -> None:
        # one per filled cell of every return: five item stores into the instance dict cost
        # less than half of one keyword update (a dict built for the call), a fifth of the five
        # object.__setattr__ calls of the generated frozen __init__ (still frozen afterwards)
        fields = self.__dict__
        fields["value"] = value
        fields["raw"] = raw
        fields["marker"] = marker
        fields["problem"] = problem
        fields["notes"] = notes

    @property
    def blank(self) -> bool:
        """True when the cell was left empty: None, '' or only invisible/space characters."""
        if self.marker is not None or self.value is not None:
            return False  # (a parser gives a value only for a cell that held something)
        raw = self.raw
        if raw is None:
            return True
        return isinstance(raw, str) and not _clean_str(raw)


# -- text cleaning -------------------------------------------------------------------------------

# Invisible characters that come from copy-pasting out of Word, web pages and WeChat. They carry
# no meaning in these forms and break every comparison, so they go everywhere, not just at the ends.
_ZERO_WIDTH: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"))
# (str.translate looks every character up in a dict: ~150 ns a CJK character, the largest cost
# of reading a text; a regex finds that there is nothing to remove at a few ns a character)
_ZERO_WIDTH_RE: Final = re.compile("[" + "".join(map(chr, _ZERO_WIDTH)) + "]")


def _clean_str(text: str) -> str:
    # str.strip() without arguments already covers NBSP, U+3000 and the other Unicode spaces.
    if _ZERO_WIDTH_RE.search(text) is not None:
        text = _ZERO_WIDTH_RE.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def _fold_table() -> dict[int, int]:
    # Position-preserving (one char to one char) so that a match in the folded text can slice the
    # original: the indicator parser keeps prefixes exactly as typed.
    table = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    for space in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"\
                 "\u200a\u202f\u205f\u3000":
        table[ord(space)] = ord(" ")
    pairs = {
        "≧": "≥", "⩾": "≥", "≦": "≤", "⩽": "≤",
        "﹤": "<", "﹥": ">", "﹦": "=", "﹪": "%", "﹢": "+", "﹣": "-", "−": "-",
        "〇": "0",
    }
    for src, dst in pairs.items():
        table[ord(src)] = ord(dst)
    return table


#: Full-width ASCII → ASCII, odd spaces → space, variant comparison signs → canonical.
FOLD: Final = _fold_table()
#: any character FOLD changes (most texts have none: then the text is its own fold)
_FOLDED_RE: Final = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(FOLD)) + "]")


def fold(text: str) -> str:
    """Half-width, canonical-sign copy of ``text`` with the same length."""
    return text.translate(FOLD) if _FOLDED_RE.search(text) is not None else text


# -- turning any raw value into text ---------------------------------------------------------------

class _Unsupported:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSUPPORTED"


#: Sentinel for raw values no cell can hold (bytes, arbitrary objects, NaN, absurd integers).
UNSUPPORTED: Final = _Unsupported()

# Python 3.11 refuses to print ints above 4300 digits; nothing that big is a cell value.
_MAX_INT_BITS: Final = 3000
# Plain notation for a Decimal with a larger exponent would be a megabyte of zeros.
_MAX_PLAIN_EXPONENT: Final = 40


def float_text(number: float) -> str:
    """The text Excel shows for a float: 15 significant digits, plain notation, no '.0'."""
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return decimal_text(Decimal(format(number, ".15g")))


def decimal_text(number: Decimal) -> str:
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -_MAX_PLAIN_EXPONENT < exponent < _MAX_PLAIN_EXPONENT:
        return format(number, "f")
    return str(number)


def _timedelta_text(delta: dt.timedelta) -> str:
    # Duration-formatted cells ([h]:mm:ss) come back as timedelta; show them the way Excel does.
    seconds = delta.days * 86400 + delta.seconds
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def as_text(raw: object) -> str | None | _Unsupported:
    """Cleaned text of any raw value; None when blank; UNSUPPORTED when no cell holds such a thing."""
    if isinstance(raw, str):
        return _clean_str(raw) or None
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, int):
        return str(raw) if raw.bit_length() <= _MAX_INT_BITS else UNSUPPORTED
    if isinstance(raw, float):
        return float_text(raw) if math.isfinite(raw) else UNSUPPORTED
    if isinstance(raw, Decimal):
        return decimal_text(raw) if raw.is_finite() else UNSUPPORTED
    if isinstance(raw, dt.datetime):
        if raw.time() == dt.time(0) and raw.tzinfo is None:
            return raw.date().isoformat()
        return raw.isoformat(sep=" ")
    if isinstance(raw, dt.date | dt.time):
        return raw.isoformat()
    if isinstance(raw, dt.timedelta):
        return _timedelta_text(raw)
    return UNSUPPORTED


def clean_text(raw: object) -> str | None:
    """Cleaned text of a raw cell value, or None when blank (or not a cell value at all).

    Trims spaces, tabs, newlines, NBSP and U+3000 at the ends, removes zero-width characters
    everywhere, turns CRLF/CR into LF and keeps internal newlines. Numbers read as Excel shows them
    (``224002.0`` → ``"224002"``, ``9.6`` → ``"9.6"``), dates as ISO, booleans as TRUE/FALSE.
    """
    if type(raw) is str:  # (as_text's first case, without the call: the checks ask often)
        return _clean_str(raw) or None
    text = as_text(raw)
    return text if isinstance(text, str) else None


# -- markers --------------------------------------------------------------------------------------

_REDACTED_RE: Final = re.compile(r"[(\[【〔]?涉密[)\]】〕]?")
# Only runs of ellipsis/dash characters and a lone slash: people use them to say "nothing here".
# 无, 0 and 不适用 are real answers (or belong to a check), never markers.
_NOT_APPLICABLE_RE: Final = re.compile(
    r"[…⋯]+|\.{2,}|。{2,}|[·・]{3,}|[-‐‑‒–—―─━]+|/|\\"
)


def detect_marker(raw: object) -> str | None:
    """Which marker a cell holds: ``"redacted"``, ``"not_applicable"`` or None.

    Compared after cleaning, folding full-width forms and removing all inner whitespace.

    ``"redacted"``: ``涉密``, also in brackets: ``（涉密）``, ``(涉密)``, ``【涉密】``, ``〔涉密〕``.

    ``"not_applicable"`` (the whole cell is one of):

    - ellipses: ``…`` / ``……`` / ``⋯`` (any run), ``...`` (two or more dots), ``。。。`` (two or
      more), ``···`` / ``・・・`` (three or more middle dots);
    - dashes: any run of ``-`` ``－`` ``‐`` ``‑`` ``‒`` ``–`` ``—`` ``―`` ``─`` ``━`` (so ``——``, ``—``
      and a lone ``-``);
    - a lone ``/`` (or ``／``, ``\\``).

    Not markers: ``无`` (a real answer), ``0``, ``不适用``, ``N/A``; they are left to the value.
    """
    text = as_text(raw)
    return marker_of(text) if isinstance(text, str) else None


# Every marker starts with one of these (full-width forms included): a cheap test that lets
# ordinary text skip the folding below.
_MARKER_START: Final = frozenset("涉(（[［【〔…⋯.．。·・-－‐‑‒–—―─━/／\\＼")


def marker_of(text: str) -> str | None:
    """Marker of already cleaned, non-empty text."""
    if text[0] not in _MARKER_START or len(text) > 40:
        return None
    compact = "".join(fold(text).split())
    if _REDACTED_RE.fullmatch(compact):
        return REDACTED
    if _NOT_APPLICABLE_RE.fullmatch(compact):
        return NOT_APPLICABLE
    return None


def text_prelude(raw: object) -> str | Parsed[Any]:
    """Shared start of every parser: the cleaned text, or the finished Parsed for blank/marker/junk."""
    text = as_text(raw)
    if text is None:
        return Parsed(None, raw)
    if isinstance(text, _Unsupported):
        return Parsed(None, raw, problem="unsupported_type")
    marker = marker_of(text)
    if marker is not None:
        return Parsed(None, raw, marker=marker)
    return text


def decimal_or_none(text: str) -> Decimal | None:
    """Decimal of a validated numeral; None when the exponent is beyond what Decimal holds."""
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None
