"""Opening returned files safely.

Every returned file passes through here before anything parses it. The checks run from the
cheapest to the dearest, and each refusal is a :class:`~xltargets.errors.WorkbookError` with a
stable English ``code`` and a Chinese message from :data:`MESSAGES`:

1. ``stat``: the path exists, is a regular file, is not empty and not larger than the limit.
2. ``sniff``: the first 8 KiB say what the file really is (never the extension). Only a zip goes on;
   an OLE2 file is inspected to tell an encrypted .xlsx from an old .xls or a Word .doc.
3. The zip's end record is read by hand (a central directory of a million entries is refused before
   :mod:`zipfile` builds a million objects), then :mod:`zipfile` parses the central directory, and
   every member's declared sizes, ratio, flags and position are checked: too big, too compressed,
   encrypted, overlapping (the "better zip bomb"), duplicated (two readers could pick different
   copies), or with sizes that no deflate stream could produce.
4. The main part is found through ``_rels/.rels`` (falling back to ``xl/workbook.xml``) and other
   Office and archive formats are named.

Parts are decompressed only on demand, by our own bounded inflater: declared sizes can lie, so the
output is counted while it is produced and reading stops as soon as it passes the declared size, the
per-member or total limit, or the compression-ratio limit. XML is parsed with defusedxml (no DTD, no
entities, no external references). Parts handed to python-calamine, whose XML parser we do not
control, get a cheap prolog check instead, plus a proof that they cannot inflate past the limits.
"""

from __future__ import annotations

import codecs
import os
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import BinaryIO
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from xltargets.errors import WorkbookError

__all__ = [
    "DEFAULT_LIMITS",
    "DEFLATE_MAX_RATIO",
    "MESSAGES",
    "PROLOG_WINDOW",
    "RATIO_FLOOR",
    "SNIFF_BYTES",
    "Limits",
    "Package",
    "check_parts_for_calamine",
    "check_xml_prolog",
    "inspect_ole2",
    "open_package",
    "parse_xml",
    "resolve_target",
    "sniff",
    "workbook_error",
]

#: stable code -> the Chinese sentence shown to reviewers and departments
MESSAGES: dict[str, str] = {
    # the file itself
    "not_found": "文件不存在",
    "not_a_file": "不是普通文件（可能是文件夹或设备），无法读取",
    "io_error": "读取文件时发生系统错误，请稍后重试或联系管理员",
    "empty_file": "文件为空（0字节），请重新保存后提交",
    "too_large": "文件过大（超过{limit}），请检查是否为本表",
    # another format than .xlsx
    "legacy_xls": "这是旧版 .xls 文件，请另存为 .xlsx 后重新提交",
    "encrypted": "文件已加密，请取消打开密码后重新提交",
    "xlsb_format": "这是 Excel 二进制工作簿（.xlsb），请另存为 .xlsx 后重新提交",
    "xml_spreadsheet": "这是 Excel 2003 XML 表格文件，请另存为 .xlsx 后重新提交",
    "ods_format": "这是 OpenDocument（.ods）文件，请另存为 .xlsx 后重新提交",
    "word_document": "这是 Word 文件，请使用下发的 Excel 模板填报",
    "rtf_document": "这是 RTF 文档而非 Excel 工作簿，请使用下发的 Excel 模板填报",
    "csv_disguised": "这是 CSV/文本文件而非 Excel 工作簿，请使用下发的模板填报",
    "html_disguised": "这是网页（HTML）文件而非 Excel 工作簿，请使用下发的模板填报",
    "pdf_file": "这是 PDF 文件，请提交填写好的 Excel 工作簿（.xlsx）",
    "image_file": "这是图片文件，请提交填写好的 Excel 工作簿（.xlsx）",
    "archive": "这是压缩包而非 Excel 工作簿，请解压后提交其中的 .xlsx 文件",
    "not_a_workbook": "不是 Excel 工作簿文件，请使用下发的模板填报",
    "unknown_format": "无法识别的文件格式，请提交 .xlsx 工作簿",
    # a zip that is broken or hostile
    "corrupt_zip": "文件已损坏或不完整，无法打开，请重新保存后提交",
    "missing_part": "文件不完整（缺少必要的组成部分），请重新保存后提交",
    "zip_bomb": "文件内容异常（解压后体积过大），已拒绝读取",
    "too_many_members": "文件结构异常（部件过多），已拒绝读取",
    # the XML inside
    "xml_forbidden": "文件含有不允许的 XML 声明（DTD/实体），已拒绝读取",
    "xml_malformed": "文件内容损坏（XML 格式错误），请重新保存后提交",
    # raised by the cell reader and the batch runner, which enforce these limits
    "too_many_cells": "工作表内容过多（超过{limit}个单元格），已拒绝读取",
    "timeout": "文件读取超时（超过{limit}秒），已拒绝读取",
    # raised by the reader once the workbook is open
    "corrupt_workbook": "工作簿内容损坏，无法读取，请重新保存后提交",
    "unknown_form": "不是本系统下发的绩效目标表模板（找不到模板标记和对应的工作表），请使用下发的模板填报",
    "unknown_spec": "文件标记的表样“{spec}”（版本{version}）不是本系统已知的表样",
    "wrong_spec": "该文件是“{spec}”（版本{version}）模板，不是指定的“{expected}”（版本{expected_version}）",
}

