"""Render one template of each spec to PNG for the README: the picture a department gets.

    python tools/render_docs.py        (needs LibreOffice headless and pdftoppm)

Generates a roster-prefilled workbook per spec, has LibreOffice print it to PDF (the print setup
decides the pages: A4, one page wide, each form sheet on one page) and turns each PDF page into
a PNG in docs/images/ (``<spec>-<page>.png``). Uses the LibreOffice harness of the tests
(tests/libreoffice), which is not part of the package.
"""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from libreoffice import client  # noqa: E402

from xltargets.generate import Department, build_template  # noqa: E402
from xltargets.spec import load_spec  # noqa: E402

CASES = {
    "hebei-county": (2022, Department("224002", "中共乐亭县委网络安全和信息化委员会办公室", "130225", projects=[
        {"project_code": "13022522P002H4T100074", "project_name": "购买舆情监测服务",
         "budget_total": Decimal("50.00"), "budget_fiscal": Decimal("50.00")}])),
    "hunan": (2024, Department("401001", "中共沅江市委网络安全和信息化委员会办公室", projects=[
        {"project_name": "B网络舆情监测管理平台维护费", "budget_local": Decimal("3.2"),
         "budget_upper": Decimal("0")}])),
    # money in 元 as the Shanghai forms print it (771,325,800.00); the roster row of
    # examples/roster-shanghai.csv
    "shanghai-district": (2026, Department("PT0301", "上海市普陀区建设和管理委员会", projects=[
        {"project_name": "真北路（铜川路—金沙江路）道路新建工程",
         "supervisor": "上海市普陀区建设和管理委员会", "implementer": "上海市普陀区建设工程管理事务中心",
         "total_funds": Decimal("771325800.00"), "total_fiscal": Decimal("771325800.00"),
         "year_funds": Decimal("226145100.00"), "year_appropriation": Decimal("180000000.00"),
         "year_carryover": Decimal("46145100.00")}])),
}

# pictures of other things live there too (web-*.png, scaling.png): only these are replaced
PREFIXES = tuple(CASES)


def main() -> None:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        if old.stem.rsplit("-", 1)[0] in PREFIXES:
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for spec_id, (year, dept) in CASES.items():
            xlsx = Path(tmp) / f"{spec_id}.xlsx"
            xlsx.write_bytes(build_template(load_spec(spec_id), year, department=dept).data)
            jobs.append({"op": "pdf", "src": xlsx, "dst": Path(tmp) / f"{spec_id}.pdf"})
        for result in client.run_jobs(jobs):
            client.ensure_ok(result)
        for spec_id in CASES:
            for png in client.to_png(Path(tmp) / f"{spec_id}.pdf", out / spec_id, dpi=70):
                print(png.relative_to(ROOT))


if __name__ == "__main__":
    main()
