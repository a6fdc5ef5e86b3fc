"""Year-end self-evaluation scoring (issue 15): every score, total and grade against a computation
written here from the published rules, including each formula's edges (a = t, a = 2t, t = 0, 定性)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from consolidate_helpers import indicator_return, small_department, submission

from perfsheet.model import Department, Indicator, Period, Project, Submission, Target
from perfsheet.selfeval.score import SelfEvalRules, indicator_score, self_evaluate
from perfsheet.targets import parse_target

DEC = Period(2025, 12)


def _indicator(raw: str, level1: str = "产出指标") -> Indicator:
    target: Target = parse_target(raw)
    return Indicator(1, level1, "数量指标", "测试指标", "", target, "")


def _expected(raw: str, actual: object, weight: Fraction) -> Fraction:
    """The published formulas in exact fractions (independent of perfsheet's Decimal code)."""
    target = parse_target(raw)
    if target.value is None:
        return weight * {"达成": Fraction(1), "部分达成": Fraction(7, 10), "未达成": Fraction(3, 10)}[str(actual)]
    a, t = Fraction(str(actual)), Fraction(str(target.value))
    if t == 0:  # ≥0 asks for anything, >0 for something, ≤0 / <0 / =0 for nothing
        met = a >= 0 if str(target.op) == "≥" else a > 0 if str(target.op) == ">" else a <= 0
        return weight if met else Fraction(0)
    if str(target.op) in ("≤", "<"):
        if a <= t:
            return weight
        return Fraction(0) if a >= 2 * t else (1 - (a - t) / t) * weight
    return weight if a >= t else max(a, Fraction(0)) / t * weight


@pytest.mark.parametrize(
    ("raw", "actual"),
    [
        ("≥90%", "90"), ("≥90%", "45"), ("≥90%", "120"), ("≥5万册", "0"), ("=12次", "12"), ("=12次", "6"),
        ("≤0.2%", "0.2"), ("≤0.2%", "0.3"), ("≤0.2%", "0.4"), ("≤0.2%", "0.5"), ("≤0.2%", "0"),
        ("≤0%", "0"), ("≤0%", "0.1"), ("≥0次", "0"), ("≥0次", "1"), (">0次", "0"), (">0次", "2"),
        ("=0起", "0"), ("=0起", "1"),
        ("化解社会矛盾", "达成"), ("化解社会矛盾", "部分达成"), ("化解社会矛盾", "未达成"),
    ],
)
def test_indicator_formula_and_its_edges(raw: str, actual: str) -> None:
    weight = Decimal("12.5")
    value: object = actual if not actual[0].isdigit() else Decimal(actual)
    got = indicator_score(_indicator(raw), value, weight, SelfEvalRules())  # type: ignore[arg-type]
    assert got is not None
    assert Fraction(got) == _expected(raw, actual, Fraction(weight))


def _round2(value: Fraction) -> Fraction:
    """Half-up to two decimals, by hand: floor(100·v + 1/2) / 100 for v ≥ 0."""
    return Fraction(int(value * 100 + Fraction(1, 2)), 100)


def test_project_totals_grades_and_missing_projects() -> None:
    department = small_department()
    p1 = department.projects[0]
    returns = [
        submission(p1.code, DEC, adjusted="20", spend="19", projected="19",
                   indicators=tuple(indicator_return(ind.n, *_full(ind), "确定能", "无偏差", "")
                                    for ind in p1.indicators)),
    ]
    evaluation = self_evaluate(department, 2025, returns)
    by_code = {p.code: p for p in evaluation.projects}
    scored = by_code[p1.code]
    assert scored.status == "scored"
    # Budget: 19 / 20 of 10 points.
    assert scored.budget_score == Decimal("9.50")
    # Each 一级 shares its weight evenly among its indicators; all targets met → full weight each.
    counts: dict[str, int] = {}
    for ind in p1.indicators:
        counts[ind.level1] = counts.get(ind.level1, 0) + 1
    weights = {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    expected_total = _round2(Fraction(19, 20) * 10)
    for score in scored.indicators:
        w = Fraction(weights.get(score.level1, 0), counts[score.level1])
        assert Fraction(score.weight) == w
        expected_total += _round2(w)  # the total is the sum of the rounded scores
    assert Fraction(scored.total or 0) == expected_total
    # Every other project sent nothing: 未报送, no score, left out of the department's total.
    for project in department.projects[1:]:
        assert by_code[project.code].status == "missing" and by_code[project.code].total is None
    assert evaluation.total == scored.total  # the only scored project
    data = evaluation.to_json()
    assert data["department"] == {"total": float(scored.total or 0), "grade": evaluation.rules.grade(scored.total or Decimal(0)),
                                  "scored": 1, "projects": len(department.projects)}


def _full(ind: Indicator) -> tuple[object, object]:
    target = ind.target
    value: object = "达成" if target.value is None else target.value
    return value, value


def test_a_lower_score_without_explanation_is_an_issue_and_bands_are_enforced() -> None:
    project = Project("P1", "测试", Decimal(10), Decimal(10), Decimal(0), "", "", (), (
        Indicator(1, "产出指标", "数量指标", "场次", "", parse_target("≥30场"), ""),
        Indicator(2, "满意度指标", "满意度", "满意率", "", parse_target("≥95%"), ""),
    ))
    department = Department("测试局", 2025, (), (project,))
    sub = submission("P1", DEC, adjusted="10", spend="10", projected="10", indicators=(
        indicator_return(1, 15, 15, "有可能", "其他", ""),  # half the target, no explanation
        indicator_return(2, 130, 130, "确定能", "无偏差", ""),  # ≥ 130 % of its target: explain why
    ))
    scored = self_evaluate(department, 2025, [sub]).projects[0]
    assert scored.indicators[0].score == Decimal("25.00")  # 15 / 30 × 50
    assert scored.total == Decimal("10.00") + Decimal("25.00") + Decimal("10.00")
    found = {(i.code, i.indicator): i.message for i in scored.issues}
    assert "未得满分" in found["explanation-missing", 1] and "130%" in found["explanation-missing", 2]
    with pytest.raises(ValueError, match="达成"):
        SelfEvalRules(qualitative={"达成": Decimal("0.5"), "部分达成": Decimal("0.7"), "未达成": Decimal("0.3")})


def test_a_province_variant_of_the_weights() -> None:
    rules = SelfEvalRules(weights={"预算执行率": Decimal(10), "成本指标": Decimal(10), "产出指标": Decimal(30),
                                   "效益指标": Decimal(25), "满意度指标": Decimal(5)})
    assert indicator_score(_indicator("≥10次"), Decimal(5), Decimal(30), rules) == Decimal(15)
    assert rules.grade(Decimal("89.99")) == "良" and rules.grade(Decimal(90)) == "优" and rules.grade(Decimal(59)) == "差"


def test_office_overrides_within_the_band_or_with_a_reason() -> None:
    from perfsheet.selfeval.score import Override

    project = Project("P1", "测试", Decimal(10), Decimal(10), Decimal(0), "", "", (), (
        Indicator(1, "产出指标", "质量指标", "矛盾化解", "", parse_target("化解社会矛盾"), ""),
        Indicator(2, "效益指标", "社会效益", "场次", "", parse_target("≥30场"), ""),
        Indicator(3, "满意度指标", "满意度", "满意率", "", parse_target("≥95%"), ""),
    ))
    department = Department("测试局", 2025, (), (project,))
    sub = submission("P1", DEC, adjusted="10", spend="10", projected="10", indicators=(
        indicator_return(1, "部分达成", "部分达成", "有可能", "其他", "部分纠纷仍在调解"),
        indicator_return(2, 15, 15, "有可能", "其他", "场地受限"),
        indicator_return(3, 90, 90, "有可能", "其他", "回访样本少"),
    ))
    overrides = {"P1": {
        1: Override(Decimal(38)),  # 部分达成 band of 50: 30–40, no reason needed
        2: Override(Decimal(20), "上级统一调减活动场次"),  # beyond the formula, with a reason
        3: Override(Decimal(10)),  # beyond the formula without a reason: refused
    }}
    scored = self_evaluate(department, 2025, [sub], overrides=overrides).projects[0]
    first, second, third = scored.indicators
    assert (first.score, first.computed) == (Decimal("38.00"), Decimal("35.00"))  # 70 % of 50 by the formula
    assert (second.score, second.computed, second.override_reason) == (Decimal("20.00"), Decimal("15.00"),
                                                                      "上级统一调减活动场次")
    assert third.computed is None and third.score == Decimal("9.47")  # 90 / 95 × 10, the override refused
    assert [(i.code, i.indicator) for i in scored.issues] == [("override-reason-missing", 3)]
    assert scored.total == Decimal("10.00") + Decimal("38.00") + Decimal("20.00") + Decimal("9.47")


def test_a_department_form_with_errors_stands_as_such_and_is_not_replaced_by_december() -> None:
    from perfsheet.goals.registry import load_default
    from perfsheet.model import OVERALL_CODE, SubmissionStatus
    from perfsheet.selfeval.outputs import selfeval_context

    department = load_default()
    overall = department.overall
    assert overall is not None
    met = tuple(indicator_return(i.n, "达成" if i.target.is_qualitative else i.target.value, None, None, None, "")
                for i in overall.indicators)
    december = submission(OVERALL_CODE, DEC, adjusted=None, spend=None, projected=None, indicators=met)
    year_end = submission(OVERALL_CODE, Period.year_end_of(2025), adjusted=None, spend=None, projected=None,
                          indicators=met, status=SubmissionStatus.INVALID)
    alone = self_evaluate(department, 2025, [december])
    assert alone.overall_reported and not alone.overall_invalid and alone.overall_source == "2025-12"
    assert all(o.attained for o in alone.overall)
    both = self_evaluate(department, 2025, [december, year_end])  # the year-end form comes last and stands
    assert both.overall_invalid and both.overall_source == "2025-自评" and not both.overall_reported
    assert all(o.attained is None for o in both.overall)
    context = selfeval_context(both, department, report_date=DEC.last_day)
    assert context["overall_source"].startswith("部门整体年终报表；该表有错误")
    assert {o["state"] for o in context["overall"]} == {"报送有错误"}


def _met(project: Project, spend: str = "10", budget_explanation: str | None = None) -> Submission:
    """A December return meeting every target of ``project`` exactly."""
    sub = submission(project.code, DEC, adjusted="10", spend=spend, projected=spend, indicators=tuple(
        indicator_return(i.n, *_full(i), "确定能", "无偏差", "") for i in project.indicators))
    return dataclasses.replace(sub, budget_explanation=budget_explanation)


def _project(*specs: tuple[str, str, Decimal | None]) -> Project:
    """A project of (一级指标, 指标值, own 分值) indicators."""
    return Project("P1", "测试", Decimal(10), Decimal(8), Decimal(2), "", "", (), tuple(
        Indicator(n, level1, "二级", f"指标{n}", "", parse_target(raw), "", weight)
        for n, (level1, raw, weight) in enumerate(specs, start=1)))


def test_equal_shares_are_whole_cents_that_add_up_to_the_level1_weight() -> None:
    # 产出 50 over 3, 效益 30 over 7, 满意度 10 over 3: none divides evenly.
    project = _project(*[("产出指标", "≥10次", None)] * 3, *[("效益指标", "≥90%", None)] * 7,
                       *[("满意度指标", "≥95%", None)] * 3)
    scored = self_evaluate(Department("测试局", 2025, (), (project,)), 2025, [_met(project)]).projects[0]
    weights = [i.weight for i in scored.indicators]
    # Computed here: the first shares of a 一级 take the cents left over.
    assert weights[:3] == [Decimal("16.67")] * 2 + [Decimal("16.66")]  # 5000 cents = 3 × 1666 + 2
    assert weights[3:10] == [Decimal("4.29")] * 4 + [Decimal("4.28")] * 3  # 3000 cents = 7 × 428 + 4
    assert weights[10:] == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]  # 1000 cents = 3 × 333 + 1
    assert scored.total == Decimal("100.00") and scored.issues == ()
    assert all(i.score == i.weight for i in scored.indicators)


def test_an_indicators_own_weight_is_kept_and_the_rest_shared() -> None:
    project = _project(("产出指标", "≥10次", Decimal(20)), ("产出指标", "≥10次", None), ("产出指标", "≥10次", None),
                       ("效益指标", "≥90%", Decimal("12.5")), ("效益指标", "≥90%", Decimal("17.5")),
                       ("满意度指标", "≥95%", None))
    scored = self_evaluate(Department("测试局", 2025, (), (project,)), 2025, [_met(project)]).projects[0]
    assert [i.weight for i in scored.indicators] == [Decimal(20), Decimal(15), Decimal(15), Decimal("12.5"),
                                                     Decimal("17.5"), Decimal(10)]
    assert scored.total == Decimal(100) and scored.issues == ()


@pytest.mark.parametrize(("weights", "code"), [((Decimal(40), Decimal(20)), "weights-exceed-level1"),
                                               ((Decimal(30), Decimal(10)), "weights-below-level1")])
def test_own_weights_that_do_not_fit_their_level1_are_an_issue(weights: tuple[Decimal, Decimal], code: str) -> None:
    project = _project(("产出指标", "≥10次", weights[0]), ("产出指标", "≥10次", weights[1]),
                       ("效益指标", "≥90%", None), ("满意度指标", "≥95%", None))
    scored = self_evaluate(Department("测试局", 2025, (), (project,)), 2025, [_met(project)]).projects[0]
    [issue] = scored.issues
    assert issue.code == code and issue.indicator is None
    assert "产出指标" in issue.message and f"{sum(weights):.2f}分" in issue.message and "50.00分" in issue.message
    # Shared evenly instead, so the project still scores out of 100.
    assert [i.weight for i in scored.indicators[:2]] == [Decimal(25), Decimal(25)] and scored.total == 100


def test_a_budget_below_full_marks_needs_its_explanation() -> None:
    project = _project(("产出指标", "≥10次", None), ("效益指标", "≥90%", None), ("满意度指标", "≥95%", None))
    department = Department("测试局", 2025, (), (project,))
    short = self_evaluate(department, 2025, [_met(project, spend="8")]).projects[0]
    assert short.budget_score == Decimal("8.00")
    assert [(i.code, i.indicator) for i in short.issues] == [("budget-explanation-missing", None)]
    assert "80.00%" in short.issues[0].message
    explained = self_evaluate(department, 2025, [_met(project, "8", "两项采购结转下年")]).projects[0]
    assert explained.issues == () and explained.budget_explanation == "两项采购结转下年"
    data = self_evaluate(department, 2025, [_met(project, spend="8")]).to_json()
    [row] = data["projects"]  # type: ignore[call-overload]
    assert row["issues"] == [{"code": "budget-explanation-missing", "indicator": None,
                              "message": short.issues[0].message}]
    assert {"code", "status", "budget_score", "indicators", "level1_scores", "total", "grade"} <= set(row)


def test_an_unreported_project_keeps_its_budget_weight_and_no_score() -> None:
    project = _project(("产出指标", "≥10次", None))
    [missing] = self_evaluate(Department("测试局", 2025, (), (project,)), 2025, []).projects
    assert missing.status == "missing" and missing.budget_weight == Decimal(10) and missing.budget_score is None


def test_own_weights_that_use_up_their_level1_leave_no_indicator_at_zero() -> None:
    """Weights that take all of 产出指标's 50 while another 产出 indicator has none would leave it worth
    nothing (never asking an explanation): an issue, and the 一级 shared evenly."""
    project = _project(("产出指标", "≥10次", Decimal(50)), ("产出指标", "≥10次", None), ("产出指标", "≥10次", None),
                       ("效益指标", "≥90%", None), ("满意度指标", "≥95%", None))
    scored = self_evaluate(Department("测试局", 2025, (), (project,)), 2025, [_met(project)]).projects[0]
    [issue] = scored.issues
    assert issue.code == "weights-leave-nothing" and "“分值”列" in issue.message
    assert [i.weight for i in scored.indicators[:3]] == [Decimal("16.67"), Decimal("16.67"), Decimal("16.66")]
    assert scored.total == Decimal("100.00")


def test_a_return_without_the_money_split_is_read_as_consolidation_reads_it() -> None:
    """No 其他资金 columns in the return: the registry's 其他资金 (here 0) stands, and what was spent is
    all 财政拨款 — the 自评表's rows then agree with the 汇总表's."""
    project = dataclasses.replace(_project(("产出指标", "≥10次", None)), fiscal=Decimal(10), other=Decimal(0))
    sub = _met(project, spend="7")
    assert sub.budget_adjusted_other is None and sub.spend_to_date_other is None
    scored = self_evaluate(Department("测试局", 2025, (), (project,)), 2025, [sub]).projects[0]
    assert (scored.adjusted_other, scored.spend_other) == (Decimal(0), Decimal(0))
    assert (scored.adjusted_fiscal, scored.spend_fiscal) == (Decimal(10), Decimal(7))
