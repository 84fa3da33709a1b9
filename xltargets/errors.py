"""The one error tree of xltargets.

    XltargetsError                 anything xltargets raises on purpose
    ├── SpecError                  a spec file is wrong (file, line, location in the spec)
    ├── RosterError                a roster row is wrong (file, row)
    ├── TemplateError              a template could not be drawn (a bug or an impossible spec)
    ├── WorkbookError              a returned file cannot be read at all (file, code)
    ├── CollectError               a batch cannot run (bad inbox, bad manifest)
    └── OutputError                an output file or folder cannot be written (file, why)

Problems *inside* a readable workbook are not errors: they are findings, returned as data.
Errors from dependencies (YAML, zip, XML, openpyxl, XlsxWriter) are converted where they are
caught, so a caller only ever needs ``except XltargetsError``. ``str(error)`` is the one-line
message the CLI prints.
"""

from __future__ import annotations

import errno
from pathlib import Path

#: what the operating system said, in the office's language (``strerror`` is English)
_ERRNO_ZH = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有访问权限",
    errno.EPERM: "没有操作权限",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EEXIST: "已存在同名的文件或文件夹",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "位于只读的磁盘或文件系统上",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.EBUSY: "文件正被其他程序占用",
    errno.ELOOP: "符号链接层数过多（可能是循环链接）",
    errno.EINVAL: "路径无效",
    errno.EMFILE: "同时打开的文件过多",
    errno.EXDEV: "不能跨磁盘移动",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.EIO: "磁盘读写错误",
}
if hasattr(errno, "EDQUOT"):
    _ERRNO_ZH[errno.EDQUOT] = "超出磁盘配额"


def os_error_zh(exc: OSError) -> str:
    """An operating-system error as a Chinese phrase (never Python's English ``strerror``)."""
    if exc.errno in _ERRNO_ZH:
        return _ERRNO_ZH[exc.errno]
    if isinstance(exc, FileNotFoundError):
        return _ERRNO_ZH[errno.ENOENT]
    if isinstance(exc, PermissionError):
        return _ERRNO_ZH[errno.EACCES]
    return f"系统错误（错误号 {exc.errno}）" if exc.errno else "系统错误"


class XltargetsError(Exception):
    """Base of every error xltargets raises on purpose."""

    #: stable English code, for scripts and the JSON outputs
    code: str = "error"


class SpecError(XltargetsError):
    """A spec file is malformed or inconsistent."""

    code = "spec_invalid"

    def __init__(self, message: str, *, path: str | Path | None = None,
                 line: int | None = None, location: str | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.location = location
        super().__init__(self._format())

    def _format(self) -> str:
        if self.path is None and self.line is None:
            return f"{self.location}: {self.message}" if self.location else self.message
        where = self.path or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
        if self.location:
            return f"{where} {self.location}: {self.message}"
        return f"{where}: {self.message}"


class RosterError(XltargetsError):
    """A roster (list of departments and projects) is malformed."""

    code = "roster_invalid"

    def __init__(self, message: str, *, path: str | Path | None = None,
                 row: int | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.row = row
        #: every problem found when a check goes on past the first (the CLI prints each)
        self.all_errors: list[RosterError] = [self]
        where = self.path or "<roster>"
        if row is not None:
            where += f" 第{row}行"
        super().__init__(f"{where}: {message}")


class TemplateError(XltargetsError):
    """Drawing a template failed (XlsxWriter refused a call, or the spec cannot be drawn)."""

    code = "template_failed"


class WorkbookError(XltargetsError):
    """A returned file cannot be read at all.

    ``code`` is a stable English code (``encrypted``, ``legacy_xls``, ``zip_bomb`` …);
    ``message`` is the Chinese sentence shown to reviewers and departments.
    """

    code = "unreadable"

    def __init__(self, code: str, message: str, *, path: str | Path | None = None,
                 detail: str | None = None) -> None:
        self.code = code
        self.message = message
        self.path = str(path) if path is not None else None
        self.detail = detail
        text = f"{self.path or '<workbook>'}: {message} [{code}]"
        if detail:
            text += f" ({detail})"
        super().__init__(text)


class CollectError(XltargetsError):
    """A batch cannot run at all (the inbox or the manifest is unusable)."""

    code = "collect_failed"


class OutputError(XltargetsError):
    """An output (a file, or a folder to write into) cannot be written where the user asked."""

    code = "output_failed"

    def __init__(self, message: str, *, path: str | Path) -> None:
        self.message = message
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")

    @classmethod
    def from_os(cls, exc: OSError, path: str | Path, what: str = "无法写入") -> OutputError:
        return cls(f"{what}（{os_error_zh(exc)}）", path=path)
