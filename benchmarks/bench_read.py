"""Read + check time per workbook, and start-up of the CLI, as ratios to baselines measured in
the same run.

    python benchmarks/bench_read.py [--files 200] [--runs 10] [--json out.json]
                                    [--save-json before.json | --compare-json before.json]

Builds filled workbooks of both specs (department sheet + 4 project sheets, indicator tables
filled: a 6-sheet form like the one EXCEL-FACTS.md measured), then times per file, interleaved
so machine noise hits all alike:

* floor: python-calamine opening the file and dumping every cell of every sheet;
* naive: openpyxl full load (what most scripts do), reading the same input cells;
* xltargets: ``read_workbook`` = safety checks + names/stamp parts + values + normalize + checks;

the first two also in CPU time of the process (``time.process_time``): on a machine shared with
other work the wall-time ratio grows with the load, the CPU-time one much less.

and, in fresh processes, interleaved ``--runs`` times each (with bytecode and the spec cache, as
an installed package runs after its first command: see ``startup_env``):

* ``python -c pass`` (the floor of any command);
* ``xltargets read FILE -o OUT`` (start-up, imports and one read);
* ``xltargets --help``.

``--save-json`` writes every file's submission JSON (without ``source``, which holds file times);
``--compare-json`` fails unless this run gives the very same JSON: a speed change must not change
a single value or finding (the corpus is rebuilt identically on every run).

Machines are noisy: only the ratios mean anything, never the absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from forms import CLEAN, write_fill  # noqa: E402

from xltargets.layout import plan  # noqa: E402
from xltargets.read import read_workbook  # noqa: E402
from xltargets.spec import load_spec  # noqa: E402

PROJECTS = 4


def multi_project_fill(spec_id: str, projects: int = PROJECTS) -> dict:
    """The clean form of tests/forms.py with its project sheet repeated ``projects`` times,
    the department totals adjusted so the form stays free of findings."""
    make, _year = CLEAN[spec_id]
    fill: dict = {}
    for sheet, values in make().items():
        if sheet == "项目1":
            for k in range(1, projects + 1):
                fill[f"项目{k}"] = dict(values)
        else:
            fill[sheet] = dict(values)
    if spec_id == "hunan":
        dept = fill["部门整体支出绩效目标表"]
        dept[("expense_project",)] = Decimal("9.60") * projects
        dept[("expense_basic",)] = Decimal("109.04") - Decimal("9.60") * projects
    return fill


def build(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        spec_id = "hebei-county" if i % 2 == 0 else "hunan"
        paths.append(write_fill(spec_id, multi_project_fill(spec_id),
                                folder / f"{i:05d}_{spec_id}.xlsx", projects=PROJECTS))
    return paths


def calamine_dump(path: Path) -> int:
    wb = CalamineWorkbook.from_path(str(path))
    n = 0
    for name in wb.sheet_names:
        n += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
    wb.close()
    return n


_layouts: dict[str, object] = {}


def openpyxl_naive(path: Path) -> int:
    spec_id = "hebei-county" if "hebei" in path.name else "hunan"
    layout = _layouts.get(spec_id) or plan(load_spec(spec_id), PROJECTS)
    _layouts[spec_id] = layout
    wb = openpyxl.load_workbook(path, data_only=True)
    n = 0
    for sheet in layout.sheets:  # type: ignore[attr-defined]
        ws = wb[sheet.name]
        for inp in sheet.inputs:
            if ws.cell(inp.box.r1 + 1, inp.box.c1 + 1).value is not None:
                n += 1
    return n


def ours(path: Path) -> int:
    sub = read_workbook(path)
    assert not sub.errors, [f.message for f in sub.errors][:3]
    return len(sub.projects)


def wall(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds of a child process, and its CPU seconds (user + system, from wait4: what
    it cost, whatever else runs on the machine)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, command)
    return elapsed, usage.ru_utime + usage.ru_stime


def startup_env(folder: Path, bytecode: bool = True) -> dict[str, str]:
    """The child processes' environment: as an installed package runs.

    pip compiles an installed package's modules to bytecode; a checkout run with
    PYTHONDONTWRITEBYTECODE set (as some sandboxes do) would compile every module of xltargets
    from source on every start, timing the compiler rather than the start-up. The children write
    their bytecode into a folder of this run (PYTHONPYCACHEPREFIX: nothing lands in the
    checkout), and keep the spec cache (xltargets.spec._cache) in another; the warm-up run
    fills both, as a user's first command does."""
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    else:  # --no-bytecode: a checkout without __pycache__ compiles its modules on every start
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    env["XLTARGETS_CACHE_DIR"] = str(folder / "cache")
    return env


