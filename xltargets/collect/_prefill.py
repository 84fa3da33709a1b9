"""Prefilled values defended: a return must hold what the office sent, unchanged.

``generate --roster`` locks what it prefilled (unit code and name, project codes, names and
budgets) and records each value in the manifest. Sheet protection is not security: anyone can
remove it, Excel's "unprotect" tools are a search away. So collect compares every prefilled
value of a return with the manifest and reports a change as an error (``prefill_changed``)
naming the sheet, the cell and both values; the feedback copy writes the original value back,
locked again (:mod:`._feedback`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..layout import plan
from ..spec.model import Kind, Spec

if TYPE_CHECKING:  # the manifest module imports the generator: not in a reading worker
    from ._manifest import Prefilled

CODE = "prefill_changed"


def _same(kind: Kind, returned: Any, sent: str) -> bool:
    if returned is None:
        return sent == ""
    if kind == Kind.money:
        try:
            return Decimal(str(returned)) == Decimal(sent)
        except InvalidOperation:
            return False
    return str(returned) == sent


def _shown(obj: Mapping[str, Any], field: str) -> str:
    value = obj.get(field)
    if value is None:
        invalid = (obj.get("invalid") or {}).get(field)
        if invalid is not None:
            return str(invalid)
        marker = (obj.get("markers") or {}).get(field)
        return str(marker) if marker else ""
    return str(value)


def prefill_findings(spec: Spec, data: Mapping[str, Any],
                     prefilled: Iterable[Prefilled]) -> list[dict[str, Any]]:
    """One error finding (as in the submission JSON) per prefilled value that was changed."""
    items = list(prefilled)
    if not items:
        return []
    projects = list(data.get("projects") or [])
    layout = plan(spec, len(projects))
    objects: dict[str, tuple[str, Mapping[str, Any]]] = {}
    department = data.get("department") or {}
    for sheet in layout.sheets:
        if sheet.index is None:
            objects[sheet.name] = ("department", department)
        elif sheet.index <= len(projects):
            objects[sheet.name] = (f"projects[{sheet.index - 1}]", projects[sheet.index - 1])
    inputs = {(s.name, inp.field): inp for s in layout.sheets for inp in s.scalar_inputs()}
    out: list[dict[str, Any]] = []
    for item in items:
        where = objects.get(item.sheet)
        inp = inputs.get((item.sheet, item.field))
        if where is None or inp is None:
            continue  # a sheet the return lacks: the reader reports the form's shape
        base, obj = where
        if _same(inp.kind, obj.get(item.field), item.value):
            continue
        shown = _shown(obj, item.field)
        out.append({
            "severity": "error", "code": CODE,
            "message": (f"“{inp.label}”是下发时预填并锁定的内容，不能修改：原为“{item.value}”，"
                        f"报送的为“{shown or '空'}”（修改意见副本已恢复原值；确需修改请联系财政部门）"),
            "sheet": item.sheet, "cell": inp.box.ref, "path": f"{base}.{item.field}",
            "value": shown or None, "extra": {"prefilled": item.value, "returned": shown},
        })
    return out


def defend_prefilled(spec: Spec, data: dict[str, Any], prefilled: Iterable[Prefilled]) -> int:
    """Add the ``prefill_changed`` findings to a submission's JSON; returns how many."""
    found = prefill_findings(spec, data, prefilled)
    if found:
        data.setdefault("findings", []).extend(found)
        data["status"] = "rejected"
    return len(found)
