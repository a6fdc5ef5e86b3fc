"""The consolidated month (:class:`Summary`) and the department totals (:class:`Totals`).

What :func:`perfsheet.consolidate.build.consolidate` produces and every report reads: the frames
for the workbook, the totals and context for the narrative, and the JSON of ``perfsheet
consolidate --json``. Frames store floats, unrounded; missing values are NaN/None, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from perfsheet.model import Period
from perfsheet.rules import Thresholds

__all__ = ["MoneyPart", "Summary", "Totals", "is_missing"]


@dataclass(frozen=True, slots=True)
class MoneyPart:
    """The 财政资金 or 其他资金 part of the department's money, over the same projects as the totals."""

    adjusted_budget: Decimal | None = None  # 调整后预算数
    spend_to_date: Decimal | None = None  # 1-X月执行数
    projected_spend: Decimal | None = None  # 全年预计执行数

    @property
    def execution_rate(self) -> Decimal | None:
        if self.spend_to_date is None or not self.adjusted_budget:
            return None
        return self.spend_to_date / self.adjusted_budget * Decimal(100)

    def to_json(self) -> dict[str, float | None]:
        return {
            "adjusted_budget": _json_num(self.adjusted_budget),
            "spend_to_date": _json_num(self.spend_to_date),
            "projected_spend": _json_num(self.projected_spend),
        }


@dataclass(frozen=True, slots=True)
class Totals:
    """Department totals. Sums and rates are over the reported (valid) projects only; see the counts."""

    budget: Decimal  # 年初预算数 of every project in the registry
    budget_reported: Decimal | None  # 年初预算数 of the reported projects
    adjusted_budget: Decimal | None  # 调整后预算数, reported projects
    spend_to_date: Decimal | None  # 1-X月执行数, reported projects
    execution_rate: Decimal | None  # 执行率 %, reported projects
    projected_spend: Decimal | None  # 全年预计执行数, reported projects that gave it
    time_progress: Decimal  # 序时进度 %
    plan_progress: Decimal | None  # 计划进度 %, weighted by the reported projects' adjusted budgets
    gap_time_pp: Decimal | None  # 执行率 − 序时进度, percentage points
    gap_plan_pp: Decimal | None  # 执行率 − 计划进度, percentage points
    ratio: Decimal | None  # 执行率 / 序时进度 × 100
    light: str | None
    projects: int
    projects_reported: int
    projects_invalid: int
    projects_missing: int
    indicators: int
    budget_lights: Mapping[str, int] = field(default_factory=dict)  # red/yellow/green → count
    indicator_lights: Mapping[str, int] = field(default_factory=dict)
    fiscal: MoneyPart = field(default_factory=MoneyPart)  # 其中：财政资金
    other: MoneyPart = field(default_factory=MoneyPart)  # 其他资金

    @property
    def returns_received(self) -> int:
        return self.projects_reported + self.projects_invalid


@dataclass(frozen=True, slots=True)
class Summary:
    """The consolidated month: frames for the workbook, totals and context for the narrative.

    Frames (one row each): ``projects`` per project (registry order), ``indicators`` per indicator of the
    year, ``sections`` per 科室, ``warnings`` per red/yellow light and per missing/invalid return,
    ``issues`` per data problem of the period's returns, ``trend`` per period × (department | project).
    """

    department: str
    year: int
    period: Period
    time_progress: Decimal
    thresholds: Thresholds
    totals: Totals
    projects: pd.DataFrame
    indicators: pd.DataFrame
    sections: pd.DataFrame
    warnings: pd.DataFrame
    issues: pd.DataFrame
    trend: pd.DataFrame
    month_kind: str = ""  # 双监控 or money-only month (MonitoringRules.month_kind), said by every output
    asks_indicators: bool = True  # False in a money-only month: no indicator progress was asked
    # The 部门整体 form: one row per department-wide target (None when the goals state none), the
    # status of its return (valid / invalid / missing) and its 目标完成情况.
    overall: pd.DataFrame | None = None
    overall_status: str = ""
    overall_progress: str = ""
    # Its line of 报送情况 (the projects frame's receipt columns: section, chief, code, name, status,
    # status_label, late, received, filled_date, contact_name, file, errors, warnings).
    overall_receipt: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The issue-6 JSON contract; rates in percent (50.0 = 50 %), null for missing values."""
        return {
            "period": str(self.period),
            "time_progress": float(self.time_progress),
            "totals": _totals_json(self.totals),
            "projects": [_project_json(r) for r in self.projects.itertuples(index=False)],
            "indicators": [
                {
                    "code": r.code,
                    "n": _json_int(r.n),
                    "actual": _json_value(r.actual),
                    "projection": _json_value(r.projection),
                    "light": _json_str(r.light),
                }
                for r in self.indicators.itertuples(index=False)
            ],
            "overall": None if self.overall is None else _overall_json(self.overall_status, self.overall),
            "warnings": [
                {
                    "kind": r.kind,
                    "level": r.level,
                    "code": r.code,
                    "n": _json_int(r.n),
                    "project": _json_str(r.project),
                    "section": _json_str(r.section),
                    "reason": r.reason,
                }
                for r in self.warnings.itertuples(index=False)
            ],
        }


def _totals_json(t: Totals) -> dict[str, Any]:
    return {
        "budget": _json_num(t.budget),
        "adjusted_budget": _json_num(t.adjusted_budget),
        "spend_to_date": _json_num(t.spend_to_date),
        "execution_rate": _json_num(t.execution_rate),
        "projected_spend": _json_num(t.projected_spend),
        "fiscal": t.fiscal.to_json(),
        "other": t.other.to_json(),
    }


def _project_json(r: Any) -> dict[str, Any]:
    """One row of the projects frame: its money (null without a counting return), its rates and light,
    and the 财政资金 and 其他资金 parts nested."""
    return {
        "code": r.code,
        "budget": _json_num(r.budget),
        "adjusted_budget": _json_num(r.budget_adjusted),
        "spend_to_date": _json_num(r.spend_to_date),
        "projected_spend": _json_num(r.spend_projected),
        "execution_rate": _json_num(r.execution_rate),
        "plan_progress": _json_num(r.plan_progress),
        "light": _json_str(r.light),
        "status": r.status,
        **{
            part: {
                "adjusted_budget": _json_num(getattr(r, f"{part}_budget_adjusted")),
                "spend_to_date": _json_num(getattr(r, f"{part}_spend_to_date")),
                "projected_spend": _json_num(getattr(r, f"{part}_spend_projected")),
            }
            for part in ("fiscal", "other")
        },
    }


def _overall_json(status: str, targets: pd.DataFrame) -> dict[str, Any]:
    """The 部门整体 return: its status and one entry per department-wide target."""
    return {
        "status": status,
        "targets": [
            {
                "n": _json_int(r.n),
                "name": r.name,
                "target": r.target_raw,
                "actual": _json_value(r.actual),
                "projection": _json_value(r.projection),
                "light": _json_str(r.light),
            }
            for r in targets.itertuples(index=False)
        ],
    }


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _json_num(value: object) -> float | None:
    if is_missing(value):
        return None
    return float(value)  # type: ignore[arg-type]


def _json_str(value: object) -> str | None:
    return None if is_missing(value) else str(value)


def _json_int(value: object) -> int | None:
    if is_missing(value):
        return None
    return int(Decimal(str(value)))


def _json_value(value: object) -> float | str | None:
    if is_missing(value):
        return None
    if isinstance(value, str):
        return value
    return float(value)  # type: ignore[arg-type]
