"""Hand-built departments and returns for the consolidation, report and narrative tests.

The tests write every value of every return here, so that they can compute the expected figures
themselves (with ``fractions.Fraction``, independently of perfsheet's Decimal code).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from perfsheet.model import (
    Department,
    Indicator,
    IndicatorReturn,
    Issue,
    Op,
    Period,
    PlanPoint,
    Project,
    Section,
    Severity,
    Submission,
    SubmissionStatus,
    Target,
)

D = Decimal
PLAN_2025 = (PlanPoint(3, D(25)), PlanPoint(6, D(50)), PlanPoint(10, D(75)), PlanPoint(12, D(100)))


def _ind(n: int, level1: str, level2: str, name: str, raw: str, op: Op, value: str | None, unit: str) -> Indicator:
    return Indicator(n, level1, level2, name, f"{name}的描述", Target(raw, op, D(value) if value else None, unit), "依据")


def small_department() -> Department:
    """Three sections, five projects (one unassigned section-less project is not needed)."""
    sections = (
        Section("办公室", "日常运转", "张伟", "zhang@example.cn"),
        Section("基层科", "人民调解", "李娜", "li@example.cn"),
        Section("社区矫正管理科", "社区矫正", "王强", "wang@example.cn"),
    )
    projects = (
        Project("P01", "法律援助经费", D("20.00"), D("20.00"), D(0), "法律援助", "办理法援案件", PLAN_2025, (
            _ind(1, "产出指标", "数量指标", "法律援助案件数", "≥200件", Op.GE, "200", "件"),
            _ind(2, "产出指标", "质量指标", "案件合格率", "≥95%", Op.GE, "95", "%"),
            _ind(3, "效益指标", "社会效益指标", "化解社会矛盾", "化解社会矛盾", Op.QUALITATIVE, None, ""),
            _ind(4, "满意度指标", "服务对象满意度指标", "受援人投诉率", "≤2%", Op.LE, "2", "%"),
        ), "办公室"),
        Project("P02", "人民调解经费", D("30.50"), D("30.50"), D(0), "调解", "调解纠纷", PLAN_2025, (
            _ind(1, "产出指标", "数量指标", "调解案件数", "≥100件", Op.GE, "100", "件"),
            _ind(2, "成本指标", "经济成本指标", "人均补贴", "≤500元", Op.LE, "500", "元"),
        ), "基层科"),
        Project("P03", "普法宣传经费", D("10.00"), D("10.00"), D(0), "普法", "普法宣传", PLAN_2025, (
            _ind(1, "产出指标", "数量指标", "宣传活动场次", "≥30场", Op.GE, "30", "场"),
            _ind(2, "时效指标", "时效指标", "完成时间", "12月", Op.EQ, "12", "月"),
        ), "基层科"),
        Project("P04", "社区矫正经费", D("15.00"), D("15.00"), D(0), "矫正", "矫正管理", PLAN_2025, (
            _ind(1, "效益指标", "社会效益指标", "再犯罪率", "≤0.2%", Op.LE, "0.2", "%"),
        ), "社区矫正管理科"),
        Project("P05", "安置帮教经费", D("5.00"), D("5.00"), D(0), "帮教", "安置帮教", PLAN_2025, (
            _ind(1, "产出指标", "数量指标", "帮教人数", "≥50人", Op.GE, "50", "人"),
        ), "社区矫正管理科"),
    )
    return Department("测试区司法局", 2025, sections, projects, overall_goal="依法治区")


def indicator_return(n: int, actual: object, projection: object, likelihood: str = "确定能",
                     deviation: str = "无偏差", explanation: str | None = None) -> IndicatorReturn:
    def conv(v: object) -> Decimal | str | None:
        if v is None or isinstance(v, str | Decimal):
            return v
        return D(str(v))

    return IndicatorReturn(n, conv(actual), conv(projection), likelihood, deviation, explanation)


def submission(code: str, period: Period, *, adjusted: str | None, spend: str | None, projected: str | None,
               indicators: tuple[IndicatorReturn, ...] = (), status: SubmissionStatus = SubmissionStatus.VALID,
               goal_progress: str | None = None, issues: tuple[Issue, ...] = (), file: str = "") -> Submission:
    return Submission(
        project_code=code, period=period,
        budget_adjusted=D(adjusted) if adjusted is not None else None,
        spend_to_date=D(spend) if spend is not None else None,
        spend_projected=D(projected) if projected is not None else None,
        goal_progress=goal_progress, contact_name="填报人", contact_phone="0315-1234567",
        contact_date=dt.date(period.year, period.month, 28), contact_head="负责人",
        indicators=indicators, file=file or f"{code}-{period}.xlsx", sha256="0" * 64, status=status,
        issues=issues,
    )


JUNE = Period(2025, 6)


def june_returns() -> list[Submission]:
    """June returns of :func:`small_department`: lights at the thresholds' edges, one invalid, one missing.

    序时进度 in June is 50 %, so a ratio of 60 is a rate of 30 % and a ratio of 80 a rate of 40 %.
    P01 rate 29.5 % (ratio 59 → red) · P02 rate 15.25/30.5 = 50 % (green) · P03 rate 30 % (ratio 60 exactly
    → yellow) · P04 invalid (its values must not count) · P05 missing.
    Also: P02's adjusted budget stays empty → defaults to the 年初预算.
    """
    bad = Issue("not-a-number", Severity.ERROR, "请填写数字", "监控表", "F14", "spend.to_date", "十万")
    note = Issue("late-date", Severity.WARNING, "=HYPERLINK(\"x\")填报日期偏晚", "监控表", "H30", "contact.date", "")
    return [
        submission("P01", JUNE, adjusted="20.00", spend="5.90", projected="18.00", goal_progress="部分案件尚未结案",
                   indicators=(
                       indicator_return(1, 80, 190, "有可能", "其他", "案件数量受来访量影响，将加强宣传"),
                       indicator_return(2, 96, 96),
                       indicator_return(3, "部分达成", "达成"),
                       indicator_return(4, 3, 1.5),
                   ), issues=(note,)),
        submission("P02", JUNE, adjusted=None, spend="15.25", projected="30.50", indicators=(
            indicator_return(1, 60, 120),
            indicator_return(2, 600, 700, "完全不可能", "经费保障", "补贴标准上调，已申请调整预算"),
        )),
        submission("P03", JUNE, adjusted="10.00", spend="3.00", projected="10.00", indicators=(
            indicator_return(1, 10, 30),
            indicator_return(2, 12, 12),
        ), goal_progress="活动集中在下半年"),
        submission("P04", JUNE, adjusted="15.00", spend="9.00", projected="15.00", indicators=(
            indicator_return(1, 0.1, 0.1),
        ), status=SubmissionStatus.INVALID, issues=(bad,)),
    ]


# --- the embedded 2025 default (9 projects, 74 indicators, 101.47 万元) -------------------------------

DEFAULT_MISSING_SECTION = "法治政研督查和宣教科（秘书科）"
DEFAULT_SPEND = {  # project name → (spend to date, goal progress) in June; 序时进度 50 %
    "2025年省级社区矫正专项补助资金": ("1.80", None),  # 51.9 % green
    "2025年行政复议专项工作经费": ("2.60", None),  # 52 % green
    "2025年招商引资专项工作经费": ("5.00", None),  # 50 % green
    "2025年政府法律顾问费": ("6.65", "法律顾问合同下半年续签，费用集中在第三季度支付"),  # 35 % → ratio 70 yellow
    "2025年中央政法纪检监察转移支付资金": ("6.00", "设备采购项目招标延后，预计9月完成支付"),  # 16.7 % → red
    "2025年中央政法纪检监察转移支付资金（法律援助）": ("3.50", None),  # 50 % green
    "2025省级公检法司转移支付": ("7.80", None),  # 60 % green
}
DEFAULT_INVALID = "2025省级公检法司转移支付（法律援助）"


def _meeting_value(ind: Indicator) -> Decimal | str:
    target = ind.target
    if target.is_qualitative or target.value is None:
        return "达成"
    if target.op is Op.LT:
        return target.value / 2
    return target.value


def default_returns(department: Department, period: Period = JUNE) -> list[Submission]:
    """Returns for the default registry: one red, one yellow, five green, one invalid, one section silent."""
    subs: list[Submission] = []
    for project in department.projects:
        if project.section == DEFAULT_MISSING_SECTION:
            continue
        indicators = []
        for ind in project.indicators:
            value = _meeting_value(ind)
            indicators.append(IndicatorReturn(ind.n, value, value, "确定能", "无偏差", None))
        if project.name == "2025年中央政法纪检监察转移支付资金":
            indicators[0] = IndicatorReturn(1, D(0), D(1), "有可能", "其他",
                                            "上半年工作会议合并召开，下半年争取再召开一次。")
        if project.name == DEFAULT_INVALID:
            bad = Issue("not-a-number", Severity.ERROR, "1-X月执行数应为数字，请填写万元数", "监控表", "D8",
                        "spend.to_date", "一万五")
            subs.append(submission(project.code, period, adjusted=None, spend=None, projected=None,
                                   status=SubmissionStatus.INVALID, issues=(bad,), file=f"{project.name}.xlsx"))
            continue
        spend, progress = DEFAULT_SPEND[project.name]
        subs.append(submission(project.code, period, adjusted=str(project.budget), spend=spend,
                               projected=str(project.budget), indicators=tuple(indicators),
                               goal_progress=progress, file=f"{project.name}.xlsx"))
    return subs
