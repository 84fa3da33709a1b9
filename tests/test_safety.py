"""The safety layer of the reader against the hostile corpus, table tests and a fuzzer.

Every corpus case must end in the expected :class:`WorkbookError` code (or succeed, for the benign
ones whose limits belong to the cell reader), within 5 s and 500 MB, and nothing may ever raise
anything but a WorkbookError.
"""

from __future__ import annotations

import io
import os
import random
import re
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltargets.errors import WorkbookError, XltargetsError
from xltargets.read import _safety as safety
from xltargets.read._safety import (
    MESSAGES,
    Limits,
    Package,
    check_parts_for_calamine,
    check_xml_prolog,
    inspect_ole2,
    open_package,
    resolve_target,
    sniff,
)

try:  # `python -m pytest` puts the repository on sys.path; bare `pytest` puts tests/ there
    from tests.hostile import corpus as hostile
except ModuleNotFoundError:  # pragma: no cover
    from hostile import corpus as hostile  # type: ignore[no-redef]

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None  # type: ignore[assignment]

#: CPU seconds of this process a case may cost: CPU time, not wall time, so a machine loaded by
#: other work does not fail the test, while a reader that computes too long still does
SECONDS = 5.0
#: wall seconds: generous, only so that a reader that blocks (waits on a pipe, sleeps) fails too
WALL_SECONDS = 60.0
BYTES = 500 * 2**20

# -- what each corpus case must give -------------------------------------------------------------

