"""Finding the files of an inbox, in a stable order, and naming their feedback copies.

Every path under the inbox is accounted for, in every subfolder (mail exports and USB sticks nest
them): each file gets a row, and so does each path that cannot be read as a file:

* a folder collect cannot open (``folder_unreadable``, with the system's reason), a file whose
  type cannot be known (``file_unreadable``): status ``unreadable``, never silently dropped;
* a symbolic link is never followed outside the inbox (``link_outside``), nor to a folder
  (``link_to_folder``: links can loop, and the folder's files are counted where they are);
  a dangling one is ``broken_link``; a link to a file inside the inbox is read;
* a device, pipe or socket is ``not_a_file`` (opening a pipe would block the batch).

Files that are certainly not returns are ``ignored`` with their reason: hidden files
(``.DS_Store``, ``._name.xlsx`` from macOS; anything under a hidden folder), Office lock files
(``~$name.xlsx``), ``Thumbs.db`` and ``desktop.ini``, and the manifest itself when it sits in the
inbox. The output folder is skipped when it lies inside the inbox: collect must not read its own
outputs on the next run.

The walk is iterative (an explicit stack: 1,200 nested folders are no deeper for it than one).

Names are shown and compared after Unicode NFC normalization (macOS writes é as e + ◌́, NFD;
Windows and Linux programs write it as one character, NFC), and names that are not valid
UTF-8 are shown with U+FFFD. Two paths whose names are equal after normalization are both rows
(both are files on disk), the second shown with ``（同名2）`` before its extension so the rows,
and their feedback copies, can be told apart. The order is the shown path, compared as text:
the same inbox gives the same order on every machine, and so the same output bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import CollectError

SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"})
FEEDBACK_SUFFIX = "_退回修改意见.xlsx"
#: the longest feedback file name, in bytes: 255 (most file systems) less the temporary
#: suffix of an atomic write (``.<name>.XXXXXXXX.part``) and some room
MAX_NAME_BYTES = 200
#: a feedback path longer than this (bytes, relative) is put at the top of feedback/
MAX_REL_BYTES = 1500


@dataclass(frozen=True, slots=True)
class InboxFile:
    rel: str            # the path shown: relative, "/" separators, NFC
    path: str           # the path on disk (text, not a Path: a province has 20,000)
    ignored: str = ""   # the reason code when the file is not read (status ignored)
    problem: str = ""   # the reason code when the path cannot be read (status unreadable)
    why: str = ""       # the system's words for the problem
    link: bool = False  # a symbolic link to a file inside the inbox (read through the link)


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


def shown(rel: str) -> str:
    """A path as people see it: valid UTF-8 (undecodable bytes as U+FFFD), NFC."""
    text = os.fsencode(rel).decode("utf-8", "replace")
    return unicodedata.normalize("NFC", text)


def os_words(exc: OSError) -> str:
    """The system's reason, short: 'Permission denied' rather than the whole exception."""
    return exc.strerror or type(exc).__name__


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def scan(inbox: Path, *, exclude: list[Path], manifest: Path | None = None) -> list[InboxFile]:
    """Every path under ``inbox`` (except the ``exclude`` folders), sorted by shown path."""
    if not inbox.is_dir():
        raise CollectError(f"{inbox}: 收件目录不存在或不是文件夹")
    root = os.path.realpath(inbox)
    if any(os.path.realpath(p) == root for p in exclude):
        raise CollectError(f"{inbox}: 输出目录不能与收件目录相同")
    # the folders to skip, by identity (a stat per folder, not a realpath: 1,200 levels deep,
    # a realpath of each folder would cost a million lstat calls)
    skip = set()
    for p in exclude:
        with contextlib.suppress(OSError):
            info = os.stat(p)
            skip.add((info.st_dev, info.st_ino))
    manifest_path = os.path.realpath(manifest) if manifest is not None else None
    found: list[tuple[str, InboxFile]] = []   # (raw relative path, row)

    def add(raw: str, path: str, *, ignored: str = "", problem: str = "", why: str = "") -> None:
        found.append((raw, InboxFile(raw, path, ignored, problem, why)))

    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                children = list(it)
        except OSError as exc:
            if not prefix:
                raise CollectError(f"{inbox}: 无法读取收件目录（{os_words(exc)}）") from None
            add(prefix.rstrip("/"), folder, problem="folder_unreadable", why=os_words(exc))
            continue
        for child in children:
            raw = prefix + child.name
            try:
                if child.is_symlink():
                    target = os.path.realpath(child.path)
                    if not os.path.exists(target):
                        add(raw, child.path, problem="broken_link")
                    elif not _inside(target, root):
                        add(raw, child.path, problem="link_outside")
                    elif os.path.isdir(target):
                        add(raw, child.path, problem="link_to_folder")
                    elif target == manifest_path:
                        add(raw, child.path, ignored="manifest_file")
                    elif os.path.isfile(target):
                        found.append((raw, InboxFile(raw, child.path, link=True)))
                    else:
                        add(raw, child.path, problem="not_a_file")
                elif child.is_dir(follow_symlinks=False):
                    if skip:
                        info = child.stat(follow_symlinks=False)
                        if (info.st_dev, info.st_ino) in skip:
                            continue
                    stack.append((child.path, raw + "/"))
                elif child.is_file(follow_symlinks=False):
                    why = ""
                    if manifest_path is not None and os.path.realpath(child.path) == manifest_path:
                        why = "manifest_file"
                    add(raw, child.path, ignored=why)
                else:
                    add(raw, child.path, problem="not_a_file")
            except OSError as exc:
                add(raw, child.path, problem="file_unreadable", why=os_words(exc))
    return _named(found)


