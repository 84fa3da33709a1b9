"""One upload from a department, from the request body to a committed row (see _store's order).

The file type is sniffed by content with the reader's own :func:`~xltargets.read.sniff`: only a
zip (an .xlsx) or an OLE2 file (an old .xls or an encrypted workbook, which the reader explains)
goes to a reader process; anything else is answered at once with the reader's message for it.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..collect import KEPT
from ..collect._model import UNEXPECTED, UNREADABLE, reason
from ..collect._work import ReadOutcome
from ..errors import WorkbookError, XltargetsError
from ..generate import Department, build_template
from ..read import open_package, sniff
from ..read._safety import SNIFF_BYTES
from ..spec import load_spec
from ._config import ServeConfig
from ._reading import Readers
from ._store import FEEDBACK, Incoming, place, stored_name
from ._tables import now_iso, web_uploads
from ._upload import Received, receive

#: sniffed kinds the reader is asked about; every other kind is refused by its message at once
READABLE_KINDS = ("zip", "ole2")


class Intake:
    def __init__(self, config: ServeConfig, engine: Engine, incoming: Incoming,
                 readers: Readers) -> None:
        self.config, self.engine, self.incoming, self.readers = config, engine, incoming, readers

    async def accept(self, request: Request, dept: dict[str, Any]) -> dict[str, Any]:
        """Receive, read, record and store one upload; returns its row."""
        received = await receive(request, self.incoming, self.config.max_upload_bytes,
                                 self.config.upload_seconds)
        ready = await run_in_threadpool(self.incoming.ready, received.part, received.sha256)
        try:
            started = time.monotonic()
            row = await self._read(ready, received, dept)
            row["seconds"] = round(time.monotonic() - started, 3)
            await run_in_threadpool(self._commit, row, ready)
        finally:
            ready.unlink(missing_ok=True)  # placed (renamed away) or abandoned
        return row

    async def _read(self, path: Path, received: Received, dept: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": secrets.token_hex(16), "spec_id": dept["spec_id"], "year": dept["year"],
            "unit_code": dept["unit_code"], "received": now_iso(),
            "client_name": received.client_name, "sha256": received.sha256,
            "size": received.size, "file": stored_name(received.sha256), "status": UNREADABLE,
            "reason": "", "message": "", "errors": 0, "warnings": 0, "submission": None,
        }
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
        if sniff(head) not in READABLE_KINDS:
            # not a workbook at all: the reader's own words for what it is, nothing inflated
            error = await run_in_threadpool(_refusal, path)
            row.update(reason=error.code, message=error.message)
            return row
        done = await self.readers.read(str(path), received.client_name)
        if done.failure is not None:
            row.update(reason=done.failure.code, message=reason(
                done.failure.code, limit=f"{self.config.max_seconds:g}"))
            return row
        outcome: ReadOutcome = done.value
        row.update(status=outcome.status, reason=outcome.reason, message=outcome.message,
                   errors=outcome.errors, warnings=outcome.warnings)
        if outcome.json_text is not None:
            data = json.loads(outcome.json_text)
            data["source"]["file"] = received.client_name  # not the incoming folder's name
            row["submission"] = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if outcome.status in KEPT and outcome.unit_code != dept["unit_code"]:
            who = f"“{outcome.unit_name}”（{outcome.unit_code}）" if outcome.unit_code else "其他单位"
            row.update(status=UNEXPECTED, reason="other_department",
                       message=f"这是{who}的表格，不是本单位（{dept['unit_name']}）的；"
                               "请下载本单位的模板填报后上传")
        return row

    def _commit(self, row: dict[str, Any], ready: Path) -> None:
        with self.engine.begin() as conn:
            conn.execute(web_uploads.insert(), row)
        # committed: now the file under its content name (a crash before this line is
        # finished by the next start, see _store.recover)
        place(self.config.root, ready, row["sha256"])

    async def template(self, dept: dict[str, Any]) -> Path:
        """The workbook sent to the department: the manifest's file, or drawn again (same
        template id, so a return of it is recognised) when that file is not at hand."""
        sent = Path(dept["template_file"] or "")
        if sent.is_file():
            return sent
        target = self.config.root / "templates" / f"{dept['unit_code']}_{dept['template_id']}.xlsx"
        if not target.is_file():
            await run_in_threadpool(self._draw_template, dept, target)
        return target

    def _draw_template(self, dept: dict[str, Any], target: Path) -> None:
        """Draw the department's template again from its manifest record.

        Only the very workbook that was sent is served (the manifest's SHA-256; for a manifest
        without one, the same prefilled values): a return of it then passes collect's checks of
        template id, rows and prefilled values like a return of the original. Otherwise
        :class:`TemplateUnavailable` — a department must never get a form it cannot file."""
        import hashlib

        from .._atomic import write_bytes
        from ..collect._feedback import _sent_projects
        from ..collect._manifest import sent_record
        from ..layout import plan
        from ..layout.capacity import Capacity
        from ._setup import manifest_path

        found = manifest_path(self.config.root)
        record = sent_record(found, dept["template_id"]) if found.is_file() else None
        if record is None or (record.spec_id, record.year) != (dept["spec_id"], dept["year"]):
            raise TemplateUnavailable(dept["unit_code"])
        book = record.workbook
        spec = load_spec(record.spec_id)
        capacity = Capacity.of(spec, record.rows)
        layout = plan(spec, book.projects, capacity)
        department = Department(book.unit_code, book.unit_name, record.region_code,
                                projects=_sent_projects(spec, layout, book.projects, book.prefilled))
        built = build_template(spec, record.year, department=department,
                               password=self.config.password, template_id=book.template_id,
                               capacity=capacity)
        if record.sha256:
            same = hashlib.sha256(built.data).hexdigest() == record.sha256
        else:
            same = built.prefilled_fields() == [
                {"sheet": p.sheet, "field": p.field, "value": p.value} for p in book.prefilled]
        if not same:
            raise TemplateUnavailable(dept["unit_code"])
        write_bytes(target, built.data)

    async def feedback(self, upload: dict[str, Any]) -> Path | None:
        """The feedback copy of an upload, drawn by a reader process on first request."""
        target = self.config.root / FEEDBACK / f"{upload['id']}.xlsx"
        if target.is_file():
            return target
        done = await self.readers.feedback(upload["submission"], str(target),
                                           self.config.password)
        return target if done.failure is None and target.is_file() else None


class TemplateUnavailable(XltargetsError):
    """The sent template is gone and cannot be drawn again as it was sent."""

    code = "template_unavailable"

    def __init__(self, unit_code: str) -> None:
        super().__init__(f"单位 {unit_code} 的下发模板文件不在服务器上，且无法按下发清单重新生成；"
                         "请联系财政部门重新下发模板")


def _refusal(path: Path) -> WorkbookError:
    try:
        with open_package(path):
            pass
    except WorkbookError as error:
        return error
    except XltargetsError as error:  # pragma: no cover - open_package raises WorkbookError
        return WorkbookError("unreadable", str(error))
    return WorkbookError("unreadable", "无法识别的文件")


__all__ = ["Intake"]
