"""The monthly run: collect → check → consolidate → reports, feedback and reminder drafts.

This is the one call a clerk makes each month (``perfsheet run``); ``perfsheet consolidate`` is its
reporting half. Both read the period from the ledger (:func:`consolidate_period`) and write the same
outputs (:func:`write_period_reports`), so they cannot disagree. Every step is idempotent: the
archive and ledger ignore bytes they already hold, reports are kept when nothing they are computed
from changed (else written again atomically: identical inputs, identical bytes), and drafts are
rewritten in place. Running it twice leaves the same
workspace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from perfsheet.collect import INGEST_STEP, CollectResult, collect, refresh_ledger
from perfsheet.errors import UsageError
from perfsheet.fsutil import file_sha256
from perfsheet.ledger.status import PeriodStatus, compute_period_status
from perfsheet.ledger.store import INVALID, VALID, FileRow, ReportRecord
from perfsheet.model import Period, Submission
from perfsheet.outgoing.delivery import deliver
from perfsheet.outgoing.mails import (
    OutgoingMail,
    current_feedback_files,
    prepare_feedback_mail,
    prepare_reminders,
)
from perfsheet.report.files import ReportFiles
from perfsheet.rules import choose_return, require_goals_year
from perfsheet.workspace import Workspace, open_ledger

if TYPE_CHECKING:  # consolidation and the report writers import pandas: only when reports are written
    from perfsheet.consolidate.summary import Summary

__all__ = [
    "MonthlyResult",
    "StepCallback",
    "consolidate_period",
    "run_month",
    "standing_submissions",
    "write_period_reports",
]

# Called with (step label, done, total or None) so the CLI can draw progress bars.
StepCallback = Callable[[str, int, "int | None"], None]


@dataclass(slots=True)
class MonthlyResult:
    """Everything one monthly run produced, with the paths a clerk needs."""

    period: Period
    status: PeriodStatus
    reports: ReportFiles
    collected: CollectResult  # what collect found, or (no sources) what was re-ingested from the archive
    feedback_files: list[Path] = field(default_factory=list)
    feedback_drafts: list[Path] = field(default_factory=list)
    reminder_drafts: list[Path] = field(default_factory=list)
    unsendable: list[OutgoingMail] = field(default_factory=list)
    superseded_drafts: list[Path] = field(default_factory=list)  # drafts moved aside: no longer needed

    @property
    def exit_code(self) -> int:
        """0 when every project has a valid return, 1 when something is missing or invalid, or a
        message could not be read."""
        return 0 if self.status.complete and not self.collected.unreadable else 1


def standing_submissions(rows: Sequence[FileRow]) -> list[Submission]:
    """Per project, the return that stands for it (counting, else the newest invalid), from ledger rows."""
    by_project: dict[str, list[FileRow]] = {}
    for row in sorted(rows, key=FileRow.order_key):
        if row.project and row.status in (VALID, INVALID):
            by_project.setdefault(row.project, []).append(row)
    out: list[Submission] = []
    for project_rows in by_project.values():
        shown = choose_return(project_rows, FileRow.counts).shown
        submission = shown.submission() if shown is not None else None
        if submission is not None:
            out.append(submission)
    return out


def consolidate_period(
    ws: Workspace, period: Period, *, today: dt.date | None = None, rows: Sequence[FileRow] | None = None
) -> Summary:
    """The period's 双监控 picture from the workspace's ledger (no workbook is read).

    The earlier months of the year give the 趋势; the thresholds are those of ``perfsheet.yaml``;
    ``today`` (default: the calendar's) decides whether a missing return is already 逾期. ``rows``: the
    ledger's rows when the caller has just read them (default: read them).
    """
    from perfsheet.consolidate.build import consolidate

    check_period_year(ws, period)
    if rows is None:
        with open_ledger(ws) as ledger:
            rows = ledger.rows()
    by_period: dict[str, list[FileRow]] = {}
    for row in rows:
        by_period.setdefault(row.period, []).append(row)
    current = standing_submissions(by_period.get(str(period), []))
    standing = {s.sha256 for s in current}
    received = {
        row.project: row.received
        for row in by_period.get(str(period), [])
        if row.project and row.received and row.sha256 in standing
    }
    history: dict[Period, Sequence[Submission]] = {}
    for earlier in (Period(period.year, m) for m in range(1, period.month)):
        if str(earlier) in by_period:
            history[earlier] = standing_submissions(by_period[str(earlier)])
    return consolidate(
        ws.department,
        current,
        period,
        thresholds=ws.config.thresholds,
        history=history,
        received=received,
        deadline=ws.config.deadline(period),
        as_of=today or dt.date.today(),
        rules=ws.config.monitoring,
    )


def write_period_reports(
    ws: Workspace, period: Period, *, template_dir: str | Path | None = None
) -> ReportFiles:
    """Consolidate a period from the ledger and write ``reports/<period>/`` (``perfsheet consolidate``):
    the 情况说明 is addressed to ``perfsheet.yaml``'s ``report.recipient``.

    The reports are a function of the ledger, the goals, ``perfsheet.yaml``, the templates, the code and
    the day (逾期 depends on it). When none of these changed since they were last written and every file
    still holds the bytes written then, they are kept as they are — writing them again would give the
    same bytes — and nothing is consolidated (a repeated ``perfsheet run`` answers at once).
    """
    check_period_year(ws, period)
    today = dt.date.today()
    with open_ledger(ws) as ledger:
        rows = ledger.rows()
        record = ledger.report_record(period)
    key = _report_inputs_key(ws, period, rows, template_dir, today)
    if record is not None and record.input_key == key and _files_intact(record):
        return _kept_reports(ws, period, record, today)
    from perfsheet.report.files import write_reports

    files = write_reports(
        consolidate_period(ws, period, today=today, rows=rows), ws.department, ws.reports_dir(period),
        template_dir=template_dir, recipient=ws.config.report_recipient,
    )
    written = {name: (path, file_sha256(path)) for name, path in files.paths().items()}
    with open_ledger(ws) as ledger:
        ledger.record_reports(period, key, written, files.summary_json)
    return files


def _report_inputs_key(
    ws: Workspace, period: Period, rows: Sequence[FileRow], template_dir: str | Path | None, today: dt.date
) -> str:
    """A digest of everything a period's reports are computed from."""
    digest = hashlib.sha256()
    for part in (
        _code_digest(),
        str(period),
        today.isoformat(),
        # The goals and the configuration as this workspace holds them (what the reports are made from,
        # even if the files are edited during a long run), in a form the same in every process.
        _canonical(ws.department),
        _canonical(ws.config),
        _library_versions(),
        repr(ws.reports_dir(period)),
        repr([(row.__class__.__name__, *(getattr(row, name) for name in row.__slots__)) for row in rows]),
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    if template_dir is not None:
        folder = Path(template_dir)
        # Jinja follows links to subfolders, so the digest does too.
        found = sorted(Path(top) / name for top, _dirs, names in os.walk(folder, followlinks=True) for name in names)
        for path in found:
            digest.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogateescape") + b"\0")
            digest.update(file_sha256(path).encode() + b"\0")
    return digest.hexdigest()


def _canonical(value: object) -> str:
    """A repr that does not depend on the process: sets and mappings in sorted order, dataclasses by field."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ", ".join(f"{f.name}={_canonical(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__name__}({fields})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(sorted(f"{_canonical(k)}: {_canonical(v)}" for k, v in value.items())) + "}"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(_canonical(item) for item in value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_canonical(item) for item in value) + "]"
    return repr(value)


@functools.cache
def _library_versions() -> str:
    """The versions of the libraries that write the reports (an upgrade may change their bytes)."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("pandas", "xlsxwriter", "python-docx", "jinja2"):
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=?")
    return ",".join(found)


@functools.cache
def _code_digest() -> str:
    """A digest of perfsheet's own code and data (an edit or an upgrade makes reports be written anew)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".yaml", ".json", ".txt", ".md"):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _files_intact(record: ReportRecord) -> bool:
    return all(path.is_file() and file_sha256(path) == sha for path, sha in record.files.values())


def _kept_reports(ws: Workspace, period: Period, record: ReportRecord, today: dt.date) -> ReportFiles:
    paths = {name: path for name, (path, _sha) in record.files.items()}
    return ReportFiles(
        workbook=paths["workbook"],
        markdown=paths["markdown"],
        docx=paths["docx"],
        internal_markdown=paths["internal_markdown"],
        internal_docx=paths["internal_docx"],
        summary_json=record.summary_json,
        load_summary=functools.cache(lambda: consolidate_period(ws, period, today=today)),
        platform_export=paths.get("platform_export"),
        monitoring_forms=paths.get("monitoring_forms"),
    )


def check_period_year(ws: Workspace, period: Period) -> None:
    """A period outside the workspace's goals year is a usage error (see :func:`perfsheet.rules.require_goals_year`),
    and so is the year-end round: its returns are scored by ``perfsheet selfeval``, not consolidated
    as a month."""
    require_goals_year(ws.department, period)
    if period.year_end:
        raise UsageError(
            f"{period}（年终报表）不做月度汇总；年度自评请运行 perfsheet selfeval --year {period.year}，"
            f"12月的月度汇总请用 --period {period.december}"
        )


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
    """Run the month for a workspace; ``sources`` as for ``perfsheet collect`` (none: use the ledger).

    Either way every ledger row whose ingest result is stale (goals or thresholds edited since) is
    re-ingested from the archive first, so status, summary and narrative agree with the files.
    """
    check_period_year(ws, period)
    step: Callable[[str, int, int | None], None] | None = None
    if progress is not None:
        report = progress

        def step(label: str, done: int, total: int | None) -> None:
            # collect reports per mail source, then the ingest step under its own label.
            report(label if label == INGEST_STEP else "收集回执", done, total)

    if sources:
        collected = collect(ws, period, sources, since=since, password=password, progress=step)
    else:
        collected = refresh_ledger(ws, period, progress=step)
    if progress:
        progress("汇总", 0, None)
    with open_ledger(ws) as ledger:
        rows = ledger.rows(period)
    status = compute_period_status(
        ws.department, rows, period, deadline_day=ws.config.deadline_day, today=today
    )
    reports = write_period_reports(ws, period, template_dir=template_dir)
    result = MonthlyResult(period=period, status=status, reports=reports, collected=collected)

    if progress:
        progress("反馈与催报", 0, None)
    # Only the feedback of returns that still stand with problems; drafts no longer needed move aside.
    result.feedback_files = current_feedback_files(ws, period, today=today)
    feedback = deliver(ws, period, prepare_feedback_mail(ws, period, today=today), dry_run=True, kinds=["feedback"])
    reminders = deliver(ws, period, prepare_reminders(ws, period, today=today), dry_run=True, kinds=["remind"])
    result.feedback_drafts, result.reminder_drafts = feedback.drafts, reminders.drafts
    result.unsendable = feedback.unsendable + reminders.unsendable
    result.superseded_drafts = feedback.retired + reminders.retired
    return result
