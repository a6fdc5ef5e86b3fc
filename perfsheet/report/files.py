"""The period's outputs in ``reports/<period>/``, all from one Summary: the summary workbook with the
narrative's key sentences on 总览, the 报送版 情况说明 for the finance bureau (Markdown and .docx) and the
office's internal 报送情况 (Markdown and .docx)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from perfsheet.consolidate.summary import Summary
from perfsheet.fsutil import confined, safe_dir, write_text_atomic
from perfsheet.model import Department
from perfsheet.report.bureau import write_bureau_workbooks
from perfsheet.report.narrative import (
    DEFAULT_RECIPIENT,
    key_sentences,
    render_internal_markdown,
    render_markdown,
    write_docx,
)
from perfsheet.report.workbook import summary_filename, write_summary_workbook

__all__ = ["ReportFiles", "internal_basename", "narrative_basename", "write_reports"]


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What :func:`write_reports` produced."""

    summary: Summary
    workbook: Path  # 汇总表 .xlsx
    markdown: Path  # 情况说明（报送版）.md
    docx: Path  # 情况说明（报送版）.docx
    narrative: str  # the 报送版 Markdown text
    internal_markdown: Path  # 监控表报送情况（内部）.md
    internal_docx: Path  # 监控表报送情况（内部）.docx
    internal: str  # the internal Markdown text
    platform_export: Path | None = None  # 一体化导入 .xlsx (needs the department's registry)
    monitoring_forms: Path | None = None  # 项目支出绩效运行监控表 .xlsx, one sheet per project

    def labelled(self) -> tuple[tuple[str, Path], ...]:
        """(what it is, where) of every file written, in the order a person reads them."""
        found = (
            ("汇总表", self.workbook),
            ("情况说明（报送版，Markdown）", self.markdown),
            ("情况说明（报送版，Word）", self.docx),
            ("项目支出绩效运行监控表（报送版）", self.monitoring_forms),
            ("一体化系统导入表", self.platform_export),
            ("报送情况（内部，Markdown）", self.internal_markdown),
            ("报送情况（内部，Word）", self.internal_docx),
        )
        return tuple((label, path) for label, path in found if path is not None)


def narrative_basename(summary: Summary) -> str:
    return f"{summary.department}{summary.period.label}绩效运行监控情况说明"


def internal_basename(summary: Summary) -> str:
    return f"{summary.department}{summary.period.label}监控表报送情况（内部）"


def write_reports(
    summary: Summary,
    department: Department | None,
    out_dir: str | Path,
    *,
    template_dir: str | Path | None = None,
    root: str | Path | None = None,
    recipient: str = DEFAULT_RECIPIENT,
    report_date: dt.date | None = None,
) -> ReportFiles:
    """Write the period's outputs into ``out_dir`` (``reports/<period>/``): the summary workbook with the
    narrative's key sentences on 总览, the 情况说明 addressed to ``recipient`` (``Config.report_recipient``)
    and dated ``report_date`` (default: the last day of the following month), and the internal 报送情况,
    each as Markdown and .docx. Re-running overwrites them atomically with identical bytes for identical
    inputs.

    ``root``: the workspace ``out_dir`` lies in (default: ``out_dir`` itself). Every file is written by
    the one confinement rule (:func:`perfsheet.fsutil.confined`): never through a symlink."""
    folder = Path(out_dir)
    base_root = Path(root) if root is not None else folder
    folder = safe_dir(base_root, folder)
    created = dt.datetime.combine(summary.period.last_day, dt.time())

    def text_and_docx(base: str, markdown: str) -> tuple[Path, Path]:
        md_path = write_text_atomic(folder / f"{base}.md", markdown, root=base_root)
        return md_path, write_docx(markdown, confined(base_root, folder / f"{base}.docx"), created=created)

    markdown = render_markdown(summary, department, template_dir=template_dir, recipient=recipient,
                               report_date=report_date)
    lines = key_sentences(summary, department, markdown=markdown)
    workbook = write_summary_workbook(
        summary, folder / summary_filename(summary), narrative_lines=lines, root=base_root
    )
    md_path, docx_path = text_and_docx(narrative_basename(summary), markdown)
    internal = render_internal_markdown(summary, department, template_dir=template_dir)
    internal_md, internal_docx = text_and_docx(internal_basename(summary), internal)
    bureau: tuple[Path | None, Path | None] = (None, None)
    if department is not None:
        bureau = write_bureau_workbooks(summary, department, folder, unit_name=department.name, root=base_root)
    return ReportFiles(summary, workbook, md_path, docx_path, markdown, internal_md, internal_docx, internal, *bureau)
