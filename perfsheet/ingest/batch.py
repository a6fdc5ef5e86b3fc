"""Checking many returns at once (``perfsheet check``): ingest each file, and write a feedback
workbook for every return that is invalid or has warnings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from perfsheet.ingest.check import IngestResult, default_department, read_return
from perfsheet.ingest.reader import DEFAULT_MAX_BYTES
from perfsheet.model import Department, Period
from perfsheet.rules import MonitoringRules, Thresholds

__all__ = ["CheckedReturn", "check_returns", "feedback_filename"]


@dataclass(frozen=True, slots=True)
class CheckedReturn:
    """One file checked by :func:`check_returns`: where it is, what ingest found, its feedback file."""

    path: Path
    result: IngestResult
    feedback: Path | None = None


def feedback_filename(path: Path) -> str:
    """``2025-06_xx.xlsx`` → ``2025-06_xx_问题反馈.xlsx`` (only the file's own name, never its folders)."""
    return f"{Path(path.name).stem}_问题反馈.xlsx"


def check_returns(
    paths: Iterable[str | Path],
    *,
    department: Department | None = None,
    period: Period | None = None,
    thresholds: Thresholds | None = None,
    rules: MonitoringRules | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    feedback_dir: str | Path | None = None,
) -> list[CheckedReturn]:
    """Check many returns; with ``feedback_dir``, write a feedback workbook for each return that is
    invalid or has warnings (rejected files get none: there is nothing to fill back in)."""
    dept = department if department is not None else default_department()
    checked: list[CheckedReturn] = []
    for item in paths:
        path = Path(item)
        result = read_return(
            path, department=dept, period=period, max_bytes=max_bytes, thresholds=thresholds, rules=rules
        )
        feedback: Path | None = None
        if feedback_dir is not None and result.submission is not None and result.issues:
            # Only a feedback workbook needs xlsxwriter (~30 ms to import): `perfsheet check` without
            # --feedback starts without it.
            from perfsheet.ingest.feedback import write_feedback

            feedback = write_feedback(
                dept,
                result.submission,
                result.issues,
                Path(feedback_dir) / feedback_filename(path),
                raw_values=result.raw_values,
                period=period,
                rules=rules,
                thresholds=thresholds,
            )
        checked.append(CheckedReturn(path, result, feedback))
    return checked
