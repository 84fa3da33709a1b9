"""How much text each long-text cell of each spec shows (and prints) in LibreOffice.

For every ``long_text`` field and ``text_list`` row of every built-in spec, a template is generated,
a text of ``--length`` full-width characters (default: the field's ``max_length``) is typed into the
cell through LibreOffice's typed-input path, the workbook is printed to PDF, and ``pdftotext``
tells how many characters of it are on the page: a cell shows and prints whole lines only, and the
PDF holds only what the cell shows. The text is made of numbered 8-character blocks (tests/long_text.py),
so the last block on the page says how far the text got.

    python tools/measure_rows.py                 # every field at its max_length
    python tools/measure_rows.py --length 2000   # what each row holds of a 2,000-character text

The figures are in docs/specs.md ("Long texts: what a row holds"); tests/test_libreoffice_long_text.py
asserts that each field's longest allowed text is printed whole.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from libreoffice import client  # noqa: E402
from long_text import long_text_cells, marked_text, shown  # noqa: E402

from xltargets.generate import build_template  # noqa: E402
from xltargets.spec import builtin_ids, load_spec  # noqa: E402


def pdf_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout


def measure(length: int | None) -> list[tuple[str, str, str, int, int]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs, cases = [], []
        for spec_id in builtin_ids():
            built = build_template(load_spec(spec_id), 2025, projects=1)
            src = Path(tmp) / f"{spec_id}.xlsx"
            src.write_bytes(built.data)
            sheets = [s.name for s in built.layout.sheets]
            for sheet, field, max_length, ref in long_text_cells(spec_id):
                n = length or max_length
                text = marked_text(n)
                dst = Path(tmp) / f"{spec_id}-{field}-{ref}.xlsx"
                pdf = dst.with_suffix(".pdf")
                jobs.append({"op": "type", "src": str(src), "dst": str(dst),
                             "cells": [{"sheet": sheet, "address": ref, "value": text}]})
                jobs.append({"op": "pdf", "src": str(dst), "dst": str(pdf)})
                cases.append((spec_id, sheet, f"{field} {ref}", text, pdf, sheets.index(sheet) + 1))
        for result in client.run_jobs(jobs, timeout=1800):
            client.ensure_ok(result)
        for spec_id, sheet, field, text, pdf, page in cases:
            rows.append((spec_id, sheet, field, len(text), shown(text, pdf_text(pdf, page))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=None)
    args = parser.parse_args()
    print("spec\tsheet\tfield\ttyped\tprinted")
    for row in measure(args.length):
        print("\t".join(map(str, row)))


if __name__ == "__main__":
    main()
