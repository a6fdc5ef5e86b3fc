"""The input fields of a monitoring return, declared once.

The template builder turns each :class:`FieldSpec` into a data validation and an input message; ingest
turns the same spec into its checks. Because both read this module, what Excel refuses and what ingest
reports can never disagree. Field names are the DESIGN.md §4 contract (``spend.to_date``,
``ind.3.actual`` …).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from perfsheet.labels import actual_label, spend_label
from perfsheet.model import (
    DEVIATION_CHOICES,
    LIKELIHOOD_CHOICES,
    QUALITATIVE_CHOICES,
    YEAR_END_LAST_FILL,
    Indicator,
    Period,
    Project,
    Target,
)
from perfsheet.rules import MonitoringRules

__all__ = [
    "COUNT_UNITS",
    "CROSS_RULES",
    "DATE_WINDOW_DAYS",
    "FISCAL_RULES",
    "OTHER_SUFFIX",
    "CrossRule",
    "FieldSpec",
    "FiscalRule",
    "Kind",
    "contact_fields",
    "cross_rules_for",
    "indicator_fields",
    "indicator_value_kind",
    "money_fields",
    "prefilled_values",
    "project_fields",
    "year_end_indicator_fields",
    "year_end_money_fields",
]


class Kind(StrEnum):
    """What kind of value a cell holds; decides the validation and the normalisation."""

    MONEY = "money"  # decimal ≥ 0, 万元
    PERCENT = "percent"  # 0–100 %, stored as a fraction in a percent-formatted cell
    COUNT = "count"  # whole number ≥ 0 (件 次 家 …)
    DECIMAL = "decimal"  # decimal ≥ 0 (元 万元 天 …)
    QUALITATIVE = "qualitative"  # 达成 / 部分达成 / 未达成
    CHOICE = "choice"  # a fixed list (完成目标可能性, 偏差原因)
    TEXT = "text"  # free text with a length limit
    DATE = "date"  # 填报日期
    PHONE = "phone"  # 联系电话, text of 7–20 characters


COUNT_UNITS: frozenset[str] = frozenset({"件", "次", "家", "场", "册", "人", "人次", "个"})
PERCENT_UNITS: frozenset[str] = frozenset({"%"})
DATE_WINDOW_DAYS = 60  # 填报日期 may be up to this many days after the end of the period
PHONE_MIN, PHONE_MAX = 7, 20
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One input cell of the return."""

    name: str  # field-map key, e.g. "spend.to_date"
    label: str  # Chinese column/row label shown to the chief
    kind: Kind
    unit: str = ""  # 万元, %, 件 …; "" for text
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    min_length: int | None = None
    indicator: int | None = None  # n of the indicator for ind.<n>.* fields

    def label_for(self, period: Period | None) -> str:
        """The label as the form of ``period`` prints it (``1-6月执行数``, ``截至6月完成值``); without a
        period the words that fit any month (``累计执行数``, ``截至本月完成值``)."""
        if period is None:
            return self.label.replace("1-X月执行数", "累计执行数")
        # The month's words come from the one label table (labels.spend_label / actual_label).
        return self.label.replace("1-X月执行数", spend_label(period)).replace("截至本月完成值", actual_label(period))

    @property
    def is_numeric(self) -> bool:
        return self.kind in (Kind.MONEY, Kind.PERCENT, Kind.COUNT, Kind.DECIMAL)

    @property
    def unit_hint(self) -> str:
        """Chinese hint of what to type, used in input messages and issue messages."""
        match self.kind:
            case Kind.MONEY:
                return "请填写数字，单位为万元（不要带单位）"
            case Kind.PERCENT:
                return "请填写0到100之间的百分数，例如 95 或 95%"
            case Kind.COUNT:
                return f"请填写不小于0的整数，单位为{self.unit}"
            case Kind.DECIMAL:
                return f"请填写不小于0的数字，单位为{self.unit}" if self.unit else "请填写不小于0的数字"
            case Kind.QUALITATIVE | Kind.CHOICE:
                return "请从下拉列表中选择：" + "、".join(self.choices)
            case Kind.DATE:
                return "请按“年-月-日”格式填写日期"
            case Kind.PHONE:
                return f"请填写{PHONE_MIN}到{PHONE_MAX}位的电话号码"
            case _:
                return f"请填写文字，不超过{self.max_length}字" if self.max_length else "请填写文字"


def indicator_value_kind(target: Target) -> Kind:
    """The kind of value an indicator's 完成值 cells take, from its target."""
    if target.is_qualitative:
        return Kind.QUALITATIVE
    if target.unit in PERCENT_UNITS:
        return Kind.PERCENT
    if target.unit in COUNT_UNITS:
        return Kind.COUNT
    return Kind.DECIMAL


