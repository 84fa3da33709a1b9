"""The statuses of a batch and the one small record kept per input file.

Submissions themselves are never kept in memory: a worker's JSON goes straight to a spool file
and an :class:`Entry` remembers where (offset, length). Everything after reading streams from
the spool in input order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from ..findings import STATUS_LABELS
from ..spec import load_spec
from ..spec.model import Spec
from ..submission import json_decimal
from ..values import NOT_APPLICABLE, REDACTED

T = TypeVar("T")

ACCEPTED = "accepted"
ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
REJECTED = "rejected"
UNREADABLE = "unreadable"
DUPLICATE = "duplicate"
UNEXPECTED = "unexpected"
IGNORED = "ignored"
MISSING = "missing"

# STATUS_LABELS (code -> the Chinese label reviewers read) is the one table in xltargets.findings
#: statuses of a return that is part of the consolidated data
KEPT = (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED)
#: statuses of an input file (every file has exactly one)
FILE_STATUSES = (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, UNREADABLE, DUPLICATE, UNEXPECTED,
                 IGNORED)
DUPLICATE_STRATEGIES = ("newest", "oldest", "fail")

#: reasons that are not the reader's own WorkbookError codes, with their Chinese sentences
REASONS: dict[str, str] = {
    "hidden_file": "隐藏文件（文件名以“.”开头），不是报送文件",
    "office_lock_file": "Office 打开文件时生成的临时锁文件（~$ 开头），不是报送文件",
    "system_file": "操作系统生成的文件（Thumbs.db、desktop.ini 等），不是报送文件",
    "manifest_file": "这是下发清单 manifest.json，不是报送文件",
    "timeout": "文件读取超时（超过{limit}秒），已拒绝读取",
    "crashed": "读取该文件时读取进程异常退出，已跳过；请重新保存后提交",
    "internal_error": "读取该文件时程序出错，已跳过；请联系管理员",
    "not_in_manifest": "模板编号{template_id}不在下发清单中，不是本次下发的模板",
    "no_stamp": "文件缺少模板标记，无法确认是本次下发的模板",
    "other_spec": "表样为“{spec_id}”，本次下发的是“{expected}”",
    "other_year": "预算年度为{year}，本次下发的是{expected}年",
    "duplicate": "同一单位重复提交，已采用{kept}",
    # paths of the inbox that cannot be read as files (docs/collect.md, "Every path counts")
    "folder_unreadable": "无法打开这个文件夹（{why}），其中的文件未能读取，请检查权限后重新汇总",
    "file_unreadable": "无法打开这个文件（{why}），请检查权限后重新汇总",
    "link_outside": "这是指向收件目录以外的快捷方式（符号链接），出于安全未读取；请把文件本身放入收件目录",
    "broken_link": "这是一个快捷方式（符号链接），它指向的文件不存在",
    "link_to_folder": "这是指向文件夹的快捷方式（符号链接），未进入读取；请把文件夹本身放入收件目录",
    "not_a_file": "这不是普通文件（设备、管道或套接字），未读取",
    "path_too_long": "文件路径过长，系统无法打开；请缩短文件夹或文件名",
    "output_too_large": "读取结果过大（超过{limit}），与文件大小不成比例，已拒绝",
}


#: the text written back for a marker (feedback copies, the 汇总表), as the department wrote it
MARKER_TEXT = {REDACTED: "涉密", NOT_APPLICABLE: "……"}


def value_text(value: Any) -> str:
    """A finding's value as the text a reviewer reads."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return str(value.get("text") or json.dumps(value, ensure_ascii=False))
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def reason(code: str, **fields: Any) -> str:
    text = REASONS[code]
    return text.format(**fields) if fields else text


def _reduce(self: Any) -> tuple[Any, tuple[Any, ...]]:
    return type(self), tuple([getattr(self, name) for name in self.__slots__])


