"""One process pool for the whole batch, which no task can stop.

Why not :mod:`concurrent.futures`: a task there cannot be given a time limit (a worker stuck in
native code cannot be interrupted) and one worker that dies breaks the whole executor. Here every
worker is a process with its own pipe; the parent waits on all pipes and process sentinels with
the earliest deadline as timeout, and

* a task past its deadline gets its worker killed and comes back as a :class:`Failure` ``timeout``;
* a worker that dies (a crash in native code, the out-of-memory killer, a memory limit) gives
  ``crashed`` for the task it held;
* an exception in the task gives ``internal_error`` (a bug, reported, never fatal);

and in each case a fresh worker takes the place of the old one. Workers start from a fork server
that has already imported the reader, so a replacement costs a fork, not an interpreter start.

A worker's standard error (file descriptor 2, where native code such as python-calamine prints a
Rust panic's backtrace, thousands of lines) goes to a file of its own, never to the terminal of
collect; when a task fails, the first lines written during that task become the failure's
``detail``. On Linux a worker dies with the fork server (``PR_SET_PDEATHSIG``), which dies with
the parent: a collect killed with SIGKILL leaves no worker writing behind it.

Tasks are ``(func, arg)`` pairs of picklable module-level functions. Results come back in the
order tasks finish; callers sort. :meth:`WorkerPool.poll` never blocks, so the parent can write
outputs while the workers read.

With ``depth`` above 1 a worker is sent its next task(s) before it answers: it goes from one
file to the next without waiting for the parent to take its answer and send more (with one
worker and a busy parent, e.g. one drawing feedback copies, that wait was a third of the
worker's time). A worker still runs its tasks one after another, so the task it is running is
always the oldest unanswered one: that task alone gets the deadline (counted from the previous
answer, when the worker started it) and the blame for a crash; the ones behind it are sent
again, to the fresh worker. The worker tells with each answer where its next task's stderr
starts (it owns the file, so it also empties it between tasks).
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing as mp
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from ..errors import CollectError
from ._faults import cap, cap_detail

#: how long a fresh worker may take to import and initialise before the batch gives up
START_SECONDS = 120.0
#: workers that die before they are ready, in a row, before the batch gives up
MAX_START_FAILURES = 3
#: modules the fork server imports once, so that each worker starts ready to read: the worker's
#: module and the reader, nothing of the writers (SQLAlchemy, Jinja2) or the generator, which a
#: worker imports with its first feedback copy
PRELOAD = ["xltargets.collect._work"]
#: a worker's stderr file is emptied between tasks once it holds this much
STDERR_KEEP = 64 * 1024
#: at most this much of a failed task's stderr is read back
STDERR_READ = 16 * 1024


@dataclass(frozen=True)
class Failure:
    """Why a task gave no result: ``timeout``, ``crashed`` or ``internal_error``."""

    code: str
    detail: str = ""


@dataclass
class Done:
    """A finished task: its key and either its value or a :class:`Failure`."""

    key: Any
    value: Any = None
    failure: Failure | None = None
    seconds: float = 0.0


@dataclass
class _Task:
    key: Any
    func: Callable[[Any], Any]
    arg: Any
    timeout: float


@dataclass
class _Slot:
    process: Any = None
    conn: Connection | None = None
    ready: bool = False
    started: float = 0.0
    #: tasks sent and not answered, oldest first: the first is the one the worker is running
    tasks: deque[_Task] = field(default_factory=deque)
    #: the running task's deadline, and when it started (as far as the parent knows)
    deadline: float = 0.0
    sent: float = 0.0
    #: the worker's stderr file, and where the running task's part of it starts
    stderr: str = ""
    stderr_at: int = 0

    @property
    def task(self) -> _Task | None:
        """The task the worker is running, if any."""
        return self.tasks[0] if self.tasks else None


def _context() -> Any:
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return mp.get_context("spawn")  # Windows, macOS without fork server


def prestart() -> None:
    """Start the workers' fork server now, without waiting for it.

    The server imports the reader (:data:`PRELOAD`, about half a second) while this process
    goes on importing what it needs itself; the first worker then forks from a server that is
    ready or nearly so. Called by the command line before it imports the collect package."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when its parent (the fork server) dies."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        parent = os.getppid()
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the call
            os._exit(1)


