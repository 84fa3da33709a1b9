"""Reading filled workbooks: exact values back, and exactly one finding per planted mistake.

Each mistake is planted alone into a clean form; the test names the finding it must cause by
(code, sheet, cell). The same table runs through LibreOffice in test_libreoffice_roundtrip.py.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from forms import CLEAN, rewrite, skeleton_row, write_fill

from xltargets.errors import WorkbookError
from xltargets.read import ReadOptions, read_workbook

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "schemas" / "submission.schema.json")
                    .read_text(encoding="utf-8"))

D = "部门整体绩效目标"
P = "项目1"
HD = "部门整体支出绩效目标表"
HC = skeleton_row("hunan", "project", "成本指标")

# (id, spec, {(sheet, path): value}, [(code, sheet, cell), ...])
MISTAKES = [
    ("required", "hebei-county", {(P, ("goal",)): None}, [("required_missing", P, "B9")]),
    ("money-text", "hebei-county", {(P, ("budget_other",)): "四万五"},
     [("invalid_number", P, "G4")]),
    ("sum", "hebei-county", {(P, ("budget_fiscal",)): Decimal("40.00")}, [("sum_mismatch", P, "C4")]),
    ("plan-decreasing", "hebei-county", {(P, ("plan_oct",)): Decimal("40")},
     [("plan_decreasing", P, "D8")]),
    ("plan-not-100", "hebei-county", {(P, ("plan_dec",)): Decimal("90")},
     [("plan_not_complete", P, "E8")]),
    ("plan-amounts", "hebei-county",
     {(P, ("plan_mar",)): None, (P, ("plan_jun",)): Decimal("50.00"),
      (P, ("plan_oct",)): Decimal("50.00"), (P, ("plan_dec",)): Decimal("50.00")},
     [("plan_looks_like_amounts", P, "C8")]),
    ("plan-blank", "hebei-county",
     {(P, (f,)): None for f in ("plan_mar", "plan_jun", "plan_oct", "plan_dec")},
     [("plan_not_complete", P, "E8")]),
    ("plan-early-blank", "hebei-county", {(P, ("plan_mar",)): None}, []),
    ("percent-range", "hebei-county", {(P, ("plan_mar",)): Decimal("-5")},
     [("percent_out_of_range", P, "B8")]),
    ("level2-stale", "hebei-county", {(P, ("indicators", 0, "level2")): "社会效益指标"},
     [("level2_mismatch", P, "B11")]),
    ("level1-unknown", "hebei-county", {(P, ("indicators", 2, "level1")): "效果指标"},
     [("level1_unknown", P, "A13"), ("category_missing", P, "A10")]),
    ("category-missing", "hebei-county",
     {(P, ("indicators", 3, c)): None for c in ("level1", "level2", "level3", "description", "value", "basis")},
     [("category_missing", P, "A10")]),
    ("indicator-incomplete", "hebei-county", {(P, ("indicators", 1, "value")): None},
     [("required_missing", P, "F12")]),
    ("code-pattern", "hebei-county", {(P, ("project_code",)): "1302252P002H4T"},
     [("code_pattern", P, "B3")]),
    ("code-year", "hebei-county", {(P, ("project_code",)): "13022521P002H4T100074"},
     [("code_year_mismatch", P, "B3")]),
    ("cost-cap", "hebei-county", {(P, ("indicators", 1, "value")): "≤80万元"},
     [("cost_cap_exceeds_budget", P, "F12")]),
    ("money-in-yuan", "hebei-county",
     {(P, ("budget_total",)): "500000元", (P, ("budget_fiscal",)): "455000元",
      (P, ("budget_other",)): "45000元"},
     [("money_in_yuan", P, "C4"), ("money_in_yuan", P, "E4"), ("money_in_yuan", P, "G4")]),
    ("list-empty", "hebei-county", {(D, ("sub_goals", 0)): None, (D, ("sub_goals", 1)): None},
     [("list_too_few", D, "B4")]),
    ("unit-code", "hebei-county", {(D, ("unit_code",)): "22400A"}, [("code_pattern", D, "B2")]),
    ("income-split", "hunan", {(HD, ("income_general",)): Decimal("100.00")},
     [("sum_mismatch", HD, "C4")]),
    ("expense-split", "hunan", {(HD, ("expense_basic",)): Decimal("66.16")},
     [("sum_mismatch", HD, "C4")]),
    ("projects-total", "hunan",
     {(HD, ("expense_basic",)): Decimal("100.04"), (HD, ("expense_project",)): Decimal("9.00")},
     [("projects_sum_mismatch", HD, "E7")]),
    ("phone", "hunan", {(HD, ("phone",)): "12345"}, [("invalid_phone", HD, "D33")]),
    ("date", "hunan", {(P, ("filled_date",)): "2024年13月1日"}, [("invalid_date", P, "F27")]),
    ("hunan-value-missing", "hunan", {(P, ("indicators", HC, "value")): None},
     [("required_missing", P, f"E{9 + HC}")]),
    ("hunan-cost-cap", "hunan", {(P, ("indicators", HC, "value")): "≤96万元"},
     [("cost_cap_exceeds_budget", P, f"E{9 + HC}")]),
]


def plant(spec_id: str, changes: dict) -> dict:
    fill = CLEAN[spec_id][0]()
    for (sheet, path), value in changes.items():
        if value is None:
            fill[sheet].pop(path, None)
        else:
            fill[sheet][path] = value
    return fill


def _found(sub) -> list[tuple[str, str, str]]:
    return sorted((f.code, f.sheet or "", f.cell or "") for f in sub.findings)


@pytest.mark.parametrize("spec_id", sorted(CLEAN))
def test_clean_form_round_trips_without_findings(spec_id, tmp_path):
    fill = CLEAN[spec_id][0]()
    path = write_fill(spec_id, fill, tmp_path / "clean.xlsx")
    sub = read_workbook(path)
    assert _found(sub) == []
    assert sub.status == "accepted"
    data = sub.to_json()
    jsonschema.validate(data, SCHEMA)
    assert data["source"]["stamp"]["spec_id"] == spec_id
    sheets = {data["department"]["sheet"]: data["department"]} | {p["sheet"]: p for p in data["projects"]}
    for sheet, values in fill.items():
        obj = sheets[sheet]
        for path, value in values.items():
            if len(path) == 1:
                got = obj[path[0]]
            elif len(path) == 2:
                got = obj[path[0]][path[1]]
            else:
                row = next(r for r in obj[path[0]] if r["row"] == path[1] + 1)
                got = row[path[2]]
                _assert_same(got, value, (sheet, path), row.get("markers"))
                continue
            _assert_same(got, value, (sheet, path), obj.get("markers"))


def _assert_same(got, value, where, markers=None) -> None:
    if value in ("……", "涉密"):
        assert got is None and where[1][-1] in (markers or {}), where
    elif isinstance(value, Decimal):
        # money travels as an exact decimal string, never a float
        assert isinstance(got, str) and Decimal(got) == value, where
    elif isinstance(value, dt.date):
        assert got == value.isoformat(), where
    elif isinstance(got, dict):
        assert got["text"] == value, where
    else:
        assert got == value, where


@pytest.mark.parametrize("case", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_planted_mistake_gives_exactly_its_finding(case, tmp_path):
    name, spec_id, changes, expected = case
    path = write_fill(spec_id, plant(spec_id, changes), tmp_path / f"{name}.xlsx")
    sub = read_workbook(path)
    assert _found(sub) == sorted(expected)
    jsonschema.validate(sub.to_json(), SCHEMA)
    for f in sub.findings:
        assert f.message and any("\u4e00" <= ch <= "\u9fff" for ch in f.message)


def test_money_is_exact_decimal_text_in_json(tmp_path):
    fill = CLEAN["hebei-county"][0]()
    fill[P][("budget_total",)] = "１，２３４．５６"   # full-width, typed as text
    fill[P][("budget_fiscal",)] = Decimal("1234.06")
    fill[P][("budget_other",)] = Decimal("0.50")
    sub = read_workbook(write_fill("hebei-county", fill, tmp_path / "m.xlsx"))
    project = sub.to_json()["projects"][0]
    assert project["budget_total"] == "1234.56"
    assert project["budget_other"] == "0.50"
    assert not sub.errors


def test_invalid_values_are_kept_not_lost(tmp_path):
    fill = CLEAN["hebei-county"][0]()
    fill[P][("budget_other",)] = "四万五"
    sub = read_workbook(write_fill("hebei-county", fill, tmp_path / "x.xlsx"))
    project = sub.to_json()["projects"][0]
    assert project["budget_other"] is None
    assert project["invalid"] == {"budget_other": "四万五"}


def test_redacted_and_not_applicable_are_recorded_not_missing(tmp_path):
    fill = CLEAN["hebei-county"][0]()
    for col in ("level3", "description", "value", "basis"):
        fill[P][("indicators", 0, col)] = "涉密"
    sub = read_workbook(write_fill("hebei-county", fill, tmp_path / "r.xlsx"))
    assert _found(sub) == []
    row = sub.to_json()["projects"][0]["indicators"][0]
    assert row["markers"] == {"level3": "redacted", "description": "redacted", "value": "redacted",
                              "basis": "redacted"}
    hunan = read_workbook(write_fill("hunan", CLEAN["hunan"][0](), tmp_path / "n.xlsx"))
    na = [r for r in hunan.to_json()["department"]["indicators"] if r["level2"] == "经济效益指标"]
    assert na and na[0]["markers"] == {"level3": "not_applicable"}


def test_fractions_from_percent_cells(tmp_path):
    fill = CLEAN["hebei-county"][0]()
    for field, v in zip(("plan_mar", "plan_jun", "plan_oct", "plan_dec"), ("0.25", "0.5", "0.75", "1"),
                        strict=True):
        fill[P][(field,)] = Decimal(v)
    sub = read_workbook(write_fill("hebei-county", fill, tmp_path / "f.xlsx"))
    project = sub.to_json()["projects"][0]
    assert [project[f] for f in ("plan_mar", "plan_jun", "plan_oct", "plan_dec")] == ["25", "50", "75", "100"]
    assert not sub.errors


def test_wrong_spec_override_is_a_clear_error(tmp_path):
    path = write_fill("hunan", CLEAN["hunan"][0](), tmp_path / "h.xlsx")
    with pytest.raises(WorkbookError) as info:
        read_workbook(path, ReadOptions(spec="hebei-county"))
    assert info.value.code == "wrong_spec"
    assert "hunan" in info.value.message and "hebei-county" in info.value.message


def test_unstamped_workbook_is_read_with_a_warning(tmp_path):
    def unstamp(name: str, data: bytes) -> bytes:
        if name == "docProps/custom.xml":
            return data.replace(b"xltargets.", b"other.")
        if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
            return data.replace(b"xltargets-stamp", b"removed-stamp")
        return data

    path = rewrite(write_fill("hebei-county", CLEAN["hebei-county"][0](), tmp_path / "s.xlsx"), unstamp)
    sub = read_workbook(path)
    assert [f.code for f in sub.findings] == ["no_stamp"]
    assert sub.to_json()["projects"][0]["budget_total"] == "50.00"


def test_older_spec_version_is_named(tmp_path):
    def older(name: str, data: bytes) -> bytes:
        if name == "docProps/custom.xml":
            return data.replace(b'name="xltargets.spec_version"><vt:lpwstr>1.0<',
                                b'name="xltargets.spec_version"><vt:lpwstr>0.9<')
        return data

    path = rewrite(write_fill("hunan", CLEAN["hunan"][0](), tmp_path / "v.xlsx"), older)
    sub = read_workbook(path)
    mismatch = [f for f in sub.findings if f.code == "spec_version_mismatch"]
    assert mismatch and "0.9" in mismatch[0].message and "1.0" in mismatch[0].message


def test_reading_never_modifies_the_file(tmp_path):
    path = write_fill("hunan", CLEAN["hunan"][0](), tmp_path / "ro.xlsx")
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    read_workbook(path)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


def test_a_file_read_whole_or_part_by_part_gives_the_same_submission(tmp_path, monkeypatch):
    from xltargets.read import Limits, _zip

    path = write_fill("hunan", CLEAN["hunan"][0](), tmp_path / "r.xlsx")
    size = path.stat().st_size
    whole = read_workbook(path).to_json()
    monkeypatch.setattr(_zip, "WHOLE_READ_BYTES", size - 1)  # too large to be read whole
    assert read_workbook(path).to_json() == whole
    # a file that grew past the whole-read bound after it was looked at is read from the
    # file, and still judged by the size limit
    real_stat = Path.stat

    def looked_smaller(self, *args, **kwargs):
        info = real_stat(self, *args, **kwargs)
        if self.name != "r.xlsx":
            return info
        fields = list(info)
        fields[6] = size - 2  # st_size
        return type(info)(fields)

    monkeypatch.setattr(Path, "stat", looked_smaller)
    monkeypatch.setattr(_zip, "WHOLE_READ_BYTES", size - 2)
    assert read_workbook(path).to_json() == whole
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path, ReadOptions(limits=Limits(max_file_bytes=size - 1)))
    assert caught.value.code == "too_large"


# --- what the clerk saw (issue 9): formats are read, damage is named ------------------------------

def _edited(tmp_path: Path, name: str, edit) -> Path:
    """A clean Hebei return changed the way a spreadsheet stores typing (openpyxl as the editor)."""
    import openpyxl

    path = write_fill("hebei-county", CLEAN["hebei-county"][0](), tmp_path / "clean.xlsx")
    book = openpyxl.load_workbook(path)
    edit(book[P])
    out = tmp_path / name
    book.save(out)
    return out


def _codes(sub, code: str) -> dict[str, object]:
    return {f.cell: f.value for f in sub.findings if f.code == code}


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (1, "0%", "100%"), (0.01, "0%", "1%"), (0.005, "0.00%", "0.5%"), (0.95, "0%", "95%"),
    (46086, "mm-dd", "03-05"), (46024, 'yyyy"年"m"月"d"日"', "2026年1月2日"), (0.5, "h:mm", "12:00"),
    (0.5, "hh:mm:ss", "12:00:00"), (1.5, "[h]:mm", "36:00"),
])
def test_a_number_in_a_text_cell_reads_as_the_clerk_saw_it(tmp_path, value, number_format, shown):
    def edit(sheet):
        sheet["F11"].value = value  # 指标值 of indicator row 1, a General cell in old templates
        sheet["F11"].number_format = number_format

    sub = read_workbook(_edited(tmp_path, "typed.xlsx", edit))
    assert sub.to_json()["projects"][0]["indicators"][0]["value"]["text"] == shown
    assert _codes(sub, "text_cell_not_text") == {"F11": shown}
    assert not sub.errors


def test_plain_numbers_and_texts_in_text_cells_need_no_warning(tmp_path):
    def edit(sheet):
        sheet["F11"].value = 95          # typed 95 into a General cell: the digits are what was seen
        sheet["F12"].value = 1.5
        sheet["F12"].number_format = "0.00"

    sub = read_workbook(_edited(tmp_path, "plain.xlsx", edit))
    rows = sub.to_json()["projects"][0]["indicators"]
    assert [rows[0]["value"]["text"], rows[1]["value"]["text"]] == ["95", "1.50"]
    assert _codes(sub, "text_cell_not_text") == {}


def test_a_spending_plan_mixing_numbers_and_percent_cells_is_read_as_meant(tmp_path):
    def edit(sheet):
        for ref, value in (("B8", 25), ("C8", 50), ("D8", 75)):
            sheet[ref].value = value
        sheet["E8"].value = 1            # typed 100% into the last cell: stored 1 with 0%
        sheet["E8"].number_format = "0%"

    sub = read_workbook(_edited(tmp_path, "plan.xlsx", edit))
    project = sub.to_json()["projects"][0]
    assert [project[k] for k in ("plan_mar", "plan_jun", "plan_oct", "plan_dec")] == \
        ["25", "50", "75", "100"]
    assert not sub.errors and _codes(sub, "input_cell_tampered") == {}


def test_damaged_input_cells_are_named(tmp_path):
    from openpyxl.styles import Protection

    def edit(sheet):
        sheet["C5"].protection = Protection(locked=True)   # pasted from another workbook
        sheet["B3"].number_format = "0.00"                   # the (text) code cell made a number
        for dv in list(sheet.data_validations.dataValidation):
            if str(dv.sqref) == "B9":                        # the goal lost its validation
                sheet.data_validations.dataValidation.remove(dv)

    sub = read_workbook(_edited(tmp_path, "damaged.xlsx", edit))
    tampered = {f.cell: f.message for f in sub.findings if f.code == "input_cell_tampered"}
    assert set(tampered) == {"C5", "B3", "B9"}, tampered
    assert "锁定" in tampered["C5"] and "数据有效性" in tampered["B9"] and "数值" in tampered["B3"]
    assert all(f.sheet == P for f in sub.findings if f.code == "input_cell_tampered")
    assert not sub.errors


def test_an_untouched_return_saved_by_another_program_has_no_damage(tmp_path):
    sub = read_workbook(_edited(tmp_path, "resaved.xlsx", lambda sheet: None))
    assert _codes(sub, "input_cell_tampered") == {} and _codes(sub, "text_cell_not_text") == {}


@pytest.mark.parametrize("typed, shown", [(20250620, "20250620"), (123456789012345, "123456789012345"),
                                          (Decimal("20250620.5"), "20250620.5")])
def test_a_number_typed_in_a_date_cell_is_echoed_with_its_digits(typed, shown, tmp_path):
    """What the clerk typed comes back in the message as typed, never as 2.02506e+07."""
    sub = read_workbook(write_fill("hunan", plant("hunan", {(P, ("filled_date",)): typed}),
                                   tmp_path / "d.xlsx"))
    found = [f for f in sub.findings if f.cell == "F27"]
    assert [f.code for f in found] == ["invalid_date"]
    assert f"“{shown}”" in found[0].message, found[0].message
    assert "e+" not in found[0].message


def test_findings_quote_floats_as_the_spreadsheet_shows_them():
    from xltargets.checks import _quote

    assert _quote(20250620.0) == "20250620"
    assert _quote(1234567890123456.0) == "1234567890123456"
    assert _quote(0.1 + 0.2) == "0.3"
    assert _quote(-45.5) == "-45.5"
    assert _quote(float("inf")) == "inf"
    assert _quote("x" * 50) == "x" * 40 + "…"
