"""Test helpers for the goals-document importer: a .docx made mechanically from the text export.

``text_export_to_docx`` does not interpret the document. It lays the export out as Word would have
held it: every non-tab line becomes a paragraph (Part 1's broken lines stay broken), every group of
tab rows becomes a real Word table (rows separated by a single non-tab line belong to one table), a
row with fewer cells than the table is wide gets horizontally merged cells, and an empty first cell
is vertically merged into the cell above (the 一级指标 column). Irregular rows (table 1's lone
指标值确定依据) stay irregular. So the .docx import is tested on the same raw structure as the text.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.document import Document as DocxDocument

SEED_NAME = "000_95543d55ae7ca3fd.txt"
_TITLE_RE = re.compile(r"^\d+、.+绩效目标表$")


def _parse_export(text: str) -> list[str | list[list[str]]]:
    """Blocks in order: a paragraph (str) or a table (list of rows of cell texts)."""
    blocks: list[str | list[list[str]]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].startswith("\t"):
            blocks.append(lines[i])
            i += 1
            continue
        table: list[list[str]] = []
        while i < len(lines) and lines[i].startswith("\t"):
            row: list[str] = []
            while i < len(lines) and lines[i].startswith("\t"):
                row.append(lines[i][1:])
                i += 1
            table.append(row)
            # One separator line between rows keeps the table going; more lines end it.
            if i + 1 < len(lines) and lines[i + 1].startswith("\t"):
                i += 1
            else:
                break
        blocks.append(table)
    return blocks


def _add_table(document: DocxDocument, rows: list[list[str]]) -> None:
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for r, cells in enumerate(rows):
        if len(cells) == 1:
            spans = [width]
        else:
            base, extra = divmod(width - 1, len(cells) - 1)
            spans = [1] + [base + (1 if k < extra else 0) for k in range(len(cells) - 1)]
        column = 0
        for text, span in zip(cells, spans, strict=True):
            cell = table.cell(r, column)
            if span > 1:
                cell = cell.merge(table.cell(r, column + span - 1))
            cell.text = text
            column += span
    for r, cells in enumerate(rows):
        if r > 0 and len(cells) > 1 and cells[0] == "" and len(rows[r - 1]) > 1:
            table.cell(r - 1, 0).merge(table.cell(r, 0))


def text_export_to_docx(text: str, path: Path) -> Path:
    document = docx.Document()
    for block in _parse_export(text.replace("\r\n", "\n")):
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            _add_table(document, block)
    document.save(str(path))
    return path


def seed_cells_by_project(text: str) -> list[tuple[str, list[str]]]:
    """(title, every tab-cell string stripped) per project table of the seed, in order."""
    projects: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        if _TITLE_RE.match(line.strip()):
            projects.append((line.strip(), []))
        elif line.startswith("\t") and projects:
            projects[-1][1].append(line[1:].strip())
    return projects


# --- the seed's tables in other file types --------------------------------------------------------


def _areas(rows: list[list[str]], width: int) -> list[tuple[int, int, int, int, str]]:
    """Merged areas (r0, c0, r1, c1, text) of rows laid out as the goals document draws them: a short row
    spans the table's width, an empty first cell under a labelled one is merged into it."""
    from perfsheet.goals.document import _spans

    areas: list[list[object]] = []
    first_of_row: dict[int, list[object]] = {}
    for r, cells in enumerate(rows):
        column = 0
        for i, (text, span) in enumerate(zip(cells, _spans(len(cells), width, 1), strict=True)):
            if i == 0 and not text and r > 0 and len(cells) > 1 and len(rows[r - 1]) > 1 and r - 1 in first_of_row:
                above = first_of_row[r - 1]
                above[2] = r
                first_of_row[r] = above
            else:
                area: list[object] = [r, column, r, column + span - 1, text]
                areas.append(area)
                if i == 0:
                    first_of_row[r] = area
            column += span
    return [(int(a[0]), int(a[1]), int(a[2]), int(a[3]), str(a[4])) for a in areas]  # type: ignore[call-overload]


def project_tables(department: object) -> list[tuple[str, list[list[str]], list[list[str]]]]:
    from perfsheet.goals.document import goals_document_rows

    return [(p.name, *goals_document_rows(p)) for p in department.projects]  # type: ignore[attr-defined]


def seed_as_xlsx(department: object, path: Path) -> Path:
    """One sheet per project: its title, the money table and the indicator table, merges as Excel merges."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    for n, (name, money, indicators) in enumerate(project_tables(department), start=1):
        sheet = wb.add_worksheet(f"项目{n}")
        sheet.write_string(0, 0, f"{n}、{name}绩效目标表")
        offset = 1
        for rows, width in ((money, 7), (indicators, 6)):
            for r0, c0, r1, c1, text in _areas(rows, width):
                if (r0, c0) != (r1, c1):
                    sheet.merge_range(r0 + offset, c0, r1 + offset, c1, text)
                else:
                    sheet.write_string(r0 + offset, c0, text)
            offset += len(rows) + 1
    wb.close()
    return path


def seed_as_html(department: object, path: Path) -> Path:
    """The projects as an HTML page: a title paragraph and two tables each, merges as rowspan/colspan."""
    import html as html_module

    parts = ["<html><head><meta charset='utf-8'></head><body>"]
    for n, (name, money, indicators) in enumerate(project_tables(department), start=1):
        parts.append(f"<p>{n}、{html_module.escape(name)}绩效目标表</p>")
        for rows, width in ((money, 7), (indicators, 6)):
            by_row: dict[int, list[tuple[int, int, int, int, str]]] = {}
            for area in _areas(rows, width):
                by_row.setdefault(area[0], []).append(area)
            parts.append("<table border=1>")
            for r in range(len(rows)):
                cells = "".join(
                    f"<td rowspan={r1 - r0 + 1} colspan={c1 - c0 + 1}>{html_module.escape(text).replace(chr(10), '<br>')}</td>"
                    for r0, c0, r1, c1, text in sorted(by_row.get(r, []), key=lambda a: a[1])
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
