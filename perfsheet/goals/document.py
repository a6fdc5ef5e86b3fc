"""Goals-document import (绩效目标申报文档 → registry) and the reverse, a .docx written from a registry.

The first stage of the pipeline: a department's yearly goals document — Part 1 the narrative
(部门整体绩效目标), Part 2 one 项目支出绩效目标表 per budget project — becomes a :class:`Department`
that :mod:`perfsheet.registry` saves as YAML. Two readers feed one interpreter:

* :func:`tokenize_text` reads the plain-text export (a table row is a run of tab-led lines, one per
  cell; rows are separated by a line without a leading tab);
* :func:`tokenize_docx` reads a Word document (paragraphs and tables in body order).

Both yield the same tokens (:class:`Paragraph`, :class:`Row`, :class:`Gap`); :func:`interpret` turns
tokens into a Department. Source text is kept exactly as written, typos included.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

from perfsheet.docxutil import new_document, stable_docx_bytes
from perfsheet.errors import GoalsDocumentError
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.model import Department, DepartmentTarget, Indicator, PlanPoint, Project, Section, Target
from perfsheet.targets import TargetParseError, format_value, parse_target

__all__ = [
    "Gap",
    "Paragraph",
    "Place",
    "Row",
    "goals_document_rows",
    "import_goals_document",
    "interpret",
    "parse_goals_text",
    "tokenize_docx",
    "tokenize_text",
    "write_goals_docx",
]

# Bounds for untrusted documents: a goals document is a few hundred KB at most.
MAX_TEXT_BYTES = 5 * 1024 * 1024
MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_DOCX_MEMBERS = 2000
MAX_DOCX_UNCOMPRESSED = 100 * 1024 * 1024

# The indicator table's header row, in column order.
INDICATOR_HEADER: tuple[str, ...] = (
    "一级指标",
    "二级指标",
    "三级指标",
    "绩效指标描述",
    "指标值",
    "指标值确定依据",
)

# --- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """Where a token came from: a line of the text export, or a table/paragraph of a .docx."""

    number: int  # text export: 1-based line; docx: 1-based table number (paragraph number outside tables)
    label: str = ""  # docx only, Chinese, e.g. "第 3 个表格第 5 行"


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    place: Place


@dataclass(frozen=True, slots=True)
class Row:
    """One table row; cells as written (a vertically merged continuation cell is "")."""

    cells: tuple[str, ...]
    place: Place

    def cell_place(self, index: int) -> Place:
        """Where cell ``index`` (0-based) is: its own line in the text export, its column in a .docx."""
        if not self.place.label:
            return Place(self.place.number + index)
        return Place(self.place.number, f"{self.place.label}第 {index + 1} 格")


@dataclass(frozen=True, slots=True)
class Gap:
    """An empty line / empty paragraph: ends a paragraph (continuation lines are joined only without one)."""

    place: Place


Token = Paragraph | Row | Gap

# Export artefacts such as "[bookmark: _Toc_2_2_0000000001]" are not part of the text.
_BOOKMARK_RE = re.compile(r"\[bookmark: [^\]]*\]")


def _clean(text: str) -> str:
    return _BOOKMARK_RE.sub("", text).strip()


def tokenize_text(text: str) -> list[Token]:
    """Split the plain-text export into paragraphs, table rows and gaps (line numbers 1-based)."""
    tokens: list[Token] = []
    cells: list[str] = []
    first_line = 0
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if line.startswith("\t"):
            if not cells:
                first_line = number
            cells.append(_clean(line[1:]))
            continue
        if cells:
            tokens.append(Row(tuple(cells), Place(first_line)))
            cells = []
        body = _clean(line)
        tokens.append(Paragraph(body, Place(number)) if body else Gap(Place(number)))
    if cells:
        tokens.append(Row(tuple(cells), Place(first_line)))
    return tokens


def _check_docx_bounds(path: Path) -> None:
    """Refuse zip bombs and non-zip files before python-docx opens them."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCX_BYTES:
            raise GoalsDocumentError(f"文件过大（{size // 1024 // 1024} MB），不像是绩效目标文档", path)
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise GoalsDocumentError(f"不是有效的 .docx 文件（{type(exc).__name__}）", path) from None
    if len(members) > MAX_DOCX_MEMBERS or sum(m.file_size for m in members) > MAX_DOCX_UNCOMPRESSED:
        raise GoalsDocumentError("文件解压后过大，拒绝读取", path)


