"""The self-evaluation end to end (issue 15): December returns with each formula's edges are filled into
real templates, collected into a workspace's ledger, scored by ``self_evaluate`` through the ledger and
written out; every rounded score, total and grade is checked against a computation written here in
exact fractions (never by calling perfsheet's scoring), and the 自评表 and the report against the
returns' own figures."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from ledger_helpers import make_workspace

from perfsheet.model import Department, Indicator, Period, PlanPoint, Project, Section
from perfsheet.selfeval.run import evaluate_year, selfeval_dir
from perfsheet.selfeval.score import SelfEvaluation
from perfsheet.targets import parse_target
from perfsheet.template.build import build_template, fill_template
from perfsheet.workspace import Workspace

DECEMBER = Period(2025, 12)
LEVEL1_WEIGHTS = {"产出指标": 50, "效益指标": 30, "满意度指标": 10}  # the default rules, stated here
BUDGET_WEIGHT = 10


@dataclass(frozen=True)
class Case:
    """A project whose December return the test writes: (一级, 指标值, 实际完成值) per indicator."""

    code: str
    indicators: tuple[tuple[str, str, str], ...]
    budget: tuple[str, str]  # 年初 total, of which 其他资金
    adjusted: tuple[str, str]  # 全年预算数 total, 其他资金
    spend: tuple[str, str]  # 全年执行数 total, 其他资金
    grade: str  # the literal grade the computation below gives
    budget_explanation: str = ""


CASES = (
    # Every target met exactly (a = t, for ≥ ≤ = and 定性), 50 / 3 and 10 / 3 shared in cents.
    Case("E1", (("产出指标", "≥90%", "90"), ("产出指标", "≤0.2%", "0.2"), ("产出指标", "=12次", "12"),
                ("效益指标", "化解社会矛盾", "达成"),
                ("满意度指标", "≥95%", "95"), ("满意度指标", "≥90%", "90"), ("满意度指标", "≥85%", "85")),
         ("10", "2"), ("10", "2"), ("10", "2"), "优"),
    # Negative targets: a = 2t scores 0, half-way scores half (8.335 → 8.34); 未达成; 90 / 95; 80 % spent.
    Case("E2", (("产出指标", "≤0.2%", "0.4"), ("产出指标", "≤0.2%", "0.3"), ("产出指标", "≤10天", "15"),
                ("效益指标", "社会影响明显", "未达成"), ("满意度指标", "≥95%", "90")),
         ("10", "2"), ("10", "2"), ("8", "1"), "差", "两项采购合同顺延到次年一月支付。"),
    # Targets of 0: ≥0 met by 1, >0 not met by 0, ≤0 met by 0, =0 not met by 1; 部分达成.
    Case("E3", (("产出指标", "≥0次", "1"), ("产出指标", ">0次", "0"), ("产出指标", "≤0起", "0"),
                ("产出指标", "=0起", "1"), ("效益指标", "覆盖全区", "部分达成"), ("满意度指标", "≥95%", "95")),
         ("20", "0"), ("20", "0"), ("20", "0"), "中"),
    # Ties at half a cent, rounded up: 3 / 20 × 7.5 = 1.125, (2 − 5 / 4) × 7.5 = 5.625; 3 / 8 × 12.5 = 4.6875.
    Case("E4", (("产出指标", "≥8件", "3"), ("产出指标", "≥8件", "8"), ("产出指标", "≥8件", "8"), ("产出指标", "≥8件", "8"),
                ("效益指标", "≥20场", "3"), ("效益指标", "≤4天", "5"), ("效益指标", "≥20场", "20"),
                ("效益指标", "≥20场", "20"), ("满意度指标", "≥90%", "99")),
         ("5", "1"), ("5", "1"), ("5", "1"), "良"),
)
SILENT = "E5"  # sends nothing: 未报送, no score, not in the department's total


def _department() -> Department:
    plan = (PlanPoint(6, Decimal(50)), PlanPoint(12, Decimal(100)))

    def project(code: str, specs: tuple[tuple[str, str, str], ...], budget: tuple[str, str]) -> Project:
        indicators = tuple(Indicator(n, level1, "二级指标", f"{code}指标{n}", "", parse_target(raw), "")
                           for n, (level1, raw, _actual) in enumerate(specs, start=1))
        total, other = Decimal(budget[0]), Decimal(budget[1])
        return Project(code, f"测试项目{code}", total, total - other, other, "", f"{code}的年度目标", plan, indicators,
                       "业务科")

    projects = [project(c.code, c.indicators, c.budget) for c in CASES]
    projects.append(project(SILENT, (("产出指标", "≥10次", ""),), ("10", "0")))
    return Department("测试司法局", 2025, (Section("业务科", chief="张三", email="zhang@example.org"),), tuple(projects))


def _values(case: Case, project: Project) -> dict[str, object]:
    values: dict[str, object] = {
        "budget.adjusted": Decimal(case.adjusted[0]), "budget.adjusted.other": Decimal(case.adjusted[1]),
        "spend.to_date": Decimal(case.spend[0]), "spend.to_date.other": Decimal(case.spend[1]),
        "spend.projected": Decimal(case.spend[0]), "spend.projected.other": Decimal(case.spend[1]),
        "goal.progress": "全年工作已完成。", "contact.name": "张三", "contact.phone": "0315-1234567",
        "contact.date": dt.date(2026, 1, 5), "contact.head": "李四",
    }
    if case.budget_explanation:
        values["budget.explanation"] = case.budget_explanation
    for ind, (_level1, _raw, actual) in zip(project.indicators, case.indicators, strict=True):
        value: object = actual if ind.target.is_qualitative else Decimal(actual)
        values |= {f"ind.{ind.n}.actual": value, f"ind.{ind.n}.projection": value,
                   f"ind.{ind.n}.likelihood": "确定能", f"ind.{ind.n}.deviation": "无偏差",
                   f"ind.{ind.n}.explanation": f"第{ind.n}项的偏差原因。"}
    return values


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, SelfEvaluation]:
    root = tmp_path_factory.mktemp("selfeval-ledger")
    department = _department()
    ws = make_workspace(root / "ws", department)
    returns = root / "returns"
    returns.mkdir()
    for case in CASES:
        project = department.project(case.code)
        template = build_template(department, project, DECEMBER)
        (returns / f"{case.code}.xlsx").write_bytes(fill_template(template, _values(case, project)))
    proc = subprocess.run([sys.executable, "-m", "perfsheet", "collect", "--period", "2025-12", "--from", str(returns),
                           "--workspace", str(ws.root), "--json"], capture_output=True, text=True, encoding="utf-8",
                          check=False)
    assert proc.returncode in (0, 1), proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert len(files) == len(CASES) and all(f["status"] == "valid" for f in files), files
    proc = subprocess.run([sys.executable, "-m", "perfsheet", "selfeval", "--year", "2025", "--workspace", str(ws.root)],
                          capture_output=True, text=True, encoding="utf-8", check=False)
    assert proc.returncode == 1, proc.stderr  # E5 is not scored
    return ws, evaluate_year(ws, 2025)


# --- the published rules, in exact fractions -------------------------------------------------------------


def _round(value: Fraction) -> Fraction:
    """Half-up to the cent (all scores here are ≥ 0): floor(100 v + 1/2) / 100."""
    return Fraction((100 * value + Fraction(1, 2)).__floor__(), 100)


def _weights(case: Case) -> list[Fraction]:
    """Each 一级's weight in whole cents, the first indicators of it taking the cents left over."""
    counts = {level1: sum(1 for s in case.indicators if s[0] == level1) for level1 in LEVEL1_WEIGHTS}
    seen: dict[str, int] = {}
    out = []
    for level1, _raw, _actual in case.indicators:
        base, extra = divmod(LEVEL1_WEIGHTS[level1] * 100, counts[level1])
        k = seen.get(level1, 0)
        seen[level1] = k + 1
        out.append(Fraction(base + (1 if k < extra else 0), 100))
    return out


