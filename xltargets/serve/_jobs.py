"""The office's consolidation: collect run over the current returns, on demand, with progress.

A run links each department's current return into a fresh inbox folder and calls the library's
:func:`~xltargets.collect.collect` with the root's manifest and the server's database, output in
ROOT/collected (written atomically by collect, so a page never sees half an output). Progress
(files read / total) goes to the ``web_jobs`` row, which any server process can show; a run whose
process died stops sending heartbeats and counts as failed after :data:`STALE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ..collect import collect
from ..collect._db import TABLES, engine_for
from ..collect._db import metadata as collect_metadata
from ..errors import XltargetsError
from ._config import ServeConfig
from ._setup import manifest_path
from ._store import fsync_dir
from ._tables import current_returns, now_iso, web_jobs

log = logging.getLogger("xltargets.serve")
COLLECTED = "collected"
#: collect's tables alone, copied into a SQLite file the office can download (the server's own
#: database also holds the departments' link tokens: it is never offered for download)
EXPORT = "xltargets-export.db"
#: beside collect's out folder, not in it: that folder and its names belong to collect
EXPORT_DIR = "export"
EXPORT_BATCH = 1000
STALE_SECONDS = 120.0
#: the outputs the office can download: name -> (media type, shown in the browser, 中文)
OUTPUTS: dict[str, tuple[str, bool, str]] = {
    "汇总表.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False,
                  "汇总表（项目、部门、绩效指标、问题清单、报送情况、未报送）"),
    "report.html": ("text/html; charset=utf-8", True, "报送情况报告（网页）"),
    "missing.csv": ("text/csv; charset=utf-8", False, "未报送单位名单"),
    "results.csv": ("text/csv; charset=utf-8", False, "各文件检查结果"),
    "submissions.json": ("application/json", False, "全部报送数据（JSON）"),
    "submissions.jsonl": ("application/jsonl", False, "全部报送数据（JSON Lines）"),
    EXPORT: ("application/vnd.sqlite3", False, "数据库导出（SQLite）"),
}


class Jobs:
    def __init__(self, config: ServeConfig, engine: Engine) -> None:
        self.config, self.engine = config, engine
        self.out = config.root / COLLECTED

    def latest(self, conn: Connection) -> dict[str, Any] | None:
        row = conn.execute(select(web_jobs).order_by(web_jobs.c.started.desc()).limit(1)
                           ).mappings().first()
        if row is None:
            return None
        job = dict(row)
        if job["state"] == "running" and time.time() - job["heartbeat"] > STALE_SECONDS:
            job["state"], job["message"] = "failed", "汇总进程已中断，请重新生成"
        return job

    def _path(self, name: str) -> Path:
        return self.config.root / EXPORT_DIR / name if name == EXPORT else self.out / name

    def available(self) -> list[tuple[str, str]]:
        """(file name, what it is) of each output there is."""
        return [(name, OUTPUTS[name][2]) for name in OUTPUTS if self._path(name).is_file()]

    def output(self, name: str) -> Path | None:
        if name not in OUTPUTS:  # a fixed list: never a path from the request
            return None
        path = self._path(name)
        return path if path.is_file() else None

    async def start(self) -> str:
        """Start a run in this process, unless one is already running anywhere."""
        from starlette.concurrency import run_in_threadpool

        job_id = await run_in_threadpool(self._claim)
        if job_id:
            threading.Thread(target=self._run, args=(job_id,), name="xltargets-collect",
                             daemon=True).start()
        return job_id

    def _claim(self) -> str:
        with self.engine.begin() as conn:
            job = self.latest(conn)
            if job is not None and job["state"] == "running":
                return ""
            job_id = secrets.token_hex(16)
            conn.execute(web_jobs.insert(), {
                "id": job_id, "state": "running", "started": now_iso(),
                "heartbeat": time.time(), "done": 0, "total": 0, "message": "正在准备"})
            return job_id

    def _update(self, job_id: str, **values: Any) -> None:
        values["heartbeat"] = time.time()
        with self.engine.begin() as conn:
            conn.execute(update(web_jobs).where(web_jobs.c.id == job_id).values(**values))

    def _run(self, job_id: str) -> None:
        inbox = self.config.root / "jobs" / job_id
        try:
            with self.engine.connect() as conn:
                current = current_returns(conn, submissions=False)
            inbox.mkdir(parents=True)
            for (_spec, _year, unit_code), upload in sorted(current.items()):
                source = self.config.root / upload["file"]
                target = inbox / f"{unit_code}.xlsx"
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
            self._update(job_id, total=len(current), message="正在读取各单位报送文件")
            result = collect(inbox, self.out, manifest=manifest_path(self.config.root),
                             db_url=self.config.database, jobs=1,
                             password=self.config.password,
                             progress=lambda items: self._progress(job_id, items))
            self._update(job_id, message="正在导出数据库")
            export_database(self.engine, self._path(EXPORT))
            self._update(job_id, state="done", message=result.summary_zh(),
                         done=len(current))
        except XltargetsError as exc:
            self._update(job_id, state="failed", message=f"汇总失败：{exc}")
        except Exception as exc:  # a bug: reported on the page and in the log, never silent
            log.exception("collect run failed")
            with contextlib.suppress(Exception):
                self._update(job_id, state="failed", message=f"汇总失败（程序错误）：{type(exc).__name__}")
        finally:
            shutil.rmtree(inbox, ignore_errors=True)

    def _progress(self, job_id: str, items: Iterable[Any]) -> Iterator[Any]:
        done = 0
        last = 0.0
        for item in items:
            done += 1
            yield item
            if time.monotonic() - last > 0.5:
                last = time.monotonic()
                self._update(job_id, done=done, message="正在读取各单位报送文件")
        self._update(job_id, done=done, message="正在生成汇总表、报告和数据库")


def export_database(source: Engine, target: Path) -> None:
    """collect's tables, every row, into a new SQLite file at ``target`` (written beside it,
    fsynced, renamed into place: a download never sees half of it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    engine = engine_for(f"sqlite:///{part}")
    try:
        collect_metadata.create_all(engine)
        with source.connect() as src, engine.begin() as dst:
            for table in TABLES:  # parents first: the foreign keys hold at every insert
                batch: list[dict[str, Any]] = []
                for row in src.execute(select(table)).mappings():
                    batch.append(dict(row))
                    if len(batch) >= EXPORT_BATCH:
                        dst.execute(table.insert(), batch)
                        batch = []
                if batch:
                    dst.execute(table.insert(), batch)
        engine.dispose()
        with part.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(part, target)
        fsync_dir(target.parent)
    finally:
        engine.dispose()
        part.unlink(missing_ok=True)
