"""Capacity (issue 11): rows of tables and lists chosen at generate, recorded in the template and
read back from it. The LibreOffice round trip (typed rows, collect's feedback copy) is in
tests/test_libreoffice_capacity.py."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xltargets.cli import app
from xltargets.collect import feedback_workbook
from xltargets.errors import RosterError, WorkbookError
from xltargets.generate import build_template, generate_batch, read_roster
from xltargets.layout import plan
from xltargets.layout.capacity import (
    MAX_CATEGORY_ROWS,
    MAX_TABLE_ROWS,
    Capacity,
    CapacityError,
    blocks,
    requested,
)
from xltargets.read import read_workbook
from xltargets.read._reader import read_raw
from xltargets.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _rows(layout, sheet_index: int, table: str = "indicators") -> int:
    return len(layout.sheets[sheet_index].tables[table].rows)


def _list_rows(layout, field: str) -> int:
    return sum(1 for s in layout.sheets[:1] for i in s.inputs if i.field == field)


def test_plan_takes_the_capacity():
    hebei, hunan = load_spec("hebei-county"), load_spec("hunan")
    assert _rows(plan(hebei, 1), 1) == 15
    big = plan(hebei, 1, Capacity.of(hebei, {"indicators": 25, "sub_goals": 12}))
    assert _rows(big, 1) == 25 and _list_rows(big, "sub_goals") == 12
    assert _list_rows(big, "safeguards") == 8
    # Hunan: 9 categories; 数量/质量 keep their 3 rows on the department sheet when fewer are asked
    assert _rows(plan(hunan, 1), 0) == 2 * 7 + 3 * 2 and _rows(plan(hunan, 1), 1) == 18
    four = plan(hunan, 1, Capacity.of(hunan, {"indicators": 4}))
    assert _rows(four, 0) == 36 and _rows(four, 1) == 36
    one = plan(hunan, 1, Capacity.of(hunan, {"indicators": 1}))
    assert _rows(one, 0) == 7 + 6 and _rows(one, 1) == 9
    # every row of a category carries its 一级/二级, and the names cover all the rows
    table = four.sheets[0].tables["indicators"]
    assert [r.fixed["level2"] for r in table.rows[:5]] == ["数量指标"] * 4 + ["质量指标"]
    names = {n.name: n.ref for n in four.sheets[0].names}
    first = table.rows[0].cells["level3"].box.r1 + 1
    assert names["indicators_level3"].endswith(f"$D${first}:$D${first + 35}")


def test_capacity_text_is_canonical_and_drops_the_spec_rows():
    hebei = load_spec("hebei-county")
    cap = Capacity.of(hebei, {"sub_goals": 10, "indicators": 20, "safeguards": 8})
    assert cap.text() == "indicators=20,sub_goals=10"  # sorted; safeguards=8 is the spec's
    assert Capacity.parse(cap.text(), hebei) == cap
    assert not Capacity.of(hebei, {"indicators": 15}) and Capacity.of(hebei, {}).text() == ""
    assert requested(hebei, indicator_rows=20, rows=["分项绩效目标=10"]) == \
        {"indicators": 20, "sub_goals": 10}
    assert requested(load_spec("hunan"), category_rows=3) == {"indicators": 3}


@pytest.mark.parametrize("text, message", [
    (f"indicators={MAX_TABLE_ROWS + 1}", "1–100"),
    ("indicators=99999", "格式不正确"),        # five digits: never parsed
    ("indicators=0", "1–100"),
    ("sub_goals=0", "1–50"),                     # at least its min_items
    ("budget_total=3", "没有可调整行数"),
    ("indicators=20,indicators=21", "重复"),
    ("indicators=2e9", "格式不正确"),
    ("indicators=20;x", "格式不正确"),
    ("x" * 300, "过长"),
])
def test_parse_refuses_what_no_template_has(text, message):
    with pytest.raises(CapacityError, match=message):
        Capacity.parse(text, load_spec("hebei-county"))


def test_default_capacity_gives_the_same_bytes_and_id():
    hebei = load_spec("hebei-county")
    plain = build_template(hebei, 2025, projects=2)
    same = build_template(hebei, 2025, projects=2, capacity=Capacity.of(hebei, {"indicators": 15}))
    assert plain.data == same.data
    props = zipfile.ZipFile(io.BytesIO(plain.data)).read("docProps/custom.xml").decode()
    assert "capacity" not in props  # an old template and a default one are the same file
    more = build_template(hebei, 2025, projects=2, capacity=Capacity.of(hebei, {"indicators": 16}))
    assert more.stamp.template_id != plain.stamp.template_id
    props = zipfile.ZipFile(io.BytesIO(more.data)).read("docProps/custom.xml").decode()
    assert "xltargets.capacity" in props and "indicators=16" in props


def test_reader_plans_the_rows_the_stamp_names(tmp_path):
    hunan = load_spec("hunan")
    built = build_template(hunan, 2025, projects=1, capacity=Capacity.of(hunan, {"indicators": 3}))
    path = tmp_path / "t.xlsx"
    path.write_bytes(built.data)
    sub = read_workbook(path)
    assert sub.to_json()["source"]["stamp"]["capacity"] == "indicators=3"
    raw = read_raw(path)
    assert [len(s.tables["indicators"].rows) for s in raw.layout.sheets] == [27, 27]
    # a default template has no capacity in its stamp and reads with the spec's rows
    path.write_bytes(build_template(hunan, 2025, projects=1).data)
    assert "capacity" not in read_workbook(path).to_json()["source"]["stamp"]


def _forge(data: bytes, old: str, new: str, where: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item)
            if item.filename == where:
                assert old.encode() in body
                body = body.replace(old.encode(), new.encode())
            zout.writestr(item, body)
    return out.getvalue()


@pytest.mark.parametrize("forged", ["indicators=100000", "indicators=101", "budget_total=3",
                                    "indicators=20,indicators=20", "indicators=-1"])
def test_a_forged_capacity_is_refused_before_anything_is_planned(tmp_path, forged):
    hebei = load_spec("hebei-county")
    data = build_template(hebei, 2025, projects=1, capacity=Capacity.of(hebei, {"indicators": 20})).data
    data = _forge(data, "indicators=20", forged, "docProps/custom.xml")
    path = tmp_path / "forged.xlsx"
    path.write_bytes(data)
    with pytest.raises(WorkbookError) as info:
        read_workbook(path)
    assert info.value.code == "bad_capacity"
    assert "行数设置无效" in info.value.message and "forged.xlsx" in str(info.value)


def test_cli_refuses_a_huge_capacity_in_chinese_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    for args, message in [
        (["--indicator-rows", "100000"], "绩效指标的行数应为 1–100 之间的整数，不能是 100000"),
        (["--category-rows", "3"], "没有“每类指标行数”"),
        (["--rows", "sub_goals"], "应写作 表格或列表=行数"),
        (["--rows", "foo=3"], "没有可调整行数的“foo”"),
    ]:
        r = runner.invoke(app, ["generate", "hebei-county", "--year", "2025", "--projects", "1",
                                "--out", str(out), *args])
        assert r.exit_code == 2, r.output
        assert message in r.output and "Traceback" not in r.output
        assert not list(out.glob("*.xlsx"))
    r = runner.invoke(app, ["generate", "hunan", "--year", "2025", "--projects", "1", "--out", str(out),
                            "--category-rows", str(MAX_CATEGORY_ROWS + 1)])
    assert r.exit_code == 2 and "每类行数应为 1–20" in r.output
    r = runner.invoke(app, ["generate", "hunan", "--year", "2025", "--projects", "1", "--out", str(out),
                            "--indicator-rows", "20"])
    assert r.exit_code == 2 and "请用 --category-rows" in r.output
    r = runner.invoke(app, ["generate", "hunan", "--year", "2025", "--projects", "1", "--out", str(out),
                            "--category-rows", "4"])
    assert r.exit_code == 0, r.output
    (path,) = out.glob("*.xlsx")
    assert "每类4行" in path.name
    assert read_workbook(path).to_json()["source"]["stamp"]["capacity"] == "indicators=4"


def _roster(tmp_path: Path, spec_id: str, column: str, values: dict[str, str]) -> Path:
    src = (ROOT / "examples" / f"roster-{spec_id.split('-')[0]}.csv").read_text(encoding="utf-8")
    lines = src.splitlines()
    out = [lines[0] + "," + column]
    for line in lines[1:]:
        code = line.split(",", 1)[0]
        out.append(line + "," + values.get(code, ""))
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_roster_column_gives_one_department_more_rows(tmp_path):
    hebei = load_spec("hebei-county")
    roster = _roster(tmp_path, "hebei-county", "指标行数", {"224001": "30"})
    manifest = generate_batch(hebei, 2025, roster, tmp_path / "out", rows={"sub_goals": 10})
    by_code = {w["unit_code"]: w for w in manifest["workbooks"]}
    assert by_code["224001"]["rows"] == {"sub_goals": 10, "safeguards": 8, "indicators": 30}
    assert by_code["224002"]["rows"] == {"sub_goals": 10, "safeguards": 8, "indicators": 15}
    sub = read_workbook(tmp_path / "out" / by_code["224001"]["file"])
    assert sub.to_json()["source"]["stamp"]["capacity"] == "indicators=30,sub_goals=10"
    json.dumps(manifest)  # plain JSON


@pytest.mark.parametrize("value, message", [("1000", "1–100"), ("很多", "应为整数"), ("2.5", "应为整数")])
def test_roster_column_bad_value_names_the_row(tmp_path, value, message):
    roster = _roster(tmp_path, "hebei-county", "indicator_rows", {"224003": value})
    with pytest.raises(RosterError, match=message) as info:
        read_roster(roster, load_spec("hebei-county"))
    assert info.value.row is not None and info.value.row > 1


def test_roster_category_rows_for_hunan_only(tmp_path):
    roster = _roster(tmp_path, "hunan", "每类指标行数", {"401002": "3"})
    depts = {d.unit_code: d for d in read_roster(roster, load_spec("hunan"))}
    assert depts["401002"].rows == {"indicators": 3} and depts["401001"].rows == {}
    roster = _roster(tmp_path, "hebei-county", "每类指标行数", {"224003": "3"})
    with pytest.raises(RosterError, match="未知的列"):
        read_roster(roster, load_spec("hebei-county"))


def test_feedback_copy_keeps_the_capacity(tmp_path):
    hebei = load_spec("hebei-county")
    cap = Capacity.of(hebei, {"indicators": 20})
    built = build_template(hebei, 2025, projects=1, capacity=cap,
                           values={"项目1": {("indicators", 19, "level3"): "第二十行"}})
    path = tmp_path / "r.xlsx"
    path.write_bytes(built.data)
    data = read_workbook(path).to_json()
    (row,) = [r for r in data["projects"][0]["indicators"] if r["row"] == 20]
    assert row["level3"] == "第二十行"
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(feedback_workbook(hebei, data))
    again = read_workbook(copy).to_json()
    assert again["source"]["stamp"]["capacity"] == "indicators=20"
    assert [r["level3"] for r in again["projects"][0]["indicators"] if r["row"] == 20] == ["第二十行"]


def test_blocks_of_every_builtin_spec():
    got = {sid: {b.id: (b.kind, b.default) for b in blocks(load_spec(sid)).values()}
           for sid in ("hebei-county", "hunan", "shanghai-district")}
    assert got["hebei-county"] == {"sub_goals": ("list", 8), "safeguards": ("list", 8),
                                   "indicators": ("table", 15)}
    assert got["hunan"] == {"indicators": ("category", 2)}
    assert got["shanghai-district"] == {"indicators": ("table", 15)}
    assert re.fullmatch(r"[a-z_=0-9,]*", Capacity.of(load_spec("hunan"), {"indicators": 5}).text())


def test_default_sheets_keep_the_spec_print_setup_and_taller_ones_break_between_blocks():
    for spec_id in ("hebei-county", "hunan", "shanghai-district"):
        spec = load_spec(spec_id)
        assert all(not s.row_breaks and s.pages == 1 for s in plan(spec, 2).sheets)
    hunan = load_spec("hunan")
    layout = plan(hunan, 1, Capacity.of(hunan, {"indicators": 8}))
    for sheet in layout.sheets:
        assert sheet.pages == 0 and len(sheet.row_breaks) >= 2
        labels = [st for st in sheet.statics if st.text == "产出指标"]
        # the 一级 label is cut into one piece per page, each piece whole on its page
        assert len(labels) >= 2
        for b in sheet.row_breaks:
            for box in [st.box for st in sheet.statics] + [i.box for i in sheet.inputs]:
                assert not box.r1 < b <= box.r2, (sheet.name, b, box)
        # together the pieces cover the rows the label covered
        rows = sorted(r for st in labels for r in range(st.box.r1, st.box.r2 + 1))
        assert rows == list(range(rows[0], rows[0] + 8 * 4))
