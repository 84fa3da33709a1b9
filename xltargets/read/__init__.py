"""Reading returned workbooks: safe opening, the stamp, the planned cells as stored.

:func:`read_raw` gives the raw workbook; :func:`read_workbook` (from :mod:`xltargets.pipeline`)
runs the whole pipeline to a checked Submission.
"""

from ._cells import RawCell
from ._reader import RawWorkbook, ReadOptions, read_raw
from ._safety import Limits, open_package, sniff
from ._seen import seen_values

__all__ = ["Limits", "RawCell", "RawWorkbook", "ReadOptions", "open_package", "read_raw",
           "read_workbook", "seen_values", "sniff"]


def __getattr__(name: str) -> object:
    # the pipeline imports this package: resolved lazily to keep one direction
    if name == "read_workbook":
        from ..pipeline import read_workbook

        return read_workbook
    raise AttributeError(name)