def tokenize_docx(path: str | Path) -> list[Token]:
    """Read a .docx body in order: paragraphs, then every table row as a :class:`Row`.

    A cell's text is its paragraphs joined with "\\n"; a horizontally merged cell is one cell (as in
    the text export); a vertically merged continuation cell (``w:vMerge`` without ``restart``) is "".
    """
    import docx  # python-docx; imported here so the text path needs no lxml
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph as DocxParagraph

    p = Path(path)
    _check_docx_bounds(p)
    try:
        document = docx.Document(str(p))
    except Exception as exc:  # python-docx raises many types for a broken package
        raise GoalsDocumentError(f"无法打开 .docx 文件（{type(exc).__name__}）", p) from None
    tokens: list[Token] = []
    table_no = paragraph_no = 0
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            paragraph_no += 1
            body = _clean(block.text)
            place = Place(paragraph_no, f"第 {paragraph_no} 段")
            tokens.append(Paragraph(body, place) if body else Gap(place))
        elif isinstance(block, Table):
            table_no += 1
            # Text of the cell above per grid column, for vertical merges outside the first column.
            above: dict[int, str] = {}
            for row_no, tr in enumerate(block._tbl.tr_lst, start=1):
                cells: list[str] = []
                column = 0
                for tc in tr.tc_lst:
                    if tc.vMerge == "continue":
                        # The export leaves a merged 一级指标 empty; other merged columns repeat their text.
                        cells.append("" if column == 0 else above.get(column, ""))
                    else:
                        text = _clean(_Cell(tc, block).text)
                        above[column] = text
                        cells.append(text)
                    column += tc.grid_span
                tokens.append(Row(tuple(cells), Place(table_no, f"第 {table_no} 个表格第 {row_no} 行")))
            tokens.append(Gap(Place(table_no, f"第 {table_no} 个表格")))
    return tokens


# --- interpretation -----------------------------------------------------------------------------


def _fail(path: str, place: Place | None, message: str) -> NoReturn:
    if place is None:
        raise GoalsDocumentError(message, path)
    raise GoalsDocumentError(f"{place.label}：{message}" if place.label else message, path, place.number)


def _key(text: str) -> str:
    """A label compared without spaces (the export writes "其中：财政    资金")."""
    return re.sub(r"\s+", "", text)


_PART2_RE = re.compile(r"^第二部分$")
_PART_RE = re.compile(r"^第[一二三四五六七八九十]+部分$")
# A paragraph that starts a numbered item never continues the previous line.
_ITEM_START_RE = re.compile(r"^(?:\d+\s*[.．、]|[一二三四五六七八九十]+[、是])")
_PROJECT_TITLE_RE = re.compile(r"^\d+\s*[、.．]\s*(?P<title>.+?)绩效目标表$")
_PART1_HEADING_RE = re.compile(r"^[一二三四五六七八九十]+、\s*(总体绩效目标|分项绩效目标|工作保障措施)$")
_DOC_TITLE_RE = re.compile(r"^(?P<name>\S+?)(?P<year>\d{4})年度?(部门)?预算绩效目标$")
# A line that ends a sentence; a line ending otherwise was broken by the export and continues.
_SENTENCE_END = ("。", "：", ":", "；", ";", "！", "？", "）", ")", "”")
_LIST_ITEM_RE = re.compile(r"^\d+\s*[.．、]\s*(?P<name>[^。]+?)。(?P<duties>.*)$")
_PARENS_RE = re.compile(r"[（(][^）)]*[）)]")


