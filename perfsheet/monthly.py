"""The monthly run: collect → check → consolidate → reports, feedback and reminder drafts.

This is the one call a clerk makes each month (``perfsheet run``). Every step is idempotent: the archive
and ledger ignore bytes they already hold, reports are regenerated atomically with identical bytes for
identical inputs, and drafts are rewritten in place. Running it twice leaves the same workspace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import dispatch, ledger
from .collect import CollectResult, collect
from .consolidate import consolidate_workspace
from .errors import UsageError
from .model import Issue, Period, Severity
from .report import ReportFiles, write_reports
from .workspace import Workspace

__all__ = ["MonthlyResult", "StepCallback", "run_month"]

# Called with (step label, done, total or None) so the CLI can draw progress bars.
StepCallback = Callable[[str, int, "int | None"], None]


@dataclass(slots=True)
class MonthlyResult:
    """Everything one monthly run produced, with the paths a clerk needs."""

    period: Period
    status: ledger.PeriodStatus
    reports: ReportFiles
    collected: CollectResult | None = None
    feedback_files: list[Path] = field(default_factory=list)
    feedback_drafts: list[Path] = field(default_factory=list)
    reminder_drafts: list[Path] = field(default_factory=list)
    unsendable: list[dispatch.OutgoingMail] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every project has a valid return, 1 when something is missing or invalid."""
        return 0 if self.status.complete else 1


def _period_issues(ws: Workspace, status: ledger.PeriodStatus) -> list[tuple[str, str, Issue]]:
    """Issues of the returns that stand for each project this period (for the 问题清单 sheet)."""
    out: list[tuple[str, str, Issue]] = []
    for project in status.projects:
        for raw in project.issues:
            issue = Issue(
                code=raw.get("code", ""),
                severity=Severity(raw.get("severity", "error")),
                message=raw.get("message", ""),
                sheet=raw.get("sheet", ""),
                cell=raw.get("cell", ""),
                field=raw.get("field", ""),
                value=raw.get("value", ""),
            )
            out.append((project.code, project.file or "", issue))
    return out


def run_month(
    ws: Workspace,
    period: Period,
    sources: Sequence[str] = (),
    *,
    password: str | None = None,
    since: dt.date | None = None,
    template_dir: str | Path | None = None,
    today: dt.date | None = None,
    progress: StepCallback | None = None,
) -> MonthlyResult:
    """Run the month for a workspace; ``sources`` as for ``perfsheet collect`` (none: use the ledger)."""
    if period.year != ws.department.year:
        raise UsageError(
            f"期间 {period} 不在工作区的目标年度 {ws.department.year} 年内；请使用 {ws.department.year} 年的期间，"
            "或为新年度建立工作区（perfsheet init --goals 新年度目标.yaml）"
        )
    collected: CollectResult | None = None
    if sources:
        collected = collect(
            ws,
            period,
            sources,
            since=since,
            password=password,
            progress=(lambda source, done, total: progress("收集回执", done, total)) if progress else None,
        )
    if progress:
        progress("校验与汇总", 0, None)
    status = ledger.period_status(ws, period, today=today)
    reports = write_reports(
        consolidate_workspace(ws, period),
        ws.department,
        ws.reports_dir(period),
        template_dir=template_dir,
        issues=_period_issues(ws, status),
    )
    result = MonthlyResult(period=period, status=status, reports=reports, collected=collected)

    if progress:
        progress("反馈与催报", 0, None)
    feedback_mails = dispatch.prepare_feedback_mail(ws, period, today=today)
    feedback_dir = ws.feedback_dir(period)
    result.feedback_files = sorted(feedback_dir.glob("*.xlsx")) if feedback_dir.is_dir() else []
    delivered = dispatch.deliver(ws, period, feedback_mails, dry_run=True)
    result.feedback_drafts = delivered.drafts
    result.unsendable += delivered.unsendable
    reminders = dispatch.prepare_reminders(ws, period, today=today)
    delivered = dispatch.deliver(ws, period, reminders, dry_run=True)
    result.reminder_drafts = delivered.drafts
    result.unsendable += delivered.unsendable
    return result

