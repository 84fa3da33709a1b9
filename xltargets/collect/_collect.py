"""The batch: read every returned file, decide each one's status, write the outputs.

Two passes:

1. **Read.** Workers read, check and serialise each file, and draw the feedback copy of each
   rejected one; the parent appends each submission's JSON to a spool file and keeps only a
   small :class:`Entry` per file. The workers stop when the last file is read.
2. **Write.** Duplicates are resolved on the entries; then the kept returns stream from the
   spool, in input order, into every writer at once (JSONL/JSON, database batches, 汇总表).
   Results, the missing list and the report follow.

Everything is written into a fresh run folder (the default SQLite database too, starting from a
copy of the previous run's), the database's commit last, and published by one switch of
``OUT/current`` (:mod:`._publish`), under an exclusive lock on the out folder. A run that fails
or is killed leaves the previous outputs whole; the next run removes its debris. Failures of the
machine are typed one-line errors (:mod:`._faults`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from .._atomic import open_atomic
from ..errors import CollectError
from ..read import Limits
from ..spec.load import SPEC_PATH_ENV, pinned_spec
from ._db import DatabaseWriter, check_database, run_ids
from ._entries import EntryStore
from ._faults import (
    MAX_MESSAGE,
    DatabaseFailure,
    cap,
    cap_detail,
    cap_submission,
    database_error,
    disk_error,
    max_json_chars,
)
from ._manifest import Manifest, check_password, load_manifest
from ._model import (
    DUPLICATE,
    DUPLICATE_STRATEGIES,
    FILE_STATUSES,
    IGNORED,
    MISSING,
    RESULT_COLUMNS,
    STATUS_LABELS,
    UNEXPECTED,
    UNREADABLE,
    Entry,
    ReturnInfo,
    reason,
)
from ._outputs import SubmissionsWriter, dumps, write_csv, write_results
from ._pool import Done, WorkerPool
from ._prepared import Prepared, prepare
from ._publish import (
    LOCK_WAIT,
    STAGING_PREFIX,
    OutLock,
    checkpoint,
    clean_debris,
    current_run,
    migrate_legacy,
    publish,
    read_run_id,
    write_run_file,
)
from ._report import write_report
from ._scan import feedback_names, scan
from ._summary import SummaryWorkbook, columns_for
from ._work import (
    Expected,
    FeedbackTask,
    ReadOutcome,
    ReadTask,
    TemplateIds,
    draw_feedback,
    feedback_task,
    read_task,
    spec_of,
    warm_up,
)

SUMMARY_NAME = "汇总表.xlsx"
DB_NAME = "xltargets.db"
FEEDBACK_DIR = "feedback"
#: drawing one feedback copy of a 200-project workbook takes a few seconds
FEEDBACK_SECONDS = 120.0
#: address-space cap per worker: a file that slips past the reader's limits cannot take the
#: machine's memory, it only crashes its worker (status ``unreadable``, reason ``crashed``)
WORKER_MEMORY = 4 * 2**30
#: read tasks queued per worker (the rest are made when these finish)
QUEUED_PER_JOB = 8
#: tasks a worker holds (the one it reads and the next two): it does not wait for the parent
#: between two files (see _pool), even while the parent's drawing thread holds the interpreter
#: (measured at 2,000 returns with feedback copies, --jobs 1: the worker waited 2.4 s for its
#: next file with one task, 1.7 s with two, 0.5-0.8 s with three)
TASKS_IN_WORKER = 3
#: one worker: copies given to the parent's drawing thread before the reading waits for it
DRAWING_BACKLOG = 16
#: the parent's thread switch interval (seconds) while a copy is being drawn (see _Run._draw)
DRAWING_SWITCH = 0.0005
#: seconds to wait for another program's lock on the previous SQLite file while copying it
DB_WAIT = 10.0
MISSING_HEADER = ["单位编码", "单位名称", "下发文件", "模板编号", "备注"]


@dataclass
class CollectResult:
    """What a batch did. ``counts`` has every status code (files) plus ``missing``."""

    out_dir: Path
    total: int
    counts: dict[str, int]
    missing: list[dict[str, str]]
    outputs: dict[str, Path]
    db_url: str
    db_counts: dict[str, int]
    feedback: int
    feedback_failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: the run's id (its folder ``runs/<seq>-<run_id>``, results.json, run.json, the database)
    run_id: str = ""
    #: the published run folder, ``OUT/current`` points to it
    run_dir: Path | None = None
    #: the database held a run other than the out folder's (a run killed after its commit)
    repaired: bool = False
    #: per spec and year of the kept returns: returns, projects, money totals (汇总表's 总计)
    forms: list[dict[str, Any]] = field(default_factory=list)

    def mixed_zh(self) -> str:
        """A warning when the kept returns are of several specs or years, else ""."""
        if len(self.forms) < 2:
            return ""
        parts = "、".join(f"{f['spec_name']} {f['year']}年 {f['returns']}份" for f in self.forms)
        return f"收到的报送表涉及多种表样或年度（{parts}）；汇总表每行注明年度和表样，合计分别计算"

    def summary_zh(self) -> str:
        """One line for the command line: 共 N 个文件：通过 a，… ；未报送 m 个单位。"""
        parts = [f"{STATUS_LABELS[s]} {self.counts[s]}" for s in FILE_STATUSES if self.counts.get(s)]
        text = f"共 {self.total} 个文件：" + ("，".join(parts) if parts else "无")
        if self.counts.get(MISSING):
            text += f"；未报送 {self.counts[MISSING]} 个单位"
        if self.repaired:
            text += "；上次汇总在写入数据库后中断，本次已使数据库与输出文件一致"
        return text


class DuplicateError(CollectError):
    """``duplicates="fail"`` and some department returned more than once."""

    code = "duplicates"

    def __init__(self, groups: list[list[str]]) -> None:
        self.groups = groups
        shown = "；".join("、".join(g) for g in groups[:10])
        more = f"，另有 {len(groups) - 10} 组" if len(groups) > 10 else ""
        super().__init__(f"有 {len(groups)} 个单位重复提交（{shown}{more}），请确定采用哪一份后重试，"
                         "或改用 newest / oldest")


def collect(inbox: str | Path, out_dir: str | Path, *, manifest: str | Path | None = None,
            db_url: str | None = None, jobs: int = 1, duplicates: str = "newest",
            feedback: bool = True,
            progress: Callable[[Iterable[Done]], Iterable[Done]] | None = None,
            password: str | None = None, limits: Limits | None = None,
            title: str | None = None, lock_wait: float = LOCK_WAIT,
            feedback_without_password: bool = False) -> CollectResult:
    """Collect every returned file under ``inbox`` into ``out_dir``. See docs/collect.md.

    ``progress`` wraps the iterable of files as they are read (it has ``len``), the same way as
    ``generate_batch``'s: ``rich.progress.track`` fits. ``password`` protects the feedback copies
    as the templates were protected; when the manifest says the templates had a password and none
    is given, the batch is refused unless ``feedback_without_password``. ``limits`` are the
    reader's, per file (``max_seconds`` is the per-file time limit). ``lock_wait``: seconds to
    wait for another collect into the same ``out_dir`` to finish. Raises :class:`CollectError`
    only when the batch cannot run at all (its subclasses :class:`OutputLocked`,
    :class:`DiskError`, :class:`DatabaseFailure` for the machine's failures).
    """
    started = time.monotonic()
    if duplicates not in DUPLICATE_STRATEGIES:
        raise CollectError(f"重复提交的处理方式应为 {' / '.join(DUPLICATE_STRATEGIES)}，不是“{duplicates}”")
    if jobs < 1:
        raise CollectError("并行进程数 jobs 至少为 1")
    inbox, out = Path(inbox), Path(out_dir)
    limits = limits or Limits()
    sent = load_manifest(manifest) if manifest is not None else None
    check_password(sent, password, feedback, feedback_without_password)
    with _round_spec(sent):
        result = _collect(inbox, out, sent, manifest, db_url, jobs, duplicates, feedback,
                          progress, password, limits, title, lock_wait)
    result.seconds = time.monotonic() - started
    return result


@contextlib.contextmanager
def _round_spec(sent: Manifest | None) -> Iterator[None]:
    """The round's spec as its templates were generated (the manifest keeps it) stands for its
    id during the run, in this process and (:func:`warm_up`) in the workers. The caches of
    what was made from a spec by id are emptied before and after, so nothing made from the
    other spec is used."""
    def forget() -> None:
        spec_of.cache_clear()
        columns_for.cache_clear()

    forget()
    try:
        with pinned_spec(sent.spec if sent is not None else None):
            yield
    finally:
        forget()


def _collect(inbox: Path, out: Path, sent: Manifest | None, manifest: str | Path | None,
             db_url: str | None, jobs: int, duplicates: str, feedback: bool,
             progress: Callable[[Iterable[Done]], Iterable[Done]] | None,
             password: str | None, limits: Limits, title: str | None,
             lock_wait: float) -> CollectResult:
    files = scan(inbox, exclude=[out], manifest=Path(manifest) if manifest is not None else None)
    in_unit = db_url is None or _is_default_sqlite(db_url, out)
    shown_url = f"sqlite:///{(out / DB_NAME).absolute()}" if in_unit else _hide_password(db_url or "")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with OutLock(out, lock_wait):
            migrate_legacy(out)
            clean_debris(out)
            if not in_unit:
                assert db_url is not None
                try:
                    check_database(db_url)  # a wrong address fails now, not after 20,000 files
                except CollectError as exc:
                    raise DatabaseFailure(f"{shown_url}: {exc}") from None
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
            try:
                run = _Run(files, out, staging, sent, limits, jobs, password, feedback)
                del files  # the run keeps what it needs of them (a province has 20,000)
                with run:
                    run.read(progress)
                    run.resolve(duplicates)
                    run.write(None if in_unit else db_url, shown_url, feedback, title,
                              duplicates)
                result = run.result(shown_url)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise disk_error(exc, out) from None
    except SQLAlchemyError as exc:
        raise database_error(exc, shown_url) from None
    return result


def _is_default_sqlite(url: str, out: Path) -> bool:
    """True when ``url`` names the SQLite file collect keeps in the out folder anyway."""
    if not url.startswith("sqlite:///"):
        return False
    path = Path(url[len("sqlite:///"):].split("?")[0])
    return os.path.abspath(path) == os.path.abspath(out / DB_NAME)


def _within_bounds(text: str) -> bool:
    """True when no text in this JSON can exceed the parent's bounds (:func:`cap_submission`):
    no escaped quote, and no stretch between two quotes longer than the smallest bound. A cheap
    test in C that spares parsing the JSON again; False only means "look closer"."""
    first = text.find('"')
    return ('\\"' not in text and (len(text) if first < 0 else first) <= MAX_MESSAGE
            and _LONG_STRETCH.search(text) is None)


#: a quote followed by more than the smallest bound of anything but quotes (one pass in C,
#: nothing allocated: splitting the text at its quotes made a string of every stretch)
_LONG_STRETCH = re.compile(f'"[^"]{{{MAX_MESSAGE + 1}}}')


def run_id(entries: Iterable[Entry], missing: list[dict[str, str]], options: dict[str, Any]) -> str:
    """The run's id: a hash of what it read and decided, and of its options.

    Content, not time: two runs on an unchanged inbox have the same id and the same bytes;
    a run that read anything differently has another id."""
    h = hashlib.sha256()
    h.update(dumps({"version": __version__, **options}).encode("utf-8"))
    for e in entries:
        h.update(dumps([e.rel, e.status, e.reason, e.sha256, e.size, e.mtime, e.kept_instead_of,
                        e.feedback, e.unit_code]).encode("utf-8"))
    for m in missing:
        h.update(dumps(m).encode("utf-8"))
    return h.hexdigest()[:20]


class _Reading:
    """The pass-1 completions of reads, sized so a progress bar knows the total.

    Tasks are handed to the pool a few at a time (``refill``), not all 20,000 at once: the
    queue stays short, and so does the parent's memory. Feedback copies, drawn by the same
    workers as soon as a return with findings arrives, finish in between: they go to
    ``aside``, not to the progress bar."""

    def __init__(self, pool: WorkerPool | None, total: int, refill: Callable[[], None],
                 aside: Callable[[Done], None]) -> None:
        self._pool, self._total, self._refill, self._aside = pool, total, refill, aside

    def __len__(self) -> int:
        return self._total

    def __iter__(self) -> Iterator[Done]:
        if self._pool is None:
            return
        self._refill()
        while self._pool.pending:
            for done in self._pool.poll(block=True):
                if done.key[0] == "read":
                    yield done
                else:
                    self._aside(done)
            self._refill()


class _Run:
    def __init__(self, files: list[Any], out: Path, staging: Path, sent: Manifest | None,
                 limits: Limits, jobs: int, password: str | None, feedback: bool) -> None:
        self.out, self.staging, self.sent, self.limits = out, staging, sent, limits
        self.scratch = staging / "scratch"
        self.jobs, self.password, self.feedback = jobs, password, feedback
        #: feedback copies drawn during pass 1, before the run folder exists (renamed into it)
        self.drafts = staging / "drafts"
        #: entries whose copy was drawn / failed (the failure's code)
        self.drawn: set[int] = set()
        self.draw_failed: dict[int, str] = {}
        #: the 汇总表 rows are made and the feedback copies drawn by the workers when they have
        #: the CPUs (the parent then only places them); with one worker the parent does both
        #: while that worker reads
        self.prepare_in_workers = jobs > 1
        self.first_feedback = True
        #: one worker: the thread drawing the copies, and the copies it was given
        self._drawer: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[int, Future[int]]] = deque()
        self._switch = sys.getswitchinterval()
        #: the files to read, by index
        self.to_read = array("l")

        def made() -> Iterator[Entry]:
            # each file's path, and whether it is a symbolic link (inside the inbox): only
            # these are read through one. Made one at a time: a province's entries go to the
            # side table without ever being a list of 20,000 objects
            for i, f in enumerate(files):
                entry = Entry(i, f.rel, path=f.path, link=f.link)
                if f.ignored:
                    entry.status, entry.reason = IGNORED, f.ignored
                    entry.message = reason(f.ignored)
                elif f.problem:
                    entry.status, entry.reason = UNREADABLE, f.problem
                    entry.message = reason(f.problem, why=f.why or "?")
                else:
                    self.to_read.append(i)
                yield entry

        #: every file's entry: objects, or past a bound rows of a side table (:mod:`._entries`)
        self.entries = EntryStore(made(), staging, count=len(files))
        self.expected = None
        if sent is not None:
            self.expected = Expected(sent.spec_id, sent.year,
                                     TemplateIds(w.template_id for w in sent.workbooks),
                                     sent.prefilled())
        self.pool: WorkerPool | None = None
        self._stack = ExitStack()
        self.missing: list[dict[str, str]] = []
        self._counts: dict[str, int] | None = None
        self.feedback_done = 0
        self.feedback_failed: list[str] = []
        self.db_counts: dict[str, int] = {}
        self.forms: list[dict[str, Any]] = []
        self.run_id = ""
        self.run_dir = out
        self.repaired = False

    def __enter__(self) -> _Run:
        try:
            self.spool: IO[bytes] = self._stack.enter_context(
                (self.staging / "spool.jsonl").open("w+b"))
            self.scratch.mkdir()
            self.drafts.mkdir()
            if self.to_read:
                # no more workers than files: each costs a process start
                # the manifest goes to each worker once, not with each of 20,000 tasks
                self.pool = self._stack.enter_context(WorkerPool(
                    min(self.jobs, len(self.to_read)), initializer=warm_up,
                    # the workers fork from a server started earlier: give them this run's
                    # spec folders (XLTARGETS_SPEC_PATH), not the server's
                    initargs=(self.expected, os.environ.get(SPEC_PATH_ENV, ""),
                              self.prepare_in_workers,
                              self.sent.spec if self.sent is not None else None),
                    scratch=self.scratch, depth=TASKS_IN_WORKER,
                    memory_limit=WORKER_MEMORY if sys.platform.startswith("linux") else None))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self.entries.close()

    # -- pass 1 ------------------------------------------------------------------------------------

    def read(self, progress: Callable[[Iterable[Done]], Iterable[Done]] | None) -> None:
        pool = self.pool
        if pool is None:
            return
        todo = iter(self.to_read)
        window = QUEUED_PER_JOB * self.jobs

        def refill() -> None:
            while pool.pending < window:
                index = next(todo, None)
                if index is None:
                    return
                entry = self.entries[index]
                task = ReadTask(entry.index, entry.rel, entry.path, self.limits, None,
                                str(self.scratch), follow=entry.link)
                pool.submit(("read", entry.index), read_task, task, self.limits.max_seconds)

        completions: Iterable[Done] = _Reading(pool, len(self.to_read), refill, self._drawn)
        if progress is not None:
            completions = progress(completions)
        for done in completions:
            entry = self.entries[done.key[1]]
            self._apply(entry, done)
            self.entries.put(entry)
        for done in pool.drain():  # the last feedback copies
            self._drawn(done)
        self._drawing(wait=0)  # those drawn here (one worker)
        # Nothing is left for the workers: let them go before pass 2. Idle, they held their
        # memory (two workers: ~45 MiB of PSS) beside the parent's peak, which is in pass 2.
        pool.close()

    def _drawing(self, wait: int) -> None:
        """Collect the copies this process's drawing thread finished (one worker); wait for the
        oldest until at most ``wait`` are left (their JSON texts wait in memory)."""
        while self._pending and (len(self._pending) > wait or self._pending[0][1].done()):
            index, future = self._pending.popleft()
            try:
                future.result()
            except OSError:
                raise  # the disk's (the run's private folder), not the copy's
            except Exception:
                self.draw_failed[index] = "internal_error"
            else:
                self.drawn.add(index)
        if not self._pending and self._drawer is not None:
            sys.setswitchinterval(self._switch)

    def _draw(self, entry: Entry, text: str) -> None:
        """A feedback copy of a return with findings, drawn by the workers from now on (it is
        renamed into the run folder if the return is kept, see :meth:`write`)."""
        if not self.feedback or self.pool is None or not entry.findings:
            return
        if self.first_feedback:
            checkpoint("feedback")
            self.first_feedback = False
        task = FeedbackTask(text, str(self.drafts / f"{entry.index}.xlsx"), self.password)
        if self.prepare_in_workers:
            self.pool.submit(("feedback", entry.index), feedback_task, task, FEEDBACK_SECONDS)
            return
        # one worker: it reads on while a thread of this process, otherwise idle, draws the
        # copy (the generator's own code on our own JSON; an error is the copy's, never the
        # batch's). Not drawn by this thread itself: the worker would wait for its next file
        # for as long as a copy takes (three or four files' reading)
        if self._drawer is None:
            self._drawer = ThreadPoolExecutor(1, thread_name_prefix="xltargets-feedback")
            self._stack.callback(self._drawer.shutdown, cancel_futures=True)
            self._stack.callback(sys.setswitchinterval, self._switch)
        if not self._pending:
            # this thread takes the interpreter back from the drawing thread within this time
            # when the worker's next result arrives (5 ms by default: most of a file's reading)
            sys.setswitchinterval(DRAWING_SWITCH)
        self._pending.append((entry.index, self._drawer.submit(draw_feedback, task,
                                                               self.expected)))
        self._drawing(wait=DRAWING_BACKLOG)

    def _drawn(self, done: Done) -> None:
        if done.failure is None:
            self.drawn.add(done.key[1])
        else:
            self.draw_failed[done.key[1]] = done.failure.code

    def _apply(self, entry: Entry, done: Done) -> None:
        if done.failure is not None:
            entry.status, entry.reason = UNREADABLE, done.failure.code
            entry.message = reason(done.failure.code, limit=f"{self.limits.max_seconds:g}")
            entry.detail = cap_detail(done.failure.detail)
            return
        outcome: ReadOutcome = done.value
        # whatever a worker sends, what the parent keeps is bounded (_faults); each outcome
        # arrives with its own copies of the same few words: share them. The entry holds the
        # outcome as it came, without its JSON text (that goes to the spool)
        outcome = replace(
            outcome, json_text=None, prepared=None, message=cap(outcome.message, MAX_MESSAGE),
            detail=cap_detail(outcome.detail), unit_code=cap(outcome.unit_code, 40),
            template_id=cap(outcome.template_id, 40), unit_name=cap(outcome.unit_name, 500),
            key=cap(outcome.key, 500), spec_id=sys.intern(cap(outcome.spec_id, 100)),
            reason=sys.intern(cap(outcome.reason, 60)), status=sys.intern(outcome.status))
        entry.outcome = outcome
        entry.status, entry.reason, entry.message = outcome.status, outcome.reason, outcome.message
        entry.detail = outcome.detail
        text = done.value.json_text
        if text is not None and entry.kept and len(text) > max_json_chars(entry.size):
            entry.status, entry.reason = UNREADABLE, "output_too_large"
            entry.message = reason("output_too_large",
                                   limit=f"{max_json_chars(entry.size) // 2**20} MB")
            return
        if text is None or not entry.kept:
            return
        prepared = done.value.prepared
        if prepared is None or not _within_bounds(text):
            # the parent's own bounds on what it writes, not the worker's (_faults): rows the
            # worker made from a text that needed cutting are not used
            data = json.loads(text)
            if cap_submission(data):
                text, prepared = dumps(data), None
            if prepared is None:  # made here while the workers read on (one worker: its CPU
                # is the bottleneck and the parent's is free)
                specs = {entry.spec_id} | ({self.sent.spec_id} if self.sent is not None else set())
                prepared = prepare(tuple(sorted(specs)), ReturnInfo.of(entry), data).to_bytes()
        self.spool_entry(entry, text.encode("utf-8"), prepared)
        self._draw(entry, text)

    def spool_entry(self, entry: Entry, data: bytes, prepared: bytes | None) -> None:
        entry.spool_offset = self.spool.seek(0, os.SEEK_END)
        entry.spool_length = len(data)
        self.spool.write(data)
        if prepared is not None:
            self.respool(entry, prepared)

    def respool(self, entry: Entry, prepared: bytes) -> None:
        entry.prep_offset = self.spool.seek(0, os.SEEK_END)
        entry.prep_length = len(prepared)
        self.spool.write(prepared)

    def load_json(self, entry: Entry) -> bytes:
        self.spool.seek(entry.spool_offset)
        return self.spool.read(entry.spool_length)

    def load_prepared(self, entry: Entry) -> Prepared | None:
        if entry.prep_offset < 0:
            return None
        self.spool.seek(entry.prep_offset)
        return Prepared.from_bytes(self.spool.read(entry.prep_length))

    def report_findings(self, entry: Entry) -> list[dict[str, Any]]:
        assert entry.prep_offset >= 0  # every kept return has its rows once pass 2 ran
        self.spool.seek(entry.prep_offset)
        return Prepared.findings_from(self.spool.read(entry.prep_length))

    # -- statuses --------------------------------------------------------------------------------

    def resolve(self, strategy: str) -> None:
        # by index (the entries themselves may live in the side table): only the groups of more
        # than one are made into entries
        by_who: dict[tuple[str, int, str], list[int]] = {}
        for entry in self.entries:
            if entry.kept:
                who = entry.key or f"sha256:{entry.sha256}"
                by_who.setdefault((entry.spec_id, entry.year, who), []).append(entry.index)
        clashes = [[self.entries[i] for i in g] for g in by_who.values() if len(g) > 1]
        del by_who
        if clashes and strategy == "fail":
            raise DuplicateError([[e.rel for e in g] for g in clashes])
        for group in clashes:
            with_saved = all(e.saved is not None for e in group)
            order = sorted(group, key=lambda e: (
                (e.saved or 0.0) if with_saved else 0.0, e.mtime or 0.0, e.rel))
            keep = order[-1] if strategy == "newest" else order[0]
            for entry in group:
                if entry is not keep:
                    entry.status, entry.reason = DUPLICATE, "duplicate"
                    entry.message = reason("duplicate", kept=keep.rel)
                    entry.kept_instead_of = keep.rel
                    self.entries.put(entry)
        if self.sent is not None:
            self.missing = self._missing(self.sent)

    def _missing(self, sent: Manifest) -> list[dict[str, str]]:
        returned: set[str] = set()
        templates: set[str] = set()
        # files that could not be used, once (not once per missing department: a province
        # with thousands of each would make this quadratic)
        unusable: list[tuple[Entry, str]] = []
        for e in self.entries:
            if e.kept:
                if e.unit_code:
                    returned.add(e.unit_code)
                templates.add(e.template_id)
            elif e.status in (UNREADABLE, UNEXPECTED):
                unusable.append((e, Path(e.rel).name))
        missing = []
        for unit_code, workbooks in sorted(sent.departments().items()):
            if unit_code in returned or any(w.template_id in templates for w in workbooks):
                continue
            # a department whose only return could not be used: say so next to its name
            seen = [e for e, name in unusable
                    if unit_code in name or (e.unit_code == unit_code and e.unit_code)]
            note = "；".join(f"收到文件“{e.rel}”，{e.label}：{e.message}" for e in seen)
            missing.append({
                "unit_code": unit_code, "unit_name": workbooks[0].unit_name,
                "files": "、".join(w.file for w in workbooks),
                "template_ids": "、".join(w.template_id for w in workbooks), "note": note,
            })
        return missing

    # -- pass 2 ------------------------------------------------------------------------------------

    def write(self, db_url: str | None, shown_url: str, feedback: bool, title: str | None,
              duplicates: str) -> None:
        """Every output into a fresh folder, the database last, then one switch of ``current``.

        ``db_url`` None: the SQLite database is part of the run folder (a copy of the previous
        run's, updated). Otherwise the database's commit and the switch are adjacent, and the
        run id committed with the rows says which run folder they match."""
        kept = array("l")  # by index: the entries may live in the side table
        with_findings: list[tuple[int, str]] = []
        specs = {self.sent.spec_id} if self.sent is not None else set()
        for e in self.entries:
            if e.kept:
                kept.append(e.index)
                specs.add(e.spec_id)
                if e.findings:
                    with_findings.append((e.index, e.rel))
        run_dir = self.staging / "run"
        run_dir.mkdir()
        feedback_dir = run_dir / FEEDBACK_DIR
        feedback_dir.mkdir()
        if feedback:
            names = feedback_names([rel for _, rel in with_findings])
            for index, rel in with_findings:
                entry = self.entries[index]
                entry.feedback = names[rel]
                self._place_feedback(entry, feedback_dir)
                self.entries.put(entry)
        del with_findings
        self.run_id = run_id(self.entries, self.missing, {
            "duplicates": duplicates, "feedback": feedback, "title": title,
            "manifest": [self.sent.spec_id, self.sent.year, self.sent.batch,
                         len(self.sent.workbooks)] if self.sent is not None else None})
        if db_url is None:
            database = run_dir / DB_NAME
            _seed_database(current_run(self.out), database)
            db_url = f"sqlite:///{database}"
        elif (before := run_ids(db_url, self._scope())) and \
                set(before.values()) != {read_run_id(current_run(self.out))}:
            # a run killed between its commit and its switch: this run's commit and switch
            # make the database and the folder one run again
            self.repaired = True
        spec_ids = sorted(specs)
        with ExitStack() as outputs:
            try:
                db = DatabaseWriter(db_url)
            except CollectError as exc:
                raise DatabaseFailure(f"{shown_url}: {exc}") from None
            outputs.callback(db.close)
            submissions = SubmissionsWriter(run_dir, outputs)
            summary_fh = outputs.enter_context(open_atomic(run_dir / SUMMARY_NAME, "wb"))
            summary = SummaryWorkbook(summary_fh, self.staging, spec_ids)
            try:
                for index in kept:
                    # the rows were made while the batch was read: placed here in input order
                    entry = self.entries[index]
                    submissions.add(self.load_json(entry))
                    prepared = self.load_prepared(entry)
                    info = ReturnInfo.of(entry)
                    if prepared is None or prepared.info != info or \
                            prepared.summary.spec_key != summary.spec_key:
                        # a batch of several specs (other 汇总表 columns): made again here
                        prepared = prepare(summary.spec_key, info,
                                           json.loads(self.load_json(entry)))
                        self.respool(entry, prepared.to_bytes())  # the report reads it
                        self.entries.put(entry)
                    db.add_part(prepared.db, entry.feedback)
                    summary.add_part(prepared.summary, entry.feedback)
                for entry in self.entries:
                    summary.add_file(entry)
                for m in self.missing:
                    summary.add_missing([m["unit_code"], m["unit_name"], m["files"],
                                         m["template_ids"], m["note"]])
                summary.close()
                self.forms = summary.groups()  # per spec and year: the report's totals
                submissions.close()
                self._write_tables(run_dir, title)
                write_run_file(run_dir, {"run_id": self.run_id, "database": shown_url,
                                         "total": len(self.entries), "counts": self.counts()})
                checkpoint("written")
                # the database last: its commit and the switch below are adjacent
                try:
                    db.finish(self._department_rows(), self._scope(), self.run_id)
                except CollectError as exc:
                    raise DatabaseFailure(f"{shown_url}: {exc}") from None
                self.db_counts = dict(db.counts)
            except BaseException:
                summary.abort()
                raise
        checkpoint("committed")
        self.run_dir = publish(self.out, run_dir, self.run_id)

    def _place_feedback(self, entry: Entry, feedback_dir: Path) -> None:
        """The copy drawn during pass 1 goes under its name; a copy that could not be drawn is
        said in the row's message."""
        if entry.index in self.drawn:
            target = feedback_dir / entry.feedback
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(self.drafts / f"{entry.index}.xlsx", target)
            self.feedback_done += 1
            return
        code = self.draw_failed.get(entry.index, "internal_error")
        self.feedback_failed.append(entry.rel)
        entry.message = (entry.message + "；" if entry.message else "") + \
            f"未能生成修改意见副本（{code}）"
        entry.feedback = ""

    def _write_tables(self, run_dir: Path, title: str | None) -> None:
        counts = self.counts()
        header: dict[str, Any] = {"run_id": self.run_id, "total": len(self.entries),
                                  "counts": counts}
        if self.sent is not None:
            header["manifest"] = {"spec": self.sent.spec_id, "version": self.sent.spec_version,
                                  "year": self.sent.year, "batch": self.sent.batch,
                                  "departments": len(self.sent.departments())}
        write_results(run_dir, header, (e.result_row() for e in self.entries), RESULT_COLUMNS)
        write_csv(run_dir / "missing.csv", ["unit_code", "unit_name", "files", "template_ids", "note"],
                  ([m["unit_code"], m["unit_name"], m["files"], m["template_ids"], m["note"]]
                   for m in self.missing))
        context: dict[str, Any] = {"manifest": None, "forms": self.forms}
        if self.sent is not None:
            context["manifest"] = {"spec_id": self.sent.spec_id,
                                   "spec_version": self.sent.spec_version, "year": self.sent.year,
                                   "batch": self.sent.batch,
                                   "departments": len(self.sent.departments())}
        year = self.sent.year if self.sent is not None else None
        context["title"] = title or (f"{year}年预算绩效目标报送情况" if year else "预算绩效目标报送情况")
        write_report(run_dir / "report.html", entries=self.entries, load=self.report_findings,
                     counts=counts, missing=self.missing, context=context)

    def _department_rows(self) -> Iterator[dict[str, Any]]:
        """The departments table, a row at a time (a province has 20,000): every kept return
        with a unit code in input order, then the missing departments. Rows are upserted, so
        should two kept returns share a key the later one's row is the one left, as before."""
        in_manifest = set(self.sent.departments()) if self.sent is not None else set()
        for e in self.entries:
            if e.kept and e.unit_code:
                yield {"spec_id": e.spec_id, "year": e.year, "unit_code": e.unit_code,
                       "unit_name": e.unit_name, "status": e.status, "submission_id": e.sha256,
                       "file": e.rel, "template_id": e.template_id or None,
                       "in_manifest": e.unit_code in in_manifest}
        if self.sent is not None:
            for m in self.missing:
                yield {"spec_id": self.sent.spec_id, "year": self.sent.year,
                       "unit_code": m["unit_code"], "unit_name": m["unit_name"],
                       "status": MISSING, "submission_id": None, "file": None,
                       "template_id": m["template_ids"].split("、")[0] or None,
                       "in_manifest": True}

    def _scope(self) -> set[tuple[str, int]]:
        scope = {(e.spec_id, e.year) for e in self.entries if e.kept}
        if self.sent is not None:
            scope.add((self.sent.spec_id, self.sent.year))
        return scope

    # -- result ------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Files by status, and the missing departments (statuses are final once resolved)."""
        if self._counts is None:
            counts = {s: 0 for s in FILE_STATUSES}
            for e in self.entries:
                counts[e.status] = counts.get(e.status, 0) + 1
            counts[MISSING] = len(self.missing)
            self._counts = counts
        return dict(self._counts)

    def result(self, shown_url: str) -> CollectResult:
        outputs = {name: self.out / name for name in (
            "results.csv", "results.json", "submissions.jsonl", "submissions.json", "missing.csv",
            SUMMARY_NAME, "report.html", FEEDBACK_DIR)}
        if (self.run_dir / DB_NAME).exists():
            outputs["database"] = self.out / DB_NAME
        return CollectResult(self.out, len(self.entries), self.counts(), self.missing, outputs,
                             shown_url, self.db_counts, self.feedback_done,
                             self.feedback_failed, run_id=self.run_id, run_dir=self.run_dir,
                             repaired=self.repaired, forms=self.forms)


def _seed_database(previous: Path | None, target: Path) -> None:
    """The new run's SQLite file starts as a copy of the previous run's (it may hold other
    specs and years, which a run leaves alone). SQLite's backup API copies a consistent state
    even while another program reads or writes it."""
    source = previous / DB_NAME if previous is not None else None
    if source is None or not source.is_file():
        return
    try:
        with contextlib.closing(sqlite3.connect(source, timeout=DB_WAIT)) as src, \
                contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        raise database_error(exc, str(source), "读取上次的") from None


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


__all__ = ["DUPLICATE", "CollectResult", "DuplicateError", "collect"]
