"""Generated templates against committed reference files, compared part by part.

Regenerate after an intended change with ``XLTARGETS_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff of the parts it reports: the run that rewrites fails, the next one passes.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from xlsx_compare import compare_xlsx

from xltargets.generate import Department, build_template
from xltargets.spec import load_spec

GOLDEN = Path(__file__).resolve().parent / "golden"

CASES = {
    "hebei-county-roster.xlsx": lambda: build_template(
        load_spec("hebei-county"), 2022,
        department=Department("224002", "中共乐亭县委网络安全和信息化委员会办公室", "130225", projects=[
            {"project_code": "13022522P002H4T100074", "project_name": "购买舆情监测服务",
             "budget_total": Decimal("50.00"), "budget_fiscal": Decimal("50.00")},
            {"project_code": "13022522P002H4T10005W", "project_name": "网信乐亭",
             "budget_total": Decimal("2.00"), "budget_fiscal": Decimal("2.00")},
        ])).data,
    "hunan-blank-2.xlsx": lambda: build_template(load_spec("hunan"), 2024, projects=2).data,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_golden(name):
    got = CASES[name]()
    path = GOLDEN / name
    diffs = compare_xlsx(got, path.read_bytes())
    if diffs and os.environ.get("XLTARGETS_UPDATE_GOLDEN"):
        # rewriting is never a pass: the run that changed a reference fails and names what it
        # changed, so an update is reviewed (git diff) and a second run confirms it
        path.write_bytes(got)
        pytest.fail(f"{name} rewritten, review before committing: {diffs}")
    assert diffs == []


def test_comparator_names_the_part_that_changed():
    spec = load_spec("hunan")
    a = build_template(spec, 2024, projects=1).data
    b = build_template(spec, 2025, projects=1).data
    diffs = compare_xlsx(a, b)
    assert diffs and any(d.startswith("xl/worksheets/") or d.startswith("docProps/") for d in diffs)


def test_money_validation_fragment():
    """One data-validation element, pinned: the money rule on 预算数 (Hebei project sheet)."""
    import io
    import re
    import zipfile

    data = build_template(load_spec("hebei-county"), 2022, projects=1).data
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet2.xml").decode()
    dv = re.search(r'<dataValidation [^>]*sqref="C4">.*?</dataValidation>', sheet).group(0)
    assert dv == (
        '<dataValidation type="custom" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
        'errorTitle="金额格式不正确" error="金额应为不小于0的数字（万元），不要输入单位或文字" '
        'promptTitle="预算数" prompt="必填，请输入金额（万元），不小于0，最多两位小数，只填数字。" sqref="C4">'
        '<formula1>AND(ISNUMBER(C4),C4&gt;=0)</formula1></dataValidation>'
    )
