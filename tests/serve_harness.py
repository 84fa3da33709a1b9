"""Real ``xltargets serve`` processes on 127.0.0.1 for the web tests, and returns to upload.

A :class:`ServerProcess` is the command a finance office runs (``python -m xltargets serve``) on
a free port, with its own root folder; tests talk to it over HTTP like a browser or a script
would, and kill it like an operating system would.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from forms import hebei_clean
from sqlalchemy import select

from xltargets.generate import Department, build_template, generate_batch
from xltargets.serve._tables import open_engine, web_uploads
from xltargets.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
OFFICE_TOKEN = "office-token-for-tests-0123456789abcdef"
YEAR = 2025


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_roster(path: Path, count: int, first: int = 330001) -> Path:
    """A roster of ``count`` departments with one project each."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["unit_code", "unit_name", "region_code", "project_name", "budget_total"])
        for i in range(count):
            out.writerow([str(first + i), f"测试单位{i + 1:02d}", "130225", "购买舆情监测服务", "50.00"])
    return path


def send_out(folder: Path, roster: Path | None = None, rows: dict[str, int] | None = None) -> Path:
    """Generate the templates of a roster (default: the bundled Hebei example); the manifest."""
    generate_batch(load_spec("hebei-county"), YEAR, roster or REPO / "examples" / "roster-hebei.csv",
                   folder, rows=rows)
    return folder / "manifest.json"


def year_fill() -> dict[str, dict[tuple[str | int, ...], Any]]:
    """hebei_clean for :data:`YEAR`: the project code carries the form's year (digits 7-8)."""
    fill = hebei_clean()
    code = str(fill["项目1"][("project_code",)])
    fill["项目1"][("project_code",)] = code[:6] + str(YEAR)[2:] + code[8:]
    return fill


def filled_return(manifest: dict[str, Any], unit_code: str, *, mistake: bool = False) -> bytes:
    """A department's template filled as hebei_clean (every project), as the department saves it.

    ``mistake``: 财政拨款 no longer adds up to the total (one ``sum_mismatch`` error)."""
    book = next(w for w in manifest["workbooks"] if w["unit_code"] == unit_code)
    clean = year_fill()
    project = dict(clean["项目1"])
    if mistake:
        project[("budget_fiscal",)] = Decimal("40.00")
    count = max(1, book["projects"])
    fill = {"部门整体绩效目标": clean["部门整体绩效目标"]}
    for n in range(1, count + 1):
        fill[f"项目{n}"] = project
    dept = Department(unit_code, book["unit_name"], projects=[{} for _ in range(count)])
    return build_template(load_spec("hebei-county"), YEAR, department=dept, values=fill,
                          template_id=book["template_id"]).data


class ServerProcess:
    """``python -m xltargets serve`` on a free port; a context manager that stops it."""

    def __init__(self, root: Path, manifest: Path | None = None, *, db: str | None = None,
                 jobs: int = 1, workers: int = 1, port: int | None = None,
                 extra: list[str] | None = None) -> None:
        self.root, self.manifest, self.db = root, manifest, db
        self.jobs, self.workers, self.extra = jobs, workers, extra or []
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root.parent / f"serve-{self.port}.log"

    def start(self, timeout: float = 90) -> ServerProcess:
        cmd = [sys.executable, "-m", "xltargets", "serve", "--root", str(self.root),
               "--port", str(self.port), "--jobs", str(self.jobs),
               "--workers", str(self.workers), *self.extra]
        if self.manifest is not None:
            cmd += ["--manifest", str(self.manifest)]
        if self.db:
            cmd += ["--db", self.db]
        env = dict(os.environ, XLTARGETS_OFFICE_TOKEN=OFFICE_TOKEN,
                   PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=REPO, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text('utf-8', 'replace')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log.read_text('utf-8', 'replace')}")

    def links(self) -> dict[str, str]:
        """unit_code -> the department's link, from links.csv as the office reads it."""
        with (self.root / "links.csv").open(encoding="utf-8-sig", newline="") as fh:
            return {row["unit_code"]: row["url"] for row in csv.DictReader(fh)}

    def api(self, link: str) -> str:
        return link.replace("/d/", "/api/d/") + "/returns"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc is not None:
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL to the server process only, as a crash or the OOM killer would."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(20)

    def __enter__(self) -> ServerProcess:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        with contextlib.suppress(ProcessLookupError):  # the reader processes of a killed server
            if self.proc is not None:
                os.killpg(self.proc.pid, signal.SIGKILL)


def uploads_in_db(url: str) -> list[dict[str, Any]]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(web_uploads)).mappings()]
    finally:
        engine.dispose()


def upload(client: httpx.Client, url: str, data: bytes, name: str = "return.xlsx") -> httpx.Response:
    return client.post(url, files={"file": (name, data, "application/octet-stream")})
