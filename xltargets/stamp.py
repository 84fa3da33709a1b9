"""The template stamp: which spec, version and template a workbook was generated from.

It is written twice, because no single place survives every program: as custom document
properties (docProps/custom.xml) and as cells on the hidden lists sheet. LibreOffice turns a
very-hidden sheet into a hidden one and drops workbook structure protection on save
(EXCEL-FACTS.md), so the stamp depends on neither.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields

PROPERTY_PREFIX = "xltargets."
#: the label in the lists sheet's stamp column, above the key/value pairs
STAMP_HEADER = "xltargets-stamp"
#: longest text kept from a stamp field (ids, hashes, names): a stamp is read from the returned file
MAX_STAMP_TEXT = 200


@dataclass(frozen=True)
class Stamp:
    spec_id: str
    spec_version: str
    spec_hash: str
    template_id: str
    year: int
    project_count: int
    unit_code: str = ""
    unit_name: str = ""
    region_code: str = ""
    tool_version: str = ""
    #: rows that differ from the spec (:class:`xltargets.layout.capacity.Capacity` text,
    #: ``indicators=20``); empty for the spec's own rows, and then not written at all, so a
    #: template without overrides is the same file as before capacity existed
    capacity: str = ""

    def items(self) -> list[tuple[str, str]]:
        return [(k, str(v)) for k, v in asdict(self).items() if k != "capacity" or v]

    def properties(self) -> dict[str, str]:
        return {PROPERTY_PREFIX + k: v for k, v in self.items()}

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if k != "capacity" or v}

    @classmethod
    def from_mapping(cls, data: dict[str, str]) -> Stamp | None:
        """Rebuild from key/value text (properties with the prefix removed, or sheet cells)."""
        known = {f.name: f for f in fields(cls)}
        if not {"spec_id", "spec_version", "template_id"} <= data.keys():
            return None
        kwargs: dict[str, object] = {}
        for key, value in data.items():
            if key not in known:
                continue
            if key in ("year", "project_count"):
                number = _small_int(value)
                if number is None:
                    return None
                kwargs[key] = number
            else:
                kwargs[key] = "" if value is None else str(value)[:MAX_STAMP_TEXT]
        kwargs.setdefault("spec_hash", "")
        kwargs.setdefault("year", 0)
        kwargs.setdefault("project_count", 0)
        return cls(**kwargs)  # type: ignore[arg-type]


def _small_int(value: object) -> int | None:
    """A year or a count written as text (``2025``, ``2025.0``); None for anything else, including
    ``1e999999999`` and 4,000-digit numbers (nothing here may raise or compute with them)."""
    text = str(value).strip()
    if len(text) > 12:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if not (0 <= number < 10**9) or not number.is_integer():
        return None
    return int(number)


def template_id(spec_hash: str, year: int, unit_code: str, payload: object, batch: str = "") -> str:
    """Deterministic id: the same inputs give the same id (and byte-identical files)."""
    text = json.dumps([spec_hash, year, unit_code, payload, batch], ensure_ascii=False,
                      sort_keys=True, default=str)
    return "T" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:15].upper()
