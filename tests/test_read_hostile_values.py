"""Issue 14 items 1-3: values and sheets that explode, raise or multiply, read by `xltargets read`
in a child process as a user runs it: a finding or a one-line refusal, fast, in bounded memory and
output, never a traceback.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from forms import CLEAN, write_fill

from xltargets.layout import plan
from xltargets.read import Limits, ReadOptions, read_workbook
from xltargets.spec import load_spec

SECONDS = 5.0  # CPU seconds of the child (user + system)
WALL_SECONDS = 60.0  # a hang, on a loaded machine
RSS_BYTES = 500 * 2**20
JSON_BYTES = 200_000


def _run_read(path: Path, out: Path) -> tuple[int, str, float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "xltargets", "read", str(path), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = proc.stdout.read().decode()  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    assert wall < WALL_SECONDS, (path, wall)
    # the child's own CPU time: what the file costs, whatever else runs on this shared machine
    return proc.returncode, text, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def _edit(path: Path, sheet_name: str, edit, out: Path) -> Path:
    import openpyxl

    book = openpyxl.load_workbook(path)
    edit(book[sheet_name])
    book.save(out)
    return out


def _rewrite(path: Path, change, out: Path) -> Path:
    src = zipfile.ZipFile(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
    out.write_bytes(buf.getvalue())
    return out


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("values")
    hebei = write_fill("hebei-county", CLEAN["hebei-county"][0](), folder / "hebei.xlsx")
    hunan = write_fill("hunan", CLEAN["hunan"][0](), folder / "hunan.xlsx")
    hunan_project = plan(load_spec("hunan"), 1).sheets[1].name
    cases: dict[str, Path] = {}

    def cell(name: str, base: Path, sheet: str, ref: str, value, number_format: str | None = None):
        def edit(ws):
            ws[ref].value = value
            if number_format:
                ws[ref].number_format = number_format
        cases[name] = _edit(base, sheet, edit, folder / f"{name}.xlsx")

    cell("money_1e-200000000", hebei, "项目1", "C4", "1e-200000000")
    cell("money_1e999999999", hebei, "项目1", "C4", "1e999999999")
    cell("percent_1e999999999", hebei, "项目1", "B8", "1e999999999")
    cell("money_long_digits", hebei, "项目1", "C4", "9" * 30_000)
    cell("text_30000_chars", hebei, "项目1", "C5", "很长" * 15_000)
    date_ref = _ref_of("hunan", "filled_date")
    cell("date_minus_1e308", hunan, hunan_project, date_ref, -1e308, "yyyy-mm-dd")
    cell("date_1e308", hunan, hunan_project, date_ref, 1e308, "yyyy-mm-dd")
    cell("duration_1e308_in_text", hebei, "项目1", "F11", 1e308, "[h]:mm:ss")
    cell("duration_1e308_in_money", hebei, "项目1", "C4", 1e308, "[h]:mm:ss")
    # -inf cannot be written by a library: the XML says it
    cell("date_minus_inf", hunan, hunan_project, date_ref, -12345.0, "yyyy-mm-dd")
    _rewrite(cases["date_minus_inf"], lambda n, d: d.replace(b"<v>-12345</v>", b"<v>-INF</v>")
             if n.startswith("xl/worksheets/") else d, cases["date_minus_inf"])
    cases["stamp_year_1e999999999"] = _rewrite(
        hebei, lambda n, d: re.sub(rb"(<property[^>]*name=\"xltargets.year\"[^>]*><vt:\w+>)[^<]*",
                                   rb"\g<1>1e999999999", d) if n == "docProps/custom.xml" else d,
        folder / "stamp_year.xlsx")
    assert b"1e999999999" in zipfile.ZipFile(cases["stamp_year_1e999999999"]).read("docProps/custom.xml")
    return cases


def _ref_of(spec_id: str, field: str) -> str:
    layout = plan(load_spec(spec_id), 1)
    return next(i.box.ref for s in layout.sheets for i in s.inputs if i.path == (field,)
                and s.index is not None)


EXPECTED: dict[str, tuple[str, str | None] | None] = {  # case -> (code, cell) naming the value
    "money_1e-200000000": ("invalid_number", "C4"),
    "money_1e999999999": ("invalid_number", "C4"),
    "percent_1e999999999": ("invalid_percent", "B8"),
    "money_long_digits": ("invalid_number", "C4"),
    "text_30000_chars": ("text_too_long", "C5"),
    "date_minus_1e308": ("invalid_date", None),
    "date_1e308": ("invalid_date", None),
    "date_minus_inf": ("invalid_date", None),
    "duration_1e308_in_money": ("invalid_number", "C4"),
    "duration_1e308_in_text": ("text_cell_not_text", "F11"),
    # the properties' stamp is refused; its copy on the lists sheet names the same template
    "stamp_year_1e999999999": None,
}


def test_each_hostile_value_is_a_finding_in_bounded_time_memory_and_output(returns, tmp_path):
    assert set(returns) == set(EXPECTED)
    report = []
    for name, path in sorted(returns.items()):
        target = tmp_path / f"{name}.json"
        code, text, seconds, rss = _run_read(path, target)
        size = target.stat().st_size if target.exists() else 0
        report.append(f"{name:28} exit {code} {seconds * 1000:6.0f} ms {rss / 2**20:5.0f} MB {size:8} B")
        assert code in (0, 1), (name, code, text[-800:])
        assert "Traceback" not in text and len(text.strip().splitlines()) == 1, (name, text[-800:])
        assert seconds < SECONDS and rss < RSS_BYTES and size < JSON_BYTES, (name, seconds, rss, size)
        sub = json.loads(target.read_text(encoding="utf-8"))
        if EXPECTED[name] is None:
            assert sub["status"] == "accepted" and sub["year"] == 2022, (name, sub["findings"])
            continue
        want_code, want_cell = EXPECTED[name]
        hits = [f for f in sub["findings"] if f["code"] == want_code]
        assert hits, (name, [f["code"] for f in sub["findings"]])
        if want_cell:
            assert any(f["cell"] == want_cell for f in hits), (name, hits)
        for finding in sub["findings"]:
            assert len(finding["message"]) <= 500
            assert finding["value"] is None or len(json.dumps(finding["value"])) <= 400, finding
    print("\n".join(report))


def test_an_exploding_number_is_quoted_by_a_short_prefix(returns):
    sub = read_workbook(returns["money_long_digits"])
    finding = next(f for f in sub.findings if f.code == "invalid_number")
    assert "9" * 40 + "…" in finding.message and len(finding.message) < 120
    assert sub.to_json()["projects"][0]["budget_total"] is None


# --- item 3: sheets that multiply ------------------------------------------------------------------

def _many_sheets(base: Path, out: Path, count: int) -> Path:
    """``count`` extra <sheet> entries named 项目N, every one pointing at the first project part."""
    def change(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            rid = re.search('<sheet name="项目1"[^>]*r:id="(rId\\d+)"'.encode(), data).group(1)  # type: ignore[union-attr]
            extra = b"".join(b'<sheet name="\xe9\xa1\xb9\xe7\x9b\xae%d" sheetId="%d" r:id="%s"/>'
                             % (n, 1000 + n, rid) for n in range(2, count + 2))
            return data.replace(b"</sheets>", extra + b"</sheets>")
        return data
    return _rewrite(base, change, out)


@pytest.mark.parametrize("count", [20_000, 2_000, 150])
def test_sheets_sharing_one_part_are_not_our_template(tmp_path, count):
    base = write_fill("hebei-county", CLEAN["hebei-county"][0](), tmp_path / "base.xlsx")
    path = _many_sheets(base, tmp_path / f"many{count}.xlsx", count)
    code, text, seconds, rss = _run_read(path, tmp_path / "out.json")
    assert code == 2 and len(text.strip().splitlines()) == 1 and str(path) in text, text
    assert "不是本系统下发的模板" in text and "Traceback" not in text
    assert seconds < SECONDS and rss < RSS_BYTES
    assert not (tmp_path / "out.json").exists()


def test_project_sheets_are_counted_against_the_limit(tmp_path):
    from forms import write_fill as write

    fill = CLEAN["hebei-county"][0]()
    path = write("hebei-county", fill, tmp_path / "four.xlsx", projects=4)
    assert len(read_workbook(path, ReadOptions(limits=Limits(max_project_sheets=4))).projects) == 4
    from xltargets.errors import WorkbookError

    with pytest.raises(WorkbookError) as caught:
        read_workbook(path, ReadOptions(limits=Limits(max_project_sheets=3)))
    assert caught.value.code == "too_many_projects" and "超过3个" in caught.value.message