def _score(raw: str, actual: str, w: Fraction) -> Fraction:
    shares = {"达成": Fraction(1), "部分达成": Fraction(7, 10), "未达成": Fraction(3, 10)}
    if actual in shares:
        return w * shares[actual]
    op = raw[0] if raw[0] in "≥>≤<=" else "≥"
    t = Fraction(raw.lstrip("≥>≤<=").rstrip("%次天起件场"))
    a = Fraction(actual)
    if t == 0:
        return w if {"≥": a >= 0, ">": a > 0}.get(op, a <= 0) else Fraction(0)
    if op in "≤<":
        return w if a <= t else Fraction(0) if a >= 2 * t else (1 - (a - t) / t) * w
    return w if a >= t else a / t * w


def _grade(total: Fraction) -> str:
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


@pytest.mark.parametrize("case", CASES, ids=[c.code for c in CASES])
def test_each_score_total_and_grade_from_the_ledger(collected: tuple[Workspace, SelfEvaluation], case: Case) -> None:
    ws, evaluation = collected
    scored = next(p for p in evaluation.projects if p.code == case.code)
    assert scored.status == "scored" and scored.source == "2025-12"
    budget = _round(min(Fraction(case.spend[0]) / Fraction(case.adjusted[0]), Fraction(1)) * BUDGET_WEIGHT)
    expected = [_round(_score(raw, actual, w))
                for (_l1, raw, actual), w in zip(case.indicators, _weights(case), strict=True)]
    assert Fraction(scored.budget_score or 0) == budget
    assert [Fraction(i.weight) for i in scored.indicators] == _weights(case)
    assert [Fraction(i.score or 0) for i in scored.indicators] == expected
    total = budget + sum(expected)
    assert Fraction(scored.total or 0) == total
    assert _grade(total) == case.grade == evaluation.rules.grade(scored.total or Decimal(0))
    # The JSON of the CLI says the same, as numbers with two decimals.
    proc = subprocess.run([sys.executable, "-m", "perfsheet", "selfeval", "--year", "2025", "--workspace",
                           str(ws.root), "--json"], capture_output=True, text=True, encoding="utf-8", check=False)
    row = next(p for p in json.loads(proc.stdout)["projects"] if p["code"] == case.code)
    assert [Fraction(str(i["score"])) for i in row["indicators"]] == expected
    assert (Fraction(str(row["total"])), row["grade"]) == (total, case.grade)


