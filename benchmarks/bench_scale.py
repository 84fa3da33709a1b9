"""Province scale, in one command: generate, read + checks, collect, memory; ratios and JSON.

    python benchmarks/bench_scale.py                      # N = 2,000 returns of each spec
    python benchmarks/bench_scale.py --n 20000 --json bench-scale.json \\
        --plot docs/images/scaling.png --sizes 500,2000,5000,20000

**The corpus.** For each spec (hebei-county, hunan), a province of N departments, each with 4
projects: its template generated from a synthetic roster (unit code and name, project codes and
names prefilled and locked, a distribution manifest as ``generate --roster`` writes it), filled
in as a department would, saved. Every tenth return has an error (a budget that does not add
up: ``rejected``, so it gets a feedback copy); every 50th department returns nothing
(``missing``); every 100th returns twice (a corrected resend: ``duplicate``), and the inbox has
a ``.DS_Store`` and a text file named ``.xlsx`` (``ignored``, ``unreadable``). Every return is a
distinct department with its own template, so nothing is deduplicated away. The workbooks are
built in a process pool once and cached under ``--cache`` (default
``/tmp/xltargets-bench``): a later run with the same or a smaller N only links them into inbox
folders (hard links, so each size costs no disk).

**Measured in the same run, on the same files:**

* generate per workbook: ``build_template`` against bare XlsxWriter replaying the same calls,
  and against XlsxWriter with the generator's formula cache (like for like, target ≤ 1.3×;
  ``bench_generate.measure``);
* read + checks per workbook: ``read_workbook`` on a sample of the corpus, interleaved with
  the python-calamine cell dump (the floor; target ≤ 2×) and the openpyxl full load (the naive
  reader), as ``bench_read`` does;
* a feedback copy per copy (``feedback_workbook`` of a rejected return);
* collect of the whole inbox of each spec, as the command line runs it (``python -m xltargets
  collect INBOX --out OUT --manifest manifest.json --jobs J``, a child process, wall time from
  start to exit, all outputs), with ``--jobs 1`` and ``--jobs 2`` without feedback copies, and
  with the default options (feedback copies on) at ``--jobs 1`` and ``--jobs 2``, their cost
  reported per copy. Targets: ``--jobs 1`` with the default options ≤ 6× the calamine dump per
  file of the inbox (the dump's median per file over a sample of the corpus, measured right
  before and right after that run); < 90 s for 20,000 returns at
  ``--jobs 2``;
* peak memory of collect: the **process tree** (the collect process, its fork server and its
  workers) sampled every 0.5 s, as the sum of each process's PSS (proportional set size: pages
  shared after a fork count once, split between the sharers; RSS would count them once per
  worker). Also each process's own peak RSS (``VmHWM``): the parent's and the largest worker's.
  Target: the tree peak at the largest N within 20% of that at the smallest;
* growth with N: collect (``--jobs 2``, no feedback) at every ``--sizes`` N, time and memory;
  ``--plot`` draws both against N (needs matplotlib: ``pip install -e '.[bench]'``).

Machines are noisy: the ratios are what the targets are about; times are this machine's.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import bench_generate  # noqa: E402
import bench_read  # noqa: E402
from forms import CLEAN  # noqa: E402

from xltargets.generate import MANIFEST_FORMAT, Department, build_template  # noqa: E402
from xltargets.spec import load_spec  # noqa: E402
from xltargets.spec.load import spec_hash  # noqa: E402

SPECS = ("hebei-county", "hunan")
PROJECTS = 4
CORPUS_VERSION = 1  # bump when the corpus changes: the cache is rebuilt
REJECT_EVERY, MISSING_EVERY, RESEND_EVERY = 10, 50, 100
MIB = 2**20


# -- the corpus ----------------------------------------------------------------------------------

def _department(spec_id: str, i: int, resend: bool) -> Department:
    code = f"{100000 + i:06d}"
    if spec_id == "hebei-county":
        projects = [{"project_code": f"13022522P{i:06d}{k:06d}", "project_name": f"项目{i}-{k + 1}"}
                    for k in range(PROJECTS)]
    else:
        projects = [{"project_name": f"项目{i}-{k + 1}"} for k in range(PROJECTS)]
    return Department(code, f"第{i}测试单位", "130225", projects=projects)


def _fill(spec_id: str, i: int, resend: bool) -> dict[str, dict[tuple[str | int, ...], Any]]:
    fill: dict[str, dict[tuple[str | int, ...], Any]] = bench_read.multi_project_fill(spec_id, PROJECTS)
    # distinct text in every return (and in a resend): no two files alike
    for k in range(1, PROJECTS + 1):
        project = fill[f"项目{k}"]
        key = ("funds_use",) if spec_id == "hebei-county" else ("period_goal",)
        project[key] = f"{project[key]}（第{i}单位第{k}项目{'，更正稿' if resend else ''}）"
    if i % REJECT_EVERY == 4 and not resend:
        # an error the office sends back: the project's budget does not add up
        if spec_id == "hebei-county":
            fill["项目2"][("budget_other",)] = Decimal("5.50")
        else:
            fill["部门整体支出绩效目标表"][("income_general",)] = Decimal("100.00")
    return fill


def _build_one(job: tuple[str, int, bool, str]) -> dict[str, Any]:
    spec_id, i, resend, path = job
    spec = load_spec(spec_id)
    year = CLEAN[spec_id][1]
    dept = _department(spec_id, i, resend)
    built = build_template(spec, year, department=dept, values=_fill(spec_id, i, resend))
    tmp = Path(path + ".tmp")
    tmp.write_bytes(built.data)
    os.replace(tmp, path)
    return {"i": i, "resend": resend, "file": Path(path).name, "unit_code": dept.unit_code,
            "unit_name": dept.unit_name, "template_id": built.stamp.template_id,
            "projects": PROJECTS}


def _versioned(spec_id: str) -> str:
    """The spec's cache folder name: a changed spec (its hash) gets a new corpus, else every
    cached return would be read with a ``spec_changed`` warning (and a feedback copy)."""
    return f"{spec_id}-{spec_hash(load_spec(spec_id))[:8]}"


def build_corpus(cache: Path, n: int, jobs: int) -> dict[str, dict[str, Any]]:
    """N departments of each spec, built once (and then only the ones a larger N adds)."""
    corpora = {}
    for spec_id in SPECS:
        folder = cache / f"v{CORPUS_VERSION}" / _versioned(spec_id)
        folder.mkdir(parents=True, exist_ok=True)
        index_path = folder / "index.json"
        index: dict[str, Any] = {}
        if index_path.exists():
            index = json.loads(index_path.read_text(encoding="utf-8"))
        todo = []
        for i in range(n):
            for resend in (False, True) if i % RESEND_EVERY == 1 else (False,):
                key = f"{i}{'r' if resend else ''}"
                name = f"{spec_id}_{i:06d}{'_更正' if resend else ''}.xlsx"
                if key not in index or not (folder / name).exists():
                    todo.append((spec_id, i, resend, str(folder / name)))
        if todo:
            t0 = time.perf_counter()
            print(f"building {len(todo)} workbooks of {spec_id} ({jobs} processes)…", flush=True)
            with ProcessPoolExecutor(jobs) as pool:
                for k, done in enumerate(pool.map(_build_one, todo, chunksize=64), start=1):
                    index[f"{done['i']}{'r' if done['resend'] else ''}"] = done
                    if k % 5000 == 0:
                        index_path.write_text(json.dumps(index), encoding="utf-8")
                        print(f"  {k}/{len(todo)}", flush=True)
            index_path.write_text(json.dumps(index), encoding="utf-8")
            print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
        corpora[spec_id] = {"folder": folder, "index": index}
    return corpora


def make_inbox(cache: Path, corpus: dict[str, Any], spec_id: str, n: int) -> tuple[Path, Path, int]:
    """The inbox of a province of n departments (hard links into the corpus) and its manifest."""
    root = cache / f"v{CORPUS_VERSION}" / "inbox" / f"{_versioned(spec_id)}-{n}"
    inbox, manifest_path = root / "inbox", root / "manifest.json"
    spec = load_spec(spec_id)
    index, folder = corpus["index"], corpus["folder"]
    if not manifest_path.exists():
        if root.exists():
            shutil.rmtree(root)
        inbox.mkdir(parents=True)
        sent = []
        for i in range(n):
            first = index[str(i)]
            sent.append({"file": f"{first['unit_code']}_{first['unit_name']}.xlsx",
                         "unit_code": first["unit_code"], "unit_name": first["unit_name"],
                         "template_id": first["template_id"], "projects": PROJECTS, "sha256": ""})
            if i % MISSING_EVERY == 7:
                continue  # this department returns nothing
            # mail folders of ~200 returns each, as an office saves them
            box = inbox / f"mail{i // 200:03d}"
            box.mkdir(exist_ok=True)
            os.link(folder / first["file"], box / first["file"])
            if i % RESEND_EVERY == 1:
                again = index[f"{i}r"]
                os.link(folder / again["file"], box / again["file"])
                # the resend is newer (collect keeps the newest when the save times tie)
                later = (folder / first["file"]).stat().st_mtime + 3600
                os.utime(box / again["file"], (later, later))
        (inbox / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
        (inbox / "报表（损坏）.xlsx").write_text("这不是一个工作簿", encoding="utf-8")
        manifest = {"format": MANIFEST_FORMAT,
                    "spec": {"id": spec.id, "version": spec.version, "hash": spec_hash(spec)},
                    "year": CLEAN[spec_id][1], "batch": "", "workbooks": sent}
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    files = sum(len(f) for _, _, f in os.walk(inbox))
    return inbox, manifest_path, files


# -- collect in a child process, its process tree sampled -----------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out


def _tree(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return _status_kib(pid, "VmRSS:")


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float:
    """user + system CPU time of one process so far (``/proc/PID/stat``)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def run_collect(inbox: Path, manifest: Path, out: Path, jobs: int, feedback: bool) -> dict[str, Any]:
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "xltargets", "collect", str(inbox), "--out", str(out),
           "--manifest", str(manifest), "--jobs", str(jobs),
           "--feedback" if feedback else "--no-feedback"]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree_peak = parent_peak = worker_peak = 0
    tick = 0
    #: CPU seconds per process of the tree, as last seen (a process's last 50 ms can be missed):
    #: unlike wall time, hardly moved by other work on the machine
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        # PSS (smaps_rollup walks the page tables: costly) twice a second, the high-water
        # marks (cheap, and exact: the kernel keeps each process's peak) 20 times a second
        pids = _tree(proc.pid)
        if tick % 10 == 0:
            tree_peak = max(tree_peak, sum(_pss_kib(p) for p in pids))
        parent_peak = max(parent_peak, _status_kib(proc.pid, "VmHWM:"))
        for p in pids:
            cpu[p] = max(cpu.get(p, 0.0), _cpu_seconds(p))
        for p in pids[1:]:
            worker_peak = max(worker_peak, _status_kib(p, "VmHWM:"))
        tick += 1
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"collect failed ({proc.returncode}): {stderr[-2000:]}")
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {"jobs": jobs, "feedback": feedback, "seconds": round(seconds, 2),
            "files": results["total"], "files_per_s": round(results["total"] / seconds, 1),
            "counts": {k: v for k, v in results["counts"].items() if v},
            "tree_peak_mib": round(tree_peak / 1024, 1),
            "parent_peak_rss_mib": round(parent_peak / 1024, 1),
            "worker_peak_rss_mib": round(worker_peak / 1024, 1),
            # the machine's 1-minute load average before and after (other work shares the CPUs)
            "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "cpu_s": {"tree": round(sum(cpu.values()), 2), "parent": round(cpu.get(proc.pid, 0.0), 2)},
            "summary": stdout.strip().splitlines()[-1] if stdout.strip() else ""}