#: how much of a file :func:`sniff` looks at
SNIFF_BYTES = 8 * 1024
#: how far into an XML part the root element must start (the prolog is a few hundred bytes)
PROLOG_WINDOW = 64 * 1024
_PROLOG_FIRST = 4096
#: the ratio limit applies only to members at least this large once decompressed
RATIO_FLOOR = 2**20
#: deflate cannot expand data by more than about 1032:1 (258 bytes per 2-bit code)
DEFLATE_MAX_RATIO = 1032

_CHUNK = 64 * 1024
_MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """Resource limits for one returned file. Every one can be changed; the defaults are documented
    in docs/security.md and are far above a real 预算绩效目标表 (a few hundred KB)."""

    #: size of the file on disk
    max_file_bytes: int = 50 * _MiB
    #: entries in the zip's central directory
    max_members: int = 2000
    #: uncompressed size of any member (declared, and counted while reading)
    max_member_bytes: int = 100 * _MiB
    #: uncompressed size of all members (declared), and of all parts read (counted)
    max_total_bytes: int = 300 * _MiB
    #: uncompressed/compressed ratio of any member larger than RATIO_FLOOR uncompressed
    max_ratio: float = 200.0
    #: cells per sheet: enforced by the cell reader (code ``too_many_cells``)
    max_cells_per_sheet: int = 200_000
    #: wall time per file: enforced by the callers (code ``timeout``)
    max_seconds: float = 5.0


DEFAULT_LIMITS = Limits()


def workbook_error(code: str, *, path: str | os.PathLike[str] | None = None,
                   detail: str | None = None, **fields: object) -> WorkbookError:
    """The :class:`WorkbookError` for ``code``, its message taken from :data:`MESSAGES`.

    ``fields`` fill the placeholders of the message (``limit`` for ``too_large``)."""
    message = MESSAGES[code]
    if fields:
        message = message.format(**fields)
    return WorkbookError(code, message, path=None if path is None else os.fspath(path),
                         detail=detail)


def _human_bytes(n: float) -> str:
    for unit in ("字节", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "字节" or n == int(n) else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip
    (b"PK\x07\x08", "zip"),  # a spanned zip marker before the first member
    (bytes.fromhex("D0CF11E0A1B11AE1"), "ole2"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"{\\rtf", "rtf"),
    (b"Rar!\x1a\x07", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"\x1f\x8b", "archive"),  # gzip
    (b"\xfd7zXZ\x00", "archive"),
)
_HTML_TAGS = frozenset({"html", "head", "body", "table", "meta", "title", "style", "script",
                        "link", "div", "span", "p", "font", "tr", "td", "th", "br"})
_TAG = re.compile(r"<([A-Za-z_][\w:.-]*)")


def sniff(head: bytes, name: str = "") -> str:
    """What ``head`` (the first :data:`SNIFF_BYTES` of a file) really is, by content only.

    One of ``zip``, ``ole2`` (an old .xls, a .doc, *and* an encrypted .xlsx), ``pdf``, ``png``,
    ``jpeg``, ``gif``, ``bmp``, ``tiff``, ``webp``, ``html`` (including Excel's "web page" exports
    and MHTML), ``xml_spreadsheet`` (SpreadsheetML 2003), ``rtf``, ``archive`` (rar, 7z, gzip, xz),
    ``csv``, ``text``, ``zeros`` (only NUL bytes: an interrupted save), ``empty``, ``unknown``.
    ``name`` is accepted for the callers' convenience and never used: extensions lie.
    """
    del name
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if _looks_like_bmp(head):
        return "bmp"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if not head.strip(b"\x00"):
        return "zeros"
    text = _decode_text(head)
    if text is None:
        return "unknown"
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("<"):
        return _sniff_markup(body)
    if body.startswith("{\\rtf"):
        return "rtf"
    lowered = body[:2048].lower()
    if lowered.startswith("mime-version:") and "multipart/related" in lowered:
        return "html"  # MHTML: Excel's "single file web page"
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if controls > len(text) // 100:
        return "unknown"
    return "csv" if _looks_delimited(text, truncated=len(head) >= SNIFF_BYTES) else "text"


def _looks_like_bmp(head: bytes) -> bool:
    if not head.startswith(b"BM") or len(head) < 26:
        return False
    (dib_size,) = struct.unpack_from("<I", head, 14)
    return head[6:10] == b"\x00\x00\x00\x00" and dib_size in (12, 40, 52, 56, 64, 108, 124)


