"""sheetData proved well-formed by its grammar (xltargets/read/_scan._tiled) never says yes where
expat says no, and finds the very cells the cell expression finds: on real returns, on the ways
Excel, LibreOffice and XlsxWriter write rows, on targeted breakages and on random mutations."""

from __future__ import annotations

import random
import zipfile

import pytest
from forms import CLEAN, write_fill
from hypothesis import given, settings
from hypothesis import strategies as st

from xltargets.read import _scan

_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_X14AC = b"http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"


@pytest.fixture(scope="module")
def contents(tmp_path_factory) -> list[tuple[bytes, _scan.Outside]]:
    """sheetData's content and the outside analysis of every planned sheet of real returns."""
    folder = tmp_path_factory.mktemp("tiled")
    out = []
    for spec_id in sorted(CLEAN):
        path = write_fill(spec_id, CLEAN[spec_id][0](), folder / f"{spec_id}.xlsx", projects=2)
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    data = z.read(name)
                    found = _scan.scan(data)
                    if found is not None and found.end > found.start:
                        out.append((data[found.start:found.end], found.outside))
    assert len(out) >= 6
    return out


def _expat(content: bytes, outside: _scan.Outside) -> bool:
    return _scan._well_formed(outside.wrapper + content + b"</sheetData>")


def _verdict(content: bytes, outside: _scan.Outside) -> bool:
    return _scan._tiled(content, _scan._CELL_WHOLE.split(content), outside)


def _outside(x14ac: bool = False) -> _scan.Outside:
    spaces = b' xmlns="' + _MAIN + b'"' + (b' xmlns:x14ac="' + _X14AC + b'"' if x14ac else b"")
    return _scan.Outside(True, [], b"<sheetData" + spaces + b">")


def _normal(cells: list[tuple]) -> list[tuple]:
    return [tuple(group or b"" for group in cell) for cell in cells]


def test_real_returns_are_tiled_with_the_cells_of_the_expression(contents):
    for content, outside in contents:
        pieces = _scan._CELL_WHOLE.split(content)
        assert _scan._tiled(content, pieces, outside)
        assert _expat(content, outside)
        tiled = list(zip(*(pieces[i::9] for i in range(1, 9)), strict=True))
        assert _normal(tiled) == _normal(_scan._CELL.findall(content))