# -- per-workbook measures ----------------------------------------------------------------------

def sample(corpus: dict[str, dict[str, Any]], files: int) -> list[Path]:
    """``files`` returns spread over the corpus, both specs."""
    paths: list[Path] = []
    per_spec = max(1, files // len(SPECS))
    for spec_id in SPECS:
        c = corpus[spec_id]
        keys = sorted((k for k in c["index"] if not k.endswith("r")), key=int)
        step = max(1, len(keys) // per_spec)
        paths += [c["folder"] / c["index"][k]["file"] for k in keys[::step][:per_spec]]
    return paths


def dump_ms(paths: list[Path]) -> list[float]:
    """The calamine dump's time per file (ms) over ``paths``: the floor, measured again right
    before and after each ``--jobs 1`` collect, whose ratio is judged against the samples
    around it (one sample per run was seen to range 1.05-1.68 ms between runs)."""
    times = []
    for p in paths:
        t = time.perf_counter()
        bench_read.calamine_dump(p)
        times.append((time.perf_counter() - t) * 1000)
    return times


def measure_read(corpus: dict[str, dict[str, Any]], files: int, naive_every: int) -> dict[str, Any]:
    """bench_read's three readers, interleaved, on a sample of the corpus (both specs)."""
    from xltargets.read import read_workbook

    paths = sample(corpus, files)
    for p in paths[:2] + paths[-2:]:
        read_workbook(p)
        bench_read.calamine_dump(p)
    times: dict[str, list[float]] = {"calamine_dump": [], "xltargets_read": [], "openpyxl_full": []}
    for k, p in enumerate(paths):
        for name, fn in (("calamine_dump", bench_read.calamine_dump),
                         ("xltargets_read", read_workbook)):
            t = time.perf_counter()
            fn(p)
            times[name].append(time.perf_counter() - t)
        if k % naive_every == 0:
            t = time.perf_counter()
            bench_read.openpyxl_naive(p)
            times["openpyxl_full"].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"files": len(paths), "median_ms": {k: round(v * 1000, 3) for k, v in med.items()},
            "ratio_to_calamine": round(med["xltargets_read"] / med["calamine_dump"], 3),
            "ratio_to_openpyxl": round(med["xltargets_read"] / med["openpyxl_full"], 4)}


def measure_feedback(corpus: dict[str, dict[str, Any]], copies: int) -> dict[str, Any]:
    """One feedback copy, drawn from a rejected return's JSON (what a collect worker does)."""
    from xltargets.collect import feedback_workbook
    from xltargets.read import read_workbook

    out: dict[str, Any] = {}
    for spec_id in SPECS:
        c = corpus[spec_id]
        spec = load_spec(spec_id)
        rejected = [c["index"][k] for k in sorted((k for k in c["index"] if not k.endswith("r")),
                                                 key=int) if int(k) % REJECT_EVERY == 4]
        data = [read_workbook(c["folder"] / e["file"]).to_json() for e in rejected[:copies]]
        feedback_workbook(spec, data[0])
        times = []
        for d in data:
            t = time.perf_counter()
            feedback_workbook(spec, d)
            times.append(time.perf_counter() - t)
        out[spec_id] = {"copies": len(data), "median_ms": round(statistics.median(times) * 1000, 2)}
    return out


# -- report ---------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    mem = 0
    with open("/proc/meminfo") as fh:
        mem = int(fh.readline().split()[1]) // 1024
    import openpyxl
    import xlsxwriter

    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_mib": mem,
            "python": platform.python_version(), "platform": platform.platform(),
            "python_calamine": importlib.metadata.version("python-calamine"),
            "openpyxl": openpyxl.__version__, "xlsxwriter": xlsxwriter.__version__}


