"""The words of published goals tables, in one place: what each header and label means.

Departments name the same column or row in many ways (三级指标 / 指标名称 / 指标内容, 指标值确定依据 /
绩效标准 / 评（计）分标准, 资金总额 / 当年资金总额 / 预算数 …). The importer
(:mod:`perfsheet.goals.tables`) looks every header and label up here, so a new spelling is one line
in one of these tables. Text is compared without spaces, brackets' contents about units aside.
"""

from __future__ import annotations

import re

__all__ = [
    "COLUMN_SYNONYMS",
    "IGNORED_LABELS",
    "LABEL_SYNONYMS",
    "LEVEL1_WORDS",
    "LEVEL2_WORDS",
    "column_role",
    "key",
    "label_role",
]


def key(text: str) -> str:
    """Text as compared with the tables below: no spaces, full-width colon/brackets folded."""
    folded = re.sub(r"\s+", "", text)
    return folded.replace("(", "（").replace(")", "）").replace(":", "：")


# Indicator table columns → role. Roles: level1 level2 name description target op value unit basis
# direction block ignore, and for one flat table of all projects: project code budget goal.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标", "一级指标名称"),
    "level2": ("二级指标", "二级指标名称"),
    "name": ("三级指标", "三级指标名称", "指标名称", "绩效指标名称", "具体指标", "三级指标（具体指标）"),
    # 指标内容 names the indicator when the table has no 三级指标 column, else describes it.
    "content": ("指标内容", "绩效指标内容"),
    "description": ("绩效指标描述", "指标解释", "指标说明", "指标描述", "指标定义"),
    "target": (
        "指标值", "年度指标值", "目标值", "年度目标值", "绩效指标值", "指标目标值", "预期指标值", "预期目标值",
        "绩效目标值", "年度指标值（目标值）",
    ),
    "op": ("计算符号", "符号", "运算符号", "比较符号", "指标符号"),
    "unit": ("度量单位", "计量单位", "单位", "指标单位"),
    "basis": (
        "指标值确定依据", "指标值设定依据", "确定依据", "设定依据", "指标值说明", "绩效标准", "评分标准",
        "评（计）分标准", "评计分标准", "计分标准", "评分细则", "评分规则", "指标值确定依据及说明",
    ),
    "direction": ("指标方向", "指标性质", "方向", "指标属性", "指标类型"),
    "ignore": ("权重", "分值", "权重（%）", "备注", "序号", "指标分值", "说明", "标准分值", "长期指标值", "中期指标值"),
    # A flat table of every project of a unit (one row per indicator, the project merged down).
    "project": ("项目名称", "预算项目名称", "项目"),
    "code": ("项目编码", "项目代码", "项目编号"),
    "budget": ("资金总额", "项目资金", "预算金额", "预算数", "年度资金总额", "项目金额", "资金规模"),
    "goal": ("年度绩效目标", "年度目标", "绩效目标", "项目绩效目标", "年度总体目标"),
}

# Labels of the project part (label → value cells beside or below it) → role.
LABEL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": ("项目编码", "项目代码", "项目编号", "项目编码及名称"),
    "name": ("项目名称", "预算项目名称"),
    "unit_name": (
        "实施单位", "项目实施单位", "项目单位", "预算单位", "单位名称", "部门名称", "部门（单位）名称", "填报单位",
        "填报单位（盖章）", "预算单位名称", "项目执行单位",
    ),
    "department": ("主管部门", "主管部门及代码", "主管部门名称", "主管单位"),
    "budget": (
        "预算数", "资金总额", "年度资金总额", "当年资金总额", "项目资金总额", "预算金额", "项目总金额", "总额",
        "年度预算数", "预算资金", "年度预算", "项目预算", "项目资金", "资金总额及构成", "年度资金总额（万元）",
        "项目总预算", "本年预算",
    ),
    "fiscal": (
        "财政资金", "财政拨款", "当年财政拨款", "本级财政资金", "本级财政", "财政拨款资金", "一般公共预算拨款",
        "一般公共预算", "市财政资金", "县财政资金", "区财政资金", "省财政资金", "财政预算资金", "其中：财政拨款",
        "其中：财政资金", "年度财政拨款", "财政资金（万元）",
    ),
    "other": (
        "其他资金", "上年结转", "上年结转资金", "自有资金", "事业收入", "经营收入", "经营性收入", "上年结余收入",
        "单位资金", "其他来源资金", "其他", "政府性基金预算拨款", "纳入财政专户管理的收入", "未纳入财政专户管理的收入",
    ),
    # A row's group label: followed by labels it only groups them; followed by text it is that text.
    "money_group": (
        "预算规模及资金用途", "资金情况", "项目资金申请", "资金来源", "预算情况", "项目资金情况", "资金构成",
    ),
    "purpose": ("资金用途", "项目概况", "项目内容", "项目主要内容", "项目简介", "项目基本情况", "主要内容", "项目资金用途"),
    "plan": ("资金支出计划", "支出计划", "资金使用计划", "资金支出进度计划", "预算支出计划"),
    "goal": (
        "绩效目标", "年度绩效目标", "年度目标", "项目绩效目标", "本年度目标", "整体绩效目标", "年度总体目标",
        "项目年度绩效目标", "年度绩效目标描述", "绩效目标描述", "项目绩效目标描述",
    ),
    # Targets for more than the year: their cells are not the year's goal.
    "long_goal": ("长期目标", "中期目标", "总目标", "长期绩效目标", "中期绩效目标", "实施期目标"),
    "unit": ("单位", "金额单位", "资金单位"),
    "year": ("年度", "预算年度"),
}

