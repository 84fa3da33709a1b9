"""The LibreOffice harness against a real headless LibreOffice.

One module-scoped worker run builds everything the tests look at (one soffice start): a tiny
locked template written by XlsxWriter is re-saved, filled through the API, typed into like a
person, exported to PDF and read back. The tests then inspect the saved files with openpyxl.

Several tests pin down what a LibreOffice xlsx re-save keeps and drops (see
docs in /work/shared/EXCEL-FACTS.md, "What a re-save by LibreOffice does"). If one of those
fails after a LibreOffice upgrade, the behaviour changed: update the facts, not just the test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from libreoffice import (
    LibreOfficeError,
    available,
    fill,
    read_cells,
    to_png,
)
from libreoffice.client import run_report

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not available(), reason="LibreOffice headless / python3-uno not installed"),
]

SHEET = "项目1"
META = "_meta"
STAMP = "hebei-county|1.0"
REGION = "河北省 县级"
PASSWORD = "xlt"
PROMPT_TITLE = "预算总额"
PROMPT = "请输入金额（万元），不小于 0"
LABEL = "预算总额（万元）"


# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------


def lock_structure(path: Path) -> None:
    """Add ``<workbookProtection lockStructure="1"/>`` (XlsxWriter cannot write it)."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "xl/workbook.xml":
                # CT_Workbook order: ... workbookPr, workbookProtection, bookViews ...
                text, count = re.subn(
                    "<bookViews>",
                    '<workbookProtection lockStructure="1"/><bookViews>',
                    data.decode("utf-8"),
                )
                assert count == 1
                data = text.encode("utf-8")
            zout.writestr(info, data)
    tmp.replace(path)


def build_template(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    unlocked = wb.add_format({"locked": False})
    ws = wb.add_worksheet(SHEET)
    ws.set_column("B:B", 24)  # wide enough that the label is not clipped in print
    ws.write("B5", LABEL)
    ws.write_blank("C5", None, unlocked)  # input: budget_total, validated
    ws.write("B6", "其他资金")
    ws.write_blank("C6", None, unlocked)  # input
    ws.write("B7", "说明")
    ws.write("C7", "锁定单元格")  # locked
    ws.write_formula("E5", "=C5*2", None, 0)
    ws.write_formula("E9", "=3*3", None, 0)  # depends on nothing: never recalculated
    ws.data_validation(
        "C5",
        {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "input_title": PROMPT_TITLE,
            "input_message": PROMPT,
        },
    )
    ws.protect(PASSWORD)
    wb.define_name(f"'{SHEET}'!budget_total", f"='{SHEET}'!$C$5")
    wb.define_name("project_inputs", f"='{SHEET}'!$C$5:$C$6")
    wb.define_name("xlt_stamp", f'="{STAMP}"')
    meta = wb.add_worksheet(META)
    meta.write("A1", "template")
    meta.write("B1", STAMP)
    meta.write_number("B2", 42)
    meta.hide()
    wb.set_custom_property("xlt_template", STAMP)
    wb.set_custom_property("xlt_region", REGION)
    wb.close()
    lock_structure(path)
    return path


# --------------------------------------------------------------------------------------------
# one worker run for the module
# --------------------------------------------------------------------------------------------


class Run:
    def __init__(self, base: Path) -> None:
        self.dir = base / "输入 目录"  # spaces and Chinese in every path
        self.dir.mkdir()
        self.template = build_template(self.dir / "模板 template.xlsx")
        self.saved = {
            "resave": self.dir / "重存 resaved.xlsx",
            "fill": self.dir / "填报 filled.xlsx",
            "type": self.dir / "输入 typed.xlsx",
        }
        self.pdf = self.dir / "打印 filled.pdf"
        self.keys: list[str] = []
        jobs: list[dict[str, Any]] = []

        def add(key: str, job: dict[str, Any]) -> None:
            self.keys.append(key)
            jobs.append(job)

        add("resave", {"op": "resave", "src": self.template, "dst": self.saved["resave"]})
        add(
            "fill",
            {
                "op": "fill",
                "src": self.template,
                "dst": self.saved["fill"],
                "cells": [
                    {"sheet": SHEET, "name": "budget_total", "value": "50.00", "type": "number"},
                    {"name": "project_inputs", "index": 1, "value": "12.50", "type": "number"},
                    {"sheet": SHEET, "address": "C7", "value": "接口写入", "type": "string"},
                    {"sheet": SHEET, "address": "B8", "value": "007", "type": "string"},
                    {"sheet": SHEET, "address": "E6", "value": "=SUM(C5,C6)", "type": "formula"},
                ],
            },
        )
        add(
            "type",
            {
                "op": "type",
                "src": self.template,
                "dst": self.saved["type"],
                "cells": [
                    {"sheet": SHEET, "address": "C6", "value": "12.5"},  # unlocked
                    {"sheet": SHEET, "address": "C7", "value": "改不了"},  # locked
                    {"sheet": SHEET, "name": "budget_total", "value": "-5"},  # fails validation
                ],
            },
        )
        add("pdf", {"op": "pdf", "src": self.saved["fill"], "dst": self.pdf})
        add(
            "read",
            {
                "op": "read",
                "src": self.saved["fill"],
                "cells": [
                    {"sheet": SHEET, "name": "budget_total"},
                    {"sheet": SHEET, "address": "E6"},
                    {"sheet": META, "address": "B1"},
                ],
            },
        )
        add("missing", {"op": "read", "src": self.dir / "不存在.xlsx", "cells": []})
        # What a killed soffice leaves beside a document; it must not block the next load.
        self.locked_copy = self.dir / "锁 copy.xlsx"
        shutil.copyfile(self.template, self.locked_copy)
        self.lock_file = self.dir / f".~lock.{self.locked_copy.name}#"
        self.lock_file.write_text(",root,host,01.01.2026 00:00,file:///tmp/gone;", "utf-8")
        add(
            "stale_lock",
            {"op": "read", "src": self.locked_copy, "cells": [{"sheet": META, "address": "B1"}]},
        )
        add(
            "bad_name",
            {
                "op": "fill",
                "src": self.template,
                "dst": self.dir / "never.xlsx",
                "cells": [{"sheet": SHEET, "name": "no_such_name", "value": "1"}],
            },
        )
        self.report = run_report(jobs, timeout=240)
        self.results = dict(zip(self.keys, self.report["results"], strict=True))

    def ok(self, key: str) -> dict[str, Any]:
        result = self.results[key]
        assert result["ok"], f"{key}: {result['error']}\n{self.report['stderr']}"
        return result


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return Run(tmp_path_factory.mktemp("libreoffice"))


def load(path: Path, **kwargs: Any) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path, **kwargs)


