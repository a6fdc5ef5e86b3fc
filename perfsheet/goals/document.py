"""Goals-document import (绩效目标文档 → registry) and the reverse, a .docx written from a registry.

The first stage of the pipeline: a department's yearly goals document — optionally a Part 1
narrative (部门整体绩效目标), then one 项目支出绩效目标表 per budget project — becomes a
:class:`Department` that :mod:`perfsheet.goals.registry` saves as YAML. The import runs in three steps:

1. :func:`perfsheet.goals.cells.read_blocks` turns any input (.txt/.md, .docx, .xlsx/.xls, .html)
   into paragraphs and tables of cells, merged cells expanded;
2. this module reads Part 1 (the seed's template: department, year, 科室, department-wide targets)
   from the paragraphs before the tables;
3. :class:`perfsheet.goals.tables.TableReader` reads the projects from the tables.

Every problem is collected (:class:`~perfsheet.goals.tables.ImportProblem`, with file:line or
sheet!cell); only a document with nothing usable raises :class:`~perfsheet.errors.GoalsDocumentError`.
Source text is kept exactly as written, typos included. A goals workbook written by
:mod:`perfsheet.goals.workbook` is read back by the same entry point.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

from perfsheet.docxutil import new_document, stable_docx_bytes
from perfsheet.errors import GoalsDocumentError
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.goals.cells import Block, TableBlock, TextBlock, read_blocks, text_blocks
from perfsheet.goals.tables import (
    DEFAULT_PLAN,
    GoalsImport,
    ImportProblem,
    TableReader,
    check_as_registry,
    fatal,
    tables_from_paragraphs,
)
from perfsheet.model import Department, DepartmentTarget, PlanPoint, Project, Section, Target
from perfsheet.targets import TargetParseError, format_value, parse_target

__all__ = [
    "DEFAULT_PLAN",
    "GoalsImport",
    "ImportProblem",
    "goals_document_rows",
    "import_goals_document",
    "interpret",
    "parse_goals_text",
    "read_goals_document",
    "write_goals_docx",
]

# The indicator table's header row as perfsheet writes it, in column order.
INDICATOR_HEADER: tuple[str, ...] = (
    "一级指标",
    "二级指标",
    "三级指标",
    "绩效指标描述",
    "指标值",
    "指标值确定依据",
)

# --- tokens of Part 1 --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """Where a paragraph is: a 1-based line of a text file, or a label such as "第 3 段"."""

    number: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    place: Place


@dataclass(frozen=True, slots=True)
class Gap:
    """An empty line / empty paragraph: ends a paragraph (continuation lines are joined only without one)."""

    place: Place


Token = Paragraph | Gap


def _place(where: str) -> Place:
    return Place(int(where)) if where.isdigit() else Place(0, where)


# --- interpretation -----------------------------------------------------------------------------


def _fail(path: str, place: Place | None, message: str) -> NoReturn:
    if place is None:
        raise GoalsDocumentError(message, path)
    raise GoalsDocumentError(f"{place.label}：{message}" if place.label else message, path, place.number)


_PART2_RE = re.compile(r"^第二部分$")
_PART_RE = re.compile(r"^第[一二三四五六七八九十]+部分$")
# A paragraph that starts a numbered item never continues the previous line.
_ITEM_START_RE = re.compile(r"^(?:\d+\s*[.．、]|[一二三四五六七八九十]+[、是])")
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


# --- the import ----------------------------------------------------------------------------------


def _part2_start(blocks: Sequence[Block]) -> int:
    """Where Part 1 (the seed template's narrative) ends: at "第二部分"; without one, the whole document
    is read for tables (its titles, 填报单位 and year lines included)."""
    for i, block in enumerate(blocks):
        if isinstance(block, TextBlock) and _PART2_RE.match(block.text):
            return i
    return 0


def _first_table(blocks: Sequence[Block]) -> int:
    return next((i for i, b in enumerate(blocks) if isinstance(b, TableBlock)), len(blocks))


def _tokens(blocks: Sequence[Block]) -> list[Token]:
    return [Paragraph(b.text, _place(b.where)) if b.text else Gap(_place(b.where)) for b in blocks if isinstance(b, TextBlock)]


def interpret(
    blocks: Sequence[Block],
    path: str,
    *,
    department: str | None = None,
    year: int | None = None,
    default_plan: Sequence[PlanPoint] = DEFAULT_PLAN,
) -> GoalsImport:
    """Turn document blocks into a Department (sections without chiefs, projects without sections).

    ``department`` and ``year`` override what the document says; ``default_plan`` is the spending
    plan of a project whose table has none.
    """
    split = _part2_start(blocks)
    part1_tokens = _tokens(blocks[: split or _first_table(blocks)])
    part1 = _read_part1(part1_tokens)
    reader = TableReader(path, default_plan=default_plan)
    projects = reader.read(tables_from_paragraphs(blocks[split:]))
    problems = reader.problems
    if not projects:
        raise fatal(path, problems, "文档中没有找到项目绩效目标表（项目名称、预算数和一级/二级/三级指标表）")

    short_name, sections = "", tuple[Section, ...]()
    try:
        short_name, sections = _sections(path, part1.section_goals)
    except GoalsDocumentError as exc:
        problems.append(ImportProblem("part1-sections", _where(path, exc), exc.detail))
    full_text = "\n".join(b.text for b in blocks if isinstance(b, TextBlock))
    name = (
        department
        or part1.title_name
        or (_official_name(short_name, full_text) if short_name else "")
        or reader.department_name()
    )
    if not name:
        raise fatal(path, problems, "无法从文档中识别部门名称（例如“实施单位”“填报单位”或“……下设……”），请用 --department 指定")
    found_year = year or part1.title_year or _year(full_text, projects) or reader.year()
    if found_year is None:
        raise fatal(path, problems, "无法从文档中识别年度（例如“2025年度”“（2023年）”），请用 --year 指定")
    lead = part1.section_goals[0] if part1.section_goals else None
    targets: tuple[DepartmentTarget, ...] = ()
    if lead:
        try:
            targets = _department_targets(path, lead[0], lead[1])
        except GoalsDocumentError as exc:
            problems.append(ImportProblem("part1-targets", _where(path, exc), exc.detail))
    result = Department(
        name=name,
        year=found_year,
        sections=sections,
        projects=tuple(projects),
        overall_goal="\n".join(part1.overall),
        section_goals=lead[0] if lead else "",
        measures="\n".join(part1.measures),
        department_targets=targets,
    )
    check_as_registry(result, path)
    return GoalsImport(result, tuple(problems))


def _where(path: str, error: GoalsDocumentError) -> str:
    return f"{path}:{error.line}" if error.line else path


def _year(full_text: str, projects: Sequence[Project]) -> int | None:
    """The year: "在2025年度" in the text, else the year the project names start with."""
    match = re.search(r"(20\d{2})年度", full_text)
    if match:
        return int(match.group(1))
    years = {m.group(1) for p in projects if (m := re.match(r"^(20\d{2})", p.name))}
    if len(years) == 1:
        return int(years.pop())
    return None


def parse_goals_text(
    text: str, source: str = "<text>", *, department: str | None = None, year: int | None = None
) -> Department:
    """Import a goals document given as text (already decoded); warnings are dropped."""
    return interpret(text_blocks(text), source, department=department, year=year).department


def read_goals_document(
    path: str | Path,
    *,
    department: str | None = None,
    year: int | None = None,
    default_plan: Sequence[PlanPoint] = DEFAULT_PLAN,
) -> GoalsImport:
    """Import a goals document (.txt/.md, .docx, .xlsx/.xls, .html) or a goals workbook.

    Returns the registry with every problem found. Raises
    :class:`~perfsheet.errors.GoalsDocumentError` when the file cannot be read or holds no project.
    """
    from perfsheet.goals.workbook import is_goals_workbook, read_goals_workbook

    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm") and p.is_file() and is_goals_workbook(p):
        return read_goals_workbook(p, department=department, year=year)
    return interpret(read_blocks(p), str(p), department=department, year=year, default_plan=default_plan)


def import_goals_document(
    path: str | Path, *, department: str | None = None, year: int | None = None
) -> Department:
    """The registry of a goals document, warnings dropped (see :func:`read_goals_document`)."""
    return read_goals_document(path, department=department, year=year).department

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
