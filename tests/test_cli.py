"""The CLI in-process: exit status and message first, then the files it produced."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from forms import CLEAN, write_fill
from typer.testing import CliRunner

from xltargets.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_specs_list_show_schema():
    r = invoke("specs", "list")
    assert r.exit_code == 0 and "hebei-county" in r.output and "hunan" in r.output
    r = invoke("specs", "show", "hunan")
    assert r.exit_code == 0 and "社会公众或服务对象满意度指标" in r.output and "income_split" in r.output
    r = invoke("specs", "schema")
    assert r.exit_code == 0 and json.loads(r.output)["title"] == "xltargets form spec"


def test_specs_check_reports_every_error_with_line(tmp_path):
    text = (ROOT / "specs" / "hunan.yaml").read_text(encoding="utf-8")
    text = text.replace("kind: money, required: true}", "kind: mony, required: true}", 1)
    text = text.replace("type: cross_sheet_sum", "type: cross_sheet_summ", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["specs", "check", str(bad)])
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if line.startswith("错误：")]
    assert len(lines) == 2, r.output
    def line_of(needle: str) -> int:
        return next(i for i, t in enumerate(text.splitlines(), start=1) if needle in t)

    assert lines[0].startswith(f"错误：{bad}:{line_of('kind: mony')} sheets[0].fields[2].kind: 未知的取值“mony”")
    assert lines[1].startswith(f"错误：{bad}:{line_of('cross_sheet_summ')} rules[2]: 未知的规则类型“cross_sheet_summ”")
    assert "Traceback" not in r.output and "unknown" not in r.output
    assert invoke("specs", "check", str(ROOT / "specs" / "hunan.yaml")).exit_code == 0


def test_generate_from_roster_writes_workbooks_and_manifest(tmp_path):
    out = tmp_path / "out"
    r = invoke("generate", "hebei-county", "--year", "2025", "--roster",
               str(ROOT / "examples" / "roster-hebei.csv"), "--out", str(out))
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [w["unit_code"] for w in manifest["workbooks"]] == ["224002", "224001", "224003", "224004"]
    assert [w["projects"] for w in manifest["workbooks"]] == [3, 2, 1, 0]
    first = out / manifest["workbooks"][0]["file"]
    wb = openpyxl.load_workbook(first)
    assert wb.sheetnames[:4] == ["部门整体绩效目标", "项目1", "项目2", "项目3"]
    assert wb["项目2"]["E3"].value == "网络强军工程和网络宣传"
    assert not list(out.glob(".*.part"))


def test_generate_blank_and_usage_errors(tmp_path):
    r = invoke("generate", "hunan", "--year", "2024", "--projects", "2", "--out", str(tmp_path))
    assert r.exit_code == 0
    assert len(list(tmp_path.glob("*.xlsx"))) == 1
    r = runner.invoke(app, ["generate", "hunan", "--year", "2024", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--roster" in r.output


@pytest.mark.parametrize("row,message", [
    (",某单位,,13022525P002H4T100074,项目,1,1,", "单位编码为空"),
    ("224002,另一个名字,,13022525P002H4T100099,项目,1,1,", "单位编码224002重复"),
    ("224009,某单位,,13022525P002H4T100099,项目,五十,1,", "不是有效金额"),
    ("224009,某单位,,1302252P,项目,1,1,", "格式不正确"),
    # the spec's own rules on prefilled (locked) values
    ("224009,某单位,130225,13022522P002H4T100099,项目,1,1,", "规则 project_code_year"),
    ("224009,某单位,130225,13043425P002H4T100099,项目,1,1,", "规则 project_code_year"),
    ("224009,某单位,130225,13022525P002H4T100099,项目,5,3,1", "规则 budget_split"),
    ("224009,某单位,130225,13022525P002H4T100099,项目,5,6,", "规则 budget_split"),
])
def test_bad_roster_row_is_named(tmp_path, row, message):
    roster = (ROOT / "examples" / "roster-hebei.csv").read_text(encoding="utf-8").splitlines()
    roster.insert(3, row)
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(roster) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["generate", "hebei-county", "--year", "2025", "--roster", str(path),
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert f"{path} 第4行" in r.output and message in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()  # nothing written, not even the folder


def test_read_and_check_exit_status(tmp_path):
    clean = write_fill("hunan", CLEAN["hunan"][0](), tmp_path / "clean.xlsx")
    r = invoke("read", str(clean), "-o", str(tmp_path / "clean.json"))
    assert r.exit_code == 0 and "通过" in r.output
    data = json.loads((tmp_path / "clean.json").read_text(encoding="utf-8"))
    assert data["department"]["budget_total"] == "109.04"
    fill = CLEAN["hunan"][0]()
    del fill["部门整体支出绩效目标表"][("functions",)]
    bad = write_fill("hunan", fill, tmp_path / "bad.xlsx")
    r = invoke("check", str(bad))
    assert r.exit_code == 1 and "required_missing" in r.output and "部门职能职责概述" in r.output
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    r = runner.invoke(app, ["read", str(junk)])
    assert r.exit_code == 2 and str(junk) in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["read", str(tmp_path / "none.xlsx")])
    assert r.exit_code == 2 and "不存在" in r.output


# --- the roster against the spec's rules ---------------------------------------------------------

def _roster(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "名单.csv"
    head = "unit_code,unit_name,region_code,project_code,project_name,budget_total,budget_fiscal,budget_other"
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return path


def test_roster_rules_name_every_row_and_rule(tmp_path):
    path = _roster(
        tmp_path,
        "224001,甲单位,130225,13022525P002H4T100001,甲项目,10,10,",  # fine
        "224001,甲单位,130225,13022522P002H4T100002,乙项目,10,10,",  # a 2022 code in 2025
        "224002,乙单位,130434,13022525P002H4T100003,丙项目,10,10,",  # another region's code
        "224003,丙单位,,13022525P002H4T100004,丁项目,10,4,5",         # 4 + 5 ≠ 10, all locked
        "224003,丙单位,,13043425P002H4T100005,戊项目,10,4,",          # open 其他资金 can make 10
    )
    r = runner.invoke(app, ["generate", "hebei-county", "--year", "2025", "--roster", str(path),
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    lines = [line for line in r.output.splitlines() if line.startswith("错误：")]
    assert len(lines) == 4, r.output
    assert lines[0].startswith(f"错误：{path} 第3行") and "“22”" in lines[0] and "2025" in lines[0]
    assert "规则 project_code_year" in lines[0]
    assert lines[1].startswith(f"错误：{path} 第4行") and "130225" in lines[1] and "130434" in lines[1]
    assert lines[2].startswith(f"错误：{path} 第5行") and "规则 budget_split" in lines[2]
    # one department, two projects of different regions and no region column: region consistency
    assert lines[3].startswith(f"错误：{path} 第5行") and "区划不一致" in lines[3]
    assert not (tmp_path / "o").exists()


def test_bundled_rosters_fit_the_readme_year(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--year 2025 --roster roster.csv" in readme
    for spec, roster in (("hebei-county", "roster-hebei.csv"), ("hunan", "roster-hunan.csv")):
        r = invoke("generate", spec, "--year", "2025", "--roster", str(ROOT / "examples" / roster),
                   "--out", str(tmp_path / spec))
        assert r.exit_code == 0, r.output


# --- every user-facing error: one Chinese line naming the path, exit 2 ----------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def user_error(args: list[str], path: object, status: int = 2) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == status, r.output
    assert isinstance(r.exception, SystemExit), r.exception  # not an escaped Python exception
    assert "Traceback" not in r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误："), r.output
    assert CJK.search(lines[0].split(str(path), 1)[-1]), lines[0]
    assert str(path) in lines[0], lines[0]
    for english in ("Errno", "No such file", "Is a directory", "Permission denied", "unknown spec",
                    "File exists", "Not a directory"):
        assert english not in lines[0]
    return lines[0]


@pytest.fixture
def clean_return(tmp_path):
    return write_fill("hunan", CLEAN["hunan"][0](), tmp_path / "clean.xlsx")


def test_read_to_an_existing_folder(tmp_path, clean_return):
    folder = tmp_path / "已有文件夹"
    folder.mkdir()
    line = user_error(["read", clean_return, "-o", folder], folder)
    assert "文件夹" in line and list(folder.iterdir()) == []


def test_generate_roster_is_a_folder(tmp_path):
    line = user_error(["generate", "hebei-county", "--year", "2025", "--roster", tmp_path,
                       "--out", tmp_path / "o"], tmp_path)
    assert "文件夹" in line and not (tmp_path / "o").exists()


def test_generate_out_is_an_existing_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("keep me", encoding="utf-8")
    for extra in (["--roster", ROOT / "examples" / "roster-hebei.csv"], ["--projects", "1"]):
        line = user_error(["generate", "hebei-county", "--year", "2025", *extra, "--out", target],
                          target)
        assert "同名文件" in line
    assert target.read_text(encoding="utf-8") == "keep me"


def test_generate_out_where_nothing_can_be_written(tmp_path):
    line = user_error(["generate", "hunan", "--year", "2025", "--projects", "1",
                       "--out", "/proc/x"], "/proc/x")
    assert "无法建立输出文件夹" in line


def test_specs_schema_to_a_folder(tmp_path):
    line = user_error(["specs", "schema", "-o", tmp_path], tmp_path)
    assert "文件夹" in line and list(tmp_path.iterdir()) == []


def test_unknown_spec_suggests_the_closest(tmp_path):
    r = runner.invoke(app, ["generate", "hebie-county", "--year", "2025", "--projects", "1",
                            "--out", str(tmp_path)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "没有名为“hebie-county”的表样，是否想用“hebei-county”？" in r.output
    r = runner.invoke(app, ["specs", "show", "zzz"])
    assert r.exit_code == 2 and "是否想用" not in r.output and "内置表样：hebei-county" in r.output


def test_missing_roster_is_said_in_chinese(tmp_path):
    missing = tmp_path / "没有这个名单.csv"
    line = user_error(["generate", "hunan", "--year", "2025", "--roster", missing,
                       "--out", tmp_path / "o"], missing)
    assert "无法读取名单：文件或文件夹不存在" in line


def test_specs_check_a_missing_file_and_a_yaml_mistake(tmp_path):
    missing = tmp_path / "none.yaml"
    assert "文件不存在" in user_error(["specs", "check", missing], missing)
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n  name: [\n", encoding="utf-8")
    line = user_error(["specs", "check", bad], f"{bad}:2", status=1)
    assert "YAML 语法错误" in line


def test_specs_show_renders_sheet_names():
    r = invoke("specs", "show", "hebei-county")
    assert r.exit_code == 0
    assert "项目1、项目2 …（每个项目一张，名称模板 项目{{ n }}）" in r.output
    assert r.output.count("{{") == 1  # only where the template itself is explained


def test_collect_out_is_a_file_and_manifest_is_a_folder(tmp_path, clean_return):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    target = tmp_path / "out.txt"
    target.write_text("x", encoding="utf-8")
    assert "同名文件" in user_error(["collect", inbox, "--out", target], target)
    line = user_error(["collect", inbox, "--out", tmp_path / "o", "--manifest", inbox], inbox)
    assert "文件夹" in line


def test_submission_schema_is_printable_and_shipped(tmp_path):
    import tomllib

    r = invoke("schema", "submission")
    shipped = (ROOT / "schemas" / "submission.schema.json").read_text(encoding="utf-8")
    assert r.exit_code == 0 and r.output == shipped
    assert json.loads(r.output)["$defs"]["finding"]["required"][:2] == ["severity", "code"]
    r = invoke("schema", "submission", "-o", str(tmp_path / "s.json"))
    assert r.exit_code == 0 and (tmp_path / "s.json").read_text(encoding="utf-8") == shipped
    assert json.loads(invoke("schema", "spec").output)["title"] == "xltargets form spec"
    # the wheel carries it where xltargets._schemas looks first
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["schemas"] == "xltargets/_data/schemas"
    line = user_error(["schema", "submission", "-o", tmp_path], tmp_path)
    assert "文件夹" in line


def _command(*args: str):
    """The command as a user runs it (``python -m xltargets``, the console script's entry)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "xltargets", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


@pytest.mark.parametrize(("args", "said"), [
    (("generate", "hebei-county", "--yaer", "2025"), "没有选项 --yaer（是否要用 --year？）；用 xltargets generate --help 查看用法"),
    (("generate", "hebei-county", "--year", "3000", "--out", "o"), "--year 的值不对：应不大于 2100"),
    (("generate", "hebei-county", "--year", "二〇二五", "--out", "o"), "--year 的值不对：应为整数"),
    (("collect", "in", "--out", "o", "--jobs", "0"), "--jobs 的值不对：应不小于 1"),
    (("read",), "缺少参数 WORKBOOK；用 xltargets read --help 查看用法"),
    (("read", "a.xlsx", "b.xlsx"), "多余的参数：b.xlsx"),
    (("colect", "in"), "没有命令“colect”（是否要用 collect？）"),
    (("specs", "shwo"), "没有命令“shwo”（是否要用 show？）；用 xltargets specs --help 查看用法"),
    (("collect", "in", "--out"), "选项 --out 后面需要一个值"),
])
def test_usage_mistakes_are_one_chinese_line(args, said):
    done = _command(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and said in lines[0], done.stderr


def test_help_pages_are_chinese():
    done = _command("generate", "--help")
    assert done.returncode == 0
    for text in ("预算年度", "单位名单（CSV 或 .xlsx）", "显示本帮助后退出。"):
        assert text in done.stdout
    assert "Show this message" not in done.stdout and "Budget year" not in done.stdout
    # a Chinese help line is wrapped, never cut short with "…"
    assert "…" not in done.stdout
    top = _command("--help").stdout
    assert all(name in top for name in ("generate", "read", "check", "collect", "serve", "specs"))
    assert "汇总一个文件夹的报送" in top
