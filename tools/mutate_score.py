"""`make mutate`: run mutmut over the scope below and fail when the mutation score drops under a floor.

The scope (issue 10): the values, the rules and their checks, and collect's duplicate logic (which
return of a department is kept) and database logic. mutmut's own settings (which files it copies
and mutates, which tests it runs) are in pyproject.toml's ``[tool.mutmut]``; this script names the
mutants that count, runs them, then reads mutmut's per-file results (``mutants/**/*.py.meta``) and
prints the score per module and overall.

Score = detected / all mutants in the scope, where detected = killed by a failing test, or stopped
by mutmut's CPU-time limit (an endless loop), or killed by a signal. Survivors, mutants no selected
test reaches ("no tests") and anything else count against the score. A mutant left unchecked (an
interrupted run) fails the target: a partial run has no score.

    python tools/mutate_score.py run --floor 80      # what `make mutate` does
    python tools/mutate_score.py score --floor 80    # score the results already in mutants/
    python tools/mutate_score.py survivors           # the surviving mutants' names, per module
    python tools/mutate_score.py run --module xltargets.rules --keep   # re-run one module
    python tools/mutate_score.py recheck             # run the "timeouts" again, CPU limit only
    python tools/mutate_score.py resume --module xltargets.rules   # after tests were added
    python tools/mutate_score.py resume --tests tests/test_new.py  # the same, new tests only
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: the mutants that count, as mutmut names them (module.function__mutmut_N; methods as xǁClassǁname).
#: "core": collect's duplicate choice and its database logic (the rows made for each kept return
#: in ``_prepared.py``, written by ``_db.py``); "parsers" adds the values' parsers; "all" is
#: everything issue 10 names: the values, the rules and their checks, and "core".
SCOPES: dict[str, tuple[str, ...]] = {
    "core": (
        "xltargets.collect._db.*",
        # the database rows of one kept return, made where it is read (DbPart and its helpers)
        "xltargets.collect._prepared.x_db_part__mutmut_*",
        "xltargets.collect._prepared.x__indicator_rows__mutmut_*",
        "xltargets.collect._prepared.x__decimal_text__mutmut_*",
        "xltargets.collect._prepared.x_dumps_sorted__mutmut_*",
        # duplicates: which return of a department is kept (newest/oldest by save time, or fail)
        "xltargets.collect._collect.xǁ_Runǁresolve__mutmut_*",
        "xltargets.collect._collect.xǁDuplicateErrorǁ*",
        "xltargets.collect._work.x__saved_time__mutmut_*",
    ),
}
SCOPES["parsers"] = (*SCOPES["core"], "xltargets.values._numbers.*",
                     "xltargets.values._identifiers.*", "xltargets.values._text.*")
SCOPES["all"] = (*SCOPES["core"], "xltargets.values.*", "xltargets.rules.*",
                 "xltargets.cellrules.*", "xltargets.checks.*")
SCOPE = SCOPES["core"]

#: functions that run once, when their module is imported (building a table or a pattern):
#: mutmut 3 switches a mutant on inside a test, long after the import, so these mutants can
#: never run; they are left out of the score (docs/testing.md) and listed by `survivors`
IMPORT_TIME = (
    "xltargets.values._core.x__fold_table__mutmut_*",
    "xltargets.values._indicator.x__alternation__mutmut_*",
)

#: each module's own floor (percent), just under its measured score (docs/testing.md): judged with
#: the overall ``--floor`` whenever a floor is given, so a drop in one module cannot hide behind
#: the others' scores. A module of the scope with no floor here is judged by the overall one only.
FLOORS: dict[str, float] = {
    # measured 2026-11-30 09:08-10:48 UTC on main's code (docs/testing.md, "Recorded scores")
    "xltargets.collect._collect": 98,     # 74/75 = 98.7%
    "xltargets.collect._db": 88,          # 298/338 = 88.2%
    "xltargets.collect._prepared": 95,    # 197/207 = 95.2%
    "xltargets.collect._work": 86,        # 38/44 = 86.4%
    "xltargets.checks": 96,               # 295/307 = 96.1%
    "xltargets.cellrules": 94,            # 431/456 = 94.5%
    "xltargets.values._identifiers": 99,  # 256/258 = 99.2%
    "xltargets.values._numbers": 88,      # 309/349 = 88.5%
    "xltargets.values._indicator": 92,    # 194/209 = 92.8%
    "xltargets.values._core": 88,         # 150/170 = 88.2%
    "xltargets.values._text": 99,         # 17/17
    "xltargets.values._dates": 95,        # 162/169 = 95.9%
    # measured 2026-11-30 10:49-11:24 UTC by the lead, main's code at 7cfb90a
    "xltargets.values._display": 87,      # 437/502 = 87.1%
    "xltargets.rules": 90.9,              # 1230/1352 = 90.98%
}

#: mutmut's exit codes (mutmut/stats.py) that mean the tests noticed the mutant
DETECTED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout",
            152: "timeout", 255: "timeout", -11: "signal", -9: "signal"}
NAMES = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 2: "interrupted",
         35: "suspicious", 37: "type check", None: "not checked"}


def in_scope(key: str, scope: tuple[str, ...] | None = None) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in (scope or SCOPE))


def import_time(key: str) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in IMPORT_TIME)


def module_of(key: str) -> str:
    """``xltargets.values._numbers.x_parse__mutmut_3`` → ``xltargets.values._numbers``."""
    head = key.split("__mutmut_")[0]
    return head.rsplit(".", 1)[0] if "." in head else head


def load(mutants: Path) -> dict[str, int | None]:
    """Every in-scope mutant's exit code, from mutmut's per-file ``.meta`` files."""
    codes: dict[str, int | None] = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for key, code in data.get("exit_code_by_key", {}).items():
            if in_scope(key):
                codes[key] = code
    return codes


def status(code: int | None) -> str:
    return DETECTED.get(code) or NAMES.get(code) or "suspicious"  # type: ignore[arg-type]


def score(codes: dict[str, int | None], floor: float | None) -> int:
    """Print the score per module and overall; 0 when it is at or above the floor.

    A module with a mutant left unchecked (a run stopped midway) has no score: it is shown as
    incomplete and left out of the total, so a stopped run still scores the modules it finished
    (``run`` checks one module at a time), but the floor is only judged on a complete run."""
    if not codes:
        print("mutate: no mutmut results in mutants/ for the scope (run `make mutate`)")
        return 2
    per: dict[str, Counter[str]] = defaultdict(Counter)
    skipped = sum(1 for key in codes if import_time(key))
    for key, code in codes.items():
        if not import_time(key):
            per[module_of(key)][status(code)] += 1
    width = max(len(m) for m in per)
    print(f"{'module':<{width}}  detected/total   score  survived  no-tests  timeout  other")
    total = Counter[str]()
    incomplete = []
    for module in sorted(per):
        c = per[module]
        if c["not checked"] + c["interrupted"]:
            incomplete.append(module)
            checked = sum(c.values()) - c["not checked"] - c["interrupted"]
            print(f"{module:<{width}}  incomplete: {checked} of {sum(c.values())} checked, "
                  f"{_detected(c)} detected")
            continue
        total.update(c)
        _line(module, c, width)
    if total:
        _line("TOTAL" if not incomplete else "TOTAL (complete modules)", total, width)
    if skipped:
        print(f"(not in the score: {skipped} mutants of functions run only at import, IMPORT_TIME)")
    if incomplete:
        print(f"mutate: {len(incomplete)} modules were not checked to the end: no overall score")
        return 2
    value = 100.0 * _detected(total) / sum(total.values())
    if floor is None:
        return 0
    below = [(m, 100.0 * _detected(per[m]) / sum(per[m].values()), FLOORS[m])
             for m in sorted(per) if m in FLOORS]
    below = [(m, got, want) for m, got, want in below if got < want]
    for module, got, want in below:
        print(f"mutate: {module} {got:.1f}% is below its floor {want:g}% (FLOORS)")
    if value < floor:
        print(f"mutate: score {value:.1f}% is below the floor {floor:g}%")
        return 1
    print(f"mutate: score {value:.1f}% (floor {floor:g}%)")
    return 1 if below else 0


def _detected(c: Counter[str]) -> int:
    return c["killed"] + c["timeout"] + c["signal"]


def _line(module: str, c: Counter[str], width: int) -> None:
    n = sum(c.values())
    other = n - _detected(c) - c["survived"] - c["no tests"]
    print(f"{module:<{width}}  {_detected(c):>6}/{n:<6}  {100.0 * _detected(c) / n:5.1f}%  "
          f"{c['survived']:>8}  {c['no tests']:>8}  {c['timeout']:>7}  {other:>5}")


def survivors(codes: dict[str, int | None]) -> None:
    for key in sorted(k for k, code in codes.items() if status(code) in ("survived", "no tests")):
        print(f"{'import' if import_time(key) else status(codes[key]):<9} {key}")


def mutated_modules() -> list[str]:
    """The dotted names of the files pyproject.toml's ``only_mutate`` lets mutmut mutate."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = settings["tool"]["mutmut"]["only_mutate"]
    modules = []
    for path in sorted((ROOT / "xltargets").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if any(fnmatch.fnmatchcase(rel, pattern) for pattern in patterns):
            dotted = rel[:-3].replace("/", ".")
            modules.append(dotted.removesuffix(".__init__"))
    return modules


def chunks(scope: tuple[str, ...], only: list[str] | None = None) -> list[tuple[str, list[str]]]:
    """The scope cut by module: (module, the mutmut name patterns of its mutants in the scope).
    ``module.x*`` names the module's own functions and methods (a package's ``__init__`` ones
    too: its submodules' names start with ``_``)."""
    out = []
    for module in mutated_modules():
        if only and module not in only:
            continue
        own = [p for p in scope if p.startswith(module + ".x")]
        if any(fnmatch.fnmatchcase(module + ".x", p) for p in scope if p not in own):
            own = [f"{module}.x*"]
        if own:
            out.append((module, own))
    if only:  # in the order given
        return sorted(out, key=lambda chunk: only.index(chunk[0]))
    # core's modules first: their score is there early in a long run of scope "all"
    core = {module_of(p.replace("*", "x_")) for p in SCOPES["core"]}
    return sorted(out, key=lambda chunk: chunk[0] not in core)


SELECTION = "mutate-selection.json"  # in mutants/: the test selection its results were made with


def _settings() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]


