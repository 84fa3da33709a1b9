"""Two filled forms of the Shanghai district style (财政项目支出绩效目标申报表, 2026), transcribed
by hand in the style of the forms 普陀区 units published: a road project of 771,325,800.00 元 and
a demolition project of 10,308,000.00 元. The names and figures are our own, realistic data.

A form is given as ``{field id: value}`` plus its indicator rows; :func:`fill` turns the two into a
fill by the layout's paths (``{sheet name: {path: value}}``), as tests/forms.py does for the others.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

SPEC = "shanghai-district"
YEAR = 2026
UNIT_CODE = "PT0301"
UNIT_NAME = "上海市普陀区建设和管理委员会"

ROAD: dict[str, Any] = {
    "project_name": "真北路（铜川路—金沙江路）道路新建工程",
    "project_nature": "阶段性项目",
    "project_category": "特定目标类",
    "supervisor": "上海市普陀区建设和管理委员会",
    "implementer": "上海市普陀区建设工程管理事务中心",
    "start_date": dt.date(2024, 3, 1),
    "end_date": dt.date(2027, 12, 31),
    "total_funds": Decimal("771325800.00"),
    "total_fiscal": Decimal("771325800.00"),
    "total_other": Decimal("0.00"),
    "year_funds": Decimal("226145100.00"),
    "year_appropriation": Decimal("180000000.00"),
    "year_carryover": Decimal("46145100.00"),
    "year_other": Decimal("0.00"),
    "total_goal": "新建真北路（铜川路—金沙江路）段道路985米，红线宽度40米，同步实施排水、照明、"
                  "绿化及交通设施，完善区域路网结构，缓解周边交通拥堵。",
    "year_goal": "2026年完成道路主体结构及排水管道施工，年度工程进度完成率不低于90%，"
                 "施工期间扬尘噪声影响可控，确保安全文明施工。",
}
ROAD_INDICATORS = [
    ("成本指标", "经济成本指标", "项目总投资控制", "≤771,325,800.00元"),
    ("产出指标", "数量指标", "道路新建长度", "985米"),
    ("产出指标", "质量指标", "工程验收合格率", "=100.00(%)"),
    ("产出指标", "时效指标", "年度工程进度完成率", "≥90.00(%)"),
    ("效益指标", "社会效益指标", "区域交通通行能力", "有效提升"),
    ("效益指标", "生态效益指标", "施工扬尘噪声影响", "可控"),
    ("满意度指标", "服务对象满意度指标", "周边居民满意度", "≥85.00(%)"),
]

DEMOLITION: dict[str, Any] = {
    "project_name": "长征镇旧住房征收地块房屋拆除项目",
    "project_nature": "一次性项目",
    "project_category": "特定目标类",
    "supervisor": "上海市普陀区建设和管理委员会",
    "implementer": "上海市普陀区房屋征收事务所",
    "start_date": dt.date(2026, 1, 1),
    "end_date": dt.date(2026, 12, 31),
    "total_funds": Decimal("10308000.00"),
    "total_fiscal": Decimal("10308000.00"),
    "total_other": None,
    "year_funds": Decimal("10308000.00"),
    "year_appropriation": Decimal("10308000.00"),
    "year_carryover": None,
    "year_other": None,
    "total_goal": "完成长征镇旧住房征收地块内房屋拆除及建筑垃圾清运，拆除建筑面积25600平方米，"
                  "为地块后续出让创造条件。",
    "year_goal": "2026年12月底前完成地块内全部房屋拆除，拆除过程零安全事故，建筑垃圾资源化利用率不低于90%。",
}
DEMOLITION_INDICATORS = [
    ("成本指标", "经济成本指标", "拆除工程费用", "≤10,308,000.00元"),
    ("产出指标", "数量指标", "拆除建筑面积", "≥25600平方米"),
    ("产出指标", "质量指标", "拆除安全事故发生率", "=0.00(%)"),
    ("产出指标", "时效指标", "拆除完成时间", "2026年12月底前"),
    ("效益指标", "社会效益指标", "地块出让条件", "具备"),
    ("效益指标", "生态效益指标", "建筑垃圾资源化利用率", "≥90.00(%)"),
    ("满意度指标", "服务对象满意度指标", "周边居民满意度", "≥90.00(%)"),
]

PROJECTS = [(ROAD, ROAD_INDICATORS), (DEMOLITION, DEMOLITION_INDICATORS)]
COLUMNS = ("level1", "level2", "level3", "value")
UNIT_SHEET = "单位信息"


def project_fill(fields: dict[str, Any], rows: list[tuple[str, ...]]) -> dict[tuple[str | int, ...], Any]:
    cells: dict[tuple[str | int, ...], Any] = {(k,): v for k, v in fields.items() if v is not None}
    for i, row in enumerate(rows):
        for column, value in zip(COLUMNS, row, strict=True):
            cells[("indicators", i, column)] = value
    return cells


def fill() -> dict[str, dict[tuple[str | int, ...], Any]]:
    """Both forms in one workbook (one department, two project sheets)."""
    out: dict[str, dict[tuple[str | int, ...], Any]] = {
        UNIT_SHEET: {("unit_code",): UNIT_CODE, ("unit_name",): UNIT_NAME,
                     ("contact",): "王敏", ("phone",): "021-52564588"},
    }
    for n, (fields, rows) in enumerate(PROJECTS, start=1):
        out[f"项目{n}"] = project_fill(fields, rows)
    return out


def expected_json(fields: dict[str, Any]) -> dict[str, Any]:
    """A project's fields as the submission JSON holds them (decimal strings, ISO dates)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, Decimal):
            out[key] = format(value, "f")
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out
