"""The cells the layout plan needs, streamed out of the sheet XML: nothing else is kept.

One expat pass over each needed sheet keeps only the planned cells, located by their ``r=``
reference (or by position where ``r=`` is missing, as the format allows), and the sheet's data
validation ranges. Shared strings are then read only up to the highest index a kept cell uses, and
styles.xml gives each kept cell its number format and ``locked`` flag.

Nothing here allocates by what a file claims: a cell at XFD1048576, a row of 16,384 cells, a
``uniqueCount`` of 2**64-1 or a reference outside the grid cost what their bytes cost, and the
number of cell and row elements is counted against ``Limits.max_cells_per_sheet``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from operator import itemgetter
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from ..values._display import format_code
from ._limits import workbook_error
from ._scan import Found, Outside, _well_formed, located, parse_alone, scan
from ._xml import XmlForbidden, _check_prolog, expat_parser
from ._zip import Package

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_XM = "http://schemas.microsoft.com/office/excel/2006/main}"
MAX_ROWS = 1_048_576
MAX_COLS = 16_384
#: Excel's limit on the text of one cell; longer text cannot come from a spreadsheet
MAX_TEXT = 32_767
#: data validation ranges looked at per sheet, and characters of one sqref
MAX_VALIDATION_RANGES = 2_000
_MAX_SQREF = 65_536
#: cell formats (cellXfs) kept; Excel itself allows about 64,000
MAX_STYLES = 65_536

_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")

# cell types (RawCell.type)
SHARED_STRING = "shared_string"
INLINE_STRING = "inline_string"
STRING = "string"          # a formula's text result (t="str")
NUMBER = "number"
BOOLEAN = "boolean"
ERROR = "error"
ISO_DATE = "iso_date"      # t="d": an ISO 8601 text, rare
BLANK = "blank"            # the cell element exists (formatted) but holds no value
TEXT_TYPES = frozenset({SHARED_STRING, INLINE_STRING, STRING})


class RawCell:
    """One planned cell as stored: its value, type, number format and protection."""

    __slots__ = ("formula", "locked", "number_format", "style", "type", "value")

    def __init__(self, type_: str, value: Any, style: int, formula: bool) -> None:
        self.type = type_
        #: str for strings and errors, float for numbers, bool for booleans, None when blank
        self.value = value
        self.style = style
        self.formula = formula
        self.number_format = "General"
        self.locked = True

    def __repr__(self) -> str:
        return (f"RawCell({self.type}, {self.value!r}, fmt={self.number_format!r}, "
                f"locked={self.locked}, formula={self.formula})")


_REFS: dict[str, tuple[int, int] | None] = {}
_REFS_MAX = 100_000


def parse_cell_ref(ref: str) -> tuple[int, int] | None:
    """0-based (row, col) of an A1 reference inside the grid, else None (memoised: every return
    of a form uses the same few hundred references)."""
    try:
        return _REFS[ref]
    except KeyError:
        pass
    where = _parse_cell_ref(ref)
    if len(_REFS) < _REFS_MAX and len(ref) < 12:
        _REFS[ref] = where
    return where


def _parse_cell_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.fullmatch(ref)
    if m is None:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    row = int(m.group(2))
    if col > MAX_COLS or row > MAX_ROWS:
        return None
    return row - 1, col - 1


def parse_range(text: str) -> tuple[int, int, int, int] | None:
    first, _, second = text.replace("$", "").partition(":")
    a = parse_cell_ref(first)
    b = parse_cell_ref(second) if second else a
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


class SheetCells:
    """What one pass over a sheet kept."""

    __slots__ = ("cells", "distinct", "has_validations", "validated")

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], RawCell] = {}
        #: every distinct cell object of ``cells`` once, when some are shared (else None)
        self.distinct: list[RawCell] | None = None
        #: the sheet has data validations at all
        self.has_validations = False
        #: the wanted cells that some data validation covers
        self.validated: AbstractSet[tuple[int, int]] = set()


def read_sheet(pkg: Package, part: str, wanted: Iterable[tuple[int, int]],
               refs: dict[bytes, tuple[int, int]] | None = None) -> SheetCells:
    """The cells in ``wanted`` ((row, col), 0-based) of sheet ``part``, and which of them carry a
    data validation. ``refs`` maps the A1 references of ``wanted`` to their positions.

    A sheet of at most :data:`TREE_MAX_TAGS` tags (every real form) is scanned in its bytes when
    ``refs`` is given and the scan can be exact (:mod:`._scan`), else parsed into a tree by the C
    parser, which is several times faster than Python handlers; a larger one is streamed. All
    give the same cells (tests run each on every case)."""
    want = wanted if isinstance(wanted, set | frozenset | dict) else set(wanted)
    data = pkg.read_part(part)
    # a part has no more tags than bytes: a small one need not be counted (a form's sheet is
    # 10-20 KB, far under either bound)
    tags = len(data) if len(data) <= min(TREE_MAX_TAGS, pkg.limits.max_cells_per_sheet) \
        else data.count(b"<")
    if tags <= TREE_MAX_TAGS:
        if refs is not None and SCAN and tags <= pkg.limits.max_cells_per_sheet:
            # (within the cell limit by its tags alone: the scan need not count elements)
            got = _from_scan(pkg, part, data, want, refs)
            if got is not None:
                return got
        return _from_tree(pkg, part, data, want)
    return _stream_sheet(pkg, part, data, want)


#: the byte scan of :mod:`._scan` is tried first (tests turn it off to compare)
SCAN = True


def _float(text: bytes) -> float | None:
    """float() of ASCII text, None for anything else (then the text's own path decides:
    float() of a str also takes full-width digits and Unicode spaces)."""
    try:
        return float(text)
    except ValueError:
        return None


def _from_scan(pkg: Package, part: str, data: bytes,
               want: set[tuple[int, int]] | frozenset[tuple[int, int]] | dict[Any, Any],
               refs: dict[bytes, tuple[int, int]]) -> SheetCells | None:
    _check_prolog(data, pkg.path, part)
    found = scan(data)
    if found is None:
        return None
    out = SheetCells()
    cells = out.cells
    tags = found.cells
    # the wanted cells' tags, looked up in C: a dict of every tag by its reference, then the
    # plan's references through it (~480 wanted of ~770 tags a file; only those reach Python)
    by_ref = dict(zip(map(_FIRST, tags), tags, strict=True))
    if len(by_ref) != len(tags):  # a reference twice: every wanted cell again, in order
        if not _from_located(data, found, refs, cells):
            return None
        out.distinct = list(cells.values())
        _validated(out, want, found.outside)
        return out
    # the cells to resolve (_reader._resolve): each blank cell of one style is one object, shared
    # by its places (~60 % of a form's planned cells are blank; they are never changed after)
    distinct: list[RawCell] = []
    blanks: dict[bytes, RawCell] = {}
    for where, tag in zip(refs.values(), map(by_ref.get, refs), strict=True):
        if tag is None:
            continue
        _ref, style, type_, empty, close, formula, value_open, text = tag
        # the usual cells built here, as _tree_cell and _finish would build them
        if value_open and text:
            if type_ == b"s" and len(text) < 11 and text.isdigit():
                cell = RawCell(SHARED_STRING, int(text), int(style) if style else 0,
                               bool(formula))
            elif type_ == b"str":  # a formula's text: a live title
                cell = RawCell(STRING, text.decode("utf-8")[:MAX_TEXT],
                               int(style) if style else 0, bool(formula))
            elif not type_ and len(text) < 400 and (number := _float(text)) is not None:
                cell = RawCell(NUMBER, number, int(style) if style else 0, bool(formula))
            else:
                # anything else: every wanted cell again, in order, as the tree reads them
                if not _from_located(data, found, refs, cells):
                    return None
                distinct = list(cells.values())
                break
            cells[where] = cell
            distinct.append(cell)
        elif formula:
            cells[where] = cell = RawCell(BLANK, None, int(style) if style else 0, True)
            distinct.append(cell)
        elif value_open or empty or close:
            cell = blanks.get(style)  # type: ignore[assignment]
            if cell is None:
                cell = blanks[style] = RawCell(BLANK, None, int(style) if style else 0, False)
                distinct.append(cell)
            cells[where] = cell
        else:
            if not _from_located(data, found, refs, cells):
                return None
            distinct = list(cells.values())
            break
    out.distinct = distinct
    _validated(out, want, found.outside)
    return out


_FIRST = itemgetter(0)


def _from_located(data: bytes, found: Found, refs: dict[bytes, tuple[int, int]],
                  cells: dict[tuple[int, int], RawCell]) -> bool:
    items = located(data, found, refs)
    if items is None:
        return False
    cells.clear()
    for where, style, type_, kind, text, alone in items:
        if alone is not None:
            element = parse_alone(alone)
            if element is None:
                return False
            cells[where] = _tree_cell(element)
            continue
        cell = RawCell(type_.decode() if type_ else "n", None, int(style) if style else 0, False)
        if kind == b"<v>":
            _finish(cell, text.decode("utf-8"))
        else:
            cell.type = BLANK
        cells[where] = cell
    return True


def _validated(out: SheetCells, want: Any, outside: Outside) -> None:
    hit = outside.covered.get(id(want))
    if hit is None or hit[0] is not want:
        # the same validations for every return of a template: worked out once per plan
        ranges: list[tuple[int, int, int, int]] = []
        for sqref in outside.sqrefs:
            _add_ranges(ranges, sqref)
        covered = frozenset(_covered(want, ranges)) if ranges and want else frozenset()
        hit = (want, covered, bool(ranges))
        if isinstance(want, frozenset) and len(outside.covered) < 64:
            outside.covered[id(want)] = hit  # (the plan keeps want alive: its id stays its own)
    out.validated, out.has_validations = hit[1], hit[2]


def _stream_sheet(pkg: Package, part: str, data: bytes,
                  want: set[tuple[int, int]] | frozenset[tuple[int, int]] | dict[Any, Any]
                  ) -> SheetCells:
    limit = pkg.limits.max_cells_per_sheet
    out = SheetCells()
    cells = out.cells
    ranges: list[tuple[int, int, int, int]] = []
    c_tag, v_tag, row_tag = NS_MAIN + "c", NS_MAIN + "v", NS_MAIN + "row"
    f_tag, t_tag, rph_tag = NS_MAIN + "f", NS_MAIN + "t", NS_MAIN + "rPh"
    dv_tag, xm_sqref = NS_MAIN + "dataValidation", NS_XM + "sqref"
    x14_dv = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}dataValidation"
    # [row, col, elements, capturing cell, text parts, in <v>/<t>, rPh depth, sqref capture]
    state: list[Any] = [-1, -1, 0, None, [], False, 0, None]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == c_tag:
            state[2] += 1
            if state[2] > limit:
                raise workbook_error("too_many_cells", path=pkg.path, limit=limit, detail=part)
            ref = attrs.get("r")
            if ref is None:
                if state[0] < 0:
                    state[0] = 0
                state[1] += 1
                where: tuple[int, int] | None = (state[0], state[1])
            else:
                where = parse_cell_ref(ref)
                if where is not None:
                    state[0], state[1] = where
            if where is None or where not in want:
                return
            style = attrs.get("s")
            cell = RawCell(attrs.get("t") or "n", None,
                           int(style) if style is not None and style.isdigit() and len(style) < 7
                           else 0, False)
            cells[where] = cell
            state[3] = cell
            state[4] = []
        elif tag == row_tag:
            state[2] += 1
            if state[2] > limit:
                raise workbook_error("too_many_cells", path=pkg.path, limit=limit, detail=part)
            ref = attrs.get("r")
            if ref is not None and ref.isdigit() and 0 < len(ref) < 8 and int(ref) <= MAX_ROWS:
                state[0] = int(ref) - 1
            else:
                state[0] += 1
            state[1] = -1
        elif state[3] is not None:
            if tag == v_tag or (tag == t_tag and state[6] == 0):
                state[5] = True
            elif tag == f_tag:
                state[3].formula = True
            elif tag == rph_tag:
                state[6] += 1
        elif tag == dv_tag:
            sqref = attrs.get("sqref")
            if sqref:
                _add_ranges(ranges, sqref)
        elif tag == xm_sqref:
            state[7] = []
        elif tag == x14_dv:
            sqref = attrs.get("sqref")
            if sqref:
                _add_ranges(ranges, sqref)

    def end(tag: str) -> None:
        if tag == c_tag:
            cell = state[3]
            if cell is not None:
                _finish(cell, "".join(state[4]))
                state[3] = None
        elif state[3] is not None:
            if tag in (v_tag, t_tag):
                state[5] = False
            elif tag == rph_tag:
                state[6] -= 1
        elif tag == xm_sqref and state[7] is not None:
            _add_ranges(ranges, "".join(state[7]))
            state[7] = None

    def text(data: str) -> None:
        if state[5]:
            state[4].append(data)
        elif state[7] is not None:
            state[7].append(data)

    _run(pkg, part, data, start, end, text)
    out.has_validations = bool(ranges)
    if ranges and want:
        out.validated = _covered(want, ranges)
    return out


def _finish(cell: RawCell, text: str) -> None:
    if not text:  # no value, whatever the type says: an empty string is a blank cell too
        cell.type = BLANK
        return
    kind = cell.type
    if kind == "n":
        try:
            cell.value = float(text) if len(text) < 400 else float("nan")
        except ValueError:
            cell.type, cell.value = ERROR, text[:64]
            return
        cell.type = NUMBER
    elif kind == "s":
        cell.type = SHARED_STRING
        cell.value = int(text) if text.isdigit() and len(text) < 11 else -1
    elif kind == "inlineStr":
        cell.type, cell.value = INLINE_STRING, text[:MAX_TEXT]
    elif kind == "str":
        cell.type, cell.value = STRING, text[:MAX_TEXT]
    elif kind == "b":
        cell.type, cell.value = BOOLEAN, text.strip() in ("1", "true")
    elif kind == "e":
        cell.type, cell.value = ERROR, text[:64]
    elif kind == "d":
        cell.type, cell.value = ISO_DATE, text[:64]
    else:
        cell.type, cell.value = STRING, text[:MAX_TEXT]


def _add_ranges(ranges: list[tuple[int, int, int, int]], sqref: str) -> None:
    for piece in sqref[:_MAX_SQREF].split():
        if len(ranges) >= MAX_VALIDATION_RANGES:
            return
        box = parse_range(piece)
        if box is not None:
            ranges.append(box)


def _covered(want: Iterable[tuple[int, int]], ranges: list[tuple[int, int, int, int]]
             ) -> set[tuple[int, int]]:
    wanted = list(want)
    covered: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in ranges:
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= 64:  # the usual: one cell or one table column
            covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
                           if (r, c) in want)
            continue
        for where in wanted:
            if r1 <= where[0] <= r2 and c1 <= where[1] <= c2:
                covered.add(where)
    return covered


#: sheets with at most this many tags are parsed into a tree (a form has a few hundred to a few
#: thousand); a tree of 50,000 elements costs about 15 MB, so the bound also bounds its memory
TREE_MAX_TAGS = 50_000
_X14_DV = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}dataValidation"


def _from_tree(pkg: Package, part: str, data: bytes,
               want: set[tuple[int, int]] | frozenset[tuple[int, int]] | dict[Any, Any]
               ) -> SheetCells:
    # The prolog check refuses any DTD before the root; a DTD after it is not well-formed XML,
    # and without a DTD there is no entity to expand: the C parser is then as safe as expat with
    # refusing handlers.
    _check_prolog(data, pkg.path, part)
    parser = ElementTree.XMLParser()
    try:
        parser.feed(data)
        root = parser.close()
    except ElementTree.ParseError as exc:
        raise workbook_error("xml_malformed", path=pkg.path, detail=f"{part}: {exc}") from None
    except (ValueError, LookupError, UnicodeError) as exc:
        raise workbook_error("xml_malformed", path=pkg.path,
                             detail=f"{part}: {type(exc).__name__}") from None
    ns = "{" + NS_MAIN
    out = SheetCells()
    sheet_data = root.find(ns + "sheetData")
    # Every program writes r= on every cell: then the wanted cells are found by their reference
    # alone, each cell costing one attribute read and one dict lookup. A cell without r= (allowed
    # by the format) sends the sheet through the positional walk.
    if sheet_data is not None and not _by_reference(sheet_data, want, out, pkg, part):
        out.cells.clear()
        _by_position(sheet_data, want, out, pkg, part)
    ranges: list[tuple[int, int, int, int]] = []
    for dv in root.iter(ns + "dataValidation"):
        sqref = dv.get("sqref")
        if sqref:
            _add_ranges(ranges, sqref)
    for dv in root.iter(_X14_DV):
        sqref = dv.get("sqref")
        if sqref:
            _add_ranges(ranges, sqref)
    for sq in root.iter("{" + NS_XM + "sqref"):
        if sq.text:
            _add_ranges(ranges, sq.text)
    out.has_validations = bool(ranges)
    if ranges and want:
        out.validated = _covered(want, ranges)
    return out


_NS = "{" + NS_MAIN
_C, _ROW, _V, _F, _IS, _T = (_NS + tag for tag in ("c", "row", "v", "f", "is", "t"))
_R = _NS + "r"


def _by_reference(sheet_data: ElementTree.Element, want: Any, out: SheetCells, pkg: Package,
                  part: str) -> bool:
    """Keep the wanted cells, located by their r= reference; False if a cell has none."""
    cells = out.cells
    limit = pkg.limits.max_cells_per_sheet
    count = 0
    for c in sheet_data.iter(_C):
        count += 1
        ref = c.get("r")
        if ref is None:
            return False
        where = parse_cell_ref(ref)
        if where is not None and where in want:
            cells[where] = _tree_cell(c)
    rows = len(sheet_data)
    if count + rows > limit:
        raise workbook_error("too_many_cells", path=pkg.path, limit=limit, detail=part)
    return True


def _by_position(sheet_data: ElementTree.Element, want: Any, out: SheetCells, pkg: Package,
                 part: str) -> None:
    """Keep the wanted cells, located by r= where present and by position elsewhere."""
    cells = out.cells
    limit = pkg.limits.max_cells_per_sheet
    count = 0
    row_index = -1
    for row in sheet_data:
        if row.tag != _ROW:
            continue
        count += 1
        ref = row.get("r")
        if ref is not None and ref.isdigit() and 0 < len(ref) < 8 and int(ref) <= MAX_ROWS:
            row_index = int(ref) - 1
        else:
            row_index += 1
        col = -1
        for c in row:
            if c.tag != _C:
                continue
            count += 1
            if count > limit:
                raise workbook_error("too_many_cells", path=pkg.path, limit=limit, detail=part)
            ref = c.get("r")
            if ref is None:
                col += 1
                where: tuple[int, int] | None = (max(row_index, 0), col)
            else:
                where = parse_cell_ref(ref)
                if where is not None:
                    row_index, col = where
            if where is not None and where in want:
                cells[where] = _tree_cell(c)


def _tree_cell(c: ElementTree.Element) -> RawCell:
    style = c.get("s")
    index = int(style) if style is not None and style.isdigit() and len(style) < 7 else 0
    if not len(c):  # a formatted empty cell: most input cells of a form
        return RawCell(BLANK, None, index, False)
    cell = RawCell(c.get("t") or "n", None, index, False)
    parts: list[str] = []
    for child in c:
        tag = child.tag
        if tag == _V:
            parts.append(child.text or "")
        elif tag == _F:
            cell.formula = True
        elif tag == _IS:
            for piece in child:
                if piece.tag == _T:
                    parts.append(piece.text or "")
                elif piece.tag == _R:
                    parts.extend(t.text or "" for t in piece.iter(_T))
    _finish(cell, "".join(parts))
    return cell


class _Stop(Exception):
    """Raised from a handler to stop parsing once everything needed was read."""


def read_shared_strings(pkg: Package, part: str | None, needed: set[int]) -> dict[int, str]:
    """The shared strings at the indices in ``needed``, read no further than the highest one.

    The part's ``count`` and ``uniqueCount`` are never used: they are claims."""
    if not needed or part is None or pkg.find(part) is None:
        return {}
    data = pkg.read_part(part)
    _check_prolog(data, pkg.path, part)
    if SCAN:
        got = _strings_from_scan(data, needed)
        if got is not None:
            return got
    last = max(needed)
    si_tag, t_tag, rph_tag = NS_MAIN + "si", NS_MAIN + "t", NS_MAIN + "rPh"
    out: dict[int, str] = {}
    # [index, capturing, in <t>, rPh depth, parts]
    state: list[Any] = [-1, False, False, 0, []]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == si_tag:
            state[0] += 1
            state[1] = state[0] in needed
            state[4] = []
        elif tag == t_tag and state[1] and state[3] == 0:
            state[2] = True
        elif tag == rph_tag:
            state[3] += 1

    def end(tag: str) -> None:
        if tag == si_tag:
            if state[1]:
                out[state[0]] = "".join(state[4])[:MAX_TEXT]
            if state[0] >= last:
                raise _Stop
            state[1] = False
        elif tag == t_tag:
            state[2] = False
        elif tag == rph_tag:
            state[3] -= 1

    def text(data: str) -> None:
        if state[2]:
            state[4].append(data)

    _run(pkg, part, data, start, end, text)
    return out


