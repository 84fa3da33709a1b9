"""The distribution manifest (manifest.json written by ``xltargets generate --roster``).

It says what was sent out: the spec and year, and one workbook per department with its template
id. collect uses it to tell returns of those templates from anything else (``unexpected``) and to
list the departments that have not returned (``missing``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import CollectError, SpecError, os_error_zh
from ..generate import MANIFEST_FORMAT
from ..spec import Spec, spec_from_definition
from ._model import by_fields

#: a manifest is a few KB per thousand departments; anything far larger is not one
MAX_MANIFEST_BYTES = 200 * 2**20


@by_fields
@dataclass(frozen=True, slots=True)
class Prefilled:
    """One value the template was sent with, locked: a return must hold it unchanged."""

    sheet: str
    field: str
    value: str


@by_fields
@dataclass(frozen=True, slots=True)
class SentWorkbook:
    file: str
    unit_code: str
    unit_name: str
    template_id: str
    projects: int
    prefilled: tuple[Prefilled, ...] = ()


@dataclass(frozen=True)
class Manifest:
    spec_id: str
    spec_version: str
    spec_hash: str
    year: int
    batch: str
    workbooks: tuple[SentWorkbook, ...]
    path: str
    #: the templates were protected with a password (the password itself is never stored)
    password: bool = False
    #: the spec the templates were generated from, as the manifest keeps it (None: a manifest
    #: written before manifests kept it); collect reads the round with it (``pinned_spec``)
    spec: Spec | None = None

    def template_ids(self) -> dict[str, str]:
        """Template id -> unit code."""
        return {w.template_id: w.unit_code for w in self.workbooks}

    def prefilled(self) -> dict[str, tuple[Prefilled, ...]]:
        """Template id -> the values it was sent with (only templates that have some)."""
        return {w.template_id: w.prefilled for w in self.workbooks if w.prefilled}

    def departments(self) -> dict[str, list[SentWorkbook]]:
        """Unit code -> the workbooks sent to it, in the manifest's order."""
        out: dict[str, list[SentWorkbook]] = {}
        for w in self.workbooks:
            out.setdefault(w.unit_code, []).append(w)
        return out