def _keep_results_when_tests_were_only_added() -> None:
    """mutmut 3 drops EVERY result (and its whole test-to-function map) when the test selection
    in pyproject.toml changes at all. When the change only ADDS test files (the selection the
    results were made with is part of the new one, pytest's options unchanged), a kill stands:
    the same test still fails on the same mutant. Then the stored fingerprint is brought up to
    date, so mutmut keeps the verdicts and collects the test-to-function map of the new tests
    only; ``resume`` runs the survivors and the unchecked mutants again with every test."""
    stats_file, record = ROOT / "mutants" / "mutmut-stats.json", ROOT / "mutants" / SELECTION
    selection = list(_settings().get("pytest_add_cli_args_test_selection", []))
    options = list(_settings().get("pytest_add_cli_args", []))
    if stats_file.exists() and record.exists():
        before = json.loads(record.read_text(encoding="utf-8"))
        stats = json.loads(stats_file.read_text(encoding="utf-8"))
        grew = set(before["selection"]) < set(selection) and before["options"] == options
        if grew and "config_fingerprint" in stats:
            digest = hashlib.sha256(repr(tuple(selection)).encode()).hexdigest()[:12]  # mutmut's
            stats["config_fingerprint"]["test_selection"] = digest
            _save(stats_file, stats)
            print(f"mutate: tests added to the selection "
                  f"({', '.join(sorted(set(selection) - set(before['selection'])))}): results kept")
    (ROOT / "mutants").mkdir(exist_ok=True)
    _save(record, {"selection": selection, "options": options})


