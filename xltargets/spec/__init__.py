"""Specs: the typed model of a form style and its YAML loader."""

from .load import (
    builtin_ids,
    json_schema,
    load_spec,
    parse_spec,
    pinned_spec,
    spec_definition,
    spec_from_definition,
    spec_hash,
)
from .model import CellSpec, ColumnSpec, FieldSpec, Kind, RowSpec, SheetSpec, Spec, TableSpec

__all__ = [
    "CellSpec", "ColumnSpec", "FieldSpec", "Kind", "RowSpec", "SheetSpec", "Spec", "TableSpec",
    "builtin_ids", "json_schema", "load_spec", "parse_spec", "pinned_spec", "spec_definition",
    "spec_from_definition", "spec_hash",
]
