"""Ingest asks for an explanation on a red budget light with the same exact rule consolidation uses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from ingest_helpers import corpus_department, good_values

from perfsheet.consolidate.build import consolidate
from perfsheet.ingest.check import read_submission
from perfsheet.model import Issue, Period, Submission
from perfsheet.rules import MonitoringRules
from perfsheet.template.build import build_template, fill_template

FEBRUARY = Period(2025, 2)  # 序时进度 16.67 %: 100/12 does not terminate, so rounding would bite


@pytest.mark.parametrize(("rate", "light"), [(Decimal(10), "yellow"), (Decimal("9.99"), "red")])
def test_ratio_exactly_60_is_yellow_and_the_lights_ask_the_budget_explanation(
    tmp_path: Path, rate: Decimal, light: str
) -> None:
    department = corpus_department()
    project = department.projects[0]
    values = good_values(project)
    values["contact.date"] = dt.date(2025, 3, 5)
    values["spend.to_date"] = project.budget * rate / 100  # ratio = rate / 16.67 × 100: 60 at 10 %

    def ingest(extra: dict[str, object], rules: MonitoringRules | None = None) -> tuple[Submission | None, list[Issue]]:
        path = tmp_path / "return.xlsx"
        path.write_bytes(fill_template(build_template(department, project, FEBRUARY), {**values, **extra}))
        return read_submission(path, department=department, period=FEBRUARY, rules=rules)

    def asked(issues: list[Issue]) -> list[tuple[str, str]]:
        return [(i.cell, i.code) for i in issues if i.code == "budget-explanation-required"]

    # By default red and yellow ask for 预算执行偏差原因及改进措施, in its own cell (B12), never on an indicator.
    _, issues = ingest({})
    assert asked(issues) == [("B12", "budget-explanation-required")], [(i.cell, i.code) for i in issues]
    assert not [i for i in issues if i.code == "explanation-required"]
    # A bureau that asks it for red only: the yellow return needs none.
    _, issues = ingest({}, MonitoringRules(budget_explanation_lights=frozenset({"red"})))
    assert bool(asked(issues)) == (light == "red"), [(i.cell, i.code) for i in issues]
    # With the explanation given the return is valid either way, and consolidation shows the same light.
    explained, issues = ingest({"budget.explanation": "序时进度偏慢，下月集中支付"})
    assert explained is not None and not issues, [(i.cell, i.code) for i in issues]
    summary = consolidate(department, [explained], FEBRUARY)
    assert summary.projects.set_index("code").loc[project.code, "light"] == light
