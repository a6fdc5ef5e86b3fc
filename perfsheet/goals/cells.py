"""Goals documents as tables of cells: the first step of the goals import, whatever the file type.

Every input — the seed's tab-led text export, pipe (Markdown) tables, space-separated lines, Word,
Excel (.xlsx/.xls) and HTML pages — becomes a list of :class:`TextBlock` (paragraphs, titles) and
:class:`TableBlock` (rows of :class:`Cell`). Merged cells are expanded: every grid position of a
merge holds the merge's text and the same ``origin``, so a reader of the table can tell "merged
down from above" from "empty". Each cell says where it is as a person sees it (``210`` for a text
line, ``第 4 个表格第 3 行第 5 格`` in Word, ``Sheet1!C5`` in Excel); :mod:`perfsheet.goals.tables`
interprets the blocks. Nothing here knows what a goals table means.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from perfsheet.a1 import rc_to_a1
from perfsheet.errors import GoalsDocumentError

__all__ = [
    "Block",
    "Cell",
    "TableBlock",
    "TextBlock",
    "count_xlsx_cells",
    "read_blocks",
    "text_blocks",
]

# Bounds for untrusted documents: a goals document is a few MB at most.
MAX_TEXT_BYTES = 5 * 1024 * 1024
MAX_PACKAGE_BYTES = 20 * 1024 * 1024
MAX_PACKAGE_MEMBERS = 2000
MAX_PACKAGE_UNCOMPRESSED = 100 * 1024 * 1024
MAX_CELLS = 400_000  # all tables of one document together
MAX_SPAN = 200  # a rowspan/colspan wider than any goals table is clipped


@dataclass(frozen=True, slots=True)
class Cell:
    """One grid position of a table. ``origin`` is shared by all positions of one merged cell."""

    text: str
    where: str  # as a person finds it, without the file name
    origin: tuple[int, int]  # (row, column) of the merge's top-left position, 0-based within the table


@dataclass(frozen=True, slots=True)
class TableBlock:
    """A table. ``shape`` says how far rows can be trusted to be aligned to columns:

    ``grid``: merges expanded, every row as wide as the table (Word, Excel, HTML);
    ``tab``: the seed's text export, where a row's cells may spill onto the next row;
    ``ragged``: pipe or space-separated text, where a short row lacks its merged leading cells.
    """

    rows: tuple[tuple[Cell, ...], ...]
    shape: str
    where: str
    sheet: bool = False  # a worksheet: a form of its own, no project continues across it


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A paragraph (or a title) outside tables; empty text is a blank line / empty paragraph."""

    text: str
    where: str


Block = TextBlock | TableBlock

# Export artefacts such as "[bookmark: _Toc_2_2_0000000001]" are not part of the text.
_BOOKMARK_RE = re.compile(r"\[bookmark: [^\]]*\]")


def clean(text: str) -> str:
    return _BOOKMARK_RE.sub("", text).replace("\u00a0", " ").replace("\u3000", " ").strip()


def _fail(message: str, path: Path) -> GoalsDocumentError:
    return GoalsDocumentError(message, path)


# --- text -----------------------------------------------------------------------------------------


