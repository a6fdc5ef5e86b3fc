"""Year-end self-evaluation (绩效自评) scoring: the year's counting returns → scores, totals, grades.

Pure and exact (``Decimal``, no I/O): :func:`self_evaluate` takes the department, the year and the
return that stands for each project at the year's end, and gives a :class:`SelfEvaluation`. The rules
(DESIGN.md §3, issue 15) and the decisions where the issue is silent:

* Weights per 一级指标 name plus ``预算执行率`` (default 10 / 产出 50 / 效益 30 / 满意度 10; a province's
  variant such as 成本 10 / 产出 30 / 效益 25 / 满意度 5 is just another mapping). An indicator the registry
  gives its own ``weight`` keeps it; the rest of its 一级's weight is shared evenly by the indicators
  without one, in cents, the first of them taking the remainder (10 / 3 → 3.34, 3.33, 3.33), so a
  project meeting every target scores exactly 100. Own weights above their 一级's weight, or below it
  with no indicator left to take the rest, are an issue (the registry and perfsheet.yaml disagree);
  the 一级 is then shared evenly. An 一级 the weights do not name gets weight 0 and an issue, so
  nothing is scored silently out of the 100.
* Budget: min(全年执行数 / 调整后预算数, 100 %) × weight (调整后 defaults to 年初预算数); below full marks
  it needs the return's 预算执行偏差原因及改进措施, quoted by the report.
* Positive targets (≥ > and = with t > 0): a ≥ t → w, else a / t × w (never below 0). Negative (≤ <):
  a ≤ t → w; t < a < 2t → (1 − (a − t) / t) × w; a ≥ 2t → 0. A target of 0 (no ratio to take): for
  ≤ < = "none at all" is met by a ≤ 0; for ≥ it is met by any a ≥ 0, for > by a > 0; else 0.
* 定性: 达成 / 部分达成 / 未达成 → a share of w (default 100 / 70 / 30 %), configurable within the bands
  80–100 / 60–80 / 0–60 %. A value that is not one of the three scores 0 with an issue.
* Every score is rounded half-up to 2 decimals; the total is the sum of the rounded scores, so the
  printed table always adds up. Grades 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差 (configurable).
* An indicator scored below full, or whose actual is ≥ 130 % of its (positive) target, needs
  偏差原因分析及改进措施 (the return's explanation); a missing one is an issue, not a lower score.
* The office may override an indicator's score (:class:`Override`): inside the 定性 band of the
  returned word freely, otherwise with a reason; the computed score and the reason are kept beside it.
* Every problem is a :class:`SelfEvalIssue` (stable code, the indicator, a Chinese message) of the
  catalogue :data:`ISSUE_MESSAGES`.
* A project with no return has status 未报送 and no score (never a zero); the department's total
  is the budget-weighted mean of the scored projects' totals and says how many it covers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from perfsheet.model import (
    OVERALL_CODE,
    QUALITATIVE_CHOICES,
    YEAR_END_TAG,
    Department,
    Indicator,
    IndicatorReturn,
    IndicatorValue,
    Op,
    Project,
    Submission,
    SubmissionStatus,
)
from perfsheet.rules import BUDGET_WEIGHT_KEY, QUALITATIVE_BANDS, SelfEvalRules, far_above_target, money_split

__all__ = [
    "BUDGET_WEIGHT_KEY",
    "ISSUE_MESSAGES",
    "IndicatorScore",
    "Override",
    "ProjectScore",
    "SelfEvalIssue",
    "SelfEvalRules",
    "SelfEvaluation",
    "TargetOutcome",
    "indicator_score",
    "self_evaluate",
]

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)
CENT = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# The self-evaluation's issue catalogue: one Chinese message template per stable code. {where} is
# 第n项指标“name” for an indicator's problem.
ISSUE_MESSAGES: Mapping[str, str] = {
    "level1-unweighted": "一级指标“{level1}”在自评权重（perfsheet.yaml 的 selfeval.weights）中没有分值，按0分计",
    "weights-exceed-level1": "一级指标“{level1}”下{which}自定的分值合计{given}分，超过该一级指标的分值{total}分；"
                             "已改为平均分配，请核对目标工作簿“指标”表的“分值”列（目标 YAML 中为 weight）"
                             "或 perfsheet.yaml 的 selfeval.weights",
    "weights-below-level1": "一级指标“{level1}”下各指标自定的分值合计{given}分，少于该一级指标的分值{total}分，"
                            "且没有未定分值的指标分配余下的分值；已改为平均分配，"
                            "请核对目标工作簿“指标”表的“分值”列（目标 YAML 中为 weight）",
    "weights-leave-nothing": "一级指标“{level1}”下{which}自定的分值合计{given}分，已用完该一级指标的分值{total}分，"
                             "其余未定分值的指标将得0分值；已改为平均分配，"
                             "请核对目标工作簿“指标”表的“分值”列（目标 YAML 中为 weight）",
    "spend-missing": "未填全年执行数，预算执行率不能计分",
    "budget-explanation-missing": "预算执行率{rate}，未得满分，须填写预算执行偏差原因及改进措施",
    "actual-missing": "{where}未填实际完成值，不能计分",
    "qualitative-unknown": "{where}的完成值“{actual}”不是达成/部分达成/未达成，按0分计",
    "explanation-missing": "{where}{why}，须填写偏差原因分析及改进措施",
    "override-out-of-range": "{where}的调整得分{score}应在0到分值{weight}之间，未采用",
    "override-reason-missing": "{where}的调整得分{score}须写明调整理由（定性指标在“{actual}”的得分区间内调整时可不写），未采用",
}


@dataclass(frozen=True, slots=True)
class SelfEvalIssue:
    """A problem the office must resolve before the self-evaluation is final (a value, not an error)."""

    code: str  # a key of ISSUE_MESSAGES
    message: str  # Chinese
    indicator: int | None = None  # the indicator's n, None for the project's money or weights

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "indicator": self.indicator, "message": self.message}


def _issue(code: str, indicator: Indicator | None = None, **fields: object) -> SelfEvalIssue:
    where = f"第{indicator.n}项指标“{indicator.name}”" if indicator is not None else ""
    return SelfEvalIssue(code, ISSUE_MESSAGES[code].format(where=where, **fields),
                         indicator.n if indicator is not None else None)


@dataclass(frozen=True, slots=True)
class Override:
    """The office's own score for one indicator: within the 定性 band of the returned word (no reason
    needed), or any score from 0 to the weight with a reason; recorded beside the computed score."""

    score: Decimal
    reason: str = ""


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    n: int
    level1: str
    name: str
    target: str
    actual: IndicatorValue
    weight: Decimal  # 分值
    score: Decimal | None  # 得分, rounded; None when nothing was reported
    explanation: str = ""  # 偏差原因分析及改进措施 as returned
    needs_explanation: bool = False
    unit: str = ""  # the target's unit (%, 次, 万元 …)
    computed: Decimal | None = None  # the formula's score when the office overrode it
    override_reason: str = ""


@dataclass(frozen=True, slots=True)
class ProjectScore:
    code: str
    name: str
    status: str  # scored | missing | invalid (its year-end return has errors)
    budget: Decimal  # 年初预算数
    adjusted_budget: Decimal | None = None  # 全年预算数 (调整后)
    spend: Decimal | None = None  # 全年执行数
    execution_rate: Decimal | None = None  # %, uncapped
    budget_weight: Decimal = ZERO  # 分值 of the budget's execution (also for a project not scored)
    budget_score: Decimal | None = None
    indicators: tuple[IndicatorScore, ...] = ()
    issues: tuple[SelfEvalIssue, ...] = ()  # one per problem the office must resolve
    goal_progress: str = ""  # 年度总体目标实际完成情况
    source: str = ""  # the period of the return scored: YYYY-自评 (year-end form) or YYYY-12; "" when none
    budget_explanation: str = ""  # 预算执行偏差原因及改进措施 as returned
    adjusted_other: Decimal | None = None  # 全年预算数 of 其他资金 (财政拨款 is the total less it)
    spend_other: Decimal | None = None  # 全年执行数 of 其他资金

    @property
    def adjusted_fiscal(self) -> Decimal | None:
        """全年预算数 of 财政拨款: the total less 其他资金 (as the form's locked formula row)."""
        return None if self.adjusted_budget is None or self.adjusted_other is None else (
            self.adjusted_budget - self.adjusted_other)

    @property
    def spend_fiscal(self) -> Decimal | None:
        return None if self.spend is None or self.spend_other is None else self.spend - self.spend_other

    @property
    def year_end(self) -> bool:
        """Whether the values are the year-end form's final ones (else December's monitoring)."""
        return self.source.endswith(YEAR_END_TAG)

    @property
    def scored(self) -> bool:
        return self.status == "scored"

    @property
    def level1_scores(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for ind in self.indicators:
            out[ind.level1] = out.get(ind.level1, ZERO) + (ind.score or ZERO)
        return out

    @property
    def total(self) -> Decimal | None:
        if not self.scored:
            return None
        return (self.budget_score or ZERO) + sum((i.score or ZERO for i in self.indicators), ZERO)


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """A department-wide target of Part 1 at the year's end, from the December 部门整体 form."""

    n: int
    name: str
    target: str
    unit: str
    actual: IndicatorValue
    attained: bool | None  # None: nothing reported
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class SelfEvaluation:
    department: str
    year: int
    projects: tuple[ProjectScore, ...]
    rules: SelfEvalRules
    # The department-wide targets (empty when the goals state none); overall_reported: whether the
    # December 部门整体 form counted.
    overall: tuple[TargetOutcome, ...] = ()
    overall_reported: bool = False
    overall_source: str = ""  # the period of the 部门整体 return that stands (YYYY-自评 or YYYY-12)
    overall_invalid: bool = False  # that return has errors: the targets are not judged

    @property
    def scored(self) -> tuple[ProjectScore, ...]:
        return tuple(p for p in self.projects if p.scored)

    @property
    def total(self) -> Decimal | None:
        """The department's score: the scored projects' totals weighted by their 年初预算数."""
        scored = self.scored
        weight = sum((p.budget for p in scored), ZERO)
        if not scored or weight <= 0:
            return None
        return _round(sum((p.budget * (p.total or ZERO) for p in scored), ZERO) / weight)

    @property
    def grade(self) -> str | None:
        total = self.total
        return None if total is None else self.rules.grade(total)

    def to_json(self) -> dict[str, object]:
        """The ``perfsheet selfeval --json`` contract: scores as numbers with two decimals."""

        def num(value: Decimal | None) -> float | None:
            return None if value is None else float(_round(value))

        return {
            "year": self.year,
            "projects": [
                {
                    "code": p.code,
                    "status": p.status,
                    "source": p.source or None,
                    "budget_score": num(p.budget_score),
                    "indicators": [
                        {"n": i.n, "weight": num(i.weight), "score": num(i.score),
                         **({"override": {"computed": num(i.computed), "reason": i.override_reason}}
                            if i.computed is not None else {})}
                        for i in p.indicators
                    ],
                    "level1_scores": {k: num(v) for k, v in p.level1_scores.items()} if p.scored else {},
                    "total": num(p.total),
                    "grade": self.rules.grade(p.total) if p.total is not None else None,
                    "issues": [issue.to_json() for issue in p.issues],
                }
                for p in self.projects
            ],
            "department": {"total": num(self.total), "grade": self.grade,
                           "scored": len(self.scored), "projects": len(self.projects)},
        }


def indicator_score(indicator: Indicator, actual: IndicatorValue, weight: Decimal,
                    rules: SelfEvalRules) -> Decimal | None:
    """The unrounded score of one indicator (None when nothing was reported)."""
    target = indicator.target
    if actual is None:
        return None
    if target.is_qualitative or target.value is None:
        share = rules.qualitative.get(actual) if isinstance(actual, str) else None
        return ZERO if share is None else share * weight
    if not isinstance(actual, Decimal):
        return ZERO
    t = target.value
    if t == 0:
        # No ratio to a target of 0. ≥0 / >0 ask for something (any a ≥ 0, resp. a > 0, is full marks);
        # ≤0 / <0 / =0 ask for none at all (an accident count): met by a ≤ 0. Otherwise 0.
        if target.op is Op.GE:
            met = actual >= 0
        elif target.op is Op.GT:
            met = actual > 0
        else:
            met = actual <= 0
        return weight if met else ZERO
    if target.op in (Op.LE, Op.LT):
        if actual <= t:
            return weight
        if actual >= 2 * t:
            return ZERO
        return (ONE - (actual - t) / t) * weight
    if actual >= t:
        return weight
    return max(actual, ZERO) / t * weight


def _weights(project: Project, rules: SelfEvalRules) -> tuple[dict[int, Decimal], list[SelfEvalIssue]]:
    """Each indicator's 分值: its own ``weight``, else its share of what its 一级 has left."""
    by_level1: dict[str, list[Indicator]] = {}
    for ind in project.indicators:
        by_level1.setdefault(ind.level1, []).append(ind)
    weights: dict[int, Decimal] = {}
    issues: list[SelfEvalIssue] = []
    for level1, indicators in by_level1.items():
        total = rules.weights.get(level1)
        if total is None:
            issues.append(_issue("level1-unweighted", level1=level1))
            total = ZERO
        weights.update(_level1_weights(level1, total, indicators, issues))
    return weights, issues


def _level1_weights(level1: str, total: Decimal, indicators: list[Indicator],
                    issues: list[SelfEvalIssue]) -> dict[int, Decimal]:
    own = [ind for ind in indicators if ind.weight is not None]
    rest = [ind for ind in indicators if ind.weight is None]
    given = sum((ind.weight or ZERO for ind in own), ZERO)
    # The registry's weights and perfsheet.yaml's disagree when they pass the 一级's total, fall short of
    # it with nobody left to take the rest, or use it up while indicators without a weight remain (they
    # would weigh nothing and never ask an explanation): an even share keeps the total at 100.
    if own and (given > total or (given < total and not rest) or (given == total and rest)):
        which = "、".join(f"第{ind.n}项" for ind in own)
        code = ("weights-exceed-level1" if given > total else
                "weights-below-level1" if given < total else "weights-leave-nothing")
        issues.append(_issue(code, level1=level1, which=which, given=_round(given), total=_round(total)))
        own, rest, given = [], indicators, ZERO
    shares = _even_shares(total - given, len(rest))
    return {**{ind.n: ind.weight or ZERO for ind in own}, **{ind.n: w for ind, w in zip(rest, shares, strict=True)}}


def _even_shares(amount: Decimal, count: int) -> list[Decimal]:
    """``amount`` in ``count`` shares of whole cents that add up to it exactly (rounded to the cent): the
    first shares take the cents left over, so 10 / 3 is 3.34, 3.33, 3.33 and the printed 分值 add up."""
    if count == 0:
        return []
    cents = int(_round(amount) / CENT)
    base, extra = divmod(cents, count)
    return [(base + (1 if k < extra else 0)) * CENT for k in range(count)]


def _apply_override(ind: Indicator, actual: IndicatorValue, weight: Decimal, score: Decimal | None,
                    override: Override | None, issues: list[SelfEvalIssue]) -> tuple[Decimal | None, Decimal | None, str]:
    """(score, computed score, reason) after the office's override, or the issue why it is refused."""
    if override is None or score is None:
        return score, None, ""
    if not ZERO <= override.score <= weight:
        issues.append(_issue("override-out-of-range", ind, score=override.score, weight=_round(weight)))
        return score, None, ""
    band = QUALITATIVE_BANDS.get(actual) if isinstance(actual, str) and ind.target.is_qualitative else None
    in_band = band is not None and band[0] * weight <= override.score <= band[1] * weight
    if not in_band and not override.reason.strip():
        issues.append(_issue("override-reason-missing", ind, score=override.score, actual=actual))
        return score, None, ""
    return _round(override.score), score, override.reason.strip()


def _project_score(project: Project, sub: Submission | None, rules: SelfEvalRules,
                   overrides: Mapping[int, Override] | None = None) -> ProjectScore:
    budget_weight = rules.weights.get(BUDGET_WEIGHT_KEY, ZERO)
    if sub is None:
        return ProjectScore(project.code, project.name, "missing", project.budget, budget_weight=budget_weight)
    if sub.status is not SubmissionStatus.VALID:  # its values do not count
        return ProjectScore(project.code, project.name, "invalid", project.budget, budget_weight=budget_weight,
                            source=str(sub.period))
    weights, issues = _weights(project, rules)
    money = money_split(sub, project)  # as consolidation reads it: one 财政/其他 split for every output
    adjusted = money.adjusted
    rate = sub.spend_to_date / adjusted * HUNDRED if sub.spend_to_date is not None and adjusted > 0 else None
    budget_score = None if rate is None else _round(min(rate / HUNDRED, ONE) * budget_weight)
    budget_explanation = (sub.budget_explanation or "").strip()
    if budget_score is None:
        issues.append(_issue("spend-missing"))
    elif rate is not None and budget_score < _round(budget_weight) and not budget_explanation:
        issues.append(_issue("budget-explanation-missing", rate=f"{_round(rate)}%"))
    by_n = {r.n: r for r in sub.indicators}
    scores = [_indicator_result(ind, by_n.get(ind.n), weights[ind.n], rules, (overrides or {}).get(ind.n), issues)
              for ind in project.indicators]
    return ProjectScore(
        project.code, project.name, "scored", project.budget, adjusted, sub.spend_to_date, rate, budget_weight,
        budget_score, tuple(scores), tuple(issues), sub.goal_progress or "", str(sub.period), budget_explanation,
        money.adjusted_other, money.spend_other,
    )


def _indicator_result(ind: Indicator, ret: IndicatorReturn | None, weight: Decimal, rules: SelfEvalRules,
                      override: Override | None, issues: list[SelfEvalIssue]) -> IndicatorScore:
    """One indicator's score (after the office's override) and the issues it raises."""
    actual = ret.actual if ret else None
    raw = indicator_score(ind, actual, weight, rules)
    score, computed, reason = _apply_override(ind, actual, weight, None if raw is None else _round(raw), override,
                                              issues)
    explanation = (ret.explanation or "") if ret else ""
    excess = far_above_target(ind, actual, rules.excess_percent)
    needs = score is not None and (score < _round(weight) or excess)
    if raw is None:
        issues.append(_issue("actual-missing", ind))
    elif isinstance(actual, str) and actual not in QUALITATIVE_CHOICES and ind.target.is_qualitative:
        issues.append(_issue("qualitative-unknown", ind, actual=actual))
    if needs and not explanation:
        why = f"实际完成值超过目标的{rules.excess_percent}%" if excess else "未得满分"
        issues.append(_issue("explanation-missing", ind, why=why))
    return IndicatorScore(ind.n, ind.level1, ind.name, ind.target.raw, actual, weight, score, explanation, needs,
                          ind.target.unit, computed, reason)


def self_evaluate(department: Department, year: int, returns: Sequence[Submission],
                  rules: SelfEvalRules | None = None,
                  overrides: Mapping[str, Mapping[int, Override]] | None = None) -> SelfEvaluation:
    """Score every project of ``department`` for ``year`` from the returns that stand for them at the
    year's end (one per project code; the last one given wins, as the ledger lists in order of
    receipt: give December's before the year-end form's, and the year-end values win). A return with errors gives its project the status ``invalid`` and no score; returns
    of other years or of no project are ignored. ``overrides``: project code →
    indicator n → the office's :class:`Override`."""
    rules = rules or SelfEvalRules()
    standing: dict[str, Submission] = {}
    for sub in returns:
        if sub.period.year == year:
            standing[sub.project_code] = sub
    projects = tuple(_project_score(p, standing.get(p.code), rules, (overrides or {}).get(p.code))
                     for p in department.projects)
    overall_return = standing.get(OVERALL_CODE)
    source = str(overall_return.period) if overall_return is not None else ""
    # A 部门整体 return with errors stands as such (like a project's): its values are not used.
    invalid = overall_return is not None and overall_return.status is not SubmissionStatus.VALID
    overall, reported = _overall_outcomes(department, None if invalid else overall_return)
    return SelfEvaluation(department.name, year, projects, rules, overall, reported, source, invalid)


def _overall_outcomes(department: Department, sub: Submission | None) -> tuple[tuple[TargetOutcome, ...], bool]:
    project = department.overall
    if project is None:
        return (), False
    by_n = {r.n: r for r in sub.indicators} if sub is not None else {}
    outcomes: list[TargetOutcome] = []
    for ind in project.indicators:
        ret = by_n.get(ind.n)
        actual = ret.actual if ret else None
        attained: bool | None = None
        if isinstance(actual, str):
            attained = actual == "达成"
        elif isinstance(actual, Decimal) and ind.target.value is not None:
            attained = ind.target.is_met_by(actual)
        outcomes.append(TargetOutcome(ind.n, ind.name, ind.target.raw, ind.target.unit, actual, attained,
                                      (ret.explanation or "") if ret else ""))
    return tuple(outcomes), sub is not None
