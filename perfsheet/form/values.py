"""The field ↔ Submission mapping: which form field (``spend.to_date``, ``ind.3.actual`` …) holds which
attribute of a :class:`~perfsheet.model.Submission`.

Ingest builds a Submission from the typed values of the fields; the feedback workbook and the demo
write a Submission's values back into the fields. Both directions live here so they cannot drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from perfsheet.model import (
    IndicatorReturn,
    IndicatorValue,
    Issue,
    Period,
    Project,
    Severity,
    Submission,
    SubmissionStatus,
)

__all__ = ["submission_from_values", "submission_values"]


def submission_values(submission: Submission) -> dict[str, object]:
    """The typed values of a submission by field name (``spend.to_date`` …, ``ind.3.actual`` …)."""
    values: dict[str, object] = {
        "budget.adjusted": submission.budget_adjusted,
        "spend.to_date": submission.spend_to_date,
        "spend.projected": submission.spend_projected,
        "budget.adjusted.other": submission.budget_adjusted_other,
        "spend.to_date.other": submission.spend_to_date_other,
        "spend.projected.other": submission.spend_projected_other,
        "goal.progress": submission.goal_progress,
        "budget.explanation": submission.budget_explanation,
        "contact.name": submission.contact_name,
        "contact.phone": submission.contact_phone,
        "contact.date": submission.contact_date,
        "contact.head": submission.contact_head,
    }
    for ind in submission.indicators:
        values[f"ind.{ind.n}.actual"] = ind.actual
        values[f"ind.{ind.n}.projection"] = ind.projection
        values[f"ind.{ind.n}.likelihood"] = ind.likelihood
        values[f"ind.{ind.n}.deviation"] = ind.deviation
        values[f"ind.{ind.n}.explanation"] = ind.explanation
    return values


def submission_from_values(
    project: Project,
    period: Period,
    values: Mapping[str, object],
    issues: tuple[Issue, ...],
    *,
    file: str = "",
    sha256: str = "",
) -> Submission:
    """The Submission the typed field values make; ``invalid`` when any issue is an error."""

    def dec(name: str) -> Decimal | None:
        value = values.get(name)
        return value if isinstance(value, Decimal) else None

    def text(name: str) -> str | None:
        value = values.get(name)
        return value if isinstance(value, str) else None

    def ind_value(name: str) -> IndicatorValue:
        value = values.get(name)
        return value if isinstance(value, Decimal | str) else None

    indicators = tuple(
        IndicatorReturn(
            n=ind.n,
            actual=ind_value(f"ind.{ind.n}.actual"),
            projection=ind_value(f"ind.{ind.n}.projection"),
            likelihood=text(f"ind.{ind.n}.likelihood"),
            deviation=text(f"ind.{ind.n}.deviation"),
            explanation=text(f"ind.{ind.n}.explanation"),
        )
        for ind in project.indicators
    )
    contact_date = values.get("contact.date")
    invalid = any(i.severity is Severity.ERROR for i in issues)
    return Submission(
        project_code=project.code,
        period=period,
        budget_adjusted=dec("budget.adjusted"),
        spend_to_date=dec("spend.to_date"),
        spend_projected=dec("spend.projected"),
        budget_adjusted_other=dec("budget.adjusted.other"),
        spend_to_date_other=dec("spend.to_date.other"),
        spend_projected_other=dec("spend.projected.other"),
        goal_progress=text("goal.progress"),
        budget_explanation=text("budget.explanation"),
        contact_name=text("contact.name"),
        contact_phone=text("contact.phone"),
        contact_date=contact_date if isinstance(contact_date, dt.date) else None,
        contact_head=text("contact.head"),
        indicators=indicators,
        file=file,
        sha256=sha256,
        status=SubmissionStatus.INVALID if invalid else SubmissionStatus.VALID,
        issues=issues,
    )
