"""Domain rules of the monitoring (DESIGN.md §3), each decided here and nowhere else.

Lights (budget and indicator), attainment (完成率), when an explanation is required, and which of
several returns for one project and period counts. Pure functions on model values: no SQLite, no
YAML, no pandas, so ingest, the ledger, consolidation and the reports can all call them and can
never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from perfsheet.errors import UsageError
from perfsheet.model import (
    DEVIATION_CHOICES,
    Department,
    Indicator,
    IndicatorReturn,
    IndicatorValue,
    Op,
    Period,
    Project,
    Submission,
)

__all__ = [
    "BUDGET_WEIGHT_KEY",
    "DEVIATION_NO_EXPLANATION",
    "EXCESS_PERCENT",
    "GREEN",
    "QUALITATIVE_BANDS",
    "RED",
    "YELLOW",
    "Chosen",
    "MoneySplit",
    "MonitoringRules",
    "SelfEvalRules",
    "Thresholds",
    "attainment",
    "budget_explanation_asked",
    "choose_return",
    "far_above_target",
    "indicator_explanation_reasons",
    "indicator_light",
    "indicator_off_target",
    "money_split",
    "require_goals_year",
    "year_end_shortfall",
]

RED, YELLOW, GREEN = "red", "yellow", "green"
HUNDRED = Decimal(100)
ZERO = Decimal(0)

# A likelihood or deviation other than these asks the chief for 原因说明及改进措施.
LIKELIHOOD_NO_EXPLANATION = "确定能"
DEVIATION_NO_EXPLANATION = "无偏差"


def _threshold(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"threshold must be a number, got {value!r}")
    return Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Budget light thresholds: ratio = 执行率 / 序时进度 × 100; below red → 红灯, below yellow → 黄灯."""

    budget_red: Decimal = Decimal(60)
    budget_yellow: Decimal = Decimal(80)

    def __post_init__(self) -> None:
        # Accept ints/floats/strings from YAML or Python but keep exact Decimals for the comparisons.
        object.__setattr__(self, "budget_red", _threshold(self.budget_red))
        object.__setattr__(self, "budget_yellow", _threshold(self.budget_yellow))
        if not 0 <= self.budget_red <= self.budget_yellow:
            raise ValueError(f"预警阈值应满足 0 ≤ 红灯({self.budget_red}) ≤ 黄灯({self.budget_yellow})")

    @staticmethod
    def budget_ratio(spend: Decimal, adjusted: Decimal, month: int) -> Decimal:
        """执行率 / 序时进度 × 100 (adjusted > 0): the figure the budget light compares with the thresholds."""
        return spend * 1200 / (adjusted * month)

    def budget_light(self, spend: Decimal, adjusted: Decimal, month: int) -> str:
        """"red" | "yellow" | "green" for 1-X月执行数 ``spend`` of ``adjusted`` (both 万元, adjusted > 0)."""
        # ratio = (spend/adjusted×100) / (month/12×100) × 100 = spend×1200 / (adjusted×month); compare
        # the cross products so the thresholds' edges are exact (no rounding of 100/12).
        lhs = spend * 1200
        if lhs < self.budget_red * adjusted * month:
            return RED
        if lhs < self.budget_yellow * adjusted * month:
            return YELLOW
        return GREEN

    def ingest_fingerprint(self, rules: MonitoringRules | None = None) -> str:
        """What of the thresholds ingest depends on, for the ledger's ingest key: the edges of the lights
        that ask for the budget explanation (``rules.budget_explanation_lights``, default red and yellow).
        The red edge always counts (it bounds the yellow light too); the yellow edge only where a yellow
        light asks for the explanation, otherwise it matters to consolidation alone."""
        lights = (rules or MonitoringRules()).budget_explanation_lights
        edges = f"budget_red={self.budget_red.normalize()}"
        return edges + (f";budget_yellow={self.budget_yellow.normalize()}" if YELLOW in lights else "")


ALL_MONTHS: frozenset[int] = frozenset(range(1, 13))


