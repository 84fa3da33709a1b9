"""Failures of the machine rather than of a file: the disk, the database, the out folder's lock.

A bad *file* is a row of results; a full disk, a read-only out folder, a database that is locked
or down, or a second collect writing into the same out folder stop the batch. Each is one typed
:class:`~xltargets.errors.CollectError` (the CLI prints its one Chinese line and exits 2) that
names the path or the database, never a traceback and never the SQL parameters of a statement
(they hold what departments typed).

Bounds on what the parent writes also live here (:func:`cap`): every text collect writes is cut
to a bound, whatever a worker sends, so the outputs never grow out of proportion to the inputs.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from ..errors import CollectError

#: the longest text of one field anywhere in the outputs: Excel's own limit for one cell, so no
#: value a department could type is ever cut
MAX_TEXT = 32_767
#: a message or a finding's quoted value (Chinese sentences of a few dozen characters)
MAX_MESSAGE = 1_000
#: technical detail of a failure (the first lines of a worker's stderr): a few lines
MAX_DETAIL_LINES = 6
MAX_DETAIL = 600
CUT = "…（已截断）"


def cap(text: Any, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, saying so."""
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(CUT))] + CUT


def cap_detail(text: str) -> str:
    """The first few lines of a technical detail (a Rust backtrace has thousands)."""
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    shown = " | ".join(lines[:MAX_DETAIL_LINES])
    if len(lines) > MAX_DETAIL_LINES:
        shown += " | …（后略）"
    return cap(shown, MAX_DETAIL)


def cap_json(value: Any, limit: int = MAX_TEXT) -> tuple[Any, int]:
    """Every string in a JSON value cut to ``limit``; returns the value and how many were cut.

    Iterative (a hostile file can nest what the reader turns into JSON), in place for lists
    and dicts."""
    cut = 0
    if isinstance(value, str):
        return (cap(value, limit), 1) if len(value) > limit else (value, 0)
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, item in list(items):
            if isinstance(item, str):
                if len(item) > limit:
                    node[key] = cap(item, limit)
                    cut += 1
            elif isinstance(item, dict | list):
                stack.append(item)
    return value, cut


#: a submission's JSON may be this many characters plus JSON_PER_BYTE per byte of its file:
#: a real return's JSON is a few times its file; a hostile one that expands (a number typed
#: with a 200-million-digit exponent) is refused (``output_too_large``) instead of filling disks
JSON_BASE = 8 * 2**20
JSON_PER_BYTE = 64


def max_json_chars(size: int | None) -> int:
    return JSON_BASE + JSON_PER_BYTE * (size or 0)


def cap_submission(data: dict[str, Any]) -> int:
    """Bound every text of a submission's JSON in place; returns how many were cut.

    A finding's message and quoted value are cut to :data:`MAX_MESSAGE` (a finding quotes,
    it does not copy), every other text to :data:`MAX_TEXT`."""
    cut = 0
    for finding in data.get("findings") or []:
        if isinstance(finding, dict):
            for key in ("message", "value"):
                value = finding.get(key)
                if isinstance(value, str) and len(value) > MAX_MESSAGE:
                    finding[key] = cap(value, MAX_MESSAGE)
                    cut += 1
    return cut + cap_json(data)[1]


class OutputLocked(CollectError):
    """Another collect is writing into the same out folder."""

    code = "out_locked"


class DiskError(CollectError):
    """The out folder cannot be written: full, read-only, no permission, or another OS error."""

    code = "disk_error"


class DatabaseFailure(CollectError):
    """The database refused: locked by another writer, down, or an error while writing."""

    code = "database_error"


_DISK_WORDS = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "是只读的文件系统",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.ENAMETOOLONG: "路径过长",
    errno.EFBIG: "文件超过了系统允许的大小",
    errno.EIO: "读写出错（磁盘故障？）",
}


def disk_error(exc: OSError, where: str | os.PathLike[str]) -> DiskError:
    """The one line for an OSError of the out folder: what, and where."""
    path = os.fspath(where)
    if isinstance(exc.filename, str) and exc.filename and ".collect-" not in exc.filename:
        path = exc.filename  # a file the user knows (not one of the run's temporary files)
    words = _DISK_WORDS.get(exc.errno or 0) or f"无法写入（{exc.strerror or type(exc).__name__}）"
    error = DiskError(f"{path}: 输出目录{words}，本次汇总未完成，原有结果保持不变")
    error.errno = exc.errno  # type: ignore[attr-defined]
    return error


def database_error(exc: BaseException, url: str, doing: str = "写入") -> DatabaseFailure:
    """The one line for a database error: the database's address (password hidden) and the
    first line of the driver's message, never the statement or its parameters."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    # SQLAlchemy puts the statement and parameters on later lines; a driver may still echo a
    # value after "DETAIL" or in brackets: keep the part before them, short
    first = first.split(" [SQL:")[0].split("DETAIL:")[0].strip()
    if "locked" in first.lower() or "busy" in first.lower():
        why = "数据库被其他程序锁定（可能有人正在写入或打开了它），请稍后重试"
    else:
        why = f"数据库出错：{cap(first, 300)}"
    return DatabaseFailure(f"{url}: {doing}数据库失败，{why}；本次汇总未完成，原有结果保持不变")


__all__ = ["CUT", "MAX_MESSAGE", "MAX_TEXT", "DatabaseFailure", "DiskError", "OutputLocked",
           "cap", "cap_detail", "cap_json", "cap_submission", "database_error", "disk_error",
           "max_json_chars"]
