"""A department and the office in real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright): download the template, fill it in LibreOffice by defined names, upload it by
clicking, read the findings, upload the corrected copy; the office signs in, sees who returned,
who has errors and who is missing, and regenerates the consolidation.

Screenshots of both pages at desktop and phone width go to the test's folder, and to
docs/images/web-*.png with XLTARGETS_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import httpx
import openpyxl
import pytest
from forms import libreoffice_cells
from libreoffice import client as lo
from serve_harness import OFFICE_TOKEN, REPO, ServerProcess, filled_return, send_out, year_fill

pytest.importorskip("starlette")
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
UNIT = "224003"

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.skipif(not lo.available(), reason="LibreOffice headless not installed"),
]


def _fill(budget_fiscal: str) -> dict:
    clean = year_fill()
    dept = {k: v for k, v in clean["部门整体绩效目标"].items() if k not in (("unit_code",), ("unit_name",))}
    project = dict(clean["项目1"])
    project[("budget_fiscal",)] = Decimal(budget_fiscal)
    return {"部门整体绩效目标": dept, "项目1": project}


def _shots(page, name: str, folder: Path) -> list[Path]:
    out = []
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = folder / f"web-{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        out.append(path)
        if os.environ.get("XLTARGETS_UPDATE_SCREENSHOTS"):
            shutil.copyfile(path, REPO / "docs" / "images" / path.name)
    page.set_viewport_size(DESKTOP)
    return out


def test_department_and_office_in_chromium(tmp_path):
    manifest_path = send_out(tmp_path / "sent")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    sent = next(w for w in manifest["workbooks"] if w["unit_code"] == UNIT)
    with ServerProcess(tmp_path / "root", manifest_path) as srv, sync_api.sync_playwright() as p:
        links = srv.links()
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--lang=zh-CN"])
        try:
            page = browser.new_context(viewport=DESKTOP, accept_downloads=True,
                                       locale="zh-CN").new_page()
            # -- the department opens its link and downloads its template
            page.goto(links[UNIT])
            assert sent["unit_name"] in page.inner_text("header")
            assert "尚未报送" in page.inner_text("#status")
            with page.expect_download() as download:
                page.click("#template")
            template = tmp_path / "template.xlsx"
            download.value.save_as(template)
            assert hashlib.sha256(template.read_bytes()).hexdigest() == sent["sha256"]

            # -- fills it in LibreOffice (by defined names): once with a mistake, once right
            wrong, right = tmp_path / "填好的表.xlsx", tmp_path / "改好的表.xlsx"
            for job in lo.run_jobs([
                    {"op": "fill", "src": str(template), "dst": str(wrong),
                     "cells": libreoffice_cells("hebei-county", _fill("40.00"))},
                    {"op": "fill", "src": str(template), "dst": str(right),
                     "cells": libreoffice_cells("hebei-county", _fill("45.50"))}]):
                lo.ensure_ok(job)

            # -- uploads by clicking, sees its findings
            assert page.inner_text("#chosen") == "尚未选择文件"
            page.get_by_label("选择填好的表格文件").set_input_files(str(wrong))
            assert page.inner_text("#chosen") == wrong.name  # the Chinese picker shows the choice
            page.click("#submit")
            page.wait_for_load_state()
            if not page.locator("#findings").count():
                raise AssertionError(page.url + page.content()[:3000])
            page.wait_for_selector("#findings")
            assert "错误" in page.inner_text("#status")
            rows = page.locator("#findings tbody tr")
            texts = [rows.nth(i).inner_text() for i in range(rows.count())]
            assert any(t.split("\t")[:3] == ["项目1", "C4", "预算数"] and "不相等" in t and "错误" in t
                       for t in texts), texts
            with page.expect_download() as feedback:
                page.click("#feedback")
            copy = tmp_path / "feedback.xlsx"
            feedback.value.save_as(copy)
            book = openpyxl.load_workbook(copy, read_only=True)
            assert "问题清单" in book.sheetnames
            book.close()
            department_shots = _shots(page, "department", tmp_path)

            # -- uploads the corrected copy and sees it accepted
            page.get_by_label("选择填好的表格文件").set_input_files(str(right))
            page.click("#submit")
            page.wait_for_load_state()
            assert "检查通过" in page.inner_text("#status")
            assert page.locator("#history tbody tr").count() == 2
            assert OFFICE_TOKEN not in page.content()

            # another department returns with errors, by the API; two stay missing
            r = httpx.post(srv.api(links["224001"]), timeout=60,
                           files={"file": ("r.xlsx", filled_return(manifest, "224001", mistake=True))})
            assert r.json()["status"] == "rejected"

            # -- the office signs in and sees counts and statuses
            office = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
            office.goto(srv.base + "/office")
            office.get_by_label("办公室口令").fill(OFFICE_TOKEN)
            office.get_by_role("button", name="登录").click()
            office.wait_for_selector("#counts")
            counts = {k: office.inner_text(f"#count-{k}") for k in ("total", "returned", "with_errors", "missing")}
            assert counts == {"total": "4", "returned": "1", "with_errors": "1", "missing": "2"}
            states = {office.locator("#departments tbody tr").nth(i).get_attribute("data-unit"):
                      office.locator("#departments tbody tr").nth(i).get_attribute("data-state")
                      for i in range(4)}
            assert states == {UNIT: "returned", "224001": "with_errors", "224002": "missing",
                              "224004": "missing"}
            assert "未报送" in office.locator('tr[data-unit="224002"]').inner_text()

            # -- regenerates the consolidation and follows its progress to the outputs
            office.click("#collect")
            office.wait_for_selector("#output-files >> text=汇总表.xlsx", timeout=180_000)
            assert "未报送 2 个单位" in office.inner_text("#job")
            office_shots = _shots(office, "office", tmp_path)
            assert OFFICE_TOKEN not in office.content()
        finally:
            browser.close()
    for shot in department_shots + office_shots:
        assert shot.stat().st_size > 20_000
