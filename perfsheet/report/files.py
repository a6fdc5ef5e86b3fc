"""The period's outputs in ``reports/<period>/``, all from one Summary: the summary workbook with the
narrative's key sentences on 总览, the 报送版 情况说明 for the finance bureau (Markdown and .docx) and the
office's internal 报送情况 (Markdown and .docx)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfsheet.fsutil import confined, safe_dir, write_text_atomic
from perfsheet.labels import DEFAULT_RECIPIENT

if TYPE_CHECKING:  # the writers import pandas, xlsxwriter and python-docx: only when they write
    from perfsheet.consolidate.summary import Summary
    from perfsheet.model import Department

__all__ = ["REPORT_KINDS", "ReportFiles", "internal_basename", "narrative_basename", "write_reports"]

# The files of a period's reports, by the name ReportFiles gives each, with what a person calls it, in
# the order a person reads them.
REPORT_KINDS: tuple[tuple[str, str], ...] = (
    ("workbook", "汇总表"),
    ("markdown", "情况说明（报送版，Markdown）"),
    ("docx", "情况说明（报送版，Word）"),
    ("monitoring_forms", "项目支出绩效运行监控表（报送版）"),
    ("platform_export", "一体化系统导入表"),
    ("internal_markdown", "报送情况（内部，Markdown）"),
    ("internal_docx", "报送情况（内部，Word）"),
)


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What :func:`write_reports` produced (or, when nothing they depend on changed, what it produced
    before: see :func:`perfsheet.monthly.write_period_reports`)."""

    workbook: Path  # 汇总表 .xlsx
    markdown: Path  # 情况说明（报送版）.md
    docx: Path  # 情况说明（报送版）.docx
    internal_markdown: Path  # 监控表报送情况（内部）.md
    internal_docx: Path  # 监控表报送情况（内部）.docx
    summary_json: Mapping[str, Any]  # Summary.to_json() of the summary the files were written from
    load_summary: Callable[[], Summary] = field(repr=False, compare=False)  # that Summary (may consolidate)
    platform_export: Path | None = None  # 一体化导入 .xlsx (needs the department's registry)
    monitoring_forms: Path | None = None  # 项目支出绩效运行监控表 .xlsx, one sheet per project

    @property
    def summary(self) -> Summary:
        """The Summary the files were written from (consolidated again from the ledger when the files
        were kept from an earlier run)."""
        return self.load_summary()

    @property
    def narrative(self) -> str:
        """The 报送版 Markdown text."""
        return self.markdown.read_text(encoding="utf-8")

    @property
    def internal(self) -> str:
        """The internal Markdown text."""
        return self.internal_markdown.read_text(encoding="utf-8")

    def paths(self) -> dict[str, Path]:
        """Every file written, by its name in :data:`REPORT_KINDS`."""
        found = {name: getattr(self, name) for name, _label in REPORT_KINDS}
        return {name: path for name, path in found.items() if path is not None}

    def labelled(self) -> tuple[tuple[str, Path], ...]:
        """(what it is, where) of every file written, in the order a person reads them."""
        paths = self.paths()
        return tuple((label, paths[name]) for name, label in REPORT_KINDS if name in paths)


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
    # The writers import pandas, xlsxwriter, python-docx and Jinja: a run whose reports are current
    # never loads them.
    from perfsheet.report.bureau import write_bureau_workbooks
    from perfsheet.report.narrative import (
        key_sentences,
        render_internal_markdown,
        render_markdown,
        write_docx,
    )
    from perfsheet.report.workbook import summary_filename, write_summary_workbook

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
    platform_export = monitoring_forms = None
    if department is not None:
        platform_export, monitoring_forms = write_bureau_workbooks(
            summary, department, folder, unit_name=department.name, root=base_root
        )
    return ReportFiles(
        workbook=workbook,
        markdown=md_path,
        docx=docx_path,
        internal_markdown=internal_md,
        internal_docx=internal_docx,
        summary_json=summary.to_json(),
        load_summary=lambda: summary,
        platform_export=platform_export,
        monitoring_forms=monitoring_forms,
    )
