"""Helpers for ingest's tests: the return corpus, its registry and a good return of any project."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from perfsheet.goals.registry import load_goals
from perfsheet.model import Department, Period, Project

RETURNS = Path(__file__).resolve().parent / "data" / "returns"
HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
REFRESH = "python scripts/make_return_corpus.py"


def corpus_expectations() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RETURNS / "expected.json").read_text(encoding="utf-8"))
    return data


def corpus_department() -> Department:
    return load_goals(RETURNS / "goals.yaml")


def corpus_period() -> Period:
    return Period.parse(corpus_expectations()["period"])


def good_values(project: Project) -> dict[str, object]:
    """A complete valid return (same as the corpus script's base case)."""
    values: dict[str, object] = {
        "budget.adjusted": project.budget,
        "spend.to_date": project.budget / 2,
        "spend.projected": project.budget,
        "goal.progress": "按计划推进",
        "contact.name": "陈刚",
        "contact.phone": "0315-2345678",
        "contact.date": dt.date(2025, 7, 5),
        "contact.head": "王敏",
    }
    for indicator in project.indicators:
        target = indicator.target
        value: object = "达成" if target.is_qualitative else target.value
        values[f"ind.{indicator.n}.actual"] = value
        values[f"ind.{indicator.n}.projection"] = value
        values[f"ind.{indicator.n}.likelihood"] = "确定能"
        values[f"ind.{indicator.n}.deviation"] = "无偏差"
    return values
