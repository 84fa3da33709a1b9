"""collect: the batch of returned workbooks, from an inbox folder to the office's outputs.

    collect(inbox, out_dir, manifest=…, db_url=…, jobs=…) -> CollectResult

Every file under the inbox gets one status (:data:`STATUS_LABELS`); the kept returns go into
submissions.jsonl/.json, the database, 汇总表.xlsx and report.html; each return with findings
gets a feedback copy (a fresh template with its values and the findings as comments).
See docs/collect.md.
"""

from ._collect import CollectResult, DuplicateError, collect
from ._feedback import feedback_workbook, submission_values
from ._model import DUPLICATE_STRATEGIES, FILE_STATUSES, KEPT, STATUS_LABELS

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