def startup(sample: Path, out: Path, runs: int, bytecode: bool = True
            ) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall seconds and median CPU seconds of the three commands, interleaved."""
    python = sys.executable
    env = startup_env(out.parent, bytecode)
    # -P: the working directory is not put on the path (a checkout there would be imported
    # instead of the one this run measures: PYTHONPATH's, else the installed package)
    commands = {
        "python_pass": [python, "-P", "-c", "pass"],
        "xltargets_read": [python, "-P", "-m", "xltargets", "read", str(sample), "-o", str(out)],
        "xltargets_help": [python, "-P", "-m", "xltargets", "--help"],
    }
    for command in commands.values():  # warm the page cache, bytecode and spec cache
        wall(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            elapsed, used = wall(command, env)
            times[name].append(elapsed)
            cpu[name].append(used)
    return ({name: statistics.median(values) for name, values in times.items()},
            {name: statistics.median(values) for name, values in cpu.items()})


def stages(paths: list[Path], rounds: int = 5) -> dict[str, float]:
    """Median CPU milliseconds of each step of ``read_workbook`` (xltargets/pipeline.py) per file,
    the steps of ``read_raw`` among them, next to the calamine dump of the same file."""
    from xltargets.checks import run_checks
    from xltargets.form import normalize
    from xltargets.read import _cells, _reader
    from xltargets.read._seen import seen_values
    from xltargets.submission import build_submission

    steps: dict[str, list[float]] = {}
    current: dict[str, float] = {}
    originals: list[tuple[object, str, object]] = []

    def timed(module: object, name: str) -> None:
        original = getattr(module, name)
        originals.append((module, name, original))

        def wrapper(*args: object, **kwargs: object) -> object:
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                current[name] = current.get(name, 0.0) + time.process_time() - started

        setattr(module, name, wrapper)

    raw_steps = ("open_package", "workbook_parts", "read_styles", "_stamp", "_choose_spec",
                 "plan", "read_sheet", "_resolve", "_check_labels", "_check_live", "_tampered",
                 "_inputs")
    for name in raw_steps:
        if hasattr(_reader, name):
            timed(_reader, name)
    if hasattr(_cells, "scan"):  # (an older reader, timed with this script, has none)
        timed(_cells, "scan")
    try:
        for _ in range(rounds):
            for path in paths:
                current.clear()
                c0 = time.process_time()
                calamine_dump(path)
                c1 = time.process_time()
                raw = _reader.read_raw(path)
                c2 = time.process_time()
                seen, seen_findings = seen_values(raw)
                c3 = time.process_time()
                values = normalize(raw.spec, raw.layout, seen, year=raw.year,
                                   region=raw.stamp.region_code if raw.stamp else "")
                c4 = time.process_time()
                found = run_checks(values)
                c5 = time.process_time()
                build_submission(values, [*raw.findings, *seen_findings, *found], raw.source)
                c6 = time.process_time()
                row = {"calamine dump": c1 - c0, "read_raw": c2 - c1,
                       **{f"  {k}": v for k, v in current.items()},
                       "seen_values": c3 - c2, "normalize": c4 - c3, "run_checks": c5 - c4,
                       "build_submission": c6 - c5, "read_workbook (sum)": c6 - c1}
                for key, value in row.items():
                    steps.setdefault(key, []).append(value)
    finally:
        for module, name, original in originals:  # the timing is over
            setattr(module, name, original)
    return {key: statistics.median(values) * 1000 for key, values in steps.items()}


_COUNTED = r"""
import sys
from pathlib import Path
paths = sorted(Path(sys.argv[1]).glob("*.xlsx"))
if sys.argv[2] == "calamine":
    from python_calamine import CalamineWorkbook

    def one(path):
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
        wb.close()
