"""The planned cells of a sheet found in its bytes, without building a tree of its elements.

Building the C tree of a 16 KB sheet costs more than all the reading done with it: one Python
object per element, ~560 per sheet. This module finds the wanted cells by their ``r=`` references
in the bytes of ``sheetData`` instead, after expat (without handlers, all in C) has proved the
part well-formed. What makes a byte scan exact, and is checked before it is trusted:

* the part is well-formed XML (expat with namespaces, like the tree parser): what is outside
  ``sheetData`` (the same bytes in every return of a template) is parsed once as a document
  with an empty ``sheetData``, and ``sheetData``'s content on each read, inside a ``sheetData``
  tag that declares the root's namespaces, which is what well-formedness asks of it there.
  The usual content — plain row tags holding plain cells, nothing else — is proved well-formed
  by its grammar instead, in the same pass of the cell expression that finds the cells
  (:func:`_tiled`); anything else goes through the guards below and expat;
* no comment, CDATA section, DTD or processing instruction anywhere (``<!`` nowhere, ``<?`` only
  as the XML declaration): then every ``<`` begins a tag, since well-formed XML has no ``<`` in
  text or in an attribute value;
* the part is UTF-8, every namespace is declared on the root element, the main namespace is the
  default and bound to no prefix: then an unprefixed name in the bytes is in the main namespace
  and a prefixed one is not;
* ``sheetData`` is a child of the root, and the only one;
* every ``c`` tag in it reads ``<c r="A1"`` with at most ``s=`` and ``t=`` after, all plain
  (no entity, no odd spacing): the count of such tags equals the count of ``<c`` tags;
* a cell whose content is more than one plain ``<v>`` (a formula, an inline string, an entity)
  is parsed on its own by the tree parser, as the tree path would read it.

Everything outside ``sheetData`` (namespaces, validations, page setup) is the same for every
return of a template, so its analysis is remembered by its bytes. Anything unexpected returns
``None`` and the sheet goes through the tree path in :mod:`._cells`, which gives the same cells
(tests compare both on the corpus, the hostile files and mutations).
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

NS_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_X14 = b"http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
NS_XM = b"http://schemas.microsoft.com/office/excel/2006/main"

_NAME = rb"[^\s=/<>\"']+"
_ATTRS = rb"(?:\s+" + _NAME + rb"\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
#: any start, end or empty tag: (end slash, name, attributes, empty slash)
_TAG = re.compile(rb"<(/?)(" + _NAME + rb")(" + _ATTRS + rb")\s*(/?)>")
_ATTR = re.compile(rb"\s+(" + _NAME + rb")\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_DECL = re.compile(rb"<\?xml(" + _ATTRS + rb")\s*\?>")
#: a plain cell: ref, style, type, then "/" (empty), "</c>" (no content), or a formula (its
#: text unused: only that there is one) and/or "<v>" and its text. A ">" inside an attribute
#: of <f> cannot fool it: what follows must be "<v>" or "</c>", and no "<" stands in a value.
_CELL = re.compile(rb'<c r="([A-Z]{1,3}[1-9][0-9]{0,6})"(?: s="([0-9]{1,6})")?(?: t="([a-zA-Z]{1,9})")?'
                   rb"(?:(/)>|>(?:(</c>)|(<f>[^<]*</f>|<f\s[^<>]*/>|<f\s[^<>]*>[^<]*</f>)?"
                   rb"(?:(<v>)([^<&\r]*)</v>)?</c>)?)")
#: The same groups, for complete cells of a strict form only: empty, closed at once, or a
#: formula without attributes and/or a value, whose texts hold no "]]>" and, in a formula, no
#: "&" but the predefined entities (a value has none at all, as above). The cells
#: :func:`_tiled` proves well-formed; any other cell is not matched at all.
_VALUE_TEXT = rb"[^<&\r\]]*(?:\](?!\]>)[^<&\r\]]*)*"
_FORMULA_TEXT = rb"[^<&\]]*(?:(?:&(?:amp|lt|gt|quot|apos);|\](?!\]>))[^<&\]]*)*"
_CELL_WHOLE = re.compile(rb'<c r="([A-Z]{1,3}[1-9][0-9]{0,6})"(?: s="([0-9]{1,6})")?'
                         rb'(?: t="([a-zA-Z]{1,9})")?(?:(/)>|>(?:(</c>)|(<f>' + _FORMULA_TEXT
                         + rb"</f>)?(?:(<v>)(" + _VALUE_TEXT + rb")</v>)?</c>))")
_ANY_CELL = re.compile(rb"<c[\s/>]")
#: characters XML decodes or normalises in an attribute value or text
_RAW_UNSAFE = re.compile(rb"[&\r\t\n]")
_TEXT_UNSAFE = re.compile(rb"[&\r]")
#: words that must not occur inside sheetData for its scan to be exact
_NOT_IN_DATA = (b"<!", b"<?", b"xmlns", b"dataValidation", b"sqref", b"<sheetData")

class Outside:
    """What the part outside ``sheetData`` allows: a scan at all, and the validation ranges."""

    __slots__ = ("covered", "ok", "sqrefs", "wrapper")

    def __init__(self, ok: bool, sqrefs: list[str], wrapper: bytes = b"") -> None:
        self.ok = ok
        self.sqrefs = sqrefs
        #: a sheetData start tag declaring the root's namespaces: sheetData's content between
        #: it and its end tag is well-formed exactly when it is so in its part
        self.wrapper = wrapper
        #: id of a plan's wanted cells -> (those cells, the ones a validation covers)
        self.covered: dict[int, tuple[object, frozenset[tuple[int, int]], bool]] = {}


#: the part without sheetData's content -> its analysis (the same for every return of a template)
_OUTSIDE: dict[bytes, Outside] = {}


class Found:
    """A successful scan: every cell tag of sheetData as (ref, s, t, "/" when empty, "</c>"
    when closed at once, its formula element if any, "<v>" when one plain value follows, its
    text) — a cell with none of these has other content, see :func:`located` — and what is
    outside sheetData."""

    __slots__ = ("cells", "end", "outside", "start")

    def __init__(self, cells: list[tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes]],
                 start: int, end: int, outside: Outside) -> None:
        self.cells = cells
        self.start = start
        self.end = end
        self.outside = outside


def scan(data: bytes) -> Found | None:
    """The cell tags of the sheet in ``data``, or None: use the tree path."""
    start = data.find(b"<sheetData")
    if start < 0:
        return None
    head = _TAG.match(data, start)
    if head is None or head.group(2) != b"sheetData" or head.group(1):
        return None
    content_start = head.end()
    if head.group(4):  # <sheetData/>
        content_end = content_start
    else:
        content_end = data.find(b"</sheetData>", content_start)
        if content_end < 0:
            return None
    outside_bytes = data[:content_start] + data[content_end:]
    outside = _OUTSIDE.get(outside_bytes)
    if outside is None:
        outside = _outside(outside_bytes, content_start)
        if len(_OUTSIDE) >= 256:
            _OUTSIDE.clear()
        if len(outside_bytes) < 2**20:
            _OUTSIDE[outside_bytes] = outside
    if not outside.ok:
        return None
    content = data[content_start:content_end]
    # One pass of the cell expression over sheetData's content gives the cells and what lies
    # between them; when that is only plain row tags and the characters are all XML allows,
    # the content is well-formed by its grammar alone (see _tiled). Anything else: the guards,
    # the tag count and expat below, as before.
    pieces = _CELL_WHOLE.split(content)
    if _tiled(content, pieces, outside):
        cells = list(zip(*(pieces[i::9] for i in range(1, 9)), strict=True))
        return Found(cells, content_start, content_end, outside)
    for word in _NOT_IN_DATA:
        if content.find(word) >= 0:
            return None
    cells = _CELL.findall(content)
    # every cell must read <c r="…" (s, t): any other, or one without r=, means the tree path.
    # (Every "<" begins a tag here: when there are no more "<c" than plain cells, every tag
    # beginning so is one; else the cell tags are counted exactly.)
    if len(cells) != content.count(b"<c") and len(cells) != len(_ANY_CELL.findall(content)):
        return None
    # the part is well-formed when what is outside sheetData is (checked once, with it) and
    # sheetData's content is, in the namespaces of the root: only the content is parsed here
    if content and not _well_formed(outside.wrapper + content + b"</sheetData>"):
        return None
    return Found(cells, content_start, content_end, outside)


#: a row tag as spreadsheet programs write it: CT_Row's attributes, each at most once, in the
#: schema's order, plain values (no "<", "&" or quote); then Excel's x14ac:dyDescent
_ROW_ATTRS = (rb'(?: r="[0-9]{1,7}")?(?: spans="[0-9: ]{0,64}")?(?: s="[0-9]{1,6}")?'
              rb'(?: customFormat="(?:0|1|true|false)")?(?: ht="[0-9.eE+-]{1,24}")?'
              rb'(?: hidden="(?:0|1|true|false)")?(?: customHeight="(?:0|1|true|false)")?'
              rb'(?: outlineLevel="[0-9]{1,2}")?(?: collapsed="(?:0|1|true|false)")?'
              rb'(?: thickTop="(?:0|1|true|false)")?(?: thickBot="(?:0|1|true|false)")?'
              rb'(?: ph="(?:0|1|true|false)")?')
#: sheetData's content with each plain cell replaced by NUL: rows only, cells only inside them
_ROWS = re.compile(rb"(?:<row" + _ROW_ATTRS + rb"(?:/>|>\x00*</row>))*")
#: the same where the root declares the x14ac prefix (Excel's files)
_ROWS_X14AC = re.compile(rb"(?:<row" + _ROW_ATTRS + rb'(?: x14ac:dyDescent="[0-9.eE+-]{1,24}")?'
                         rb"(?:/>|>\x00*</row>))*")
#: bytes XML 1.0 never allows (C0 controls but tab, LF and CR); U+FFFE and U+FFFF are below
_NOT_XML = bytes(set(range(32)) - {9, 10, 13})


def _tiled(content: bytes, pieces: list[Any], outside: Outside) -> bool:
    """Whether sheetData's content is exactly rows of plain cells, well-formed by construction.

    ``pieces`` is ``_CELL_WHOLE.split(content)``: the text between cells at every 9th place.
    When that text, with a NUL for each cell, reads as plain row tags (:data:`_ROWS`), every
    element in sheetData is a ``row`` or a cell of the ``_CELL_WHOLE`` grammar: tags balanced, no
    attribute twice, no comment, CDATA, processing instruction or declaration, no namespace
    declared, no entity but the predefined ones, no "]]>" in text, no prefix but a declared one.
    What the grammar leaves is the characters of the texts (the tags are ASCII by the grammar):
    valid UTF-8 and none that XML 1.0 excludes. The formulas' and values' texts are checked
    joined by LF, which no multi-byte sequence can run across. Tests compare this with expat
    on every odd and broken sheet they have."""
    rows = _ROWS_X14AC if b' xmlns:x14ac="' in outside.wrapper else _ROWS
    between = b"\x00".join(pieces[::9])
    if between.count(b"\x00") != len(pieces) // 9 or rows.fullmatch(between) is None:
        return False  # (a NUL of the file's own, between tags, would pass for a cell)
    texts = b"\n".join(filter(None, pieces[6::9] + pieces[8::9]))
    if len(texts.translate(None, _NOT_XML)) != len(texts):
        return False
    try:
        text = texts.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\ufffe" not in text and "\uffff" not in text


def located(data: bytes, found: Found, refs: dict[bytes, tuple[int, int]]
            ) -> list[tuple[tuple[int, int], bytes, bytes, bytes, bytes, bytes | None]] | None:
    """The wanted cells in document order as (where, s, t, kind, value text, the cell's bytes
    when it has other content than one plain value, for the tree parser)."""
    cells: list[tuple[tuple[int, int], bytes, bytes, bytes, bytes, bytes | None]] = []
    for match in _CELL.finditer(data, found.start, found.end):
        ref, style, type_, empty, close, formula, value_open, text = match.groups()
        where = refs.get(ref)
        if where is None:
            continue
        if formula:  # the tree parser reads it (a formula's flag and value)
            cells.append((where, b"", b"", b"", b"", match.group()))
        elif value_open:
            cells.append((where, style, type_, b"<v>", text, None))
        elif empty or close:
            cells.append((where, style, type_, b"/", b"", None))
        else:
            close_at = data.find(b"</c>", match.end(), found.end)
            if close_at < 0:
                return None
            cells.append((where, b"", b"", b"", b"", data[match.start():close_at + 4]))
    return cells


def _well_formed(data: bytes) -> bool:
    parser = expat.ParserCreate(namespace_separator="}")
    try:
        parser.Parse(data, True)
    except Exception:  # noqa: BLE001 - any failure: the tree path gives the verdict
        return False
    return True


def _attrs(text: bytes) -> dict[bytes, bytes]:
    return {name: double if double or not single else single
            for name, double, single in _ATTR.findall(text)}


def _outside(data: bytes, content_at: int) -> Outside:
    """The part with sheetData emptied (its tags kept, at ``content_at``)."""
    no = Outside(False, [])
    if b"<!" in data or data.count(b"<sheetData") != 1:
        return no
    position = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    pis = data.count(b"<?")
    if pis:
        decl = _DECL.match(data, position)
        if pis > 1 or decl is None:
            return no  # a processing instruction
        encoding = _attrs(decl.group(1)).get(b"encoding")
        if encoding is not None and encoding.lower() not in (b"utf-8", b"utf8"):
            return no
        position = decl.end()
    tags = list(_TAG.finditer(data, position))
    if len(tags) != data.count(b"<", position) or not tags or data[position:tags[0].start()].strip():
        return no  # something that does not read as a tag, or text before the root
    root = tags[0]
    if root.group(1) or root.group(4):
        return no
    spaces: dict[bytes, bytes] = {}
    for name, value in _attrs(root.group(3)).items():
        if name == b"xmlns" or name.startswith(b"xmlns:"):
            if _RAW_UNSAFE.search(value):
                return no
            spaces[name] = value
    if spaces.get(b"xmlns") != NS_MAIN or any(
            value == NS_MAIN for name, value in spaces.items() if name != b"xmlns"):
        return no
    if data.find(b"xmlns", root.end()) >= 0:
        return no  # a namespace declared below the root
    depth = 0
    for tag in tags[1:]:
        if tag.start() >= content_at:
            return no
        if tag.group(2) == b"sheetData":
            if depth != 0:
                return no  # not a child of the root
            break
        if tag.group(1):
            depth -= 1
        elif not tag.group(4):
            depth += 1
    x14, xm = _prefixes(spaces, NS_X14), _prefixes(spaces, NS_XM)
    if len(x14) > 1 or len(xm) > 1:
        return no
    sqrefs: list[str] = []
    # the tree path's order: main data validations, x14 ones, then x14's xm:sqref texts
    for names in ((b"dataValidation",), tuple(p + b"dataValidation" for p in x14)):
        for tag in tags:
            if tag.group(2) in names and not tag.group(1):
                value = _attrs(tag.group(3)).get(b"sqref", b"")
                if value:
                    if _RAW_UNSAFE.search(value):
                        return no
                    sqrefs.append(value.decode("utf-8", "replace"))
    for prefix in xm:
        for tag in tags:
            if tag.group(2) == prefix + b"sqref" and not tag.group(1) and not tag.group(4):
                text = data[tag.end():data.find(b"<", tag.end())]
                if _TEXT_UNSAFE.search(text):
                    return no
                if text:
                    sqrefs.append(text.decode("utf-8", "replace"))
    if any(b'"' in value for value in spaces.values()) or not _well_formed(data):
        return no
    wrapper = b"<sheetData" + b"".join(b" " + name + b'="' + value + b'"'
                                       for name, value in spaces.items()) + b">"
    return Outside(True, sqrefs, wrapper)


def _prefixes(spaces: dict[bytes, bytes], uri: bytes) -> tuple[bytes, ...]:
    return tuple(name[6:] + b":" for name, value in spaces.items()
                 if value == uri and name.startswith(b"xmlns:"))


def parse_alone(cell: bytes) -> ElementTree.Element | None:
    """One cell element parsed by the tree parser, in the main namespace (None: it needs more
    of the document, such as a prefix declared on the root)."""
    wrapped = b'<c xmlns="' + NS_MAIN + b'"' + cell[2:]  # the cell starts with '<c r="'
    try:
        return ElementTree.fromstring(wrapped)
    except (ElementTree.ParseError, ValueError, LookupError, UnicodeError):
        return None