#: open_package itself refuses these
OPEN_FAILS: dict[str, str] = {
    "empty": "empty_file",
    "zeros": "corrupt_zip",
    "too_large": "too_large",
    "directory": "not_a_file",
    "fifo": "not_a_file",
    "random_bytes": "unknown_format",
    "legacy_xls": "legacy_xls",
    "legacy_xls_renamed": "legacy_xls",
    "encrypted_xlsx": "encrypted",
    "word_doc": "word_document",
    "docx": "word_document",
    "ods": "ods_format",
    "xlsb": "xlsb_format",
    "zip_of_xlsx": "archive",
    "csv_utf8": "csv_disguised",
    "csv_gbk": "csv_disguised",
    "unicode_text": "csv_disguised",
    "html_as_xls": "html_disguised",
    "xml_spreadsheet_2003": "xml_spreadsheet",
    "rtf": "rtf_document",
    "pdf": "pdf_file",
    "png": "image_file",
    "jpeg": "image_file",
    "truncated": "corrupt_zip",
    "truncated_end_record": "corrupt_zip",
    "no_workbook_part": "not_a_workbook",
    "empty_zip": "not_a_workbook",
    "duplicate_members": "corrupt_zip",
    "case_duplicate_members": "corrupt_zip",
    "too_many_members": "too_many_members",
    "encrypted_zip_members": "encrypted",
    "bzip2_member": "corrupt_zip",
    "bomb_honest_1gib": "zip_bomb",
    "bomb_ratio": "zip_bomb",
    "bomb_total": "zip_bomb",
    "bomb_lying_tiny": "zip_bomb",
    "bomb_overlapping": "zip_bomb",
    "xml_bomb_workbook": "xml_forbidden",
    "doctype_in_rels": "xml_forbidden",
}
#: open_package accepts these; (reading every part, check_parts_for_calamine on every XML part)
#: give these codes (None: succeeds)
READ_FAILS: dict[str, tuple[str | None, str | None]] = {
    "bad_crc": ("corrupt_zip", None),  # the prolog check reads heads only; calamine checks CRCs
    "bomb_lying_size": ("zip_bomb", "zip_bomb"),
    "bomb_lying_big": ("zip_bomb", "zip_bomb"),
    "xml_bomb_sheet": ("xml_forbidden", "xml_forbidden"),
    "xxe_sheet": ("xml_forbidden", "xml_forbidden"),
    "xxe_shared_strings": ("xml_forbidden", "xml_forbidden"),
    "doctype_after_long_comment": ("xml_forbidden", "xml_forbidden"),
    "doctype_utf16": ("xml_forbidden", "xml_forbidden"),
    "doctype_utf7": ("xml_malformed", "xml_malformed"),
    "xml_malformed_sheet": ("xml_malformed", None),  # its prolog is clean
}
#: read entirely without error (their size is the cell reader's business)
BENIGN = {
    "valid", "valid_stored", "xlsm_macros", "huge_dimension", "many_styles", "big_shared_strings",
    "name_spaces", "name_chinese", "name_200_chars",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    started = time.process_time()
    cases = hostile.build_corpus(tmp_path_factory.mktemp("hostile"))
    assert time.process_time() - started < 10, "building the corpus must stay cheap"
    return cases


@dataclass
class Measure:
    #: CPU seconds of this process (the readers run in it)
    seconds: float = 0.0
    wall: float = 0.0
    peak_bytes: int = 0
    rss_delta_bytes: int = 0


@contextmanager
def measured() -> Iterator[Measure]:
    result = Measure()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if resource else 0
    tracemalloc.start()
    started, wall = time.process_time(), time.monotonic()
    try:
        yield result
    finally:
        result.seconds = time.process_time() - started
        result.wall = time.monotonic() - wall
        result.peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if resource:
            result.rss_delta_bytes = (
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024


def read_everything(package: Package) -> str | None:
    """Read every part and parse every XML part; the first error's code, or None."""
    try:
        for name in sorted(package.names):
            package.read_part(name)
        for name in package.xml_parts():
            package.read_xml(name)
    except WorkbookError as error:
        return error.code
    return None


def calamine_check(package: Package) -> str | None:
    try:
        check_parts_for_calamine(package, package.xml_parts())
    except WorkbookError as error:
        return error.code
    return None


def test_every_case_has_an_expectation(corpus: dict[str, Path]) -> None:
    expected = set(OPEN_FAILS) | set(READ_FAILS) | BENIGN
    assert set(corpus) - expected == set()
    assert expected - set(corpus) <= {"fifo"}  # no FIFOs on Windows


@pytest.mark.parametrize("case", sorted(OPEN_FAILS))
def test_open_refuses(corpus: dict[str, Path], case: str) -> None:
    if case not in corpus:
        pytest.skip("not buildable here")
    with measured() as cost, pytest.raises(WorkbookError) as caught:
        open_package(corpus[case])
    error = caught.value
    assert error.code == OPEN_FAILS[case], (error.code, error.detail)
    assert error.message.startswith(MESSAGES[error.code].split("{")[0])
    assert error.path == str(corpus[case])
    assert cost.seconds < SECONDS and cost.wall < WALL_SECONDS
    assert cost.peak_bytes < BYTES and cost.rss_delta_bytes < BYTES


@pytest.mark.parametrize("case", sorted(READ_FAILS))
def test_reading_refuses(corpus: dict[str, Path], case: str) -> None:
    read_code, calamine_code = READ_FAILS[case]
    with measured() as cost:
        with open_package(corpus[case]) as package:
            got_read = read_everything(package)
        with open_package(corpus[case]) as package:
            got_calamine = calamine_check(package)
    assert (got_read, got_calamine) == (read_code, calamine_code)
    assert cost.seconds < SECONDS and cost.wall < WALL_SECONDS
    assert cost.peak_bytes < BYTES and cost.rss_delta_bytes < BYTES


@pytest.mark.parametrize("case", sorted(BENIGN))
def test_benign_cases_read(corpus: dict[str, Path], case: str) -> None:
    with measured() as cost, open_package(corpus[case]) as package:
        assert package.workbook_part == "xl/workbook.xml"
        assert read_everything(package) is None
        assert calamine_check(package) is None
        assert package.has_macros == (case == "xlsm_macros")
    assert cost.seconds < SECONDS and cost.wall < WALL_SECONDS
    assert cost.peak_bytes < BYTES and cost.rss_delta_bytes < BYTES


def test_lying_sizes_stop_early(corpus: dict[str, Path]) -> None:
    """The liar declares 90 MB and inflates to 1 GB: reading stops long before either."""
    with (open_package(corpus["bomb_lying_big"]) as package, measured() as cost,
          pytest.raises(WorkbookError, match="zip_bomb")):
        package.read_part("xl/worksheets/sheet1.xml")
    assert cost.peak_bytes < 20 * 2**20
    assert cost.seconds < 1 and cost.wall < WALL_SECONDS


def test_bombs_cost_nothing_at_open(corpus: dict[str, Path]) -> None:
    for case in ("bomb_honest_1gib", "bomb_ratio", "bomb_total", "bomb_lying_tiny",
                 "bomb_overlapping"):
        with measured() as cost, pytest.raises(WorkbookError):
            open_package(corpus[case])
        assert cost.seconds < 0.5 and cost.wall < WALL_SECONDS and cost.peak_bytes < 10 * 2**20, case


# -- sniffing --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("head", "kind"), [
    (b"", "empty"),
    (b"PK\x03\x04rest", "zip"),
    (b"PK\x05\x06" + bytes(18), "zip"),
    (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(100), "ole2"),
    (b"%PDF-1.7\n", "pdf"),
    (b"\r\n\r\n%PDF-1.4", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff\xe1", "jpeg"),
    (b"GIF89a", "gif"),
    (b"BM" + struct.pack("<IHHII", 70, 0, 0, 54, 40) + bytes(40), "bmp"),
    (b"BMW is a car,but this is text\n", "csv"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
    (b"{\\rtf1\\ansi", "rtf"),
    (b"Rar!\x1a\x07\x00", "archive"),
    (b"\x1f\x8b\x08\x00", "archive"),
    (b"\xef\xbb\xbf<html><body><table>", "html"),
    (b"  \r\n<!DOCTYPE html PUBLIC>", "html"),
    (b"<table border=1><tr><td>1</td></tr></table>", "html"),
    (b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml">', "html"),
    (b"<!-- saved from Excel -->\n<html>", "html"),
    (b"<meta charset=utf-8><table>", "html"),
    (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x", "html"),
    (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook '
     b'xmlns="urn:schemas-microsoft-com:office:spreadsheet">', "xml_spreadsheet"),
    (b'<?xml version="1.0"?><ss:Workbook xmlns:ss="x">', "xml_spreadsheet"),
    (b'<?xml version="1.0"?><office:document xmlns:office="x">', "unknown"),
    ("项目名称,金额\n第1号,12.5\n".encode(), "csv"),
    ("项目名称,金额\n第1号,12.5\n".encode("gb18030"), "csv"),
    ("项目名称\t金额\n第1号\t12.5\n".encode("utf-16"), "csv"),
    ("这是一段说明文字，没有分隔符".encode(), "csv"),  # a full-width comma delimits too
    ("这是一段说明文字\n第二行".encode(), "text"),
    (bytes(100), "zeros"),
    (bytes(range(256)) * 4, "unknown"),
    (b"\x00\x01\x02\x03binary", "unknown"),
])
def test_sniff(head: bytes, kind: str) -> None:
    assert sniff(head, "anything.xlsx") == kind


def test_sniff_ignores_the_extension() -> None:
    assert sniff(b"PK\x03\x04", "report.csv") == sniff(b"PK\x03\x04", "report.xlsx") == "zip"
    assert sniff(b"a,b\n1,2\n", "report.xlsx") == "csv"


def test_sniff_survives_a_cut_multibyte_character() -> None:
    text = ("项目,金额\n" * 2000).encode()[: safety.SNIFF_BYTES - 1]
    assert sniff(text) == "csv"


def _safety_source() -> str:
    """The source of the safety facade and every module behind it."""
    folder = Path(safety.__file__).parent
    return "".join((folder / f"{name}.py").read_text(encoding="utf-8")
                   for name in ("_safety", *safety.MODULES))


def test_every_sniff_kind_has_a_code() -> None:
    kinds = set(re.findall(r'return "(\w+)"', _safety_source()))
    kinds |= {kind for _, kind in safety._MAGIC}
    handled = set(safety._KIND_CODES) | {"zip", "ole2"}
    assert kinds - handled == set()
    assert {code for code, _ in safety._KIND_CODES.values()} <= set(MESSAGES)


# -- OLE2 ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("streams", "code"), [
    ({"Workbook": hostile.biff8_workbook()}, "legacy_xls"),
    ({"Book": b"\x09\x08"}, "legacy_xls"),  # BIFF5
    ({"EncryptionInfo": hostile.encryption_info(), "EncryptedPackage": bytes(100)}, "encrypted"),
    ({"WordDocument": b"", "1Table": b""}, "word_document"),
    ({"PowerPoint Document": b""}, "not_a_workbook"),
    ({"__substg1.0_0037001F": b""}, "not_a_workbook"),  # an Outlook message
])
def test_inspect_ole2(tmp_path: Path, streams: dict[str, bytes], code: str) -> None:
    data = hostile.ole2(streams)
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    assert inspect_ole2(data, path).code == code
    # from a short head, the directory is read from the file
    assert inspect_ole2(data[:512], path).code == code
    # without the file, the names are searched for in the head
    assert inspect_ole2(data, None).code == code


def test_inspect_ole2_with_garbage_directory() -> None:
    data = bytes.fromhex("D0CF11E0A1B11AE1") + os.urandom(2000)
    assert inspect_ole2(data, None).code == "not_a_workbook"
    assert inspect_ole2(data[:8], None).code == "not_a_workbook"


# -- the XML prolog --------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"<root/>",
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet>',
    b"\xef\xbb\xbf<?xml version='1.0'?><a>",
    b'<?xml version="1.0"?>\n<!-- <!DOCTYPE in a comment --><?pi x?>\n<a>',
    b'<?xml version="1.0" encoding="GB2312"?><a>',
    b'<?xml version="1.0" encoding="ISO-8859-1"?><a>',
    '<?xml version="1.0" encoding="UTF-16"?><a>'.encode("utf-16"),
    "<a/>".encode("utf-16-le"),
    "<a/>".encode("utf-16-be"),
    b"<a>" + b"<!DOCTYPE x>" * 1000,  # after the root: the parser's problem, not an expansion
])
def test_prolog_accepts(data: bytes) -> None:
    check_xml_prolog(data)


