"""The layout plan: the one place that knows where every cell of a form is."""

from .model import Box, CheckCell, Input, Layout, Name, SheetLayout, Static, TableLayout, a1
from .plan import INSTRUCTIONS_SHEET, LISTS_SHEET, plan, sheet_name

__all__ = [
    "INSTRUCTIONS_SHEET", "LISTS_SHEET", "Box", "CheckCell", "Input", "Layout", "Name",
    "SheetLayout", "Static", "TableLayout", "a1", "plan", "sheet_name",
]
