"""Start-up of `xltargets read`: the validated spec comes from a cache keyed by its YAML and
code, and the command imports neither rich nor PyYAML (docs/performance.md)."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from forms import CLEAN, write_fill
from rich.console import Console

from xltargets._console import LazyConsole
from xltargets.spec import _cache, load_spec, spec_hash

ROOT = Path(__file__).resolve().parent.parent


def _child(code: str, cache: Path, *args: str) -> dict:
    env = dict(os.environ, XLTARGETS_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


_LOAD = r"""
import json, sys
from xltargets.spec import load_spec, spec_hash
spec = load_spec(sys.argv[1])
print(json.dumps({"hash": spec_hash(spec), "dump": spec.model_dump(mode="json"),
                  "yaml": "yaml" in sys.modules}))
"""


def test_a_cached_spec_is_the_parsed_spec_and_needs_no_yaml(tmp_path):
    cache = tmp_path / "cache"
    first = _child(_LOAD, cache, "hunan")
    assert first["yaml"]  # parsed
    files = list(cache.glob("spec-*.pickle"))
    assert len(files) == 1
    assert (cache.stat().st_mode & 0o777) == 0o700
    second = _child(_LOAD, cache, "hunan")
    assert not second["yaml"]  # from the cache
    assert second == {**first, "yaml": False}


def _swap(path: Path, spec_id: str) -> None:
    spec = load_spec(spec_id)
    path.write_bytes(pickle.dumps((spec, spec_hash(spec))))


def test_the_cache_is_trusted_only_when_private(tmp_path):
    cache = tmp_path / "cache"
    _child(_LOAD, cache, "hebei-county")
    (path,) = cache.glob("spec-*.pickle")
    # a file under hebei-county's key holding hunan proves which file was used
    _swap(path, "hunan")
    path.chmod(0o600)
    assert _child(_LOAD, cache, "hebei-county")["dump"]["id"] == "hunan"
    path.chmod(0o666)  # anybody could have written it: not loaded
    assert _child(_LOAD, cache, "hebei-county")["dump"]["id"] == "hebei-county"
    path.chmod(0o600)
    cache.chmod(0o777)
    assert _child(_LOAD, cache, "hebei-county")["dump"]["id"] == "hebei-county"


def test_a_damaged_cache_file_is_a_miss(tmp_path):
    cache = tmp_path / "cache"
    _child(_LOAD, cache, "hebei-county")
    (path,) = cache.glob("spec-*.pickle")
    path.write_bytes(b"\x80\x05not a pickle")
    got = _child(_LOAD, cache, "hebei-county")
    assert got["dump"]["id"] == "hebei-county" and got["yaml"]


def test_a_changed_yaml_is_validated_again_and_a_wrong_one_never_cached(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XLTARGETS_CACHE_DIR", str(cache))
    text = (ROOT / "specs" / "hunan.yaml").read_text(encoding="utf-8")
    custom = tmp_path / "mine.yaml"
    custom.write_text(text.replace("id: hunan", "id: mine", 1), encoding="utf-8")
    _child(_LOAD, cache, str(custom))
    assert len(list(cache.glob("spec-*.pickle"))) == 1
    custom.write_text(text.replace("id: hunan", "id: mine2", 1), encoding="utf-8")
    assert _child(_LOAD, cache, str(custom))["dump"]["id"] == "mine2"
    assert len(list(cache.glob("spec-*.pickle"))) == 2
    custom.write_text(text.replace("id: hunan", "id: Not-An-Id", 1), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", _LOAD, str(custom)], capture_output=True,
                          text=True, env=dict(os.environ, XLTARGETS_CACHE_DIR=str(cache),
                                              PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.returncode != 0 and "SpecError" in proc.stderr
    assert len(list(cache.glob("spec-*.pickle"))) == 2


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("XLTARGETS_CACHE_DIR", "off")
    assert _cache.cache_dir() is None
    monkeypatch.delenv("XLTARGETS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.cache_dir() == tmp_path / "xltargets"


_READ = r"""
import json, sys
from xltargets.cli import app
try:
    app(["read", sys.argv[1], "-o", sys.argv[2]], prog_name="xltargets")
except SystemExit as exit:
    code = exit.code
print(json.dumps({"exit": code, "rich": any(m == "rich" or m.startswith("rich.") for m in sys.modules),
                  "yaml": "yaml" in sys.modules, "jinja2": "jinja2" in sys.modules,
                  "xlsxwriter": "xlsxwriter" in sys.modules}))
