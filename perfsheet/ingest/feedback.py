"""Feedback workbooks: a fresh template holding what the chief sent, with every problem marked.

Last step of the ingest stage for returns that are invalid or warned. The user's file is never
re-saved: a new template is built from the registry (:func:`perfsheet.template.build_template`),
filled with the submitted values (:func:`perfsheet.template.fill_template`) — cells with a problem
keep the raw text as typed so the chief sees what was wrong — then each problem cell is filled red
(error) or amber (warning) with a Chinese comment, and a first sheet 问题清单 lists every issue. Once
the chief corrects the cells and sends it back, it ingests like any return.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from perfsheet.form.fields import FieldSpec, Kind, project_fields
from perfsheet.form.issues import display_value, issue_row
from perfsheet.form.layout import Layout, compute_layout
from perfsheet.form.values import submission_values
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.model import Department, Issue, Period, Severity, Submission
from perfsheet.rules import MonitoringRules, Thresholds
from perfsheet.template.build import build_template, fill_template
from perfsheet.xlsxutil import row_height
from perfsheet.ziputil import pin_zip_times

__all__ = ["ISSUE_HEADER_ROW", "ISSUE_SHEET", "feedback_values", "write_feedback"]

ISSUE_SHEET = "问题清单"
ERROR_FILL = "FFFF9999"  # light red
WARNING_FILL = "FFFFD966"  # amber
_AUTHOR = "perfsheet"
_FIXED_TIME = dt.datetime(2000, 1, 1)


def _form_value(spec: FieldSpec, raw: object) -> object:
    """A raw cell value in the form's units for ``fill_template`` (percent cells store fractions)."""
    if isinstance(raw, float | int) and not isinstance(raw, bool):
        if spec.kind is Kind.PERCENT:
            try:
                return Decimal(repr(raw)) * 100 if isinstance(raw, float) else Decimal(raw) * 100
            except InvalidOperation:
                return raw
        return raw
    if isinstance(raw, dt.datetime):
        return raw.date() if raw.time() == dt.time() else display_value(raw)
    if isinstance(raw, dt.date | str):
        return raw
    return None if raw is None else display_value(raw)


def feedback_values(
    submission: Submission,
    issues: Iterable[Issue],
    raw_values: Mapping[str, object],
    specs: Iterable[FieldSpec],
) -> dict[str, object]:
    """Values to write back: the typed value of clean cells, the raw value of cells with an issue; a
    cell nothing was read from (a file whose layout could not be trusted) keeps the template's start."""
    typed = submission_values(submission)
    flagged = {issue.field for issue in issues if issue.field}
    values: dict[str, object] = {}
    for spec in specs:
        if spec.name in flagged and spec.name in raw_values:
            values[spec.name] = _form_value(spec, raw_values[spec.name])
        elif spec.name in raw_values or typed.get(spec.name) is not None:
            values[spec.name] = typed.get(spec.name)
    return values


def write_feedback(
    department: Department,
    submission: Submission,
    issues: Iterable[Issue],
    out_path: str | Path,
    *,
    raw_values: Mapping[str, object] | None = None,
    period: Period | None = None,
    root: str | Path | None = None,
    rules: MonitoringRules | None = None,
    thresholds: Thresholds | None = None,
) -> Path:
    """Write the feedback workbook of one return to ``out_path`` (atomically) and return the path.

    ``root``: the workspace ``out_path`` lies in; the write then follows the workspace's confinement
    rule (:func:`perfsheet.fsutil.confined`: no symlink on the way, nothing outside).

    ``raw_values`` (field → cell value as found, from :func:`perfsheet.ingest.check.read_return` or
    the ledger) keep the bad text in problem cells; without them the typed values are written.
    ``period`` builds the template of another period (the one being collected, when the return had
    ``wrong-period``); ``rules`` and ``thresholds`` those of the workspace, so the copy is the form the
    chief was sent.
    """
    import openpyxl

    project = department.project(submission.project_code)
    issue_list = list(issues)
    form_period = period or submission.period
    values = feedback_values(submission, issue_list, raw_values or {}, project_fields(project, form_period, rules))
    template = build_template(department, project, form_period, rules=rules, thresholds=thresholds)
    filled = fill_template(template, values)
    book = openpyxl.load_workbook(io.BytesIO(filled))
    layout = compute_layout(project, year_end=form_period.year_end)
    _mark_problem_cells(book["监控表"], layout, issue_list)
    month = (period or submission.period).label
    _add_issue_sheet(book, layout, issue_list, f"{project.name}（{month}）问题清单")
    return write_bytes_atomic(Path(out_path), _stable_bytes(book), root=root)