#: a shared strings part of plain items only: the root as every program writes it, then
#: ``<si><t>text</t></si>`` (``xml:space`` allowed) and nothing else
_SST_HEAD = re.compile(rb'(?:<\?xml version="1\.0" encoding="UTF-8"(?: standalone="yes")?\?>\r?\n?)?'
                       rb'<sst xmlns="http://schemas\.openxmlformats\.org/spreadsheetml/2006/main"'
                       rb'(?: count="[0-9]{1,10}")?(?: uniqueCount="[0-9]{1,10}")?>')
_SST_BODY = re.compile(rb'(?:<si><t(?: xml:space="preserve")?>[^<]*</t></si>)*</sst>')
_SST_TEXT = re.compile(r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')


def _strings_from_scan(data: bytes, needed: set[int]) -> dict[int, str] | None:
    """The needed shared strings of a part of plain items, found in its bytes; None when the part
    is anything else (rich text, phonetic runs, an entity or CR, another namespace layout, not
    well-formed): then the handler parser reads it, which gives the same strings (tests compare
    both). The grammar leaves no other element, comment or declaration; expat (no handlers, all
    C) proves the part well-formed, which also makes it valid UTF-8."""
    head = _SST_HEAD.match(data)
    if head is None or _SST_BODY.fullmatch(data, head.end()) is None \
            or data.find(b"&") >= 0 or data.find(b"\r", head.end()) >= 0 or not _well_formed(data):
        return None  # (XML decodes entities and line ends: the parser's business)
    texts = _SST_TEXT.findall(data[head.end():].decode("utf-8"))
    count = len(texts)
    return {index: texts[index][:MAX_TEXT] for index in needed if 0 <= index < count}


class Styles:
    """Number format code and locked flag of every cell format (cellXfs), by index."""

    __slots__ = ("formats", "locked")

    def __init__(self) -> None:
        self.formats: list[str] = []
        self.locked: list[bool] = []

    def format(self, index: int) -> str:
        return self.formats[index] if 0 <= index < len(self.formats) else "General"

    def is_locked(self, index: int) -> bool:
        return self.locked[index] if 0 <= index < len(self.locked) else True


#: styles.xml by its bytes: the same for every return of a template (and for every resave by one
#: program), so parsed once per process
_STYLES: dict[bytes, Styles] = {}


def read_styles(pkg: Package, part: str | None) -> Styles:
    if part is None or pkg.find(part) is None:
        return Styles()
    data = pkg.read_part(part)
    hit = _STYLES.get(data)
    if hit is None:
        hit = _parse_styles(pkg, part, data)
        if len(_STYLES) < 64 and len(data) < 2**20:
            _STYLES[data] = hit
    return hit


def _parse_styles(pkg: Package, part: str, data: bytes) -> Styles:
    styles = Styles()
    custom: dict[int, str] = {}
    ids: list[int] = []
    xfs_tag, xf_tag, prot_tag = NS_MAIN + "cellXfs", NS_MAIN + "xf", NS_MAIN + "protection"
    fmt_tag = NS_MAIN + "numFmt"
    # [inside cellXfs]
    state = [False]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == xf_tag and state[0]:
            if len(ids) < MAX_STYLES:
                ids.append(_small_int(attrs.get("numFmtId")))
                styles.locked.append(True)
        elif tag == prot_tag and state[0] and len(ids) <= MAX_STYLES and styles.locked:
            locked = attrs.get("locked")
            styles.locked[-1] = locked not in ("0", "false")
        elif tag == xfs_tag:
            state[0] = True
        elif tag == fmt_tag and len(custom) < MAX_STYLES:
            custom[_small_int(attrs.get("numFmtId"))] = (attrs.get("formatCode") or "")[:255]

    def end(tag: str) -> None:
        if tag == xfs_tag:
            state[0] = False

    _run(pkg, part, data, start, end, None)
    styles.formats = [format_code(i, custom) for i in ids]
    return styles


def _small_int(text: str | None) -> int:
    return int(text) if text is not None and text.isdigit() and len(text) < 7 else 0


def _run(pkg: Package, part: str, data: bytes, start: Any, end: Any, text: Any) -> None:
    _check_prolog(data, pkg.path, part)
    try:
        expat_parser(data, start, end, text)
    except _Stop:
        return
    except XmlForbidden:
        raise workbook_error("xml_forbidden", path=pkg.path, detail=part) from None
    except expat.ExpatError as exc:
        raise workbook_error("xml_malformed", path=pkg.path, detail=f"{part}: {exc}") from None
    except (ValueError, LookupError, UnicodeError) as exc:  # expat on odd encodings
        raise workbook_error("xml_malformed", path=pkg.path,
                             detail=f"{part}: {type(exc).__name__}") from None