@dataclass
class _Part1:
    title_name: str = ""
    title_year: int | None = None
    overall: list[str] = field(default_factory=list)
    section_goals: list[tuple[str, Place]] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)


def _paragraphs(tokens: Sequence[Token]) -> Iterator[tuple[str, Place]]:
    """Paragraph texts with export line breaks undone.

    The text export breaks some long paragraphs (基层科's duties break after "村居法"); a line is joined
    to the previous one when no gap separates them and the previous one does not end a sentence.
    Headings are never joined.
    """
    pending: tuple[str, Place] | None = None
    for token in tokens:
        if isinstance(token, Paragraph):
            joins = (
                pending is not None
                and not _is_heading(pending[0])
                and not pending[0].endswith(_SENTENCE_END)
                and not _is_heading(token.text)
                and not _ITEM_START_RE.match(token.text)
            )
            if pending is not None and joins:
                pending = (pending[0] + token.text, pending[1])
                continue
            if pending is not None:
                yield pending
            pending = (token.text, token.place)
        elif pending is not None:
            yield pending
            pending = None
    if pending is not None:
        yield pending


def _is_heading(text: str) -> bool:
    return bool(_PART1_HEADING_RE.match(text) or _PART_RE.match(text) or _DOC_TITLE_RE.match(text)) or (
        text == "部门整体绩效目标"
    )


def _read_part1(tokens: Sequence[Token]) -> _Part1:
    part = _Part1()
    current: str | None = None
    for text, place in _paragraphs(tokens):
        heading = _PART1_HEADING_RE.match(text)
        if heading:
            current = heading.group(1)
            continue
        if current is None:
            title = _DOC_TITLE_RE.match(text)
            if title:
                part.title_name, part.title_year = title.group("name"), int(title.group("year"))
        elif current == "总体绩效目标":
            part.overall.append(text)
        elif current == "分项绩效目标":
            part.section_goals.append((text, place))
        else:
            part.measures.append(text)
    return part