def _worker_main(conn: Connection, initializer: Callable[..., None] | None,
                 initargs: tuple[Any, ...], memory_limit: int | None, stderr: str = "") -> None:
    # Ctrl-C goes to the whole process group: the parent decides, workers just get closed
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if stderr:
        with contextlib.suppress(OSError):
            fd = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(fd, 2)
            os.close(fd)
    if memory_limit:
        with contextlib.suppress(ImportError, ValueError, OSError):
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    try:
        if initializer is not None:
            initializer(*initargs)
    except BaseException as exc:  # report, then die: the parent counts start failures
        conn.send(("init_failed", f"{type(exc).__name__}: {exc}", 0))
        return
    conn.send(("ready", None, _stderr_mark(bool(stderr))))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        func, arg = message
        try:
            reply: tuple[str, Any] = ("ok", func(arg))
        except MemoryError:
            reply = ("crashed", "MemoryError")
        except OSError as exc:
            # a task handles the OSErrors of its input itself: one that escapes is the machine's
            # (a full disk while writing a feedback copy or a private copy)
            reply = ("os_error", (exc.errno, exc.strerror, exc.filename
                                  if isinstance(exc.filename, str) else None))
        except Exception as exc:
            tb = traceback.extract_tb(exc.__traceback__)
            where = f" at {tb[-1].filename.rsplit(os.sep, 1)[-1]}:{tb[-1].lineno}" if tb else ""
            reply = ("internal_error", f"{type(exc).__name__}: {str(exc)[:300]}{where}")
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # a native panic (pyo3's PanicException is no Exception)
            reply = ("crashed", f"{type(exc).__name__}: {str(exc)[:300]}")
        # a failed task's stderr is read by the parent after this answer: never emptied then
        conn.send((*reply, _stderr_mark(bool(stderr), empty=reply[0] == "ok")))


def _stderr_mark(own: bool, *, empty: bool = True) -> int:
    """Where the next task's stderr starts in the worker's own stderr file (emptied first when it
    holds more than :data:`STDERR_KEEP`); 0 when stderr is not a file of its own."""
    if not own:
        return 0
    try:
        size = os.fstat(2).st_size
        if empty and size > STDERR_KEEP:
            os.ftruncate(2, 0)  # written with O_APPEND: the next write goes to the new end
            size = 0
    except OSError:
        size = 0
    return size


#: why a reading process could not be started, in the words of the machine's state
_START_WORDS = {errno.EPIPE: "后台服务进程已退出", errno.ECONNREFUSED: "后台服务进程已退出",
                errno.ECONNRESET: "后台服务进程已退出", errno.EAGAIN: "系统进程数已达上限",
                errno.ENOMEM: "内存不足", errno.EMFILE: "打开的文件数已达上限",
                errno.ENFILE: "打开的文件数已达上限"}


def _cannot_start(exc: OSError) -> CollectError:
    words = _START_WORDS.get(exc.errno or 0, "系统错误")
    return CollectError(f"读取进程无法启动：{words}（{exc.strerror or type(exc).__name__}），"
                        "本次汇总未完成，请稍后重试")