SAVED = pytest.mark.parametrize("which", ["resave", "fill", "type"])


# --------------------------------------------------------------------------------------------
# the harness itself
# --------------------------------------------------------------------------------------------


def test_batch_runs_in_one_soffice(run: Run) -> None:
    for key in ("resave", "fill", "type", "pdf", "read"):
        run.ok(key)
    assert run.report["restarts"] == 0
    assert run.report["startup_seconds"] < 60
    for path in run.saved.values():
        assert zipfile.is_zipfile(path)


def test_failed_jobs_are_reported_not_fatal(run: Run) -> None:
    assert not run.results["missing"]["ok"]
    assert "no such file" in run.results["missing"]["error"]
    assert not run.results["bad_name"]["ok"]
    assert "no_such_name" in run.results["bad_name"]["error"]
    assert not (run.dir / "never.xlsx").exists()


def test_stale_lock_file_does_not_block_loading(run: Run) -> None:
    assert run.ok("stale_lock")["cells"][0]["string"] == STAMP
    assert run.lock_file.exists()  # not ours to remove


def test_input_really_has_structure_protection(run: Run) -> None:
    wb = load(run.template)
    assert wb.security is not None and wb.security.lockStructure


# --------------------------------------------------------------------------------------------
# fill (API path)
# --------------------------------------------------------------------------------------------


def test_fill_values_land_with_their_types(run: Run) -> None:
    cells = run.ok("fill")["cells"]
    assert [c["address"] for c in cells] == ["C5", "C6", "C7", "B8", "E6"]
    ws = load(run.saved["fill"])[SHEET]
    assert ws["C5"].value == 50 and ws["C5"].data_type == "n"
    assert ws["C6"].value == 12.5 and ws["C6"].data_type == "n"
    assert ws["B8"].value == "007" and ws["B8"].data_type == "s"
    assert ws["E6"].value == "=SUM(C5,C6)"


def test_fill_writes_into_locked_cells(run: Run) -> None:
    cell = run.ok("fill")["cells"][2]
    assert cell["locked"] and cell["sheet_protected"]
    assert load(run.saved["fill"])[SHEET]["C7"].value == "接口写入"


def test_fill_recalculates_only_dependents(run: Run) -> None:
    ws = load(run.saved["fill"], data_only=True)[SHEET]
    assert ws["E6"].value == 62.5  # new formula
    assert ws["E5"].value == 100  # depends on an edited cell
    # LibreOffice trusts the cached value XlsxWriter wrote (0) for a file that says it comes
    # from Excel, and ignores fullCalcOnLoad: untouched formulas keep the stale cache.
    assert ws["E9"].value == 0


def test_read_sees_the_filled_file(run: Run) -> None:
    total, e6, stamp = run.ok("read")["cells"]
    assert (total["address"], total["kind"], total["value"]) == ("C5", "VALUE", 50.0)
    assert e6["kind"] == "FORMULA" and e6["formula_excel"] == "=SUM(C5,C6)" and e6["value"] == 62.5
    assert stamp["string"] == STAMP


