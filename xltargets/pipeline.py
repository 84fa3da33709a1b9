"""One returned workbook, from file to checked submission, top to bottom.

    read raw  →  values as seen  →  normalize  →  check  →  submission

1. :func:`~xltargets.read.read_raw`: the file is opened safely, its stamp names the spec, the
   layout plan says which cells to read, and those cells come back as stored (type, number
   format, protection), with the findings about the workbook's shape.
2. :func:`~xltargets.read.seen_values`: each stored cell becomes what the clerk saw, by its
   field's kind (a number in a text field as the spreadsheet showed it, with a warning).
3. :func:`~xltargets.form.normalize`: each value parsed by its kind (money, dates, codes …).
4. :func:`~xltargets.checks.run_checks`: the kinds' own checks and the spec's rules.
5. :func:`~xltargets.submission.build_submission`: the JSON-ready result.

Only step 1 touches the file; the others are pure.
"""

from __future__ import annotations

from pathlib import Path

from .checks import run_checks
from .findings import Finding, Severity
from .form import normalize
from .read._reader import ReadOptions, read_raw
from .read._seen import seen_values
from .submission import Submission, build_submission

MACROS = Finding(Severity.warning, "macros_present",
                 "文件含有宏（.xlsm），已只读取数据、未运行任何宏；请使用下发的 .xlsx 模板")


def read_workbook(path: str | Path, options: ReadOptions | None = None) -> Submission:
    """Read, normalize and check one returned workbook.

    Raises :class:`~xltargets.errors.WorkbookError` when the file cannot be read at all;
    everything wrong inside a readable workbook comes back as findings in the Submission."""
    raw = read_raw(path, options)
    values_seen, seen_findings = seen_values(raw)
    stamp = raw.stamp
    values = normalize(raw.spec, raw.layout, values_seen, year=raw.year,
                       region=stamp.region_code if stamp else "")
    findings = [*raw.findings, *seen_findings, *run_checks(values)]
    if raw.macros:
        findings.append(MACROS)
    return build_submission(values, findings, raw.source)
