"""Findings: what the reader and the checks say about a returned workbook, as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: longest message and longest text value a finding carries (longer ones are cut with "…")
MAX_MESSAGE = 500
MAX_VALUE = 200


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


#: the one table of the Chinese words for severities and statuses (CLI, 汇总表, report, feedback,
#: web pages): a severity or status code -> what a reviewer reads
SEVERITY_ZH: dict[str, str] = {Severity.error: "错误", Severity.warning: "警告", Severity.info: "提示"}
#: a return's status (the submission's own three, then the ones collect gives an input file),
#: in the order of every table and report
STATUS_LABELS: dict[str, str] = {
    "accepted": "通过",
    "accepted_with_warnings": "通过（有警告）",
    "rejected": "退回修改",
    "unreadable": "无法读取",
    "duplicate": "重复提交（未采用）",
    "unexpected": "非下发模板",
    "ignored": "已忽略",
    "missing": "未报送",
}


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth saying) about a return.

    ``code`` is stable English for scripts; ``message`` is the Chinese sentence a reviewer or a
    department reads. ``path`` is the field path in the submission JSON (``projects[0].budget_total``).
    """

    severity: Severity
    code: str
    message: str
    sheet: str | None = None
    cell: str | None = None
    path: str | None = None
    value: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every message and value has a length bound, whatever a cell held: a finding quotes, it
        # never carries a department's 30,000 characters into every report and database row.
        if len(self.message) > MAX_MESSAGE:
            object.__setattr__(self, "message", self.message[:MAX_MESSAGE - 1] + "…")
        if isinstance(self.value, str) and len(self.value) > MAX_VALUE:
            object.__setattr__(self, "value", self.value[:MAX_VALUE - 1] + "…")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "sheet": self.sheet,
            "cell": self.cell,
            "path": self.path,
            "value": _jsonable(self.value),
        }
        if self.extra:
            out["extra"] = {k: _jsonable(v) for k, v in self.extra.items()}
        return out


def _jsonable(value: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if hasattr(value, "to_json"):
        return value.to_json()
    return str(value)