def _read(path: Path, hook: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
    """The manifest's JSON, bounded; every failure one Chinese line naming the file.
    ``hook``: json's ``object_hook``."""
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise CollectError(f"{path}: 下发清单文件过大，不是 manifest.json")
        data: Any = json.loads(path.read_text(encoding="utf-8-sig"), object_hook=hook)
    except FileNotFoundError:
        raise CollectError(f"{path}: 下发清单文件不存在") from None
    except IsADirectoryError:
        raise CollectError(f"{path}: 这是一个文件夹；请给出下发清单文件 manifest.json") from None
    except OSError as exc:
        raise CollectError(f"{path}: 无法读取下发清单（{os_error_zh(exc)}）") from None
    except UnicodeDecodeError:
        raise CollectError(f"{path}: 下发清单不是 UTF-8 编码的 JSON 文件") from None
    except json.JSONDecodeError as exc:
        raise CollectError(f"{path}: 下发清单第{exc.lineno}行第{exc.colno}列 JSON 格式错误") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise CollectError(f"{path}: 不是下发清单（format 应为 {MANIFEST_FORMAT}）")
    return data


def _workbook(w: Any) -> SentWorkbook:
    return SentWorkbook(str(w["file"]), str(w["unit_code"]), str(w.get("unit_name") or ""),
                        str(w["template_id"]), int(w.get("projects") or 0),
                        tuple(Prefilled(str(p["sheet"]), str(p["field"]), str(p["value"]))
                              for p in w.get("prefilled") or ()))


_WORKBOOK_KEYS = frozenset({"file", "unit_code", "template_id"})
_OTHER_KEYS = frozenset({"id", "format", "workbooks"})


def _compact(obj: dict[str, Any]) -> Any:
    """While the manifest is parsed: a workbook's object becomes its :class:`SentWorkbook` as
    soon as it is read, so that a province's 20,000 objects (with their ``rows`` and
    ``prefilled`` objects) never exist all at once: the parent's memory peaked there. Only an
    object with a workbook's keys and none of the spec's or the manifest's own is taken; one
    that does not convert stays as it is (and is refused as before, after the format check)."""
    if obj.keys() >= _WORKBOOK_KEYS and _OTHER_KEYS.isdisjoint(obj):
        try:
            return _workbook(obj)
        except (KeyError, TypeError, ValueError, AttributeError):
            return obj
    return obj


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    data = _read(path, _compact)
    try:
        spec = data["spec"]
        workbooks = tuple(w if isinstance(w, SentWorkbook) else _workbook(w)
                          for w in data["workbooks"])
        manifest = Manifest(str(spec["id"]), str(spec.get("version") or ""),
                            str(spec.get("hash") or ""), int(data["year"]),
                            str(data.get("batch") or ""), workbooks, str(path),
                            data.get("password") is True)
    except (KeyError, TypeError, ValueError) as exc:
        raise CollectError(f"{path}: 下发清单内容不完整（缺少或无效：{exc}）") from None
    if "definition" not in spec:
        return manifest
    try:
        sent_spec = spec_from_definition(spec["definition"], manifest.spec_hash, f"{path}: spec")
    except SpecError as exc:
        where = f"{exc.location}：" if exc.location else ""
        raise CollectError(f"{path}: 下发清单中的表样定义无效：{where}{exc.message}") from None
    if (sent_spec.id, sent_spec.version) != (manifest.spec_id, manifest.spec_version):
        raise CollectError(f"{path}: 下发清单中的表样定义（{sent_spec.id} 版本{sent_spec.version}）"
                           f"与清单所写的表样（{manifest.spec_id} 版本{manifest.spec_version}）不一致")
    return replace(manifest, spec=sent_spec)


@dataclass(frozen=True)
class SentRecord:
    """Everything the manifest says about one sent workbook, enough to draw it again (the web
    intake, when the file itself is gone). Read for one template, never kept for a whole round."""

    spec_id: str
    year: int
    workbook: SentWorkbook
    region_code: str
    #: block id -> rows it was drawn with (empty in manifests written before capacities existed)
    rows: dict[str, int]
    #: SHA-256 of the file sent out ('' if the manifest does not say)
    sha256: str


def sent_record(path: str | Path, template_id: str) -> SentRecord | None:
    """The manifest's record of the workbook with ``template_id``, or None if it lists none."""
    path = Path(path)
    data = _read(path)
    try:
        for w in data["workbooks"]:
            if w.get("template_id") == template_id:
                rows = w.get("rows") or {}
                if not isinstance(rows, dict):
                    raise TypeError("rows")
                return SentRecord(str(data["spec"]["id"]), int(data["year"]), _workbook(w),
                                  str(w.get("region_code") or ""),
                                  {str(k): int(v) for k, v in rows.items()}, str(w.get("sha256") or ""))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CollectError(f"{path}: 下发清单内容不完整（缺少或无效：{exc}）") from None
    return None


def check_password(sent: Manifest | None, password: str | None, feedback: bool,
                   without_password: bool) -> None:
    """Refuse to draw feedback copies without a password when the templates had one.

    A feedback copy is a template sent out again: without the password its sheets would be
    protected by none, and a department could change what the office locked."""
    if sent is None or not sent.password or not feedback or password or without_password:
        return
    raise CollectError(
        f"{sent.path}: 下发的模板设置了保护密码，生成修改意见副本需要同一密码。"
        "请用 --password 或环境变量 XLTARGETS_PASSWORD 提供；"
        "或加 --feedback-without-password 生成不设密码的副本，或加 --no-feedback 不生成副本")
