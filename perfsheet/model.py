"""Domain model of perfsheet: the year's goals and a month's returns.

Everything here is immutable. Money is ``Decimal`` in 万元 (ten thousand yuan), percentages are
``Decimal`` percent (``Decimal("50")`` means 50 %). Nothing in this module does I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

__all__ = [
    "CHOICE_SPELLINGS",
    "DEFAULT_DEADLINE_DAY",
    "DEVIATION_CHOICES",
    "LIKELIHOOD_CHOICES",
    "OVERALL_CODE",
    "OVERALL_LEVEL1",
    "OVERALL_NAME",
    "QUALITATIVE_CHOICES",
    "YEAR_END_TAG",
    "Department",
    "DepartmentTarget",
    "Direction",
    "Indicator",
    "IndicatorReturn",
    "Issue",
    "Op",
    "Period",
    "PlanPoint",
    "Project",
    "Section",
    "Severity",
    "Submission",
    "SubmissionStatus",
    "Target",
]

# The three lists a chief picks from (DESIGN.md §3). Order is the order shown in the template.
LIKELIHOOD_CHOICES: tuple[str, ...] = ("确定能", "有可能", "完全不可能")  # 完成目标可能性
DEVIATION_CHOICES: tuple[str, ...] = (  # 偏差原因
    "无偏差",
    "经费保障",
    "制度保障",
    "人员保障",
    "硬件条件保障",
    "其他",
)
QUALITATIVE_CHOICES: tuple[str, ...] = ("达成", "部分达成", "未达成")  # 定性指标完成情况
# Other provinces' printed forms name the same choice otherwise (黄石: 不可能): read as the choice itself.
CHOICE_SPELLINGS: dict[str, str] = {"不可能": "完全不可能", "完全可能": "确定能", "可以完成": "确定能"}


class Op(StrEnum):
    """Comparison operator of a target (指标值)."""

    GE = "≥"
    GT = ">"
    EQ = "="
    LT = "<"
    LE = "≤"
    QUALITATIVE = "定性"


class Direction(StrEnum):
    """Which way is better for an indicator."""

    POSITIVE = "positive"  # 正向：越大越好 (≥ >)
    NEGATIVE = "negative"  # 反向：越小越好 (≤ <)
    EQUAL = "equal"  # 等于
    QUALITATIVE = "qualitative"  # 定性


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed 指标值: operator, value and unit, with the source text kept as written."""

    raw: str
    op: Op
    value: Decimal | None = None
    unit: str = ""

    @property
    def direction(self) -> Direction:
        return {
            Op.GE: Direction.POSITIVE,
            Op.GT: Direction.POSITIVE,
            Op.LE: Direction.NEGATIVE,
            Op.LT: Direction.NEGATIVE,
            Op.EQ: Direction.EQUAL,
            Op.QUALITATIVE: Direction.QUALITATIVE,
        }[self.op]

    @property
    def is_qualitative(self) -> bool:
        return self.op is Op.QUALITATIVE

    def is_met_by(self, actual: Decimal) -> bool:
        """Whether a numeric value (in the target's unit) meets the target."""
        if self.value is None:
            raise ValueError(f"qualitative target {self.raw!r} has no numeric comparison")
        v = self.value
        match self.op:
            case Op.GE:
                return actual >= v
            case Op.GT:
                return actual > v
            case Op.LE:
                return actual <= v
            case Op.LT:
                return actual < v
            case _:
                return actual == v


@dataclass(frozen=True, slots=True)
class Indicator:
    """One row of a 项目支出绩效目标表 (一级/二级/三级指标)."""

    n: int  # 1-based position within the project, registry order
    level1: str  # 一级指标
    level2: str  # 二级指标
    name: str  # 三级指标
    description: str  # 绩效指标描述
    target: Target  # 指标值
    basis: str  # 指标值确定依据
    # 分值 in the self-evaluation (score points, two decimals at most); None: the indicator shares its
    # 一级指标's weight evenly with the others that have none.
    weight: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlanPoint:
    """A checkpoint of the 资金支出计划: cumulative percent spent by the end of ``month``."""

    month: int
    percent: Decimal