def by_fields(cls: type[T]) -> type[T]:
    """Pickle a frozen slotted dataclass as its constructor and field values.

    A frozen dataclass with slots is unpickled by ``dataclasses``' own ``__setstate__``, which
    looks its fields up again for every object: a fifth of the parent's time in a batch went
    into unpickling the small records each return sends (about ten per return). The
    constructor is the same object, made in a third of the time. Every field must be an
    ``__init__`` argument (it is, for the classes decorated here)."""
    cls.__reduce__ = _reduce  # type: ignore[assignment,method-assign]
    return cls


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator row of a submission sheet, by role (whatever the spec calls its columns)."""

    row: int
    level1: str | None
    level2: str | None
    level3: str | None
    #: the parsed indicator value object of the JSON (``text``, ``kind``, ``number`` …), or {}
    value: Mapping[str, Any]
    #: what the department typed when the value could not be read
    invalid_text: str | None
    #: the value cell's marker (``redacted`` / ``not_applicable``), or None
    marker: str | None
    #: the table's other columns (by column id), markers and invalid texts
    extra: dict[str, Any]


class FormRoles:
    """The spec's roles applied to a submission's JSON: collect's only way to find a unit, a
    project or an indicator (it knows no field id; see ``roles`` in docs/specs.md)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        roles = spec.roles
        self.roles = roles
        project = spec.project_sheet()
        self._project_fields = {f.id for f in project.fields} if project is not None else set()
        #: the indicator table id (None: the spec has no indicator table)
        self.indicator_table = roles.indicators.table if roles.indicators else None

    @staticmethod
    def of(spec_id: str) -> FormRoles:
        """The roles of a spec by id (load_spec caches the spec per file content)."""
        return _roles(load_spec(spec_id))

    def _unit_field(self, data: Mapping[str, Any], field_id: str | None) -> str:
        if field_id is None:
            return ""
        if field_id in self._project_fields:
            # a form with no unit sheet names the unit on each project (e.g. 实施单位)
            values = [p.get(field_id) for p in data.get("projects") or []]
        else:
            values = [(data.get("department") or {}).get(field_id)]
        return next((str(v) for v in values if v not in (None, "")), "")

    def unit_code(self, data: Mapping[str, Any]) -> str:
        return self._unit_field(data, self.roles.unit_code)

    def unit_name(self, data: Mapping[str, Any]) -> str:
        return self._unit_field(data, self.roles.unit_name)

    def project_code(self, project: Mapping[str, Any]) -> str | None:
        return _text_or_none(project.get(self.roles.project_code)) if self.roles.project_code else None

    def project_name(self, project: Mapping[str, Any]) -> str | None:
        return _text_or_none(project.get(self.roles.project_name)) if self.roles.project_name else None

    def amount(self, project: Mapping[str, Any]) -> Decimal | None:
        """The project's main amount (the first of ``roles.amounts``), exact."""
        if not self.roles.amounts:
            return None
        return json_decimal(project.get(self.roles.amounts[0]))

    def role_columns(self) -> set[str]:
        """The indicator table's columns that have a role (the rest are 'extra' columns)."""
        ind = self.roles.indicators
        if ind is None:
            return set()
        return {c for c in (ind.level1, ind.level2, ind.level3, ind.value) if c is not None}

    def indicators(self, sheet_obj: Mapping[str, Any]) -> list[IndicatorRow]:
        """The indicator rows of one sheet of the submission JSON."""
        ind = self.roles.indicators
        if ind is None:
            return []
        role_cols = self.role_columns()
        out = []
        for row in sheet_obj.get(ind.table) or []:
            if not isinstance(row, Mapping) or "row" not in row:
                continue
            raw_value = row.get(ind.value)
            markers = row.get("markers") or {}
            invalid = row.get("invalid") or {}
            extra = {k: v for k, v in row.items()
                     if k not in role_cols and k not in ("row", "markers", "invalid")}
            if markers:
                extra["markers"] = markers
            if invalid:
                extra["invalid"] = invalid
            out.append(IndicatorRow(
                row=int(row["row"]),
                level1=_text_or_none(row.get(ind.level1)),
                level2=_text_or_none(row.get(ind.level2)),
                level3=_text_or_none(row.get(ind.level3)) if ind.level3 else None,
                value=raw_value if isinstance(raw_value, Mapping) else {},
                invalid_text=_text_or_none(invalid.get(ind.value)),
                marker=markers.get(ind.value),
                extra=extra,
            ))
        return out

    def indicator_count(self, data: Mapping[str, Any]) -> int:
        if self.indicator_table is None:
            return 0
        sheets = [data.get("department") or {}, *(data.get("projects") or [])]
        return sum(len(s.get(self.indicator_table) or []) for s in sheets)


_by_spec: dict[int, FormRoles] = {}


def _roles(spec: Spec) -> FormRoles:
    # specs are frozen but unhashable (lists): one FormRoles per spec object
    hit = _by_spec.get(id(spec))
    if hit is not None and hit.spec is spec:
        return hit
    if len(_by_spec) > 64:
        _by_spec.clear()
    roles = _by_spec[id(spec)] = FormRoles(spec)
    return roles


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def finding_counts(data: dict[str, Any]) -> dict[str, list[int]]:
    """Errors and warnings per sheet name of one submission's JSON."""
    per_sheet: dict[str, list[int]] = {}
    for f in data.get("findings") or []:
        counts = per_sheet.setdefault(f.get("sheet") or "", [0, 0])
        if f.get("severity") == "error":
            counts[0] += 1
        elif f.get("severity") == "warning":
            counts[1] += 1
    return per_sheet