@dataclass(frozen=True, slots=True)
class MonitoringRules:
    """What the monthly form asks and when the chief must explain, as a finance bureau sets it
    (``monitoring:`` in perfsheet.yaml; the defaults are today's practice of this department).

    ``indicator_months``: months whose return reports indicator progress (many provinces ask it at
    fixed points — 1–6月, 1–7月 or 1–8月 — and money every month); in the other months the form asks
    money and the budget explanation only. ``deviation_choices``: the 偏差原因 categories (the MOF
    build has four: 经费保障、制度保障、人员保障、硬件条件保障, plus 无偏差/其他 here).
    ``budget_explanation_lights``: budget lights that require 预算执行偏差原因及改进措施.
    ``indicator_off_percent``: an actual to date more than this many percent off its pro-rata target
    asks for an explanation (a warning; 吉林 uses 30). ``zero_spend_after_month``: nothing spent after
    this month requires the budget explanation.
    """

    indicator_months: frozenset[int] = ALL_MONTHS
    deviation_choices: tuple[str, ...] = DEVIATION_CHOICES
    budget_explanation_lights: frozenset[str] = frozenset({RED, YELLOW})
    indicator_off_percent: Decimal = Decimal(30)
    zero_spend_after_month: int = 3

    def asks_indicators(self, period: Period) -> bool:
        """Whether the form of ``period`` asks indicator progress (else money only)."""
        return period.month in self.indicator_months

    def month_kind(self, period: Period) -> str:
        """What kind of month it is, in the words every output uses."""
        return "预算执行和绩效目标双监控月份" if self.asks_indicators(period) else "仅监控预算执行的月份（本月不填报指标完成情况）"

    def ingest_fingerprint(self) -> str:
        """What of these rules ingest depends on, for the ledger's ingest key."""
        months = ",".join(str(m) for m in sorted(self.indicator_months))
        lights = ",".join(sorted(self.budget_explanation_lights))
        return (f"months={months};deviation={'|'.join(self.deviation_choices)};lights={lights};"
                f"off={self.indicator_off_percent.normalize()};zero={self.zero_spend_after_month}")


def budget_explanation_asked(
    spend: Decimal | None, adjusted: Decimal | None, period: Period, thresholds: Thresholds, rules: MonitoringRules
) -> tuple[str | None, bool]:
    """Why the budget asks 预算执行偏差原因及改进措施: (the budget light, when it is one of
    ``rules.budget_explanation_lights``; whether nothing has been spent after
    ``rules.zero_spend_after_month``). ``(None, False)``: no explanation is asked."""
    if spend is None or adjusted is None or adjusted <= 0:
        return None, False
    light = thresholds.budget_light(spend, adjusted, period.month)
    asked_light = light if light in rules.budget_explanation_lights else None
    return asked_light, spend == 0 and period.month > rules.zero_spend_after_month


# The default of selfeval.excess_percent; the year-end form's own checks and texts use it as well.
EXCESS_PERCENT = Decimal(130)


def far_above_target(indicator: Indicator, actual: IndicatorValue, excess_percent: Decimal) -> bool:
    """Whether a positive indicator's actual reached ``excess_percent`` of its target (the year-end
    rule: an actual ≥ 130 % of its target needs an explanation as much as a shortfall does)."""
    target = indicator.target
    return (isinstance(actual, Decimal) and target.value is not None and target.value > 0
            and target.op not in (Op.LE, Op.LT, Op.QUALITATIVE) and actual * HUNDRED >= target.value * excess_percent)


def year_end_shortfall(indicator: Indicator, actual: IndicatorValue) -> str | None:
    """Why a year-end 实际完成值 falls short of its target, in Chinese (None when it meets it or is
    not given): the cases whose score is below full, so the 自评表 needs 偏差原因分析及改进措施."""
    target = indicator.target
    if isinstance(actual, str):
        return f"实际完成情况为“{actual}”" if target.is_qualitative and actual in ("部分达成", "未达成") else None
    if isinstance(actual, Decimal) and target.value is not None:
        # Scored as the self-evaluation scores: "= t" with t > 0 is met by reaching t.
        met = actual >= target.value if target.op is Op.EQ and target.value > 0 else target.is_met_by(actual)
        return None if met else f"实际完成值未达到指标值{target.raw}"
    return None


