"""The byte scan of a sheet (xltargets/read/_scan.py) gives exactly what the tree parser gives,
or steps aside: on real returns, on every odd-but-legal way to write a sheet, on hostile
variants and on random mutations. The same cells, the same findings, the same refusals."""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest
from forms import CLEAN, write_fill
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltargets.errors import WorkbookError
from xltargets.read import _cells, read_raw

try:
    from tests.hostile import corpus as hostile
except ModuleNotFoundError:  # pragma: no cover
    from hostile import corpus as hostile  # type: ignore[no-redef]


def _members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def _outcome(path: Path) -> list:
    try:
        raw = read_raw(path)
    except WorkbookError as exc:
        return ["refused", exc.code, exc.detail]
    return [(sheet, path_, repr(cell)) for sheet, cells in sorted(raw.cells.items())
            for path_, cell in sorted(cells.items(), key=str)] + \
           [f.to_json() for f in raw.findings]


class _Counting:
    """Counts the sheets the scan read itself (not handed to the tree)."""

    def __init__(self, monkeypatch) -> None:
        self.read = 0
        original = _cells._from_scan

        def counting(*args, **kwargs):
            got = original(*args, **kwargs)
            self.read += got is not None
            return got

        monkeypatch.setattr(_cells, "_from_scan", counting)


def _both(path: Path, monkeypatch) -> tuple[list, list]:
    monkeypatch.setattr(_cells, "SCAN", True)
    scanned = _outcome(path)
    monkeypatch.setattr(_cells, "SCAN", False)
    tree = _outcome(path)
    monkeypatch.setattr(_cells, "SCAN", True)
    return scanned, tree


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scan")
    return {spec_id: write_fill(spec_id, CLEAN[spec_id][0](), folder / f"{spec_id}.xlsx", projects=2)
            for spec_id in sorted(CLEAN)}


def test_real_returns_are_scanned_and_read_as_the_tree_reads_them(returns, monkeypatch):
    counting = _Counting(monkeypatch)
    for path in returns.values():
        scanned, tree = _both(path, monkeypatch)
        assert scanned == tree
    assert counting.read >= 6  # every planned sheet of both returns went through the scan


def _project_part(members: list[tuple[str, bytes]]) -> str:
    return hostile.sheet_parts(members)["项目1"]


