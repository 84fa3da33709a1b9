"""Generated templates, inspected with openpyxl: protection, inputs, validations, names, stamp."""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from xltargets.generate import Department, build_template
from xltargets.layout import LISTS_SHEET, plan
from xltargets.spec import load_spec

# The public field ids of shared/FORMS.md, by spec and sheet: the contract, written out here so
# that a spec change that renames one fails this test.
FORMS_IDS = {
    "hebei-county": {
        "department": ["unit_code", "unit_name", "year", "overall_goal", "sub_goals", "safeguards"],
        "project": ["project_code", "project_name", "budget_total", "budget_fiscal", "budget_other",
                    "funds_use", "plan_mar", "plan_jun", "plan_oct", "plan_dec", "goal"],
    },
    "hunan": {
        "department": ["dept_name", "year", "budget_total", "income_general", "income_fund",
                       "income_special", "income_other", "expense_basic", "expense_project",
                       "functions", "overall_goal", "filled_by", "phone", "filled_date"],
        "project": ["project_name", "dept", "budget_local", "budget_upper", "period", "period_goal",
                    "year_goal", "filled_by", "phone", "filled_date"],
    },
}
TABLE_COLUMNS = {
    "hebei-county": {"project": ["level1", "level2", "level3", "description", "value", "basis"]},
    "hunan": {"department": ["level1", "level2", "level3", "value"],
              "project": ["level1", "level2", "level3", "value", "standard"]},
}
SPECS = ["hebei-county", "hunan"]


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _load_values(data: bytes) -> openpyxl.Workbook:
    """The workbook as a spreadsheet shows it on opening: formulas' cached values."""
    return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def _cells(ref: str) -> set[tuple[int, int]]:
    c1, r1, c2, r2 = range_boundaries(ref)
    return {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}


@pytest.fixture(scope="module", params=SPECS)
def blank(request):
    spec = load_spec(request.param)
    built = build_template(spec, 2025, projects=2)
    return spec, built, _load(built.data)


def test_every_sheet_protected_and_structure_locked(blank):
    spec, built, wb = blank
    assert len(wb.worksheets) == 1 + 2 + 2  # department, 2 projects, instructions, lists
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
    xml = zipfile.ZipFile(io.BytesIO(built.data)).read("xl/workbook.xml").decode()
    assert '<workbookProtection lockStructure="1"/>' in xml
    assert wb[LISTS_SHEET].sheet_state == "hidden"


def test_exactly_the_input_cells_are_unlocked(blank):
    spec, built, wb = blank
    for sheet in built.layout.sheets:
        ws = wb[sheet.name]
        expected: set[tuple[int, int]] = set()
        for inp in sheet.inputs:
            if inp.fixed:
                continue
            b = inp.box
            expected |= {(r + 1, c + 1) for r in range(b.r1, b.r2 + 1) for c in range(b.c1, b.c2 + 1)}
        unlocked = {(cell.row, cell.column) for row in ws.iter_rows() for cell in row
                    if cell.protection.locked is False}
        assert unlocked == expected, sheet.name
    for ws in (wb[LISTS_SHEET], wb["填表说明"]):
        assert not [c for row in ws.iter_rows() for c in row if c.protection.locked is False]


def test_every_input_cell_has_a_validation_with_chinese_prompt_and_error(blank):
    spec, built, wb = blank
    for sheet in built.layout.sheets:
        ws = wb[sheet.name]
        covered: dict[tuple[int, int], object] = {}
        for dv in ws.data_validations.dataValidation:
            assert dv.promptTitle and dv.prompt and dv.errorTitle and dv.error, dv.sqref
            assert len(dv.promptTitle) <= 32 and len(dv.errorTitle) <= 32
            assert len(dv.prompt) <= 255 and len(dv.error) <= 224
            assert re.search(r"[\u4e00-\u9fff]", dv.prompt) and re.search(r"[\u4e00-\u9fff]", dv.error)
            for ref in str(dv.sqref).split():
                for cell in _cells(ref):
                    covered[cell] = dv
        for inp in sheet.inputs:
            if inp.fixed:
                continue
            assert (inp.box.r1 + 1, inp.box.c1 + 1) in covered, (sheet.name, inp.box.ref, inp.path)