@dataclass(frozen=True, slots=True)
class CrossRule:
    """A rule between two fields: ``field`` must be ``relation`` ``other`` (both 万元).

    The template turns it into the bound of ``field``'s data validation (a reference to ``other``'s
    cell) and ingest into the issue ``code`` when a return breaks it; ``keyword`` names ``other``'s
    value in the code's message template.
    """

    field: str
    relation: Literal["<=", ">="]
    other: str
    code: str
    keyword: str

    def holds(self, value: Decimal, other: Decimal) -> bool:
        return value <= other if self.relation == "<=" else value >= other

    def phrase(self, other_label: str) -> str:
        """The rule in words for an input message: ``不超过调整后预算数``."""
        return ("不超过" if self.relation == "<=" else "不小于") + other_label


# In the order ingest checks them; a field that breaks one rule is not checked against the next.
# The 其他资金 row obeys the rules of the total row, and each of its parts stays within the total.
CROSS_RULES: tuple[CrossRule, ...] = (
    CrossRule("spend.to_date", "<=", "budget.adjusted", "spend-exceeds-budget", "budget"),
    CrossRule("spend.projected", ">=", "spend.to_date", "projection-below-spend", "spend"),
    CrossRule("spend.projected", "<=", "budget.adjusted", "projection-exceeds-budget", "budget"),
    CrossRule("budget.adjusted.other", "<=", "budget.adjusted", "other-exceeds-total", "total"),
    CrossRule("spend.to_date.other", "<=", "spend.to_date", "other-exceeds-total", "total"),
    CrossRule("spend.to_date.other", "<=", "budget.adjusted.other", "spend-exceeds-budget", "budget"),
    CrossRule("spend.projected.other", "<=", "spend.projected", "other-exceeds-total", "total"),
    CrossRule("spend.projected.other", ">=", "spend.to_date.other", "projection-below-spend", "spend"),
    CrossRule("spend.projected.other", "<=", "budget.adjusted.other", "projection-exceeds-budget", "budget"),
)


@dataclass(frozen=True, slots=True)
class FiscalRule:
    """A rule on the 财政资金 row, which nobody types: each of its figures is a total less its 其他资金
    part. ``field`` − ``field``.other must be ``relation`` ``other`` − ``other``.other; a return that
    breaks it has typed two rows that do not fit together, reported at ``field``'s (total) cell."""

    field: str
    relation: Literal["<=", ">="]
    other: str

    def holds(self, value: Decimal, other: Decimal) -> bool:
        return value <= other if self.relation == "<=" else value >= other


FISCAL_RULES: tuple[FiscalRule, ...] = (
    FiscalRule("spend.to_date", "<=", "budget.adjusted"),
    FiscalRule("spend.projected", ">=", "spend.to_date"),
    FiscalRule("spend.projected", "<=", "budget.adjusted"),
)


def cross_rules_for(name: str) -> tuple[CrossRule, ...]:
    """The cross-field rules that bound field ``name``."""
    return tuple(rule for rule in CROSS_RULES if rule.field == name)


# The 其他资金 fields are the total's fields with this suffix.
OTHER_SUFFIX = ".other"


def money_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("budget.adjusted", "调整后预算数", Kind.MONEY, "万元"),
        FieldSpec("spend.to_date", "1-X月执行数", Kind.MONEY, "万元"),
        FieldSpec("spend.projected", "全年预计执行数", Kind.MONEY, "万元"),
        # Pre-filled from the registry's 其他资金 (0 for most projects); 财政资金 = total − these.
        FieldSpec("budget.adjusted.other", "其他资金调整后预算数", Kind.MONEY, "万元"),
        FieldSpec("spend.to_date.other", "其他资金1-X月执行数", Kind.MONEY, "万元"),
        FieldSpec("spend.projected.other", "其他资金全年预计执行数", Kind.MONEY, "万元"),
        FieldSpec("goal.progress", "目标完成情况", Kind.TEXT, required=False, max_length=500),
        # Required when the budget light or zero spending asks for it (rules.budget_explanation_asked);
        # the template just bounds the length.
        FieldSpec("budget.explanation", "预算执行偏差原因及改进措施", Kind.TEXT, required=False, max_length=500),
    )


def year_end_money_fields() -> tuple[FieldSpec, ...]:
    """The money rows of the year-end form (自评表's 项目资金): 全年预算数 and 全年执行数 of the total and of
    其他资金; nothing is projected any more. The keys are the monthly ones, so a year-end return is a
    Submission like December's."""
    return (
        FieldSpec("budget.adjusted", "全年预算数", Kind.MONEY, "万元"),
        FieldSpec("spend.to_date", "全年执行数", Kind.MONEY, "万元"),
        FieldSpec("budget.adjusted.other", "其他资金全年预算数", Kind.MONEY, "万元"),
        FieldSpec("spend.to_date.other", "其他资金全年执行数", Kind.MONEY, "万元"),
        FieldSpec("goal.progress", "年度总体目标实际完成情况", Kind.TEXT, max_length=500),
        FieldSpec("budget.explanation", "预算执行偏差原因及改进措施", Kind.TEXT, required=False, max_length=500),
    )


