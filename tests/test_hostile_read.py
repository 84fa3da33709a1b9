"""The whole reader against hostile and broken returns: never a crash, a hang or a leak.

test_safety.py proves the safety layer part by part; here every case goes through
``read_workbook`` and ``xltargets read`` as a user would run them, in a child process that measures
wall time and peak memory (RSS, so python-calamine's Rust allocations count too).
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from forms import CLEAN, write_fill
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from xltargets.cli import app
from xltargets.errors import WorkbookError
from xltargets.read import read_workbook

try:
    from tests.hostile import corpus as hostile
except ModuleNotFoundError:  # pragma: no cover
    from hostile import corpus as hostile  # type: ignore[no-redef]

SECONDS = 5.0
RSS_BYTES = 500 * 2**20
#: readable workbooks that are not ours: read as "not our form", never accepted
FOREIGN = {"valid", "valid_stored", "xlsm_macros", "huge_dimension", "many_styles",
           "big_shared_strings", "name_spaces", "name_chinese", "name_200_chars", "bad_crc",
           "xml_malformed_sheet"}


def _rewrite(data: bytes, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, change(info.filename, src.read(info.filename)))
    return buf.getvalue()


def our_variants(folder: Path) -> dict[str, Path]:
    """Hostile twists on a real filled return of ours."""
    good = write_fill("hebei-county", CLEAN["hebei-county"][0](), folder / "good.xlsx")
    data = good.read_bytes()
    out = {"good": good}

    def put(name: str, payload: bytes) -> None:
        path = folder / f"{name}.xlsx"
        path.write_bytes(payload)
        out[name] = path

    put("forged_stamp", _rewrite(data, lambda n, d: d.replace(b"<vt:lpwstr>hebei-county<", b"<vt:lpwstr>shanxi-x<")
                                 if n == "docProps/custom.xml" else d))
    put("huge_dimension_ours", _rewrite(data, lambda n, d: d.replace(b'<dimension ref="', b'<dimension ref="A1:XFD1048576" x="')
                                        if n.startswith("xl/worksheets/") else d))
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    put("xml_bomb_in_ours", _rewrite(data, lambda n, d: bomb + d[d.index(b"<worksheet"):]
                                     if n == "xl/worksheets/sheet2.xml" else d))
    put("truncated_ours", data[: len(data) // 2])
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 Attribute VB_Name = \"Module1\" Shell(\"calc\")")
    put("macros_ours", buf.getvalue())
    return out


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile-read")
    built = hostile.build_corpus(folder / "corpus")
    built.update(our_variants(folder))
    return built


_CHILD = r"""
import json, resource, sys, time
from xltargets.errors import WorkbookError
from xltargets.read import read_workbook
for line in sys.stdin:
    name, path = json.loads(line)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    try:
        sub = read_workbook(path)
        outcome = ["read", sub.status, [f.code for f in sub.findings]]
    except WorkbookError as e:
        outcome = ["unreadable", e.code, str(e)]
    except Exception as e:
        outcome = ["CRASH", type(e).__name__, str(e)[:300]]
    seconds = time.perf_counter() - t
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    print(json.dumps([name, outcome, seconds, grew]), flush=True)
"""


@pytest.fixture(scope="module")
def outcomes(cases) -> dict[str, tuple[list, float, int]]:
    lines = "".join(json.dumps([n, str(p)]) + "\n" for n, p in sorted(cases.items()))
    proc = subprocess.run([sys.executable, "-c", _CHILD], input=lines, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = {}
    for line in proc.stdout.splitlines():
        name, outcome, seconds, grew = json.loads(line)
        result[name] = (outcome, seconds, grew)
    assert set(result) == set(cases), "every case is accounted for"
    return result


def test_every_case_is_read_or_refused_with_a_code_in_bounded_time_and_memory(outcomes):
    report = []
    for name, (outcome, seconds, grew) in sorted(outcomes.items()):
        report.append(f"{name:28} {outcome[0]:10} {outcome[1]:24} {seconds * 1000:8.1f} ms {grew / 2**20:7.1f} MB")
        assert outcome[0] != "CRASH", (name, outcome)
        assert seconds < SECONDS, (name, seconds)
        assert grew < RSS_BYTES, (name, grew)
    print("\n".join(report))


def test_only_our_good_returns_are_accepted(outcomes):
    accepted = {n for n, (o, _, _) in outcomes.items() if o[0] == "read"}
    assert accepted == {"good", "huge_dimension_ours", "macros_ours"}
    assert outcomes["macros_ours"][0][2] == ["macros_present"]  # values read, nothing run
    for name in FOREIGN:
        if name in outcomes:
            outcome = outcomes[name][0]
            assert outcome[0] == "unreadable", (name, outcome)
    assert outcomes["forged_stamp"][0][:2] == ["unreadable", "unknown_spec"]
    assert outcomes["xml_bomb_in_ours"][0][:2] == ["unreadable", "xml_forbidden"]
    assert outcomes["truncated_ours"][0][:2] == ["unreadable", "corrupt_zip"]
    assert outcomes["legacy_xls"][0][1] == "legacy_xls"
    assert outcomes["encrypted_xlsx"][0][1] == "encrypted"


def test_cli_read_exits_2_with_one_line_naming_the_file(cases):
    runner = CliRunner()
    for name, path in sorted(cases.items()):
        if name in ("good", "huge_dimension_ours", "macros_ours"):
            continue
        r = runner.invoke(app, ["read", str(path)])
        assert r.exit_code == 2, (name, r.output)
        lines = [line for line in r.output.splitlines() if line.strip()]
        assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in r.output, (name, r.output)
        assert r.exception is None or isinstance(r.exception, SystemExit), (name, r.exception)


# --- fuzzing the reader on mutations of a real return --------------------------------------------

_GOOD = None


def _good_members() -> list[tuple[str, bytes]]:
    global _GOOD
    if _GOOD is None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            data = write_fill("hunan", CLEAN["hunan"][0](), Path(tmp) / "g.xlsx").read_bytes()
        z = zipfile.ZipFile(io.BytesIO(data))
        _GOOD = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    return _GOOD


@st.composite
def mutated(draw) -> bytes:
    members = list(_good_members())
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["drop", "duplicate", "truncate_xml", "shuffle_xml", "flip_xml",
                                   "flip_zip", "cut_zip", "swap_values"]))
        i = rng.randrange(len(members))
        name, data = members[i]
        if op == "drop":
            members.pop(i)
        elif op == "duplicate":
            members.insert(i, (name, data))
        elif op == "truncate_xml":
            members[i] = (name, data[: rng.randrange(len(data) + 1)])
        elif op == "shuffle_xml":
            parts = data.split(b">")
            rng.shuffle(parts)
            members[i] = (name, b">".join(parts))
        elif op == "flip_xml" and data:
            b = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            members[i] = (name, bytes(b))
        elif op == "swap_values":
            members[i] = (name, data.replace(b"<v>", b"<v>-9e999", 1).replace(b't="s"', b't="n"', 3))
        if op in ("flip_zip", "cut_zip"):
            break
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, data in members:
                z.writestr(name, data)
    blob = bytearray(buf.getvalue())
    if op == "flip_zip":
        for _ in range(rng.randint(1, 16)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
    elif op == "cut_zip":
        blob = blob[: rng.randrange(len(blob))]
    return bytes(blob)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(data=mutated())
def test_fuzz_reader_never_crashes_or_hangs(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "f.xlsx"
    path.write_bytes(data)
    started = time.perf_counter()
    try:
        sub = read_workbook(path)
        sub.to_json()
    except WorkbookError as exc:
        assert exc.code and exc.message
    assert time.perf_counter() - started < SECONDS


def test_collect_over_the_corpus_mixed_with_good_returns(tmp_path):
    """Every file accounted for, every good return accepted, nothing hostile accepted."""
    from decimal import Decimal

    from xltargets.collect import collect
    from xltargets.generate import Department, build_template, generate_batch
    from xltargets.spec import load_spec

    inbox = tmp_path / "inbox"
    hostile.build_corpus(inbox / "杂项")
    spec = load_spec("hebei-county")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "unit_code,unit_name,project_code,project_name,budget_total,budget_fiscal\n"
        + "".join(f"22400{i},单位{i},13022522P002H4T10007{i},项目{i},50.00,45.50\n" for i in range(1, 4)),
        encoding="utf-8")
    manifest = generate_batch(spec, 2022, roster, tmp_path / "sent")
    good = []
    for i in range(1, 4):
        fill = CLEAN["hebei-county"][0]()
        fill["部门整体绩效目标"].pop(("unit_code",))
        fill["部门整体绩效目标"].pop(("unit_name",))
        for field in ("project_code", "project_name", "budget_total", "budget_fiscal"):
            fill["项目1"].pop((field,))
        dept = Department(f"22400{i}", f"单位{i}", projects=[{
            "project_code": f"13022522P002H4T10007{i}", "project_name": f"项目{i}",
            "budget_total": Decimal("50.00"), "budget_fiscal": Decimal("45.50")}])
        path = inbox / f"回执{i}.xlsx"
        path.write_bytes(build_template(spec, 2022, department=dept, values=fill).data)
        good.append(path.name)
    result = collect(inbox, tmp_path / "out", manifest=tmp_path / "sent" / "manifest.json", jobs=2,
                     feedback=False)
    rows = {r["file"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["files"]}
    files = sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if not p.is_dir())  # a FIFO counts too
    assert sorted(rows) == files and result.total == len(files)
    assert {n for n, r in rows.items() if r["status"] in ("accepted", "accepted_with_warnings")} == set(good)
    assert result.missing == [] and len(manifest["workbooks"]) == 3


# --- issue 9: cells that made python-calamine abort, read by `xltargets read` in a child ---------

def _members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


@pytest.fixture(scope="module")
def far_cells(tmp_path_factory) -> tuple[dict[str, Path], dict[str, dict]]:
    """Each variant of issue 9's list on a real return of each spec, and each good return's JSON."""
    folder = tmp_path_factory.mktemp("far-cells")
    cases: dict[str, Path] = {}
    good: dict[str, dict] = {}
    for spec_id in ("hebei-county", "hunan"):
        path = write_fill(spec_id, CLEAN[spec_id][0](), folder / f"{spec_id}.xlsx")
        good[spec_id] = read_workbook(path).to_json()
        project = good[spec_id]["projects"][0]["sheet"]
        for name, members in hostile.return_variants(_members(path), project).items():
            case = folder / f"{spec_id}-{name}.xlsx"
            case.write_bytes(hostile.rezip(members))
            cases[f"{spec_id}:{name}"] = case
    return cases, good


def _run_child(args: list[str]) -> tuple[int, str, str, float, int]:
    """Run ``python -m xltargets ARGS``; (returncode, stdout, stderr, CPU seconds, peak RSS bytes)."""
    import os

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "xltargets", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    # wait4 gives this child's own peak RSS (getrusage(RUSAGE_CHILDREN) would be the max of all)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert time.perf_counter() - started < 60, args  # a hang, on a loaded machine
    # the child's own CPU time: what the file costs, whatever else runs on this shared machine
    seconds = usage.ru_utime + usage.ru_stime
    return proc.returncode, out.decode(), err.decode(), seconds, usage.ru_maxrss * 1024


def test_xltargets_read_never_aborts_on_far_cells_and_reads_the_return(far_cells, tmp_path):
    cases, good = far_cells
    report = []
    for name, path in sorted(cases.items()):
        spec_id = name.split(":")[0]
        target = tmp_path / f"{path.stem}.json"
        code, out, err, seconds, rss = _run_child(["read", str(path), "-o", str(target)])
        report.append(f"{name:55} exit {code:3} {seconds * 1000:7.0f} ms {rss / 2**20:6.0f} MB")
        assert code in (0, 1, 2), (name, code, err[-500:])  # a signal gives a negative code
        assert "Traceback" not in err and "panicked" not in err, (name, err[-500:])
        lines = [line for line in (out + err).splitlines() if line.strip()]
        assert len(lines) == 1, (name, lines[:5])
        assert seconds < SECONDS, (name, seconds)
        assert rss < RSS_BYTES, (name, rss)
        # each of these is the good return with far or odd cells outside the form: same values
        assert code == 0, (name, lines)
        got = json.loads(target.read_text(encoding="utf-8"))
        for key in ("department", "projects", "findings", "status"):
            assert got[key] == good[spec_id][key], (name, key)
    print("\n".join(report))


def test_streamed_and_tree_parsed_sheets_give_the_same_cells(far_cells, monkeypatch):
    """The two ways a sheet is read (C tree for normal sizes, streaming beyond) agree."""
    from xltargets.read import _cells, read_raw

    cases, _good = far_cells

    def dump(path: Path) -> list:
        raw = read_raw(path)
        return [(sheet, path_, repr(cell)) for sheet, cells in sorted(raw.cells.items())
                for path_, cell in sorted(cells.items(), key=str)] + \
               [f.to_json() for f in raw.findings]

    tree = {name: dump(path) for name, path in cases.items()}
    monkeypatch.setattr(_cells, "TREE_MAX_TAGS", -1)
    for name, path in cases.items():
        assert dump(path) == tree[name], name