# Labels of the form that carry nothing perfsheet keeps; read and passed over quietly.
IGNORED_LABELS: tuple[str, ...] = (
    "项目属性", "项目负责人", "联系电话", "项目负责人及电话", "项目起止时间", "项目类型", "主管部门编码", "单位职能概述",
    "立项依据", "项目立项情况", "项目立项的依据", "项目申报的可行性", "项目申报的必要性", "项目实施进度计划",
    "实施期", "项目期限", "填报人", "填报日期", "单位负责人", "审核意见", "主管部门审核意见", "财政部门审核意见",
    "项目负责人及联系电话", "项目实施内容", "开始时间", "完成时间", "其他说明的问题", "项目绩效目标衡量指标",
    "联系人", "项目分类", "项目级次", "资金性质", "功能科目", "经济科目", "项目起止年限", "备注",
    "审核人", "日期", "财务负责人", "单位（盖章）", "部门联系人", "科室", "项目承担单位", "新增项目", "延续项目",
)

# Category words of the indicator tables: where a table has lost its grid (one cell per paragraph), a row
# starts at one of them.
LEVEL1_WORDS: tuple[str, ...] = ("产出指标", "效益指标", "满意度指标", "成本指标", "投入指标", "过程指标", "效果指标")
LEVEL2_WORDS: tuple[str, ...] = (
    "数量指标", "质量指标", "时效指标", "成本指标", "经济效益指标", "社会效益指标", "生态效益指标", "环境效益指标",
    "可持续影响指标", "服务对象满意度指标", "社会公众或服务对象满意度指标", "经济成本指标", "社会成本指标",
    "生态环境成本指标", "满意度指标",
)

# Labels that end with a unit in brackets: "资金总额（万元）", "项目资金（元）".
_UNIT_SUFFIX_RE = re.compile(r"（(万元|元|千元|亿元)）$")
_OF_WHICH_RE = re.compile(r"^(?:其中|含)[：:]?")
_NUMBERING_RE = re.compile(r"^(?:[（(]?[一二三四五六七八九十\d]+[）)、.．]|[①②③④⑤⑥⑦⑧⑨⑩])")

_COLUMN_INDEX = {key(word): role for role, words in COLUMN_SYNONYMS.items() for word in words}
_LABEL_INDEX = {key(word): role for role, words in LABEL_SYNONYMS.items() for word in words}
_IGNORED = {key(word) for word in IGNORED_LABELS}


def column_role(text: str) -> str | None:
    """The role of an indicator-table header cell, or None when it is no known header."""
    k = _UNIT_SUFFIX_RE.sub("", key(text))
    if k in _COLUMN_INDEX:
        return _COLUMN_INDEX[k]
    # "年度指标值（2025年）", "指标值（年度）"; a 中期/长期 column is the plan beyond the year.
    if re.search(r"(中期|长期|实施期)", k) and "值" in k:
        return "ignore"
    bare = re.sub(r"（[^）]*）", "", k)
    return _COLUMN_INDEX.get(bare)


def label_unit(text: str) -> str | None:
    """The money unit a label states: "资金总额（元）" → "元"."""
    match = _UNIT_SUFFIX_RE.search(key(text))
    return match.group(1) if match else None


def label_role(text: str) -> tuple[str | None, str | None]:
    """(role, inline value) of a label cell. "填报单位：某某局" is the label and its value in one cell;
    "其中：财政资金" is 财政资金; "资金总额（万元）" is 资金总额. (None, None) when it is no label;
    ("ignore", …) for a known label perfsheet does not keep."""
    k = key(text)
    if not k:
        return None, None
    bare = _OF_WHICH_RE.sub("", _NUMBERING_RE.sub("", k)) or k
    for candidate in (k, bare, _UNIT_SUFFIX_RE.sub("", bare), re.sub(r"（[^）]*）$", "", bare)):
        if candidate in _LABEL_INDEX:
            return _LABEL_INDEX[candidate], None
        if candidate in _IGNORED:
            return "ignore", None
    # "label：value" in one cell (the label before the first colon must be a known label).
    if "：" in k:
        head, _, _ = k.partition("：")
        head = _OF_WHICH_RE.sub("", head) or head
        head_role = _LABEL_INDEX.get(head) or _LABEL_INDEX.get(_UNIT_SUFFIX_RE.sub("", head))
        if head_role is None and head in _IGNORED:
            head_role = "ignore"
        if head_role is not None:
            value = re.split(r"[：:]", text.strip(), maxsplit=1)[-1].strip()
            return head_role, value or None  # "资金总额：" is the label alone
    return None, None