else:
    from xltargets.read import read_workbook as one
for path in paths:  # warm: imports, spec, layout, the memos by bytes
    one(path)
for _ in range(int(sys.argv[3])):
    for path in paths:
        one(path)
"""


def instructions(folder: Path, files: int, rounds: int = 3) -> dict[str, float] | None:
    """Machine instructions per file of the calamine dump and of read_workbook, counted by
    valgrind (callgrind) in child processes: the difference between ``rounds`` passes over the
    corpus and none, so start-up and warming cancel out. Unlike time, the count does not move
    with the machine's load; it is not time either (Rust and C run more instructions a cycle
    than the interpreter does), so it compares two versions of our code, not us with calamine."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    out: dict[str, float] = {}
    for what in ("calamine", "xltargets"):
        counts = []
        for n in (0, rounds):
            # (-P: the code measured is PYTHONPATH's or the installed one, as in this process,
            # never a checkout that happens to be the working directory)
            proc = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                   sys.executable, "-P", "-c", _COUNTED, str(folder), what, str(n)],
                                  capture_output=True, text=True, check=True)
            counts.append(int(proc.stderr.rsplit("Collected :", 1)[1].split()[0]))
        out[what] = (counts[1] - counts[0]) / (rounds * files) / 1e6
    return out


def corpus_json(paths: list[Path]) -> dict[str, object]:
    out: dict[str, object] = {}
    for path in paths:
        data = read_workbook(path).to_json()
        data.pop("source", None)
        out[path.name] = data
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--naive-every", type=int, default=5,
                    help="time openpyxl on every k-th file only (it is ~100x slower)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--runs", type=int, default=10, help="fresh processes per start-up measure")
    ap.add_argument("--save-json", type=Path, help="write the corpus's submission JSON here")
    ap.add_argument("--compare-json", type=Path, help="fail unless the JSON equals this file's")
    ap.add_argument("--no-bytecode", action="store_true",
                    help="start-up without bytecode: every module compiled from source each time")
    ap.add_argument("--stages", action="store_true",
                    help="also print the CPU time of each step of a read (where the time goes)")
    ap.add_argument("--instructions", action="store_true",
                    help="also count machine instructions per file with valgrind (load-proof)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = build(Path(tmp), args.files)
        build_s = time.perf_counter() - t0
        for p in paths[:4]:  # warm caches (spec load, layout plan) outside the timing
            ours(p)
            calamine_dump(p)
        times: dict[str, list[float]] = {"calamine_dump": [], "openpyxl_full": [], "xltargets_read": []}
        # CPU time of this process for the same calls: on a shared machine a slower call is more
        # often preempted, which inflates wall-time ratios; CPU time is not charged for waiting
        cpu: dict[str, list[float]] = {"calamine_dump": [], "xltargets_read": []}
        pairs: list[tuple[str, float]] = []
        for i, p in enumerate(paths):
            for name, fn in (("calamine_dump", calamine_dump), ("xltargets_read", ours)):
                c = time.process_time()
                t = time.perf_counter()
                fn(p)
                times[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
            if i % args.naive_every == 0:
                t = time.perf_counter()
                openpyxl_naive(p)
                times["openpyxl_full"].append(time.perf_counter() - t)
        med = {k: statistics.median(v) for k, v in times.items()}
        med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
        pairs = [("xltargets / calamine dump", med["xltargets_read"] / med["calamine_dump"]),
                 ("same, CPU time", med_cpu["xltargets_read"] / med_cpu["calamine_dump"]),
                 ("xltargets / openpyxl full load", med["xltargets_read"] / med["openpyxl_full"])]
        start, start_cpu = startup(paths[0], Path(tmp) / "out.json", args.runs,
                                   bytecode=not args.no_bytecode)
        pairs += [("`xltargets read FILE` / python -c pass",
                   start["xltargets_read"] / start["python_pass"]),
                  ("same, CPU time ", start_cpu["xltargets_read"] / start_cpu["python_pass"]),
                  ("`xltargets --help` / python -c pass",
                   start["xltargets_help"] / start["python_pass"]),
                  ("same, CPU time  ", start_cpu["xltargets_help"] / start_cpu["python_pass"])]
        steps = stages(paths[:40]) if args.stages else None
        counted = instructions(Path(tmp), len(paths)) if args.instructions else None
        identical = None
        if args.save_json or args.compare_json:
            data = corpus_json(paths)
            if args.save_json:
                args.save_json.write_text(json.dumps(data, ensure_ascii=False, indent=1,
                                                     sort_keys=True), encoding="utf-8")
            if args.compare_json:
                before = json.loads(args.compare_json.read_text(encoding="utf-8"))
                changed = sorted(name for name in set(before) | set(data)
                                 if before.get(name) != data.get(name))
                identical = not changed
    result = {
        "files": args.files,
        "sheets_per_file": 1 + PROJECTS + 2,
        "build_seconds": round(build_s, 2),
        "median_ms": {k: round(v * 1000, 3) for k, v in med.items()},
        "median_cpu_ms": {k: round(v * 1000, 3) for k, v in med_cpu.items()},
        "startup_ms": {k: round(v * 1000, 1) for k, v in start.items()},
        "startup_cpu_ms": {k: round(v * 1000, 1) for k, v in start_cpu.items()},
        "ratios": {k: round(v, 3) for k, v in pairs},
        "targets": {"xltargets / calamine dump": 2.5, "same, CPU time": 2.5,
                    "`xltargets read FILE` / python -c pass": 10,
                    "`xltargets --help` / python -c pass": 8},
        "json_identical": identical,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    print(f"{'measure':<40}{'median ms':>12}")
    for k, v in med.items():
        print(f"{k + ' (per file)':<40}{v * 1000:>12.3f}")
    for k, v in med_cpu.items():
        print(f"{k + ' (per file, CPU)':<40}{v * 1000:>12.3f}")
    for k, v in start.items():
        print(f"{k + ' (process)':<40}{v * 1000:>12.1f}")
    for k, v in start_cpu.items():
        print(f"{k + ' (process, CPU)':<40}{v * 1000:>12.1f}")
    print()
    targets = result["targets"]
    for k, v in pairs:
        target = targets.get(k)  # type: ignore[union-attr]
        print(f"{k:<40}{v:>11.2f}x" + (f"   (target <= {target}x)" if target else ""))
    if steps is not None:
        result["stages_cpu_ms"] = {k: round(v, 3) for k, v in steps.items()}
        print(f"\n{'step (CPU, median per file)':<40}{'ms':>12}")
        for k, v in steps.items():
            print(f"{k:<40}{v:>12.3f}")
    if counted is not None:
        result["instructions_millions_per_file"] = {k: round(v, 3) for k, v in counted.items()}
        print(f"\n{'instructions per file (valgrind)':<40}{'millions':>12}")
        for k, v in counted.items():
            print(f"{k:<40}{v:>12.2f}")
    if identical is not None:
        print(f"\nJSON of the corpus identical to {args.compare_json}: {identical}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if identical is False:
        sys.exit(1)


if __name__ == "__main__":
    main()