@pytest.mark.parametrize(("data", "code"), [
    (b"<!DOCTYPE a><a/>", "xml_forbidden"),
    (b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', "xml_forbidden"),
    (b"<!ENTITY a 'b'><a/>", "xml_forbidden"),
    (b"<!ELEMENT a ANY><a/>", "xml_forbidden"),
    (b"<!-- x --><!doctype a><a/>", "xml_forbidden"),
    (b"<?xml version='1.0'?><!--" + b"-" * 20_000 + b"--><!DOCTYPE a><a/>", "xml_forbidden"),
    ('<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>'.encode("utf-16"), "xml_forbidden"),
    ("<!DOCTYPE a><a/>".encode("utf-16-le"), "xml_forbidden"),
    (b"", "xml_malformed"),
    (b"   \n ", "xml_malformed"),
    (b"hello<a/>", "xml_malformed"),
    (b"<?xml version='1.0'", "xml_malformed"),
    (b"<!-- never closed", "xml_malformed"),
    (b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE a+AD4-<a/>', "xml_malformed"),
    (b'<?xml version="1.0" encoding="cp037"?><a/>', "xml_malformed"),  # EBCDIC
    (b'<?xml version="1.0" encoding="x-no-such-codec"?><a/>', "xml_malformed"),
    ("<a/>".encode("utf-32"), "xml_malformed"),
    (b"+/v8-<a/>", "xml_malformed"),
    (b"<?xml version='1.0'?>" + b" " * (safety.PROLOG_WINDOW + 10) + b"<a/>", "xml_malformed"),
])
def test_prolog_refuses(data: bytes, code: str) -> None:
    with pytest.raises(WorkbookError) as caught:
        check_xml_prolog(data)
    assert caught.value.code == code


def test_prolog_check_does_not_scan_the_body() -> None:
    part = b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet>' + b"<row/>" * 2_000_000
    started = time.process_time()
    for _ in range(20_000):
        check_xml_prolog(part)
    assert time.process_time() - started < 1.0  # CPU seconds; ≈ 2 µs each on a 12 MB part


def test_parse_xml_refuses_what_defusedxml_refuses() -> None:
    with pytest.raises(WorkbookError, match="xml_forbidden"):
        safety.parse_xml(hostile.xxe_sheet())
    with pytest.raises(WorkbookError, match="xml_forbidden"):
        safety.parse_xml(hostile.sheet_bomb())
    with pytest.raises(WorkbookError, match="xml_malformed"):
        safety.parse_xml(b"<a><b></a>")
    assert safety.parse_xml(b"<a><b>1</b></a>").find("b").text == "1"  # type: ignore[union-attr]


# -- the package -------------------------------------------------------------------------------------

def write(tmp_path: Path, data: bytes, name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_package_api(tmp_path: Path) -> None:
    path = write(tmp_path, hostile.base_xlsx())
    with open_package(str(path)) as package:
        assert package.path == path
        assert "xl/workbook.xml" in package.names
        assert isinstance(package.names, frozenset)
        assert package.has_macros is False
        assert package.find("/XL/Workbook.xml") == "xl/workbook.xml"
        assert package.find("xl/nothing.xml") is None
        root = package.read_xml("xl/workbook.xml")
        assert root.tag.endswith("workbook")
        assert package.read_head("xl/workbook.xml", 5) == b"<?xml"
        with pytest.raises(WorkbookError) as caught:
            package.read_part("xl/worksheets/sheet99.xml")
        assert caught.value.code == "missing_part"
        assert "[Content_Types].xml" in package.xml_parts()
        assert repr(package).endswith("parts>")
    with pytest.raises(ValueError, match="closed"):
        package.read_part("xl/workbook.xml")
    package.close()  # twice is fine


def test_not_found(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError) as caught:
        open_package(tmp_path / "nope.xlsx")
    assert caught.value.code == "not_found"
    assert str(caught.value) == f"{tmp_path / 'nope.xlsx'}: 文件不存在 [not_found]"


def test_main_part_found_through_relationships(tmp_path: Path) -> None:
    members = hostile.base_members()
    moved = [("xl/main/book.xml" if name == "xl/workbook.xml" else name, data)
             for name, data in members]
    moved = hostile.replace(moved, "_rels/.rels", hostile.package_rels("/xl/main/book.xml"))
    with open_package(write(tmp_path, hostile.rezip(moved))) as package:
        assert package.workbook_part == "xl/main/book.xml"
    # broken package relationships: fall back to xl/workbook.xml
    broken = hostile.replace(members, "_rels/.rels", b"<Relationships><oops")
    with open_package(write(tmp_path, hostile.rezip(broken), "b.xlsx")) as package:
        assert package.workbook_part == "xl/workbook.xml"


@pytest.mark.parametrize(("source", "target", "part"), [
    ("", "xl/workbook.xml", "xl/workbook.xml"),
    ("", "/xl/workbook.xml", "xl/workbook.xml"),
    ("xl/workbook.xml", "worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
    ("xl/workbook.xml", "/xl/worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
    ("xl/worksheets/sheet1.xml", "../drawings/d1.xml", "xl/drawings/d1.xml"),
    ("xl/workbook.xml", "worksheets/%E9%A1%B9%E7%9B%AE.xml", "xl/worksheets/项目.xml"),
    ("xl/workbook.xml", "./styles.xml", "xl/styles.xml"),
    ("", "", ""),
])
def test_resolve_target(source: str, target: str, part: str) -> None:
    assert resolve_target(source, target) == part


def test_limits_are_configurable(tmp_path: Path) -> None:
    path = write(tmp_path, hostile.rezip(hostile.replace(
        hostile.base_members(), "xl/sharedStrings.xml", hostile.big_shared_strings(3 * 2**20))))
    cases = [
        (Limits(max_file_bytes=1000), "too_large"),
        (Limits(max_members=3), "too_many_members"),
        (Limits(max_member_bytes=2**20), "zip_bomb"),
        (Limits(max_total_bytes=2**20), "zip_bomb"),
        (Limits(max_ratio=2.0), "zip_bomb"),
    ]
    for limits, code in cases:
        with pytest.raises(WorkbookError) as caught:
            open_package(path, limits)
        assert caught.value.code == code, limits
    with open_package(path, Limits(max_total_bytes=4 * 2**20)) as package:
        package.read_part("xl/sharedStrings.xml")
        with pytest.raises(WorkbookError, match="zip_bomb"):  # counted over every read
            package.read_part("xl/sharedStrings.xml")
    assert Limits().max_cells_per_sheet == 200_000 and Limits().max_seconds == 5.0


def test_too_large_message_names_the_limit(corpus: dict[str, Path]) -> None:
    with pytest.raises(WorkbookError) as caught:
        open_package(corpus["too_large"])
    assert caught.value.message == "文件过大（超过50 MB），请检查是否为本表"


def test_calamine_guard_streams_only_when_the_worst_case_is_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A normal workbook is proven small from its compressed sizes alone; parts are streamed
    through (counted, not kept) only when their worst case could pass a limit."""
    streamed: list[str] = []
    inflate = Package._inflate

    def spy(self: Package, info: zipfile.ZipInfo, *, keep: bool, head: int | None) -> bytes:
        if not keep:
            streamed.append(info.filename)
        return inflate(self, info, keep=keep, head=head)

    monkeypatch.setattr(Package, "_inflate", spy)
    path = write(tmp_path, hostile.base_xlsx())
    with open_package(path) as package:
        check_parts_for_calamine(package, package.xml_parts())
    assert streamed == []
    # declared sizes (≈ 15 KB) fit, the deflate worst case (≈ 1000 x 6 KB) does not
    with open_package(path, Limits(max_total_bytes=100_000, max_member_bytes=100_000)) as package:
        check_parts_for_calamine(package, package.xml_parts())
    assert "xl/theme/theme1.xml" in streamed


def test_error_messages_are_complete_and_documented() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "security.md").read_text(encoding="utf-8")
    for code, message in MESSAGES.items():
        assert re.search(r"[\u4e00-\u9fff]", message), code
        assert f"`{code}`" in docs, f"{code} is not in docs/security.md"
    source = _safety_source()
    raised = set(re.findall(r'(?:workbook_error|fail|_error)\(\s*"([a-z_]+)"', source))
    raised |= {code for code, _ in safety._KIND_CODES.values()}
    assert raised <= set(MESSAGES)
    # these belong to the cell reader and the batch runner
    assert set(MESSAGES) - raised == {"too_many_cells", "timeout", "corrupt_workbook", "unknown_form",
                                      "unknown_spec", "wrong_spec", "too_many_projects",
                                      "too_many_sheets", "shared_sheet_part", "bad_capacity"}
    assert issubclass(WorkbookError, XltargetsError)


# -- fuzzing ---------------------------------------------------------------------------------------

BASE_MEMBERS = hostile.base_members()
SNIPPETS = [b"<!DOCTYPE a>", b"&x;", b"<", b">", b"\x00", b"]]>", b"<!--", b"&#0;", b"\xff\xfe",
            b'<?xml version="1.0" encoding="UTF-7"?>', b"<a" * 50, b"\xe4\xb8"]


@st.composite
def mutated_workbooks(draw: st.DrawFn) -> bytes:
    members = list(BASE_MEMBERS)
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(0, 3))):
        operation = draw(st.sampled_from(["drop", "duplicate", "shuffle_xml", "insert", "cut"]))
        index = draw(st.integers(0, max(len(members) - 1, 0)))
        if not members:
            break
        name, data = members[index]
        if operation == "drop":
            members.pop(index)
        elif operation == "duplicate":
            members.append((name if rng.random() < 0.7 else name.upper(), data[::-1]))
        elif operation == "shuffle_xml" and len(data) > 2:
            start = rng.randrange(len(data) - 1)
            end = rng.randrange(start + 1, min(len(data), start + 200) + 1)
            chunk = bytearray(data[start:end])
            rng.shuffle(chunk)
            members[index] = (name, data[:start] + bytes(chunk) + data[end:])
        elif operation == "insert":
            at = rng.randrange(len(data) + 1)
            members[index] = (name, data[:at] + rng.choice(SNIPPETS) + data[at:])
        elif operation == "cut":
            members[index] = (name, data[: rng.randrange(len(data) + 1)])
    method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    blob = bytearray(hostile.rezip(members, method))
    # half the examples keep a sound zip, so that the parts' own checks get exercised too
    damage = draw(st.sampled_from(["none", "none", "flip", "truncate", "both"]))
    if damage in ("flip", "both"):
        for _ in range(draw(st.integers(1, 8))):
            blob[rng.randrange(len(blob))] ^= rng.randrange(1, 256)
    if damage in ("truncate", "both"):
        del blob[rng.randrange(len(blob)):]
    return bytes(blob)


def exercise(path: Path) -> None:
    """Everything a reader would do; only WorkbookError may come out."""
    try:
        with open_package(path) as package:
            for name in sorted(package.names):
                with suppress(WorkbookError):
                    package.read_part(name)
            for name in package.xml_parts():
                with suppress(WorkbookError):
                    package.read_xml(name)
            check_parts_for_calamine(package, package.xml_parts())
    except WorkbookError:
        pass


@settings(max_examples=250, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_workbooks())
def test_fuzz_never_raises_anything_else(tmp_path_factory: pytest.TempPathFactory,
                                         data: bytes) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz.xlsx"
    path.write_bytes(data)
    started, wall = time.process_time(), time.monotonic()
    exercise(path)
    assert time.process_time() - started < SECONDS and time.monotonic() - wall < WALL_SECONDS


@settings(max_examples=100, deadline=None, database=None)
@given(head=st.binary(max_size=600))
def test_fuzz_sniff_and_ole2(head: bytes) -> None:
    assert isinstance(sniff(head), str)
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + head
    assert isinstance(inspect_ole2(ole, None), WorkbookError)
    with suppress(WorkbookError):
        check_xml_prolog(head)


def test_zipfile_never_warns_on_duplicates_when_reading(tmp_path: Path) -> None:
    data = hostile.rezip([*BASE_MEMBERS, BASE_MEMBERS[0]])
    with pytest.raises(WorkbookError, match="corrupt_zip"):
        open_package(write(tmp_path, data))
    assert zipfile.ZipFile(io.BytesIO(data)).namelist().count(BASE_MEMBERS[0][0]) == 2