def resume(children: int, scope: tuple[str, ...], only: list[str] | None = None) -> int:
    """Run again only the mutants of the scope (or of ``only``'s modules) that survived, were
    reached by no test or were never checked, keeping every kill: after tests were ADDED (and
    neither the code nor an existing test changed), a killed mutant is still killed, and only
    the others can change. Much cheaper than ``run --module M --keep`` (which runs every mutant
    of M again): a kill costs one failing test, a survivor every test that reaches it."""
    _keep_results_when_tests_were_only_added()
    mutmut = Path(sys.executable).with_name("mutmut")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "tools")
    modules = [m for m, _ in chunks(scope, only)]
    for module in modules:
        tried: set[str] = set()
        # listed again after each mutmut run: a run first brings mutants/ up to date (new
        # mutants of changed code, results mutmut drops), which leaves more of this module
        # unchecked than the list made before it; the loop ends when no mutant is left untried
        while names := sorted(
                k for k, c in load(ROOT / "mutants").items()
                if module_of(k) == module and not import_time(k) and k not in tried
                and status(c) in ("survived", "no tests", "not checked", "interrupted")):
            tried.update(names)
            print(f"mutate: {module}: {len(names)} mutants again ({time.strftime('%H:%M:%S')})",
                  flush=True)
            command = [str(mutmut) if mutmut.exists() else "mutmut", "run", "--max-children",
                       str(children), *names]
            code = subprocess.run(command, cwd=ROOT, env=env, check=False,
                                  stdout=subprocess.DEVNULL).returncode
            if code != 0:
                return code
        if not tried:
            continue
        recheck_timeouts([module])
        score({k: v for k, v in load(ROOT / "mutants").items() if module_of(k) == module}, None)
    return 0