def _lists_values(wb, name: str) -> list[str]:
    dn = wb.defined_names[name]
    (sheet, ref), = list(dn.destinations)
    assert sheet == LISTS_SHEET
    return [c.value for row in wb[sheet][ref.replace("$", "")] for c in row]


def test_dropdowns_come_from_the_lists_sheet_and_cascade(blank):
    spec, built, wb = blank
    level1 = [n.level1 for n in spec.taxonomy]
    assert _lists_values(wb, "tax_l1") == level1
    seen_cascade = False
    for sheet in built.layout.sheets:
        ws = wb[sheet.name]
        for dv in ws.data_validations.dataValidation:
            if dv.type != "list":
                continue
            formula = dv.formula1
            assert '"' not in formula or "INDIRECT" in formula, "inline lists are forbidden"
            m = re.fullmatch(r'INDIRECT\("(\w+)"&MATCH\(\$([A-Z]+)(\d+),(\w+),0\)\)', formula)
            if m:
                seen_cascade = True
                prefix, col, row, l1name = m.groups()
                first = min(_cells(str(dv.sqref).split()[0]))
                assert int(row) == first[0], "each row must follow its own 一级 cell"
                assert _lists_values(wb, l1name) == level1
                for i, node in enumerate(spec.taxonomy, start=1):
                    assert _lists_values(wb, f"{prefix}{i}") == node.level2
            else:
                assert formula in wb.defined_names, formula
                _lists_values(wb, formula)
    if spec.id == "hebei-county":
        assert seen_cascade


def test_basis_suggestions_accept_free_text():
    # only the Hebei form has 指标值确定依据
    wb = _load(build_template(load_spec("hebei-county"), 2025, projects=1).data)
    ws = wb["项目1"]
    dv = next(d for d in ws.data_validations.dataValidation if d.formula1 == "list_basis")
    assert dv.errorStyle == "warning"
    assert _lists_values(wb, "list_basis") == ["计划标准", "行业标准", "历史标准", "其他"]


def test_forms_ids_are_sheet_scoped_names_on_unlocked_cells(blank):
    spec, built, wb = blank
    for sheet in built.layout.sheets:
        ws = wb[sheet.name]
        for fid in FORMS_IDS[spec.id][sheet.key]:
            assert fid in ws.defined_names, (sheet.name, fid)
            (target, ref), = list(ws.defined_names[fid].destinations)
            assert target == sheet.name
            cell = ws[ref.replace("$", "").split(":")[0]]
            if fid == "year":
                assert cell.value == 2025 and cell.protection.locked is not False
            else:
                assert cell.protection.locked is False, (sheet.name, fid)


def test_table_column_names_cover_all_input_rows(blank):
    spec, built, wb = blank
    for sheet in built.layout.sheets:
        ws = wb[sheet.name]
        for col in TABLE_COLUMNS[spec.id].get(sheet.key, []):
            name = f"indicators_{col}"
            (target, ref), = list(ws.defined_names[name].destinations)
            rows = {r for r, _ in _cells(ref.replace("$", ""))}
            table = sheet.tables["indicators"]
            assert rows == {table.header_row + 2 + i for i in range(len(table.rows))}


def test_stamp_is_in_properties_and_on_the_lists_sheet(blank):
    spec, built, wb = blank
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["xltargets.spec_id"] == spec.id
    assert props["xltargets.spec_version"] == spec.version
    assert props["xltargets.template_id"] == built.stamp.template_id
    assert props["xltargets.year"] == "2025"
    ws = wb[LISTS_SHEET]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in values for v in row]
    assert "xltargets-stamp" in flat and built.stamp.template_id in flat


