"""Drive a real LibreOffice (headless) from tests: fill, type into, re-save and print workbooks.

LibreOffice's Python bridge (``uno``) is importable only from the system interpreter that the
Debian package ``python3-uno`` belongs to (``/usr/bin/python3``), not from the project's Python.
So the work is split in two:

* :mod:`libreoffice.worker` is a stand-alone script (standard library plus ``uno``)
  run by the system Python. It starts one ``soffice`` with a throw-away profile, runs a list of
  jobs through UNO and writes the results as JSON.
* :mod:`libreoffice.client` is imported by the project's Python (standard library
  only). It writes the job list, runs the worker as a subprocess and returns the results.

This package is a test harness, not part of the product: it lives under ``tests/`` so it never
ships in the wheel. Tests import it as ``libreoffice`` (pytest puts ``tests/`` on ``sys.path``);
tools and benchmarks add ``tests/`` to ``sys.path`` first (see ``tools/render_docs.py``).
"""

from __future__ import annotations

from libreoffice.client import (
    LibreOfficeError,
    available,
    fill,
    read_cells,
    resave,
    run_jobs,
    to_pdf,
    to_png,
    type_cells,
)

__all__ = [
    "LibreOfficeError",
    "available",
    "fill",
    "read_cells",
    "resave",
    "run_jobs",
    "to_pdf",
    "to_png",
    "type_cells",
]
