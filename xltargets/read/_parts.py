"""The small XML parts the reader needs besides cell values: sheets, defined names, stamp.

Sheets and defined names live in xl/workbook.xml (and where each sheet's part is, in its
relationships), the stamp in docProps/custom.xml: a few KB each, streamed through expat with DTDs
and entities refused. workbook.xml and its relationships are the same for every return of one
template: they are parsed once per process and remembered by their bytes.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from ..stamp import PROPERTY_PREFIX
from ._safety import Package, check_xml_prolog, resolve_target, workbook_error
from ._xml import XmlForbidden, expat_parser

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"

_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


@dataclass(frozen=True)
class NameRef:
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int


@dataclass
class WorkbookParts:
    sheets: list[tuple[str, str]] = field(default_factory=list)   # (name, state)
    #: (scope sheet name or None, name) -> reference text as stored (parse with parse_ref)
    names: dict[tuple[str | None, str], str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    structure_locked: bool = False
    #: sheet name -> its part (through the workbook's relationships)
    sheet_parts: dict[str, str] = field(default_factory=dict)
    shared_strings: str | None = None
    styles: str | None = None


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def parse_ref(text: str) -> NameRef | None:
    m = _REF.match(text.strip().lstrip("="))
    if m is None:
        return None
    sheet = (m.group(1) or "").replace("''", "'") or (m.group(2) or "")
    r1, c1 = int(m.group(4)) - 1, _col(m.group(3))
    if m.group(5):
        r2, c2 = int(m.group(6)) - 1, _col(m.group(5))
    else:
        r2, c2 = r1, c1
    return NameRef(sheet, r1, c1, r2, c2)


#: what workbook.xml and its relationships say, by their bytes: every return of one template (and
#: every template of one project count) has the same, so each is parsed once per process
_WORKBOOKS: dict[bytes, tuple[tuple[tuple[str, str], ...], dict[tuple[str | None, str], str], bool,
                              tuple[str, ...]]] = {}
_RELATIONS: dict[tuple[str, bytes], tuple[dict[str, str], dict[str, str]]] = {}
_MEMO_ENTRIES = 64
_MEMO_BYTES = 2**20


def workbook_parts(pkg: Package, workbook_part: str = "xl/workbook.xml") -> WorkbookParts:
    out = WorkbookParts()
    data = pkg.read_part(workbook_part)
    hit = _WORKBOOKS.get(data)
    if hit is None:
        hit = _workbook_xml(pkg, workbook_part, data)
        if len(_WORKBOOKS) < _MEMO_ENTRIES and len(data) < _MEMO_BYTES:
            _WORKBOOKS[data] = hit
    sheets, names, out.structure_locked, rids = hit
    out.sheets = list(sheets)
    out.names = dict(names)
    _relations(pkg, workbook_part, out, list(rids))
    if "docProps/custom.xml" in pkg.names:
        _custom_properties(pkg, out)
    return out


#: docProps/custom.xml by its bytes -> its properties (the stamp: the same in every return of a
#: template)
_PROPERTIES: dict[bytes, dict[str, str]] = {}


def _custom_properties(pkg: Package, out: WorkbookParts) -> None:
    data = pkg.read_part("docProps/custom.xml")
    hit = _PROPERTIES.get(data)
    if hit is None:
        _custom_xml(pkg, out, data)
        if len(_PROPERTIES) < _MEMO_ENTRIES and len(data) < _MEMO_BYTES:
            _PROPERTIES[data] = dict(out.properties)
    else:
        out.properties.update(hit)


def _custom_xml(pkg: Package, out: WorkbookParts, data: bytes) -> None:
    prop: dict[str, Any] = {"name": None, "buf": []}
    custom = NS_CUSTOM[1:]

    def pstart(tag: str, attrs: dict[str, str]) -> None:
        if tag == custom + "property":
            name = attrs.get("name", "")
            prop["name"] = name[len(PROPERTY_PREFIX):] if name.startswith(PROPERTY_PREFIX) else None
            prop["buf"] = []

    def pend(tag: str) -> None:
        if tag == custom + "property" and prop["name"] is not None:
            out.properties[prop["name"]] = "".join(prop["buf"])
            prop["name"] = None

    def ptext(data: str) -> None:
        if prop["name"] is not None:
            prop["buf"].append(data)

    _parse(pkg, "docProps/custom.xml", pstart, pend, ptext, data)


def _workbook_xml(pkg: Package, part: str, data: bytes
                  ) -> tuple[tuple[tuple[str, str], ...], dict[tuple[str | None, str], str], bool,
                             tuple[str, ...]]:
    sheets: list[tuple[str, str]] = []
    names: dict[tuple[str | None, str], str] = {}
    rids: list[str] = []
    locked = False
    state: dict[str, Any] = {"name": None, "buf": []}
    main = NS_MAIN[1:]

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal locked
        if tag == main + "sheet":
            sheets.append((attrs.get("name", ""), attrs.get("state", "visible")))
            rids.append(attrs.get(NS_REL[1:] + "id", ""))
        elif tag == main + "definedName":
            local = attrs.get("localSheetId")
            scope = None
            if local is not None and local.isdigit() and int(local) < len(sheets):
                scope = sheets[int(local)][0]
            state["name"] = (scope, attrs.get("name", ""))
            state["buf"] = []
        elif tag == main + "workbookProtection":
            locked = True

    def end(tag: str) -> None:
        if tag == main + "definedName" and state["name"] is not None:
            names[state["name"]] = "".join(state["buf"]).strip()
            state["name"] = None

    def text(chunk: str) -> None:
        if state["name"] is not None:
            state["buf"].append(chunk)

    _parse(pkg, part, start, end, text, data)
    return tuple(sheets), names, locked, tuple(rids)


def _parse(pkg: Package, part: str, start: Any, end: Any, text: Any,
           data: bytes | None = None) -> None:
    if data is None:
        data = pkg.read_part(part)
    check_xml_prolog(data)
    try:
        expat_parser(data, start, end, text)
    except XmlForbidden:
        raise workbook_error("xml_forbidden", path=pkg.path, detail=part) from None
    except expat.ExpatError as exc:
        raise workbook_error("xml_malformed", path=pkg.path, detail=f"{part}: {exc}") from None


_REL_TYPES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def _relations_xml(pkg: Package, workbook_part: str, rels_part: str, data: bytes,
                   targets: dict[str, str], kinds: dict[str, str]) -> None:
    rel_tag = "http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == rel_tag and (attrs.get("TargetMode") or "Internal") != "External" \
                and len(targets) < 100_000:
            target = resolve_target(workbook_part, attrs.get("Target") or "")
            targets[attrs.get("Id", "")] = target
            kind = (attrs.get("Type") or "").rsplit("/", 1)[-1]
            kinds.setdefault(kind, target)

    _parse(pkg, rels_part, start, None, None, data)


def _relations(pkg: Package, workbook_part: str, out: WorkbookParts, rids: list[str]) -> None:
    """Sheet parts, shared strings and styles through the workbook's relationships (the usual
    names where a relationship is missing)."""
    rels_part = posixpath.join(posixpath.dirname(workbook_part), "_rels",
                               posixpath.basename(workbook_part) + ".rels")
    targets: dict[str, str] = {}
    kinds: dict[str, str] = {}
    if pkg.find(rels_part) is not None:
        data = pkg.read_part(rels_part)
        hit = _RELATIONS.get((workbook_part, data))
        if hit is not None:
            targets, kinds = hit
        else:
            _relations_xml(pkg, workbook_part, rels_part, data, targets, kinds)
            if len(_RELATIONS) < _MEMO_ENTRIES and len(data) < _MEMO_BYTES:
                _RELATIONS[(workbook_part, data)] = (targets, kinds)
    base = posixpath.dirname(workbook_part)
    for index, ((name, _state), rid) in enumerate(zip(out.sheets, rids, strict=True)):
        part = targets.get(rid) or posixpath.join(base, f"worksheets/sheet{index + 1}.xml")
        found = pkg.find(part)
        if found is not None:
            out.sheet_parts[name] = found
    out.shared_strings = pkg.find(kinds.get("sharedStrings") or posixpath.join(base, "sharedStrings.xml"))
    out.styles = pkg.find(kinds.get("styles") or posixpath.join(base, "styles.xml"))