@dataclass(frozen=True, slots=True)
class Project:
    """A budget project (预算项目) with its money, plan and indicators."""

    code: str  # 项目编码
    name: str  # 项目名称
    budget: Decimal  # 预算数, 万元
    fiscal: Decimal  # 财政资金, 万元
    other: Decimal  # 其他资金, 万元
    purpose: str  # 资金用途
    goal: str  # 年度绩效目标
    plan: tuple[PlanPoint, ...]
    indicators: tuple[Indicator, ...]
    section: str | None = None  # 责任科室 (from the roster)
    # The 部门整体 form: the department-wide targets as indicators; its money is the projects' sum,
    # computed by consolidation, so the form asks none (see Department.overall).
    overall: bool = False

    def plan_progress(self, month: int) -> Decimal:
        """计划进度 at the end of ``month``: the plan interpolated linearly, 0 % at the start of the year."""
        prev_month, prev_pct = 0, Decimal(0)
        for point in sorted(self.plan, key=lambda p: p.month):
            if month <= point.month:
                span = point.month - prev_month
                frac = Decimal(month - prev_month) / Decimal(span) if span else Decimal(1)
                return prev_pct + (point.percent - prev_pct) * frac
            prev_month, prev_pct = point.month, point.percent
        return prev_pct

    def indicator(self, n: int) -> Indicator:
        return self.indicators[n - 1]


@dataclass(frozen=True, slots=True)
class Section:
    """A 科室 of the department, with the chief (科长) who fills its returns."""

    name: str
    duties: str = ""  # 职责 (Part 1 of the goals document)
    chief: str = ""  # 科长
    email: str = ""


@dataclass(frozen=True, slots=True)
class DepartmentTarget:
    """A department-wide target stated in Part 1 (e.g. 再犯罪率 ≤0.2%)."""

    name: str
    target: Target


# The 部门整体 form is filed under this code beside the projects' 项目编码.
OVERALL_CODE = "部门整体"
OVERALL_NAME = "部门整体绩效目标"
OVERALL_LEVEL1 = "部门整体目标"


@dataclass(frozen=True, slots=True)
class Department:
    """The year's goals of one department: sections, department targets and projects."""

    name: str
    year: int
    sections: tuple[Section, ...]
    projects: tuple[Project, ...]
    overall_goal: str = ""  # 总体绩效目标 (Part 1, 一)
    section_goals: str = ""  # 分项绩效目标 lead paragraph (Part 1, 二)
    measures: str = ""  # 工作保障措施 (Part 1, 三)
    department_targets: tuple[DepartmentTarget, ...] = ()
    overall_section: str | None = None  # who fills the 部门整体 form (perfsheet.yaml); default 办公室
    # (target name, section): who provides each department-wide target's figures (perfsheet.yaml
    # ``overall_targets``); the 部门整体 form's section gathers them and files the one return.
    target_sections: tuple[tuple[str, str], ...] = ()

    @property
    def overall(self) -> Project | None:
        """The 部门整体 form as a project: Part 1's department-wide targets as its indicators, the
        department's money as its budget (None when the goals state no department-wide target)."""
        if not self.department_targets:
            return None
        names = [s.name for s in self.sections]
        section = self.overall_section or ("办公室" if "办公室" in names else (names[0] if names else None))
        indicators = tuple(
            Indicator(n, OVERALL_LEVEL1, "", t.name, "", t.target, "")
            for n, t in enumerate(self.department_targets, start=1)
        )
        return Project(
            code=OVERALL_CODE, name=OVERALL_NAME, budget=self.total_budget,
            fiscal=sum((p.fiscal for p in self.projects), Decimal(0)),
            other=sum((p.other for p in self.projects), Decimal(0)),
            purpose=f"本部门{len(self.projects)}个预算项目的资金合计", goal=self.overall_goal, plan=(), indicators=indicators, section=section, overall=True,
        )

    @property
    def monitored(self) -> tuple[Project, ...]:
        """Every form of a monitoring month: the projects, then the 部门整体 form when there is one."""
        overall = self.overall
        return self.projects if overall is None else (*self.projects, overall)

    @property
    def total_budget(self) -> Decimal:
        return sum((p.budget for p in self.projects), Decimal(0))

    @property
    def indicator_count(self) -> int:
        return sum(len(p.indicators) for p in self.projects)

    def project(self, code: str) -> Project:
        """The project (or the 部门整体 form) of ``code``; ``KeyError`` when there is none."""
        found = self.find_project(code)
        if found is None:
            raise KeyError(code)
        return found

    def find_project(self, code: str) -> Project | None:
        """The project of ``code``, or the 部门整体 form for :data:`OVERALL_CODE`."""
        if code == OVERALL_CODE:
            return self.overall
        return next((p for p in self.projects if p.code == code), None)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def projects_of(self, section: str) -> tuple[Project, ...]:
        """The forms ``section`` fills: its projects, and the 部门整体 form when it is assigned it."""
        return tuple(p for p in self.monitored if p.section == section)


