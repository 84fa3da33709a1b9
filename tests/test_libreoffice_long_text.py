"""The longest text a long-text cell accepts is the text its printed row shows (issue 11).

For each long text of each built-in spec (every ``long_text`` field, the first and last row of
every ``text_list``), the longest text the validation allows (the field's ``max_length``: one value
gives the Excel validation and the reader's check, xltargets/cellrules.py) is typed through
LibreOffice's typed-input path, the workbook printed to PDF, and the whole text must be on the
page. A row made shorter or a limit made longer without the other fails here. How the heights and
limits were chosen: docs/specs.md ("Long texts: what a printed row holds").
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from libreoffice import client
from long_text import long_text_cells, marked_text, shown

from xltargets.generate import build_template
from xltargets.read import read_workbook
from xltargets.spec import builtin_ids, load_spec

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not client.available() or shutil.which("pdftotext") is None,
                       reason="LibreOffice headless or pdftotext not installed"),
]

CASES = [(spec_id, *cell) for spec_id in builtin_ids() for cell in long_text_cells(spec_id)]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("long")
    jobs, out = [], {}
    for spec_id in builtin_ids():
        src = tmp / f"{spec_id}.xlsx"
        src.write_bytes(build_template(load_spec(spec_id), 2025, projects=1).data)
    for i, (spec_id, sheet, _field, max_length, ref) in enumerate(CASES):
        dst = tmp / f"{i}.xlsx"
        jobs.append({"op": "type", "src": str(tmp / f"{spec_id}.xlsx"), "dst": str(dst),
                     "cells": [{"sheet": sheet, "address": ref, "value": marked_text(max_length)}]})
        jobs.append({"op": "pdf", "src": str(dst), "dst": str(dst.with_suffix(".pdf"))})
    for result in client.run_jobs(jobs, timeout=1800):
        client.ensure_ok(result)
    for i in range(len(CASES)):
        pdf = tmp / f"{i}.pdf"
        out[i] = (tmp / f"{i}.xlsx", subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True,
            timeout=60).stdout)
    return out


@pytest.mark.parametrize("i", range(len(CASES)),
                         ids=[f"{c[0]}-{c[2]}-{c[4]}" for c in CASES])
def test_longest_allowed_text_prints_whole(printed, i):
    spec_id, sheet, field, max_length, ref = CASES[i]
    text = marked_text(max_length)
    xlsx, page = printed[i]
    assert shown(text, page) == max_length, f"{spec_id} {sheet}!{ref} {field}: only " \
        f"{shown(text, page)} of {max_length} characters printed"
    # and the reader takes it without a length finding: both faces agree on the same limit
    findings = read_workbook(xlsx).to_json()["findings"]
    assert not [f for f in findings if f.get("cell") == ref and f.get("sheet") == sheet
                and "long" in f["code"]], findings
