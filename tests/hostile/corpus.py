"""A corpus of broken, disguised and hostile returned files, built at run time (no binaries in git).

``build_corpus(directory)`` writes every case and returns ``{case name: path}``. The whole corpus
takes well under a second to build: the zip bombs are assembled from one pre-compressed block
repeated (a deflate stream restarted by a full flush can be concatenated with itself), never by
compressing a gigabyte.

Helpers are public so that tests can build variants: ``base_members()`` (a valid XlsxWriter
workbook as a list of members), ``raw_zip()`` (a zip writer that writes whatever sizes it is told),
``ole2()`` (a compact OLE2 compound-file writer) and ``biff8_workbook()``.
"""

from __future__ import annotations

import io
import os
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

MiB = 2**20
#: zlib.crc32(bytes(2**30)), so that the honest bomb carries a true CRC without hashing 1 GiB
CRC32_OF_1GIB_ZEROS = 0x5B64C2B0


# --------------------------------------------------------------------------------------------
# A valid workbook
# --------------------------------------------------------------------------------------------

def base_xlsx() -> bytes:
    """A small valid workbook (two sheets, Chinese text, numbers, shared strings) by XlsxWriter."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "border": 1})
    sheet = workbook.add_worksheet("项目表")
    for col, label in enumerate(("项目名称", "资金总额（万元）", "绩效目标")):
        sheet.write(0, col, label, bold)
    for row in range(1, 6):
        sheet.write(row, 0, f"第{row}号项目")
        sheet.write_number(row, 1, row * 12.5)
        sheet.write(row, 2, "完成率≥95%")
    other = workbook.add_worksheet("说明")
    other.write(0, 0, "填报说明：请勿修改表格结构。")
    workbook.close()
    return buffer.getvalue()


def members_of(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def base_members() -> list[tuple[str, bytes]]:
    return members_of(base_xlsx())


def rezip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Members zipped again by zipfile (duplicates allowed: its warning is silenced)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def replace(members: list[tuple[str, bytes]], name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [(n, data if n == name else d) for n, d in members]


# --------------------------------------------------------------------------------------------
# A zip writer that writes what it is told
# --------------------------------------------------------------------------------------------

@dataclass
class RawEntry:
    name: str
    payload: bytes  # the bytes stored in the zip, already compressed for method 8
    method: int = zipfile.ZIP_DEFLATED
    crc: int = 0
    size: int = 0  # declared uncompressed size, in both headers
    flags: int = 0
    #: write no local header; point the central entry at entry number ``shares``'s header instead
    shares: int | None = None


def entry(name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> RawEntry:
    """An honest entry for ``data``."""
    payload = deflate(data) if method == zipfile.ZIP_DEFLATED else data
    return RawEntry(name, payload, method, zlib.crc32(data), len(data))


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def raw_zip(entries: list[RawEntry]) -> bytes:
    out = bytearray()
    offsets: list[int] = []
    for item in entries:
        name = item.name.encode("utf-8")
        flags = item.flags | (0x800 if not item.name.isascii() else 0)
        if item.shares is not None:
            offsets.append(offsets[item.shares])
            continue
        offsets.append(len(out))
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, flags, item.method, 0, 0x21,
                           item.crc, len(item.payload), item.size, len(name), 0)
        out += name + item.payload
    central = bytearray()
    for item, offset in zip(entries, offsets, strict=True):
        name = item.name.encode("utf-8")
        flags = item.flags | (0x800 if not item.name.isascii() else 0)
        payload_size = len(entries[item.shares].payload) if item.shares is not None else len(
            item.payload)
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, flags, item.method, 0, 0x21,
                               item.crc, payload_size, item.size, len(name), 0, 0, 0, 0, 0, offset)
        central += name
    start = len(out)
    out += central
    out += struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                       len(central), start, 0)
    return bytes(out)


def honest(members: list[tuple[str, bytes]]) -> list[RawEntry]:
    return [entry(name, data) for name, data in members]


def zeros_deflate(mebibytes: int, prefix: bytes = b"") -> bytes:
    """A raw deflate stream of ``prefix`` then ``mebibytes`` MiB of zeros, built in milliseconds:
    after a full flush the compressor forgets everything, so one compressed MiB repeats."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == again, "a fully flushed block must repeat"
    return head + block * mebibytes + compressor.flush(zlib.Z_FINISH)