#: legal ways to write a sheet that the scan must leave to the tree (or read the same)
def _odd(sheet: bytes) -> dict[str, bytes]:
    first_cell = sheet.index(b"<c ", sheet.index(b"<sheetData"))
    out = {
        "comment": sheet.replace(b"<sheetData>", b"<!-- x --><sheetData>", 1),
        "comment_in_data": sheet.replace(b"</row>", b"</row><!-- <c r=\"B3\"><v>9</v></c> -->", 1),
        "cdata": sheet.replace(b"<v>50</v>", b"<v><![CDATA[51]]></v>", 1),
        "processing_instruction": sheet.replace(b"<sheetData>", b"<?pi x?><sheetData>", 1),
        "entity_in_value": sheet.replace(b"<v>50</v>", b"<v>5&#49;</v>", 1),
        "entity_in_ref": sheet.replace(b'r="C4"', b'r="C&#52;"', 1),
        "entity_in_style": sheet.replace(b'r="C4" s="', b'r="C4" s="&#49;', 1),
        "attribute_order": sheet.replace(b'<c r="A3" s="2" t="s">', b'<c t="s" r="A3" s="2">', 1),
        "single_quotes": sheet.replace(b'<c r="C4" s="10">', b"<c r='C4' s='10'>", 1),
        "spaces_in_tag": sheet.replace(b'<c r="C4" s="10">', b'<c  r = "C4"  s="10" >', 1),
        "extra_attribute": sheet.replace(b'<c r="C4" s="10">', b'<c r="C4" s="10" cm="1">', 1),
        "no_ref": sheet[:first_cell] + re.sub(rb'^<c r="[A-Z]+[0-9]+"', b"<c", sheet[first_cell:], count=1),
        "crlf_value": sheet.replace(b"<v>50</v>", b"<v>5\r\n0</v>", 1),
        "inline_string": re.sub(rb'<c r="B3" s="3" t="s"><v>[0-9]+</v></c>',
                                '<c r="B3" s="3" t="inlineStr"><is><t>内联&amp;文本</t></is></c>'.encode(),
                                sheet, count=1),
        "formula": sheet.replace(b"<v>50</v>", b"<f>25*2</f><v>50</v>", 1),
        "formula_string": re.sub(rb'<c r="B3" s="3" t="s"><v>[0-9]+</v></c>',
                                 '<c r="B3" s="3" t="str"><f>"项"&amp;"目"</f><v>项目</v></c>'.encode(),
                                 sheet, count=1),
        "formula_string_entity": re.sub(rb'<c r="B3" s="3" t="s"><v>[0-9]+</v></c>',
                                        b'<c r="B3" s="3" t="str"><f>1</f><v>a&amp;b</v></c>',
                                        sheet, count=1),
        "live_title_entity": re.sub(rb'(<c r="A1" s="1" t="str"><f>[^<]*</f><v>)',
                                    rb"\1&lt;", sheet, count=1),
        "formula_no_value": sheet.replace(b"<v>50</v>", b"<f>25*2</f>", 1),
        "formula_shared": sheet.replace(b"<v>50</v>", b'<f t="shared" si="0"/><v>50</v>', 1),
        "formula_attribute_gt": sheet.replace(b"<v>50</v>", b'<f t="shared" ref="C4:C5" si="0" x="a>b"/><v>50</v>', 1),
        "formula_boolean": sheet.replace(b'<c r="C4" s="10"><v>50</v>', b'<c r="C4" s="10" t="b"><f>TRUE()</f><v>1</v>', 1),
        "formula_empty_value": sheet.replace(b"<v>50</v>", b"<f>25*2</f><v></v>", 1),
        "value_then_formula": sheet.replace(b"<v>50</v>", b"<v>50</v><f>25*2</f>", 1),
        "empty_value": sheet.replace(b"<v>50</v>", b"<v></v>", 1),
        "text_in_cell": sheet.replace(b"<v>50</v>", b"50", 1),
        "duplicate_cell": sheet.replace(b"</row>", b'<c r="C4" s="10"><v>77</v></c></row>', 4),
        "nested_cell": sheet.replace(b"<v>50</v>", b'<c r="B2"><v>9</v></c><v>50</v>', 1),
        "prefix_for_main": sheet.replace(b'<c r="C4" s="10">', b'<m:c xmlns:m="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="C4" s="10">', 1).replace(b"<v>50</v></c>", b"<v>50</v></m:c>", 1),
        "default_ns_below_root": sheet.replace(b"<sheetData>", b'<sheetData xmlns="urn:other">', 1),
        "prefixed_main_root": sheet.replace(b"<worksheet xmlns=", b"<worksheet xmlns:m=", 1),
        "latin1_declared": sheet.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1),
        "no_declaration": sheet[sheet.index(b"<worksheet"):],
        "crlf_declaration": sheet.replace(b"?>\n", b"?>\r\n", 1),
        "bom": b"\xef\xbb\xbf" + sheet,
        "sheetdata_nested": sheet.replace(b"<sheetData>", b"<sheetPr><sheetData>", 1).replace(
            b"</sheetData>", b"</sheetData></sheetPr>", 1),
        "empty_sheetdata": re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", sheet, flags=re.S),
        "no_sheetdata": re.sub(rb"<sheetData>.*</sheetData>", b"", sheet, flags=re.S),
        "validation_entity": sheet.replace(b'sqref="', b'sqref="&#65;1 ', 1),
        "validation_in_data": sheet.replace(b"</row>", b'</row><dataValidation sqref="A1"/>', 1),
        "malformed": sheet.replace(b"</row>", b"</rov>", 1),
        "truncated": sheet[: len(sheet) * 2 // 3],
        "unbound_prefix_in_data": sheet.replace(b"<v>50</v>", b"<v>50</v><x:y/>", 1),
        "unbound_prefix_attribute": sheet.replace(b'<row r="4"', b'<row q:x="1" r="4"', 1),
        "root_prefix_used_in_data": sheet.replace(b"<worksheet ", b'<worksheet xmlns:q="urn:q" ', 1)
                                         .replace(b'<row r="4"', b'<row q:x="1" r="4"', 1),
        "undefined_entity": sheet.replace(b"<v>50</v>", b"<v>5&foo;0</v>", 1),
        "control_character": sheet.replace(b"<v>50</v>", b"<v>5\x010</v>", 1),
        "malformed_after_data": sheet.replace(b"</dataValidations>", b"</dataValidationz>", 1),
        "malformed_before_data": sheet.replace(b"</cols>", b"</colz>", 1),
        "second_root": sheet + b"<worksheet/>",
    }
    return out