def prefilled_values(project: Project) -> dict[str, Decimal]:
    """The values a template starts with (DESIGN.md §3: 调整后预算数 defaults to 年初预算数; the 其他资金
    row to the registry's 其他资金, and its spending to 0 when the project has none). Ingest treats a
    cell still holding its start value as untouched."""
    values = {"budget.adjusted": project.budget, "budget.adjusted.other": project.other}
    if project.other == 0:
        values |= {"spend.to_date.other": ZERO, "spend.projected.other": ZERO}
    return values


def contact_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("contact.name", "填报人", Kind.TEXT, max_length=20),
        FieldSpec("contact.phone", "联系电话", Kind.PHONE, min_length=PHONE_MIN, max_length=PHONE_MAX),
        FieldSpec("contact.date", "填报日期", Kind.DATE),
        FieldSpec("contact.head", "科室负责人", Kind.TEXT, required=False, max_length=20),
    )


def indicator_fields(indicator: Indicator, deviation_choices: tuple[str, ...] = DEVIATION_CHOICES) -> tuple[FieldSpec, ...]:
    n = indicator.n
    kind = indicator_value_kind(indicator.target)
    choices = QUALITATIVE_CHOICES if kind is Kind.QUALITATIVE else ()
    unit = indicator.target.unit
    return (
        FieldSpec(f"ind.{n}.actual", "截至本月完成值", kind, unit, choices=choices, indicator=n),
        FieldSpec(f"ind.{n}.projection", "全年预计完成值", kind, unit, choices=choices, indicator=n),
        FieldSpec(f"ind.{n}.likelihood", "完成目标可能性", Kind.CHOICE, choices=LIKELIHOOD_CHOICES, indicator=n),
        FieldSpec(f"ind.{n}.deviation", "偏差原因", Kind.CHOICE, choices=deviation_choices, indicator=n),
        # Required only when the likelihood is not 确定能 or a deviation is chosen (DESIGN.md §3; the budget
        # has its own cell); ingest applies that rule, the template just bounds the length.
        FieldSpec(f"ind.{n}.explanation", "原因说明及改进措施", Kind.TEXT, required=False, max_length=300, indicator=n),
    )


def year_end_indicator_fields(indicator: Indicator) -> tuple[FieldSpec, ...]:
    """An indicator's inputs on the year-end form: the 实际完成值 and the 偏差原因分析及改进措施 the
    自评表 prints (required when the score falls short or the actual far exceeds the target; the
    self-evaluation reports a missing one)."""
    n = indicator.n
    kind = indicator_value_kind(indicator.target)
    choices = QUALITATIVE_CHOICES if kind is Kind.QUALITATIVE else ()
    return (
        FieldSpec(f"ind.{n}.actual", "实际完成值", kind, indicator.target.unit, choices=choices, indicator=n),
        FieldSpec(f"ind.{n}.explanation", "偏差原因分析及改进措施", Kind.TEXT, required=False, max_length=300,
                  indicator=n),
    )


def project_fields(
    project: Project, period: Period | None = None, rules: MonitoringRules | None = None
) -> tuple[FieldSpec, ...]:
    """Every input field of a project's return for ``period``, in the field map's order.

    ``rules`` (perfsheet.yaml's ``monitoring:``) decide whether the month asks indicator progress at
    all and which 偏差原因 a chief picks from; without them, every month asks everything."""
    rules = rules or MonitoringRules()
    if period is not None and period.year_end:
        year_end: list[FieldSpec] = [spec for spec in year_end_money_fields()
                                     if not project.overall or spec.name == "goal.progress"]
        for indicator in project.indicators:
            year_end.extend(year_end_indicator_fields(indicator))
        return (*year_end, *contact_fields())
    # The 部门整体 form asks no money (consolidation sums the projects'), only the targets' progress.
    money = [spec for spec in money_fields() if spec.name == "goal.progress"] if project.overall else money_fields()
    specs: list[FieldSpec] = list(money)
    if period is None or rules.asks_indicators(period):
        for indicator in project.indicators:
            specs.extend(indicator_fields(indicator, rules.deviation_choices))
    specs.extend(contact_fields())
    return tuple(specs)


def date_window(period: Period) -> tuple[dt.date, dt.date]:
    """The range a 填报日期 must fall in: the first day of the period to 60 days after its end (a
    year-end return: to the end of June of the following year, when self-evaluations are done)."""
    if period.year_end:
        return period.first_day, dt.date(period.year + 1, *YEAR_END_LAST_FILL)
    return period.first_day, period.last_day + dt.timedelta(days=DATE_WINDOW_DAYS)

