"""Consolidation: every figure against an independent computation (fractions, not perfsheet's Decimals)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction as F

import pandas as pd
import pytest
from consolidate_helpers import JUNE, indicator_return, june_returns, small_department, submission

from perfsheet.consolidate.build import consolidate
from perfsheet.model import Period, SubmissionStatus
from perfsheet.rules import Thresholds

BUDGET = {"P01": F("20"), "P02": F("30.5"), "P03": F("10"), "P04": F("15"), "P05": F("5")}
# What each valid June return says: adjusted budget (None → 年初), spend, projected.
VALID = {"P01": (F("20"), F("5.9"), F("18")), "P02": (F("30.5"), F("15.25"), F("30.5")),
         "P03": (F("10"), F("3"), F("10"))}


def expected_light(rate: F, month: int, red: F = F(60), yellow: F = F(80)) -> str:
    ratio = rate / (F(month, 12) * 100) * 100
    return "red" if ratio < red else "yellow" if ratio < yellow else "green"


def approx(value: F | None) -> object:
    return None if value is None else pytest.approx(float(value), rel=1e-12, abs=1e-12)


def test_project_figures_and_lights_at_the_edges() -> None:
    summary = consolidate(small_department(), june_returns(), JUNE)
    projects = summary.projects.set_index("code")
    assert list(summary.projects["code"]) == ["P01", "P02", "P03", "P04", "P05"]
    tp = F(6, 12) * 100
    plan = F(50)  # June is a checkpoint of the 25/50/75/100 plan
    for code, (adjusted, spend, projected) in VALID.items():
        row = projects.loc[code]
        rate = spend / adjusted * 100
        assert row["execution_rate"] == approx(rate)
        assert row["budget_adjusted"] == approx(adjusted)
        assert row["spend_to_date"] == approx(spend)
        assert row["spend_projected"] == approx(projected)
        assert row["time_progress"] == approx(tp)
        assert row["plan_progress"] == approx(plan)
        assert row["gap_time_pp"] == approx(rate - tp)
        assert row["gap_plan_pp"] == approx(rate - plan)
        assert row["ratio"] == approx(rate / tp * 100)
        assert row["light"] == expected_light(rate, 6)
        assert row["status"] == "valid"
    # The edges, stated plainly: 29.5 % → ratio 59 red; exactly 30 % in June → ratio 60 → yellow.
    assert projects.loc["P01", "light"] == "red"
    assert projects.loc["P03", "ratio"] == 60.0
    assert projects.loc["P03", "light"] == "yellow"
    assert projects.loc["P02", "light"] == "green"
    # Invalid and missing returns: no values, no light, never zeros.
    for code, status in (("P04", "invalid"), ("P05", "missing")):
        row = projects.loc[code]
        assert row["status"] == status
        assert pd.isna(row["light"])
        for col in ("budget_adjusted", "spend_to_date", "execution_rate", "gap_time_pp", "spend_projected"):
            assert math.isnan(row[col]), (code, col)
        assert row["budget"] == float(BUDGET[code])
    assert projects.loc["P05", "light_label"] == "未报送"
    assert projects.loc["P04", "light_label"] == "有错误"
    assert projects.loc["P01", "light_label"] == "红灯"


def test_exact_edge_at_eighty_and_january() -> None:
    dept = small_department()
    jan = Period(2025, 1)
    # January: 序时进度 = 100/12 %; a ratio of exactly 80 is a rate of 20/3 %: 20 × (1/15) = 4/3 spend.
    # Use adjusted 12 and spend 0.8: rate 6.666…%, ratio exactly 80 → green; 0.72 → ratio 72 → yellow;
    # 0.6 → ratio exactly 60 → yellow; 0.59 → ratio 59 → red.
    cases = {"P01": ("0.8", "green"), "P02": ("0.72", "yellow"), "P03": ("0.6", "yellow"), "P04": ("0.59", "red")}
    subs = [submission(code, jan, adjusted="12", spend=spend, projected="12") for code, (spend, _) in cases.items()]
    summary = consolidate(dept, subs, jan)
    projects = summary.projects.set_index("code")
    for code, (spend, light) in cases.items():
        rate = F(spend) / 12 * 100
        assert expected_light(rate, 1) == light
        assert projects.loc[code, "light"] == light, code
        assert projects.loc[code, "ratio"] == approx(rate / (F(100, 12)) * 100)
    # Configurable thresholds: with red=85 the ratio-80 project turns red.
    strict = consolidate(dept, subs, jan, thresholds=Thresholds(85, 90))
    assert strict.projects.set_index("code").loc["P01", "light"] == "red"
    with pytest.raises(ValueError):
        Thresholds(90, 80)


def test_department_totals_over_reported_projects_only() -> None:
    summary = consolidate(small_department(), june_returns(), JUNE)
    t = summary.totals
    adjusted = sum(a for a, _, _ in VALID.values())
    spend = sum(s for _, s, _ in VALID.values())
    projected = sum(p for _, _, p in VALID.values())
    rate = spend / adjusted * 100
    assert t.budget == Decimal("80.50")  # every project's 年初预算, from the registry
    assert float(t.budget) == float(sum(BUDGET.values()))
    assert float(t.budget_reported) == float(BUDGET["P01"] + BUDGET["P02"] + BUDGET["P03"])  # type: ignore[arg-type]
    assert float(t.adjusted_budget) == approx(adjusted)  # type: ignore[arg-type]
    assert float(t.spend_to_date) == approx(spend)  # type: ignore[arg-type]
    assert float(t.execution_rate) == approx(rate)  # type: ignore[arg-type]
    assert float(t.projected_spend) == approx(projected)  # type: ignore[arg-type]
    assert float(t.time_progress) == 50.0
    assert float(t.plan_progress) == approx(F(50))  # type: ignore[arg-type]
    assert float(t.gap_time_pp) == approx(rate - 50)  # type: ignore[arg-type]
    assert t.light == expected_light(rate, 6)
    assert (t.projects, t.projects_reported, t.projects_invalid, t.projects_missing) == (5, 3, 1, 1)
    assert t.returns_received == 4
    assert dict(t.budget_lights) == {"red": 1, "yellow": 1, "green": 1}


def test_plan_progress_weighted_by_adjusted_budget() -> None:
    dept = small_department()
    july = Period(2025, 7)  # between the June (50) and October (75) checkpoints: 56.25
    subs = [submission("P01", july, adjusted="40", spend="10", projected="40"),
            submission("P02", july, adjusted=None, spend="10", projected="30.5")]
    t = consolidate(dept, subs, july).totals
    assert float(t.plan_progress) == approx(F("56.25"))  # type: ignore[arg-type]
    assert float(t.adjusted_budget) == approx(F(40) + F("30.5"))  # type: ignore[arg-type]


def test_indicators_cover_the_whole_year_with_lights_on_the_projection() -> None:
    summary = consolidate(small_department(), june_returns(), JUNE)
    ind = summary.indicators.set_index(["code", "n"])
    assert len(summary.indicators) == 10  # every indicator of the year, reported or not
    expected = {
        ("P01", 1): ("yellow", F(80) / 200 * 100),  # 190 < 200 → misses
        ("P01", 2): ("green", F(96) / 95 * 100),
        ("P01", 3): ("green", None),  # 定性 projection 达成
        ("P01", 4): ("green", 2 * 100 - F(3) / 2 * 100),  # actual 3 > 2: (2 − 3/2) × 100 = 50
        ("P02", 1): ("green", F(60)),
        ("P02", 2): ("red", F(0)),  # 完全不可能; actual 600 < 2×500 → (2 − 600/500) × 100 = 80
        ("P03", 1): ("green", F(10) / 30 * 100),
        ("P03", 2): ("green", F(100)),
    }
    expected[("P02", 2)] = ("red", (2 - F(600) / 500) * 100)
    for key, (light, attainment) in expected.items():
        row = ind.loc[key]
        assert row["light"] == light, key
        if attainment is None:
            assert math.isnan(row["attainment"])
        else:
            assert row["attainment"] == approx(attainment), key
    for key in (("P04", 1), ("P05", 1)):
        row = ind.loc[key]
        assert pd.isna(row["light"]) and pd.isna(row["actual"]) and pd.isna(row["projection"])
    assert ind.loc[("P04", 1), "status"] == "invalid"
    assert ind.loc[("P01", 3), "actual"] == "部分达成"
    assert ind.loc[("P01", 1), "explanation"] == "案件数量受来访量影响，将加强宣传"


def test_qualitative_lights_and_unknown_projection() -> None:
    dept = small_department()
    subs = [submission("P01", JUNE, adjusted="20", spend="10", projected="20", indicators=(
        indicator_return(1, 10, None), indicator_return(3, "未达成", "未达成", "有可能")))]
    ind = consolidate(dept, subs, JUNE).indicators.set_index(["code", "n"])
    assert ind.loc[("P01", 3), "light"] == "red"
    assert pd.isna(ind.loc[("P01", 1), "light"])  # no projection: no guess
    assert pd.isna(ind.loc[("P01", 2), "light"])  # not in the return at all


def test_warnings_and_sections() -> None:
    summary = consolidate(small_department(), june_returns(), JUNE)
    w = summary.warnings
    pairs = list(zip(w["kind"], w["level"], w["code"], w["n"].astype(object).where(w["n"].notna(), None), strict=True))
    assert pairs == [
        ("return", "invalid", "P04", None),
        ("return", "missing", "P05", None),
        ("budget", "red", "P01", None),
        ("budget", "yellow", "P03", None),
        ("indicator", "red", "P02", 2),
        ("indicator", "yellow", "P01", 1),
    ]
    assert all(isinstance(r, str) and r for r in w["reason"])
    red = w[(w["kind"] == "budget") & (w["level"] == "red")].iloc[0]
    assert "执行率29.5%" in red["reason"] and "序时进度50.0%" in red["reason"]
    assert "部分案件尚未结案" in red["explanation"]
    sections = summary.sections.set_index("section")
    assert list(summary.sections["section"]) == ["办公室", "基层科", "社区矫正管理科"]
    base = sections.loc["基层科"]
    assert (base["projects"], base["reported"], base["missing"], base["red"], base["yellow"], base["green"]) == (2, 2, 0, 0, 1, 1)
    assert base["execution_rate"] == approx((F("15.25") + 3) / (F("30.5") + 10) * 100)
    corr = sections.loc["社区矫正管理科"]
    assert (corr["received"], corr["invalid"], corr["missing"]) == (1, 1, 1)
    assert math.isnan(corr["execution_rate"])
    assert corr["missing_projects"] == "安置帮教经费"
    assert corr["chief"] == "王强"
    # Every issue of the period's returns, also those of the invalid one.
    assert sorted(summary.issues["issue_code"]) == ["late-date", "not-a-number"]


def test_duplicates_strays_and_missing_status() -> None:
    dept = small_department()
    first = submission("P01", JUNE, adjusted="20", spend="1", projected="20")
    later = submission("P01", JUNE, adjusted="20", spend="2", projected="20")
    broken = submission("P01", JUNE, adjusted="20", spend="9", projected="20", status=SubmissionStatus.INVALID)
    stray = submission("P09", JUNE, adjusted="1", spend="1", projected="1")
    may = submission("P02", Period(2025, 5), adjusted="1", spend="1", projected="1")
    # P03 has only invalid returns: the newest stands for it (有错误), its values do not count.
    p03_old = submission("P03", JUNE, adjusted="10", spend="1", projected="10", status=SubmissionStatus.INVALID)
    p03_new = submission("P03", JUNE, adjusted="10", spend="2", projected="10", status=SubmissionStatus.INVALID)
    summary = consolidate(dept, [first, later, broken, stray, may, p03_old, p03_new], JUNE)
    projects = summary.projects.set_index("code")
    assert projects.loc["P01", "spend_to_date"] == 2.0  # valid beats invalid; later beats earlier
    assert projects.loc["P02", "status"] == "missing"
    assert projects.loc["P03", "status"] == "invalid" and math.isnan(projects.loc["P03", "spend_to_date"])
    ignored = summary.warnings[summary.warnings["level"] == "ignored"]
    assert sorted(ignored["code"]) == ["P02", "P09"]


def test_json_contract() -> None:
    summary = consolidate(small_department(), june_returns(), JUNE)
    data = json.loads(json.dumps(summary.to_json(), ensure_ascii=False))
    assert set(data) == {"period", "time_progress", "totals", "projects", "indicators", "warnings", "overall"}
    assert data["period"] == "2025-06" and data["time_progress"] == 50.0
    assert data["overall"] is None  # the small registry states no department-wide target
    adjusted = sum(a for a, _, _ in VALID.values())
    spend = sum(s for _, s, _ in VALID.values())
    assert data["totals"] == {
        "budget": 80.5,
        "adjusted_budget": approx(adjusted),
        "spend_to_date": approx(spend),
        "execution_rate": approx(spend / adjusted * 100),
        "projected_spend": approx(F(18) + F("30.5") + 10),
        # No project of the small registry has 其他资金: all of it is 财政资金.
        "fiscal": {"adjusted_budget": approx(adjusted), "spend_to_date": approx(spend),
                   "projected_spend": approx(F(18) + F("30.5") + 10)},
        "other": {"adjusted_budget": 0.0, "spend_to_date": 0.0, "projected_spend": 0.0},
    }
    by_code = {p["code"]: p for p in data["projects"]}
    p01_money = {"adjusted_budget": 20.0, "spend_to_date": approx(5.9), "projected_spend": 18.0}
    assert by_code["P01"] == {"code": "P01", "budget": float(BUDGET["P01"]), **p01_money,
                              "execution_rate": approx(F("29.5")), "plan_progress": 50.0,
                              "light": "red", "status": "valid", "fiscal": p01_money,
                              "other": {"adjusted_budget": 0.0, "spend_to_date": 0.0, "projected_spend": 0.0}}
    assert by_code["P03"]["execution_rate"] == 30.0 and by_code["P03"]["light"] == "yellow"
    nothing = {"adjusted_budget": None, "spend_to_date": None, "projected_spend": None}
    assert by_code["P05"] == {"code": "P05", "budget": float(BUDGET["P05"]), **nothing,
                              "execution_rate": None, "plan_progress": 50.0, "light": None,
                              "status": "missing", "fiscal": nothing, "other": nothing}
    assert by_code["P04"]["status"] == "invalid" and by_code["P04"]["execution_rate"] is None
    inds = {(i["code"], i["n"]): i for i in data["indicators"]}
    assert len(inds) == 10
    assert inds[("P01", 3)] == {"code": "P01", "n": 3, "actual": "部分达成", "projection": "达成", "light": "green"}
    assert inds[("P01", 1)]["actual"] == 80.0 and inds[("P01", 1)]["projection"] == 190.0
    assert inds[("P05", 1)] == {"code": "P05", "n": 1, "actual": None, "projection": None, "light": None}
    assert [(w["kind"], w["level"], w["code"]) for w in data["warnings"]][:2] == [
        ("return", "invalid", "P04"), ("return", "missing", "P05")]


def test_no_returns_at_all() -> None:
    summary = consolidate(small_department(), [], JUNE)
    t = summary.totals
    assert t.execution_rate is None and t.spend_to_date is None and t.light is None
    assert t.projects_missing == 5
    data = summary.to_json()
    assert data["totals"]["execution_rate"] is None and data["totals"]["budget"] == 80.5


def test_trend_from_history() -> None:
    dept = small_department()
    history = {
        Period(2025, 3): [submission("P01", Period(2025, 3), adjusted="20", spend="2", projected="20")],
        Period(2025, 5): [submission("P01", Period(2025, 5), adjusted="20", spend="4", projected="20"),
                          submission("P02", Period(2025, 5), adjusted="30.5", spend="6.1", projected="30")],
        Period(2025, 8): [],  # later than the period: ignored
    }
    trend = consolidate(dept, june_returns(), JUNE, history=history).trend
    dept_rows = trend[trend["scope"] == "department"].set_index("period")
    assert list(dept_rows.index) == ["2025-03", "2025-05", "2025-06"]
    assert dept_rows.loc["2025-03", "execution_rate"] == approx(F(2) / 20 * 100)
    assert dept_rows.loc["2025-05", "execution_rate"] == approx((F(4) + F("6.1")) / (20 + F("30.5")) * 100)
    assert dept_rows.loc["2025-05", "time_progress"] == approx(F(5, 12) * 100)
    assert dept_rows.loc["2025-05", "plan_progress"] == approx(F(25) + F(25) * F(2, 3))
    p02 = trend[trend["scope"] == "P02"].set_index("period")
    assert math.isnan(p02.loc["2025-03", "execution_rate"])
    assert p02.loc["2025-06", "execution_rate"] == 50.0
