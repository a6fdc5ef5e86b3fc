"""The workspace's templates of a period: the one way they are made, so ``perfsheet templates`` and
the templates ``perfsheet send`` attaches are the same bytes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from perfsheet.fsutil import confined, safe_dir
from perfsheet.ingest.check import template_is_current
from perfsheet.model import Period, Project
from perfsheet.template.build import select_projects, template_filename, write_templates
from perfsheet.workspace import Workspace

__all__ = ["template_bytes", "write_period_templates"]


def write_period_templates(
    ws: Workspace,
    period: Period,
    *,
    out_dir: Path | None = None,
    project: str | None = None,
    section: str | None = None,
    password: str | None = None,
) -> list[Path]:
    """The workspace's templates of ``period`` (default into ``outbox/<period>/templates/``), with the
    office's contact line and the workspace's deadline. A folder inside the workspace is made and
    checked by the one confinement rule (:func:`perfsheet.fsutil.safe_dir`) before anything is written."""
    folder = out_dir if out_dir is not None else ws.templates_dir(period)
    if Path(os.path.abspath(folder)).is_relative_to(ws.root):
        folder = safe_dir(ws.root, folder)
        for p in select_projects(ws.department, project=project, section=section):
            confined(ws.root, folder / template_filename(ws.department, p, period))
    return write_templates(
        ws.department,
        period,
        folder,
        project=project,
        section=section,
        password=password,
        office_contact=ws.config.office.contact_line,
        deadline=ws.config.deadline(period),
        rules=ws.config.monitoring,
        thresholds=ws.config.thresholds,
    )


def template_bytes(ws: Workspace, period: Period, projects: Sequence[Project]) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the templates of ``projects`` from ``outbox/<period>/templates/``, made there
    when missing or stale (built before an edit of the goals or the monitoring rules, or by an older
    perfsheet): a return filled on a stale form would only come back as 模板已过期. A current file is
    sent as it is, so a template made with ``templates --password`` keeps its protection."""
    folder = ws.templates_dir(period)
    wanted = [(p, folder / template_filename(ws.department, p, period)) for p in projects]
    for p, path in wanted:
        if not path.is_file() or not template_is_current(path, ws.department, period, ws.config.monitoring):
            write_period_templates(ws, period, project=p.code)
    return [(path.name, path.read_bytes()) for _p, path in wanted]
