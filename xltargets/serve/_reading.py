"""Reading uploads in worker processes, from an async server.

collect's :class:`~xltargets.collect._pool.WorkerPool` already gives what an upload needs: each
file read in a separate process under the reader's limits, a deadline that kills the worker of a
file that takes too long, a memory cap, a fresh worker after any crash. It is synchronous and
owned by one thread, so here one thread per server process owns it: requests hand it tasks
through a queue and wait on an asyncio future; the thread submits, polls, and resolves the
futures. A hostile file therefore holds one worker for at most its deadline and slows nothing
but its own request (and those queued behind it when every worker is busy).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import sys
import threading
from dataclasses import dataclass
from typing import Any

from ..collect._pool import Done, Failure, WorkerPool
from ..collect._work import Expected, FeedbackTask, ReadTask, feedback_task, read_task, warm_up
from ..read import Limits
from ..spec import Spec

log = logging.getLogger("xltargets.serve")

#: address-space cap per reader process, as collect's
WORKER_MEMORY = 4 * 2**30
#: how often the owning thread looks at the pool while tasks run (seconds): the latency a
#: finished read waits before its request hears of it
TICK = 0.005
FEEDBACK_SECONDS = 120.0


@dataclass
class _Request:
    key: int
    func: Any
    arg: Any
    timeout: float
    future: asyncio.Future[Done]
    loop: asyncio.AbstractEventLoop


class Readers:
    """The reader processes of one server process. Start once (:meth:`start`), then await
    :meth:`read` / :meth:`feedback` from any request."""

    def __init__(self, jobs: int, limits: Limits, expected: Expected | None,
                 round_spec: Spec | None = None) -> None:
        self.jobs, self.limits, self.expected = jobs, limits, expected
        #: the spec of the round's templates, pinned in each reader process (warm_up)
        self.round_spec = round_spec
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._keys = itertools.count()
        self._thread = threading.Thread(target=self._run, name="xltargets-readers", daemon=True)
        self._stopped = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    async def read(self, path: str, name: str) -> Done:
        task = ReadTask(0, name, path, self.limits, None)
        return await self._submit(read_task, task, self.limits.max_seconds)

    async def feedback(self, json_text: str, target: str, password: str | None) -> Done:
        return await self._submit(feedback_task, FeedbackTask(json_text, target, password),
                                  FEEDBACK_SECONDS)

    async def _submit(self, func: Any, arg: Any, timeout: float) -> Done:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Done] = loop.create_future()
        if self._stopped.is_set():
            return Done(None, failure=Failure("internal_error", "readers stopped"))
        self._queue.put(_Request(next(self._keys), func, arg, timeout, future, loop))
        return await future

    # -- the owning thread ----------------------------------------------------------------------

    def _run(self) -> None:
        waiting: dict[int, _Request] = {}
        pool: WorkerPool | None = None
        try:
            while True:
                if pool is None:
                    pool = self._new_pool(waiting)
                    if pool is None:
                        return
                item: _Request | None | object
                try:
                    item = self._queue.get(timeout=TICK if pool.pending else None)
                except queue.Empty:
                    item = _NOTHING
                while isinstance(item, _Request):
                    waiting[item.key] = item
                    pool.submit(item.key, item.func, item.arg, item.timeout)
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        item = _NOTHING
                if item is None:
                    return
                try:
                    finished = pool.poll(block=False)
                except Exception as exc:  # the pool could not start workers: fail and retry
                    log.error("reader processes failed: %s", exc)
                    self._fail_all(waiting, "crashed", str(exc))
                    pool.close()
                    pool = None
                    self._stopped.wait(1.0)
                    continue
                for done in finished:
                    request = waiting.pop(done.key, None)
                    if request is not None:
                        request.loop.call_soon_threadsafe(_resolve, request.future, done)
        finally:
            self._stopped.set()
            while True:  # requests that arrived after the end: answer them too
                try:
                    left = self._queue.get_nowait()
                except queue.Empty:
                    break
                if left is not None:
                    waiting[left.key] = left
            self._fail_all(waiting, "internal_error", "server stopping")
            if pool is not None:
                pool.close()

    def _new_pool(self, waiting: dict[int, _Request]) -> WorkerPool | None:
        try:
            return WorkerPool(
                self.jobs, initializer=warm_up,
                initargs=(self.expected, None, False, self.round_spec),
                memory_limit=WORKER_MEMORY if sys.platform.startswith("linux") else None)
        except Exception as exc:
            log.error("cannot start reader processes: %s", exc)
            self._fail_all(waiting, "crashed", str(exc))
            return None

    @staticmethod
    def _fail_all(waiting: dict[int, _Request], code: str, detail: str) -> None:
        for request in waiting.values():
            request.loop.call_soon_threadsafe(
                _resolve, request.future, Done(request.key, failure=Failure(code, detail)))
        waiting.clear()


_NOTHING = object()


def _resolve(future: asyncio.Future[Done], done: Done) -> None:
    if not future.done():  # the client may have gone away and the request been cancelled
        future.set_result(done)
