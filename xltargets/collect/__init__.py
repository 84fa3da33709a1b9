"""collect: the batch of returned workbooks, from an inbox folder to the office's outputs.

    collect(inbox, out_dir, manifest=…, db_url=…, jobs=…) -> CollectResult

Every file under the inbox gets one status (:data:`STATUS_LABELS`); the kept returns go into
submissions.jsonl/.json, the database, 汇总表.xlsx and report.html; each return with findings
gets a feedback copy (a fresh template with its values and the findings as comments).
See docs/collect.md.

The names below are loaded on first use: importing a light submodule (the pool, to start its
workers' server early; the worker's own module) does not import SQLAlchemy, Jinja2 or the
generator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._collect import CollectResult, DuplicateError, collect
    from ._feedback import feedback_workbook, submission_values
    from ._model import DUPLICATE_STRATEGIES, FILE_STATUSES, KEPT, STATUS_LABELS

_WHERE = {
    "CollectResult": "._collect", "DuplicateError": "._collect", "collect": "._collect",
    "feedback_workbook": "._feedback", "submission_values": "._feedback",
    "DUPLICATE_STRATEGIES": "._model", "FILE_STATUSES": "._model", "KEPT": "._model",
    "STATUS_LABELS": "._model",
}

__all__ = [
    "DUPLICATE_STRATEGIES",
    "FILE_STATUSES",
    "KEPT",
    "STATUS_LABELS",
    "CollectResult",
    "DuplicateError",
    "collect",
    "feedback_workbook",
    "submission_values",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value
