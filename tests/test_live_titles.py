"""Live texts (xltargets.layout.live) as the reader sees them: a formula is accepted whatever it
shows; a plain text must be what the formula shows over the cells read (a program that saved
values only), else it was replaced and is reported as a changed label."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from forms import rewrite

from xltargets.generate import build_template
from xltargets.layout import plan
from xltargets.layout.live import formula, value
from xltargets.read import ReadOptions, read_raw
from xltargets.spec import load_spec
from xltargets.spec.load import parse_spec

NAME = "购买舆情监测服务"


def _template() -> bytes:
    spec = load_spec("hebei-county")
    return build_template(spec, 2022, projects=1, values={
        "项目1": {("project_name",): NAME},
        "部门整体绩效目标": {("unit_code",): "224002", ("unit_name",): "中共乐亭县委网信办"}}).data


def _as_text(path: Path, data: bytes, ref: str, text: str | None) -> Path:
    """``data`` written to ``path`` with the formula of 项目1!``ref`` replaced by the plain text
    ``text`` (what a program that saves values only, or a clerk in an unprotected copy, leaves)."""
    cell = rf'<c r="{ref}"( s="\d+")?[^>]*>.*?</c>'.encode()
    new = (rb'<c r="%s"\1 t="inlineStr"><is><t>%s</t></is></c>' % (ref.encode(), text.encode())
           if text is not None else rb'<c r="%s"\1/>' % ref.encode())

    def change(name: str, blob: bytes) -> bytes:
        if name != "xl/worksheets/sheet2.xml":
            return blob
        blob, n = re.subn(cell, new, blob, count=1)
        assert n == 1
        return blob

    path.write_bytes(data)
    return rewrite(path, change)


def _label_findings(path) -> list:
    return [f for f in read_raw(path).findings if f.code in ("label_changed", "template_mismatch")]


def test_formula_and_its_value(tmp_path):
    spec = load_spec("hebei-county")
    sheet = plan(spec, 1).sheets[1]
    title = next(st for st in sheet.statics if st.live and st.style == "title")
    assert formula(title, sheet.name).startswith('="1."&IF($')
    assert value(title, lambda _s, _p: None) == "1.预算项目绩效目标表" == title.text
    assert value(title, lambda _s, _p: "网信乐亭") == "1.网信乐亭绩效目标表"
    path = tmp_path / "t.xlsx"
    path.write_bytes(_template())
    assert _label_findings(path) == []


def test_values_saved_without_formulas_are_accepted(tmp_path):
    path = _as_text(tmp_path / "v.xlsx", _template(), "A1", f"1.{NAME}绩效目标表")
    path = _as_text(path, path.read_bytes(), "A2", "224002 中共乐亭县委网信办")
    assert _label_findings(path) == []


def test_a_replaced_title_is_a_changed_label(tmp_path):
    path = _as_text(tmp_path / "r.xlsx", _template(), "A1", "1.别的项目绩效目标表")
    (finding,) = _label_findings(path)
    assert (finding.code, finding.sheet, finding.cell) == ("label_changed", "项目1", "A1")
    assert f"1.{NAME}绩效目标表" in finding.message and "1.别的项目绩效目标表" in finding.message
    path = _as_text(tmp_path / "e.xlsx", _template(), "A2", None)
    (finding,) = _label_findings(path)
    assert finding.cell == "A2"


def test_a_live_text_in_label_style_is_no_fixed_label(tmp_path):
    """A live cell printed in a label's style (a spec may frame it) follows the typed cell: the
    reader's fixed-label check must not take its blank-time text for the label."""
    data = yaml.safe_load(Path("specs/hebei-county.yaml").read_text(encoding="utf-8"))
    project = next(s for s in data["sheets"] if s["id"] == "project")
    project["rows"][0]["cells"][0]["style"] = "label"
    spec = parse_spec(yaml.safe_dump(data, allow_unicode=True))
    path = tmp_path / "l.xlsx"
    path.write_bytes(build_template(spec, 2022, projects=1,
                                    values={"项目1": {("project_name",): NAME}}).data)
    findings = read_raw(path, ReadOptions(spec=spec)).findings
    assert not [f for f in findings if f.code in ("label_changed", "template_mismatch")]