def _split_list(text: str) -> list[str]:
    """Split "甲、乙（丙、丁）、戊" on 、 outside parentheses."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += char in "（("
        depth -= char in "）)"
        if char == "、" and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [i.strip() for i in items if i.strip()]


_SECTIONS_RE = re.compile(r"^(?P<dept>\S+?)下设(?P<list>.+?)[，,]\s*[一二三四五六七八九十\d]+个职能机构")


def _sections(path: str, paragraphs: list[tuple[str, Place]]) -> tuple[str, tuple[Section, ...]]:
    """The department's short name and its sections from 二、分项绩效目标.

    Section names come from the list in the lead paragraph ("…下设办公室、…，六个职能机构"); the
    numbered duty paragraphs are matched to them ignoring parenthesised parts, because the document
    writes "（秘书处）" and "(安置帮教办公室)" there. Duty text is kept as written.
    """
    if not paragraphs:
        return "", ()
    lead = _SECTIONS_RE.match(paragraphs[0][0])
    if lead is None:
        return "", ()
    names = _split_list(lead.group("list"))
    duties: dict[str, str] = {}
    for text, place in paragraphs[1:]:
        item = _LIST_ITEM_RE.match(text)
        if item is None:
            continue  # "现将各个职能机构绩效目标情况说明如下：" and the like
        written = item.group("name").strip()
        match = [n for n in names if _PARENS_RE.sub("", n) == _PARENS_RE.sub("", written)]
        if len(match) != 1:
            _fail(path, place, f"职能机构“{written}”不在“下设”列出的机构（{'、'.join(names)}）中")
        duties[match[0]] = item.group("duties").strip()
    return lead.group("dept"), tuple(Section(name=n, duties=duties.get(n, "")) for n in names)


def _official_name(short: str, full_text: str) -> str:
    """Expand "路南司法局" to "路南区司法局" when the document itself names the district "路南区".

    The document calls itself "路南司法局" once; the district is written "路南区" elsewhere and the
    official name of the bureau includes it.
    """
    if short.endswith("司法局") and not short.endswith("区司法局"):
        place = short[: -len("司法局")]
        if place and f"{place}区" in full_text:
            return f"{place}区司法局"
    return short


# Department-wide targets in the 分项绩效目标 lead paragraph: "保持在90%以上", "不少于30场".
_NUM = r"(?P<num>\d+(?:\.\d+)?)(?P<unit>%|万册|万元|人次|[场册次件人家天个元])"
_DEPT_TARGET_RES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"(?P<subject>.*?)(?:不少于|不低于){_NUM}"), "≥"),
    (re.compile(rf"(?P<subject>.*?)(?:不超过|不高于|不多于){_NUM}"), "≤"),
    (re.compile(rf"(?P<subject>.*?){_NUM}以上"), "≥"),
    (re.compile(rf"(?P<subject>.*?){_NUM}以下"), "≤"),
)
# Words before the thing measured: "我局将进一步提高…", "严格控制在…", "满意率在95%以上".
_SUBJECT_FILLER_RE = re.compile(r"^(?:我局将?|将|进一步|提高|降低|保持在?|严格控制在?|控制在?)+")
_SUBJECT_TAIL_RE = re.compile(r"(?:保持在?|严格控制在?|控制在?|在|达到)$")


def _department_targets(path: str, text: str, place: Place) -> tuple[DepartmentTarget, ...]:
    """Targets stated in prose, e.g. "降低再犯罪率，严格控制在0.2%以下" → 再犯罪率 ≤0.2%.

    A clause that holds only the quantity takes its subject from the clause before.
    """
    found: list[DepartmentTarget] = []
    previous = ""
    for clause in re.split(r"[，,。；;]", text):
        for pattern, op in _DEPT_TARGET_RES:
            match = pattern.search(clause)
            if match is None:
                continue
            subject = _SUBJECT_TAIL_RE.sub("", _SUBJECT_FILLER_RE.sub("", match.group("subject").strip()))
            if not subject:
                subject = _SUBJECT_FILLER_RE.sub("", previous.strip())
            raw = f"{op}{match.group('num')}{match.group('unit')}"
            found.append(DepartmentTarget(subject, _target(path, raw, place)))
            break
        previous = clause
    return tuple(found)


def _target(path: str, raw: str, place: Place) -> Target:
    try:
        return parse_target(raw)
    except TargetParseError as exc:
        _fail(path, place, f"{exc}；请改为“≥95%”“≤10天”“100%”这样的写法，或写成定性的文字")


def _money(path: str, text: str, place: Place, what: str, *, blank_is_zero: bool = False) -> Decimal:
    cleaned = re.sub(r"[\s,，]", "", text)
    if not cleaned:
        if blank_is_zero:
            return Decimal(0)
        _fail(path, place, f"{what}为空")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        _fail(path, place, f"{what}“{text}”不是数字（单位：万元）")
    if not value.is_finite():
        _fail(path, place, f"{what}“{text}”不是数字（单位：万元）")
    return value


_MONTH_RE = re.compile(r"^(\d{1,2})月底?$")
_PERCENT_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*[%％]?$")


@dataclass
class _ProjectDraft:
    """Fields of one project as they are found, with the place of each for error messages."""

    title: str
    place: Place
    fields: dict[str, tuple[str, Place]] = field(default_factory=dict)
    months: list[tuple[str, Place]] = field(default_factory=list)
    percents: list[tuple[str, Place]] = field(default_factory=list)
    goal: list[str] = field(default_factory=list)
    purpose: list[str] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)


def _read_money_rows(path: str, draft: _ProjectDraft, rows: Sequence[Row]) -> None:
    """The rows above the indicator header: 单位, 项目编码/名称, 预算规模及资金用途, 资金支出计划, 绩效目标.

    A row whose first cell is empty continues the labelled row above (a vertically merged label).
    """
    label = ""
    for row in rows:
        first = _key(row.cells[0])
        continued = first == ""
        if not continued:
            label = first
        rest = row.cells[1:]
        if label.startswith("单位"):
            unit = re.split(r"[：:]", label, maxsplit=1)[-1]
            if unit != "万元":
                _fail(path, row.place, f"金额单位应为万元，文档写的是“{unit}”")
        elif label == "项目编码":
            for i in range(0, len(row.cells) - 1, 2):
                draft.fields[_key(row.cells[i])] = (row.cells[i + 1], row.cell_place(i + 1))
        elif label.startswith("预算规模"):
            if continued:
                draft.purpose.extend(c for c in rest if c)
            else:
                for i in range(0, len(rest) - 1, 2):
                    name = re.sub(r"^其中[：:]", "", _key(rest[i]))
                    draft.fields[name] = (rest[i + 1], row.cell_place(i + 2))
        elif label.startswith("资金支出计划"):
            target = draft.percents if continued else draft.months
            target.extend((c, row.cell_place(i)) for i, c in enumerate(rest, start=1))
        elif label == "绩效目标":
            draft.goal.extend(c for c in rest if c)
        else:
            _fail(path, row.place, f"无法识别的表格行“{row.cells[0] or '（空）'}”（项目“{draft.title}”）")


def _read_indicator_rows(path: str, draft: _ProjectDraft, rows: Sequence[Row]) -> None:
    """Indicator rows below the header: six cells each, an empty 一级指标 continues the one above.

    The export sometimes puts a row's last cells on a row of their own (table 1's 化解社会矛盾 has its
    指标值确定依据 alone on the next row), so cells are gathered across rows until six are complete.
    """
    width = len(INDICATOR_HEADER)
    pending: list[tuple[str, Place]] = []
    level1 = ""
    for row in rows:
        pending.extend((cell, row.cell_place(i)) for i, cell in enumerate(row.cells))
        if len(pending) < width:
            continue
        if len(pending) > width:
            _fail(
                path,
                row.place,
                f"指标行应有 {width} 个单元格（{'/'.join(INDICATOR_HEADER)}），此处有 {len(pending)} 个",
            )
        cells = [text for text, _ in pending]
        places = [place for _, place in pending]
        pending = []
        if cells[0]:
            level1 = cells[0]
        elif not level1:
            _fail(path, places[0], "第一个指标行缺少一级指标")
        if not cells[2]:
            _fail(path, places[2], "指标行缺少三级指标")
        draft.indicators.append(
            Indicator(
                n=len(draft.indicators) + 1,
                level1=level1,
                level2=cells[1],
                name=cells[2],
                description=cells[3],
                target=_target(path, cells[4], places[4]),
                basis=cells[5],
            )
        )
    if pending:
        _fail(path, pending[0][1], f"指标行不完整：只有 {len(pending)} 个单元格，应有 {width} 个")


def _read_project(path: str, title: str, place: Place, rows: Sequence[Row]) -> Project:
    draft = _ProjectDraft(title=title, place=place)
    header_at = next((i for i, r in enumerate(rows) if _key(r.cells[0]) == INDICATOR_HEADER[0]), None)
    if header_at is None:  # name the table (docx) / its first row (text), where the header belongs
        _fail(path, rows[0].place, f"项目表“{title}”缺少指标表头（{'/'.join(INDICATOR_HEADER)}）")
    header = rows[header_at]
    if tuple(_key(c) for c in header.cells) != INDICATOR_HEADER:
        _fail(
            path, header.place, f"指标表头应为 {'/'.join(INDICATOR_HEADER)}，文档为 {'/'.join(header.cells)}"
        )
    _read_money_rows(path, draft, rows[:header_at])
    _read_indicator_rows(path, draft, rows[header_at + 1 :])
    if not draft.indicators:
        _fail(path, header.place, f"项目表“{title}”没有绩效指标")

    def text_field(name: str, *, required: bool = True) -> tuple[str, Place]:
        if name not in draft.fields:
            if required:
                _fail(path, place, f"项目表“{title}”缺少“{name}”")
            return "", place
        return draft.fields[name]

    code, _ = text_field("项目编码")
    name, name_place = text_field("项目名称")
    if not code or not name:
        _fail(path, name_place, f"项目表“{title}”的项目编码或项目名称为空")
    budget_text, budget_place = text_field("预算数")
    fiscal_text, fiscal_place = text_field("财政资金")
    other_text, other_place = text_field("其他资金", required=False)
    budget = _money(path, budget_text, budget_place, "预算数")
    fiscal = _money(path, fiscal_text, fiscal_place, "财政资金", blank_is_zero=True)
    other = _money(path, other_text, other_place, "其他资金", blank_is_zero=True)
    if fiscal + other != budget:
        _fail(
            path,
            budget_place,
            f"项目“{name}”预算数 {format_value(budget)} 万元不等于财政资金 {format_value(fiscal)} + "
            f"其他资金 {format_value(other)}",
        )
    return Project(
        code=code,
        name=name,
        budget=budget,
        fiscal=fiscal,
        other=other,
        purpose="\n".join(draft.purpose),
        goal="\n".join(draft.goal),
        plan=_plan(path, draft),
        indicators=tuple(draft.indicators),
    )


def _plan(path: str, draft: _ProjectDraft) -> tuple[PlanPoint, ...]:
    """资金支出计划: "3月底"… over "25%"…; cumulative, months increasing, ending at 100 %."""
    if not draft.months:
        _fail(path, draft.place, f"项目表“{draft.title}”缺少资金支出计划")
    months = [(m, p) for m, p in draft.months if m]
    percents = [(v, p) for v, p in draft.percents if v]
    if len(months) != len(percents):
        _fail(path, months[0][1], f"资金支出计划有 {len(months)} 个月份但有 {len(percents)} 个比例")
    points: list[PlanPoint] = []
    for (month_text, month_place), (pct_text, pct_place) in zip(months, percents, strict=True):
        month_match, pct_match = _MONTH_RE.match(_key(month_text)), _PERCENT_RE.match(_key(pct_text))
        if month_match is None or not 1 <= int(month_match.group(1)) <= 12:
            _fail(path, month_place, f"资金支出计划的月份“{month_text}”无法识别（应为“3月底”这样的写法）")
        if pct_match is None:
            _fail(path, pct_place, f"资金支出计划的比例“{pct_text}”无法识别（应为“25%”这样的写法）")
        point = PlanPoint(int(month_match.group(1)), Decimal(pct_match.group(1)))
        if points and (point.month <= points[-1].month or point.percent < points[-1].percent):
            _fail(path, pct_place, "资金支出计划应按月份递增、累计比例不减少")
        points.append(point)
    if points[-1].percent != 100:
        _fail(
            path, percents[-1][1], f"资金支出计划最后应达到 100%，文档为 {format_value(points[-1].percent)}%"
        )
    return tuple(points)


def interpret(tokens: Sequence[Token], path: str, *, department: str | None = None) -> Department:
    """Turn document tokens into a Department (sections without chiefs, projects without sections).

    ``department`` overrides the department name found in the document.
    """
    part2_at = next(
        (i for i, t in enumerate(tokens) if isinstance(t, Paragraph) and _PART2_RE.match(t.text)),
        None,
    )
    if part2_at is None:  # no "第二部分" heading: Part 2 starts at the first project title
        part2_at = next(
            (i for i, t in enumerate(tokens) if isinstance(t, Paragraph) and _PROJECT_TITLE_RE.match(t.text)),
            len(tokens),
        )
    part1 = _read_part1(tokens[:part2_at])

    # Part 2: each "N、……绩效目标表" title owns the table rows up to the next title.
    groups: list[tuple[str, Place, list[Row]]] = []
    for token in tokens[part2_at:]:
        if isinstance(token, Paragraph) and (title := _PROJECT_TITLE_RE.match(token.text)):
            groups.append((title.group("title"), token.place, []))
        elif isinstance(token, Row):
            if not groups:
                _fail(path, token.place, "表格前缺少“N、……绩效目标表”标题")
            groups[-1][2].append(token)
    projects: list[Project] = []
    for title_text, title_place, rows in groups:
        if not rows:
            _fail(path, title_place, f"“{title_text}绩效目标表”下没有表格")
        project = _read_project(path, title_text, title_place, rows)
        if any(p.code == project.code for p in projects):
            _fail(path, title_place, f"项目编码“{project.code}”重复")
        projects.append(project)
    if not projects:
        _fail(path, None, "文档中没有找到第二部分的项目绩效目标表（“N、……绩效目标表”标题及其表格）")

    short_name, sections = _sections(path, part1.section_goals)
    full_text = "\n".join(t.text for t in tokens if isinstance(t, Paragraph))
    name = department or part1.title_name or _official_name(short_name, full_text)
    if not name:
        _fail(path, None, "无法从文档中识别部门名称（例如“……司法局下设……”），请用 --department 指定")
    year = part1.title_year or _year(path, full_text, projects)
    lead = part1.section_goals[0] if part1.section_goals else None
    return Department(
        name=name,
        year=year,
        sections=sections,
        projects=tuple(projects),
        overall_goal="\n".join(part1.overall),
        section_goals=lead[0] if lead else "",
        measures="\n".join(part1.measures),
        department_targets=_department_targets(path, lead[0], lead[1]) if lead else (),
    )


def _year(path: str, full_text: str, projects: Sequence[Project]) -> int:
    """The year: "在2025年度" in Part 1, else the year the project names start with."""
    match = re.search(r"(20\d{2})年度", full_text)
    if match:
        return int(match.group(1))
    years = {m.group(1) for p in projects if (m := re.match(r"^(20\d{2})", p.name))}
    if len(years) == 1:
        return int(years.pop())
    _fail(path, None, "无法从文档中识别年度（例如“2025年度”）")


def parse_goals_text(text: str, source: str = "<text>", *, department: str | None = None) -> Department:
    """Import the plain-text export of a goals document (already decoded)."""
    return interpret(tokenize_text(text), source, department=department)


def _read_text_file(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise GoalsDocumentError(f"文件过大（{size // 1024} KB），不像是绩效目标文档", path)
        data = path.read_bytes()
    except OSError as exc:
        raise GoalsDocumentError(f"无法读取：{exc.strerror or exc}", path) from None
    # UTF-8 first; exports from Chinese Windows are often GB18030 (GBK).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise GoalsDocumentError("文件既不是 UTF-8 也不是 GB18030 编码的文本", path)  # pragma: no cover


def import_goals_document(path: str | Path, *, department: str | None = None) -> Department:
    """Import a goals document by its suffix: ``.txt`` (plain-text export) or ``.docx``.

    Raises :class:`~perfsheet.errors.GoalsDocumentError` naming the line (text) or table (docx).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.is_file():
        raise GoalsDocumentError("找不到文件", p)
    if suffix == ".docx":
        return interpret(tokenize_docx(p), str(p), department=department)
    if suffix in (".txt", ".text"):
        return parse_goals_text(_read_text_file(p), str(p), department=department)
    raise GoalsDocumentError(f"不支持的文件类型“{p.suffix}”：请提供 .txt（文本导出）或 .docx 文件", p)


