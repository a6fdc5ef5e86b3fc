"""Where each project stands for a period (未报送 / 有错误 / 已通过, on time or late), from ledger rows.

Pure: no I/O, so it is tested on hand-made rows; :func:`perfsheet.workspace.period_status` feeds it
the workspace's ledger. Which return stands for a project is :func:`perfsheet.rules.choose_return`,
the same rule the ledger's counting flag follows.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from perfsheet.labels import STATUS_LABELS
from perfsheet.ledger.store import INVALID, PENDING, VALID, FileRow
from perfsheet.model import DEFAULT_DEADLINE_DAY, Department, Issue, Period
from perfsheet.rules import choose_return

__all__ = ["PeriodStatus", "ProjectStatus", "compute_period_status"]



@dataclass(frozen=True, slots=True)
class ProjectStatus:
    """Where one project stands for a period."""

    code: str
    name: str
    section: str
    chief: str
    email: str
    status: str  # missing | invalid | valid
    late: bool  # received after the deadline; for a missing return: the deadline has passed
    sha256: str | None = None
    file: str | None = None  # the name the sender gave the file
    sender: str | None = None
    received: dt.datetime | None = None
    errors: int = 0
    warnings: int = 0
    issues: tuple[Issue, ...] = ()
    returns: int = 0  # how many distinct files were received for this project and period
    message_id: str = ""  # of the message that brought the return standing for the project

    @property
    def label(self) -> str:
        text = STATUS_LABELS[self.status]  # the one label table (perfsheet.labels)
        return f"{text}（逾期）" if self.late else text

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "section": self.section,
            "chief": self.chief,
            "status": self.status,
            "late": self.late,
            "sha256": self.sha256,
            "file": self.file,
            "received": self.received.isoformat() if self.received else None,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass(frozen=True, slots=True)
class PeriodStatus:
    """Status of every project of the department for one period."""

    period: Period
    deadline: dt.date
    projects: tuple[ProjectStatus, ...]
    unassigned: tuple[FileRow, ...] = field(default=())  # rejected or unknown-project files of the period

    def count(self, status: str) -> int:
        return sum(1 for p in self.projects if p.status == status)

    @property
    def complete(self) -> bool:
        return all(p.status == "valid" for p in self.projects)

    def to_json(self) -> dict[str, object]:
        return {
            "period": str(self.period),
            "deadline": self.deadline.isoformat(),
            "projects": [p.to_json() for p in self.projects],
        }


def compute_period_status(
    department: Department,
    rows: Sequence[FileRow],
    period: Period,
    *,
    deadline_day: int = DEFAULT_DEADLINE_DAY,
    today: dt.date | None = None,
) -> PeriodStatus:
    """Status per project from ledger rows of one period (pure: no I/O, testable on hand-made rows)."""
    deadline = period.due_date(deadline_day)
    today = today or dt.date.today()
    rows = [r for r in rows if r.period == str(period)]
    monitored = department.monitored  # the 部门整体 form is chased like a project's
    known = {p.code for p in monitored}
    projects: list[ProjectStatus] = []
    for project in monitored:
        section = department.section(project.section) if project.section else None
        mine = sorted(
            (r for r in rows if r.project == project.code and r.status in (VALID, INVALID)),
            key=FileRow.order_key,
        )
        shown = choose_return(mine, FileRow.counts).shown
        for_project = functools.partial(
            ProjectStatus,
            code=project.code,
            name=project.name,
            section=project.section or "",
            chief=section.chief if section else "",
            email=section.email if section else "",
        )
        if shown is None:
            projects.append(for_project(status="missing", late=today > deadline))
            continue
        projects.append(
            for_project(
                status=VALID if shown.status == VALID else INVALID,
                late=shown.received is not None and shown.received.date() > deadline,
                sha256=shown.sha256,
                file=shown.name,
                sender=shown.sender,
                received=shown.received,
                errors=shown.errors,
                warnings=shown.warnings,
                issues=shown.issues,
                returns=len(mine),
                message_id=shown.message_id,
            )
        )
    unassigned = tuple(r for r in rows if r.project not in known and r.status != PENDING)
    return PeriodStatus(period=period, deadline=deadline, projects=tuple(projects), unassigned=unassigned)
