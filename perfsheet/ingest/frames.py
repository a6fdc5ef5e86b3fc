"""Submissions as tidy pandas tables, the hand-off from ingest to analysis.

``submissions_to_frames`` turns typed :class:`~perfsheet.model.Submission` values into three
DataFrames with fixed, documented columns and dtypes (nullable pandas dtypes, so a missing value
is ``<NA>``, never a silent 0):

``money`` — one row per project and period (per submission):
    file string · sha256 string · status string · project_code string · period string (YYYY-MM) ·
    year Int64 · month Int64 · budget_adjusted Float64 (调整后预算数, 万元) · spend_to_date Float64
    (1-X月执行数, 万元) · spend_projected Float64 (全年预计执行数, 万元) · execution_rate Float64
    (执行率, %) · time_progress Float64 (序时进度, %) · goal_progress string · contact_name string ·
    contact_phone string · contact_date datetime64[s] · contact_head string · error_count Int64 ·
    warning_count Int64

``indicators`` — one row per indicator of each submission:
    file · project_code · period (string) · n Int64 · actual Float64 (number in the target's unit, 95
    for 95 %) · actual_text string (定性 word: 达成/部分达成/未达成) · projection Float64 ·
    projection_text string · likelihood string · deviation string · explanation string

``issues`` — one row per issue: file string, then :data:`perfsheet.issues.ISSUE_COLUMNS` (strings).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from perfsheet.form.issues import ISSUE_COLUMNS
from perfsheet.model import IndicatorValue, Severity, Submission

__all__ = ["INDICATOR_DTYPES", "MONEY_DTYPES", "Frames", "submissions_to_frames"]

MONEY_DTYPES: dict[str, str] = {
    "file": "string",
    "sha256": "string",
    "status": "string",
    "project_code": "string",
    "period": "string",
    "year": "Int64",
    "month": "Int64",
    "budget_adjusted": "Float64",
    "spend_to_date": "Float64",
    "spend_projected": "Float64",
    "execution_rate": "Float64",
    "time_progress": "Float64",
    "goal_progress": "string",
    "contact_name": "string",
    "contact_phone": "string",
    "contact_date": "datetime64[s]",
    "contact_head": "string",
    "error_count": "Int64",
    "warning_count": "Int64",
}
INDICATOR_DTYPES: dict[str, str] = {
    "file": "string",
    "project_code": "string",
    "period": "string",
    "n": "Int64",
    "actual": "Float64",
    "actual_text": "string",
    "projection": "Float64",
    "projection_text": "string",
    "likelihood": "string",
    "deviation": "string",
    "explanation": "string",
}
ISSUE_DTYPES: dict[str, str] = {"file": "string", **dict.fromkeys(ISSUE_COLUMNS, "string")}


@dataclass(frozen=True, slots=True)
class Frames:
    """The three tables of a set of submissions (see the module docstring for columns)."""

    money: pd.DataFrame
    indicators: pd.DataFrame
    issues: pd.DataFrame


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _split(value: IndicatorValue) -> tuple[float | None, str | None]:
    if isinstance(value, Decimal):
        return float(value), None
    return None, value


def _frame(rows: list[dict[str, object]], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(dtypes)).astype(dtypes)


def submissions_to_frames(submissions: Iterable[Submission]) -> Frames:
    """Tidy DataFrames of ``submissions`` (valid and invalid alike; filter on ``status``)."""
    money: list[dict[str, object]] = []
    indicators: list[dict[str, object]] = []
    issues: list[dict[str, object]] = []
    for sub in submissions:
        period = str(sub.period)
        money.append(
            {
                "file": sub.file,
                "sha256": sub.sha256,
                "status": str(sub.status),
                "project_code": sub.project_code,
                "period": period,
                "year": sub.period.year,
                "month": sub.period.month,
                "budget_adjusted": _number(sub.budget_adjusted),
                "spend_to_date": _number(sub.spend_to_date),
                "spend_projected": _number(sub.spend_projected),
                "execution_rate": _number(sub.execution_rate),
                "time_progress": float(sub.period.time_progress),
                "goal_progress": sub.goal_progress,
                "contact_name": sub.contact_name,
                "contact_phone": sub.contact_phone,
                "contact_date": pd.Timestamp(sub.contact_date) if sub.contact_date else None,
                "contact_head": sub.contact_head,
                "error_count": sum(1 for i in sub.issues if i.severity is Severity.ERROR),
                "warning_count": sum(1 for i in sub.issues if i.severity is Severity.WARNING),
            }
        )
        for ind in sub.indicators:
            actual, actual_text = _split(ind.actual)
            projection, projection_text = _split(ind.projection)
            indicators.append(
                {
                    "file": sub.file,
                    "project_code": sub.project_code,
                    "period": period,
                    "n": ind.n,
                    "actual": actual,
                    "actual_text": actual_text,
                    "projection": projection,
                    "projection_text": projection_text,
                    "likelihood": ind.likelihood,
                    "deviation": ind.deviation,
                    "explanation": ind.explanation,
                }
            )
        for issue in sub.issues:
            issues.append({"file": sub.file, **issue.to_dict()})
    return Frames(
        money=_frame(money, MONEY_DTYPES),
        indicators=_frame(indicators, INDICATOR_DTYPES),
        issues=_frame(issues, ISSUE_DTYPES),
    )