# --------------------------------------------------------------------------------------------
# type (the path a person uses)
# --------------------------------------------------------------------------------------------


def test_typing_lands_in_unlocked_cells_only(run: Run) -> None:
    unlocked, locked, _ = run.ok("type")["cells"]
    assert unlocked["landed"] is True and unlocked["kind"] == "VALUE" and unlocked["value"] == 12.5
    assert locked["landed"] is False and locked["string"] == "锁定单元格"
    ws = load(run.saved["type"])[SHEET]
    assert ws["C6"].value == 12.5
    assert ws["C7"].value == "锁定单元格"


def test_typing_does_not_apply_validation(run: Run) -> None:
    # C5 allows decimals >= 0 only, yet the typed -5 lands: LibreOffice's typed-input command
    # skips validation, so the reader must check values itself.
    validated = run.ok("type")["cells"][2]
    assert validated["landed"] is True and validated["value"] == -5
    assert load(run.saved["type"])[SHEET]["C5"].value == -5


# --------------------------------------------------------------------------------------------
# what an xlsx re-save keeps
# --------------------------------------------------------------------------------------------


@SAVED
def test_custom_document_property_survives(run: Run, which: str) -> None:
    with zipfile.ZipFile(run.saved[which]) as z:
        assert "docProps/custom.xml" in z.namelist()
    props = load(run.saved[which]).custom_doc_props
    assert props["xlt_template"].value == STAMP
    assert props["xlt_region"].value == REGION


@SAVED
def test_hidden_sheet_and_its_values_survive(run: Run, which: str) -> None:
    wb = load(run.saved[which])
    meta = wb[META]
    assert meta.sheet_state == "hidden"
    assert meta["B1"].value == STAMP
    assert meta["B2"].value == 42


@SAVED
def test_sheet_scoped_name_survives(run: Run, which: str) -> None:
    wb = load(run.saved[which])
    assert "budget_total" not in wb.defined_names
    name = wb[SHEET].defined_names["budget_total"]
    # LibreOffice drops the quotes around the sheet name when it does not need them.
    assert name.attr_text in (f"'{SHEET}'!$C$5", f"{SHEET}!$C$5")


@SAVED
def test_workbook_names_survive(run: Run, which: str) -> None:
    names = load(run.saved[which]).defined_names
    assert names["project_inputs"].attr_text in (f"'{SHEET}'!$C$5:$C$6", f"{SHEET}!$C$5:$C$6")
    # A constant name comes back without its leading "=" (XlsxWriter strips it too).
    assert names["xlt_stamp"].attr_text == f'"{STAMP}"'


@SAVED
def test_validation_and_its_message_survive(run: Run, which: str) -> None:
    ws = load(run.saved[which])[SHEET]
    (dv,) = ws.data_validations.dataValidation
    assert str(dv.sqref) == "C5"
    assert dv.type == "decimal" and dv.operator == "greaterThanOrEqual"
    assert dv.promptTitle == PROMPT_TITLE and dv.prompt == PROMPT
    assert dv.showInputMessage


@SAVED
def test_sheet_protection_survives(run: Run, which: str) -> None:
    ws = load(run.saved[which])[SHEET]
    assert ws.protection.sheet
    assert ws.protection.password  # the hash is kept (LibreOffice lower-cases it)
    assert ws["C5"].protection.locked is False
    assert ws["C6"].protection.locked is False
    assert ws["C7"].protection.locked is True


@SAVED
def test_workbook_structure_protection_is_dropped(run: Run, which: str) -> None:
    wb = load(run.saved[which])
    assert wb.security is None or not wb.security.lockStructure, (
        "LibreOffice now keeps workbook structure protection: update EXCEL-FACTS.md"
    )


# --------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------


def test_pdf_and_png(run: Run) -> None:
    run.ok("pdf")
    assert run.pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(run.pdf), "-"], capture_output=True, check=True, timeout=60
        ).stdout.decode("utf-8")
        assert LABEL in text  # Chinese text was rendered with a real CJK font
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) not installed")
    pages = to_png(run.pdf, run.dir / "页 page", dpi=50)
    assert pages
    for page in pages:
        data = page.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


# --------------------------------------------------------------------------------------------
# one-job helpers (each starts its own soffice)
# --------------------------------------------------------------------------------------------


def test_read_cells_helper(run: Run) -> None:
    (total, inputs) = read_cells(
        run.template,
        [{"sheet": SHEET, "name": "budget_total"}, {"name": "project_inputs", "index": 1}],
    )
    assert (total["address"], total["kind"], total["locked"]) == ("C5", "EMPTY", False)
    assert inputs["address"] == "C6"


def test_helper_raises_on_failed_job(run: Run, tmp_path: Path) -> None:
    with pytest.raises(LibreOfficeError, match="no_such_name"):
        fill(run.template, tmp_path / "x.xlsx", [{"sheet": SHEET, "name": "no_such_name"}])
