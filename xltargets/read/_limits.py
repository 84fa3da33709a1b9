"""Resource limits, refusal codes and their Chinese messages: what every safety module shares.

The checks themselves live in :mod:`._sniff` (what a file really is), :mod:`._zip` (the package and
its members) and :mod:`._xml` (prologs and parsing); :mod:`._safety` is the facade that names them
all. Every refusal is a :class:`~xltargets.errors.WorkbookError` with a stable English ``code`` and
a Chinese message from :data:`MESSAGES`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from xltargets.errors import WorkbookError

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
    "too_many_projects": "项目表过多（超过{limit}个），不是本系统下发的模板，已拒绝读取",
    "too_many_sheets": "工作表过多（超过{limit}个），不是本系统下发的模板，已拒绝读取",
    "bad_capacity": "文件的模板标记中行数设置无效（{why}），不是本系统下发的模板，已拒绝读取",
    "shared_sheet_part": "文件结构异常（多个工作表指向同一份内容），不是本系统下发的模板，已拒绝读取",
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
    #: project sheets of one return (code ``too_many_projects``); a workbook with more than this
    #: plus 10 sheets in all is refused before anything is read (``too_many_sheets``)
    max_project_sheets: int = 200


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

