"""Same inbox, same outputs: run collect on fixed inboxes and compare every output with a run of
another commit, byte for byte (the database row by row).

    python benchmarks/collect_same.py run /tmp/after [--db postgresql+psycopg://…]
    PYTHONPATH=/path/to/old/worktree python benchmarks/collect_same.py run /tmp/before [--db …]
    python benchmarks/collect_same.py diff /tmp/before /tmp/after     # exit 1 on any difference

What is run (each case into the same scratch out folder, then copied under the target folder):

* ``edge``: the inbox of tests/test_collect.py (every status: duplicates, broken, legacy, encrypted,
  other spec, unrelated, not sent, litter) with its manifest, ``--jobs 2``, feedback on;
* ``mixed``: the same inbox without the manifest, ``--jobs 1`` (two specs kept: the 汇总表's
  columns are the union of both specs);
* ``hebei`` / ``hunan``: the province inboxes of benchmarks/bench_scale.py (N = 500 by default,
  built and cached by it), with their manifests, ``--jobs 2`` and ``--jobs 1``;
* ``again``: ``hebei`` and then ``edge`` into the same out folder and database (the second run owns
  hebei-county 2022: the first run's rows of that spec and year are replaced or deleted).

Compared: every file of ``OUT/current`` (results, submissions, 汇总表, report, missing list,
run.json, each feedback copy) by its bytes, the run folder's name (the run id), and every row of
every table of the database as the driver returns it (``--db`` puts it in PostgreSQL instead of
the run folder's SQLite file; its tables are dropped before each case).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

TABLES = ["submissions", "departments", "projects", "indicators", "findings", "collect_runs"]
WORK = Path(tempfile.gettempdir()) / "xltargets-collect-same"


def _edge_inbox() -> tuple[Path, Path]:
    import test_collect

    root = WORK / "edge-inbox"
    if not (root / "inbox").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        test_collect.build_inbox(root, libreoffice=False)
    return root / "inbox", root / "sent" / "manifest.json"


def _province(spec_id: str, n: int) -> tuple[Path, Path]:
    import bench_scale

    cache = Path("/tmp/xltargets-bench")
    corpus = bench_scale.build_corpus(cache, n, os.cpu_count() or 1)
    inbox, manifest, _ = bench_scale.make_inbox(cache, corpus[spec_id], spec_id, n)
    return inbox, manifest


def _collect(inbox: Path, out: Path, manifest: Path | None, jobs: int, db: str | None) -> None:
    cmd = [sys.executable, "-m", "xltargets", "collect", str(inbox), "--out", str(out),
           "--jobs", str(jobs)]
    if manifest is not None:
        cmd += ["--manifest", str(manifest)]
    if db:
        cmd += ["--db", db]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"collect failed ({proc.returncode}): {proc.stderr[-2000:]}")
    (out.parent / f"{out.name}.stdout").write_text(proc.stdout, encoding="utf-8")


def _drop(db: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.begin() as conn:
        for table in reversed(TABLES):
            conn.execute(text(f"drop table if exists {table} cascade"))
    engine.dispose()


def _dump_db(url: str) -> dict[str, list[list[str]]]:
    """Every row of every table, as the driver returns it, in key order."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    out: dict[str, list[list[str]]] = {}
    try:
        names = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            for table in TABLES:
                if table not in names:
                    continue
                keys = inspect(engine).get_pk_constraint(table)["constrained_columns"]
                cols = [c["name"] for c in inspect(engine).get_columns(table)]
                order = ", ".join(f'"{k}"' for k in keys)
                rows = conn.exec_driver_sql(
                    f'select {", ".join(chr(34) + c + chr(34) for c in cols)} from {table} '
                    f'order by {order}').fetchall()
                out[table] = [cols] + [[repr(v) for v in row] for row in rows]
    finally:
        engine.dispose()
    return out


def _keep(out: Path, target: Path, db: str | None) -> None:
    current = (out / "current").resolve()
    shutil.copytree(current, target / "files", symlinks=True)
    (target / "run_folder.txt").write_text(current.name + "\n", encoding="utf-8")
    url = db or f"sqlite:///{current / 'xltargets.db'}"
    (target / "db.json").write_text(json.dumps(_dump_db(url), ensure_ascii=False, indent=0),
                                    encoding="utf-8")
    shutil.copy(out.parent / f"{out.name}.stdout", target / "stdout.txt")


def run(target: Path, db: str | None, n: int, cases: list[str]) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    edge, edge_manifest = _edge_inbox()
    plans: dict[str, list[tuple[Path, Path | None, int]]] = {
        "edge": [(edge, edge_manifest, 2)],
        "mixed": [(edge, None, 1)],
        "hebei": [(*_province("hebei-county", n), 2)],
        "hunan": [(*_province("hunan", n), 1)],
        "again": [(*_province("hebei-county", n), 2), (edge, edge_manifest, 2)],
    }
    for case in cases:
        out = WORK / "out" / case
        shutil.rmtree(out, ignore_errors=True)
        if db:
            _drop(db)
        for inbox, manifest, jobs in plans[case]:
            _collect(inbox, out, manifest, jobs, db)
        _keep(out, target / case, db)
        print(f"{case}: {(target / case / 'run_folder.txt').read_text().strip()}", flush=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def diff(a: Path, b: Path) -> int:
    problems = []
    cases = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    for case in cases:
        fa = {p.relative_to(a / case): p for p in (a / case).rglob("*") if p.is_file()}
        fb = {p.relative_to(b / case): p for p in (b / case).rglob("*") if p.is_file()}
        for rel in sorted(set(fa) | set(fb)):
            if rel.name == "xltargets.db":
                continue  # compared row by row (db.json): SQLite's file bytes may differ
            if rel not in fa or rel not in fb:
                problems.append(f"{case}/{rel}: only in {'the second' if rel in fb else 'the first'}")
            elif _digest(fa[rel]) != _digest(fb[rel]):
                problems.append(f"{case}/{rel}: differs")
        files = sum(1 for r in fa if r.name != "xltargets.db")
        print(f"{case}: {files} files compared")
    for p in problems:
        print(p)
    print("identical" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("target", type=Path)
    r.add_argument("--db", help="a PostgreSQL URL (its collect tables are dropped!)")
    r.add_argument("--n", type=int, default=500, help="departments of the province inboxes")
    r.add_argument("--cases", default="edge,mixed,hebei,hunan,again")
    d = sub.add_parser("diff")
    d.add_argument("a", type=Path)
    d.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.command == "run":
        run(args.target, args.db, args.n, [c for c in args.cases.split(",") if c])
    else:
        raise SystemExit(diff(args.a, args.b))


if __name__ == "__main__":
    main()