def _decode_text(head: bytes) -> str | None:
    """``head`` as text, if it is UTF-8, UTF-16 (with a BOM) or GB18030, else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    elif head.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        for cut in range(4):  # the head may end inside a multi-byte character
            try:
                return head[: len(head) - cut].decode(encoding)
            except UnicodeDecodeError:
                continue
    return None


def _sniff_markup(text: str) -> str:
    lowered = text[:4096].lower()
    position = 0
    while True:
        if lowered.startswith("<?", position):
            end = lowered.find("?>", position)
        elif lowered.startswith("<!--", position):
            end = lowered.find("-->", position)
        elif lowered.startswith("<!doctype", position):
            if "html" in lowered[position:position + 64]:
                return "html"
            end = lowered.find(">", position)
        else:
            break
        if end < 0:
            return "unknown"
        position = lowered.find("<", end)
        if position < 0:
            return "unknown"
    match = _TAG.match(lowered, position)
    if match is None:
        return "unknown"
    tag = match.group(1)
    if tag in _HTML_TAGS:
        return "html"
    if tag.rsplit(":", 1)[-1] == "workbook" or "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return "xml_spreadsheet"
    return "unknown"


def _looks_delimited(text: str, *, truncated: bool) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if truncated and len(lines) > 1:
        lines.pop()  # probably cut in the middle
    lines = lines[:50]
    if not lines:
        return False
    for delimiter in (",", "\t", ";", "|", "，"):
        if sum(1 for line in lines if delimiter in line) >= max(1, (len(lines) * 3) // 5):
            return True
    return False


# --------------------------------------------------------------------------------------------
# OLE2 (old .xls, .doc, encrypted OOXML)
# --------------------------------------------------------------------------------------------

_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_OLE2_LAST_REGULAR_SECTOR = 0xFFFFFFF9
_OLE2_MAX_SECTORS_WALKED = 4096
_OLE2_KNOWN = ("EncryptedPackage", "EncryptionInfo", "Workbook", "Book", "WordDocument",
               "PowerPoint Document")


class _ByteSource:
    """Random access to a file, served from ``head`` where possible."""

    def __init__(self, head: bytes, path: str | os.PathLike[str] | None) -> None:
        self.head = head
        self.path = path
        self._file: BinaryIO | None = None

    def read(self, offset: int, size: int) -> bytes:
        if offset + size <= len(self.head):
            return self.head[offset:offset + size]
        if self.path is None:
            return self.head[offset:offset + size]
        if self._file is None:
            try:
                self._file = open(self.path, "rb")  # noqa: SIM115 - closed in close()
            except OSError:
                self.path = None
                return self.head[offset:offset + size]
        self._file.seek(offset)
        return self._file.read(size)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _ole2_entry_names(source: _ByteSource) -> list[str] | None:
    """Names of the storages and streams in an OLE2 directory, or None if it cannot be walked."""
    header = source.read(0, 512)
    if len(header) < 512 or not header.startswith(_OLE2_MAGIC):
        return None
    (shift,) = struct.unpack_from("<H", header, 0x1E)
    if shift not in (9, 12):
        return None
    sector_size = 1 << shift
    per_sector = sector_size // 4
    first_dir, = struct.unpack_from("<I", header, 0x30)
    first_difat, count_difat = struct.unpack_from("<II", header, 0x44)
    fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C)
                   if s <= _OLE2_LAST_REGULAR_SECTOR]
    difat, walked = first_difat, 0
    while difat <= _OLE2_LAST_REGULAR_SECTOR and walked < min(count_difat, _OLE2_MAX_SECTORS_WALKED):
        sector = source.read((difat + 1) * sector_size, sector_size)
        if len(sector) < sector_size:
            break
        entries = struct.unpack(f"<{per_sector}I", sector)
        fat_sectors.extend(s for s in entries[:-1] if s <= _OLE2_LAST_REGULAR_SECTOR)
        difat, walked = entries[-1], walked + 1

    def next_sector(sid: int) -> int:
        index, slot = divmod(sid, per_sector)
        if index >= len(fat_sectors):
            return 0xFFFFFFFE
        data = source.read((fat_sectors[index] + 1) * sector_size + slot * 4, 4)
        return struct.unpack("<I", data)[0] if len(data) == 4 else 0xFFFFFFFE

    names: list[str] = []
    seen: set[int] = set()
    sid = first_dir
    while sid <= _OLE2_LAST_REGULAR_SECTOR and sid not in seen and len(seen) < _OLE2_MAX_SECTORS_WALKED:
        seen.add(sid)
        sector = source.read((sid + 1) * sector_size, sector_size)
        if len(sector) < sector_size:
            break
        for start in range(0, sector_size, 128):
            entry = sector[start:start + 128]
            (name_length,) = struct.unpack_from("<H", entry, 0x40)
            if entry[0x42] in (1, 2, 5) and 2 <= name_length <= 64 and name_length % 2 == 0:
                names.append(entry[: name_length - 2].decode("utf-16-le", "replace"))
        sid = next_sector(sid)
    return names or None


def inspect_ole2(head: bytes, path: str | os.PathLike[str] | None) -> WorkbookError:
    """The error for an OLE2 compound file: an encrypted OOXML package (``encrypted``), an old
    .xls (``legacy_xls``), a Word .doc (``word_document``) or something else (``not_a_workbook``).

    The directory is walked from ``head`` and, for sectors beyond it, from the file at ``path``
    (a few sectors at most). If it cannot be walked, the UTF-16LE stream names are searched for in
    ``head``."""
    source = _ByteSource(head, path)
    try:
        names = _ole2_entry_names(source)
    except (OSError, struct.error, ValueError, IndexError):
        names = None
    finally:
        source.close()
    if names is not None:
        found = {name.casefold() for name in names}
    else:
        found = {name.casefold() for name in _OLE2_KNOWN if name.encode("utf-16-le") in head}

    def has(stream: str) -> bool:
        return stream.casefold() in found

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return workbook_error("encrypted", path=path,
                              detail="加密的 Office 文档（OLE2 容器内含 EncryptedPackage）")
    if has("Workbook") or has("Book"):
        return workbook_error("legacy_xls", path=path, detail="OLE2 容器内含 Workbook 流（BIFF）")
    if has("WordDocument"):
        return workbook_error("word_document", path=path, detail="旧版 Word 文档（.doc）")
    if has("PowerPoint Document"):
        return workbook_error("not_a_workbook", path=path, detail="PowerPoint 演示文稿（.ppt）")
    detail = "OLE2 复合文档，未找到工作簿" if names is not None else "OLE2 复合文档，目录无法读取"
    return workbook_error("not_a_workbook", path=path, detail=detail)


# --------------------------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------------------------

_XML_SPACE = " \t\r\n"
_ENCODING_DECL = re.compile(r"""encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")


