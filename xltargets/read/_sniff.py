"""Sniffing: what a file really is, from its first bytes (never its extension), and what an OLE2
compound file holds (an encrypted .xlsx, an old .xls, a Word .doc)."""

from __future__ import annotations

import os
import re
import struct
from typing import BinaryIO

from xltargets.errors import WorkbookError

from ._limits import workbook_error

SNIFF_BYTES = 8 * 1024

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
