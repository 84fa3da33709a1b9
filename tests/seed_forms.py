"""The four published seed forms (../shared/seeds/*.txt) as test data: what to write, what to read back.

Every cell of every seed is transcribed here, by hand, with the seed's own mistakes and stray
characters (the Hunan form's U+3000 padding, 魏县's 信惠化/信患化 typos, 临西's spending plan typed as
amounts). Nothing is read from ../shared at run time.

Transcription decisions (the seeds are Word/PDF text, so some structure had to be re-read):

* Unit line ``224002中共乐亭县委…`` → unit_code ``224002``, unit_name the rest (spaces trimmed).
* Word bookmarks (``[bookmark: _Toc…]``) and page numbers are extraction artefacts, not data.
* Hebei indicator tables print 一级指标 once per block (a merged cell); every row gets it here,
  which is what the free-row template asks for.
* Seed 003 is a PDF with hard line breaks: lines are re-joined within a paragraph and paragraphs
  (一是…, 1、…, 目标 n) kept apart by "\\n". Its 分项绩效目标 are grouped per project heading:
  3 items (heading + its 目标 lines), so no list overflows its 8 rows.
* No seed has more 分项绩效目标 / 工作保障措施 than the 8 rows of the Hebei template, so
  :func:`fit_list` (overflow joined into the last row) never has to join anything for them.
* Seed 002 writes 涉密 in every indicator cell except 一级/二级 (those are printed in the seed).
* Seed 001 (Hunan) places each indicator in the next free row of its 二级 block of the printed
  skeleton; ``社会公众或服务对象满意度`` on the department sheet is the taxonomy's
  ``社会公众或服务对象满意度指标``. The seed's order within the department table (成本 before 时效)
  is not the skeleton's, so the read-back order is the skeleton's.
* Seed 001 project sheets: 预算部门 is blank in the seed (a lone U+3000): left blank.
* Seed 003 spending plan ``8.00 8.00 8.00`` under four headings: 3月底 blank, 6/10/12月底 = 8.00.

Two variants of every seed: ``SEEDS`` writes money as numbers (``Decimal("50.00")``) and the
Hebei spending plan as numbers (25); ``TYPED`` writes every amount, percentage and date exactly as
the seed typed it (``"50.00"``, ``"\\u30009.6"``, ``"25%"``, ``"2024年6月20日"``) into text cells.
Both must read back to the same values.

``SeedForm.expected`` is what a reviewer expects in the submission JSON, derived from the seed
text (not from the reader): money as two-decimal strings, percentages as Decimals (compared by
value), indicator values as ``{"text", "kind", "comparison", "number", "unit"}``, table rows with
their 1-based ``row`` and any ``markers``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from xltargets.generate import build_template
from xltargets.layout import plan
from xltargets.spec import load_spec

Path_ = tuple[str | int, ...]
Values = dict[str, dict[Path_, Any]]

HEBEI_DEPT_SHEET = "部门整体绩效目标"
HUNAN_DEPT_SHEET = "部门整体支出绩效目标表"
LIST_ROWS = 8        # rows of sub_goals / safeguards on the Hebei department sheet
HEBEI_ROWS = 15      # free indicator rows on a Hebei project sheet


@dataclass(frozen=True)
class SeedForm:
    spec_id: str
    year: int
    project_count: int
    values: Values
    expected: dict[str, Any]
    #: short name for file names (``seed000_乐亭县网信办_2022.xlsx``)
    label: str = ""


# =============================================================================================
# Indicator values: every distinct value text of the four seeds, parsed by hand.
# (kind, comparison, number, unit); the JSON keeps the number as a decimal string.
# =============================================================================================

Q, T = "quantitative", "qualitative"

VALUE_PARTS: dict[str, tuple[str, str | None, str | None, str | None]] = {
    # seed 000
    "≥90%": (Q, "≥", "90", "%"),
    "避免发生重大舆情炒作": (T, None, None, None),
    "≤50万元": (Q, "≤", "50", "万元"),
    "≥98%": (Q, "≥", "98", "%"),
    "避免重大舆情炒作": (T, None, None, None),
    "长期": (T, None, None, None),
    "持续净化": (T, None, None, None),
    "不断提升": (T, None, None, None),
    "≥200人": (Q, "≥", "200", "人"),
    "≥10场": (Q, "≥", "10", "场"),
    "≥96%": (Q, "≥", "96", "%"),
    "≤35万": (Q, "≤", "35", "万"),
    "及时完成": (T, None, None, None),
    "不断增强": (T, None, None, None),
    "中长期": (T, None, None, None),
    "100%": (Q, None, "100", "%"),
    "及时发布": (T, None, None, None),
    "≤2万": (Q, "≤", "2", "万"),
    "≥95%": (Q, "≥", "95", "%"),
    # seed 001
    "≥300次": (Q, "≥", "300", "次"),
    "≥1次": (Q, "≥", "1", "次"),
    "≥100次": (Q, "≥", "100", "次"),
    "≥100%": (Q, "≥", "100", "%"),
    # "at most the whole year's budget": a bound without a figure, so text with its sign
    "≤全年预算数": (T, "≤", None, None),
    "≤通报1次": (Q, "≤", "1", "次"),
    "≤重大网络舆情1次": (Q, "≤", "1", "次"),
    "≥5次": (Q, "≥", "5", "次"),
    "高质量完成指令≥95%": (Q, "≥", "95", "%"),
    "按时完成≥95%": (Q, "≥", "95", "%"),
    "≤9.6万元": (Q, "≤", "9.6", "万元"),
    "≤1次": (Q, "≤", "1", "次"),
    "通过省、益阳市网络安全演练": (T, None, None, None),
    "是否按时完成": (T, None, None, None),
    "≤3.84万元": (Q, "≤", "3.84", "万元"),
    "不出现网络安全事件≤1次": (Q, "≤", "1", "次"),
    "未按时完成次数≤1次": (Q, "≤", "1", "次"),
    "出现负面评论次数≤1次": (Q, "≤", "1", "次"),
    "≥12次": (Q, "≥", "12", "次"),
    "拖延次数≤1次": (Q, "≤", "1", "次"),
    "互联网内容管理被上级通报≤1次": (Q, "≤", "1", "次"),
    "≥30次": (Q, "≥", "30", "次"),
    "是否按时完成上级任务": (T, None, None, None),
    "社会反响好≥95%": (Q, "≥", "95", "%"),
    "≥3个": (Q, "≥", "3", "个"),
    "≥365天": (Q, "≥", "365", "天"),
    "≥24小时": (Q, "≥", "24", "小时"),
    "≤3.2万元": (Q, "≤", "3.2", "万元"),
    "重大舆情事件≤1件": (Q, "≤", "1", "件"),
    "≥4课时": (Q, "≥", "4", "课时"),
    "网络评论次生舆情≤1次": (Q, "≤", "1", "次"),
    # seed 003 (the PDF puts a space between figure and unit)
    "≥3600 条": (Q, "≥", "3600", "条"),
    "≤10 分": (Q, "≤", "10", "分"),
    "≤8 万元": (Q, "≤", "8", "万元"),
    "≥100 条": (Q, "≥", "100", "条"),
    "1%": (Q, None, "1", "%"),
    "≥200 条": (Q, "≥", "200", "条"),
    "≤10 万元": (Q, "≤", "10", "万元"),
    "≥365 天": (Q, "≥", "365", "天"),
    "是否能够积极引导我县网络舆论环境正面发展": (T, None, None, None),
    "≤2 台": (Q, "≤", "2", "台"),
    "≤10 月": (Q, "≤", "10", "月"),
    "≤2 万元": (Q, "≤", "2", "万元"),
}

REDACTED = "涉密"
NOT_APPLICABLE = "……"


def expected_value(raw: str) -> dict[str, Any] | None:
    """The indicator value object a reviewer expects for what the seed typed."""
    text = raw.strip()   # str.strip() also removes the U+3000 padding of seed 001
    if not text:
        return None
    kind, comparison, number, unit = VALUE_PARTS[text]
    return {"text": text, "kind": kind, "comparison": comparison, "number": number, "unit": unit}


def _text(raw: str | None) -> str | None:
    if raw is None:
        return None
    return raw.strip() or None


def _money_json(raw: str) -> str | None:
    """What the JSON must say for an amount the seed typed: two decimals (万元), or null if blank."""
    text = raw.strip()
    return None if not text else f"{Decimal(text):.2f}"


def _money_number(raw: str) -> Decimal | None:
    text = raw.strip()
    return None if not text else Decimal(text)


def fit_list(items: Sequence[str], rows: int = LIST_ROWS) -> list[str]:
    """Items for a list block of ``rows`` rows: any overflow joined into the last row by "\\n"."""
    items = list(items)
    if len(items) <= rows:
        return items
    return [*items[: rows - 1], "\n".join(items[rows - 1:])]


# =============================================================================================
# Hebei county (seeds 000, 002, 003)
# =============================================================================================

@dataclass(frozen=True)
class HebeiProject:
    code: str
    name: str
    budget_total: str          # as typed in the seed
    budget_fiscal: str
    budget_other: str          # blank in every seed
    funds_use: str
    plan: tuple[str, str, str, str]   # 3月底, 6月底, 10月底, 12月底, as typed
    goal: str
    #: (level1, level2, level3, description, value, basis)
    indicators: tuple[tuple[str, str, str, str, str, str], ...]


@dataclass(frozen=True)
class HebeiSeed:
    unit_line: str             # "224002中共乐亭县委…" as printed above each project table
    overall_goal: str
    sub_goals: tuple[str, ...]
    safeguards: tuple[str, ...]
    projects: tuple[HebeiProject, ...]

    @property
    def unit_code(self) -> str:
        return self.unit_line[:6]

    @property
    def unit_name(self) -> str:
        return self.unit_line[6:].strip()


# --- seed 000: 乐亭县 网信办, 2022 ---------------------------------------------------------------

_P000 = "年初工作计划"

S000 = HebeiSeed(
    unit_line="224002中共乐亭县委网络安全和信息化委员会办公室",
    overall_goal=(
        "深入学习宣传习近平总书记重要讲话以及重大会议精神以及各项政策，协调处理网络安全和信息化重大突发"
        "事件与有关应急工作，统筹协调组织互联网宣传管理和舆论引导工作，组织开展网上评论，指导推动网络评论"
        "队伍建设，维护互联网意识形态安全；完成国家互联网信息办公室，省、市互联网信息办公室和县委、县政府，"
        "县委网络安全和信息化委员会、县委宣传部交办的各项工作。营造乐亭县积极向上的网络空间。"
    ),
    sub_goals=(
        "1、开发网信乐亭平台功能，增加平台板块栏目，维护平台正常运营。畅通政务发布渠道，建立便民网络通道，"
        "走好网上群众路线，持续提高干群满意度。",
        "2、组织各级网评员学习培训，提高受训人员的新媒体制作、应急处置、舆论引导水平。与各网络媒体合作，"
        "制作新媒体宣传品宣传推介乐亭，提高乐亭的影响力和美誉度。",
        "3、通过购买常规舆情监测服务，监测和研判重大网络事件和舆情、舆情处置。能够及时发现涉及我县重大网络"
        "舆情事件，避免重大舆情事件炒作。",
    ),
    safeguards=(
        "（一）完善制度建设。制定完善预算绩效管理制度、资金管理办法、工作保障制度等，为全年预算绩效目标的"
        "实现奠定制度基础。",
        "（二）加强支出管理。通过优化支出结构、加快履行政府采购手续、尽快启动项目、及时支付资金、按规定及时"
        "下达资金等多种措施，确保支出进度达标，保障全县网络安全，保持社会的稳定发展。",
        "（三）加强绩效运行监控。开展绩效运行监控，发现问题及时采取措施，确保绩效目标如期保质实现。",
        "（四）做好绩效自评。开展2020部门预算绩效自评和重点评价工作，对评价中发现的问题及时整改，调整优化"
        "支出结构，提高财政资金使用效益。",
        "（五）规范财务资产管理。完善财务管理制度，严格审批程序，加强固定资产登记、使用和报废处置管理，做到"
        "支出合理，物尽其用。",
        "（六）加强内部监督。加强内部监督制度建设，对绩效运行情况、重大支出决策、对外投资、资产处置及其他重要"
        "经济业务事项的决策和执行进行督导，对会计资料进行内部审计，并配合做好审计、财政监督等外部监督工作，"
        "确保财政资金安全有效。",
        "（七）加强宣传培训调研等。加强人员培训，提高本部门职工业务素质；加强调研，提出优化财政资金配置、提高"
        "资金使用效益的意见；加大宣传力度，强化预算绩效管理意识，促进预算绩效管理水平进一步提升。",
    ),
    projects=(
        HebeiProject(
            code="13022522P002H4T100074",
            name="购买舆情监测服务",
            budget_total="50.00", budget_fiscal="50.00", budget_other="",
            funds_use="购买常规舆情监测服务",
            plan=("25%", "50%", "75%", "100%"),
            goal="1.监测和研判重大网络事件和舆情、舆情处置。能够及时发现涉及我县重大网络舆情事件，避免重大舆情事件炒作。",
            indicators=(
                ("产出指标", "质量指标", "互联网重大突发事件应急处置率", "有害信息处置情况", "≥90%", _P000),
                ("产出指标", "数量指标", "监测舆情事件", "涉及我县的 重大舆情", "避免发生重大舆情炒作", _P000),
                ("产出指标", "成本指标", "专项资金使用率", "项目资金使用情况", "≤50万元", _P000),
                ("产出指标", "时效指标", "处置的及时率", "发现及处置", "≥98%", _P000),
                ("效益指标", "可持续影响指标", "持续监测网络舆情", "持续监测网络舆情，减少影响", "避免重大舆情炒作", _P000),
                ("效益指标", "社会效益指标", "社会影响力", "维护社会网络安全", "长期", _P000),
                ("效益指标", "生态效益指标", "网络生态空间", "净化网络生态空间", "持续净化", _P000),
                ("效益指标", "经济效益指标", "维护经济发展", "网络社会稳定，促进经济发展", "不断提升", _P000),
                ("满意度指标", "服务对象满意度指标", "服务对象满意度", "干群满意度", "≥90%", _P000),
            ),
        ),
        HebeiProject(
            code="13022522P002H4T10006G",
            name="网络强军工程和网络宣传",
            budget_total="35.00", budget_fiscal="35.00", budget_other="",
            funds_use="组织各级网评员学习培训；与各网络媒体合作，制作新媒体宣传品宣传推介乐亭；开展网络宣传活动",
            plan=("25%", "50%", "75%", "100%"),
            goal="1.组织各级网评员学习培训，提高受训人员的新媒体制作、应急处置、舆论引导水平。与各网络媒体合作，"
                 "制作新媒体宣传品宣传推介乐亭，提高乐亭的影响力和美誉度。",
            indicators=(
                ("产出指标", "数量指标", "网评员队伍规模", "扩大网评员队伍规模", "≥200人", _P000),
                ("产出指标", "数量指标", "活动开展情况", "组织开展网络宣传活动", "≥10场", _P000),
                ("产出指标", "质量指标", "合格率", "网评员培训合格率", "≥96%", _P000),
                ("产出指标", "成本指标", "专项资金使用率", "专项资金使用情况", "≤35万", _P000),
                ("产出指标", "时效指标", "网评工作的及时性", "按照上级要求开展网评作业", "及时完成", _P000),
                ("效益指标", "可持续影响指标", "持续宣传", "持续宣传", "不断增强", _P000),
                ("效益指标", "社会效益指标", "社会影响力", "提升乐亭的美誉度", "长期", _P000),
                ("满意度指标", "服务对象满意度指标", "服务对象满意度", "干群满意度", "≥98%", _P000),
            ),
        ),
        HebeiProject(
            code="13022522P002H4T10005W",
            name="网信乐亭",
            budget_total="2.00", budget_fiscal="2.00", budget_other="",
            funds_use="与自媒体合作，制作H5、短视频、海报等新媒体作品，开发维护后台平稳运行",
            plan=("25%", "50%", "75%", "100%"),
            goal="1.开发网信乐亭平台功能，增加平台板块栏目，维护平台正常运营。畅通政务发布渠道，建立便民网络通道，"
                 "走好网上群众路线，持续提高干群满意度。",
            indicators=(
                ("产出指标", "数量指标", "开办宣传专栏数", "根据工作要求开设专栏", "中长期", _P000),
                ("产出指标", "质量指标", "宣传稿件刊登率", "宣传稿件质量", "100%", _P000),
                ("产出指标", "时效指标", "发布时间", "作品发表时限", "及时发布", _P000),
                ("产出指标", "成本指标", "项目实际成本", "项目实际成本", "≤2万", _P000),
                ("效益指标", "可持续影响指标", "持续服务率(%)", "建立便民渠道，畅通信息", "中长期", _P000),
                ("效益指标", "社会效益指标", "社会影响力", "社会影响力", "长期", _P000),
                ("满意度指标", "服务对象满意度指标", "服务对象满意度", "干群满意度", "≥95%", _P000),
            ),
        ),
    ),
)


# --- seed 002: 魏县 网信办, 2025 (indicators 涉密) ------------------------------------------------

def _redacted(*pairs: tuple[str, str]) -> tuple[tuple[str, str, str, str, str, str], ...]:
    return tuple((l1, l2, REDACTED, REDACTED, REDACTED, REDACTED) for l1, l2 in pairs)


_R_COMMON = (
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
    ("效益指标", "社会效益指标"), ("效益指标", "可持续影响指标"), ("满意度指标", "服务对象满意度指标"),
)
_R_PROJECT2 = (
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
    ("效益指标", "社会效益指标"), ("效益指标", "生态效益指标"), ("满意度指标", "服务对象满意度指标"),
)
_USE_002 = "与第三方签订服务协议，支付服务费用"

S002 = HebeiSeed(
    unit_line="224001中共魏县县委网络安全和信息化委员会办公室本级",
    overall_goal=(
        "处理好县委网络安全和信息化委员会日常事务工作,协调督促有关方面落实委员会的决定事项、工作部署和要求,"
        "组织开展对涉及我县政治、经济,文化,社会、生态及军事等各个领域的网络安全和信息化重大问题研究,"
        "向委员会提出工作建议。统筹协调全县网络安全保障体系和可信体系建设,牵头协调有关部门制定相关行业网络"
        "安全规划及保障评价指标体系,协调信息安全保护工作;指导推进全县党政军部门,重点行业网络安全保障和信惠化"
        "工作;统筹推进网络安全和信患化军民融合深度发展;协调推进网络强县建设,推动全县公共服务和社会治理信息化"
        "做好全县互联网信息内容管理。统筹协调组织互联网宣传管理和舆论引导工作,组织开展网上评论,指导推动网络"
        "评论队伍建设,维护互联网意识形态安全;负责互联网信息内容监督管理执法,组织开展网络舆论生态治理,依法"
        "指导和管理本县落地网站及县内新媒体新应用,会同有关部门处置和封堵网上有害信息,依照相关法律和规定查处"
        "违法违规行为和网站。强化舆论引导，走好网上群众路线。强化舆情监测，搞好处置工作。开展专项行动，切实"
        "维护好网络意识形态安全。是进一步加强网信基础设施建设、网信工作队伍建设和提高网络执法水平。做强做大"
        "网上正面宣传。围绕县委、县政府重点工作主动设置议题，统筹做好县委、县政府重大会议、活动的网上报道，"
        "加大对我县经济发展、乡村振兴、精准脱贫、污染防治等网上宣传力度，营造网上浓厚氛围。谋划建立联合辟谣"
        "工作机制和推进IPv6规模部署和智慧城市建设。推动下一代互联网(IPv6)在县级政府门户网站、新闻、广播电视"
        "媒体升级改造。全面落实国家智慧城市建设的重大部署，按照《智慧邯郸建设总体规划（2019-2023年）》要求，"
        "积极推进智慧魏县建设，提升服务质量和服务水平。"
    ),
    sub_goals=(
        "一、进一步做好舆情监测和处置工作。畅通舆情绿色通道，用好互联网舆情快报，及时准确上报舆情。",
        "二、是进一步加强网信基础设施建设。推动全县城乡光纤网络建设，助力公共服务能力提升。",
        "三、进一步加强对关键信息基础设施安全防护。强化全县金融、能源、电力、通信、交通运输等重点领域的网络"
        "安全检查，建立网络安全事件监测预警机制。",
        "四、进一步提高网络执法水平。规范互联网新闻信息服务许可，压实互联网企业主体责任。",
        "五、进一步做强做大网上正面宣传。围绕县委、县政府重点工作主动设置议题，统筹做好县委、县政府重大会议、"
        "活动的网上报道，加大对我县经济发展、乡村振兴、精准脱贫、污染防治等网上宣传力度，营造网上浓厚氛围。",
        "六、进一步加强网信工作队伍建设。有针对性选拔一批具有专业技术特长的优秀专业型人才，充实到网信工作岗位。",
        "七、谋划建立联合辟谣工作机制。开展网上谣言治理，营造良好网络生态。",
        "八、谋划推进IPv6规模部署和智慧城市建设。积极推进智慧魏县建设，提升服务质量和服务水平。",
    ),
    safeguards=(
        "一是进一步做好舆情监测和处置工作。做好每天24小时全天候舆情值班，升级舆情监测系统，确保舆情全方位、"
        "全时段监测，确保网络舆情及时发现、及时处置、及时反馈。组建跨部门舆情研判小组，定期召开舆情分析会，"
        "汇总研判形成舆情分析报告，为领导决策提供参考。畅通舆情绿色通道，用好互联网舆情快报，及时准确上报舆情。",
        "二是进一步加强网信基础设施建设。推动全县城乡光纤网络建设，提升骨干网传输交换能力。持续推进“无线魏县”"
        "建设，实现县城重点区域WiFi全覆盖。持续推进广电双向网改造，实施下一代广电网络升级工程，推进全县有线"
        "广播电视网络双向化、数字化、智能化改造提升。推动魏县主城区实现窄带物联网(NB-IoT)普遍覆盖，推进窄带"
        "物联网(NB-IoT)在水、电、气表智能计量、公共停车管理、环保监测、文物保护等公共服务领域的试点示范，"
        "助力公共服务能力提升。",
        "三是进一步加强对关键信息基础设施安全防护。强化全县金融、能源、电力、通信、交通运输等重点领域的网络"
        "安全检查，明确保护范围和对象。统筹协调有关部门定期对属地关键信息基础设施网络安全进行检查，对属地重点"
        "网站开展常态化安全检测扫描，建立网络安全事件监测预警机制。",
        "四是进一步提高网络执法水平。深入开展“燕赵净网”专项行动，严厉处置违法违规信息、账号、应用和网站，"
        "严格规范网站备案和电话用户实名登记管理及上网场所实名登记管理，规范互联网新闻信息服务许可，压实互联网"
        "企业主体责任。加强互联网违法和不良信息举报工作，加强受理处置体系建设，完善社会监督，引导网民自律。",
        "五是进一步做强做大网上正面宣传。围绕县委、县政府重点工作主动设置议题，统筹做好县委、县政府重大会议、"
        "活动的网上报道，加大对我县经济发展、乡村振兴、精准脱贫、污染防治等网上宣传力度，营造网上浓厚氛围。"
        "组织开展“魏县十佳账号”评选网络活动，支持新媒体创新发展，扶持一批正能量公号。",
        "六是进一步加强网信工作队伍建设。要以开展增强“四力”教育实践工作为抓手，把绝对忠诚、政治过硬、本领高强"
        "贯穿网信干部人才队伍建设始终。开展业务素质提升工程，全方位提升网信系统干部政治素养、业务能力和理论"
        "水平。加强网信人才选拔，通过招录、选聘等，有针对性选拔一批具有专业技术特长的优秀专业型人才，充实到"
        "网信工作岗位。组建网络舆情研判分析、网络安全和信息化等专家智库，加强业务人才储备。",
        "七是谋划建立联合辟谣工作机制。协调公安、新闻网站，建立网络举报受理处置一体化工作机制和互联网联合辟谣"
        "工作机制，开展网上谣言治理，营造良好网络生态。利用网络安全周等，组织开展“网络文明、从我做起”“文明上网、"
        "健康用网”等线上线下网络主题活动，引领网络文明新风尚。",
        "八是谋划推进IPv6规模部署和智慧城市建设。推动下一代互联网(IPv6)在县级政府门户网站、新闻、广播电视媒体"
        "升级改造。全面落实国家智慧城市建设的重大部署，按照《智慧邯郸建设总体规划（2019-2023年）》要求，积极"
        "推进智慧魏县建设，提升服务质量和服务水平。",
    ),
    projects=(
        HebeiProject(
            code="13043425P00428910001N",
            name="网络安全技术保障监管服务费",
            budget_total="10.00", budget_fiscal="10.00", budget_other=" ",
            funds_use=_USE_002,
            plan=(" ", "100%", "100%", "100%"),
            goal="1.开展网络安全监测，避免发生网络安全事件",
            indicators=_redacted(*_R_COMMON),
        ),
        HebeiProject(
            code="13043425P004283100028",
            name="网络生态综合管理平台服务资金",
            budget_total="15.00", budget_fiscal="15.00", budget_other=" ",
            funds_use=_USE_002,
            plan=("50%", "100%", "100%", "100%"),
            goal="1.净化网络信息，营造清朗网络空间",
            indicators=_redacted(*_R_PROJECT2),
        ),
        HebeiProject(
            code="13043425P00428310001L",
            name="网络舆情监测软件技术服务费",
            budget_total="10.00", budget_fiscal="10.00", budget_other=" ",
            funds_use=_USE_002,
            plan=("100%", "100%", "100%", "100%"),
            goal="1.净化网络信息，营造清朗网络空间",
            indicators=_redacted(*_R_COMMON),
        ),
        HebeiProject(
            code="13043425P00428310003U",
            name="舆情监测能力建设资金",
            budget_total="35.00", budget_fiscal="35.00", budget_other=" ",
            funds_use=_USE_002,
            plan=("25%", "50%", "100%", "100%"),
            goal="1.净化网上信息，营造清朗网络空间",
            indicators=_redacted(*_R_COMMON),
        ),
    ),
)


# --- seed 003: 临西县 网信办, 2022 (spending plan typed as amounts) --------------------------------

_B1 = "《邢台市网络安全工作责任制实施细则》、《临西县网络安全工作责任制实施细则》、合同"
_B2 = "《邢台市网络安全工作责任制实施细则》、《临西县网络安全工作责任制实施细则》"

S003 = HebeiSeed(
    unit_line="224001 中共临西县委网络安全和信息化委员会办公室本级",
    overall_goal="\n".join((
        "中共临西县委网络安全和信息化委员会办公室将以习近平新时代中国特色社会主义思想为指导，认真贯彻落实"
        "习近平总书记关于网络安全和信息化工作的重要思想。今年总体目标有以下几点：",
        "一是全力加强网上宣传，全力做好习近平总书记重要活动、重要会议、重要讲话的宣传报道。",
        "二是统筹各部门办好 2022年网络安全宣传周宣传教育活动，组织开展网络安全培训，举办网络安全知识"
        "“进校园、进企业、进社区”活动，提升全社会网络安全意识。",
        "三是走好网上群众路线。壮大网络民生服务队伍，组织服务队全体成员单位分类开展涉民生问题的舆情收集报送"
        "工作，主动化解民生问题。",
        "四是做好网上舆情监测处置。围绕明年重大敏感时间节点，加强值班，发挥舆情指挥中心作用，及时发现处置"
        "苗头性、倾向性问题。",
        "五是强化网络安全应急处置。组织开展重点部门网络安全应急处置专题培训，切实提升网络安全防护水平。对政务"
        "网站及关键信息基础设施进行安全评估、对关键信息基础设施进行安全保障。",
        "六是提升信息化工作水平。组织开展信息化工作调研，撰写推进全县信息化发展专题调研报告。",
    )),
    sub_goals=(
        "一、综合事务管理经费\n"
        "目标 1 单位日常工作的具体落实督办、综合类简报编印、信息报送、对外联络、机关后勤服务工作、机关的日常"
        "运转工作、新招录人员的办公设施购买等。\n"
        "目标 2 保障一年内单位可以正常高效运行，工作人员稳定办公。\n"
        "目标 3 达到单位人员的认可、支持、满意。",
        "二、网络舆情监控软件费\n"
        "目标 1 对网络舆情 24小时实时监看收集、分析和报送。\n"
        "目标 2 通过舆情软件监测，第一时间对舆情进行处置上报",
        "三、临西网信网平台维护费\n"
        "目标 1 通过临西网信网平台对我县重大活动、重要事项进行宣传，提升我县对外知名度和影响力。",
    ),
    safeguards=(
        "1、加强组织领导。强化以单位主要负责人为核心领导班子在网信工作中的作用，定期分析调度工作开展、促进"
        "工作落实，督促各项工作责任人立足实际制定切实可行的实施方案，明确工作要求，创新工作方法，细化工作内容，"
        "确保各项网信事务工作顺利开展。",
        "2、建立健全各项工作制度。加强制度建设，健全考勤、财务、绩效考核等方面的工作制度，规范工作流程，促进"
        "工作科学化、精细化、高效化的开展。同时强化工作人员对规章制度的学习，提高工作人员专业化水平。",
        "3、强化统筹协调。紧紧围绕“富民、强县”和做好网信工作的目标，把开展“不忘初心、牢记使命”主题教育与"
        "完成本部门本单位重点工作任务相结合，与加强网络舆论引导和信息化工作相结合，统筹协调、整体推进。把工作"
        "人员激发出的干事创业、开拓进取的热情转化为做好各项工作的强大动力。",
        "4、注重监督检查。通过单位内部监督检查和财政、纪检、审计等部门的外部监督检查相结合的方式，规范预算资金"
        "的使用，提高资金利用效率，为完成全年工作计划任务提供保障。注重工作绩效考核，及时发现工作中的漏洞和"
        "隐患，针对出现的新问题、新情况，认真研究，不断发现和改正问题，改进工作方法，降低内部控制风险。",
    ),
    projects=(
        HebeiProject(
            code="13053522P009626100014",
            name="网络舆情监控软件费",
            budget_total="8.00", budget_fiscal="8.00", budget_other="",
            funds_use="本项目资金用于通过网络监测，可以监测我县重大舆情信息，便于及时处置",
            plan=("", "8.00", "8.00", "8.00"),
            goal="1.本项目用于对网络舆情 24 小时实时监看收集、分析和报送",
            indicators=(
                ("产出指标", "数量指标", "全年监测到舆情信息数量",
                 "一年内利用舆情监测软件监测到我县舆情信息的数量", "≥3600 条", _B1),
                ("产出指标", "质量指标", "重大突发舆情发生率",
                 "一年内舆情监测软件监测到我县重大突发舆情信息量占全年发生的重大舆情突发信息量的比率", "≥95%", _B1),
                ("产出指标", "时效指标", "监测到舆情信息后控制反馈时间",
                 "网络舆情软件监测到我县舆情信息后反馈的时间长度控制范围", "≤10 分", _B1),
                ("产出指标", "成本指标", "项目总成本", "租用网络舆情监控软件的费用", "≤8 万元", _B1),
                ("效益指标", "可持续影响指标", "处理的我县舆情信息的数量",
                 "全年通过网络舆情监测软件处理的我县舆情信息的数量", "≥100 条", _B1),
                ("效益指标", "社会效益指标", "网络安全事件发生率", "本年度本单位网络安全事件发生率", "1%", _B1),
                ("满意度指标", "服务对象满意度指标", "单位工作人员满意度",
                 "单位工作人员对网络舆情监测软件提供的服务的满意度", "≥95%", _B1),
            ),
        ),
        HebeiProject(
            code="13053522P00962710001R",
            name="网信网平台维护费",
            budget_total="10.00", budget_fiscal="10.00", budget_other="",
            funds_use="租用临西新闻网平台，利用媒体平台，对临西重大节点、重要节日、重要事项进行积极稿件登载宣传，"
                      "并在相关媒体主要位置进行宣传。",
            plan=("", "10.00", "10.00", "10.00"),
            goal="1.租用临西新闻网平台服务，在平台刊发我县重大节点、重要活动的宣传稿件。",
            indicators=(
                ("产出指标", "数量指标", "全年刊发稿件数量", "全年在网信网平台刊发的新闻稿件数量", "≥200 条", _B1),
                ("产出指标", "质量指标", "情报信息研判率(%)", "我办全年情报信息研判率", "≥95%", _B1),
                ("产出指标", "时效指标", "按期完成率", "一年内稿件在规定时间内完成刊发的比例", "≥95%", _B1),
                ("产出指标", "成本指标", "项目总成本", "租用临西网信网平台的费用", "≤10 万元", _B1),
                ("效益指标", "可持续影响指标", "网信网平台运行天数", "全年内临西网信网平台稳定运行的天数",
                 "≥365 天", _B1),
                ("效益指标", "社会效益指标", "加强正面舆论引导，营造良好网络环境",
                 "通过临西网信网平台进行正面宣传，加强正面舆论引导，营造良好网络环境",
                 "是否能够积极引导我县网络舆论环境正面发展", _B1),
                ("满意度指标", "服务对象满意度指标", "机关工作人员满意度",
                 "机关工作人员对用临西网信网平台刊发稿件进行工作的满意度", "≥95%", _B1),
            ),
        ),
        HebeiProject(
            code="13053522P00962810001F",
            name="综合事务管理经费",
            budget_total="2.00", budget_fiscal="2.00", budget_other="",
            funds_use="本资金用于单位全年办公基础设施、设备更新，单位工作人员日常办公用品的购置。",
            plan=("", "2.00", "2.00", "2.00"),
            goal="1.日常工作的具体落实督办工作，负责文书处理、会务、档案、文印、财务、固定资产管理工作。",
            indicators=(
                ("产出指标", "数量指标", "购买台式电脑数量",
                 "为满足工作需要而购买的办公设备固定资产的数量，台式计算机 2 台", "≤2 台", _B2),
                ("产出指标", "质量指标", "采购物品合格率", "采购的物品能够满足日常办公使用的合格率", "≥100%", _B2),
                ("产出指标", "时效指标", "采购完成时间", "采购工作在年内完成的时间期限", "≤10 月", _B2),
                ("产出指标", "成本指标", "经费控制数", "全年为满足单位日常运行，所需全部支出经费的控制数",
                 "≤2 万元", _B2),
                ("效益指标", "可持续影响指标", "满足日常办公需求率",
                 "满足单位工作人员日常办公需求占全年办公需求的比例", "≥95%", _B2),
                ("效益指标", "可持续影响指标", "办公基础设施、设备正常运行比例",
                 "全年单位办公基础设施、设备正常运行的比例", "≥95%", _B2),
                ("效益指标", "社会效益指标", "网络安全事件发生率", "本年度本单位网络安全事件发生率", "1%", _B1),
                ("满意度指标", "服务对象满意度指标", "机关工作人员满意度",
                 "机关工作人员对日常办公用品的使用满意度", "≥95%", _B2),
            ),
        ),
    ),
)


def _percent_number(raw: str) -> int | Decimal | None:
    """A percentage as a number cell: "25%" → 25 (seeds 000/002), "8.00" → Decimal("8.00") (003)."""
    text = raw.strip()
    if not text:
        return None
    if text.endswith("%"):
        return int(text[:-1])
    return Decimal(text)


def _hebei_values(seed: HebeiSeed, *, typed: bool) -> Values:
    dept: dict[Path_, Any] = {
        ("unit_code",): seed.unit_code,
        ("unit_name",): seed.unit_name,
        ("overall_goal",): seed.overall_goal,
    }
    for list_id, items in (("sub_goals", seed.sub_goals), ("safeguards", seed.safeguards)):
        for i, item in enumerate(fit_list(items)):
            dept[(list_id, i)] = item
    values: Values = {HEBEI_DEPT_SHEET: dept}
    for n, p in enumerate(seed.projects, start=1):
        sheet: dict[Path_, Any] = {
            ("project_code",): p.code,
            ("project_name",): p.name,
            ("funds_use",): p.funds_use,
            ("goal",): p.goal,
        }
        for fid, raw in (("budget_total", p.budget_total), ("budget_fiscal", p.budget_fiscal),
                         ("budget_other", p.budget_other)):
            sheet[(fid,)] = raw if typed else _money_number(raw)
        for fid, raw in zip(("plan_mar", "plan_jun", "plan_oct", "plan_dec"), p.plan, strict=True):
            sheet[(fid,)] = raw if typed else _percent_number(raw)
        if len(p.indicators) > HEBEI_ROWS:
            raise ValueError(f"{p.name}: {len(p.indicators)} indicators, the template has {HEBEI_ROWS} rows")
        for i, row in enumerate(p.indicators):
            for col, text in zip(("level1", "level2", "level3", "description", "value", "basis"), row,
                                 strict=True):
                sheet[("indicators", i, col)] = text
        values[f"项目{n}"] = sheet
    return values


def _hebei_row(i: int, row: tuple[str, str, str, str, str, str]) -> dict[str, Any]:
    level1, level2, level3, description, value, basis = row
    out: dict[str, Any] = {"row": i + 1, "level1": level1, "level2": level2}
    markers: dict[str, str] = {}
    for col, text in (("level3", level3), ("description", description), ("basis", basis)):
        if text == REDACTED:
            out[col] = None
            markers[col] = "redacted"
        else:
            out[col] = _text(text)
    if value == REDACTED:
        out["value"] = None
        markers["value"] = "redacted"
    else:
        out["value"] = expected_value(value)
    out["markers"] = markers or None
    return out


def _hebei_expected(seed: HebeiSeed, year: int) -> dict[str, Any]:
    department = {
        "sheet": HEBEI_DEPT_SHEET,
        "unit_code": seed.unit_code,
        "unit_name": seed.unit_name,
        "year": year,
        "overall_goal": seed.overall_goal,
        "sub_goals": list(seed.sub_goals),
        "safeguards": list(seed.safeguards),
    }
    projects = []
    for n, p in enumerate(seed.projects, start=1):
        plan_values = [None if not raw.strip() else Decimal(raw.strip().rstrip("%")) for raw in p.plan]
        projects.append({
            "sheet": f"项目{n}",
            "project_code": p.code,
            "project_name": p.name,
            "budget_total": _money_json(p.budget_total),
            "budget_fiscal": _money_json(p.budget_fiscal),
            "budget_other": _money_json(p.budget_other),
            "funds_use": p.funds_use,
            "plan_mar": plan_values[0],
            "plan_jun": plan_values[1],
            "plan_oct": plan_values[2],
            "plan_dec": plan_values[3],
            "goal": p.goal,
            "indicators": [_hebei_row(i, row) for i, row in enumerate(p.indicators)],
        })
    return {"department": department, "projects": projects}


# =============================================================================================
# Hunan (seed 001)
# =============================================================================================

#: the department sheet prints this 二级 label; the taxonomy (and the template) calls it …指标
HUNAN_LEVEL2_ALIASES = {"社会公众或服务对象满意度": "社会公众或服务对象满意度指标"}

U3 = "\u3000"   # the ideographic space Word left in many of seed 001's cells


@dataclass(frozen=True)
class HunanProject:
    name: str
    budget_local: str
    budget_upper: str
    period: str
    period_goal: str
    year_goal: str
    #: (二级 as printed, 三级, 指标值及单位); 绩效标准 is blank throughout the seed
    indicators: tuple[tuple[str, str, str], ...]


def _hunan_project(name: str, budget: str, goal_period: str, goal_year: str,
                   rows: tuple[tuple[str, str, str], ...], social: tuple[str, str],
                   satisfaction: tuple[str, str]) -> HunanProject:
    """A seed 001 project: four 产出 rows, then the 效益 block, which is the same on every sheet
    apart from 社会效益 and 满意度 (经济/生态/可持续 are ……)."""
    return HunanProject(
        name=name, budget_local=budget, budget_upper="0", period="一年",
        period_goal=goal_period, year_goal=goal_year,
        indicators=(
            *rows,
            ("经济效益指标", NOT_APPLICABLE + U3, U3),
            ("社会效益指标", *social),
            ("生态效益指标", NOT_APPLICABLE, U3),
            ("可持续影响指标", NOT_APPLICABLE + U3, U3),
            ("社会公众或服务对象满意度指标", *satisfaction),
        ),
    )


S001_DEPT: dict[str, Any] = {
    "dept_name": "中共沅江市委网络安全和信息化委员会办公室" + U3,
    "budget_total": "109.04",
    "income_general": "109.04",
    "income_fund": "",
    "income_special": "0",
    "income_other": "0",
    "expense_basic": "66.16",
    "expense_project": "44.28",
    "functions": (
        "负责处理市委网信委日常事务工作，协调督促有关方面落实市委网信委的决定事项、工作部署和要求；督促落实"
        "全市网络安全和信息化有关重大事项；协调处理网络安全和信息化重大突发事件与有关应急工作；负责指导协调"
        "全市网络舆情信息工作；负责全市互联网信息内容管理和应急指挥平台建设，统筹协调组织互联网宣传管理和"
        "舆论引导工作，维护互联网意识形态安全。"
    ),
    "overall_goal": "围绕中心服务大局，做好网络舆论宣传与舆情管理，维护网络安全等，促推沅江网信事业发展。",
    # (二级 as printed, 三级, 指标值及单位), in the seed's order
    "indicators": (
        ("数量指标", "开展网络舆情监测", "≥300次"),
        ("数量指标", "开展网络安全专项检查", "≥1次"),
        ("数量指标", "开展网宣网评任务", "≥100次"),
        ("质量指标", "网民留言回复率", "≥95%"),
        ("质量指标", "上级交办舆情完成率", "≥100%"),
        ("质量指标", "上级下发网宣网评任务完成", "≥100%"),
        ("成本指标", "日常工作成本", "≤全年预算数"),
        ("时效指标", "在规定时间内完成各项工作任务", "≤通报1次"),
        ("经济效益指标", NOT_APPLICABLE, ""),
        ("社会效益指标", "营造良好的网络舆论环境", "≤重大网络舆情1次"),
        ("生态效益指标", NOT_APPLICABLE, ""),
        ("可持续影响指标", NOT_APPLICABLE, ""),
        ("社会公众或服务对象满意度", "网民留言回复满意度", "≥95%"),
    ),
}

S001_FOOTER = {"filled_by": "严飞", "phone": "17763740907", "filled_date": "2024年6月20日"}

_SAT = ("群众满意度" + U3, U3 + "≥95%")

S001_PROJECTS = (
    _hunan_project(
        "B“沅江市网络安全应急指挥中心”运行专项工作经费" + U3, U3 + "9.6",
        "落实全市网络安全应急指挥工作任务，确保全市网络安全。" + U3,
        "落实全市网络安全应急指挥工作任务，确保全市网络安全。" + U3,
        (("数量指标", "开展应急值班", "≥5次" + U3),
         ("质量指标", "403专网工作指令完成质量", "高质量完成指令≥95%"),
         ("时效指标", "按时完成应急任务", "按时完成≥95%" + U3),
         ("成本指标", "控制日常运行经费" + U3, "≤9.6万元")),
        ("确保不发生全市网络安全事件", "≤1次" + U3), _SAT),
    _hunan_project(
        "B全市网络安全管理与执法经费" + U3, "3.84",
        "通过网络安全检查和执法，确保全市各单位网络安全。" + U3,
        "通过网络安全检查和执法，确保全市各单位网络安全。" + U3,
        (("数量指标", "完成全市检查", "≥1次"),
         ("质量指标", "提高全市网络安全防护质量", "通过省、益阳市网络安全演练"),
         ("时效指标", "年底前完成检查", "是否按时完成" + U3),
         ("成本指标", "控制成本" + U3, "≤3.84万元")),
        ("全面保障全市网络安全", "不出现网络安全事件≤1次" + U3), _SAT),
    _hunan_project(
        "B全市网络宣传与舆情处置经费" + U3, U3 + "9.6",
        "全年开展网络宣传和舆情处置，确保落实全市正面宣传和负面舆情处置工作",
        "全年开展网络宣传和舆情处置，确保落实全市正面宣传和负面舆情处置工作",
        (("数量指标", "开展网宣网评工作", "≥100次"),
         ("质量指标", "上级下发网宣网评任务完成率", "高质量完成指令≥95%"),
         ("时效指标", "按时完成各项任务", "未按时完成次数≤1次" + U3),
         ("成本指标", "控制日常运行经费" + U3, "≤9.6万元")),
        ("提升全市宣传引导工作影响力", "出现负面评论次数≤1次"), _SAT),
    _hunan_project(
        "B全市网络综合治理体系建设工作经费", U3 + "9.6",
        "通过互联网内容管理，确保全市网上内容准确，正能量充沛" + U3,
        "通过互联网内容管理，确保全市网上内容准确，正能量充沛",
        (("数量指标", "每月按时上报完成情况", "≥12次" + U3),
         ("质量指标", "工作完成率", "≥100%"),
         ("时效指标", "每月按时完成各项任务", "拖延次数≤1次" + U3),
         ("成本指标", "控制日常运行经费" + U3, "≤9.6万元")),
        ("营造风清气正的网络空间生态", "互联网内容管理被上级通报≤1次"), _SAT),
    _hunan_project(
        "B网络新媒体推广合作专项经费" + U3, U3 + "3.84",
        "与大型媒体公司签约，宣传推广全市重点工作。" + U3,
        "与大型媒体公司签约，宣传推广全市重点工作。",
        (("数量指标", "完成宣传推广任务", "≥30次"),
         ("质量指标", "推广完成率", "≥100%"),
         ("时效指标", "按时完成各项任务", "是否按时完成上级任务" + U3),
         ("成本指标", "控制日常运行经费" + U3, "≤3.84万元")),
        ("加大沅江对外宣传，传递沅江美好形象", "社会反响好≥95%"), _SAT),
    _hunan_project(
        "B网络舆情监测管理平台维护费", "3.2",
        "通过日常舆情监测确保全市舆情稳定可控。",
        "通过日常舆情监测确保全市舆情稳定可控。",
        (("数量指标", "监测软件账号数量", "≥3个"),
         ("质量指标", "确保全年可以用", "≥365天"),
         ("时效指标", "全天使用", "≥24小时" + U3),
         ("成本指标", "控制日常运行经费" + U3, "≤3.2万元")),
        ("确保全市舆情平稳", "重大舆情事件≤1件"), _SAT),
    _hunan_project(
        "B网评员培训经费", "3.2",
        "通过培训全面提升全市网评员业务能力。" + U3,
        "通过培训全面提升全市网评员业务能力。",
        (("数量指标", "开展全市培训", "≥1次"),
         ("质量指标", "确保培训时长", "≥4课时"),
         ("时效指标", "年底前完成", "是否按时完成"),
         ("成本指标", "控制日常运行经费" + U3, "≤3.2万元")),
        ("全面提升全市网评员业务素质", "网络评论次生舆情≤1次"),
        ("网评员满意度" + U3, U3 + "≥95%")),
)


def place_skeleton(rows: Sequence[Any], indicators: Iterable[tuple[str, ...]],
                   aliases: dict[str, str] | None = None) -> dict[int, tuple[str, ...]]:
    """Skeleton row index → the seed indicator's input columns (三级, 指标值, …).

    ``rows`` are the layout's ``TableRow``s; each indicator goes to the next free row whose printed
    二级 (``row.fixed["level2"]``) is its category. Raises when a category has no free row left.
    """
    aliases = aliases or {}
    used: set[int] = set()
    out: dict[int, tuple[str, ...]] = {}
    for level2, *cells in indicators:
        want = aliases.get(level2, level2)
        row = next((r for r in rows if r.fixed.get("level2") == want and r.index not in used), None)
        if row is None:
            raise ValueError(f"no free row for 二级指标 {level2!r} in the skeleton")
        used.add(row.index)
        out[row.index] = tuple(cells)
    return out


def _hunan_date(raw: str, typed: bool) -> Any:
    if typed:
        return raw
    y, rest = raw.split("年")
    m, d = rest.rstrip("日").split("月")
    return dt.date(int(y), int(m), int(d))


def _hunan_values(*, typed: bool) -> Values:
    layout = plan(load_spec("hunan"), len(S001_PROJECTS))
    footer = {
        ("filled_by",): S001_FOOTER["filled_by"],
        ("phone",): S001_FOOTER["phone"],
        ("filled_date",): _hunan_date(S001_FOOTER["filled_date"], typed),
    }
    values: Values = {}
    for sheet in layout.sheets:
        cells: dict[Path_, Any] = dict(footer)
        rows = sheet.tables["indicators"].rows
        if sheet.index is None:
            d = S001_DEPT
            cells[("dept_name",)] = d["dept_name"]
            for fid in ("budget_total", "income_general", "income_fund", "income_special",
                        "income_other", "expense_basic", "expense_project"):
                cells[(fid,)] = d[fid] if typed else _money_number(d[fid])
            cells[("functions",)] = d["functions"]
            cells[("overall_goal",)] = d["overall_goal"]
            placed = place_skeleton(rows, d["indicators"], HUNAN_LEVEL2_ALIASES)
            for index, (level3, value) in placed.items():
                cells[("indicators", index, "level3")] = level3
                cells[("indicators", index, "value")] = value
        else:
            p = S001_PROJECTS[sheet.index - 1]
            cells[("project_name",)] = p.name
            # 预算部门 (dept): blank in the seed, left blank
            cells[("budget_local",)] = p.budget_local if typed else _money_number(p.budget_local)
            cells[("budget_upper",)] = p.budget_upper if typed else _money_number(p.budget_upper)
            cells[("period",)] = p.period
            cells[("period_goal",)] = p.period_goal
            cells[("year_goal",)] = p.year_goal
            placed = place_skeleton(rows, p.indicators, HUNAN_LEVEL2_ALIASES)
            for index, (level3, value) in placed.items():
                cells[("indicators", index, "level3")] = level3
                cells[("indicators", index, "value")] = value
                # 绩效标准 is blank throughout the seed
        values[sheet.name] = {k: v for k, v in cells.items() if v is not None and v != ""}
    return values


def _hunan_rows(rows: Sequence[Any], indicators: Iterable[tuple[str, ...]],
                standard: bool) -> list[dict[str, Any]]:
    placed = place_skeleton(rows, indicators, HUNAN_LEVEL2_ALIASES)
    out = []
    for index in sorted(placed):
        level3, value = placed[index]
        fixed = rows[index].fixed
        row: dict[str, Any] = {"row": index + 1, "level1": fixed["level1"], "level2": fixed["level2"]}
        if level3.strip() == NOT_APPLICABLE:
            row["level3"] = None
            row["markers"] = {"level3": "not_applicable"}
        else:
            row["level3"] = _text(level3)
            row["markers"] = None
        row["value"] = expected_value(value)
        if standard:
            row["standard"] = None
        out.append(row)
    return out


def _hunan_expected() -> dict[str, Any]:
    layout = plan(load_spec("hunan"), len(S001_PROJECTS))
    d = S001_DEPT
    footer = {"filled_by": "严飞", "phone": "17763740907", "filled_date": "2024-06-20"}
    dept_layout = layout.sheets_of("department")[0]
    department = {
        "sheet": HUNAN_DEPT_SHEET,
        "dept_name": "中共沅江市委网络安全和信息化委员会办公室",
        "year": 2024,
        "budget_total": "109.04",
        "income_general": "109.04",
        "income_fund": None,
        "income_special": "0.00",
        "income_other": "0.00",
        "expense_basic": "66.16",
        "expense_project": "44.28",
        "functions": d["functions"],
        "overall_goal": d["overall_goal"],
        "indicators": _hunan_rows(dept_layout.tables["indicators"].rows, d["indicators"], False),
        **footer,
    }
    projects = []
    for sheet in layout.sheets_of("project"):
        p = S001_PROJECTS[sheet.index - 1]
        projects.append({
            "sheet": sheet.name,
            "project_name": _text(p.name),
            "dept": None,
            "budget_local": _money_json(p.budget_local),
            "budget_upper": "0.00",
            "period": "一年",
            "period_goal": _text(p.period_goal),
            "year_goal": _text(p.year_goal),
            "indicators": _hunan_rows(sheet.tables["indicators"].rows, p.indicators, True),
            **footer,
        })
    return {"department": department, "projects": projects}


# =============================================================================================
# The seeds
# =============================================================================================

_LABELS = {"000": "乐亭县网信办", "001": "沅江市网信办", "002": "魏县网信办", "003": "临西县网信办"}
_HEBEI = {"000": (S000, 2022), "002": (S002, 2025), "003": (S003, 2022)}


def _build(key: str, *, typed: bool) -> SeedForm:
    if key == "001":
        return SeedForm("hunan", 2024, len(S001_PROJECTS), _hunan_values(typed=typed),
                        _hunan_expected(), _LABELS[key])
    seed, year = _HEBEI[key]
    return SeedForm("hebei-county", year, len(seed.projects), _hebei_values(seed, typed=typed),
                    _hebei_expected(seed, year), _LABELS[key])


#: money and the Hebei spending plan written as numbers, the Hunan date as a date
SEEDS: dict[str, SeedForm] = {key: _build(key, typed=False) for key in ("000", "001", "002", "003")}
#: the same forms with every amount, percentage and date typed as the seed typed it (text cells)
TYPED: dict[str, SeedForm] = {key: _build(key, typed=True) for key in ("000", "001", "002", "003")}


def seed_form(key: str) -> SeedForm:
    """``"000"`` … ``"003"`` (numbers) or ``"000-typed"`` … ``"003-typed"`` (as the seed typed them)."""
    if key.endswith("-typed"):
        return TYPED[key.removesuffix("-typed")]
    return SEEDS[key]


def file_name(key: str) -> str:
    form = seed_form(key)
    suffix = "_typed" if key.endswith("-typed") else ""
    return f"seed{key[:3]}_{form.label}_{form.year}{suffix}.xlsx"


def build_seed(form: SeedForm) -> bytes:
    return build_template(load_spec(form.spec_id), form.year, projects=form.project_count,
                          values=form.values).data


def write_seed(key: str, path: str | Path) -> Path:
    """Build the filled workbook of seed ``key`` and write it to ``path`` (a file, or a folder)."""
    target = Path(path)
    if target.is_dir():
        target = target / file_name(key)
    target.write_bytes(build_seed(seed_form(key)))
    return target


__all__ = ["SEEDS", "TYPED", "VALUE_PARTS", "SeedForm", "build_seed", "expected_value", "file_name",
           "fit_list", "place_skeleton", "seed_form", "write_seed"]
