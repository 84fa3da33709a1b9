"""What the pages and the API show: statuses in words, findings as rows, times in Beijing time."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from typing import Any

from ..collect import STATUS_LABELS
from ..collect._model import ACCEPTED, ACCEPTED_WITH_WARNINGS, MISSING, REJECTED
from ..errors import XltargetsError
from ..findings import SEVERITY_ZH
from ..spec import load_spec

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: the office's three words for a department, by the status of its current return
OFFICE_STATES = {ACCEPTED: "returned", ACCEPTED_WITH_WARNINGS: "returned", REJECTED: "with_errors",
                 MISSING: "missing"}
OFFICE_STATE_LABELS = {"returned": "已报送", "with_errors": "有错误待修改", "missing": "未报送"}


def local_time(iso: str | None) -> str:
    if not iso:
        return ""
    when = dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    return when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@lru_cache(maxsize=32)
def _labels(spec_id: str) -> dict[str, str]:
    try:
        spec = load_spec(spec_id)
    except XltargetsError:
        return {}
    labels: dict[str, str] = {}
    for sheet in spec.sheets:
        for f in sheet.fields:
            labels.setdefault(f.id, f.label)
        for table in sheet.tables:
            labels.setdefault(table.id, table.label)
            for col in table.columns:
                labels.setdefault(col.id, col.label)
    return labels


def field_label(spec_id: str, path: str | None) -> str:
    """The Chinese label of the field a finding's JSON path points at (its last name)."""
    names = [n for n in _IDENT.findall(path or "") if n not in ("projects", "department")]
    if not names:
        return ""
    labels = _labels(spec_id)
    return labels.get(names[-1]) or labels.get(names[0]) or names[-1]


def findings_of(upload: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not upload or not upload.get("submission"):
        return []
    data = json.loads(upload["submission"])
    return list(data.get("findings") or [])


def finding_rows(upload: dict[str, Any] | None) -> list[dict[str, str]]:
    rows = []
    for f in findings_of(upload):
        severity = str(f.get("severity") or "")
        rows.append({
            "sheet": str(f.get("sheet") or ""), "cell": str(f.get("cell") or ""),
            "field": field_label(str(upload["spec_id"]) if upload else "", f.get("path")),
            "message": str(f.get("message") or ""), "severity": severity,
            "severity_zh": SEVERITY_ZH.get(severity, severity),  # type: ignore[call-overload]
        })
    return rows


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def department_words(current: dict[str, Any] | None, latest: dict[str, Any] | None) -> str:
    """The department's status as one Chinese sentence."""
    if current is None:
        if latest is not None:
            return f"尚未报送：最近一次上传的文件无法使用（{latest.get('message') or status_label(latest['status'])}），请修改后重新上传。"
        return "尚未报送：请下载本单位的模板，填好后在下方上传。"
    status = current["status"]
    if status == ACCEPTED:
        text = "已报送，检查通过，无需再做修改。"
    elif status == ACCEPTED_WITH_WARNINGS:
        text = f"已报送，检查通过，但有 {current['warnings']} 条警告，请核对；如需修改，可重新上传。"
    else:
        text = f"已报送，但有 {current['errors']} 处错误，请按下表修改后重新上传。"
    if latest is not None and latest["id"] != current["id"]:
        text += f"（最近一次上传的文件无法使用：{latest.get('message') or status_label(latest['status'])}；当前仍以之前的报送为准。）"
    return text


def upload_json(upload: dict[str, Any], unit_name: str) -> dict[str, Any]:
    """One upload as the API answers it: status, counts and the submission's findings."""
    return {
        "id": upload["id"], "unit_code": upload["unit_code"], "unit_name": unit_name,
        "received": upload["received"], "file": upload["client_name"],
        "sha256": upload["sha256"], "size": upload["size"], "status": upload["status"],
        "label": status_label(upload["status"]), "reason": upload.get("reason") or "",
        "message": upload.get("message") or "", "errors": upload["errors"],
        "warnings": upload["warnings"], "findings": findings_of(upload),
    }