@by_fields
@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """A worker's answer for one file; ``json_text`` is the submission (None when unreadable)."""

    index: int
    status: str
    reason: str = ""
    message: str = ""
    unit_code: str = ""
    unit_name: str = ""
    template_id: str = ""
    spec_id: str = ""
    year: int = 0
    errors: int = 0
    warnings: int = 0
    sha256: str = ""
    size: int | None = None
    mtime: float | None = None
    saved: float | None = None
    key: str = ""
    projects: int = 0
    indicators: int = 0
    findings: int = 0
    json_text: str | None = None
    #: technical detail of a failure (a crashed worker's first stderr lines), English
    detail: str = ""
    #: the return's rows for every output, made by the worker (:mod:`._prepared`), pickled
    prepared: bytes | None = None



@by_fields
@dataclass(frozen=True, slots=True)
class ReturnInfo:
    """What the rows of a kept return hold besides its JSON (file, status, who sent it), as the
    parent records it: made the same way in the worker that read the return (its texts bounded
    alike), so the rows it prepares are the parent's."""

    rel: str
    status: str
    unit_code: str
    unit_name: str
    template_id: str
    errors: int
    warnings: int
    year: int

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @staticmethod
    def of(entry: Entry) -> ReturnInfo:
        return ReturnInfo(entry.rel, entry.status, entry.unit_code, entry.unit_name,
                          entry.template_id, entry.errors, entry.warnings, entry.year)


def _read(name: str, default: Any) -> property:
    """An Entry's read fact: the worker's outcome's, or ``default`` when the file was not read."""

    def get(self: Entry) -> Any:
        return default if self.outcome is None else getattr(self.outcome, name)

    get.__name__ = name
    return property(get)


@dataclass(slots=True)
class Entry:
    """One input file: where it is, what became of it, where its submission JSON is spooled.

    What the reader found (unit, template, counts, hashes and times) is the worker's
    :class:`ReadOutcome`, held as it came (without its JSON text, which is spooled); the status,
    reason and message start as the reader's and change when collect decides otherwise (ignored,
    duplicate, unexpected)."""

    index: int
    rel: str
    status: str = ""
    reason: str = ""
    message: str = ""
    outcome: ReadOutcome | None = None
    kept_instead_of: str = ""
    spool_offset: int = -1
    spool_length: int = 0
    #: where its prepared rows are spooled (:mod:`._prepared`; -1: none)
    prep_offset: int = -1
    prep_length: int = 0
    feedback: str = ""
    #: technical detail of a failure (a crashed worker's first stderr lines), English
    detail: str = ""
    #: where the file is (as the scan found it), and whether that is a symbolic link
    path: str = ""
    link: bool = False

    unit_code = _read("unit_code", "")
    unit_name = _read("unit_name", "")
    template_id = _read("template_id", "")
    spec_id = _read("spec_id", "")
    year = _read("year", 0)
    errors = _read("errors", 0)
    warnings = _read("warnings", 0)
    sha256 = _read("sha256", "")
    size = _read("size", None)
    mtime = _read("mtime", None)
    #: the workbook's own last-save time (docProps/core.xml), when it has one
    saved = _read("saved", None)
    #: who returned it, for duplicates: unit code, else the department name
    key = _read("key", "")
    projects = _read("projects", 0)
    indicators = _read("indicators", 0)
    findings = _read("findings", 0)

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def kept(self) -> bool:
        return self.status in KEPT

    def modified(self) -> str:
        """The file's modification time, local, to the second (as the file manager shows it)."""
        if self.mtime is None:
            return ""
        return dt.datetime.fromtimestamp(self.mtime).isoformat(sep=" ", timespec="seconds")

    def result_row(self) -> dict[str, Any]:
        """The row of results.csv / results.json."""
        return {
            "file": self.rel,
            "status": self.status,
            "label": self.label,
            "reason": self.reason,
            "message": self.message,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "template_id": self.template_id,
            "errors": self.errors,
            "warnings": self.warnings,
            "kept_instead_of": self.kept_instead_of,
            "feedback": self.feedback,
            "sha256": self.sha256,
            "size": self.size,
            "modified": self.modified(),
            "detail": self.detail,
        }


RESULT_COLUMNS = ["file", "status", "label", "reason", "message", "unit_code", "unit_name",
                  "template_id", "errors", "warnings", "kept_instead_of", "feedback", "sha256",
                  "size", "modified", "detail"]
RESULT_HEADERS_ZH = ["文件", "状态代码", "状态", "原因代码", "说明", "单位编码", "单位名称",
                     "模板编号", "错误数", "警告数", "已采用的文件", "修改意见副本", "SHA-256",
                     "字节数", "修改时间", "技术细节"]
