"""Limits on one typed cell (length, pattern), each in one object with both of its faces.

A spec says ``max_length: 200`` or ``pattern: '^\\d{8}P[0-9A-Z]{12}$'`` once. The planner turns
that into one of these objects and hangs it on the input cell (``Input.limits``); then

* ``excel(ref)`` is the condition the template's data validation checks (STOP alert), and
* ``refuses(subject)`` is what the reader's checks report on a returned workbook.

Both faces look at the same text: :meth:`Pattern.normalize` (Python) and
:meth:`Pattern.excel_text` (an Excel expression) apply the same clean-up the value parsers apply
to codes and phones (full-width to half-width, spaces removed, upper case for codes).

Excel's data validation has no regular expressions, so a pattern is translated into a formula.
The translator accepts a documented subset (docs/specs.md, "Patterns"), enough for codes and
phone numbers: a full match (``^…$``), top-level alternatives ``a|b|c`` (optionally wrapped in
one group), and in each alternative a sequence of atoms (a literal character, ``\\d``, a class
``[0-9A-Z]``) each with an optional bounded quantifier (``{n}``, ``{n,m}``, ``?``). Every
alternative is expanded into fixed "shapes" (a set of allowed characters per position), only the
last atom of a shape may vary in length. The spec loader refuses any other pattern with its
line (:func:`pattern_problem`), so a template never ships a pattern Excel cannot check.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .values._core import clean_text, fold

#: most shapes one pattern may expand into (each becomes a branch of the Excel formula)
MAX_SHAPES = 32
#: most characters one position may allow (a class like [0-9A-Z] has 36)
MAX_SET = 128
#: the longest text a pattern may describe
MAX_PATTERN_LENGTH = 64

DIGITS = "0123456789"


class PatternError(ValueError):
    """The pattern is outside the subset that can be checked by an Excel formula."""


@dataclass(frozen=True)
class Shape:
    """One fixed alternative: ``runs`` of (allowed characters, count); the last may vary."""

    runs: tuple[tuple[str, int], ...]
    last: tuple[str, int, int]          # (allowed, min count, max count)

    @property
    def min_length(self) -> int:
        return sum(n for _, n in self.runs) + self.last[1]

    @property
    def max_length(self) -> int:
        return sum(n for _, n in self.runs) + self.last[2]

    def matches(self, text: str) -> bool:
        """What the Excel formula of this shape computes, evaluated in Python (for the tests)."""
        if not self.min_length <= len(text) <= self.max_length:
            return False
        pos = 0
        for allowed, count in self.runs:
            if any(ch not in allowed for ch in text[pos:pos + count]):
                return False
            pos += count
        return all(ch in self.last[0] for ch in text[pos:])


# --- parsing the subset ------------------------------------------------------------------------

_QUANT = re.compile(r"\{(\d+)(?:,(\d+))?\}|\?")


def _class_chars(body: str) -> str:
    chars: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            if i + 1 >= len(body):
                raise PatternError("字符类以反斜杠结尾")
            nxt = body[i + 1]
            if nxt == "d":
                chars.extend(DIGITS)
            elif nxt.isalnum():
                raise PatternError(f"字符类中不支持 \\{nxt}")
            else:
                chars.append(nxt)
            i += 2
            continue
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = ch, body[i + 2]
            if ord(hi) < ord(lo) or ord(hi) - ord(lo) > MAX_SET:
                raise PatternError(f"范围 {lo}-{hi} 有误")
            chars.extend(chr(c) for c in range(ord(lo), ord(hi) + 1))
            i += 3
            continue
        chars.append(ch)
        i += 1
    out = "".join(dict.fromkeys(chars))
    if not out:
        raise PatternError("空的字符类")
    if len(out) > MAX_SET:
        raise PatternError(f"字符类超过{MAX_SET}个字符")
    return out


def _atoms(branch: str) -> list[tuple[str, int, int]]:
    """``[(allowed characters, min, max), …]`` of one alternative."""
    atoms: list[tuple[str, int, int]] = []
    i = 0
    while i < len(branch):
        ch = branch[i]
        if ch == "\\":
            if i + 1 >= len(branch):
                raise PatternError("以反斜杠结尾")
            nxt = branch[i + 1]
            if nxt == "d":
                allowed = DIGITS
            elif nxt.isalnum():
                raise PatternError(f"不支持 \\{nxt}（只支持 \\d 和转义的标点）")
            else:
                allowed = nxt
            i += 2
        elif ch == "[":
            end = branch.find("]", i + 2 if branch[i + 1:i + 2] == "]" else i + 1)
            if end < 0:
                raise PatternError("字符类 [ 没有闭合")
            body = branch[i + 1:end]
            if body.startswith("^"):
                raise PatternError("不支持取反的字符类 [^…]")
            allowed = _class_chars(body)
            i = end + 1
        elif ch in "()|.*+{}^$":
            raise PatternError(f"不支持“{ch}”（分组、.、*、+ 无法用 Excel 公式检查），"
                               "请用 | 把各种写法逐一列出")
        else:
            allowed = ch
            i += 1
        low = high = 1
        quant = _QUANT.match(branch, i)
        if quant is not None:
            if quant.group(0) == "?":
                low, high = 0, 1
            else:
                low = int(quant.group(1))
                high = int(quant.group(2)) if quant.group(2) is not None else low
            if high < low or high > MAX_PATTERN_LENGTH:
                raise PatternError(f"次数 {quant.group(0)} 有误")
            i = quant.end()
        atoms.append((allowed, low, high))
    if not atoms:
        raise PatternError("空的分支")
    return atoms


def _branches(pattern: str) -> list[str]:
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    for opener in ("(?:", "("):
        if body.startswith(opener) and body.endswith(")") and _closes_at_end(body, len(opener)):
            body = body[len(opener):-1]
            break
    parts: list[str] = []
    depth = 0
    current = ""
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            current += body[i:i + 2]
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        if ch == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
        i += 1
    parts.append(current)
    return parts


def _closes_at_end(body: str, start: int) -> bool:
    depth = 1
    i = start
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(body) - 1
        i += 1
    return False


@lru_cache(maxsize=256)
def shapes(pattern: str) -> tuple[Shape, ...]:
    """The fixed shapes a pattern expands into; :class:`PatternError` outside the subset."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise PatternError(f"正则表达式有误：{exc}") from None
    out: list[Shape] = []
    for branch in _branches(pattern):
        atoms = _atoms(branch)
        *head, last = atoms
        choices = [range(lo, hi + 1) for _, lo, hi in head]
        for counts in itertools.product(*choices):
            runs: list[tuple[str, int]] = []
            for (allowed, _, _), n in zip(head, counts, strict=True):
                if n == 0:
                    continue
                if runs and runs[-1][0] == allowed:
                    runs[-1] = (allowed, runs[-1][1] + n)
                else:
                    runs.append((allowed, n))
            shape = Shape(tuple(runs), last)
            if shape.max_length > MAX_PATTERN_LENGTH:
                raise PatternError(f"描述的文字超过{MAX_PATTERN_LENGTH}个字符")
            if shape not in out:
                out.append(shape)
            if len(out) > MAX_SHAPES:
                raise PatternError(f"展开后超过{MAX_SHAPES}种写法")
    return tuple(out)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be both faces of a rule (None: it can). Used by the spec loader."""
    try:
        shapes(pattern)
    except PatternError as exc:
        return f"pattern 无法转换为 Excel 校验公式：{exc}"
    return None


# --- the limits ----------------------------------------------------------------------------------

def _excel_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class TextLength:
    """Between ``low`` and ``high`` characters (of the cleaned text)."""

    high: int
    low: int = 0
    code: str = "text_too_long"

    def excel(self, ref: str) -> str:
        if self.low == self.high:
            return f"LEN({ref})={self.high}"
        if self.low:
            return f"AND(LEN({ref})>={self.low},LEN({ref})<={self.high})"
        return f"LEN({ref})<={self.high}"

    def refuses(self, subject: object) -> bool:
        text = _text(subject)
        return text is not None and not self.low <= len(text) <= self.high

    def message(self, label: str, subject: object) -> str:
        n = len(_text(subject) or "")
        if n > self.high:
            return f"“{label}”超过{self.high}字（实际{n}字）"
        want = f"{self.high}" if self.low == self.high else f"{self.low}-{self.high}"
        return f"“{label}”应为{want}个字符（实际{n}个）"


def _text(subject: object) -> str | None:
    # the reader hands over the parsed value when it is text (codes come back upper-cased,
    # zero-padded), else the raw cell value; numbers read as Excel shows them
    text = clean_text(subject)
    return text if isinstance(text, str) else None


@dataclass(frozen=True)
class Pattern:
    """The whole (normalized) text matches ``regex``; see the module docstring for the subset."""

    regex: str
    hint: str
    #: characters removed before matching (both faces): spaces people type inside codes
    remove: str = " "
    upper: bool = False
    code: str = "pattern_mismatch"

    def normalize(self, subject: object) -> str | None:
        """The text both faces match: cleaned, half-width, ``remove`` dropped, maybe upper case."""
        text = _text(subject)
        if text is None:
            return None
        text = fold(text)
        for ch in self.remove:
            # a space stands for every kind of white space (tabs, NBSP, U+3000 after fold)
            text = "".join(text.split()) if ch == " " else text.replace(ch, "")
        return text.upper() if self.upper else text

    def refuses(self, subject: object) -> bool:
        text = self.normalize(subject)
        return text is not None and _compiled(self.regex).fullmatch(text) is None

    def message(self, label: str, subject: object) -> str:
        shown = _text(subject) or ""
        if len(shown) > 40:  # never quote a whole long text back
            shown = shown[:40] + "…"
        return f"“{label}”“{shown}”格式不正确，应为{self.hint}"

    # --- Excel face ------------------------------------------------------------------------------
    def excel_text(self, ref: str) -> str:
        """The same normalization as an Excel expression (ASC: full-width to half-width)."""
        expr = f"ASC({ref})"
        for ch in self.remove:
            expr = f"SUBSTITUTE({expr},{_excel_string(ch)},\"\")"
        return f"UPPER({expr})" if self.upper else expr

    def excel(self, text: str, rows_sheet: str) -> str:
        """A formula that is TRUE when the expression ``text`` matches.

        ``rows_sheet`` is the quoted name of a sheet whose ``ROW($p:$q)`` gives positions (any
        sheet: only the row numbers are used). The formula is long: it goes into a defined name
        (Excel keeps validation formulas to 255 characters; a name holds 8,192).
        """
        branches = [self._shape_formula(shape, text, rows_sheet) for shape in shapes(self.regex)]
        return branches[0] if len(branches) == 1 else "OR(" + ",".join(branches) + ")"

    @staticmethod
    def _shape_formula(shape: Shape, text: str, rows_sheet: str) -> str:
        lo, hi = shape.min_length, shape.max_length
        terms = [f"LEN({text})={lo}" if lo == hi else f"LEN({text})>={lo},LEN({text})<={hi}"]
        pos = 1
        runs = [(allowed, n, n) for allowed, n in shape.runs] + [shape.last]
        for allowed, low, high in runs:
            if high == 0:
                continue
            end = pos + high - 1
            mid = f"MID({text},{pos},1)" if pos == end else f"MID({text},ROW({rows_sheet}!${pos}:${end}),1)"
            if low == high:
                chars = _excel_string(allowed)
            else:
                # a variable last run: past the end of a shorter text MID() gives "", which
                # must count as matched (the LEN terms bound the length). FIND("",…) is 1 in
                # Excel but an error in LibreOffice, so search "c|" in "0|1|2|…|" instead.
                mid = f'{mid}&"|"'
                chars = _excel_string("".join(ch + "|" for ch in allowed))
            if pos == end:
                terms.append(f"ISNUMBER(FIND({mid},{chars}))")
            else:
                terms.append(f"SUMPRODUCT(--ISNUMBER(FIND({mid},{chars})))={high}")
            pos = end + 1
        return "AND(" + ",".join(terms) + ")"


@lru_cache(maxsize=256)
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


CellLimit = TextLength | Pattern


# --- percentages typed as 25 or 25% ----------------------------------------------------------------

def percent_excel(ref: str) -> str:
    """The number a percent cell means, as an Excel expression: 25 for ``25``, ``25%``, ``２５％``.

    Percent cells are Text-formatted, so every program stores what was typed; a number that got
    in anyway (pasted with its format) counts by what it shows: 0.25 shown as 25% is 25. An
    unreadable text gives #VALUE! (callers wrap it).
    """
    return (f'IF(ISNUMBER({ref}),IF(LEFT(CELL("format",{ref}),1)="P",{ref}*100,{ref}),'
            f'VALUE(SUBSTITUTE(ASC({ref}),"%","")))')


def percent_number(text: str) -> Decimal | None:
    """What :func:`percent_excel` computes for a text, in Python: ``"25%"`` → 25 (None: not a number)."""
    folded = "".join(fold(text).split()).replace("%", "")
    try:
        value = Decimal(folded)
    except (InvalidOperation, ValueError):
        return None
    # a hostile text (1e999999) is no percentage: never let a sum over it overflow
    return value if value.is_finite() and -15 <= value.adjusted() <= 15 else None


def percent_typed_excel(ref: str) -> str:
    """The number a typed percent means (validation: typing into a Text cell gives text)."""
    return f'VALUE(SUBSTITUTE(ASC({ref}),"%",""))'