def indicator_off_target(
    indicator: Indicator, actual: IndicatorValue, period: Period, rules: MonitoringRules
) -> tuple[Decimal, Decimal] | None:
    """(expected to date, percent off) when a numeric indicator's 截至本月完成值 is more than
    ``rules.indicator_off_percent`` behind what its target asks by now; None otherwise.

    Quantities accumulate over the year, so they are compared with the target pro rata (t × month/12);
    percentages (rates such as 满意率) are compared with the target itself. For ≤ / < targets only an
    overrun counts, for ≥ / > / = targets only a shortfall.
    """
    target = indicator.target
    if target.is_qualitative or target.value is None or not isinstance(actual, Decimal) or target.value == 0:
        return None
    pro_rata = target.unit != "%"
    expected = target.value * period.month / 12 if pro_rata and target.op not in (Op.LE, Op.LT) else target.value
    if expected == 0:
        return None
    off = (actual - expected) / expected * HUNDRED
    behind = off > 0 if target.op in (Op.LE, Op.LT) else off < 0
    if behind and abs(off) > rules.indicator_off_percent:
        return expected, abs(off)
    return None


def require_goals_year(department: Department, period: Period) -> None:
    """A period outside the goals' year is refused: its forms, checks and reports would use goals that
    are not that year's (a 2024 form titled with 2025 projects)."""
    if period.year != department.year:
        raise UsageError(
            f"期间 {period} 不在目标年度 {department.year} 年内；请使用 {department.year} 年的期间（例如 "
            f"{department.year}-06），或为 {period.year} 年另建工作区（perfsheet init --goals {period.year}年目标.yaml）"
        )


def indicator_light(indicator: Indicator, ret: IndicatorReturn) -> str | None:
    """Judged on the 全年预计完成值: 完全不可能 → red; 定性 达成/部分达成/未达成 → green/yellow/red;
    a numeric projection that meets the target by its operator → green, else yellow; none → no light."""
    if ret.likelihood == "完全不可能":
        return RED
    target, projection = indicator.target, ret.projection
    if target.is_qualitative:
        if isinstance(projection, str):
            return {"达成": GREEN, "部分达成": YELLOW, "未达成": RED}.get(projection)
        return None
    if isinstance(projection, Decimal) and target.value is not None:
        return GREEN if target.is_met_by(projection) else YELLOW
    return None


def attainment(indicator: Indicator, actual: IndicatorValue) -> Decimal | None:
    """完成率 in percent of a numeric 截至本月完成值 (None for 定性 or when it cannot be computed).

    Positive and ``=`` targets: actual / target × 100, uncapped. Negative targets (≤ <) follow the 自评
    rule: 100 when met, (2 − actual/target) × 100 between the target and twice it, else 0.
    """
    target = indicator.target
    if target.is_qualitative or target.value is None or not isinstance(actual, Decimal):
        return None
    t = target.value
    if target.op in (Op.LE, Op.LT):
        if target.is_met_by(actual):
            return HUNDRED
        if t <= 0 or actual >= 2 * t:
            return ZERO
        return (2 - actual / t) * HUNDRED
    if t == 0:
        return None
    return actual / t * HUNDRED


def indicator_explanation_reasons(likelihood: object, deviation: object) -> list[str]:
    """Why an indicator needs 原因说明及改进措施 (empty: it does not)."""
    reasons: list[str] = []
    if likelihood not in (None, LIKELIHOOD_NO_EXPLANATION):
        reasons.append(f"完成可能性为“{likelihood}”")
    if deviation not in (None, DEVIATION_NO_EXPLANATION):
        reasons.append(f"偏差原因为“{deviation}”")
    return reasons


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Chosen(Generic[T]):
    """The outcome of :func:`choose_return` for one project and period."""

    counting: T | None  # the return whose figures count (None: no valid return)
    shown: T | None  # the return that stands for the project (the counting one, else the newest)


