"""Returns as real programs save them: the reader must not care.

Each test takes a clean generated return and rewrites its XML the way some program does (WPS's
wrong dimension, inline strings, a hidden sheet made visible, formulas with and without cached
values, LibreOffice's unquoted names), then checks the same data comes back.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from forms import CLEAN, rewrite, write_fill

from xltargets.read import read_workbook

P = "项目1"


@pytest.fixture
def clean_return(tmp_path) -> Path:
    return write_fill("hebei-county", CLEAN["hebei-county"][0](), tmp_path / "r.xlsx")


def _same_as_clean(path: Path) -> dict:
    sub = read_workbook(path)
    assert [f.code for f in sub.findings] == [], [f.message for f in sub.findings]
    project = sub.to_json()["projects"][0]
    assert project["budget_total"] == "50.00" and project["budget_other"] == "4.50"
    assert project["indicators"][0]["value"]["text"] == "≥90%"
    return project


@pytest.mark.parametrize("dimension", ['<dimension ref="A1:A1"/>', '<dimension ref="A1:XFD1048576"/>', ""])
def test_wrong_or_missing_dimension(clean_return, dimension):
    def change(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet"):
            return re.sub(rb"<dimension [^>]*/>", dimension.encode(), data)
        return data

    _same_as_clean(rewrite(clean_return, change))


def test_inline_strings_instead_of_shared(clean_return):
    z = zipfile.ZipFile(clean_return)
    shared = re.findall(rb"<si>(.*?)</si>", z.read("xl/sharedStrings.xml"), flags=re.S)
    z.close()

    def change(name: str, data: bytes) -> bytes:
        if not name.startswith("xl/worksheets/sheet"):
            return data

        def inline(m: re.Match[bytes]) -> bytes:
            attrs, index = m.group(1).replace(b' t="s"', b""), int(m.group(2))
            return b'<c' + attrs + b' t="inlineStr"><is>' + shared[index] + b"</is></c>"

        return re.sub(rb'<c([^>]*? t="s"[^>]*)><v>(\d+)</v></c>', inline, data)

    _same_as_clean(rewrite(clean_return, change))


def test_hidden_lists_sheet_made_visible_and_very_hidden(clean_return):
    for state in (b"", b' state="veryHidden"'):
        def change(name: str, data: bytes, state: bytes = state) -> bytes:
            if name == "xl/workbook.xml":
                return data.replace(b' state="hidden"', state)
            return data

        _same_as_clean(rewrite(clean_return, change))


def test_unquoted_sheet_names_in_defined_names(clean_return):
    """LibreOffice writes 项目1!$C$4 where XlsxWriter wrote '项目1'!$C$4."""
    def change(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return re.sub(rb"'([^'!]+)'!", rb"\1!", data)
        return data

    _same_as_clean(rewrite(clean_return, change))


def test_formula_with_cached_value_is_read_as_its_value(clean_return):
    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet2.xml":
            return re.sub(rb'<c r="G4"([^>]*)><v>[^<]*</v></c>',
                          rb'<c r="G4"\1><f>1.5+3</f><v>4.5</v></c>', data)
        return data

    project = _same_as_clean(rewrite(clean_return, change))
    assert project["budget_other"] == "4.50"


def test_formula_without_cached_value_is_reported_missing_not_invented(clean_return):
    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet2.xml":
            return re.sub(rb'<c r="E4"([^>]*)><v>[^<]*</v></c>', rb'<c r="E4"\1><f>40+5.5</f></c>', data)
        return data

    sub = read_workbook(rewrite(clean_return, change))
    codes = sorted((f.code, f.cell) for f in sub.findings)
    assert ("required_missing", "E4") in codes
    assert sub.to_json()["projects"][0]["budget_fiscal"] is None


def test_rows_moved_in_an_unprotected_copy_follow_the_names(clean_return):
    """Someone unprotected the sheet and inserted a row above the table: names moved with it."""
    def change(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return re.sub(rb"(localSheetId=\"1\" ?[^>]*>'?\xe9\xa1\xb9\xe7\x9b\xae1'?!\$[A-Z]+\$)(\d+)",
                          lambda m: m.group(1) + str(int(m.group(2)) + 100).encode(), data)
        return data

    # every name of 项目1 now points 100 rows lower, where nothing is: the reader must follow the
    # names (and so find blanks), not silently read the planned cells
    sub = read_workbook(rewrite(clean_return, change))
    assert any(f.code == "required_missing" and f.sheet == P for f in sub.findings)
