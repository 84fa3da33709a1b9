"""Where uploads live on disk, and why a killed server loses none and leaves no half of one.

::

    ROOT/returns/ab/<sha256>.xlsx     every stored upload, named by its content
    ROOT/incoming/<process>/          one folder per live server process, locked while it lives
        <id>.part                     an upload still arriving (or being read)
        <sha256>.ready                complete and fsynced, waiting for its database row
    ROOT/feedback/<upload id>.xlsx    feedback copies, drawn on first download

An upload is committed by its database row. The order is: body streamed into ``.part`` (size
limit counted as it arrives, SHA-256 on the way), fsynced, renamed ``.ready``; read in a worker;
row inserted and committed; ``.ready`` renamed into ``returns/`` and the folder fsynced; only
then is the department answered. A process killed at any point leaves either nothing the
database knows of (a ``.part`` or ``.ready`` without a row: deleted at the next start), or a row
whose ``.ready`` file is still in its incoming folder (moved into ``returns/`` at the next start).

Each process holds an exclusive ``flock`` on its incoming folder's lock file for its whole
life; recovery only touches folders whose lock it can take, i.e. of processes that are gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import IO

RETURNS = "returns"
INCOMING = "incoming"
FEEDBACK = "feedback"
LOCK = ".lock"
#: prefix of an incoming folder being made; one left older than this (seconds) is abandoned
MAKING = ".making-"
ABANDONED = 60.0


def stored_name(sha256: str) -> str:
    """The path under the root of the stored upload with this content (never a client's name)."""
    return f"{RETURNS}/{sha256[:2]}/{sha256}.xlsx"


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Incoming:
    """This process's incoming folder; see the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = root
        base = root / INCOMING
        base.mkdir(parents=True, exist_ok=True)
        # made under a hidden name, locked, then renamed: recovery in another process starting
        # at the same moment never sees this folder unlocked
        name = f"{os.getpid()}-{secrets.token_hex(4)}"
        making = base / f"{MAKING}{name}"
        making.mkdir()
        self._lock = open(making / LOCK, "wb")  # noqa: SIM115 - held for the process's life
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.dir = base / name
        os.replace(making, self.dir)

    def new_part(self) -> tuple[Path, IO[bytes]]:
        path = self.dir / f"{secrets.token_hex(16)}.part"
        return path, open(path, "xb")  # noqa: SIM115 - the caller closes it

    def ready(self, part: Path, sha256: str) -> Path:
        """A complete, fsynced part under its content name."""
        path = self.dir / f"{sha256}.{secrets.token_hex(4)}.ready"
        os.replace(part, path)
        return path

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self._lock.close()


def place(root: Path, ready: Path, sha256: str) -> str:
    """Move a ready upload into the returns folder (atomic rename; same content if it exists)."""
    name = stored_name(sha256)
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(ready, target)
    fsync_dir(target.parent)
    return name


def recover(root: Path, known: set[str]) -> dict[str, int]:
    """Finish or undo what dead processes left in their incoming folders.

    ``known`` are the stored paths the database has rows for. A ``.ready`` file whose row exists
    is moved into place (its commit was done, its rename was not); every other leftover is
    deleted. Returns counts for the log."""
    counts = {"moved": 0, "deleted": 0}
    base = root / INCOMING
    if not base.is_dir():
        return counts
    for folder in sorted(base.iterdir()):
        if not folder.is_dir():
            continue
        if folder.name.startswith(MAKING):
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > ABANDONED:
                    shutil.rmtree(folder, ignore_errors=True)
            continue
        try:
            lock = open(folder / LOCK, "ab")  # noqa: SIM115
        except OSError:
            continue
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process: not ours to touch
            for leftover in sorted(folder.iterdir()):
                if leftover.name.endswith(".ready"):
                    sha = leftover.name.split(".", 1)[0]
                    if stored_name(sha) in known and not (root / stored_name(sha)).exists():
                        place(root, leftover, sha)
                        counts["moved"] += 1
                        continue
                if leftover.name != LOCK:
                    leftover.unlink(missing_ok=True)
                    counts["deleted"] += 1
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            lock.close()
    return counts
