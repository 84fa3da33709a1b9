"""Run LibreOffice jobs from the project's Python (standard library only).

The jobs run in :mod:`libreoffice.worker` under the system Python that has ``uno``
(see that module for the job format). A typical test::

    if not available():
        pytest.skip("LibreOffice headless not installed")
    results = run_jobs([
        {"op": "fill", "src": src, "dst": dst,
         "cells": [{"sheet": "项目1", "name": "budget_total", "value": "50.00", "type": "number"}]},
        {"op": "pdf", "src": dst, "dst": pdf},
    ])

Starting soffice costs a few seconds, so batch jobs into one :func:`run_jobs` call; the
one-job helpers (:func:`fill`, :func:`resave`, ...) each start their own soffice.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("worker.py")

#: Environment variable that overrides the interpreter used to run the worker.
PYTHON_ENV = "XLTARGETS_LO_PYTHON"
#: Environment variable that overrides the soffice executable.
SOFFICE_ENV = "XLTARGETS_LO_SOFFICE"

PathLike = str | os.PathLike[str]


class LibreOfficeError(Exception):
    """LibreOffice could not be run, or a job failed."""


# --------------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------------


_DROPPED_ENV = {"VIRTUAL_ENV", "CONDA_PREFIX", "__PYVENV_LAUNCHER__"}


def clean_env() -> dict[str, str]:
    """Our environment minus what would point the system Python at the project's packages."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PYTHON") and key not in _DROPPED_ENV
    }
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


def _first_executable(candidates: Iterable[str | None]) -> str | None:
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def system_python() -> str | None:
    """The interpreter that can ``import uno`` (Debian's python3), or None."""
    return _first_executable(
        [os.environ.get(PYTHON_ENV), "/usr/bin/python3", shutil.which("python3")]
    )


def soffice_path() -> str | None:
    return _first_executable(
        [
            os.environ.get(SOFFICE_ENV),
            shutil.which("soffice"),
            "/usr/bin/soffice",
            "/usr/lib/libreoffice/program/soffice",
            "/opt/libreoffice/program/soffice",
        ]
    )


