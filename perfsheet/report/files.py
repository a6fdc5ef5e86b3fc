"""The period's outputs in ``reports/<period>/``: the summary workbook with the narrative's key
sentences on 总览, and the 情况说明 as Markdown and .docx, all from one Summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from perfsheet.consolidate.summary import Summary
from perfsheet.fsutil import confined, safe_dir, write_text_atomic
from perfsheet.model import Department
from perfsheet.report.narrative import key_sentences, render_markdown, write_docx
from perfsheet.report.workbook import summary_filename, write_summary_workbook

__all__ = ["ReportFiles", "narrative_basename", "write_reports"]


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What :func:`write_reports` produced."""

    summary: Summary
    workbook: Path  # 汇总表 .xlsx
    markdown: Path  # 情况说明 .md
    docx: Path  # 情况说明 .docx
    narrative: str  # the Markdown text


def narrative_basename(summary: Summary) -> str:
    return f"{summary.department}{summary.period.label}绩效运行监控情况说明"


def write_reports(
    summary: Summary,
    department: Department | None,
    out_dir: str | Path,
    *,
    template_dir: str | Path | None = None,
    root: str | Path | None = None,
) -> ReportFiles:
    """Write the period's outputs into ``out_dir`` (``reports/<period>/``): the summary workbook with the
    narrative's key sentences on 总览, and the narrative as Markdown and .docx. Re-running overwrites
    them atomically with identical bytes for identical inputs.

    ``root``: the workspace ``out_dir`` lies in (default: ``out_dir`` itself). Every file is written by
    the one confinement rule (:func:`perfsheet.fsutil.confined`): never through a symlink."""
    folder = Path(out_dir)
    base_root = Path(root) if root is not None else folder
    folder = safe_dir(base_root, folder)
    markdown = render_markdown(summary, department, template_dir=template_dir)
    lines = key_sentences(summary, department, markdown=markdown)
    workbook = write_summary_workbook(
        summary, folder / summary_filename(summary), narrative_lines=lines, root=base_root
    )
    base = narrative_basename(summary)
    md_path = write_text_atomic(folder / f"{base}.md", markdown, root=base_root)
    created = dt.datetime.combine(summary.period.last_day, dt.time())
    docx_path = write_docx(markdown, confined(base_root, folder / f"{base}.docx"), created=created)
    return ReportFiles(summary, workbook, md_path, docx_path, markdown)