def _named(found: list[tuple[str, InboxFile]]) -> list[InboxFile]:
    """Shown names (NFC), told apart when two paths share one; sorted by shown name."""
    found.sort(key=lambda item: (shown(item[0]), os.fsencode(item[0])))
    seen: dict[str, int] = {}
    rows: list[InboxFile] = []
    found.reverse()  # taken from the end: each row replaces its raw record, not beside it
    while found:
        raw, f = found.pop()
        name = shown(raw)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # the same name in another Unicode spelling
            p = PurePosixPath(name)
            name = str(p.with_name(f"{p.stem}（同名{seen[name]}）{p.suffix}"))
        ignored = f.ignored
        if not ignored and not f.problem:
            ignored = ignore_reason(name)
        elif f.problem:
            ignored = ""
        rows.append(InboxFile(name, f.path, ignored, f.problem, f.why, f.link))
    rows.sort(key=lambda f: f.rel)
    return rows


def _fit(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` (a file name) shortened to ``limit`` bytes of UTF-8, keeping its end
    (the ``_退回修改意见.xlsx`` suffix) and telling shortened names apart by a hash."""
    if len(name.encode("utf-8")) <= limit:
        return name
    tag = "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    end = FEEDBACK_SUFFIX if name.endswith(FEEDBACK_SUFFIX) else ""
    head = name[: len(name) - len(end)]
    room = limit - len((tag + end).encode("utf-8"))
    while len(head.encode("utf-8")) > room:
        head = head[:-1]
    return head + tag + end


def feedback_names(rels: list[str]) -> dict[str, str]:
    """The feedback copy's path (relative to ``feedback/``) for each returned file.

    ``<folder>/<stem>_退回修改意见.xlsx``, keeping the inbox's subfolders so that two
    ``报表.xlsx`` in two mail folders do not collide; a second file with the same stem in the same
    folder (``报表.xlsx`` and ``报表.xlsm``) keeps its extension in the name. Names are compared
    after NFC and case folding (what macOS and Windows compare), shortened to fit the file
    system (:data:`MAX_NAME_BYTES`), and a path too long for it goes to the top of feedback/.
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for rel in sorted(rels):
        p = PurePosixPath(unicodedata.normalize("NFC", rel))
        name = str(p.with_name(_fit(p.stem + FEEDBACK_SUFFIX)))
        if name.casefold() in taken:
            name = str(p.with_name(_fit(p.name.replace(".", "_") + FEEDBACK_SUFFIX)))
        if len(name.encode("utf-8")) > MAX_REL_BYTES or name.casefold() in taken:
            digest = hashlib.sha256(rel.encode("utf-8")).hexdigest()[:8]
            name = _fit(f"{digest}_{p.stem}{FEEDBACK_SUFFIX}")
        taken.add(name.casefold())
        out[rel] = name
    return out
