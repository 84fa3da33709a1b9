"""The office page of a city-sized round in real headless Chromium: 130 departments, filtered by
state, searched by name or code, and paged — by clicking, as the office does.

The returns are uploaded over HTTP (a third with a mistake); the page is then read as shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from serve_harness import (
    OFFICE_TOKEN,
    ServerProcess,
    filled_return,
    send_out,
    upload,
    write_roster,
)

pytest.importorskip("starlette")
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
DEPARTMENTS = 130
RETURNED = 24  # the first 24 departments upload; every third of them with a mistake

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


def _units(page) -> list[tuple[str, str]]:
    rows = page.locator("#departments tbody tr")
    return [(rows.nth(i).get_attribute("data-unit"), rows.nth(i).get_attribute("data-state"))
            for i in range(rows.count())]


def test_office_filters_searches_and_pages_in_chromium(tmp_path):
    manifest_path = send_out(tmp_path / "sent", write_roster(tmp_path / "roster.csv", DEPARTMENTS))
    manifest = json.loads(manifest_path.read_text("utf-8"))
    codes = [w["unit_code"] for w in manifest["workbooks"]]
    mistakes = {code for i, code in enumerate(codes[:RETURNED]) if i % 3 == 0}
    with ServerProcess(tmp_path / "root", manifest_path) as srv, httpx.Client(timeout=60) as client:
        links = srv.links()
        for code in codes[:RETURNED]:
            r = upload(client, srv.api(links[code]), filled_return(manifest, code, mistake=code in mistakes))
            assert r.status_code == 200, r.text
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--lang=zh-CN"])
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 900},
                                           locale="zh-CN").new_page()
                page.goto(srv.base + "/office")
                page.get_by_label("办公室口令").fill(OFFICE_TOKEN)
                page.get_by_role("button", name="登录").click()
                page.wait_for_selector("#departments")

                # page 1 of 2: the first hundred departments in the manifest's order
                assert page.inner_text("#count-total") == str(DEPARTMENTS)
                assert "共 130 个单位，第 1/2 页" in page.inner_text("#shown")
                first = _units(page)
                assert [u for u, _ in first] == codes[:100]
                page.get_by_role("link", name="下一页").click()
                page.wait_for_selector("text=第 2/2 页")
                assert [u for u, _ in _units(page)] == codes[100:]
                assert page.get_by_role("link", name="下一页").count() == 0

                # only the returns with errors: exactly the uploads with a mistake
                page.click('#filters a[data-filter="with_errors"]')
                page.wait_for_selector('#filters a[data-filter="with_errors"][aria-current="page"]')
                shown = _units(page)
                assert {u for u, _ in shown} == mistakes
                assert {s for _, s in shown} == {"with_errors"}
                assert f"有错误待修改（{len(mistakes)}）" in page.inner_text("#filters")
                assert page.locator("#pager").count() == 0  # one page
                page.screenshot(path=str(tmp_path / "office-with-errors.png"))

                # the missing ones: everyone who did not upload, over two pages
                page.click('#filters a[data-filter="missing"]')
                page.wait_for_selector("text=共 106 个单位，第 1/2 页")
                assert {s for _, s in _units(page)} == {"missing"}

                # search within a filter, then clear it
                page.click('#filters a[data-filter="all"]')
                page.wait_for_selector('#filters a[data-filter="all"][aria-current="page"]')
                page.fill("#q", "测试单位07")
                page.get_by_role("button", name="查找").click()
                page.wait_for_selector("text=共 1 个单位")
                assert _units(page) == [(codes[6], "with_errors")]  # 7th department: i = 6
                page.fill("#q", codes[12])
                page.get_by_role("button", name="查找").click()
                page.wait_for_selector(f'#departments tr[data-unit="{codes[12]}"]')
                assert [u for u, _ in _units(page)] == [codes[12]]
                page.fill("#q", "没有这个单位")
                page.get_by_role("button", name="查找").click()
                page.wait_for_selector("text=没有符合条件的单位")
                assert _units(page) == []
                page.get_by_role("link", name="清除").click()
                page.wait_for_selector("text=共 130 个单位，第 1/2 页")

                # an address with nonsense in it is the first page of all, not an error
                page.goto(srv.base + "/office?state=x&page=-3&q=")
                assert "共 130 个单位，第 1/2 页" in page.inner_text("#shown")
                page.goto(srv.base + "/office?page=99")
                assert "第 2/2 页" in page.inner_text("#shown")
            finally:
                browser.close()