def _mark_problem_cells(sheet: Any, layout: Layout, issues: list[Issue]) -> None:
    """Each problem cell filled red (error) or amber (warning) with its messages as a comment."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    comments: dict[str, list[str]] = {}
    worst: dict[str, Severity] = {}
    for issue in issues:
        span = layout.fields.get(issue.field)
        if span is None:
            continue
        a1 = span.anchor
        comments.setdefault(a1, []).append(issue.message)
        if worst.get(a1) is not Severity.ERROR:
            worst[a1] = issue.severity
    for a1, texts in comments.items():
        cell = sheet[a1]
        colour = ERROR_FILL if worst[a1] is Severity.ERROR else WARNING_FILL
        cell.fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        comment = Comment("\n".join(texts), _AUTHOR)
        comment.width, comment.height = 320, 40 + 40 * len(texts)
        cell.comment = comment


ISSUE_HEADER_ROW = 2  # row 1 is the title: which project, which month


def _add_issue_sheet(book: Any, layout: Layout, issues: list[Issue], title: str) -> None:
    """The first sheet, 问题清单: titled, one bordered row per issue (where, what, what to do), printed
    landscape and one page wide on A4; opened first."""
    from openpyxl.styles import Alignment, Border, Font, Side

    listing = book.create_sheet(ISSUE_SHEET, 0)
    listing.append([title])
    listing.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    listing["A1"].font = Font(bold=True, size=14)
    listing["A1"].alignment = Alignment(horizontal="center", vertical="center")
    listing.row_dimensions[1].height = 28
    listing.append(["序号", "位置", "问题", "处理建议", "原值", "级别"])
    for number, issue in enumerate(issues, start=1):
        row = issue_row(issue)
        # Where the cell is in this fresh copy (rows a chief inserted are gone here).
        span = layout.fields.get(issue.field)
        where = f"监控表!{span.anchor}" if span is not None else (row["location"] or "整个文件")
        listing.append([number, where, row["title"], row["message"], row["value"], row["severity_label"]])
        for cell in listing[listing.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # the value as found is user text: "=…" must not become a formula
    thin = Side(style="thin", color="808080")
    for cells in listing.iter_rows(min_row=ISSUE_HEADER_ROW, max_row=listing.max_row, max_col=6):
        for cell in cells:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in listing[ISSUE_HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    widths = (6, 14, 16, 70, 18, 8)
    for column, width in zip("ABCDEF", widths, strict=True):
        listing.column_dimensions[column].width = width
    # No reader autofits rows: each is as tall as its longest wrapped text needs.
    for cells in listing.iter_rows(min_row=ISSUE_HEADER_ROW + 1, max_row=listing.max_row, max_col=6):
        texts = [(str(c.value), w) for c, w in zip(cells, widths, strict=True) if c.value is not None]
        listing.row_dimensions[cells[0].row].height = row_height(texts, minimum=18, line_height=14)
    setup = listing.page_setup
    setup.paperSize = listing.PAPERSIZE_A4
    setup.orientation = "landscape"
    setup.fitToWidth, setup.fitToHeight = 1, 0
    listing.sheet_properties.pageSetUpPr.fitToPage = True
    listing.print_title_rows = f"{ISSUE_HEADER_ROW}:{ISSUE_HEADER_ROW}"
    listing.print_options.horizontalCentered = True
    listing.page_margins.left = listing.page_margins.right = 0.5
    book.active = 0
    for ws in book.worksheets:
        ws.sheet_view.tabSelected = ws.title == ISSUE_SHEET


def _stable_bytes(book: Any) -> bytes:
    """The workbook's bytes, the same for the same content.

    openpyxl's save() stamps 'modified' and every zip member with the time of saving; its writer is
    called directly (keeping the pinned times) and the member times pinned.
    """
    from openpyxl.writer.excel import ExcelWriter

    book.properties.created = _FIXED_TIME
    book.properties.modified = _FIXED_TIME
    out = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return pin_zip_times(out.getvalue())
