"""Render one template of each spec to PNG for the README: the picture a department gets.

    python tools/render_docs.py        (needs LibreOffice headless and pdftoppm)

Generates a roster-prefilled workbook per spec, converts it to PDF with LibreOffice (the print
setup decides the pages: A4, one page wide) and each PDF page to a PNG in docs/images/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xltargets.generate import Department, build_template  # noqa: E402
from xltargets.spec import load_spec  # noqa: E402

CASES = {
    "hebei-county": (2022, Department("224002", "中共乐亭县委网络安全和信息化委员会办公室", "130225", projects=[
        {"project_code": "13022522P002H4T100074", "project_name": "购买舆情监测服务",
         "budget_total": Decimal("50.00"), "budget_fiscal": Decimal("50.00")}])),
    "hunan": (2024, Department("401001", "中共沅江市委网络安全和信息化委员会办公室", projects=[
        {"project_name": "B网络舆情监测管理平台维护费", "budget_local": Decimal("3.2"),
         "budget_upper": Decimal("0")}])),
}


def pdf_of(xlsx: Path, outdir: Path) -> Path:
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(outdir), str(xlsx)],
            check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return outdir / (xlsx.stem + ".pdf")


def main() -> None:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        for spec_id, (year, dept) in CASES.items():
            xlsx = Path(tmp) / f"{spec_id}.xlsx"
            xlsx.write_bytes(build_template(load_spec(spec_id), year, department=dept).data)
            pdf = pdf_of(xlsx, Path(tmp))
            subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(out / spec_id)], check=True)
    for png in sorted(out.glob("*.png")):
        print(png.relative_to(ROOT))


if __name__ == "__main__":
    main()