def test_print_setup_a4_one_page_wide(blank):
    spec, built, wb = blank
    for sheet in built.layout.sheets:
        ws = wb[sheet.name]
        assert ws.page_setup.paperSize == 9
        # fitToWidth is omitted when 1: that is its schema default (CT_PageSetup)
        # fitToHeight too when 1: each form sheet on one page (issue 11)
        assert (ws.page_setup.fitToWidth or 1) == 1 and (ws.page_setup.fitToHeight or 1) == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows


def test_generation_is_deterministic():
    for spec_id in SPECS:
        spec = load_spec(spec_id)
        a = build_template(spec, 2025, projects=3).data
        b = build_template(spec, 2025, projects=3).data
        assert a == b
        c = build_template(spec, 2026, projects=3).data
        assert a != c


def test_roster_prefill_is_written_and_locked():
    spec = load_spec("hebei-county")
    dept = Department("224002", "乐亭县网信办", "130225", projects=[
        {"project_code": "13022525P002H4T100074", "project_name": "购买舆情监测服务",
         "budget_total": Decimal("50.00"), "budget_fiscal": Decimal("50.00")},
    ])
    built = build_template(spec, 2025, department=dept)
    wb = _load(built.data)
    ws = wb["部门整体绩效目标"]
    assert ws["B2"].value == "224002" and ws["B2"].protection.locked is not False
    p = wb["项目1"]
    shown = _load_values(built.data)["项目1"]
    assert shown["A1"].value == "1.购买舆情监测服务绩效目标表"
    assert shown["A2"].value == "224002 乐亭县网信办"
    cell = p[list(p.defined_names["budget_total"].destinations)[0][1].replace("$", "")]
    assert cell.value == 50 and cell.protection.locked is not False
    other = p[list(p.defined_names["budget_other"].destinations)[0][1].replace("$", "")]
    assert other.value is None and other.protection.locked is False
    assert built.stamp.unit_code == "224002" and built.stamp.project_count == 1


def test_password_is_hashed_never_stored_in_clear():
    spec = load_spec("hunan")
    data = build_template(spec, 2024, projects=1, password="s3cret-密码").data
    z = zipfile.ZipFile(io.BytesIO(data))
    blob = b"".join(z.read(n) for n in z.namelist())
    assert b"s3cret" not in blob
    assert b'workbookPassword="' in z.read("xl/workbook.xml")
    assert b'password="' in z.read("xl/worksheets/sheet1.xml")


def test_layout_is_shared_by_project_count():
    spec = load_spec("hunan")
    assert plan(spec, 2) is plan(spec, 2)
    assert len(plan(spec, 5).sheets_of("project")) == 5


def test_roster_from_xlsx(tmp_path):
    import xlsxwriter

    from xltargets.generate import read_roster

    path = tmp_path / "roster.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for r, row in enumerate([["单位编码", "单位名称", "项目支出名称", "年度本级预算金额"],
                             [401001, "沅江市网信办", "B网评员培训经费", 3.2],
                             [401001, "沅江市网信办", "B网络新媒体推广合作专项经费", "3.84"]]):
        ws.write_row(r, 0, row)
    wb.close()
    (dept,) = read_roster(path, load_spec("hunan"))
    assert dept.unit_code == "401001"
    assert [p["budget_local"] for p in dept.projects] == [Decimal("3.2"), Decimal("3.84")]