class WorkerPool:
    """``jobs`` worker processes; see the module docstring. Use as a context manager."""

    def __init__(self, jobs: int, *, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = (), memory_limit: int | None = None,
                 scratch: str | os.PathLike[str] | None = None, depth: int = 1) -> None:
        if jobs < 1 or depth < 1:
            raise ValueError("jobs and depth must be at least 1")
        #: tasks a worker is sent before it answers (see the module docstring)
        self._depth = depth
        #: where the workers' stderr files go (a private folder when not given)
        self._own_scratch = scratch is None
        self._scratch = str(scratch) if scratch is not None else tempfile.mkdtemp(
            prefix="xltargets-pool-")
        self._serial = 0
        self._ctx = _context()
        self._initializer = initializer
        self._initargs = initargs
        self._memory_limit = memory_limit
        self._queue: deque[_Task] = deque()
        self._slots = [_Slot() for _ in range(jobs)]
        self._start_failures = 0
        self.restarts = 0
        for slot in self._slots:
            self._start(slot)

    # -- public ---------------------------------------------------------------------------------

    def submit(self, key: Any, func: Callable[[Any], Any], arg: Any, timeout: float) -> None:
        self._queue.append(_Task(key, func, arg, timeout))

    @property
    def pending(self) -> int:
        """Tasks not finished yet (queued or running)."""
        return len(self._queue) + sum(len(s.tasks) for s in self._slots)

    def poll(self, *, block: bool) -> list[Done]:
        """Finished tasks. With ``block``, waits until at least one finishes (or none is left)."""
        while True:
            self._dispatch()
            if not self.pending:
                return []
            now = time.monotonic()
            deadlines = [s.deadline for s in self._slots if s.task is not None]
            deadlines += [s.started + START_SECONDS for s in self._slots if not s.ready]
            timeout = max(0.0, min(deadlines) - now) if (block and deadlines) else 0.0
            waitables: list[Any] = []
            for s in self._slots:
                if s.conn is not None:
                    waitables += [s.conn, s.process.sentinel]
            ready = set(wait(waitables, timeout))
            done: list[Done] = []
            for slot in self._slots:
                if slot.conn is not None and slot.conn in ready:
                    self._receive(slot, done)
                elif slot.process is not None and slot.process.sentinel in ready:
                    self._died(slot, done, "worker exited")
            self._expire(done)
            self._dispatch()
            if done or not block:
                return done

    def drain(self) -> Iterator[Done]:
        """Every remaining task, as it finishes."""
        while self.pending:
            yield from self.poll(block=True)

    def close(self) -> None:
        for slot in self._slots:
            if slot.conn is not None and slot.ready and not slot.tasks:
                with contextlib.suppress(OSError, ValueError):
                    slot.conn.send(None)
        deadline = time.monotonic() + 5
        for slot in self._slots:
            if slot.process is not None:
                slot.process.join(max(0.0, deadline - time.monotonic()))
            self._kill(slot)
        if self._own_scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- workers --------------------------------------------------------------------------------

    def _start(self, slot: _Slot) -> None:
        self._serial += 1
        slot.stderr = os.path.join(self._scratch, f"worker-{self._serial}.stderr")
        slot.stderr_at = 0
        try:
            parent, child = self._ctx.Pipe(duplex=True)
        except OSError as exc:  # no descriptors left
            raise _cannot_start(exc) from None
        process = self._ctx.Process(
            target=_worker_main, name="xltargets-collect-worker", daemon=True,
            args=(child, self._initializer, self._initargs, self._memory_limit, slot.stderr))
        try:
            process.start()
        except OSError as exc:
            # the machine's, not the out folder's (the caller maps other OSErrors to the disk):
            # a fork server killed meanwhile (a broken pipe), no process or memory left
            parent.close()
            child.close()
            raise _cannot_start(exc) from None
        child.close()
        slot.process, slot.conn, slot.ready = process, parent, False
        slot.started = time.monotonic()
        slot.tasks = deque()

    def _kill(self, slot: _Slot) -> None:
        if slot.process is not None:
            if slot.process.is_alive():
                slot.process.kill()
            slot.process.join(5)
            with contextlib.suppress(ValueError):
                slot.process.close()
        if slot.conn is not None:
            slot.conn.close()
        if slot.stderr:
            with contextlib.suppress(OSError):
                os.unlink(slot.stderr)
        # the tasks it had not started go to the next worker first, in their order
        self._queue.extendleft(reversed(list(slot.tasks)[1:]))
        slot.process, slot.conn, slot.ready = None, None, False
        slot.tasks = deque()

    def _stderr_text(self, slot: _Slot) -> str:
        """The first lines the worker wrote to stderr during its current task."""
        try:
            with open(slot.stderr, "rb") as fh:
                fh.seek(slot.stderr_at)
                data = fh.read(STDERR_READ)
        except OSError:
            return ""
        return cap_detail(data.decode("utf-8", "replace"))

    def _failure(self, slot: _Slot, code: str, detail: str) -> Failure:
        captured = self._stderr_text(slot) if slot.stderr else ""
        return Failure(code, cap(f"{detail}: {captured}" if captured else detail, 1000))

    def _restart(self, slot: _Slot) -> None:
        self._kill(slot)
        self.restarts += 1
        self._start(slot)

    def _dispatch(self) -> None:
        # breadth first: every idle worker gets a task before any gets a second one
        for level in range(self._depth):
            for slot in self._slots:
                if not self._queue:
                    return
                if slot.ready and len(slot.tasks) == level and slot.conn is not None:
                    task = self._queue.popleft()
                    if not slot.tasks:  # it starts now
                        slot.sent = time.monotonic()
                        slot.deadline = slot.sent + task.timeout
                    slot.tasks.append(task)
                    # a worker that is gone is reported by its sentinel on the next wait
                    with contextlib.suppress(OSError, ValueError):
                        slot.conn.send((task.func, task.arg))

    def _receive(self, slot: _Slot, done: list[Done]) -> None:
        assert slot.conn is not None
        try:
            kind, payload, mark = slot.conn.recv()
        except (EOFError, OSError):
            self._died(slot, done, "worker exited")
            return
        if kind == "ready":
            slot.ready, slot.stderr_at = True, mark
            self._start_failures = 0
            return
        if kind == "init_failed":
            self._start_failed(slot, str(payload))
            return
        if not slot.tasks:
            return
        process = slot.process
        try:
            self._answered(slot, slot.tasks.popleft(), kind, payload, done)
        finally:
            if slot.process is process:  # not replaced: its next task began writing there
                slot.stderr_at = mark

    def _answered(self, slot: _Slot, task: _Task, kind: str, payload: Any,
                  done: list[Done]) -> None:
        now = time.monotonic()
        seconds = now - slot.sent
        if slot.tasks:  # the worker went on to its next task when it answered
            slot.sent, slot.deadline = now, now + slot.tasks[0].timeout
        if kind == "ok":
            done.append(Done(task.key, value=payload, seconds=seconds))
        elif kind == "os_error":
            number, words, filename = payload
            raise OSError(number, words, filename)
        else:
            done.append(Done(task.key, failure=self._failure(slot, kind, str(payload)),
                             seconds=seconds))
            if kind == "crashed":  # a MemoryError leaves a process better replaced
                # the tasks behind it are not to blame: all go to the fresh worker
                self._queue.extendleft(reversed(slot.tasks))
                slot.tasks.clear()
                self._restart(slot)

    def _died(self, slot: _Slot, done: list[Done], why: str) -> None:
        code = slot.process.exitcode if slot.process is not None else None
        if not slot.ready:
            self._start_failed(slot, f"{why} (exit code {code})")
            return
        task = slot.task
        if task is not None:
            detail = f"{why} (exit code {code})"
            if code is not None and code < 0:
                with contextlib.suppress(ValueError):
                    detail = f"{why} ({signal.Signals(-code).name})"
            done.append(Done(task.key, failure=self._failure(slot, "crashed", detail),
                             seconds=time.monotonic() - slot.sent))
        self._restart(slot)

    def _start_failed(self, slot: _Slot, detail: str) -> None:
        self._start_failures += 1
        if self._start_failures >= MAX_START_FAILURES:
            self.close()
            raise CollectError(f"读取进程无法启动：{detail}")
        self._restart(slot)

    def _expire(self, done: list[Done]) -> None:
        now = time.monotonic()
        for slot in self._slots:
            if slot.task is not None and now >= slot.deadline:
                task = slot.task
                done.append(Done(task.key, failure=self._failure(slot, "timeout",
                                                                 f"{task.timeout:g} s"),
                                 seconds=now - slot.sent))
                self._restart(slot)
            elif not slot.ready and slot.process is not None and now >= slot.started + START_SECONDS:
                self._start_failed(slot, "no answer")