def choose_return(returns: Sequence[T], is_valid: Callable[[T], bool]) -> Chosen[T]:
    """Which of one project's returns for one period counts, and which one stands for it.

    ``returns`` are in order of receipt (oldest first). The newest valid return counts; when none is
    valid, nothing counts and the newest return stands for the project (shown as 有错误).
    """
    for candidate in reversed(returns):
        if is_valid(candidate):
            return Chosen(candidate, candidate)
    return Chosen(None, returns[-1] if returns else None)


# ------------------------------------------------------------------------- year-end self-evaluation

BUDGET_WEIGHT_KEY = "预算执行率"  # the weight of the budget's execution beside the 一级指标 names
_ONE = Decimal(1)

# The bands a 定性 share must stay in (issue 15): 达成 80–100 %, 部分达成 60–80 %, 未达成 0–60 %.
QUALITATIVE_BANDS: Mapping[str, tuple[Decimal, Decimal]] = {
    "达成": (Decimal("0.8"), _ONE), "部分达成": (Decimal("0.6"), Decimal("0.8")), "未达成": (Decimal(0), Decimal("0.6")),
}


@dataclass(frozen=True, slots=True)
class SelfEvalRules:
    """perfsheet.yaml's ``selfeval:``; the defaults are the 10号-style weights of most provinces."""

    weights: Mapping[str, Decimal] = field(default_factory=lambda: {
        BUDGET_WEIGHT_KEY: Decimal(10), "产出指标": Decimal(50), "效益指标": Decimal(30), "满意度指标": Decimal(10)})
    qualitative: Mapping[str, Decimal] = field(default_factory=lambda: {
        "达成": _ONE, "部分达成": Decimal("0.7"), "未达成": Decimal("0.3")})
    grades: tuple[tuple[Decimal, str], ...] = (
        (Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (Decimal(0), "差"))
    excess_percent: Decimal = EXCESS_PERCENT  # an actual this far above its target needs an explanation

    def __post_init__(self) -> None:
        for word, share in self.qualitative.items():
            low, high = QUALITATIVE_BANDS.get(word, (Decimal(0), _ONE))
            if not low <= share <= high:
                raise ValueError(f"定性“{word}”的得分比例应在{low * 100:.0f}%–{high * 100:.0f}%之间，收到{share * 100}%")

    def grade(self, total: Decimal) -> str:
        return next((name for floor, name in self.grades if total >= floor), self.grades[-1][1])


# ---------------------------------------------------------------------------------------- money


@dataclass(frozen=True, slots=True)
class MoneySplit:
    """A counting return's money as every output reads it: its 调整后预算数 and the 其他资金 part of the
    budget, the spending and the projection (财政资金 is each total less its 其他资金 part)."""

    adjusted: Decimal
    adjusted_other: Decimal
    spend_other: Decimal | None
    projected_other: Decimal | None


def money_split(sub: Submission, project: Project) -> MoneySplit:
    """The one reading of a return's money tree for consolidation and the self-evaluation: a blank
    调整后预算数 or 其他资金 is the registry's; with no 其他资金 to spend, what was spent (or is projected)
    is all 财政资金, so a return built without the split still splits."""
    adjusted = sub.budget_adjusted if sub.budget_adjusted is not None else project.budget
    adjusted_other = sub.budget_adjusted_other if sub.budget_adjusted_other is not None else project.other
    spend_other, projected_other = sub.spend_to_date_other, sub.spend_projected_other
    if adjusted_other == 0:
        spend_other = ZERO if spend_other is None and sub.spend_to_date is not None else spend_other
        projected_other = ZERO if projected_other is None and sub.spend_projected is not None else projected_other
    return MoneySplit(adjusted, adjusted_other, spend_other, projected_other)