def test_odd_but_legal_sheets_read_the_same(returns, monkeypatch, tmp_path):
    members = _members(returns["hebei-county"])
    part = _project_part(members)
    sheet = dict(members)[part]
    counting = _Counting(monkeypatch)
    differs = []
    for name, changed in _odd(sheet).items():
        assert changed != sheet, name
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(hostile.rezip(hostile.replace(members, part, changed)))
        scanned, tree = _both(path, monkeypatch)
        if scanned != tree:
            differs.append(name)
    assert differs == []
    assert counting.read > 0


def test_hostile_variants_read_the_same(returns, monkeypatch, tmp_path):
    for spec_id, path in returns.items():
        members = _members(path)
        project = next(iter(n for n in hostile.sheet_parts(members) if n.startswith(("项目", "项目支出"))))
        for name, variant in hostile.return_variants(members, project).items():
            case = tmp_path / f"{spec_id}-{name}.xlsx"
            case.write_bytes(hostile.rezip(variant))
            scanned, tree = _both(case, monkeypatch)
            assert scanned == tree, (spec_id, name)


_SNIPPETS = [b"&amp;", b"&#49;", b"<!-- c -->", b"\r\n", b" ", b"'", b'"', b"<", b">", b"/>",
             b'<c r="C4"><v>1</v></c>', b'xmlns:q="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
             b"<v>", b"</c>", b"<?p?>", b"\xff", b"\xe4\xb8", b"t=\"s\" "]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture],
          database=None)
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 4))
def test_mutated_sheets_read_the_same(seed, edits, returns, monkeypatch, tmp_path_factory):
    rng = random.Random(seed)
    members = _members(returns["hunan" if seed % 2 else "hebei-county"])
    part = _project_part(members) if seed % 3 else hostile.sheet_parts(members)[
        next(n for n in hostile.sheet_parts(members) if not n.startswith(("项目", "_", "填表")))]
    sheet = bytearray(dict(members)[part])
    start = sheet.index(b"<sheetData")
    for _ in range(edits):
        at = rng.randrange(start, len(sheet))
        if rng.random() < 0.3:
            sheet[at] = rng.randrange(256)
        else:
            sheet[at:at + rng.randrange(0, 3)] = rng.choice(_SNIPPETS)
    path = tmp_path_factory.mktemp("mut") / "m.xlsx"
    path.write_bytes(hostile.rezip(hostile.replace(members, part, bytes(sheet))))
    scanned, tree = _both(path, monkeypatch)
    assert scanned == tree


# --- shared strings: the plain-items scan (_cells._strings_from_scan) or the handler parser ------

def _odd_strings(sst: bytes) -> dict[str, bytes]:
    """Ways to write the shared strings part that the scan must leave to the parser (or read
    the same)."""
    first = sst.index(b"<si>")
    return {
        "rich_text": sst.replace(b"<si><t>", b"<si><r><rPr><b/></rPr><t>", 1).replace(
            b"</t></si>", b"</t></r></si>", 1),
        "phonetic": sst.replace(b"</t></si>", b'</t><rPh sb="0" eb="1"><t>ke</t></rPh></si>', 1),
        "entity": sst.replace(b"<si><t>", b"<si><t>&amp;&#20013;", 1),
        "entity_late": sst[:sst.rindex(b"<si><t>")] + b"<si><t>&lt;" + sst[sst.rindex(b"<si><t>") + 7:],
        "carriage_return": sst.replace(b"<si><t>", b"<si><t>a\r\nb\rc", 1),
        "preserve": sst.replace(b"<si><t>", b'<si><t xml:space="preserve">  ', 1),
        "empty_text": sst.replace(b"<si><t>", b"<si><t></t></si><si><t>", 1),
        "self_closed_text": sst.replace(b"<si><t>", b"<si><t/></si><si><t>", 1),
        "spaces_between": sst.replace(b"</si><si>", b"</si>\n  <si>"),
        "comment": sst.replace(b"</si><si>", b"</si><!-- x --><si>", 1),
        "cdata": sst.replace(b"<si><t>", b"<si><t><![CDATA[<c>]]>", 1),
        "processing_instruction": sst.replace(b"</si><si>", b"</si><?pi x?><si>", 1),
        "prefixed": sst.replace(b"<sst xmlns=", b'<x:sst xmlns:x=', 1).replace(b"</sst>", b"</x:sst>"),
        "other_namespace": sst.replace(b"spreadsheetml/2006/main", b"spreadsheetml/2006/other", 1),
        "no_declaration": sst[sst.index(b"<sst"):],
        "bom": b"\xef\xbb\xbf" + sst,
        "latin1": sst.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1),
        "control_character": sst.replace(b"<si><t>", b"<si><t>\x01", 1),
        "bad_utf8": sst.replace(b"<si><t>", b"<si><t>\xe4\xb8", 1),
        "cdata_end_in_text": sst.replace(b"<si><t>", b"<si><t>]]>", 1),
        "gt_in_text": sst.replace(b"<si><t>", b"<si><t>a>b", 1),
        "unbound_prefix": sst.replace(b"<si><t>", b"<si><q:t>x</q:t><t>", 1),
        "truncated": sst[: len(sst) * 2 // 3],
        "malformed_tail": sst.replace(b"</sst>", b"</sst><x>"),
        "nested_si": sst.replace(b"</t></si>", b"</t><si><t>n</t></si></si>", 1),
        "no_items": sst[:first] + b"</sst>",
        "attribute_on_si": sst.replace(b"<si>", b'<si x="1">', 1),
        "count_claims": re.sub(rb'count="[0-9]+" uniqueCount="[0-9]+"',
                               b'count="18446744073709551615" uniqueCount="99999999999"', sst, count=1),
    }


