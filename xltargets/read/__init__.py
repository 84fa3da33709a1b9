"""Reading returned workbooks: safe opening, the stamp, raw values through the layout."""

from ._reader import ReadOptions, read_workbook
from ._safety import Limits, open_package, sniff

__all__ = ["Limits", "ReadOptions", "open_package", "read_workbook", "sniff"]
