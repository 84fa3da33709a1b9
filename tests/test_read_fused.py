"""The read's fused per-layout passes give what the generic steps give: the inputs holding a
value found during the read (RawWorkbook.filled) are the ones seen_values finds by looking at
every input, on real returns of every spec and on odd and damaged variants of them; normalize
placing the given values into the blank sheet (form._place) gives the values, findings and JSON
of its loop over every input, on real returns and random fills of odd values."""

from __future__ import annotations

import dataclasses
import random
import zipfile
from pathlib import Path

import pytest
from forms import CLEAN, write_fill
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltargets.errors import WorkbookError
from xltargets.read import read_raw, seen_values

try:
    from tests.hostile import corpus as hostile
except ModuleNotFoundError:  # pragma: no cover
    from hostile import corpus as hostile  # type: ignore[no-redef]


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fused")
    return {spec_id: write_fill(spec_id, CLEAN[spec_id][0](), folder / f"{spec_id}.xlsx", projects=2)
            for spec_id in sorted(CLEAN)}


def _same_both_ways(path: Path) -> bool:
    """seen_values with the read's list of filled inputs and without it; False when refused."""
    try:
        raw = read_raw(path)
    except WorkbookError:
        return False
    assert raw.filled is not None
    fused = seen_values(raw)
    generic = seen_values(dataclasses.replace(raw, filled=None))
    assert repr(fused) == repr(generic)
    return True


def test_real_returns(returns):
    for path in returns.values():
        assert _same_both_ways(path)
        raw = read_raw(path)
        assert sum(map(len, raw.filled.values())) > 20  # (the forms are filled)


def test_odd_and_damaged_variants(returns, tmp_path):
    read = 0
    for spec_id, path in returns.items():
        with zipfile.ZipFile(path) as z:
            members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
        project = next(n for n in hostile.sheet_parts(members) if n.startswith(("项目", "项目支出")))
        for name, variant in hostile.return_variants(members, project).items():
            case = tmp_path / f"{spec_id}-{name}.xlsx"
            case.write_bytes(hostile.rezip(variant))
            read += _same_both_ways(case)
    assert read >= 10


# --- normalize: the given values placed into a copy of the blank sheet (form._place) --------------

#: odd values a cell can hand over, of every type the reader gives
_POOL = [None, "", " ", "\u200b", "……", "——", "/", "涉密", "（涉密）", "无", "0", "12.5", "1,234.50",
         "50万元", "30000元", "-3", "101%", "25%", "２０２５", "2025年", "abc", "≥95%", "≤1件",
         "重大舆情事件≤1件", "长期", "TRUE", "#DIV/0!", 0.25, 1.0, 0.0, 50.0, 2025.0, 1e20,
         -1.5, 13912345678.0, "13912345678", "0311-12345678", "2025-06-20", "x" * 300, True]


def _all_ways(raw, values) -> tuple[str, str]:
    """(direct, every input) of normalize, checks and the submission JSON, as text."""
    from xltargets import form
    from xltargets.checks import run_checks
    from xltargets.submission import build_submission

    out = []
    for direct in (True, False):
        form.DIRECT = direct
        try:
            normal = form.normalize(raw.spec, raw.layout, values, year=raw.year, region="130000")
            found = run_checks(normal)
            sub = build_submission(normal, found, {})
            out.append(repr([(sv.fields, sv.lists, sv.tables) for sv in normal.sheets])
                       + repr(sub.to_json()))
        finally:
            form.DIRECT = True
    return out[0], out[1]


def test_normalize_places_real_returns_as_every_input_does(returns):
    from xltargets.layout.model import Place
    from xltargets.spec.model import Kind

    fractions = 0
    for path in returns.values():
        raw = read_raw(path)
        values, _ = seen_values(raw)
        direct, generic = _all_ways(raw, values)
        assert direct == generic
        # percent fields typed as 25% in %-cells: fractions of 1, read as percentages
        for sheet in raw.layout.sheets:
            percents = [inp for inp in sheet.inputs
                        if inp.kind == Kind.percent and inp.place == Place.field]
            for n, inp in enumerate(percents):
                values.setdefault(sheet.name, {})[inp.path] = 1.0 if n == 0 else 0.25
            fractions += len(percents) > 1
        direct, generic = _all_ways(raw, values)
        assert direct == generic
    assert fractions


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_normalize_places_random_fills_as_every_input_does(seed, returns):
    rng = random.Random(seed)
    path = sorted(returns.values())[seed % len(returns)]
    raw = read_raw(path)
    values, _ = seen_values(raw)
    changed: dict = {}
    for sheet in raw.layout.sheets:
        given = dict(values.get(sheet.name, {}))
        for inp in sheet.inputs:
            roll = rng.random()
            if roll < 0.2:
                given[inp.path] = rng.choice(_POOL)
            elif roll < 0.35:
                given.pop(inp.path, None)
        if rng.random() < 0.2:
            given[("not", "an", "input")] = "x"
        keys = list(given)
        rng.shuffle(keys)  # (any order of the given values)
        changed[sheet.name] = {key: given[key] for key in keys}
    direct, generic = _all_ways(raw, changed)
    assert direct == generic
