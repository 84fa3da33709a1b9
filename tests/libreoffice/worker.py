"""Run a list of spreadsheet jobs in one headless LibreOffice, through UNO.

This file is a stand-alone script for the *system* Python that owns the ``uno`` module
(Debian: ``/usr/bin/python3`` with ``python3-uno``). It imports only the standard library and
``uno``; it must never import xltargets. Usage::

    /usr/bin/python3 worker.py JOBS.json [--out RESULTS.json] [--tmpdir DIR]
    /usr/bin/python3 worker.py - < JOBS.json          # results on stdout

JOBS.json is a JSON list of jobs. Every job gets a fresh document load and the document is
closed after the job. One ``soffice`` process (own throw-away profile, own pipe name) serves the
whole list; it is restarted if it dies or a job exceeds ``--job-timeout``.

Jobs (paths are plain file-system paths; spaces and non-ASCII characters are fine)::

    {"op": "fill",   "src": "a.xlsx", "dst": "b.xlsx", "cells": [CELL, ...]}
    {"op": "type",   "src": "a.xlsx", "dst": "b.xlsx", "cells": [CELL, ...]}   # dst optional
    {"op": "resave", "src": "a.xlsx", "dst": "b.xlsx", "recalc": false}
    {"op": "pdf",    "src": "a.xlsx", "dst": "b.pdf"}
    {"op": "read",   "src": "a.xlsx", "cells": [CELL, ...]}

A CELL names its target by ``"address"`` (A1 on ``"sheet"``) or by ``"name"`` (a defined name;
looked up first among the names scoped to ``"sheet"``, then among the workbook names; a name
that covers a range means its top-left cell unless ``"index": k`` picks the k-th cell,
row-major). ``fill`` sets ``"value"`` through the API according to ``"type"``:

* ``"number"``: the value (a decimal string or a JSON number) via ``setValue``;
* ``"string"`` (default): ``setString``;
* ``"formula"``: an Excel-syntax formula (commas between arguments, ``'Sheet'!A1``
  references), parsed with LibreOffice's OOXML grammar and set as tokens.

Formulas are not recalculated unless the job says ``"recalc": true`` (``fill``, ``type`` and
``resave``): like a person's LibreOffice, which trusts the cached results of a file that claims
to come from Excel (XlsxWriter's do, with cached value 0) and recalculates only the formulas
that depend on an edited cell.

The API path writes into locked cells of protected sheets and never applies data validation.
``type`` instead selects the cell in the view and dispatches ``.uno:EnterString`` with
``"value"`` as the text a person would type (``"type"`` is ignored; ``"=..."`` types a formula
with the en-US separator ``,``). That path refuses locked cells of protected sheets like the user
interface does, but it does not apply data validation either (observed with LibreOffice 7.4:
text typed into a cell that only allows decimals lands).

Output: ``{"results": [RESULT, ...], "startup_seconds": s, "total_seconds": s,
"restarts": n}`` where each RESULT is ``{"op", "ok": bool, "error": str|None, "seconds": s}``
plus, for ``fill``/``type``/``read``, ``"cells"``: one entry per CELL with the resolved
``"sheet"`` and ``"address"`` and the cell as LibreOffice sees it afterwards
(``"kind"``: EMPTY/VALUE/TEXT/FORMULA, ``"string"``, ``"value"``, ``"formula"`` in
LibreOffice syntax, ``"formula_excel"``, ``"locked"``, ``"sheet_protected"``); ``type`` adds
``"before"`` (the formula text before typing) and ``"landed"`` (True if the cell changed,
False if not, None if it already held the typed text so the test cannot tell). With
``"validate": true`` a ``type`` job also asks LibreOffice's validation engine about every typed
cell (the detective's "Mark Invalid Data") and adds ``"valid"`` and ``"validation"`` (type,
alert style STOP/WARNING/INFO, formula) to each: what the clerk's alert would have said.
``--locale zh-CN`` makes soffice read typed input as a Chinese clerk's LibreOffice does.

Exit status: 0 when the worker ran (individual jobs may still have failed: see ``ok``),
2 for bad usage or an unreadable job list, 3 when LibreOffice could not be started.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]  # only in the system Python (python3-uno)
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

XLSX_FILTER = "Calc MS Excel 2007 XML"
PDF_FILTER = "calc_pdf_Export"
CELL_KINDS = {"EMPTY", "VALUE", "TEXT", "FORMULA"}


def log(message: str) -> None:
    print(f"xlt-lo-worker: {message}", file=sys.stderr, flush=True)


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def file_url(path: str) -> str:
    return uno.systemPathToFileUrl(os.path.abspath(path))


def predicted_sockets(profile_url: str, pipe_name: str) -> list[str]:
    """The named pipes soffice will create in /tmp for this profile and --accept pipe.

    The single-instance pipe is named after the MD5 of the profile URL in UTF-16, each byte in
    unpadded hex (LibreOffice's desktop/source/app/officeipcthread.cxx).
    """
    digest = hashlib.md5(profile_url.encode("utf-16-le"), usedforsecurity=False).digest()
    ipc = "SingleOfficeIPC_" + "".join(format(b, "x") for b in digest)
    return [f"/tmp/OSL_PIPE_{os.getuid()}_{name}" for name in (ipc, pipe_name)]


class JobError(Exception):
    """A job cannot be done as asked (bad cell reference, unknown name, load failure)."""


# --------------------------------------------------------------------------------------------
# soffice process
# --------------------------------------------------------------------------------------------


class Office:
    """One headless soffice with a private profile and pipe, and the UNO objects we need."""

    def __init__(self, soffice: str, connect_timeout: float, tmpdir: str | None,
                 locale: str | None = None) -> None:
        self.soffice = soffice
        self.locale = locale
        self.connect_timeout = connect_timeout
        self.tmpdir = tmpdir
        self.sockets: list[str] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self.profile_dir: str | None = None
        self.log_path: str | None = None
        # UNO proxies: untyped
        self.ctx: Any = None
        self.smgr: Any = None
        self.desktop: Any = None
        self.dispatcher: Any = None

    # ---- start / stop -----------------------------------------------------------------------

    def start(self) -> float:
        """Start soffice and connect; return the seconds it took."""
        t0 = time.monotonic()
        self.profile_dir = tempfile.mkdtemp(prefix="xlt-lo-profile-", dir=self.tmpdir)
        pipe_name = f"xlt_lo_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        self.log_path = os.path.join(self.profile_dir, "soffice.log")
        # The profile directory name is ASCII (mkdtemp), so a plain file URL is safe.
        profile_url = uno.systemPathToFileUrl(os.path.join(self.profile_dir, "user"))
        self.note_sockets(predicted_sockets(profile_url, pipe_name))
        cmd = [
            self.soffice,
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            "--nolockcheck",
            f"-env:UserInstallation={profile_url}",
            f"--accept=pipe,name={pipe_name};urp;StarOffice.ComponentContext",
        ]
        env = dict(os.environ)
        # A fixed locale makes typed input ("12.5", "=SUM(A1,B1)") parse the same everywhere.
        env["LC_ALL"] = "C.UTF-8"
        env["LANG"] = "C.UTF-8"
        env.pop("LANGUAGE", None)
        # soffice makes a lu*.tmp directory in TMPDIR and leaves it there when killed.
        soffice_tmp = os.path.join(self.profile_dir, "tmp")
        os.mkdir(soffice_tmp)
        env["TMPDIR"] = soffice_tmp
        # soffice must never inherit our stdout: a caller reading it would wait for soffice.
        with open(self.log_path, "wb") as log_file:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, env=env
            )

        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:pipe,name={pipe_name};urp;StarOffice.ComponentContext"
        deadline = t0 + self.connect_timeout
        while True:
            try:
                self.ctx = resolver.resolve(url)
                break
            except NoConnectException:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"soffice exited with status {self.proc.returncode} before accepting "
                    f"connections; log:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"soffice did not accept connections within {self.connect_timeout:g} s; "
                    f"log:\n{self.log_tail()}"
                )
            time.sleep(0.1)
        self.smgr = self.ctx.ServiceManager
        self.desktop = self.smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
        self.dispatcher = self.smgr.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", self.ctx
        )
        self.record_sockets()
        self.configure()
        return time.monotonic() - t0

    def configure(self) -> None:
        """Settings for this (throw-away) profile.

        No document lock files: a killed soffice leaves ".~lock.NAME#" beside the document,
        and while one exists (or while another soffice has the same file open, e.g. parallel
        tests on one template) a headless load of that document simply fails.
        """
        provider = self.smgr.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", self.ctx
        )
        misc = provider.createInstanceWithArguments(
            "com.sun.star.configuration.ConfigurationUpdateAccess",
            (prop("nodepath", "/org.openoffice.Office.Common/Misc"),),
        )
        misc.setPropertyValue("UseLocking", False)
        misc.setPropertyValue("UseDocumentOOoLockFile", False)
        misc.setPropertyValue("UseDocumentSystemFileLocking", False)
        misc.commitChanges()
        if self.locale:
            # The locale typed input is read in (dates like 2024年6月20日, 3-5 as a date):
            # what a clerk's zh-CN LibreOffice does, whatever this machine's locale is.
            l10n = provider.createInstanceWithArguments(
                "com.sun.star.configuration.ConfigurationUpdateAccess",
                (prop("nodepath", "/org.openoffice.Setup/L10N"),),
            )
            l10n.setPropertyValue("ooSetupSystemLocale", self.locale)
            l10n.commitChanges()

    def record_sockets(self) -> None:
        """Note soffice's named pipes (/tmp/OSL_PIPE_*): a killed soffice leaves them behind.

        Their names are predicted before the start (:func:`predicted_sockets`) and confirmed
        after it through the socket inodes soffice holds open; both name only this soffice's
        pipes, never another's. With ``--tmpdir`` the paths also go to ``DIR/sockets.txt`` so
        the client can remove them if it has to kill us before we can.
        """
        inodes: set[str] = set()
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        target = os.readlink(fd)
                        if target.startswith("socket:["):
                            inodes.add(target[8:-1])
        found: list[str] = []
        with contextlib.suppress(OSError), open("/proc/net/unix", encoding="utf-8") as table:
            next(table, None)
            for line in table:
                fields = line.split(maxsplit=7)
                if len(fields) == 8 and fields[6] in inodes:
                    path = fields[7].strip()
                    if os.path.basename(path).startswith("OSL_PIPE_"):
                        found.append(path)
        self.note_sockets(found)

    def note_sockets(self, paths: list[str]) -> None:
        new = [path for path in paths if path not in self.sockets]
        self.sockets.extend(new)
        if self.tmpdir and new:
            with open(os.path.join(self.tmpdir, "sockets.txt"), "a", encoding="utf-8") as f:
                f.writelines(f"{path}\n" for path in new)

    def remove_sockets(self) -> None:
        for path in self.sockets:
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    os.unlink(path)
        self.sockets = []

    def log_tail(self, limit: int = 2000) -> str:
        if not self.log_path:
            return ""
        try:
            return Path(self.log_path).read_text(encoding="utf-8", errors="replace")[-limit:]
        except OSError:
            return ""

    def alive(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            return False
        try:
            self.desktop.getComponents()
        except Exception:
            return False
        return True

    def pids(self) -> list[int]:
        """The soffice wrapper (oosplash) and its children (soffice.bin), by process id."""
        if self.proc is None:
            return []
        pids = [self.proc.pid]
        task_dir = Path(f"/proc/{self.proc.pid}/task")
        with contextlib.suppress(OSError):
            for task in task_dir.iterdir():
                with contextlib.suppress(OSError):
                    pids.extend(int(p) for p in (task / "children").read_text().split())
        return pids

    def kill(self) -> None:
        """Kill soffice.bin and its wrapper by process id (they share our process group)."""
        if self.proc is None:
            return
        for pid in reversed(self.pids()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def stop(self, grace: float = 15.0) -> None:
        """Terminate soffice cleanly; kill it if it does not exit within ``grace`` seconds."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # terminate() usually tears the bridge down under us: any exception is expected.
            with contextlib.suppress(Exception):
                self.desktop.terminate()
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log("soffice did not exit after terminate(); killing it")
                self.kill()
        else:
            self.kill()  # the wrapper may have died and left soffice.bin behind
        self.proc = None
        self.ctx = self.smgr = self.desktop = self.dispatcher = None
        self.remove_sockets()  # a clean exit removes them already; a kill does not
        if self.profile_dir:
            shutil.rmtree(self.profile_dir, ignore_errors=True)
            self.profile_dir = None

    # ---- documents --------------------------------------------------------------------------

    def load(self, src: str):
        if not os.path.isfile(src):
            raise JobError(f"no such file: {src}")
        never = uno.getConstantByName("com.sun.star.document.MacroExecMode.NEVER_EXECUTE")
        no_update = uno.getConstantByName("com.sun.star.document.UpdateDocMode.NO_UPDATE")
        doc = self.desktop.loadComponentFromURL(
            file_url(src),
            "_blank",
            0,
            (
                # Hidden documents still get a frame and a controller headless, which is all
                # the typed-input path (.uno:EnterString) needs.
                prop("Hidden", True),
                prop("MacroExecutionMode", never),
                prop("UpdateDocMode", no_update),
            ),
        )
        if doc is None:
            raise JobError(f"LibreOffice could not load {src}")
        return doc


def close(doc) -> None:
    if doc is None:
        return
    try:
        doc.close(True)
    except Exception:
        with contextlib.suppress(Exception):
            doc.dispose()


def store(doc, dst: str, filter_name: str) -> None:
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    doc.storeToURL(file_url(dst), (prop("FilterName", filter_name), prop("Overwrite", True)))


# --------------------------------------------------------------------------------------------
# cells
# --------------------------------------------------------------------------------------------


def _lookup_name(container, name: str):
    if container is None:
        return None
    if container.hasByName(name):
        return container.getByName(name)
    folded = name.casefold()  # defined names are case-insensitive in Excel
    for candidate in container.ElementNames:
        if candidate.casefold() == folded:
            return container.getByName(candidate)
    return None


def resolve_cell(doc, spec: dict):
    """Return the UNO cell a CELL spec points at."""
    sheets = doc.Sheets
    sheet = None
    sheet_name = spec.get("sheet")
    if sheet_name is not None:
        if not sheets.hasByName(sheet_name):
            raise JobError(f"no sheet named {sheet_name!r} (sheets: {list(sheets.ElementNames)})")
        sheet = sheets.getByName(sheet_name)

    if spec.get("name"):
        name = spec["name"]
        named = None
        if sheet is not None and sheet.PropertySetInfo.hasPropertyByName("NamedRanges"):
            named = _lookup_name(sheet.NamedRanges, name)  # sheet-scoped names
        if named is None:
            named = _lookup_name(doc.NamedRanges, name)  # workbook names
        if named is None:
            raise JobError(f"no defined name {name!r} on sheet {sheet_name!r} or the workbook")
        cells = named.getReferredCells()
        if cells is None:
            raise JobError(f"defined name {name!r} does not refer to cells: {named.Content!r}")
    elif spec.get("address"):
        if sheet is None:
            raise JobError(f"cell address {spec['address']!r} needs a 'sheet'")
        try:
            cells = sheet.getCellRangeByName(spec["address"])
        except Exception as exc:
            raise JobError(f"bad cell address {spec['address']!r}: {exc}") from exc
    else:
        raise JobError(f"cell spec needs 'name' or 'address': {spec!r}")

    area = cells.RangeAddress
    width = area.EndColumn - area.StartColumn + 1
    height = area.EndRow - area.StartRow + 1
    index = int(spec.get("index", 0))
    if not 0 <= index < width * height:
        raise JobError(f"index {index} outside the {width}x{height} range of {spec!r}")
    return cells.getCellByPosition(index % width, index // width)


def _column_letters(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class Formulas:
    """Excel-syntax formulas <-> LibreOffice tokens, via the OOXML formula grammar."""

    def __init__(self, doc) -> None:
        self.parser = doc.createInstance("com.sun.star.sheet.FormulaParser")
        mapper = doc.createInstance("com.sun.star.sheet.FormulaOpCodeMapper")
        self.parser.OpCodeMap = mapper.getAvailableMappings(
            uno.getConstantByName("com.sun.star.sheet.FormulaLanguage.OOXML"),
            uno.getConstantByName("com.sun.star.sheet.FormulaMapGroup.ALL_EXCEPT_SPECIAL"),
        )
        self.parser.FormulaConvention = uno.getConstantByName(
            "com.sun.star.sheet.AddressConvention.XL_OOX"
        )
        self.parser.CompileEnglish = True

    def set(self, cell, formula: str) -> None:
        tokens = self.parser.parseFormula(formula, cell.CellAddress)
        cell.setTokens(tokens)

    def excel(self, cell) -> str:
        text = self.parser.printFormula(cell.getTokens(), cell.CellAddress)
        return text if text.startswith("=") else f"={text}"


def describe(doc, cell, formulas: Formulas | None = None) -> dict:
    addr = cell.CellAddress
    sheet = doc.Sheets.getByIndex(addr.Sheet)
    kind = cell.getType().value
    info = {
        "sheet": sheet.Name,
        "address": f"{_column_letters(addr.Column)}{addr.Row + 1}",
        "kind": kind if kind in CELL_KINDS else str(kind),
        "string": cell.getString(),
        "value": cell.getValue(),
        "formula": cell.getFormula(),
        "error": cell.getError(),
        "locked": bool(cell.CellProtection.IsLocked),
        "sheet_protected": bool(sheet.isProtected()),
    }
    if formulas is not None and kind == "FORMULA":
        try:
            info["formula_excel"] = formulas.excel(cell)
        except Exception as exc:  # printing is a nicety; never fail a job over it
            info["formula_excel"] = None
            info["formula_excel_error"] = str(exc)
    return info


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise JobError(f"not a number: {value!r}")
    try:
        number = float(value) if isinstance(value, int | float) else float(Decimal(str(value)))
    except InvalidOperation as exc:
        raise JobError(f"not a decimal number: {value!r}") from exc
    if not math.isfinite(number):
        raise JobError(f"not a finite number: {value!r}")
    return number


def set_cell(cell, spec: dict, formulas: Formulas) -> None:
    kind = spec.get("type", "string")
    value = spec.get("value")
    if kind == "number":
        cell.setValue(_number(value))
    elif kind == "string":
        cell.setString("" if value is None else str(value))
    elif kind == "formula":
        formulas.set(cell, str(value))
    else:
        raise JobError(f"unknown cell type {kind!r} (number, string or formula)")


# --------------------------------------------------------------------------------------------
# jobs
# --------------------------------------------------------------------------------------------


def _require(job: dict, *keys: str) -> None:
    missing = [k for k in keys if not job.get(k)]
    if missing:
        raise JobError(f"job {job.get('op')!r} needs {', '.join(missing)}")


def job_fill(office: Office, job: dict) -> dict:
    _require(job, "src", "dst")
    doc = office.load(job["src"])
    try:
        formulas = Formulas(doc)
        targets = [(spec, resolve_cell(doc, spec)) for spec in job.get("cells", [])]
        for spec, cell in targets:
            set_cell(cell, spec, formulas)
        if job.get("recalc"):
            doc.calculateAll()
        cells = [describe(doc, cell, formulas) for _, cell in targets]
        store(doc, job["dst"], XLSX_FILTER)
        return {"cells": cells}
    finally:
        close(doc)


def _already_holds(cell, text: str) -> bool:
    if cell.getFormula() == text or cell.getString() == text:
        return True
    if cell.getType().value == "VALUE":
        try:
            return float(Decimal(text.strip())) == cell.getValue()
        except InvalidOperation:
            return False
    return False


def job_type(office: Office, job: dict) -> dict:
    _require(job, "src")
    doc = office.load(job["src"])
    try:
        formulas = Formulas(doc)
        controller = doc.getCurrentController()
        if controller is None or controller.getFrame() is None:
            raise JobError("the loaded document has no view to type into")
        frame = controller.getFrame()
        # Headless LibreOffice 7.4 can abort shortly after a typed entry while it lays out
        # toolbars that have no window; without a LayoutManager there is nothing to lay out.
        with contextlib.suppress(Exception):
            frame.LayoutManager = None
        results = []
        for spec in job.get("cells", []):
            cell = resolve_cell(doc, spec)
            text = "" if spec.get("value") is None else str(spec["value"])
            sheet = doc.Sheets.getByIndex(cell.CellAddress.Sheet)
            before = (cell.getType().value, cell.getFormula())
            ambiguous = _already_holds(cell, text)
            controller.setActiveSheet(sheet)
            controller.select(cell)
            office.dispatcher.executeDispatch(
                frame, ".uno:EnterString", "", 0, (prop("StringName", text),)
            )
            after = (cell.getType().value, cell.getFormula())
            info = describe(doc, cell, formulas)
            info["typed"] = text
            info["before"] = before[1]
            info["landed"] = True if after != before else (None if ambiguous else False)
            results.append(info)
        if job.get("validate"):
            _mark_validity(doc, results)
        if job.get("dst"):
            if job.get("recalc"):
                doc.calculateAll()
            store(doc, job["dst"], XLSX_FILTER)
        return {"cells": results}
    finally:
        close(doc)


def _validation_of(cell) -> dict | None:
    """The cell's data validation as LibreOffice holds it (None: the cell has none)."""
    rule = cell.Validation
    kind = rule.Type.value
    if kind == "ANY":
        return None
    return {
        "type": kind,
        "alert": rule.ErrorAlertStyle.value,  # STOP, WARNING, INFO, MACRO
        "show_error": bool(rule.ShowErrorMessage),
        "ignore_blank": bool(rule.IgnoreBlankCells),
        "formula1": rule.getFormula1(),
    }


def _mark_validity(doc, results: list[dict]) -> None:
    """Add ``"valid"`` to each typed cell: what LibreOffice's own validation engine says of it.

    The typed-input path does not run validation, so ask the detective (Tools ▸ Detective ▸
    Mark Invalid Data): ``showInvalid`` circles every cell whose content its validation
    refuses. The circles are drawing shapes over the cells; their positions give the cells.
    """
    by_sheet: dict[str, list[dict]] = {}
    for info in results:
        by_sheet.setdefault(info["sheet"], []).append(info)
    for name, infos in by_sheet.items():
        sheet = doc.Sheets.getByName(name)
        page = sheet.DrawPage
        before = page.getCount()
        sheet.showInvalid()
        circles = [page.getByIndex(i) for i in range(before, page.getCount())]
        boxes = []
        for shape in circles:
            pos, size = shape.Position, shape.Size
            boxes.append((pos.X, pos.Y, pos.X + size.Width, pos.Y + size.Height))
        for info in infos:
            cell = sheet.getCellRangeByName(info["address"])
            cpos, csize = cell.Position, cell.Size
            cx, cy = cpos.X + csize.Width // 2, cpos.Y + csize.Height // 2
            info["validation"] = _validation_of(cell)
            info["valid"] = not any(x1 <= cx <= x2 and y1 <= cy <= y2 for x1, y1, x2, y2 in boxes)
        sheet.clearArrows()


def job_resave(office: Office, job: dict) -> dict:
    _require(job, "src", "dst")
    doc = office.load(job["src"])
    try:
        if job.get("recalc"):
            doc.calculateAll()
        store(doc, job["dst"], XLSX_FILTER)
        return {}
    finally:
        close(doc)


def job_pdf(office: Office, job: dict) -> dict:
    _require(job, "src", "dst")
    doc = office.load(job["src"])
    try:
        store(doc, job["dst"], PDF_FILTER)
        return {}
    finally:
        close(doc)


def job_read(office: Office, job: dict) -> dict:
    _require(job, "src")
    doc = office.load(job["src"])
    try:
        formulas = Formulas(doc)
        return {"cells": [describe(doc, resolve_cell(doc, s), formulas) for s in job["cells"]]}
    finally:
        close(doc)


JOBS = {
    "fill": job_fill,
    "type": job_type,
    "resave": job_resave,
    "pdf": job_pdf,
    "read": job_read,
}


def uno_message(exc: BaseException) -> str:
    # UNO exceptions carry their text in .Message; str() is often empty or a repr.
    message = getattr(exc, "Message", None) or str(exc) or repr(exc)
    return f"{type(exc).__name__}: {message}"


def run_all(office: Office, jobs: list, job_timeout: float) -> tuple[list[dict], int]:
    results: list[dict] = []
    restarts = 0
    for number, job in enumerate(jobs):
        t0 = time.monotonic()
        op = job.get("op") if isinstance(job, dict) else None
        result: dict = {"op": op, "ok": False, "error": None}
        if not office.alive():
            log(f"soffice is gone before job {number}; restarting it")
            office.stop()
            try:
                office.start()
            except Exception as exc:
                error = f"LibreOffice could not be restarted: {uno_message(exc)}"
                for rest in jobs[number:]:
                    rest_op = rest.get("op") if isinstance(rest, dict) else None
                    results.append({"op": rest_op, "ok": False, "error": error, "seconds": 0.0})
                break
            restarts += 1
        timed_out = threading.Event()

        def on_timeout(
            flag: threading.Event = timed_out, what: str = f"job {number} ({op})"
        ) -> None:
            flag.set()
            log(f"{what} exceeded {job_timeout:g} s; killing soffice")
            office.kill()

        watchdog = threading.Timer(job_timeout, on_timeout)
        watchdog.daemon = True
        watchdog.start()
        try:
            if op not in JOBS:
                raise JobError(f"unknown op {op!r} (one of {', '.join(JOBS)})")
            result.update(JOBS[op](office, job))
            result["ok"] = True
        except Exception as exc:
            if timed_out.is_set():  # whatever the dying soffice made the job raise
                result["error"] = f"timed out after {job_timeout:g} s"
            elif isinstance(exc, JobError):
                result["error"] = str(exc)
            else:
                result["error"] = uno_message(exc)
                log(f"job {number} ({op}) failed:\n{traceback.format_exc()}")
        finally:
            watchdog.cancel()
        if result["ok"] and timed_out.is_set():  # finished just as the watchdog fired
            result.update(ok=False, error=f"timed out after {job_timeout:g} s")
        result["seconds"] = round(time.monotonic() - t0, 3)
        results.append(result)
    return results, restarts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jobs", help="JSON job list file, or - for stdin")
    parser.add_argument("--out", help="where to write the JSON results (default: stdout)")
    parser.add_argument(
        "--tmpdir", help="put the soffice profile here and list soffice's pipes in sockets.txt"
    )
    parser.add_argument("--soffice", default=shutil.which("soffice") or "soffice")
    parser.add_argument("--connect-timeout", type=float, default=60.0)
    parser.add_argument("--job-timeout", type=float, default=120.0)
    parser.add_argument("--locale", help="LibreOffice's locale setting, e.g. zh-CN")
    args = parser.parse_args(argv)

    try:
        if args.jobs == "-":
            jobs = json.load(sys.stdin)
        else:
            with open(args.jobs, encoding="utf-8") as f:
                jobs = json.load(f)
        if not isinstance(jobs, list):
            raise ValueError("the job file must hold a JSON list")
    except (OSError, ValueError) as exc:
        log(f"cannot read jobs: {exc}")
        return 2

    def on_signal(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally below, which stops soffice

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)

    t0 = time.monotonic()
    office = Office(args.soffice, args.connect_timeout, args.tmpdir, args.locale)
    try:
        try:
            startup = office.start()
        except Exception as exc:
            log(f"cannot start LibreOffice: {uno_message(exc)}")
            return 3
        log(f"soffice ready in {startup:.2f} s")
        results, restarts = run_all(office, jobs, args.job_timeout)
    finally:
        office.stop()
    report = {
        "results": results,
        "startup_seconds": round(startup, 3),
        "total_seconds": round(time.monotonic() - t0, 3),
        "restarts": restarts,
    }
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