# Returns are due on this day of the month after the period unless perfsheet.yaml says otherwise.
DEFAULT_DEADLINE_DAY = 10

_PERIOD_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_YEAR_END_RE = re.compile(r"^\s*(\d{4})-(自评|年终)\s*$")

# The year-end round's name in a period (``2025-自评``), its folders (``outbox/2025-自评/``) and the
# ledger; ``年终`` is read as the same.
YEAR_END_TAG = "自评"
# Year-end returns are filled for the self-evaluation in February to April of the following year
# (DESIGN.md §3): due at the end of March, and a 填报日期 up to the end of June is plausible.
YEAR_END_DUE = (3, 31)
YEAR_END_LAST_FILL = (6, 30)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A monitoring month, written ``YYYY-MM``; the return covers January to this month.

    ``year_end`` marks the year-end round (``YYYY-自评``): the final full-year values a project reports
    for its self-evaluation, on a form of its own. It covers the same months as December (so every
    month-based rule treats it as December) but is a period of its own in the ledger, the folders and
    the mail, so December's monitoring and the year-end values never replace each other.
    """

    year: int
    month: int
    year_end: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"月份应在 1–12 之间，收到：{self.month}")
        if self.year_end and self.month != 12:
            raise ValueError("年终报表期间只能是 12 月")

    @classmethod
    def year_end_of(cls, year: int) -> Period:
        """The year-end round of ``year`` (``2025-自评``)."""
        return cls(year, 12, year_end=True)

    @classmethod
    def parse(cls, text: str) -> Period:
        if m := _YEAR_END_RE.match(text):
            return cls.year_end_of(int(m.group(1)))
        m = _PERIOD_RE.match(text)
        if not m:
            raise ValueError(
                f"期间格式应为 YYYY-MM（例如 2025-06），年终报表为 YYYY-{YEAR_END_TAG}，收到：{text!r}"
            )
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        if self.year_end:
            return f"{self.year:04d}-{YEAR_END_TAG}"
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """Chinese label, e.g. 2025年6月 (the year-end round: 2025年度)."""
        if self.year_end:
            return f"{self.year}年度"
        return f"{self.year}年{self.month}月"

    @property
    def december(self) -> Period:
        """The monthly period whose months this one covers (itself for a month)."""
        return Period(self.year, self.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def time_progress(self) -> Decimal:
        """序时进度 in percent: month / 12 (exact Decimal, not rounded)."""
        return Decimal(self.month) * Decimal(100) / Decimal(12)

    def previous(self) -> Period | None:
        """The month before, within the same year (None for January: a year's returns start there);
        for the year-end round, December."""
        if self.year_end:
            return self.december
        return Period(self.year, self.month - 1) if self.month > 1 else None

    def next(self) -> Period:
        """The following month (January of the next year after December and the year-end round)."""
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def due_date(self, deadline_day: int) -> dt.date:
        """Returns for this period are due on ``deadline_day`` of the next month (clamped to its end);
        year-end returns at the end of March of the next year (``deadline_day`` does not apply)."""
        if self.year_end:
            return dt.date(self.year + 1, *YEAR_END_DUE)
        following = self.next()
        return following.first_day.replace(day=max(1, min(deadline_day, following.last_day.day)))

    @property
    def months_label(self) -> str:
        """The span a return covers, as the form says it: ``1月`` or ``1-6月`` (year-end: ``全年``)."""
        if self.year_end:
            return "全年"
        return "1月" if self.month == 1 else f"1-{self.month}月"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Issue:
    """A data problem in a return: a value with a stable code, a place and a Chinese message."""

    code: str  # stable kebab-case, e.g. "not-a-number"
    severity: Severity
    message: str  # Chinese, says what to do
    sheet: str = ""
    cell: str = ""  # A1 reference as Excel shows it
    field: str = ""  # field-map name, e.g. "spend.to_date"
    value: str = ""  # the value as found

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.cell

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "sheet": self.sheet,
            "cell": self.cell,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


class SubmissionStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    REJECTED = "rejected"


# A value in an indicator cell: a number in the target's unit, or a 定性 word (达成/部分达成/未达成).
IndicatorValue = Decimal | str | None


@dataclass(frozen=True, slots=True)
class IndicatorReturn:
    """What a chief reported for one indicator."""

    n: int
    actual: IndicatorValue = None  # 截至本月完成值
    projection: IndicatorValue = None  # 全年预计完成值
    likelihood: str | None = None  # 完成目标可能性
    deviation: str | None = None  # 偏差原因
    explanation: str | None = None  # 原因说明及改进措施


@dataclass(frozen=True, slots=True)
class Submission:
    """A return read from a workbook: typed values in the form's units (万元; the target's unit)."""

    project_code: str
    period: Period
    budget_adjusted: Decimal | None = None  # 调整后预算数 (年度资金总额)
    spend_to_date: Decimal | None = None  # 1-X月执行数 (年度资金总额)
    spend_projected: Decimal | None = None  # 全年预计执行数 (年度资金总额)
    # The 其他资金 part of each; 财政资金 is the total less it (the form's locked formula row).
    budget_adjusted_other: Decimal | None = None
    spend_to_date_other: Decimal | None = None
    spend_projected_other: Decimal | None = None
    goal_progress: str | None = None  # 目标完成情况
    budget_explanation: str | None = None  # 预算执行偏差原因及改进措施
    contact_name: str | None = None  # 填报人
    contact_phone: str | None = None  # 联系电话
    contact_date: dt.date | None = None  # 填报日期
    contact_head: str | None = None  # 科室负责人
    indicators: tuple[IndicatorReturn, ...] = ()
    file: str = ""
    sha256: str = ""
    status: SubmissionStatus = SubmissionStatus.VALID
    issues: tuple[Issue, ...] = field(default=())

    @property
    def execution_rate(self) -> Decimal | None:
        """执行率 in percent, or None when it cannot be computed."""
        if self.spend_to_date is None or not self.budget_adjusted:
            return None
        return self.spend_to_date / self.budget_adjusted * Decimal(100)

    @property
    def fiscal_budget_adjusted(self) -> Decimal | None:
        """财政资金调整后预算数: 年度资金总额 less 其他资金 (None when either is missing)."""
        return _less(self.budget_adjusted, self.budget_adjusted_other)

    @property
    def fiscal_spend_to_date(self) -> Decimal | None:
        return _less(self.spend_to_date, self.spend_to_date_other)

    @property
    def fiscal_spend_projected(self) -> Decimal | None:
        return _less(self.spend_projected, self.spend_projected_other)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    def indicator(self, n: int) -> IndicatorReturn | None:
        return next((r for r in self.indicators if r.n == n), None)


def _less(total: Decimal | None, part: Decimal | None) -> Decimal | None:
    return None if total is None or part is None else total - part


def quantize(value: Decimal, places: int = 2) -> Decimal:
    """Round half up to ``places`` decimals, as a finance office rounds (not banker's rounding)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
