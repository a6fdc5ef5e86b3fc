"""Consolidation benchmark: 1,000 generated projects × 12 monthly periods.

Prints the median milliseconds per consolidation (one period, 1,000 returns) and per project, for the
plain month and for December with the eleven earlier months as history (the 趋势 sheet), plus the
summary workbook write. Run: ``python benchmarks/bench_consolidate.py [--projects N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from perfsheet.consolidate.build import consolidate
from perfsheet.model import (
    Department,
    Indicator,
    IndicatorReturn,
    Op,
    Period,
    PlanPoint,
    Project,
    Section,
    Submission,
    SubmissionStatus,
    Target,
)
from perfsheet.report.workbook import build_summary_workbook

PLAN = (PlanPoint(3, Decimal(25)), PlanPoint(6, Decimal(50)), PlanPoint(10, Decimal(75)), PlanPoint(12, Decimal(100)))
TARGETS = (
    Target("≥100件", Op.GE, Decimal(100), "件"),
    Target("≥95%", Op.GE, Decimal(95), "%"),
    Target("≤0.2%", Op.LE, Decimal("0.2"), "%"),
    Target("化解社会矛盾", Op.QUALITATIVE),
    Target("≤10万元", Op.LE, Decimal(10), "万元"),
    Target("100%", Op.EQ, Decimal(100), "%"),
    Target("≥90%", Op.GE, Decimal(90), "%"),
    Target("≤10天", Op.LE, Decimal(10), "天"),
)


def make_department(n_projects: int) -> Department:
    sections = tuple(Section(f"第{i}科", "", f"科长{i}", f"s{i}@example.cn") for i in range(1, 21))
    projects = []
    for i in range(n_projects):
        indicators = tuple(
            Indicator(n, ("产出指标", "效益指标", "满意度指标")[n % 3], "数量指标", f"指标{n}", "", target, "")
            for n, target in enumerate(TARGETS, start=1)
        )
        budget = Decimal(10 + i % 90) + Decimal(i % 100) / 100
        projects.append(Project(f"P{i:05d}", f"项目{i}", budget, budget, Decimal(0), "", "", PLAN, indicators,
                                sections[i % len(sections)].name))
    return Department("基准局", 2025, sections, tuple(projects))


def make_returns(department: Department, period: Period, rng: random.Random) -> list[Submission]:
    subs = []
    for project in department.projects:
        roll = rng.random()
        if roll < 0.05:
            continue  # missing
        share = Decimal(rng.randint(20, 120)) / 100 * period.time_progress / 100
        indicators = []
        for ind in project.indicators:
            value: Decimal | str = "达成" if ind.target.is_qualitative else (ind.target.value or Decimal(0))
            likelihood = "确定能" if rng.random() > 0.1 else "有可能"
            indicators.append(IndicatorReturn(ind.n, value, value, likelihood, "无偏差", None))
        subs.append(Submission(
            project.code, period, budget_adjusted=project.budget, spend_to_date=(project.budget * share).quantize(Decimal("0.01")),
            spend_projected=project.budget, indicators=tuple(indicators),
            status=SubmissionStatus.INVALID if roll < 0.07 else SubmissionStatus.VALID,
        ))
    return subs


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20250630)
    department = make_department(args.projects)
    months = [Period(2025, m) for m in range(1, 13)]
    returns = {p: make_returns(department, p, rng) for p in months}
    n = len(department.projects)

    per_month = [timed(lambda p=p: consolidate(department, returns[p], p), args.repeat) for p in months]
    median = statistics.median(per_month)
    print(f"consolidate: {n} projects × {len(months)} periods ({department.indicator_count} indicators per period)")
    print(f"  median per consolidation: {median:.1f} ms · per project: {median / n * 1000:.1f} µs")

    december = months[-1]
    history = {p: returns[p] for p in months[:-1]}
    with_history = timed(lambda: consolidate(department, returns[december], december, history=history), args.repeat)
    print(f"  December with 11 months of history (趋势): {with_history:.1f} ms · per project: "
          f"{with_history / n * 1000:.1f} µs")

    summary = consolidate(department, returns[december], december, history=history)
    workbook_ms = timed(lambda: build_summary_workbook(summary), 1)
    with tempfile.TemporaryDirectory() as tmp:
        size = (Path(tmp) / "s.xlsx")
        size.write_bytes(build_summary_workbook(summary))
        print(f"  summary workbook: {workbook_ms:.0f} ms, {size.stat().st_size / 1024:.0f} KiB "
              f"(per project {workbook_ms / n:.2f} ms)")


if __name__ == "__main__":
    main()