@lru_cache(maxsize=64)
def _ascii_transparent(encoding: str) -> bool:
    """Whether ``encoding`` maps the bytes 0x01-0x7F to themselves, so that a scan of the raw bytes
    sees the same markup as the parser (false for UTF-7, EBCDIC, UTF-32, unknown codecs)."""
    try:
        codecs.lookup(encoding)
        sample = bytes(range(1, 128))
        return sample.decode(encoding) == sample.decode("ascii")
    except (LookupError, UnicodeError, ValueError):
        return False


def _prolog_text(window: bytes) -> tuple[str, bool]:
    """The prolog window as text with markup intact, and whether it was 8-bit encoded."""
    if window.startswith(b"\xef\xbb\xbf"):
        return window[3:].decode("latin-1"), True
    if window.startswith(b"\xff\xfe") and not window.startswith(b"\xff\xfe\x00\x00"):
        body, encoding = window[2:], "utf-16-le"
    elif window.startswith(b"\xfe\xff"):
        body, encoding = window[2:], "utf-16-be"
    elif window.startswith(b"<\x00") and not window.startswith(b"<\x00\x00\x00"):
        body, encoding = window, "utf-16-le"
    elif window.startswith(b"\x00<"):
        body, encoding = window, "utf-16-be"
    elif window[:1] in (b"\x00", b"\xff", b"\xfe") or window.startswith(b"+/v"):
        raise workbook_error("xml_malformed", detail="无法识别的 XML 编码（UTF-32/UTF-7 等）")
    else:
        return window.decode("latin-1"), True
    return body[: len(body) // 2 * 2].decode(encoding, "replace"), False


def _scan_prolog(data: bytes, *, complete: bool) -> bool:
    """True when the root element starts after a clean prolog; False when ``data`` (not
    ``complete``) ends before that. Raises ``xml_forbidden`` for a DTD, an entity declaration or any
    other ``<!`` declaration before the root, ``xml_malformed`` for anything else odd there."""
    text, eight_bit = _prolog_text(data)
    position, length = 0, len(text)
    while True:
        while position < length and text[position] in _XML_SPACE:
            position += 1
        if length - position < 4 and not complete:
            return False
        if position >= length:
            raise workbook_error("xml_malformed", detail="没有根元素")
        if text[position] != "<":
            raise workbook_error("xml_malformed", detail="根元素之前有多余内容")
        if text.startswith("<?", position):
            end = text.find("?>", position + 2)
            if end >= 0 and eight_bit and text.startswith("<?xml", position):
                match = _ENCODING_DECL.search(text, position, end)
                if match and not _ascii_transparent(match.group(1)):
                    raise workbook_error("xml_malformed",
                                         detail=f"不支持的 XML 编码 {match.group(1)}")
            closer = 2
        elif text.startswith("<!--", position):
            end, closer = text.find("-->", position + 4), 3
        elif text.startswith("<!", position):
            declaration = text[position:position + 40].split(None, 1)[0]
            raise workbook_error("xml_forbidden", detail=f"根元素之前出现 {declaration}")
        else:
            return True
        if end < 0:
            if complete:
                raise workbook_error("xml_malformed", detail="XML 声明或注释未结束")
            return False
        position = end + closer


def check_xml_prolog(data: bytes) -> None:
    """Refuse ``data`` if a DTD (``<!DOCTYPE``), an entity declaration or any other declaration
    comes before its root element (``xml_forbidden``), or if the prolog cannot be read
    (``xml_malformed``: no root, text before it, an encoding that hides markup such as UTF-7).

    Only the first :data:`PROLOG_WINDOW` bytes are looked at; the body is never scanned, so this
    costs microseconds however large the part. A DTD after the root is not well-formed XML."""
    _check_prolog(data)


def _check_prolog(data: bytes, path: str | os.PathLike[str] | None = None,
                  part: str | None = None) -> None:
    try:
        # the prolog is nearly always within the first few hundred bytes: look there first
        if len(data) <= _PROLOG_FIRST or not _scan_prolog(data[:_PROLOG_FIRST], complete=False):
            _scan_prolog(data[:PROLOG_WINDOW], complete=True)  # raises rather than ask for more
    except WorkbookError as error:
        raise _located(error, path, part) from None


def _prolog_found(head: bytes) -> bool:
    """Whether ``head`` (a part's beginning) is enough to judge its prolog."""
    try:
        return _scan_prolog(head, complete=False)
    except WorkbookError:
        return True  # enough to refuse it


def _located(error: WorkbookError, path: str | os.PathLike[str] | None,
             part: str | None) -> WorkbookError:
    detail = f"{part}: {error.detail}" if part and error.detail else (part or error.detail)
    return workbook_error(error.code, path=path if path is not None else error.path, detail=detail)


def parse_xml(data: bytes, *, path: str | os.PathLike[str] | None = None,
              part: str | None = None) -> Element:
    """Parse ``data`` with defusedxml: no DTD, no entities, no external references.

    Raises ``xml_forbidden`` or ``xml_malformed``; never another exception (except MemoryError)."""
    _check_prolog(data, path, part)
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except defusedxml.DefusedXmlException as error:
        raise workbook_error("xml_forbidden", path=path,
                             detail=f"{part}: {type(error).__name__}") from None
    except ParseError as error:
        raise workbook_error("xml_malformed", path=path, detail=f"{part}: {error}") from None
    except (MemoryError, RecursionError):
        raise
    except Exception as error:  # expat can raise ValueError, LookupError, UnicodeError…
        raise workbook_error("xml_malformed", path=path,
                             detail=f"{part}: {type(error).__name__}: {error}") from None


# --------------------------------------------------------------------------------------------
# The zip package
# --------------------------------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


def resolve_target(source_part: str, target: str) -> str:
    """The part name a relationship ``target`` points to, from the part ``source_part`` (``""``
    for the package's own ``_rels/.rels``). Handles ``/absolute``, ``../`` and %-escapes."""
    target = unquote(target.strip()).replace("\\", "/")
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(source_part), target)
    normal = posixpath.normpath(joined) if joined else ""
    return "" if normal in (".", "") else normal


