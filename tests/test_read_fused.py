"""The read's fused per-layout passes give what the generic steps give: the inputs holding a
value found during the read (RawWorkbook.filled) are the ones seen_values finds by looking at
every input, on real returns of every spec and on odd and damaged variants of them."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest
from forms import CLEAN, write_fill

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