"""


def test_read_imports_neither_rich_nor_yaml_nor_jinja2_nor_xlsxwriter(tmp_path):
    path = write_fill("hebei-county", CLEAN["hebei-county"][0](), tmp_path / "a.xlsx")
    cache = tmp_path / "cache"
    out = tmp_path / "a.json"
    first = _child(_READ, cache, str(path), str(out))
    assert first["exit"] == 0 and not first["rich"] and first["jinja2"]  # planned, then kept
    assert len(list(cache.glob("layout-*.pickle"))) == 1
    assert _child(_READ, cache, str(path), str(out)) == {
        "exit": 0, "rich": False, "yaml": False, "jinja2": False, "xlsxwriter": False}
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "accepted"


_PLAN = r"""
import json, pickle, sys
from xltargets.layout import plan
from xltargets.layout.capacity import Capacity
from xltargets.layout.plan import _plan
from xltargets.spec import load_spec
spec = load_spec(sys.argv[1])
capacity = Capacity.parse(sys.argv[3], spec) if len(sys.argv) > 3 else Capacity()
planner = sys.modules["xltargets.layout.plan"]
calls = []
planner._plan = lambda *args: calls.append(1) or _plan(*args)
got = plan(spec, int(sys.argv[2]), capacity)
planner._plan = _plan
print(json.dumps({"planned": bool(calls), "jinja2": "jinja2" in sys.modules,
                  "same": got == _plan(spec, int(sys.argv[2]), capacity),
                  "first_input": got.sheets[-1].inputs[0].box.ref, "sheets": [s.name for s in got.sheets]}))
"""


@pytest.mark.parametrize("spec_id", ["hunan", "hebei-county", "shanghai-district"])
def test_a_cached_layout_is_the_planned_layout(tmp_path, spec_id):
    cache = tmp_path / "cache"
    first = _child(_PLAN, cache, spec_id, "3")
    assert first["planned"] and first["same"]
    second = _child(_PLAN, cache, spec_id, "3")
    assert second == {**first, "planned": False, "jinja2": False}  # loaded, equal to a fresh plan
    # another project count is another layout (and another file)
    other = _child(_PLAN, cache, spec_id, "2")
    assert other["planned"] and other["same"] and other["sheets"] != first["sheets"]
    assert len(list(cache.glob("layout-*.pickle"))) == 2


def test_a_layout_cache_is_trusted_only_when_private_and_sound(tmp_path):
    cache = tmp_path / "cache"
    _child(_PLAN, cache, "hunan", "1")
    (path,) = cache.glob("layout-*.pickle")
    path.chmod(0o666)  # anybody could have written it: planned again
    assert _child(_PLAN, cache, "hunan", "1")["planned"]
    path.chmod(0o600)
    assert not _child(_PLAN, cache, "hunan", "1")["planned"]
    path.write_bytes(b"\x80\x05not a pickle")  # damaged: a miss
    got = _child(_PLAN, cache, "hunan", "1")
    assert got["planned"] and got["same"]
    # a file of another key under this name (copied, or a hash clash) is not used
    _child(_PLAN, cache, "hunan", "2")
    one, two = sorted(cache.glob("layout-*.pickle"), key=lambda p: p.stat().st_mtime)
    one.write_bytes(two.read_bytes())
    got = _child(_PLAN, cache, "hunan", "1")
    assert got["planned"] and got["same"] and got["sheets"][-1] == "项目1"  # not 项目2


def test_a1_references_are_xlsxwriters():
    import warnings

    from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell

    from xltargets.layout.model import a1, a1_position, col_letter

    for col in range(18_278):
        assert col_letter(col) == xl_col_to_name(col)
        for row in (0, 8, 1_048_575):
            for absolute in (False, True):
                ref = a1(row, col, absolute=absolute)
                assert ref == xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)
                assert a1_position(ref) == xl_cell_to_rowcol(ref)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (XlsxWriter warns outside the grid)
        for row, col in ((-1, 0), (0, -1), (3, 20_000)):
            assert a1(row, col) == xl_rowcol_to_cell(row, col)
        assert col_letter(-1) == xl_col_to_name(-1)
    for bad in ("A0", "a1", "AAAA1", "A12345678", "1A", ""):
        with pytest.raises(ValueError):
            a1_position(bad)


@pytest.mark.parametrize("template", [
    "项目{{ n }}", "项目{{n}}", "{{ n }}", "P{{  n  }}x", "部门整体绩效目标", "a}b", "a{b",
    "x{{ n }}{{ n }}", "{{ n+1 }}", "a\nb", "t\n", "{# c #}{{ n }}", " sp {{ n }} ",
    "{% raw %}{{ n }}{% endraw %}", "项目{{ n }}\n", "{{ n }}\r\n",
])
def test_sheet_names_render_as_jinja2_renders_them(template):
    import jinja2

    from xltargets.layout.plan import _sheet_name

    env = jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=False)
    for n in (0, 1, 12):
        _sheet_name.cache_clear()
        assert _sheet_name(template, n) == env.from_string(template).render(n=n)


@pytest.mark.parametrize("text", [
    "a.xlsx: 通过（错误 0，警告 0） → /tmp/out.json",
    "[bold]粗体[/] 文件", "表[1].xlsx: 通过", "C:\\x:y.json", ":smile: 笑", "制表\t符", "回车\r符",
    "普通的一行", "",
])
@pytest.mark.parametrize("highlight", [False, True])
def test_a_lazy_console_prints_what_rich_prints(text, highlight):
    lazy = LazyConsole(soft_wrap=True)
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        lazy.print(text, highlight=highlight)
    real = io.StringIO()
    Console(file=real, soft_wrap=True).print(text, highlight=highlight)
    assert buffer.getvalue() == real.getvalue()