def test_the_edges_computed_here_are_the_ones_meant() -> None:
    """The hand-picked figures (against a slip in the cases above)."""
    e4 = CASES[3]
    weights = _weights(e4)
    assert _score("≥20场", "3", weights[4]) == Fraction("1.125") and _round(Fraction("1.125")) == Fraction("1.13")
    assert _score("≤4天", "5", weights[5]) == Fraction("5.625") and _round(Fraction("5.625")) == Fraction("5.63")
    assert _weights(CASES[0]) == [Fraction("16.67"), Fraction("16.67"), Fraction("16.66"), Fraction(30),
                                  Fraction("3.34"), Fraction("3.33"), Fraction("3.33")]


def test_the_department_leaves_out_the_silent_project(collected: tuple[Workspace, SelfEvaluation]) -> None:
    _ws, evaluation = collected
    silent = next(p for p in evaluation.projects if p.code == SILENT)
    assert silent.status == "missing" and silent.total is None
    budgets = {c.code: Fraction(c.budget[0]) for c in CASES}
    totals = {p.code: Fraction(p.total or 0) for p in evaluation.scored}
    expected = sum(budgets[c] * totals[c] for c in budgets) / sum(budgets.values())
    assert Fraction(evaluation.total or 0) == _round(expected)


def _sheet_rows(path: Path, sheet: str) -> dict[str, list[object]]:
    """Label in column B (the 资金类别) → that row's values, as openpyxl reads the written workbook."""
    rows = openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)
    return {str(row[1]): list(row) for row in rows if row[1] is not None}


def test_the_self_evaluation_table_shows_the_fiscal_and_other_money(collected: tuple[Workspace, SelfEvaluation]) -> None:
    ws, _evaluation = collected
    folder = selfeval_dir(ws, 2025)
    workbook = next(folder.glob("*项目支出绩效自评表.xlsx"))
    e2 = CASES[1]
    rows = _sheet_rows(workbook, "E2")
    total, other = (Decimal(x) for x in e2.adjusted)
    spend, spend_other = (Decimal(x) for x in e2.spend)
    # 财政拨款 is the total less 其他资金; 执行率 = 执行数 / 全年预算数 (the cell holds the fraction).
    assert rows["其中：财政拨款"][2:8] == [float(total - other), float(total - other), float(spend - spend_other), None,
                                     pytest.approx(float((spend - spend_other) / (total - other))), None]
    assert rows["其他资金"][2:8] == [float(other), float(other), float(spend_other), None,
                                 pytest.approx(float(spend_other / other)), None]
    assert rows["年度资金总额"][5] == BUDGET_WEIGHT and rows["年度资金总额"][7] == 8.0
    # The silent project: the budget's 分值 printed, its 得分 says why there is none.
    silent = _sheet_rows(workbook, SILENT)
    assert silent["年度资金总额"][5] == BUDGET_WEIGHT and silent["年度资金总额"][7] == "未报送"
    department = _sheet_rows(next(folder.glob("*部门整体支出绩效自评表.xlsx")), "部门整体")
    scored_other = sum(Decimal(c.adjusted[1]) for c in CASES)
    assert department["其他资金"][3] == float(scored_other)
    assert department["其中：财政拨款"][3] == float(sum(Decimal(c.adjusted[0]) for c in CASES) - scored_other)


def test_the_report_quotes_the_budget_explanation(collected: tuple[Workspace, SelfEvaluation]) -> None:
    ws, _evaluation = collected
    report = next(selfeval_dir(ws, 2025).glob("*绩效自评报告.md")).read_text(encoding="utf-8")
    problems = report.split("存在的问题及原因", 1)[1].split("改进措施及结果应用", 1)[0]
    assert "测试项目E2预算执行率80.0%" in problems and CASES[1].budget_explanation in problems
