"""Finding the files of an inbox, in a stable order, and naming their feedback copies.

Every file under the inbox counts, in every subfolder (mail exports and USB sticks nest them).
Files that are certainly not returns are listed with status ``ignored`` and their reason, never
silently dropped: hidden files (``.DS_Store``, ``._name.xlsx`` from macOS; anything under a hidden
folder), Office lock files (``~$name.xlsx``), ``Thumbs.db`` and ``desktop.ini``, and the manifest
itself when it sits in the inbox. The output folder is skipped when it lies inside the inbox:
collect must not read its own outputs on the next run. Symbolic links to folders are not
followed (they can loop).

The order is the relative path, compared as text: the same inbox gives the same order on every
machine, and so the same output bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import CollectError

SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"})
FEEDBACK_SUFFIX = "_退回修改意见.xlsx"


@dataclass(frozen=True)
class InboxFile:
    rel: str            # relative path, with "/" separators
    path: Path
    ignored: str = ""   # the reason code when the file is not read


def ignore_reason(rel: str) -> str:
    parts = PurePosixPath(rel).parts
    name = parts[-1]
    if name.startswith("~$"):
        return "office_lock_file"
    if any(p.startswith(".") for p in parts):
        return "hidden_file"
    if name.casefold() in SYSTEM_FILES:
        return "system_file"
    return ""


def scan(inbox: Path, *, exclude: list[Path], manifest: Path | None = None) -> list[InboxFile]:
    """Every file under ``inbox`` (except the ``exclude`` folders), sorted by relative path."""
    if not inbox.is_dir():
        raise CollectError(f"{inbox}: 收件目录不存在或不是文件夹")
    root = inbox.resolve()
    skip = {p.resolve() for p in exclude}
    if root in skip:
        raise CollectError(f"{inbox}: 输出目录不能与收件目录相同")
    manifest_path = manifest.resolve() if manifest is not None else None
    found: list[InboxFile] = []
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append, followlinks=False):
        here = Path(folder)
        dirs[:] = [d for d in dirs if (here / d).resolve() not in skip]
        for name in files:
            path = here / name
            rel = path.relative_to(root).as_posix()
            why = ignore_reason(rel)
            if not why and manifest_path is not None and path.resolve() == manifest_path:
                why = "manifest_file"
            found.append(InboxFile(rel, path, why))
    if errors and not found:
        raise CollectError(f"{inbox}: 无法读取收件目录（{errors[0]}）")
    found.sort(key=lambda f: f.rel)
    return found


def feedback_names(rels: list[str]) -> dict[str, str]:
    """The feedback copy's path (relative to ``feedback/``) for each returned file.

    ``<folder>/<stem>_退回修改意见.xlsx``, keeping the inbox's subfolders so that two
    ``报表.xlsx`` in two mail folders do not collide; a second file with the same stem in the same
    folder (``报表.xlsx`` and ``报表.xlsm``) keeps its extension in the name.
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for rel in sorted(rels):
        p = PurePosixPath(rel)
        name = str(p.with_name(p.stem + FEEDBACK_SUFFIX))
        if name.casefold() in taken:
            name = str(p.with_name(p.name.replace(".", "_") + FEEDBACK_SUFFIX))
        taken.add(name.casefold())
        out[rel] = name
    return out
