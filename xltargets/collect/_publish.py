"""A run's outputs published as one unit, a lock on the out folder, and the debris of killed runs.

Layout of the out folder::

    OUT/
      current -> runs/000007-3f1c…       the one pointer, switched atomically at the end of a run
      runs/000007-3f1c…/                 one folder per run: every output of that run
            results.csv results.json submissions.jsonl submissions.json missing.csv
            汇总表.xlsx report.html feedback/ xltargets.db run.json
      runs/000006-…/                     the runs before (the last KEEP_RUNS are kept)
      results.csv -> current/results.csv  (and so on for every output): the paths people open
      .collect-xxxx/                     a run being built (spool, private copies, the new folder)

Why a ``current`` symbolic link and not a rename of the out folder itself: the out folder is the
one people open (and its name is theirs); a link can be replaced atomically (``rename`` of a new
link over it, POSIX) while any reader keeps the folder it already resolved. The outputs are built
in ``.collect-xxxx/run/``, moved to ``runs/<seq>-<run id>/`` and then ``current`` is switched:
before the switch every reader sees the previous run whole, after it the new run whole. The
stable links at the top (``OUT/results.csv`` → ``current/results.csv``) never change, so the
paths of earlier versions keep working. A reader that opens several files should resolve
``OUT/current`` once (its target names the run) and open them inside it.

The run id names the run's *content* (the inputs as read and the options, see
``_collect.run_id``): two runs on an unchanged inbox have the same id and byte-identical files.

A killed run leaves its ``.collect-*`` folder, or a folder in ``runs/`` newer than ``current``
(moved but never switched to), or a temporary link: :func:`clean_debris` removes all three at the
start of the next run, under the lock. A run folder older than ``current`` was current once and
is kept, up to ``KEEP_RUNS``.

The lock is ``flock`` on the out folder itself (no lock file to leave behind); the kernel drops
it when the process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

from ._faults import OutputLocked

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock (see docs/collect.md)
    fcntl = None  # type: ignore[assignment]

RUNS_DIR = "runs"
CURRENT = "current"
STAGING_PREFIX = ".collect-"
RUN_FILE = "run.json"
RUN_FORMAT = "xltargets.collect-run/1"
#: run folders kept, the current one included (each holds a copy of the SQLite database)
KEEP_RUNS = 3
#: how long a second collect waits for the first to finish before it gives up
LOCK_WAIT = 10.0
#: every output, as linked from the top of the out folder through ``current``
OUTPUT_NAMES = ("results.csv", "results.json", "submissions.jsonl", "submissions.json",
                "missing.csv", "汇总表.xlsx", "report.html", "feedback", "xltargets.db", RUN_FILE)
_RUN_NAME = re.compile(r"^(\d{6,})-")
#: test-only: ``phase:folder`` makes the run stop at that phase until ``folder/phase.go``
#: exists, after writing ``folder/phase`` (the kill tests SIGKILL it there)
HOLD_ENV = "XLTARGETS_TEST_HOLD"


def checkpoint(phase: str) -> None:
    """A phase boundary of a run; the kill tests hold the run here (see :data:`HOLD_ENV`)."""
    hold = os.environ.get(HOLD_ENV)
    if not hold:
        return
    wanted, _, folder = hold.partition(":")
    if wanted != phase:
        return
    Path(folder, phase).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 120
    while not Path(folder, phase + ".go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


class OutLock:
    """An exclusive ``flock`` on the out folder, waited for at most ``wait`` seconds."""

    def __init__(self, out: Path, wait: float = LOCK_WAIT) -> None:
        self.out, self.wait = out, wait
        self._fd: int | None = None

    def __enter__(self) -> OutLock:
        if fcntl is None:  # pragma: no cover
            return self
        fd = os.open(self.out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise OutputLocked(
                        f"{self.out}: 另一个汇总（collect）正在写入这个输出目录，"
                        f"已等待 {self.wait:g} 秒；请等它结束后再运行") from None
                time.sleep(0.1)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def _seq(name: str) -> int | None:
    match = _RUN_NAME.match(name)
    return int(match.group(1)) if match else None


def current_run(out: Path) -> Path | None:
    """The folder ``OUT/current`` points to, when it is a published run."""
    link = out / CURRENT
    if not link.is_symlink():
        return None
    target = out / os.readlink(link)
    return target if target.is_dir() else None


def read_run_id(folder: Path | None) -> str:
    if folder is None:
        return ""
    try:
        return str(json.loads((folder / RUN_FILE).read_text(encoding="utf-8")).get("run_id") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def clean_debris(out: Path) -> list[str]:
    """Remove what killed runs left (call under the lock). Returns what was removed."""
    removed: list[str] = []
    for child in out.iterdir():
        name = child.name
        if name.startswith((STAGING_PREFIX, f".{CURRENT}.")) or (
                name.startswith(".") and name.endswith(".part")):
            _remove(child)
            removed.append(name)
    runs = out / RUNS_DIR
    if runs.is_dir():
        current = current_run(out)
        top = _seq(current.name) if current is not None else None
        for child in runs.iterdir():
            seq = _seq(child.name)
            if child == current:
                continue
            if seq is None or top is None or seq > top:
                # moved into runs/ but never switched to (or not a run folder of ours)
                _remove(child)
                removed.append(f"{RUNS_DIR}/{child.name}")
    return removed


def migrate_legacy(out: Path) -> None:
    """Outputs of a version without run folders become the first run folder (once)."""
    legacy = [out / n for n in OUTPUT_NAMES
              if (out / n).exists() and not (out / n).is_symlink()]
    if not legacy:
        return
    if current_run(out) is not None:
        for path in legacy:  # stale leftovers beside a run layout: the run folder has them
            _remove(path)
        return
    folder = out / RUNS_DIR / "000000-legacy"
    folder.mkdir(parents=True, exist_ok=True)
    for path in legacy:
        os.replace(path, folder / path.name)
    _switch(out, folder)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every system can fsync a folder (Windows)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _switch(out: Path, folder: Path) -> None:
    """Point ``OUT/current`` at ``folder``: one atomic rename of a new link over the old."""
    tmp = out / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(os.path.relpath(folder, out), tmp)
    os.replace(tmp, out / CURRENT)
    _fsync_dir(out)


def _link_outputs(out: Path, folder: Path) -> None:
    """The stable links at the top of the out folder: one per output the run has."""
    for name in OUTPUT_NAMES:
        link = out / name
        present = (folder / name).exists()
        if link.is_symlink():
            if not present:
                link.unlink()  # e.g. no SQLite file since the database moved to PostgreSQL
            continue
        if present and not link.exists():
            os.symlink(f"{CURRENT}/{name}", link)


def write_run_file(folder: Path, info: dict[str, Any]) -> None:
    from .._atomic import write_text

    write_text(folder / RUN_FILE, json.dumps({"format": RUN_FORMAT, **info}, ensure_ascii=False,
                                             indent=1) + "\n")


def publish(out: Path, built: Path, run_id: str) -> Path:
    """Move the built run folder into ``runs/`` and switch ``current`` to it; prune old runs."""
    runs = out / RUNS_DIR
    runs.mkdir(exist_ok=True)
    seqs = [s for s in (_seq(c.name) for c in runs.iterdir()) if s is not None]
    folder = runs / f"{max(seqs, default=0) + 1:06d}-{run_id}"
    os.replace(built, folder)
    _fsync_dir(runs)
    checkpoint("moved")
    _switch(out, folder)
    checkpoint("switched")
    _link_outputs(out, folder)
    prune(out)
    return folder


def prune(out: Path, keep: int = KEEP_RUNS) -> None:
    current = current_run(out)
    runs = sorted((c for c in (out / RUNS_DIR).iterdir() if _seq(c.name) is not None),
                  key=lambda c: _seq(c.name) or 0)
    old = [c for c in runs if c != current]
    for folder in old[: max(0, len(old) - (keep - 1))]:
        _remove(folder)


__all__ = ["CURRENT", "HOLD_ENV", "OUTPUT_NAMES", "RUNS_DIR", "OutLock", "checkpoint",
           "clean_debris", "current_run", "migrate_legacy", "publish", "read_run_id"]