def mixed_deflate(mebibytes: int) -> tuple[bytes, int]:
    """A deflate stream of ``mebibytes`` MiB compressing about 150:1 (under the ratio limit), and
    its CRC: each MiB is 6 KiB of noise then zeros, compressed once and repeated."""
    block_data = os.urandom(6 * 1024) + bytes(MiB - 6 * 1024)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    block = compressor.compress(block_data) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block_data) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == again
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(block_data, crc)
    return block * mebibytes + compressor.flush(zlib.Z_FINISH), crc


# --------------------------------------------------------------------------------------------
# OLE2 compound files (old .xls, .doc, encrypted .xlsx)
# --------------------------------------------------------------------------------------------

_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole2(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` in the root storage.

    Compact on purpose: 512-byte sectors, one FAT sector, no mini stream (every stream is padded
    to the 4096-byte cut-off, as Excel does with its Workbook stream), an all-black sibling chain
    sorted the way the format compares names (length first, then upper case)."""
    padded = {name: data.ljust(4096, b"\x00") for name, data in streams.items()}
    ordered = sorted(padded, key=lambda name: (len(name), name.upper()))
    directory_sectors = (len(ordered) + 1 + 3) // 4
    fat = [_FATSECT]
    fat += [*range(2, directory_sectors + 1), _END]  # directory chain: sectors 1..n
    starts: dict[str, int] = {}
    for name in ordered:
        count = (len(padded[name]) + 511) // 512
        starts[name] = len(fat)
        fat += [*range(len(fat) + 1, len(fat) + count), _END]
    assert len(fat) <= 128, "this writer keeps to one FAT sector"
    fat += [_FREE] * (128 - len(fat))

    def direntry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, _NOSTREAM,
                           right, child, bytes(16), 0, 0, 0, start, size)

    entries = [direntry("Root Entry", 5, 1 if ordered else _NOSTREAM, _NOSTREAM, _END, 0)]
    for index, name in enumerate(ordered):
        right = index + 2 if index + 1 < len(ordered) else _NOSTREAM
        entries.append(direntry(name, 2, _NOSTREAM, right, starts[name], len(padded[name])))
    empty = struct.pack("<64sHBBIII16sIQQIQ", bytes(64), 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM,
                        bytes(16), 0, 0, 0, 0, 0)
    directory = b"".join(entries) + empty * (directory_sectors * 4 - len(entries))

    header = struct.pack("<8s16s5H6s9I", bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16), 0x3E, 3,
                         0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    header += struct.pack("<109I", 0, *([_FREE] * 108))
    body = struct.pack("<128I", *fat) + directory
    for name in ordered:
        data = padded[name]
        body += data.ljust((len(data) + 511) // 512 * 512, b"\x00")
    return header + body


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def biff8_workbook(sheet: str = "项目表", value: float = 1234.5) -> bytes:
    """A minimal BIFF8 Workbook stream: globals (BOF, CODEPAGE, BOUNDSHEET, EOF) and one sheet
    (BOF, DIMENSIONS, NUMBER in A1, EOF)."""
    name = sheet.encode("utf-16-le")
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x0206))
    codepage = _record(0x0042, struct.pack("<H", 1200))
    boundsheet_size = 4 + 8 + len(name)
    sheet_offset = len(bof_globals) + len(codepage) + boundsheet_size + 4
    boundsheet = _record(0x0085, struct.pack("<IBBBB", sheet_offset, 0, 0, len(sheet), 1) + name)
    globals_ = bof_globals + codepage + boundsheet + _record(0x000A)
    assert len(globals_) == sheet_offset
    sheet_stream = (_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x0206))
                    + _record(0x0200, struct.pack("<IIHHH", 0, 1, 0, 1, 0))
                    + _record(0x0203, struct.pack("<HHHd", 0, 0, 15, value))
                    + _record(0x000A))
    return globals_ + sheet_stream


def encryption_info() -> bytes:
    """An agile EncryptionInfo stream header (version 4.4) with a plausible XML descriptor."""
    xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
           b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
           b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" '
           b'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" '
           b'saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></encryption>')
    return struct.pack("<HHI", 4, 4, 0x40) + xml


# --------------------------------------------------------------------------------------------
# XML payloads
# --------------------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
              for i in range(1, 10))
    + "]>\n"
)


def billion_laughs(root: str, inner: str) -> bytes:
    return (BILLION_LAUGHS + f"{root}{inner.replace('LAUGH', '&lol9;')}").encode()


def workbook_bomb() -> bytes:
    return billion_laughs(
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
        '<sheets><sheet name="LAUGH" sheetId="1" r:id="rId1" xmlns:r="http://schemas.openxml'
        'formats.org/officeDocument/2006/relationships"/></sheets></workbook>')


def sheet_xml(cells: str, dimension: str = "A1") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>'
    ).encode()


def sheet_bomb() -> bytes:
    return billion_laughs(
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>LAUGH</t></is></c></row>'
        '</sheetData></worksheet>')


def xxe_sheet(target: str = "file:///etc/passwd") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "{target}">]>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
        '</sheetData></worksheet>'
    ).encode()


def many_styles(count: int = 100_000) -> bytes:
    """styles.xml with ``count`` cell formats, varied the way style bloat is (≈ 9 MB, ≈ 13:1)."""
    xfs = "".join(
        f'<xf numFmtId="{i % 50}" fontId="{i % 997}" fillId="{i % 7}" borderId="{i % 13}" '
        f'xfId="0" applyFont="1" applyBorder="1"/>' for i in range(count))
    fonts = "".join(f'<font><sz val="{9 + i % 5}"/><name val="宋体{i}"/></font>' for i in range(997))
    fills = '<fill><patternFill patternType="none"/></fill>' * 7
    borders = "<border><left/><right/><top/><bottom/><diagonal/></border>" * 13
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<fonts count="997">{fonts}</fonts><fills count="7">{fills}</fills>'
        f'<borders count="13">{borders}</borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{count}">{xfs}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>'
    ).encode()


def big_shared_strings(target_bytes: int = 10 * MiB) -> bytes:
    parts: list[str] = []
    size = index = 0
    while size < target_bytes:
        item = f"<si><t>第{index}号项目：预算绩效目标说明文字{index * 7919 % 100003}</t></si>"
        parts.append(item)
        size += len(item.encode())
        index += 1
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{index}" uniqueCount="{index}">{"".join(parts)}</sst>'
    ).encode()


# --------------------------------------------------------------------------------------------
# Other formats
# --------------------------------------------------------------------------------------------

def png_image() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress(b"\x00\xff\x00\x00" * 1)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def pdf_document() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


EXCEL_HTML = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office"\n'
    'xmlns:x="urn:schemas-microsoft-com:office:excel"\nxmlns="http://www.w3.org/TR/REC-html40">\n'
    '<head><meta http-equiv=Content-Type content="text/html; charset=utf-8"></head>\n'
    "<body><table><tr><td>项目名称</td><td>资金总额</td></tr>"
    "<tr><td>第1号项目</td><td>12.5</td></tr></table></body></html>\n"
)

SPREADSHEET_2003 = (
    '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
    'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">\n'
    '<Worksheet ss:Name="项目表"><Table><Row><Cell><Data ss:Type="String">项目名称</Data></Cell>'
    "</Row></Table></Worksheet></Workbook>\n"
)

CSV_TEXT = "项目名称,资金总额（万元）,绩效目标\n第1号项目,12.5,完成率≥95%\n第2号项目,25,完成率≥95%\n"

_CONTENT_TYPES_DOCX = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def package_rels(target: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        f'Target="{target}"/></Relationships>'
    ).encode()


def docx_like() -> bytes:
    document = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
                'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>绩效目标'
                '</w:t></w:r></w:p></w:body></w:document>')
    return rezip([("[Content_Types].xml", _CONTENT_TYPES_DOCX.encode()),
                  ("_rels/.rels", package_rels("word/document.xml")),
                  ("word/document.xml", document.encode())])


def ods_like() -> bytes:
    members = [
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("content.xml", b'<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:'
                        b'names:tc:opendocument:xmlns:office:1.0"/>'),
        ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                                  b'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'),
    ]
    return raw_zip([entry(members[0][0], members[0][1], zipfile.ZIP_STORED)]
                   + honest(members[1:]))


def xlsm() -> bytes:
    """A valid .xlsm by XlsxWriter with a fake vbaProject.bin (an OLE2 file with a VBA stream)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.add_worksheet("项目表").write(0, 0, "项目名称")
    project = ole2({"dir": b"Attribute VB_Name = \"ThisWorkbook\"\r\nSub AutoOpen()\r\nEnd Sub\r\n"})
    workbook.add_vba_project(io.BytesIO(project), is_stream=True)
    workbook.close()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------

def build_corpus(directory: Path) -> dict[str, Path]:
    """Write every case into ``directory``; return ``{case: path}``."""
    directory.mkdir(parents=True, exist_ok=True)
    base = base_xlsx()
    members = members_of(base)
    sheet1 = "xl/worksheets/sheet1.xml"
    cases: dict[str, Path] = {}

    def put(case: str, data: bytes, filename: str | None = None) -> None:
        path = directory / (filename or f"{case}.xlsx")
        path.write_bytes(data)
        cases[case] = path

    # -- benign ---------------------------------------------------------------------------------
    put("valid", base)
    put("valid_stored", rezip(members, zipfile.ZIP_STORED))
    put("xlsm_macros", xlsm(), "valid_macros.xlsm")
    put("huge_dimension", rezip(replace(members, sheet1, sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c>'
        "</row>", dimension="A1:XFD1048576"))))
    put("many_styles", rezip(replace(members, "xl/styles.xml", many_styles())))
    put("big_shared_strings", rezip(replace(members, "xl/sharedStrings.xml", big_shared_strings())))
    put("name_spaces", base, "2025 年 项目 支出 绩效 目标 表.xlsx")
    put("name_chinese", base, "财政局（本级）2025年预算绩效目标表【修改版】.xlsx")
    put("name_200_chars", base, "预算绩效目标表" * 3 + "x" * (200 - 21 - 5) + ".xlsx")
    assert len(cases["name_200_chars"].name) == 200

    # -- not a file, or an empty one -----------------------------------------------------------------
    put("empty", b"")
    put("zeros", bytes(4096))
    too_large = directory / "too_large.xlsx"
    with open(too_large, "wb") as handle:  # sparse: costs nothing on disk
        handle.write(base)
        handle.truncate(51 * MiB)
    cases["too_large"] = too_large
    folder = directory / "folder.xlsx"
    folder.mkdir(exist_ok=True)
    cases["directory"] = folder
    if hasattr(os, "mkfifo"):
        fifo = directory / "fifo.xlsx"
        if not fifo.exists():
            os.mkfifo(fifo)
        cases["fifo"] = fifo

    # -- other formats -------------------------------------------------------------------------------
    put("random_bytes", os.urandom(64 * 1024))
    put("legacy_xls", ole2({"Workbook": biff8_workbook()}), "legacy.xls")
    put("legacy_xls_renamed", ole2({"Workbook": biff8_workbook()}))
    put("encrypted_xlsx", ole2({"EncryptionInfo": encryption_info(),
                                "EncryptedPackage": struct.pack("<Q", len(base)) + os.urandom(8192)}))
    put("word_doc", ole2({"WordDocument": b"\xec\xa5" + bytes(100), "1Table": bytes(64)}),
        "word.doc")
    put("docx", docx_like())
    put("ods", ods_like())
    put("xlsb", rezip([("_rels/.rels", package_rels("xl/workbook.bin")),
                       ("xl/workbook.bin", b"\x83\x01\x00")]))
    put("zip_of_xlsx", rezip([("财政局报表/预算绩效目标表.xlsx", base)]), "returned.zip")
    put("csv_utf8", CSV_TEXT.encode("utf-8-sig"))
    put("csv_gbk", CSV_TEXT.encode("gb18030"))
    put("unicode_text", CSV_TEXT.replace(",", "\t").encode("utf-16"))
    put("html_as_xls", EXCEL_HTML.encode(), "export.xls")
    put("xml_spreadsheet_2003", SPREADSHEET_2003.encode(), "export2003.xls")
    put("rtf", b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 SimSun;}} \\f0 \\'cf\\'ee\\'c4\\'bf}")
    put("pdf", pdf_document())
    put("png", png_image())
    put("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64))

    # -- broken zips ---------------------------------------------------------------------------------
    put("truncated", base[: len(base) * 6 // 10])
    put("truncated_end_record", base[:-10])
    put("no_workbook_part", rezip([(n, d) for n, d in members if n != "xl/workbook.xml"]))
    put("empty_zip", rezip([]))
    put("duplicate_members", rezip([*members, (sheet1, sheet_xml(""))]))
    put("case_duplicate_members", rezip([*members, (sheet1.upper(), sheet_xml(""))]))
    put("too_many_members", rezip(members + [(f"xl/junk/{i}.xml", b"") for i in range(5000)],
                                  zipfile.ZIP_STORED))
    encrypted = honest(members)
    for item in encrypted:
        item.flags |= 0x1
    put("encrypted_zip_members", raw_zip(encrypted))
    bzip = io.BytesIO()
    with zipfile.ZipFile(bzip, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data, zipfile.ZIP_BZIP2 if name == sheet1 else None)
    put("bzip2_member", bzip.getvalue())
    bad_crc = honest(members)
    for item in bad_crc:
        if item.name == sheet1:
            item.crc ^= 0xFFFF
    put("bad_crc", raw_zip(bad_crc))

    # -- zip bombs -----------------------------------------------------------------------------------
    prefix = b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="x"><sheetData>'
    bomb = [item for item in honest(members) if item.name != sheet1]
    put("bomb_honest_1gib", raw_zip([*bomb, RawEntry(sheet1, zeros_deflate(1024), crc=CRC32_OF_1GIB_ZEROS,
                                                     size=2**30)]))
    fifty = zeros_deflate(50)
    put("bomb_ratio", raw_zip([*bomb, RawEntry(sheet1, fifty, crc=zlib.crc32(bytes(50 * MiB)),
                                               size=50 * MiB)]))
    quarter, quarter_crc = mixed_deflate(80)
    put("bomb_total", raw_zip([*bomb] + [
        RawEntry(f"xl/media/blob{i}.bin", quarter, crc=quarter_crc, size=80 * MiB)
        for i in range(4)]))
    liar = zeros_deflate(1024, prefix)
    put("bomb_lying_size", raw_zip([*bomb, RawEntry(sheet1, liar, size=2 * MiB)]))
    put("bomb_lying_big", raw_zip([*bomb, RawEntry(sheet1, liar, size=90 * MiB)]))
    put("bomb_lying_tiny", raw_zip([*bomb, RawEntry(sheet1, liar, size=1000)]))
    # Fifield's "better zip bomb" in spirit: many central entries share one compressed MiB, each
    # under every per-member limit, together 250 MiB from a file of a few KB.
    one, one_crc = mixed_deflate(1)
    shared = [*honest(members)]
    first = len(shared)
    shared.append(RawEntry("xl/media/shared0.bin", one, crc=one_crc, size=MiB))
    shared += [RawEntry(f"xl/media/shared{i}.bin", b"", crc=one_crc, size=MiB, shares=first)
               for i in range(1, 250)]
    put("bomb_overlapping", raw_zip(shared))

    # -- hostile XML ---------------------------------------------------------------------------------
    put("xml_bomb_workbook", rezip(replace(members, "xl/workbook.xml", workbook_bomb())))
    put("xml_bomb_sheet", rezip(replace(members, sheet1, sheet_bomb())))
    put("xxe_sheet", rezip(replace(members, sheet1, xxe_sheet())))
    put("xxe_shared_strings", rezip(replace(
        members, "xl/sharedStrings.xml",
        b'<?xml version="1.0"?><!DOCTYPE sst SYSTEM "http://127.0.0.1:9/evil.dtd"><sst/>')))
    put("doctype_in_rels", rezip(replace(
        members, "_rels/.rels",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + package_rels("xl/workbook.xml").split(b"?>", 1)[1])))
    put("doctype_after_long_comment", rezip(replace(
        members, sheet1,
        b'<?xml version="1.0"?><!--' + b"x" * 10_000 + b'--><!DOCTYPE w [<!ENTITY a "b">]>'
        + sheet_xml("").split(b"?>", 1)[1])))
    put("doctype_utf16", rezip(replace(members, sheet1, xxe_sheet().decode().replace(
        'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))))
    put("doctype_utf7", rezip(replace(
        members, sheet1,
        b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE w +AFs-+ADw-!ENTITY a SYSTEM '
        b'+ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-<worksheet/>')))
    put("xml_malformed_sheet", rezip(replace(members, sheet1, b"<worksheet><sheetData><row>")))
    return cases


# --------------------------------------------------------------------------------------------
# Hostile twists on a real return (issue 9): cells a spreadsheet library would size its work by
# --------------------------------------------------------------------------------------------

def sheet_parts(members: list[tuple[str, bytes]]) -> dict[str, str]:
    """Sheet name -> its part, from workbook.xml and its relationships (a regex is enough for the
    workbooks our generator writes)."""
    files = dict(members)
    rels = dict(re.findall(rb'Id="(rId\d+)"[^>]*Target="([^"]+)"', files["xl/_rels/workbook.xml.rels"]))
    rels.update({k: v for v, k in re.findall(rb'Target="([^"]+)"[^>]*Id="(rId\d+)"',
                                             files["xl/_rels/workbook.xml.rels"])})
    out = {}
    for name, rid in re.findall(rb'<sheet name="([^"]+)"[^>]*r:id="(rId\d+)"', files["xl/workbook.xml"]):
        out[name.decode()] = "xl/" + rels[rid].decode().lstrip("/").removeprefix("xl/")
    return out


def _append_rows(xml: bytes, rows: bytes) -> bytes:
    return xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)


def _cell_at_end_of_row(xml: bytes, row: int, cell: bytes) -> bytes:
    match = re.search(rb'<row r="%d"[^>]*>.*?</row>' % row, xml, re.DOTALL)
    assert match is not None, f"row {row} not found"
    end = match.end() - len(b"</row>")
    return xml[:end] + cell + xml[end:]


def without_refs(xml: bytes) -> bytes:
    """The sheet with every ``r=`` removed from rows and cells, gaps filled with empty ``<c/>``
    elements and empty rows, so that position alone locates each cell (as the format allows)."""
    def col_of(ref: bytes) -> int:
        letters = re.match(rb"[A-Z]+", ref).group(0)  # type: ignore[union-attr]
        n = 0
        for ch in letters:
            n = n * 26 + ch - 64
        return n - 1

    head, rest = xml.split(b"<sheetData>", 1)
    body, tail = rest.split(b"</sheetData>", 1)
    out = bytearray()
    expected_row = 1
    for row in re.finditer(rb"<row r=\"(\d+)\"([^>]*?)(/>|>(.*?)</row>)", body, re.DOTALL):
        number = int(row.group(1))
        out += b"<row/>" * (number - expected_row)
        expected_row = number + 1
        attrs = re.sub(rb'\s*spans="[^"]*"', b"", row.group(2))
        cells = row.group(4) or b""
        rebuilt = bytearray()
        next_col = 0
        for cell in re.finditer(rb'<c r="([A-Z]+\d+)"(.*?)(?:/>|>(.*?)</c>)', cells, re.DOTALL):
            col = col_of(cell.group(1))
            rebuilt += b"<c/>" * (col - next_col)
            next_col = col + 1
            inner = cell.group(3)
            rebuilt += b"<c" + cell.group(2) + (b"/>" if inner is None else b">" + inner + b"</c>")
        out += b"<row" + attrs + b">" + bytes(rebuilt) + b"</row>"
    return head + b"<sheetData>" + bytes(out) + b"</sheetData>" + tail


def wide_no_ref_sheet() -> bytes:
    """One row of 16,384 cells then 38,000 rows, no ``r=`` anywhere (~29 KB compressed): a reader
    that sizes a dense range by the extent asks for about 20 GB."""
    # varied values keep the part under the compression-ratio limit: this is about cells, not zip
    wide = b"<row>" + b"".join(b"<c><v>%d</v></c>" % (i * 7919 % 10007) for i in range(16_384))
    tall = b"".join(b"<row><c><v>%d</v></c></row>" % (i * 104729 % 100003) for i in range(38_000))
    return sheet_xml_raw(wide + b"</row>" + tall)


def sheet_xml_raw(rows: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>" + rows + b"</sheetData></worksheet>")


def return_variants(members: list[tuple[str, bytes]], project_sheet: str,
                    lists_sheet: str = "_lists", other_sheet: str = "填表说明"
                    ) -> dict[str, list[tuple[str, bytes]]]:
    """Hostile variants of a real filled return (its zip members), each ``{case: members}``.

    All of them are readable: a reader must give the return's own values (or a clear refusal),
    never abort. ``project_sheet`` names a sheet the reader reads, ``lists_sheet`` the hidden sheet
    carrying the stamp's copy, ``other_sheet`` a sheet the reader never needs."""
    parts = sheet_parts(members)
    files = dict(members)
    project, lists, other = parts[project_sheet], parts[lists_sheet], parts[other_sheet]
    sheet = files[project]
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    out: dict[str, list[tuple[str, bytes]]] = {}
    out["far_cell_xfd1048576"] = replace(members, project, _append_rows(sheet, far))
    out["far_cells_xfd20_a1048576"] = replace(members, project, _append_rows(
        _cell_at_end_of_row(sheet, 20, b'<c r="XFD20"><v>7</v></c>'),
        b'<row r="1048576"><c r="A1048576"><v>8</v></c></row>'))
    out["out_of_grid_refs"] = replace(members, project, _append_rows(
        _cell_at_end_of_row(sheet, 20, b'<c r="ZZZZZZ20"><v>7</v></c>'),
        b'<row r="4294967295"><c r="A4294967295"><v>9</v></c></row>'
        b'<row r="99999999999999999999"><c r="B99999999999999999999"><v>9</v></c></row>'))
    out["rows_far_apart"] = replace(members, project, _append_rows(
        sheet, b'<row r="500000"><c r="C500000"><v>1</v></c></row>'
               b'<row r="1000000"><c r="D1000000"><v>2</v></c></row>' + far))
    out["no_refs_project_sheet"] = replace(members, project, without_refs(sheet))
    out["wide_no_refs_sheet"] = replace(members, other, wide_no_ref_sheet())
    for count in ("4294967295", "18446744073709551615"):
        sst = re.sub(rb'count="\d+" uniqueCount="\d+"',
                     f'count="{count}" uniqueCount="{count}"'.encode(), files["xl/sharedStrings.xml"])
        assert sst != files["xl/sharedStrings.xml"]
        out[f"shared_strings_count_{count}"] = replace(members, "xl/sharedStrings.xml", sst)
    lists_far = _append_rows(files[lists], b'<row r="1048576"><c r="Z1048576"><v>1</v></c></row>')
    out["lists_far_cell_with_properties"] = replace(members, lists, lists_far)
    out["lists_far_cell_without_properties"] = [
        (n, d) for n, d in replace(members, lists, lists_far) if n != "docProps/custom.xml"]
    return out