def resume_with(tests: list[str], children: int, scope: tuple[str, ...],
                only: list[str] | None = None) -> int:
    """``resume --tests F``: run the survivors (and "no tests") of the scope against the test
    files ``tests`` only, added to the selection since they were checked. A survivor has already
    passed every other selected test, so whether it is now detected depends on the added tests
    alone: a failing one kills it (as mutmut, which stops at the first failure, would record);
    one that still passes keeps its verdict. Far cheaper than mutmut's resume, which runs every
    test reaching a survivor again. The files must be in the selection (pyproject.toml), so the
    next mutmut run counts them too."""
    selection = set(_settings().get("pytest_add_cli_args_test_selection", []))
    if missing := [t for t in tests if t not in selection]:
        print(f"mutate: not in pyproject.toml's test selection: {', '.join(missing)}")
        return 2
    _keep_results_when_tests_were_only_added()
    for test in tests:  # mutmut copies the tests at its next run; these are needed now
        (ROOT / "mutants" / test).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / test, ROOT / "mutants" / test)
    command = [sys.executable, "-m", "pytest", "--rootdir=.", "--tb=no", "-x", "-q",
               "-p", "no:randomly", "-p", "no:random-order", *tests,
               *_settings().get("pytest_add_cli_args", [])]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tools")}
    env.pop("MUTANT_UNDER_TEST", None)
    if subprocess.run(command, cwd=ROOT / "mutants", env=env, check=False,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        print("mutate: the tests fail without a mutant")
        return 2

    def verdict(key: str) -> int:
        return subprocess.run(command, cwd=ROOT / "mutants", check=False,
                              env={**env, "MUTANT_UNDER_TEST": key}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, preexec_fn=_cpu_limit(60)).returncode

    modules = {m for m, _ in chunks(scope, only)}
    for meta, data in _metas():
        codes = data.get("exit_code_by_key", {})
        keys = sorted(k for k, c in codes.items() if in_scope(k) and module_of(k) in modules
                      and not import_time(k) and status(c) in ("survived", "no tests"))
        if not keys:
            continue
        with ThreadPoolExecutor(children) as pool:
            results = dict(zip(keys, pool.map(verdict, keys), strict=True))
        for key, code in results.items():
            # 1: a test failed; a signal: the CPU-time limit (an endless loop), as mutmut counts
            if code == 1 or code < 0:
                print(f"mutate: {key}: {status(codes[key])} -> {status(code)}", flush=True)
                codes[key] = code
        _save(meta, data)
        print(f"mutate: {meta.relative_to(ROOT / 'mutants')}: {len(keys)} tried, "
              f"{sum(1 for c in results.values() if c == 1 or c < 0)} detected", flush=True)
    return 0


def run(children: int, scope: tuple[str, ...], only: list[str] | None = None,
        keep: bool = False) -> int:
    """A fresh mutmut run over the scope (old results would let a changed test go unnoticed),
    one module at a time: mutmut runs its mutants fastest first across every file, so a run
    stopped midway would leave every module unfinished; cut by module, it leaves finished
    modules with a score. ``only`` re-runs some modules and ``keep`` keeps the others' results."""
    if not keep:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    _keep_results_when_tests_were_only_added()
    mutmut = Path(sys.executable).with_name("mutmut")
    env = dict(os.environ)
    # the tests must import the mutated copy in mutants/, never this checkout
    env.pop("PYTHONPATH", None)
    env["PYTHONPATH"] = str(ROOT / "tools")  # tools/mutate_plugin.py, named in [tool.mutmut]
    for module, patterns in chunks(scope, only):
        known = load(ROOT / "mutants")
        if known and not any(module_of(key) == module for key in known):
            continue  # no mutant of this module in the scope (e.g. only constants)
        print(f"mutate: {module} ({time.strftime('%H:%M:%S')})", flush=True)
        _forget(module)  # a kept result of an earlier run must not pass for this run's
        command = [str(mutmut) if mutmut.exists() else "mutmut", "run", "--max-children",
                   str(children), *patterns]
        code = subprocess.run(command, cwd=ROOT, env=env, check=False,
                              stdout=subprocess.DEVNULL).returncode
        if code != 0 and any(module_of(key) == module for key in load(ROOT / "mutants")):
            return code
        recheck_timeouts([module])
        score({k: v for k, v in load(ROOT / "mutants").items() if module_of(k) == module}, None)
    return 0


def _metas() -> list[tuple[Path, dict[str, Any]]]:
    return [(m, json.loads(m.read_text(encoding="utf-8")))
            for m in sorted((ROOT / "mutants").rglob("*.py.meta"))]


def _save(meta: Path, data: dict[str, Any]) -> None:
    part = meta.with_name(meta.name + ".part")
    part.write_text(json.dumps(data), encoding="utf-8")
    os.replace(part, meta)


def _forget(module: str) -> None:
    """Mark a module's in-scope results unchecked before it is run again."""
    for meta, data in _metas():
        codes = data.get("exit_code_by_key", {})
        keys = [k for k in codes if module_of(k) == module and in_scope(k)]
        if keys:
            codes.update(dict.fromkeys(keys))
            _save(meta, data)


def _cpu_limit(seconds: int) -> Callable[[], None]:
    def set_limit() -> None:  # in the child, before pytest starts
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    return set_limit


#: ``--recheck-cpu S``: the recheck's CPU-time limit capped at S seconds (None: mutmut's own)
RECHECK_CPU: int | None = None


def recheck_timeouts(modules: list[str] | None = None) -> None:
    """Run every "timeout" again with mutmut's CPU-time limit only.

    mutmut 3.8 also stops a mutant's tests after HALF its CPU-time limit in WALL time
    (workers/isolation.py: ``wall_timeout = cpu_time_limit / 2``), so on a loaded machine with
    the run at nice 19 a slow, finite test run counts as a timeout, i.e. as detected. Here the
    mutant's tests run again (the same tests and pytest options as mutmut's) under
    ``RLIMIT_CPU`` = mutmut's limit and no clock: an endless loop is still stopped by the
    limit; a finite run gives its real verdict (0 survived, 1 killed).

    mutmut's limit is 30 times the CPU time of every test reaching the function, so an endless
    loop (a mutated loop index) burns minutes of CPU here before it is stopped; ``RECHECK_CPU``
    caps it (a run that needs more CPU than the cap counts as a timeout, i.e. detected)."""
    stats_file = ROOT / "mutants" / "mutmut-stats.json"
    if not stats_file.exists():
        return
    tests_of = json.loads(stats_file.read_text(encoding="utf-8"))["tests_by_mangled_function_name"]
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    multiplier = float(settings.get("timeout_multiplier", 15.0))
    constant = float(settings.get("timeout_constant", 1.0))
    for meta, data in _metas():
        codes = data.get("exit_code_by_key", {})
        keys = [k for k, c in codes.items() if status(c) == "timeout" and in_scope(k)
                and (modules is None or module_of(k) in modules)]
        for key in keys:
            estimate = float(data.get("estimated_durations_by_key", {}).get(key, 0.0))
            limit = math.ceil((estimate + constant) * multiplier * 2)  # mutmut's CPU limit
            if RECHECK_CPU is not None:
                limit = min(limit, RECHECK_CPU)
            tests = sorted(tests_of.get(key.partition("__mutmut_")[0], ()))
            command = [sys.executable, "-m", "pytest", "--rootdir=.", "--tb=native", "-x", "-q",
                       "-p", "no:randomly", "-p", "no:random-order", *tests,
                       *settings.get("pytest_add_cli_args", [])]
            env = {**os.environ, "MUTANT_UNDER_TEST": key, "PYTHONPATH": str(ROOT / "tools")}
            code = subprocess.run(
                command, cwd=ROOT / "mutants", env=env, check=False, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=_cpu_limit(limit),
            ).returncode
            print(f"mutate: recheck {key}: timeout -> {status(code)}", flush=True)
            codes[key] = code
            _save(meta, data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("run", "resume", "score", "survivors", "recheck"))
    parser.add_argument("--floor", type=float, default=None,
                        help="fail (exit 1) when the overall score in percent is below this")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--scope", choices=sorted(SCOPES), default="core")
    parser.add_argument("--module", action="append", default=None,
                        help="run (or score) only this module's mutants (repeatable), e.g. "
                             "xltargets.rules; `run --module M --keep` scores the whole scope")
    parser.add_argument("--keep", action="store_true",
                        help="keep the other modules' results in mutants/ (with --module)")
    parser.add_argument("--recheck-cpu", type=int, default=None, metavar="S",
                        help="cap the CPU-time limit of the timeouts' recheck at S seconds "
                             "(default: mutmut's own, 30x the tests' time)")
    parser.add_argument("--tests", action="append", default=None,
                        help="with resume: run the survivors against these (added) test files "
                             "only (repeatable)")
    args = parser.parse_args(argv)
    global SCOPE, RECHECK_CPU
    SCOPE = SCOPES[args.scope]
    RECHECK_CPU = args.recheck_cpu
    if args.action == "run":
        code = run(args.children, SCOPE, args.module, args.keep)
        if code != 0:
            print(f"mutate: mutmut run failed (exit {code})")
            return 2
    if args.action == "resume":
        code = (resume_with(args.tests, args.children, SCOPE, args.module) if args.tests
                else resume(args.children, SCOPE, args.module))
        if code != 0:
            print(f"mutate: mutmut run failed (exit {code})")
            return 2
    if args.action == "recheck":
        recheck_timeouts(args.module)
    codes = load(ROOT / "mutants")
    if args.module and args.action not in ("run", "resume"):  # after `run --keep`, the whole scope is scored
        codes = {k: v for k, v in codes.items() if module_of(k) in args.module}
    if args.action == "survivors":
        survivors(codes)
        return 0
    return score(codes, args.floor)


if __name__ == "__main__":
    sys.exit(main())