@functools.cache
def available() -> bool:
    """True if soffice exists and the system Python can import ``uno``."""
    python = system_python()
    if python is None or soffice_path() is None:
        return False
    try:
        probe = subprocess.run(
            [python, "-c", "import uno"],
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


# --------------------------------------------------------------------------------------------
# running jobs
# --------------------------------------------------------------------------------------------


def _absolute(path: PathLike) -> str:
    return str(Path(path).expanduser().absolute())


def _normalise(job: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(job)
    for key in ("src", "dst"):
        if out.get(key) is not None:
            out[key] = _absolute(out[key])
    if "cells" in out:
        out["cells"] = [dict(cell) for cell in out["cells"]]
    return out


def _kill_group(proc: subprocess.Popen[bytes], tmp: Path) -> str:
    """Kill the worker and its soffice; return what the worker wrote to stderr."""
    # The worker runs in its own session and soffice stays in the worker's process group,
    # so one signal to the group ends the worker and every soffice process it started.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    stderr = b""
    with contextlib.suppress(subprocess.TimeoutExpired):
        stderr = proc.communicate(timeout=10)[1] or b""
    # A killed soffice leaves its named pipes in /tmp; the worker listed them for us.
    with contextlib.suppress(OSError):
        for line in (tmp / "sockets.txt").read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(os.lstat(line).st_mode):
                    os.unlink(line)
    return stderr.decode("utf-8", "replace")


def run_report(jobs: Iterable[Mapping[str, Any]], *, timeout: float = 300,
               locale: str | None = None) -> dict[str, Any]:
    """Run ``jobs`` in one soffice; return the worker's whole report.

    The report is ``{"results": [...], "startup_seconds", "total_seconds", "restarts"}``.
    Raises :class:`LibreOfficeError` if the worker cannot run or does not finish in
    ``timeout`` seconds. Failed *jobs* do not raise: see each result's ``ok`` and ``error``.
    """
    python = system_python()
    soffice = soffice_path()
    if python is None or soffice is None:
        raise LibreOfficeError("LibreOffice or the system python3 with uno is not installed")
    job_list = [_normalise(job) for job in jobs]
    # The worker keeps soffice's profile in here too, so a killed run leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix="xlt-lo-", ignore_cleanup_errors=True) as tmp:
        jobs_file = Path(tmp, "jobs.json")
        out_file = Path(tmp, "results.json")
        jobs_file.write_text(json.dumps(job_list, ensure_ascii=False), encoding="utf-8")
        cmd = [python, str(WORKER), str(jobs_file), "--out", str(out_file)]
        cmd += ["--soffice", soffice, "--tmpdir", tmp]
        if locale:
            cmd += ["--locale", locale]
        proc = subprocess.Popen(
            cmd,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            err_text = _kill_group(proc, Path(tmp))
            raise LibreOfficeError(
                f"LibreOffice worker timed out after {timeout:g} s:\n{err_text[-4000:]}"
            ) from exc
        except BaseException:
            _kill_group(proc, Path(tmp))
            raise
        err_text = stderr.decode("utf-8", "replace")
        if proc.returncode != 0 or not out_file.exists():
            raise LibreOfficeError(
                f"LibreOffice worker failed (exit status {proc.returncode}):\n"
                f"{err_text[-4000:]}{stdout.decode('utf-8', 'replace')[-1000:]}"
            )
        try:
            report = json.loads(out_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise LibreOfficeError(f"LibreOffice worker wrote bad JSON: {exc}") from exc
    report["stderr"] = err_text
    return report


def run_jobs(jobs: list[dict], *, timeout: float = 300, locale: str | None = None) -> list[dict]:
    """Run ``jobs`` in one soffice; return one result per job (see the worker's docstring)."""
    return run_report(jobs, timeout=timeout, locale=locale)["results"]


def ensure_ok(result: dict) -> dict:
    """Return ``result``, or raise :class:`LibreOfficeError` if the job failed."""
    if not result.get("ok"):
        raise LibreOfficeError(
            f"LibreOffice job {result.get('op')!r} failed: {result.get('error')}"
        )
    return result


def _one(job: dict, timeout: float) -> dict:
    return ensure_ok(run_jobs([job], timeout=timeout)[0])


# --------------------------------------------------------------------------------------------
# one-job helpers (each starts its own soffice)
# --------------------------------------------------------------------------------------------


def fill(src: PathLike, dst: PathLike, cells: list[dict], *, timeout: float = 300) -> dict:
    """Set cells through the API (writes into locked cells too) and save ``dst`` as xlsx."""
    return _one({"op": "fill", "src": src, "dst": dst, "cells": cells}, timeout)


def type_cells(
    src: PathLike, dst: PathLike | None, cells: list[dict], *, timeout: float = 300
) -> dict:
    """Type into cells like a person (locked cells refuse); save ``dst`` as xlsx if given."""
    job: dict[str, Any] = {"op": "type", "src": src, "cells": cells}
    if dst is not None:
        job["dst"] = dst
    return _one(job, timeout)


def resave(src: PathLike, dst: PathLike, *, timeout: float = 300) -> None:
    """Open ``src`` and save it unchanged as xlsx to ``dst``."""
    _one({"op": "resave", "src": src, "dst": dst}, timeout)


def to_pdf(src: PathLike, dst: PathLike, *, timeout: float = 300) -> None:
    """Export ``src`` to PDF."""
    _one({"op": "pdf", "src": src, "dst": dst}, timeout)


def read_cells(src: PathLike, cells: list[dict], *, timeout: float = 300) -> list[dict]:
    """Read cells as LibreOffice sees them (string, value, formula, kind, locked...)."""
    return _one({"op": "read", "src": src, "cells": cells}, timeout)["cells"]


def to_png(pdf: PathLike, out_prefix: PathLike, *, dpi: int = 80) -> list[Path]:
    """Render every page of ``pdf`` to ``{out_prefix}-N.png`` with pdftoppm; return the files."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise LibreOfficeError("pdftoppm (poppler-utils) is not installed")
    prefix = Path(out_prefix).absolute()
    prefix.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [pdftoppm, "-png", "-r", str(dpi), _absolute(pdf), str(prefix)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise LibreOfficeError(
            f"pdftoppm failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace')}"
        )

    def page(path: Path) -> int:
        suffix = path.stem[len(prefix.name) + 1 :]
        return int(suffix) if suffix.isdigit() else 0

    pages = [
        p
        for p in prefix.parent.glob(f"{glob.escape(prefix.name)}-*.png")
        if p.stem[len(prefix.name) + 1 :].isdigit()
    ]
    return sorted(pages, key=page)