def test_interrupted_batch_leaves_no_file_that_looks_complete(tmp_path, monkeypatch):
    from pathlib import Path

    import xltargets.generate as gen

    roster = Path(__file__).resolve().parent.parent / "examples" / "roster-hebei.csv"
    real = gen.draw_workbook
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl-C while the second workbook was drawn
        return real(*args, **kwargs)

    monkeypatch.setattr(gen, "draw_workbook", flaky)
    with pytest.raises(KeyboardInterrupt):
        gen.generate_batch(load_spec("hebei-county"), 2025, roster, tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 1 and files[0].startswith("224002_")  # the finished one, complete
    assert not (tmp_path / "manifest.json").exists()
    openpyxl.load_workbook(tmp_path / files[0])  # opens: it was written whole


def test_atomic_write_removes_its_temp_file_on_failure(tmp_path, monkeypatch):
    import os

    from xltargets import _atomic

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        _atomic.write_bytes(tmp_path / "x.xlsx", b"data")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spec_id", ["hebei-county", "hunan"])
def test_a_department_without_projects_is_told_why_there_is_no_project_sheet(spec_id):
    """Issue 11: a roster department with no projects gets a workbook that says so."""
    import io

    def lines(projects: int) -> list[str]:
        data = build_template(load_spec(spec_id), 2024, projects=projects).data
        ws = openpyxl.load_workbook(io.BytesIO(data))["填表说明"]
        return [str(c.value) for c in ws["A"] if c.value]

    note = "本单位没有预算项目，因此本工作簿只有部门表"
    assert any(note in line for line in lines(0))
    assert not any(note in line for line in lines(1))
    assert any("不能插入行" in line for line in lines(1))


@pytest.mark.parametrize("absurd", ["1e999999999", "-1e308", "1e-200000000", "NaN", "Infinity"])
def test_absurd_numbers_given_to_the_generator_leave_the_checks_blank(absurd):
    # a feedback copy or a library caller may hand the generator any text a department typed:
    # a check's cached text over it must not raise decimal.Overflow nor print a verdict
    spec = load_spec("hebei-county")
    sheet = plan(spec, 1).sheets[1].name
    values = {sheet: {("budget_total",): absurd, ("budget_fiscal",): "1e999999999"}}
    built = build_template(spec, 2025, projects=1, values=values)
    wb = openpyxl.load_workbook(io.BytesIO(built.data))
    ws = wb[sheet]
    texts = {str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert absurd in texts  # the typed text is written back as typed
    checks = {c.box.ref.encode() for c in plan(spec, 1).sheets[1].checks}
    cached = [v for ref, v in re.findall(rb'<c r="([A-Z]+[0-9]+)"[^>]*><f>[^<]*</f><v>([^<]*)</v>',
                                         zipfile.ZipFile(io.BytesIO(built.data)).read(
                                             "xl/worksheets/sheet2.xml")) if ref in checks]
    # text is not a number to Excel (COUNT()=0): the check stays blank, as Excel would show it
    assert cached and set(cached) == {b""}


def _name_cell(ws, name: str) -> str:
    return list(ws.defined_names[name].destinations)[0][1]


def test_titles_and_unit_line_follow_the_typed_cells():
    """The project title and the unit line are formulas over the typed cells (locked, like every
    printed text), with the value they show computed at generation: a blank template shows
    1.预算项目绩效目标表 and no unit; a prefilled or filled one its own project and unit."""
    spec = load_spec("hebei-county")
    blank = build_template(spec, 2025, projects=2).data
    dept = Department("224002", "中共乐亭县委网络安全和信息化委员会办公室", "130225", projects=[
        {"project_code": "13022525P002H4T100074", "project_name": "购买舆情监测服务",
         "budget_total": Decimal("50.00"), "budget_fiscal": Decimal("50.00")},
        {"project_code": "13022525P002H4T10005W", "project_name": "网信乐亭",
         "budget_total": Decimal("2.00"), "budget_fiscal": Decimal("2.00")}])
    prefilled = build_template(spec, 2025, department=dept).data
    typed = build_template(spec, 2025, projects=1, values={
        "项目1": {("project_name",): "网络强军工程和网络宣传"},
        "部门整体绩效目标": {("unit_code",): "224001", ("unit_name",): "中共魏县县委网信办"}}).data
    wb = _load(blank)
    dept_sheet = wb["部门整体绩效目标"]
    code, name = _name_cell(dept_sheet, "unit_code"), _name_cell(dept_sheet, "unit_name")
    for n in (1, 2):
        ws = wb[f"项目{n}"]
        title, unit = ws["A1"], ws["A2"]
        own = _name_cell(ws, "project_name")
        assert title.value == f'="{n}."&IF({own}="","预算项目",{own})&"绩效目标表"'
        assert f"'部门整体绩效目标'!{code}" in unit.value and f"'部门整体绩效目标'!{name}" in unit.value
        assert title.protection.locked is not False and unit.protection.locked is not False
        assert ws.protection.sheet
    shown = _load_values(blank)
    assert [shown[f"项目{n}"]["A1"].value for n in (1, 2)] == ["1.预算项目绩效目标表", "2.预算项目绩效目标表"]
    assert shown["项目1"]["A2"].value in (None, "")
    shown = _load_values(prefilled)
    assert [shown[f"项目{n}"]["A1"].value for n in (1, 2)] == [
        "1.购买舆情监测服务绩效目标表", "2.网信乐亭绩效目标表"]
    assert shown["项目2"]["A2"].value == "224002 中共乐亭县委网络安全和信息化委员会办公室"
    shown = _load_values(typed)
    assert shown["项目1"]["A1"].value == "1.网络强军工程和网络宣传绩效目标表"
    assert shown["项目1"]["A2"].value == "224001 中共魏县县委网信办"


def test_live_text_needs_a_single_text_cell():
    """A live part naming a list, a money field or a repeated sheet's field is refused with its
    place in the spec (a number would print in General format; a repeated sheet has no one cell)."""
    import yaml

    from xltargets.errors import SpecError
    from xltargets.spec.load import parse_spec

    base = yaml.safe_load(Path("specs/hebei-county.yaml").read_text(encoding="utf-8"))
    for part, words in (({"field": "year"}, "不是单个文字单元格"),
                        ({"field": "sub_goals", "sheet": "department"}, "不是单个文字单元格"),
                        ({"field": "project_name", "sheet": "nowhere"}, "未知的工作表"),
                        ({"field": "nothing"}, "没有字段")):
        data = json.loads(json.dumps(base))
        data["sheets"][0]["rows"][0]["cells"][0] = {"live": ["x", part], "span": 6, "style": "title"}
        with pytest.raises(SpecError) as err:
            parse_spec(yaml.safe_dump(data, allow_unicode=True))
        assert words in str(err.value)
    data = json.loads(json.dumps(base))
    data["sheets"][0]["rows"][0]["cells"][0] = {
        "live": [{"field": "project_code", "sheet": "project"}], "span": 6, "style": "title"}
    with pytest.raises(SpecError, match="按项目重复"):
        parse_spec(yaml.safe_dump(data, allow_unicode=True))


def test_hunan_year_is_kept_out_of_the_printed_form():
    """The Hunan department form prints the year in its title only: the 预算年度 cell (set by the
    generator, locked, named ``year``) sits in a hidden row; 资金总额 spans its row as printed."""
    spec = load_spec("hunan")
    sheet = plan(spec, 1).sheets_of("department")[0]
    year = sheet.input("year")
    assert sheet.hidden_rows == (year.box.r1,) and year.box.r1 == sheet.n_rows - 1
    total = sheet.input("budget_total").box
    assert (total.c1, total.c2) == (2, 4)
    ws = _load(build_template(spec, 2024, projects=1).data)[sheet.name]
    assert ws.row_dimensions[year.box.r1 + 1].hidden
    cell = ws[year.box.ref]
    assert cell.value == 2024 and cell.protection.locked is not False
    assert _name_cell(ws, "year") == f"${year.box.ref[0]}${year.box.r1 + 1}"
    assert not any(ws.row_dimensions[r].hidden for r in range(1, year.box.r1 + 1))


def test_merge_equal_hides_a_repeated_level1_and_keeps_every_cell():
    """Hebei's 一级指标 prints once per run like the official form's merged cell: every row keeps
    its own unmerged cell with the cascade; conditional formats hide the repeat and draw the line
    where a run starts (LibreOffice render: tests/test_libreoffice_print.py)."""
    spec = load_spec("hebei-county")
    sheet = plan(spec, 1).sheets_of("project")[0]
    table = sheet.tables["indicators"]
    assert table.merge_equal == ("level1",)
    ws = _load(build_template(spec, 2025, projects=1).data)[sheet.name]
    first = table.rows[0].cells["level1"].box
    last = table.rows[-1].cells["level1"].box
    merged = [str(r) for r in ws.merged_cells.ranges]
    assert not any(first.ref in _cells_of(r) for r in merged)
    rules = {str(rng.sqref): [r.formula[0] for r in rng.rules] for rng in ws.conditional_formatting}
    below = f"{first.ref[0]}{first.r1}"
    body = f"{first.ref}:{first.ref[0]}{last.r1}"
    assert rules[body] == [f'OR({first.ref}="",{first.ref}<>{below})',
                           f'AND({first.ref}<>"",{first.ref}={below})']
    assert f"{last.ref}" in rules
    # one cascade over the column: relative to each row's own 一级 cell
    level2 = next(v for v in ws.data_validations.dataValidation
                  if str(v.sqref).startswith(table.rows[0].cells["level2"].box.ref + ":"))
    assert "INDIRECT" in level2.formula1 and f"${first.ref[0]}{first.r1 + 1}" in level2.formula1


def _cells_of(ref: str) -> set[str]:
    from openpyxl.utils.cell import get_column_letter

    c1, r1, c2, r2 = range_boundaries(ref)
    return {f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}


def test_instructions_name_the_specs_money_unit():
    """填表说明 item 三 names the spec's money unit: Shanghai's forms are in 元 (its item said 万元
    next to the spec's own line saying 元, not 万元)."""
    for spec_id, unit in (("shanghai-district", "元"), ("hebei-county", "万元")):
        ws = _load(build_template(load_spec(spec_id), 2026, projects=1).data)["填表说明"]
        lines = [c.value for c in ws["A"] if isinstance(c.value, str)]
        (money,) = [line for line in lines if line.startswith("三、")]
        assert money.startswith(f"三、金额单位为{unit}，") and f"“{unit}”" in money


def _roster_xlsx(path, far_value: bool):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for r, row in enumerate([["单位编码", "单位名称", "项目支出名称", "年度本级预算金额"],
                             [401001, "沅江市网信办", "B网评员培训经费", 3.2]]):
        ws.write_row(r, 0, row)
    if far_value:
        ws.write(100_000, 16_000, "x")  # a stray value far away: calamine would allocate it all
    else:
        ws.write_blank(1_048_575, 16_383, None, wb.add_format({"bold": True}))  # format, no value
    wb.close()
    return path


def test_roster_with_a_far_value_is_refused_before_calamine_allocates(tmp_path):
    import resource
    import subprocess
    import sys

    roster = _roster_xlsx(tmp_path / "roster.xlsx", far_value=True)

    def limit() -> None:  # the old code asked the allocator for ~1.6e9 cells and aborted
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    done = subprocess.run([sys.executable, "-m", "xltargets", "generate", "hunan", "--year", "2025",
                           "--roster", str(roster), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(roster) in lines[0]
    assert "名单工作簿第一个工作表的内容过大" in lines[0] and "第100001行、第16001列" in lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_roster_with_formatting_far_away_is_read(tmp_path):
    from xltargets.generate import read_roster

    (dept,) = read_roster(_roster_xlsx(tmp_path / "roster.xlsx", far_value=False), load_spec("hunan"))
    assert dept.unit_code == "401001" and dept.projects[0]["budget_local"] == Decimal("3.2")
