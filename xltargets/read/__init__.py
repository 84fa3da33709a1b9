"""Reading returned workbooks: safe opening, the stamp, the planned cells as stored.

:func:`read_raw` gives the raw workbook; :func:`read_workbook` runs the whole pipeline
(:mod:`xltargets.pipeline`) to a checked Submission.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ._cells import RawCell
from ._reader import RawWorkbook, ReadOptions, read_raw
from ._safety import Limits, open_package, sniff
from ._seen import seen_values

if TYPE_CHECKING:
    from ..submission import Submission

__all__ = ["Limits", "RawCell", "RawWorkbook", "ReadOptions", "open_package", "read_raw",
           "read_workbook", "seen_values", "sniff"]


def read_workbook(path: str | Path, options: ReadOptions | None = None) -> Submission:
    """Read, normalize and check one returned workbook (see :mod:`xltargets.pipeline`)."""
    from ..pipeline import read_workbook as pipeline  # the pipeline imports this package

    return pipeline(path, options)
