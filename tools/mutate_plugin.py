"""A pytest plugin loaded only by `make mutate` (pyproject.toml ``[tool.mutmut] pytest_add_cli_args``).

mutmut 3 runs every mutant in a process forked from the one that ran the whole selection once to
learn which tests reach which function. Whatever the package memoised there (``lru_cache``:
loaded specs, compiled patterns) was computed by the original code and is inherited by every
mutant: a mutant in a function whose result is cached would never run, and would "survive"; and
the first test that filled a cache would be the only one mutmut credits with reaching the
functions behind it. Clearing the package's caches before every test makes each test compute
what it uses, in the learning run and in every mutant's run alike.

Hypothesis does not shrink a failing example here (the profile below).

The caches: every ``functools.lru_cache`` of the package, and the module-level dictionaries
below (each one a memo by its module's own comment; a new one is found by a mutant that survives
with tests that plainly kill it, and belongs here).
"""

from __future__ import annotations

import gc
import os
import sys

import pytest
from hypothesis import Phase, settings

#: a failing property test stops at its first failing example: shrinking it to the smallest one
#: (what a developer wants to read) took a minute per mutant and hit mutmut's time limit, and a
#: mutant is killed by the failure whatever its size. The tests' own settings (max_examples,
#: deadline) still apply: a profile only gives what they leave unsaid.
settings.register_profile("mutate", phases=(Phase.explicit, Phase.reuse, Phase.generate),
                          database=None)
settings.load_profile("mutate")

# the caches kept between runs on disk (validated specs, planned layouts: xltargets/spec/_cache.py,
# layout/_cache.py) are keyed by the source of the modules that made them, and mutmut's mutated
# copy holds every mutant of a module in one file: a spec or layout made under one mutant (or none)
# would be loaded under another, so code that builds them would never run mutated. Off.
os.environ["XLTARGETS_CACHE_DIR"] = "off"

#: module -> its memo dictionaries
MEMOS = {
    "xltargets.spec.load": ("_by_file", "_hashes"),
    "xltargets.layout.plan": ("_cache",),
    "xltargets.collect._model": ("_by_spec",),
    "xltargets.read._reader": ("_PLANS",),
    "xltargets.read._cells": ("_REFS", "_STYLES"),
    "xltargets.read._parts": ("_RELATIONS",),
}


def clear_package_caches() -> int:
    cleared = 0
    for name, attributes in MEMOS.items():
        module = sys.modules.get(name)
        for attribute in attributes if module is not None else ():
            memo = getattr(module, attribute, None)
            if isinstance(memo, dict):
                memo.clear()
                cleared += 1
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "xltargets" or name.startswith("xltargets.")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()
                cleared += 1
    return cleared


def pytest_configure(config: pytest.Config) -> None:
    """Freeze what this process inherited before its tests run.

    Every mutant's pytest runs in a process forked from mutmut's, whose heap holds everything
    the whole selection built. At its end pytest (``unraisableexception``) runs ``gc.collect()``
    five times to surface unraisable exceptions, and each pass walked that whole inherited heap:
    0.3-0.5 s of a mutant's ~1 s. Frozen objects are left out of those passes (and of the
    collections during the tests); the tests' own objects are still collected, so an unraisable
    exception of a test is still reported."""
    gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    clear_package_caches()