# --- writing a goals document ----------------------------------------------------------------------


def _money_text(value: Decimal) -> str:
    return "" if value == 0 else format_value(value)


def _spans(count: int, width: int, first: int) -> list[int]:
    """Column spans of ``count`` cells over ``width`` grid columns, the first cell ``first`` wide."""
    if count == 1:
        return [width]
    base, extra = divmod(width - first, count - 1)
    return [first] + [base + (1 if i < extra else 0) for i in range(count - 1)]


def _add_table(document: object, rows: Sequence[Sequence[str]], width: int) -> None:
    """A Word table whose rows may have fewer cells than ``width`` (horizontal merges, ``w:gridSpan``)
    and whose empty first cells continue the cell above (vertical merges, ``w:vMerge``), as the goals
    document draws them. Spans are written into the XML directly: python-docx's ``merge`` re-scans
    the whole table per call, which made a nine-project document take seconds."""
    from docx.document import Document as DocxDocument
    from docx.table import _Cell

    assert isinstance(document, DocxDocument)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for r, (tr, cells) in enumerate(zip(table._tbl.tr_lst, rows, strict=True)):
        grid_cells = list(tr.tc_lst)
        column = 0
        for i, (text, span) in enumerate(zip(cells, _spans(len(cells), width, 1), strict=True)):
            tc = grid_cells[column]
            for absorbed in grid_cells[column + 1 : column + span]:
                if tc.width is not None and absorbed.width is not None:
                    tc.width = tc.width + absorbed.width
                tr.remove(absorbed)
            if span > 1:
                tc.grid_span = span
            # An empty first cell under a labelled one continues it (the 一级指标 column).
            continues = i == 0 and not text and r > 0 and len(cells) > 1 and len(rows[r - 1]) > 1
            if continues:
                tc.vMerge = "continue"
            elif (
                i == 0
                and r + 1 < len(rows)
                and len(cells) > 1
                and not rows[r + 1][0]
                and len(rows[r + 1]) > 1
            ):
                tc.vMerge = "restart"
            _Cell(tc, table).text = text
            column += span


