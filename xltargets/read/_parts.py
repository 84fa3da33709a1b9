"""The small XML parts the reader needs besides cell values: sheets, defined names, stamp.

python-calamine reads values fast but exposes neither defined names nor document properties;
those live in xl/workbook.xml and docProps/custom.xml, a few KB each, parsed here with the
hardened parser of :mod:`._safety`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..stamp import PROPERTY_PREFIX
from ._safety import Package

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


def workbook_parts(pkg: Package, workbook_part: str = "xl/workbook.xml") -> WorkbookParts:
    out = WorkbookParts()
    root = pkg.read_xml(workbook_part)
    sheets_el = root.find(f"{NS_MAIN}sheets")
    if sheets_el is not None:
        for el in sheets_el.findall(f"{NS_MAIN}sheet"):
            out.sheets.append((el.get("name", ""), el.get("state", "visible")))
    out.structure_locked = root.find(f"{NS_MAIN}workbookProtection") is not None
    names_el = root.find(f"{NS_MAIN}definedNames")
    if names_el is not None:
        for el in names_el.findall(f"{NS_MAIN}definedName"):
            local = el.get("localSheetId")
            scope = None
            if local is not None and local.isdigit() and int(local) < len(out.sheets):
                scope = out.sheets[int(local)][0]
            out.names[(scope, el.get("name", ""))] = (el.text or "").strip()
    if "docProps/custom.xml" in pkg.names:
        croot = pkg.read_xml("docProps/custom.xml")
        for prop in croot.findall(f"{NS_CUSTOM}property"):
            name = prop.get("name", "")
            if not name.startswith(PROPERTY_PREFIX):
                continue
            value = "".join(child.text or "" for child in prop)
            out.properties[name[len(PROPERTY_PREFIX):]] = value
    return out