class Package:
    """A validated, opened .xlsx zip. Only parts the reader asks for are decompressed, each with
    size limits. Not thread-safe (one file position); cheap to open one per worker.

    Built by :func:`open_package`, never directly."""

    path: Path
    names: frozenset[str]
    has_macros: bool
    workbook_part: str
    limits: Limits

    def __init__(self, path: Path, file: BinaryIO, infos: list[zipfile.ZipInfo],
                 limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self._file: BinaryIO | None = file
        self._infos = {info.filename: info for info in infos}
        self._folded = {info.filename.casefold(): info.filename for info in infos}
        self.names = frozenset(self._infos)
        #: xl/vbaProject.bin present (.xlsm): values are read, nothing is ever run; callers report it
        self.has_macros = any(name.endswith("vbaproject.bin") for name in self._folded)
        #: the main workbook part (usually ``xl/workbook.xml``), set by :func:`open_package`
        self.workbook_part = ""
        #: uncompressed bytes read so far, bounded by ``limits.max_total_bytes``
        self.bytes_read = 0

    # -- lookup -------------------------------------------------------------------------------

    def find(self, name: str) -> str | None:
        """The member called ``name`` (exactly, else ignoring case and a leading ``/``), or None."""
        if name in self._infos:
            return name
        return self._folded.get(name.lstrip("/").casefold())

    def info(self, name: str) -> zipfile.ZipInfo:
        """The zip entry of part ``name``; ``missing_part`` if there is none."""
        found = self.find(name)
        if found is None:
            raise workbook_error("missing_part", path=self.path, detail=name)
        return self._infos[found]

    def xml_parts(self) -> list[str]:
        """Every XML part (``*.xml``, ``*.rels``, ``*.vml``): what a third-party reader may parse."""
        return sorted(name for name in self.names
                      if name.casefold().endswith((".xml", ".rels", ".vml")))

    # -- reading ------------------------------------------------------------------------------

    def read_part(self, name: str) -> bytes:
        """The decompressed bytes of part ``name``. Raises ``missing_part``, ``zip_bomb`` (the
        output passes its declared size, the member or total limit, or the ratio limit: reading
        stops there), ``corrupt_zip`` (bad data, size or CRC) or ``io_error``."""
        return self._inflate(self.info(name), keep=True, head=None)

    def read_head(self, name: str, size: int) -> bytes:
        """At most the first ``size`` decompressed bytes of part ``name`` (the rest is not read)."""
        return self._inflate(self.info(name), keep=True, head=size)

    def read_xml(self, name: str) -> Element:
        """Part ``name`` parsed with defusedxml (see :func:`parse_xml`)."""
        return parse_xml(self.read_part(name), path=self.path, part=name)

    def _inflate(self, info: zipfile.ZipInfo, *, keep: bool, head: int | None) -> bytes:
        if self._file is None:
            raise ValueError("I/O on a closed Package")
        try:
            return self._inflate_open(self._file, info, keep=keep, head=head)
        except WorkbookError:
            raise
        except zlib.error as error:
            raise self._error("corrupt_zip", info, f"压缩数据损坏: {error}") from None
        except OSError as error:
            raise self._error("io_error", info, str(error)) from None

    def _error(self, code: str, info: zipfile.ZipInfo, detail: str) -> WorkbookError:
        return workbook_error(code, path=self.path, detail=f"{info.filename}: {detail}")

    def _inflate_open(self, file: BinaryIO, info: zipfile.ZipInfo, *, keep: bool,
                      head: int | None) -> bytes:
        limits = self.limits
        file.seek(info.header_offset)
        header = file.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
            raise self._error("corrupt_zip", info, "本地文件头缺失")
        name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
        raw_name = file.read(name_length)
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        try:
            local_name = raw_name.decode(encoding)
        except UnicodeDecodeError:
            local_name = None
        if local_name != info.orig_filename:
            raise self._error("corrupt_zip", info, "本地文件头与目录中的名称不一致")
        file.seek(extra_length, os.SEEK_CUR)

        declared, compressed = info.file_size, info.compress_size
        inflater = zlib.decompressobj(-15) if info.compress_type == _DEFLATED else None
        # a head needs a few KB: read and inflate in small steps then
        read_size = _CHUNK if head is None else 8192
        out_size = _CHUNK if head is None else max(1, min(_CHUNK, head))
        chunks: list[bytes] = []
        produced = crc = 0
        remaining = compressed
        while True:
            if inflater is None:
                if remaining == 0:
                    break
                data = file.read(min(read_size, remaining))
                if not data:
                    raise self._error("corrupt_zip", info, "数据被截断")
                remaining -= len(data)
                piece = data
            else:
                if inflater.eof:
                    break
                data = inflater.unconsumed_tail
                if not data and remaining:
                    data = file.read(min(read_size, remaining))
                    if not data:
                        raise self._error("corrupt_zip", info, "数据被截断")
                    remaining -= len(data)
                piece = inflater.decompress(data, out_size)
                if not piece and not data:
                    break  # no input left and nothing pending
            produced += len(piece)
            if produced > declared:
                raise self._error("zip_bomb", info,
                                  f"解压后超过声明的大小 {declared} 字节，已停止")
            if produced > limits.max_member_bytes:
                raise self._error("zip_bomb", info, "解压后超过单个部件上限，已停止")
            if keep and self.bytes_read + produced > limits.max_total_bytes:
                raise self._error("zip_bomb", info, "累计解压量超过上限，已停止")
            if inflater is not None and produced > RATIO_FLOOR:
                consumed = compressed - remaining - len(inflater.unconsumed_tail)
                if produced > limits.max_ratio * max(consumed, 1):
                    raise self._error("zip_bomb", info, "压缩比异常，已停止")
            if head is None:
                crc = zlib.crc32(piece, crc)
            if keep:
                chunks.append(piece)
            if head is not None and produced >= head:
                break
        if head is None:
            if inflater is not None and not inflater.eof:
                raise self._error("corrupt_zip", info, "压缩数据不完整")
            if produced != declared:
                raise self._error("corrupt_zip", info,
                                  f"实际大小 {produced} 与声明的 {declared} 不一致")
            if crc != info.CRC:
                raise self._error("corrupt_zip", info, "CRC 校验失败")
        if not keep:
            return b""
        self.bytes_read += produced
        data = b"".join(chunks)
        return data if head is None else data[:head]

    # -- life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Package:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._file is None else f"{len(self.names)} parts"
        return f"<Package {str(self.path)!r} {state}>"


def _declared_entry_count(file: BinaryIO, size: int) -> int | None:
    """The entry count of the zip's end record (zip64 aware), read without zipfile."""
    tail_length = min(size, 22 + 0xFFFF)
    file.seek(size - tail_length)
    tail = file.read(tail_length)
    position = tail.rfind(_EOCD)
    if position < 0 or position + 22 > len(tail):
        return None
    (count,) = struct.unpack_from("<H", tail, position + 10)
    if count != 0xFFFF:
        return count
    locator = position - 20
    if locator < 0 or tail[locator:locator + 4] != _EOCD64_LOCATOR:
        return None
    (record,) = struct.unpack_from("<Q", tail, locator + 8)
    if record + 56 > size:
        return None
    file.seek(record)
    data = file.read(56)
    if len(data) < 56 or not data.startswith(_EOCD64):
        return None
    (count64,) = struct.unpack_from("<Q", data, 32)
    return count64


def _deflate_bound(size: int) -> int:
    """A generous upper bound of the deflate output for ``size`` input bytes."""
    return size + (size >> 2) + 1024


def _check_members(infos: list[zipfile.ZipInfo], limits: Limits, path: Path,
                   data_end: int) -> None:
    def fail(code: str, detail: str) -> WorkbookError:
        return workbook_error(code, path=path, detail=detail)

    names = [info.filename for info in infos]
    if len(set(names)) != len(names) or len({n.casefold() for n in names}) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1}) or ["(大小写不同的同名部件)"]
        raise fail("corrupt_zip", f"重复的部件名: {', '.join(duplicates[:3])}")
    total = 0
    for info in infos:
        name = info.filename
        if "\x00" in info.orig_filename:
            raise fail("corrupt_zip", f"部件名含有空字符: {name!r}")
        if info.flag_bits & 0x1:
            raise fail("encrypted", f"{name}: zip 成员已加密")
        if info.compress_type not in (_STORED, _DEFLATED):
            raise fail("corrupt_zip", f"{name}: 不支持的压缩方式 {info.compress_type}")
        if info.file_size > limits.max_member_bytes:
            raise fail("zip_bomb", f"{name}: 解压后 {_human_bytes(info.file_size)}，"
                                   f"超过单个部件上限 {_human_bytes(limits.max_member_bytes)}")
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(
                info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise fail("zip_bomb", f"{name}: 压缩比 {ratio:.0f}:1，超过上限 {limits.max_ratio:.0f}:1")
        if info.compress_type == _STORED and info.compress_size != info.file_size:
            raise fail("corrupt_zip", f"{name}: 未压缩部件的两个大小不一致")
        if info.compress_type == _DEFLATED and info.compress_size > _deflate_bound(info.file_size):
            raise fail("zip_bomb", f"{name}: 声明的解压大小 {info.file_size} 字节与 "
                                   f"{info.compress_size} 字节的压缩数据不符（大小被篡改）")
    if total > limits.max_total_bytes:
        raise fail("zip_bomb", f"解压后共 {_human_bytes(total)}，超过上限 "
                               f"{_human_bytes(limits.max_total_bytes)}")
    # Members must not share data: overlapping entries make a small file expand many times.
    spans = sorted((info.header_offset, info.header_offset + 30 + info.compress_size,
                    info.filename) for info in infos)
    for (_, end, name), (next_start, _, next_name) in zip(spans, spans[1:], strict=False):
        if end > next_start:
            raise fail("zip_bomb", f"部件 {name} 与 {next_name} 的数据重叠")
    if spans and spans[-1][1] > data_end:
        raise fail("corrupt_zip", f"{spans[-1][2]}: 数据超出文件末尾（文件不完整）")


_OFFICE_DOCUMENT = "/officeDocument"
_ARCHIVED_WORKBOOK = (".xlsx", ".xlsm", ".xls", ".et", ".ods", ".csv")


def _locate_workbook(package: Package) -> str:
    """The workbook part, or the error that says what the zip is instead."""
    path = package.path

    main: str | None = None
    rels = package.find("_rels/.rels")
    if rels is not None:
        try:
            root = package.read_xml(rels)
        except WorkbookError as error:
            if error.code != "xml_malformed":
                raise
            root = None
        for relation in root if root is not None else ():
            if (relation.get("Type") or "").endswith(_OFFICE_DOCUMENT) and (
                    relation.get("TargetMode") or "Internal") != "External":
                main = resolve_target("", relation.get("Target") or "")
                break
    found = package.find(main) if main else None
    if found is None:
        found = package.find("xl/workbook.xml")
    if found is not None:
        folded = found.casefold()
        if folded.startswith("word/"):
            raise workbook_error("word_document", path=path, detail=f"主文档为 {found}（.docx）")
        if folded.startswith("ppt/"):
            raise workbook_error("not_a_workbook", path=path,
                                 detail=f"主文档为 {found}（PowerPoint .pptx）")
        if folded.endswith(".bin"):
            raise workbook_error("xlsb_format", path=path, detail=f"主文档为 {found}")
        if folded.startswith("xl/") or folded.endswith("workbook.xml"):
            return found
        raise workbook_error("not_a_workbook", path=path, detail=f"主文档为 {found}")

    if package.find("xl/workbook.bin") is not None:
        raise workbook_error("xlsb_format", path=path)
    if package.find("word/document.xml") is not None:
        raise workbook_error("word_document", path=path, detail="含 word/document.xml（.docx）")
    if package.find("ppt/presentation.xml") is not None:
        raise workbook_error("not_a_workbook", path=path, detail="PowerPoint 演示文稿（.pptx）")
    mimetype = package.find("mimetype")
    if mimetype is not None and package.info(mimetype).file_size < 200:
        kind = package.read_part(mimetype).decode("ascii", "replace").strip()
        if kind == "application/vnd.oasis.opendocument.spreadsheet":
            raise workbook_error("ods_format", path=path)
        raise workbook_error("not_a_workbook", path=path, detail=f"OpenDocument 文件（{kind[:80]}）")
    if package.find("Index/Document.iwa") is not None:
        raise workbook_error("not_a_workbook", path=path, detail="Apple Numbers 文件")
    inner = sorted(name for name in package.names if name.casefold().endswith(_ARCHIVED_WORKBOOK))
    if inner:
        raise workbook_error("archive", path=path, detail=f"压缩包内含 {', '.join(inner[:3])}")
    sample = ", ".join(sorted(package.names)[:5]) or "空压缩包"
    raise workbook_error("not_a_workbook", path=path, detail=f"没有 xl/workbook.xml（{sample}）")


_KIND_CODES: dict[str, tuple[str, str | None]] = {
    "pdf": ("pdf_file", None),
    "png": ("image_file", "PNG"),
    "jpeg": ("image_file", "JPEG"),
    "gif": ("image_file", "GIF"),
    "bmp": ("image_file", "BMP"),
    "tiff": ("image_file", "TIFF"),
    "webp": ("image_file", "WebP"),
    "html": ("html_disguised", None),
    "xml_spreadsheet": ("xml_spreadsheet", None),
    "csv": ("csv_disguised", None),
    "text": ("csv_disguised", "纯文本"),
    "rtf": ("rtf_document", None),
    "archive": ("archive", "rar/7z/gzip/xz 压缩包"),
    "zeros": ("corrupt_zip", "文件内容全为 0 字节（保存可能被中断）"),
    "empty": ("empty_file", None),
    "unknown": ("unknown_format", None),
}


def open_package(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> Package:
    """Open a returned file as a validated .xlsx package, or raise the :class:`WorkbookError` that
    says what is wrong with it (see :data:`MESSAGES` and docs/security.md).

    Nothing is decompressed here except ``_rels/.rels`` and the prolog of the workbook part."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise workbook_error("not_found", path=path) from None
    except OSError as error:
        raise workbook_error("io_error", path=path, detail=str(error)) from None
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block open(), a device never ends
        raise workbook_error("not_a_file", path=path)
    size = info.st_size
    if size == 0:
        raise workbook_error("empty_file", path=path)
    if size > limits.max_file_bytes:
        raise workbook_error("too_large", path=path, detail=f"{size} 字节",
                             limit=_human_bytes(limits.max_file_bytes))
    try:
        file = open(path, "rb")  # noqa: SIM115 - owned by the Package or closed below
    except OSError as error:
        raise workbook_error("io_error", path=path, detail=str(error)) from None
    try:
        return _open_zip(path, file, size, limits)
    except BaseException:
        file.close()
        raise


def _open_zip(path: Path, file: BinaryIO, size: int, limits: Limits) -> Package:
    try:
        head = file.read(SNIFF_BYTES)
    except OSError as error:
        raise workbook_error("io_error", path=path, detail=str(error)) from None
    kind = sniff(head, path.name)
    if kind == "ole2":
        raise inspect_ole2(head, path)
    if kind != "zip":
        code, detail = _KIND_CODES[kind]
        raise workbook_error(code, path=path, detail=detail)

    try:
        count = _declared_entry_count(file, size)
    except (OSError, struct.error) as error:
        raise workbook_error("corrupt_zip", path=path, detail=str(error)) from None
    if count is not None and count > limits.max_members:
        raise workbook_error("too_many_members", path=path,
                             detail=f"{count} 个部件，上限 {limits.max_members}")
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            data_end = getattr(archive, "start_dir", size)
    except (MemoryError, RecursionError):
        raise
    except Exception as error:  # BadZipFile, and the odd ValueError/struct.error/UnicodeError
        raise workbook_error("corrupt_zip", path=path,
                             detail=f"{type(error).__name__}: {error}") from None
    if len(infos) > limits.max_members:
        raise workbook_error("too_many_members", path=path,
                             detail=f"{len(infos)} 个部件，上限 {limits.max_members}")
    _check_members(infos, limits, path, data_end)

    package = Package(path, file, infos, limits)
    package.workbook_part = _locate_workbook(package)
    _check_part_prolog(package, package.workbook_part)
    return package


# --------------------------------------------------------------------------------------------
# Guarding python-calamine
# --------------------------------------------------------------------------------------------

def check_parts_for_calamine(pkg: Package, parts: Iterable[str]) -> None:
    """Make ``parts`` safe to hand to python-calamine, whose XML parser and zip reader we do not
    control. Pass every part it will parse (``pkg.xml_parts()`` when in doubt).

    * Prolog: each part is decompressed only until its root element starts (a few KB at most) and
      :func:`check_xml_prolog` is applied.
    * Size: calamine inflates whole parts and trusts nothing we checked. A part's real output is at
      most ``DEFLATE_MAX_RATIO`` times its compressed size, a bound that needs no decompression and
      that keeps a normal workbook (a few hundred KB of compressed XML) far under the limits; only
      when that worst case could pass ``max_member_bytes`` for a part or ``max_total_bytes`` for all
      of them are the largest parts streamed through (counted, not kept) to prove their real size.
    """
    limits = pkg.limits
    infos = {info.filename: info for info in map(pkg.info, parts)}
    for name in infos:
        _check_part_prolog(pkg, name)

    def worst_case(info: zipfile.ZipInfo) -> int:
        if info.compress_type == _STORED:
            return info.file_size
        return info.compress_size * DEFLATE_MAX_RATIO + 1024

    ordered = sorted(infos.values(), key=worst_case, reverse=True)
    total = sum(worst_case(info) for info in ordered)
    for info in ordered:
        bound = worst_case(info)
        if total <= limits.max_total_bytes and bound <= limits.max_member_bytes:
            break
        pkg._inflate(info, keep=False, head=None)  # raises unless the real size is the declared one
        total -= bound - info.file_size


def _check_part_prolog(pkg: Package, name: str) -> None:
    """check_xml_prolog on part ``name``, decompressing 4 KB of it (64 KB for a long prolog)."""
    head = pkg.read_head(name, _PROLOG_FIRST)
    if len(head) == _PROLOG_FIRST and not _prolog_found(head):
        head = pkg.read_head(name, PROLOG_WINDOW)
    _check_prolog(head, pkg.path, name)