def goals_document_rows(project: Project) -> tuple[list[list[str]], list[list[str]]]:
    """The two tables of a 项目支出绩效目标表 as rows of cell texts: money/plan/goal, then indicators."""
    plan = sorted(project.plan, key=lambda p: p.month)
    money = [
        ["单位：万元"],
        ["项目编码", project.code, "项目名称", project.name],
        [
            "预算规模及资金用途",
            "预算数",
            format_value(project.budget),
            "其中：财政资金",
            format_value(project.fiscal),
            "其他资金",
            _money_text(project.other),
        ],
        ["", project.purpose],
        ["资金支出计划（%）", *(f"{p.month}月底" for p in plan)],
        ["", *(f"{format_value(p.percent)}%" for p in plan)],
        ["绩效目标", project.goal],
    ]
    indicators = [list(INDICATOR_HEADER)]
    previous = None
    for ind in project.indicators:
        indicators.append(
            [
                "" if ind.level1 == previous else ind.level1,
                ind.level2,
                ind.name,
                ind.description,
                ind.target.raw,
                ind.basis,
            ]
        )
        previous = ind.level1
    return money, indicators


def write_goals_docx(department: Department, path: str | Path) -> Path:
    """Write ``department`` as a goals document (.docx) that :func:`import_goals_document` reads back
    to an equal registry: Part 1 as paragraphs, Part 2 as Word tables with merged 一级指标 cells.

    Sections are written as a numbered list under their normalised names; chiefs, e-mails and the
    project → section roster are not part of a goals document and are not written.
    """
    # A fixed creation date keeps the file byte-stable for the same registry.
    document = new_document(dt.datetime(department.year, 1, 1))

    def para(text: str = "") -> None:
        document.add_paragraph(text)

    para(f"{department.name}{department.year}年度预算绩效目标")
    para("第一部分")
    para("部门整体绩效目标")
    para("一、总体绩效目标")
    for line in department.overall_goal.split("\n"):
        para(line)
    para()
    para("二、分项绩效目标")
    if department.section_goals:
        para(department.section_goals)
    if department.sections:
        para("现将各个职能机构绩效目标情况说明如下：")
        for i, section in enumerate(department.sections, start=1):
            para(f"{i}.{section.name}。{section.duties}")
    para()
    para("三、工作保障措施")
    for line in department.measures.split("\n"):
        para(line)
    para()
    para("第二部分")
    para("预算项目绩效目标")
    for i, project in enumerate(department.projects, start=1):
        para()
        para(f"{i}、{project.name}绩效目标表")
        money, indicators = goals_document_rows(project)
        _add_table(document, money, 7)
        para()
        _add_table(document, indicators, len(INDICATOR_HEADER))
    return write_bytes_atomic(Path(path), stable_docx_bytes(document))