def test_real_returns_read_their_shared_strings_by_the_scan(returns, monkeypatch):
    calls: list[bool] = []
    original = _cells._strings_from_scan

    def counting(*args, **kwargs):
        got = original(*args, **kwargs)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(_cells, "_strings_from_scan", counting)
    for path in returns.values():
        read_raw(path)
    assert calls and all(calls)


def test_odd_shared_strings_read_the_same(returns, monkeypatch, tmp_path):
    members = _members(returns["hebei-county"])
    sst = dict(members)["xl/sharedStrings.xml"]
    differs = []
    for name, changed in _odd_strings(sst).items():
        assert changed != sst, name
        path = tmp_path / f"sst-{name}.xlsx"
        path.write_bytes(hostile.rezip(hostile.replace(members, "xl/sharedStrings.xml", changed)))
        scanned, tree = _both(path, monkeypatch)
        if scanned != tree:
            differs.append(name)
    assert differs == []
    # a label written with a character reference reads as the label (the parser decodes it)
    label = "单位名称".encode()
    assert b"<si><t>" + label + b"</t></si>" in sst
    encoded = tmp_path / "sst-label-entity.xlsx"
    encoded.write_bytes(hostile.rezip(hostile.replace(
        members, "xl/sharedStrings.xml", sst.replace(b"<t>" + label, b"<t>&#21333;" + label[3:], 1))))
    assert _both(encoded, monkeypatch) == _both(returns["hebei-county"], monkeypatch)
    # a typed text (an input cell's value) with an entity or a line end: decoded as XML says
    typed = "购买舆情监测服务".encode()
    assert b"<t>" + typed + b"</t>" in sst
    for name, text in (("cr", b"a\r\nb\rc"), ("amp", b"a&amp;b"), ("lt", b"&#60;")):
        path = tmp_path / f"sst-typed-{name}.xlsx"
        path.write_bytes(hostile.rezip(hostile.replace(
            members, "xl/sharedStrings.xml", sst.replace(b"<t>" + typed, b"<t>" + text + typed, 1))))
        scanned, tree = _both(path, monkeypatch)
        assert scanned == tree, name
        assert scanned != _both(returns["hebei-county"], monkeypatch)[0], name


_SST_SNIPPETS = [b"&amp;", b"&#49;", b"<!-- c -->", b"\r\n", b" ", b"<", b">", b"/>", b"<si>",
                 b"</si>", b"<t>", b"</t>", b"<r>", b"<rPh>", b"\xff", b"\xe4\xb8", b'xml:space="preserve"']


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture],
          database=None)
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 3))
def test_mutated_shared_strings_read_the_same(seed, edits, returns, monkeypatch, tmp_path_factory):
    rng = random.Random(seed)
    members = _members(returns["hunan" if seed % 2 else "hebei-county"])
    sst = bytearray(dict(members)["xl/sharedStrings.xml"])
    start = sst.index(b"<si>")
    for _ in range(edits):
        at = rng.randrange(start, len(sst))
        if rng.random() < 0.3:
            sst[at] = rng.randrange(256)
        else:
            sst[at:at + rng.randrange(0, 3)] = rng.choice(_SST_SNIPPETS)
    path = tmp_path_factory.mktemp("sst") / "m.xlsx"
    path.write_bytes(hostile.rezip(hostile.replace(members, "xl/sharedStrings.xml", bytes(sst))))
    scanned, tree = _both(path, monkeypatch)
    assert scanned == tree