def plot(result: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install -e '.[bench]' "
                         "(the measurements are printed above and in --json)") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    for spec_id, rows in result["growth"].items():
        xs = [r["files"] for r in rows]
        ax1.plot(xs, [r["seconds"] for r in rows], marker="o", label=spec_id)
        ax2.plot(xs, [r["tree_peak_mib"] for r in rows], marker="o", label=f"{spec_id}: tree (PSS)")
        ax2.plot(xs, [r["parent_peak_rss_mib"] for r in rows], marker=".", linestyle="--",
                 label=f"{spec_id}: parent (RSS)")
    ax1.axhline(90, color="grey", linestyle=":", label="target at 20,000: 90 s")
    ax1.set(xscale="log", yscale="log", xlabel="returns in the inbox",
            ylabel="seconds (wall, --jobs 2, no feedback)", title="collect: time")
    ax2.set(xscale="log", xlabel="returns in the inbox", ylabel="MiB", ylim=(0, None),
            title="collect: peak memory")
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"xltargets collect, {result['machine']['cpus']} cores "
                 f"({result['machine']['cpu_model']}), Python {result['machine']['python']}",
                 fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def table(result: dict[str, Any]) -> str:
    n = result["n"]
    lines = [f"{'measure':<58}{'value':>14}{'target':>16}", "-" * 88]
    for spec_id, g in result["generate"].items():
        lines.append(f"{f'generate {spec_id}: xltargets / bare XlsxWriter':<58}"
                     f"{g['ratio']:>13.2f}x{'':>16}")
        lines.append(f"{f'generate {spec_id}: / XlsxWriter with the same formula cache':<58}"
                     f"{g['ratio_like_for_like']:>13.2f}x{'<= 1.3x':>16}")
    r = result["read"]
    lines.append(f"{'read + checks / calamine dump':<58}{r['ratio_to_calamine']:>13.2f}x{'<= 2x':>16}")
    lines.append(f"{'read + checks / openpyxl full load':<58}{r['ratio_to_openpyxl']:>13.3f}x{'':>16}")
    for spec_id, runs in result["collect"].items():
        for run in runs:
            what = f"collect {spec_id} {run['files']} files --jobs {run['jobs']}" + (
                " + feedback" if run["feedback"] else "")
            target = "< 90 s" if (run["jobs"] == 2 and n >= 20000) else ""
            lines.append(f"{what:<58}{run['seconds']:>12.1f} s{target:>16}"
                         f"  load {run['load'][0]:.1f}-{run['load'][1]:.1f}, CPU s: tree "
                         f"{run['cpu_s']['tree']:.1f}, parent {run['cpu_s']['parent']:.1f}")
            per_file = run["seconds"] * 1000 / run["files"]
            # the dump measured around this run (--jobs 1), else the read measure's
            dump = run.get("dump_ms") or r["median_ms"]["calamine_dump"]
            what = f"  per file: ms, / calamine dump ({dump:.2f} ms)"
            target = "<= 6x" if (run["jobs"] == 1 and run["feedback"]) else ""
            lines.append(f"{what:<58}{per_file:>7.2f} {per_file / dump:>5.2f}x{target:>16}")
        j = {(x["jobs"], x["feedback"]): x for x in runs}
        if (1, False) in j and (2, False) in j:
            lines.append(f"{f'collect {spec_id}: --jobs 1 / --jobs 2':<58}"
                         f"{j[(1, False)]['seconds'] / j[(2, False)]['seconds']:>13.2f}x{'':>16}")
        if (2, True) in j and (2, False) in j and j[(2, True)]["counts"].get("rejected"):
            per = result["feedback_per_copy_in_collect_ms"][spec_id]
            lines.append(f"{f'collect {spec_id}: feedback, wall ms per copy (--jobs 2)':<58}"
                         f"{per:>11.1f} ms{'':>16}")
    for spec_id, f in result["feedback"].items():
        lines.append(f"{f'feedback copy {spec_id}: ms per copy (one process)':<58}"
                     f"{f['median_ms']:>11.1f} ms{'':>16}")
    for spec_id, rows in result["growth"].items():
        first, last = rows[0], rows[-1]
        ratio = last["tree_peak_mib"] / first["tree_peak_mib"]
        what = f"peak memory {spec_id}: {last['files']} / {first['files']} files (tree PSS)"
        lines.append(f"{what:<58}"
                     f"{ratio:>13.2f}x{'<= 1.2x':>16}")
        for row in rows:
            what = f"  {row['files']} files: s, files/s, tree MiB, parent MiB"
            lines.append(f"{what:<58}"
                         f"{row['seconds']:>7.1f} {row['files_per_s']:>6.0f} "
                         f"{row['tree_peak_mib']:>6.0f} {row['parent_peak_rss_mib']:>6.0f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="departments of each spec (default 2,000)")
    ap.add_argument("--sizes", default="500",
                    help="other N for the growth curve, comma-separated (default 500)")
    ap.add_argument("--specs", default=",".join(SPECS), help="specs to collect")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/xltargets-bench"))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--plot", type=Path, help="PNG of time and memory against N (matplotlib)")
    ap.add_argument("--read-files", type=int, default=300)
    ap.add_argument("--generate-workbooks", type=int, default=200)
    ap.add_argument("--feedback-copies", type=int, default=30)
    ap.add_argument("--no-jobs1", action="store_true", help="skip the --jobs 1 collect")
    ap.add_argument("--build-jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            ap.error("--plot needs matplotlib: pip install -e '.[bench]'")
    specs = [s for s in args.specs.split(",") if s]
    sizes = sorted({int(s) for s in args.sizes.split(",") if s} | {args.n})
    started = time.perf_counter()

    corpus = build_corpus(args.cache, max(sizes), args.build_jobs)
    result: dict[str, Any] = {"n": args.n, "sizes": sizes, "projects_per_return": PROJECTS,
                              "machine": machine()}
    print("generate…", flush=True)
    result["generate"] = bench_generate.measure(args.generate_workbooks, PROJECTS)
    print("read…", flush=True)
    result["read"] = measure_read(corpus, args.read_files, 5)
    print("feedback…", flush=True)
    result["feedback"] = measure_feedback(corpus, args.feedback_copies)
    result["collect"], result["growth"] = {}, {}
    result["feedback_per_copy_in_collect_ms"] = {}
    work = args.cache / f"v{CORPUS_VERSION}" / "out"
    floor = sample(corpus, args.read_files)

    def one_job(inbox: Path, manifest: Path, feedback: bool) -> dict[str, Any]:
        before = dump_ms(floor)
        run = run_collect(inbox, manifest, work, 1, feedback)
        run["dump_ms"] = round(statistics.median(before + dump_ms(floor)), 3)
        return run

    for spec_id in specs:
        runs, growth = [], []
        for size in sizes:
            inbox, manifest, _files = make_inbox(args.cache, corpus[spec_id], spec_id, size)
            print(f"collect {spec_id} {size}…", flush=True)
            two = run_collect(inbox, manifest, work, 2, False)
            growth.append(two)
            if size == args.n:
                runs.append(two)
                if not args.no_jobs1:
                    runs.append(one_job(inbox, manifest, False))
                with_fb = run_collect(inbox, manifest, work, 2, True)
                runs.append(with_fb)
                copies = sum(1 for _ in (work / "feedback").rglob("*.xlsx"))
                with_fb["feedback_copies"] = copies
                result["feedback_per_copy_in_collect_ms"][spec_id] = round(
                    (with_fb["seconds"] - two["seconds"]) * 1000 / max(copies, 1), 1)
                if not args.no_jobs1:
                    # the default options (feedback copies on) with one worker: the per-file
                    # target against the calamine dump
                    one_fb = one_job(inbox, manifest, True)
                    one_fb["feedback_copies"] = sum(1 for _ in (work / "feedback").rglob("*.xlsx"))
                    runs.append(one_fb)
            print(f"  {growth[-1]['seconds']} s, tree {growth[-1]['tree_peak_mib']} MiB", flush=True)
        result["collect"][spec_id], result["growth"][spec_id] = runs, growth
    result["seconds"] = round(time.perf_counter() - started, 1)
    print()
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str) + "\n",
                             encoding="utf-8")
    if args.plot:
        plot(result, args.plot)


if __name__ == "__main__":
    main()