#: rows as programs write them: (content, x14ac declared, tiled expected)
_ROWS = {
    "xlsxwriter": (b'<row r="1" spans="1:8" ht="36" customHeight="1"><c r="A1" s="1" t="s"><v>0</v>'
                   b'</c><c r="B1" s="1"/></row>', False, True),
    "excel": (b'<row r="2" spans="1:6" x14ac:dyDescent="0.25"><c r="A2" s="3"><v>1.5</v></c>'
              b'<c r="B2" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row>', True, True),
    "libreoffice": (b'<row r="1" customFormat="false" ht="12.8" hidden="false" customHeight="false" '
                    b'outlineLevel="0" collapsed="false"><c r="A1" s="0" t="n"><v>7</v></c></row>',
                    False, True),
    "empty_rows": (b'<row r="1"/><row r="2"></row><row r="3"><c r="A3"></c></row>', False, True),
    "no_rows": (b"", False, True),
    "x14ac_undeclared": (b'<row r="2" x14ac:dyDescent="0.25"><c r="A2"/></row>', False, False),
    "attribute_twice": (b'<row r="2" r="2"><c r="A2"/></row>', False, False),
    "attribute_order": (b'<row spans="1:2" r="2"><c r="A2"/></row>', False, False),
    "cell_outside_row": (b'<c r="A1"/><row r="2"><c r="A2"/></row>', False, False),
    "open_cell": (b'<row r="1"><c r="A1"></row>', False, False),
    "open_cell_then_cell": (b'<row r="1"><c r="A1"><c r="B1"/></c></row>', False, False),
    "nested_rows": (b'<row r="1"><row r="2"></row></row>', False, False),
    "unclosed_row": (b'<row r="1"><c r="A1"/>', False, False),
    "stray_close": (b'<row r="1"><c r="A1"/></row></row>', False, False),
    "inline_string": (b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>', False, False),
    "shared_formula": (b'<row r="1"><c r="A1"><f t="shared" si="0"/><v>1</v></c></row>', False, False),
    "entity_in_formula": (b'<row r="1"><c r="A1"><f>1&amp;2&lt;&gt;&quot;&apos;</f><v>1</v></c></row>',
                          False, True),
    "char_ref_in_formula": (b'<row r="1"><c r="A1"><f>&#49;</f><v>1</v></c></row>', False, False),
    "undefined_entity": (b'<row r="1"><c r="A1"><f>&foo;</f><v>1</v></c></row>', False, False),
    "bare_ampersand": (b'<row r="1"><c r="A1"><f>a&b</f><v>1</v></c></row>', False, False),
    "cdata_end_in_value": (b'<row r="1"><c r="A1" t="str"><v>a]]>b</v></c></row>', False, False),
    "cdata_end_in_formula": (b'<row r="1"><c r="A1"><f>a]]>b</f><v>1</v></c></row>', False, False),
    "brackets_in_value": (b'<row r="1"><c r="A1" t="str"><v>a]]b]>c]</v></c></row>', False, True),
    "control_character": (b'<row r="1"><c r="A1" t="str"><v>a\x01b</v></c></row>', False, False),
    "nul": (b'<row r="1"><c r="A1" t="str"><v>a\x00b</v></c></row>', False, False),
    "nul_between_cells": (b'<row r="1"><c r="A1"/>\x00<c r="B1"/></row>', False, False),
    "nul_between_rows": (b'<row r="1"><c r="A1"/></row>\x00<row r="2"/>', False, False),
    "utf8_split_over_two_values": (b'<row r="1"><c r="A1" t="str"><v>\xe4</v></c>'
                                   b'<c r="B1" t="str"><v>\xb8\xad</v></c></row>', False, False),
    "utf8_split_over_formula_and_value": (b'<row r="1"><c r="A1" t="str"><f>\xe4\xb8</f>'
                                          b'<v>\xad</v></c></row>', False, False),
    "tab_and_lf": (b'<row r="1"><c r="A1" t="str"><v>a\tb\nc</v></c></row>', False, True),
    "bad_utf8": (b'<row r="1"><c r="A1" t="str"><v>\xe4\xb8</v></c></row>', False, False),
    "surrogate": (b'<row r="1"><c r="A1" t="str"><v>\xed\xa0\x80</v></c></row>', False, False),
    "fffe": (b'<row r="1"><c r="A1" t="str"><v>\xef\xbf\xbe</v></c></row>', False, False),
    "ffff": (b'<row r="1"><c r="A1" t="str"><v>\xef\xbf\xbf</v></c></row>', False, False),
    "cjk_and_fullwidth": ('<row r="1"><c r="A1" t="str"><v>项目（一）＞</v></c></row>'.encode(),
                          False, True),
    "whitespace_between_rows": (b'<row r="1"><c r="A1"/></row>\n<row r="2"/>', False, False),
    "comment": (b'<row r="1"><c r="A1"/></row><!-- x -->', False, False),
    "lt_in_row_attribute": (b'<row r="1" spans="<"><c r="A1"/></row>', False, False),
    "cell_in_row_attribute": (b'<row spans="<c r="A1"/>"><c r="B1"/></row>', False, False),
    "other_element": (b'<row r="1"><c r="A1"/><x/></row>', False, False),
}


@pytest.mark.parametrize("name", sorted(_ROWS))
def test_ways_to_write_rows(name):
    content, x14ac, tiled = _ROWS[name]
    outside = _outside(x14ac)
    assert _verdict(content, outside) is tiled
    if tiled:
        assert _expat(content, outside)


_SNIPPETS = [b"&amp;", b"&#49;", b"&lt;", b"&", b"]]>", b"]]", b"<!-- c -->", b"\r\n", b" ", b"'", b'"',
             b"<", b">", b"/>", b"</c>", b"<c r=\"C4\"/>", b'<c r="D9"><v>1</v></c>', b"<v>", b"</v>",
             b"<f>", b"</f>", b"<row>", b"</row>", b'<row r="9"/>', b"<?p?>", b"\xff", b"\xe4\xb8",
             b"\x00", b"\x01", b"\t", b"\xef\xbf\xbe", b't="s" ', b' x14ac:dyDescent="1"', b'r="1" ']


@settings(max_examples=3000, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 3))
def test_mutated_content_is_never_tiled_when_expat_refuses_it(seed, edits, contents):
    rng = random.Random(seed)
    content, outside = contents[seed % len(contents)]
    data = bytearray(content)
    for _ in range(edits):
        at = rng.randrange(len(data))
        if rng.random() < 0.3:
            data[at] = rng.randrange(256)
        else:
            data[at:at + rng.randrange(0, 3)] = rng.choice(_SNIPPETS)
    changed = bytes(data)
    pieces = _scan._CELL_WHOLE.split(changed)
    if _scan._tiled(changed, pieces, outside):
        assert _expat(changed, outside), changed
        tiled = list(zip(*(pieces[i::9] for i in range(1, 9)), strict=True))
        assert _normal(tiled) == _normal(_scan._CELL.findall(changed))


def test_every_byte_in_a_value_is_judged_as_expat_judges_it():
    """Each single byte and each three-byte sequence around U+FFFE in a value: tiled only where
    expat accepts (the characters are the one thing the grammar does not decide)."""
    outside = _outside()
    cases = [bytes([b]) for b in range(256)] + [bytes([0xEF, 0xBF, b]) for b in range(0x80, 0xC0)] \
        + [bytes([0xED, b, 0x80]) for b in range(0x80, 0xC0)]
    for value in cases:
        content = b'<row r="1"><c r="A1" t="str"><v>x' + value + b"</v></c></row>"
        if _verdict(content, outside):
            assert _expat(content, outside), value