def _decode(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise _fail(f"文件过大（{size // 1024} KB），不像是绩效目标文档", path)
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(f"无法读取：{exc.strerror or exc}", path) from None
    if b"\x00" in data[:4096]:
        raise _fail("不是文本文件（含有二进制内容）；请提供文本导出、Word、Excel 或网页文件", path)
    # UTF-8 first; exports from Chinese Windows are often GB18030 (GBK).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail("文件既不是 UTF-8 也不是 GB18030 编码的文本", path)  # pragma: no cover


_HEADING_RE = re.compile(r"^\s*#{1,6}\s+")  # a Markdown heading's "## "
_PIPE_SEPARATOR_RE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# Space-separated cells: two or more spaces, or one space between two CJK words/numbers with no
# punctuation (a sentence has punctuation, a table row does not).
_SPACES_RE = re.compile(r"\s{2,}|\t")


def _split_pipe(line: str) -> list[str]:
    """Cells of a pipe-table row; ``\\|`` is a literal bar. A zero-width cell ("||") continues the
    cell before it (MultiMarkdown's colspan) and is returned as ``None``."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells: list[str] = []
    current = ""
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            current += "|"
            i += 2
            continue
        if body[i] == "|":
            cells.append(current)
            current = ""
        else:
            current += body[i]
        i += 1
    cells.append(current)
    return cells


def text_blocks(text: str) -> list[Block]:
    """Blocks of a plain-text or Markdown document (line numbers 1-based).

    Three table shapes are recognised line by line: tab-led cells (the seed's export: one cell per
    line, rows ended by a line without a leading tab), pipe rows (``| a | b |``) and rows of cells
    separated by two or more spaces or tabs. Other lines are paragraphs.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    rows: list[list[Cell]] = []
    shape = ""
    table_start = 0

    def flush() -> None:
        nonlocal rows, shape
        if rows:
            blocks.append(TableBlock(tuple(tuple(r) for r in rows), shape, str(table_start)))
        rows, shape = [], ""

    def start(kind: str, number: int) -> None:
        nonlocal shape, table_start
        if shape != kind:
            flush()
            shape, table_start = kind, number

    tab_row: list[Cell] = []
    for number, line in enumerate(lines, start=1):
        if line.startswith("\t") and "\t" not in line[1:]:
            start("tab", number)
            tab_row.append(Cell(clean(line[1:]), str(number), (len(rows), len(tab_row))))
            continue
        if tab_row:
            rows.append(tab_row)
            tab_row = []
        stripped = line.strip()
        if shape == "tab" and not stripped:
            continue  # a blank line between tab rows keeps the table going
        if stripped.startswith("|") and stripped.count("|") >= 2:
            if _PIPE_SEPARATOR_RE.match(stripped):
                continue
            start("ragged", number)
            row: list[Cell] = []
            for raw in _split_pipe(stripped):
                if raw == "" and row:  # "||": the cell before spans this column too
                    row.append(Cell(row[-1].text, str(number), row[-1].origin))
                else:
                    text_ = clean(raw.replace("<br>", "\n"))
                    row.append(Cell(text_, str(number), (len(rows), len(row))))
            rows.append(row)
            continue
        parts = [p for p in _SPACES_RE.split(stripped) if p]
        # Three cells make a row; inside a space-separated table two do ("年度目标    完成……").
        tabbed = "\t" in stripped
        if (len(parts) >= 3 or (len(parts) == 2 and (shape == "ragged" or tabbed))) and not re.search(r"[。；;]$", stripped):
            start("ragged", number)
            if _SPACES_RE.match(line):  # an indented row continues the label of the row above
                parts = ["", *parts]
            rows.append([Cell(clean(p), str(number), (len(rows), i)) for i, p in enumerate(parts)])
            continue
        flush()
        blocks.append(TextBlock(clean(_HEADING_RE.sub("", line)), str(number)))
    if tab_row:
        rows.append(tab_row)
    flush()
    return blocks


# --- packages (docx, xlsx) --------------------------------------------------------------------------


def _check_package(path: Path, kind: str) -> None:
    """Refuse zip bombs and non-zip files before a library opens them."""
    try:
        size = path.stat().st_size
        if size > MAX_PACKAGE_BYTES:
            raise _fail(f"文件过大（{size // 1024 // 1024} MB），不像是绩效目标文档", path)
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise _fail(f"不是有效的 {kind} 文件（不是 zip 格式的 Office 文档，可能已损坏、已加密或被改了扩展名）", path) from None
    if len(members) > MAX_PACKAGE_MEMBERS or sum(m.file_size for m in members) > MAX_PACKAGE_UNCOMPRESSED:
        raise _fail("文件解压后过大，拒绝读取", path)


def _docx_blocks(path: Path) -> list[Block]:
    import docx  # python-docx
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph as DocxParagraph

    _check_package(path, ".docx")
    try:
        document = docx.Document(str(path))
    except Exception:  # python-docx raises many types for a broken package
        raise _fail("无法打开 .docx 文件：文件已损坏、已加密或不是 Word 文档", path) from None
    blocks: list[Block] = []
    table_no = paragraph_no = 0
    cells_seen = 0
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            paragraph_no += 1
            blocks.append(TextBlock(clean(block.text), f"第 {paragraph_no} 段"))
            continue
        if not isinstance(block, Table):  # pragma: no cover - python-docx yields only these two
            continue
        table_no += 1
        grid: list[list[Cell]] = []
        for row_no, tr in enumerate(block._tbl.tr_lst, start=1):
            row: list[Cell] = []
            column = 0
            for tc in tr.tc_lst:
                span = max(1, min(int(tc.grid_span or 1), MAX_SPAN))
                above = grid[-1][column] if grid and column < len(grid[-1]) else None
                if tc.vMerge == "continue" and above is not None:
                    text, origin = above.text, above.origin
                else:
                    text, origin = clean(_Cell(tc, block).text), (row_no - 1, column)
                for k in range(span):
                    where = f"第 {table_no} 个表格第 {row_no} 行第 {column + k + 1} 格"
                    row.append(Cell(text, where, origin))
                column += span
            cells_seen += len(row)
            if cells_seen > MAX_CELLS:
                raise _fail("表格过大，不像是绩效目标文档", path)
            grid.append(row)
        blocks.append(TableBlock(_rectangular(grid), "grid", f"第 {table_no} 个表格"))
    return blocks


def _rectangular(grid: list[list[Cell]]) -> tuple[tuple[Cell, ...], ...]:
    """Pad short rows with empty cells so every row is as wide as the widest."""
    width = max((len(r) for r in grid), default=0)
    out = []
    for r, row in enumerate(grid):
        pad = [Cell("", row[-1].where if row else "", (r, len(row) + k)) for k in range(width - len(row))]
        out.append(tuple(row + pad))
    return tuple(out)


def excel_text(value: Any, number_format: str = "") -> str:
    """A spreadsheet value as the form shows it: 5.0 → "5", 0.95 formatted as percent → "95%",
    a date → "2021年12月31日"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, float | int):
        from decimal import Decimal

        number = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
        if "%" in number_format:
            number = number * 100
        text = format(number.normalize(), "f") if number == number.to_integral_value() else format(number, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text + ("%" if "%" in number_format else "")
    return clean(str(value))


def _sheet_table(name: str, values: Sequence[Sequence[str]], merges: Sequence[tuple[int, int, int, int]]) -> TableBlock:
    """A sheet as one table: merged ranges (0-based, inclusive) take the top-left value."""
    height = len(values)
    width = max((len(r) for r in values), default=0)
    origin_of: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, c0, r1, c1 in merges:
        for r in range(r0, min(r1, height - 1, r0 + MAX_SPAN) + 1):
            for c in range(c0, min(c1, width - 1, c0 + MAX_SPAN) + 1):
                origin_of[(r, c)] = (r0, c0)
    rows = []
    for r in range(height):
        row = []
        for c in range(width):
            origin = origin_of.get((r, c), (r, c))
            source = values[origin[0]]
            text = source[origin[1]] if origin[1] < len(source) else ""
            row.append(Cell(text, f"{name}!{rc_to_a1(r, c)}", origin))
        rows.append(tuple(row))
    return TableBlock(tuple(rows), "grid", name, sheet=True)


def count_xlsx_cells(path: Path) -> int:
    """Cells the worksheets hold, counted in the raw XML before openpyxl builds an object per cell."""
    total = 0
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
                continue
            tail = b""
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 20):
                    data = tail + chunk
                    total += data.count(b"<c ") + data.count(b"<c>")
                    tail = data[-3:]  # a tag split across chunks is counted in the next one
                    total -= tail.count(b"<c ") + tail.count(b"<c>")
            total += tail.count(b"<c ") + tail.count(b"<c>")
    return total


def _xlsx_blocks(path: Path) -> list[Block]:
    """.xlsx through openpyxl: merged ranges and number formats (a percent cell reads "95%")."""
    import openpyxl

    _check_package(path, ".xlsx")
    try:
        cells = count_xlsx_cells(path)
    except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, EOFError, ValueError, NotImplementedError):
        raise _fail("无法打开 .xlsx 文件：文件已损坏、已加密或不是 Excel 工作簿", path) from None
    if cells > MAX_CELLS:
        raise _fail("工作表过大，不像是绩效目标文档", path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception:  # openpyxl raises many types for a broken package
        raise _fail("无法打开 .xlsx 文件：文件已损坏、已加密或不是 Excel 工作簿", path) from None
    blocks: list[Block] = []
    total = 0
    try:
        for sheet in workbook.worksheets:
            if sheet.sheet_state != "visible":
                continue
            total += (sheet.max_row or 0) * (sheet.max_column or 0)
            if total > MAX_CELLS:
                raise _fail("工作表过大，不像是绩效目标文档", path)
            values = [
                [excel_text(c.value, c.number_format or "") for c in row]
                for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row, max_col=sheet.max_column)
            ]
            merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in sheet.merged_cells.ranges]
            blocks.append(_sheet_table(sheet.title, values, merges))
    finally:
        workbook.close()
    return blocks


def _xls_blocks(path: Path) -> list[Block]:
    """.xls (BIFF) and .ods through python-calamine, with their merged ranges."""
    from python_calamine import CalamineWorkbook

    try:
        if path.stat().st_size > MAX_PACKAGE_BYTES:
            raise _fail("文件过大，不像是绩效目标文档", path)
        workbook = CalamineWorkbook.from_path(str(path))
    except GoalsDocumentError:
        raise
    except Exception:  # calamine raises its own error types for broken files
        raise _fail(f"无法打开 {path.suffix} 文件：文件已损坏、已加密或不是 Excel 工作簿", path) from None
    blocks: list[Block] = []
    total = 0
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
            total += sheet.total_height * sheet.total_width
            if total > MAX_CELLS:
                raise _fail("工作表过大，不像是绩效目标文档", path)
            raw = sheet.to_python(skip_empty_area=False)
            ranges = sheet.merged_cell_ranges or []
        except GoalsDocumentError:
            raise
        except Exception:
            raise _fail(f"无法读取工作表“{name}”：文件已损坏", path) from None
        values = [[excel_text(v) for v in row] for row in raw]
        merges = [(a[0], a[1], b[0], b[1]) for a, b in ranges]
        blocks.append(_sheet_table(name, values, merges))
    return blocks


# --- HTML ---------------------------------------------------------------------------------------


class _HtmlTables(HTMLParser):
    """Tables (rowspan/colspan expanded) and the text between them, in document order."""

    _BLOCK_TAGS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "title", "caption", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.text: list[str] = []
        self.text_line = 1
        self.tables: list[dict[str, Any]] = []  # open tables (nested ones are read as their own tables)
        self.skip = 0  # inside <script>/<style>
        self.table_no = 0
        self.cells = 0

    # paragraphs outside tables
    def _flush_text(self) -> None:
        text = clean("".join(self.text))
        if text:
            for part in text.split("\n"):
                if part.strip():
                    self.blocks.append(TextBlock(clean(part), str(self.text_line)))
        self.text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
            return
        attributes = dict(attrs)
        if tag == "table":
            if not self.tables:
                self._flush_text()
            self.table_no += 1
            self.tables.append({"rows": [], "row": None, "cell": None, "pending": {}, "no": self.table_no})
            return
        if self.tables:
            table = self.tables[-1]
            if tag == "tr":
                self._end_row(table)
                table["row"] = {"cells": [], "col": 0}
            elif tag in ("td", "th"):
                self._end_cell(table)
                if table["row"] is None:
                    table["row"] = {"cells": [], "col": 0}
                table["cell"] = {
                    "text": [],
                    "rowspan": _span(attributes.get("rowspan")),
                    "colspan": _span(attributes.get("colspan")),
                    "line": self.getpos()[0],
                }
            elif (tag == "br" and table["cell"] is not None) or (tag in ("p", "div") and table["cell"] is not None and table["cell"]["text"]):
                table["cell"]["text"].append("\n")
            return
        if tag == "br":
            self.text.append("\n")
        elif tag in self._BLOCK_TAGS:
            self._flush_text()
            self.text_line = self.getpos()[0]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
            return
        if tag == "table" and self.tables:
            table = self.tables.pop()
            self._end_row(table)
            self._emit(table)
            return
        if self.tables:
            table = self.tables[-1]
            if tag in ("td", "th"):
                self._end_cell(table)
            elif tag == "tr":
                self._end_row(table)
            return
        if tag in self._BLOCK_TAGS:
            self._flush_text()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.tables:
            cell = self.tables[-1]["cell"]
            if cell is not None:
                cell["text"].append(data)
            return
        if not "".join(self.text).strip():
            self.text_line = self.getpos()[0]
        self.text.append(data)

    def _end_cell(self, table: dict[str, Any]) -> None:
        cell, row = table["cell"], table["row"]
        if cell is None or row is None:
            return
        table["cell"] = None
        text = clean(re.sub(r"[ \t\r\f\v]*\n[ \t\r\f\v]*", "\n", re.sub(r"[ \t\r\f\v]+", " ", "".join(cell["text"]))))
        row["cells"].append((text, cell["rowspan"], cell["colspan"], cell["line"]))
        self.cells += cell["rowspan"] * cell["colspan"]
        if self.cells > MAX_CELLS:
            raise ValueError("too many cells")

    def _end_row(self, table: dict[str, Any]) -> None:
        self._end_cell(table)
        row = table["row"]
        if row is None:
            return
        table["row"] = None
        table["rows"].append(row["cells"])

    def _emit(self, table: dict[str, Any]) -> None:
        """Lay the rows out on a grid, honouring rowspan/colspan."""
        occupied: dict[tuple[int, int], Cell] = {}
        no = table["no"]
        width = 0
        for r, cells in enumerate(table["rows"]):
            c = 0
            for text, rowspan, colspan, line in cells:
                while (r, c) in occupied:
                    c += 1
                origin = (r, c)
                for dr in range(rowspan):
                    for dc in range(colspan):
                        where = f"{line}（第 {no} 个表格第 {r + dr + 1} 行第 {c + dc + 1} 格）"
                        occupied[(r + dr, c + dc)] = Cell(text, where, origin)
                c += colspan
                width = max(width, c)
        height = len(table["rows"])
        grid = []
        for r in range(height):
            row = []
            for c in range(width):
                row.append(occupied.get((r, c)) or Cell("", f"第 {no} 个表格第 {r + 1} 行第 {c + 1} 格", (r, c)))
            grid.append(tuple(row))
        if grid:
            self.blocks.append(TableBlock(tuple(grid), "grid", f"第 {no} 个表格"))

    def close(self) -> None:
        super().close()
        while self.tables:
            table = self.tables.pop()
            self._end_row(table)
            self._emit(table)
        self._flush_text()


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(str(value).strip()), MAX_SPAN))
    except (TypeError, ValueError):
        return 1


def html_blocks(text: str) -> list[Block]:
    parser = _HtmlTables()
    parser.feed(text)
    parser.close()
    return parser.blocks


def _html_blocks(path: Path) -> list[Block]:
    text = _decode(path)
    try:
        return html_blocks(text)
    except ValueError:
        raise _fail("网页中的表格过大，不像是绩效目标文档", path) from None


# --- dispatch -----------------------------------------------------------------------------------


def read_blocks(path: str | Path) -> list[Block]:
    """The blocks of a goals document, by its suffix. Raises :class:`GoalsDocumentError` (one Chinese
    line) for a file that cannot be read as the type it claims to be."""
    p = Path(path)
    if not p.is_file():
        raise _fail("找不到文件", p)
    suffix = p.suffix.lower()
    if suffix == ".docx":
        return _docx_blocks(p)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_blocks(p)
    if suffix in (".xls", ".ods"):
        return _xls_blocks(p)
    if suffix in (".html", ".htm"):
        return _html_blocks(p)
    if suffix in (".txt", ".text", ".md", ".markdown"):
        return text_blocks(_decode(p))
    raise _fail(
        f"不支持的文件类型“{p.suffix}”：请提供 .txt/.md（文本）、.docx（Word）、.xlsx/.xls/.ods（电子表格）或 .html（网页）文件", p
    )
