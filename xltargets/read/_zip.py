"""The zip package: the end record read by hand, every member's sizes, ratio, flags and position
checked, the main part located, and parts decompressed on demand by a bounded inflater."""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from xltargets.errors import WorkbookError

from ._limits import DEFAULT_LIMITS, Limits, _human_bytes, workbook_error
from ._sniff import _KIND_CODES, SNIFF_BYTES, inspect_ole2, sniff
from ._xml import _PROLOG_FIRST, PROLOG_WINDOW, _check_prolog, _prolog_found, parse_xml

#: the ratio limit applies only to members at least this large once decompressed
RATIO_FLOOR = 2**20
#: deflate cannot expand data by more than about 1032:1 (258 bytes per 2-bit code)
DEFLATE_MAX_RATIO = 1032

_CHUNK = 64 * 1024

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
        #: the file's size when it was opened
        self.size = 0

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

    def sha256(self) -> str:
        """SHA-256 of the whole file, read through the handle already open (what was read is
        what is hashed, and no second open)."""
        if self._file is None:
            raise ValueError("I/O on a closed Package")
        digest = hashlib.sha256()
        self._file.seek(0)
        for chunk in iter(lambda: self._file.read(1 << 20), b""):  # type: ignore[union-attr]
            digest.update(chunk)
        return digest.hexdigest()

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


#: _rels/.rels by its bytes -> the officeDocument target (the same for every return of a
#: template, and for every file one program saved)
_MAIN_TARGETS: dict[bytes, str | None] = {}


def _main_target(package: Package, rels: str) -> str | None:
    data = package.read_part(rels)
    if data in _MAIN_TARGETS:
        return _MAIN_TARGETS[data]
    main: str | None = None
    try:
        root = parse_xml(data, path=package.path, part=rels)
    except WorkbookError as error:
        if error.code != "xml_malformed":
            raise  # (a refusal is never remembered: each file gets it)
        root = None
    for relation in root if root is not None else ():
        if (relation.get("Type") or "").endswith(_OFFICE_DOCUMENT) and (
                relation.get("TargetMode") or "Internal") != "External":
            main = resolve_target("", relation.get("Target") or "")
            break
    if len(_MAIN_TARGETS) < 64 and len(data) < 2**16:
        _MAIN_TARGETS[data] = main
    return main


def _locate_workbook(package: Package) -> str:
    """The workbook part, or the error that says what the zip is instead."""
    path = package.path

    main: str | None = None
    rels = package.find("_rels/.rels")
    if rels is not None:
        main = _main_target(package, rels)
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




#: files up to this size are read into memory whole (larger ones, all hostile or odd, are read
#: part by part from the file, so that what one costs in memory stays what its parts cost)
WHOLE_READ_BYTES = 4 * 2**20


def open_package(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, *,
                 data: bytes | None = None) -> Package:
    """Open a returned file as a validated .xlsx package, or raise the :class:`WorkbookError` that
    says what is wrong with it (see :data:`MESSAGES` and docs/security.md).

    ``data``: the file's bytes, already read by the caller (collect reads each file once, into
    memory it owns): the package is read from them and ``path`` only names the file.

    Nothing is decompressed here except ``_rels/.rels`` and the prolog of the workbook part."""
    path = Path(path)
    if data is not None:
        if not data:
            raise workbook_error("empty_file", path=path)
        if len(data) > limits.max_file_bytes:
            raise workbook_error("too_large", path=path, detail=f"{len(data)} 字节",
                                 limit=_human_bytes(limits.max_file_bytes))
        return _open_zip(path, io.BytesIO(data), len(data), limits)
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
        if size <= WHOLE_READ_BYTES:
            # one read into memory instead of the zip reader's many small seeks and reads (a
            # return is tens of kilobytes: ~6 % of a read); every later step sees these bytes
            with file:
                data = file.read(WHOLE_READ_BYTES + 1)
            if len(data) <= WHOLE_READ_BYTES:  # else it grew meanwhile: read it as a file
                return open_package(path, limits, data=data)
            file = open(path, "rb")  # noqa: SIM115 - owned by the Package or closed below
            size = os.fstat(file.fileno()).st_size
            if size > limits.max_file_bytes:
                raise workbook_error("too_large", path=path, detail=f"{size} 字节",
                                     limit=_human_bytes(limits.max_file_bytes))
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
    package.size = size
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
