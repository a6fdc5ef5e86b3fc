"""The goals workbook: the registry as an Excel workbook a clerk edits, and back.

When no importer reads a department's document well enough, the office fixes the result in Excel:
``perfsheet goals export goals.xlsx`` writes the registry in four sheets — 项目, 指标, 部门整体目标,
科室 — plus 填表说明 explaining every column, each column carrying a data validation with a Chinese
input message; ``perfsheet goals import goals.xlsx`` reads it back and checks it as the YAML loader
does (every problem at once, as sheet!cell). The round trip is exact: amounts keep their decimals
through the cell's number format, text keeps its line breaks, codes stay text.

Columns are declared once in :data:`PROJECT_COLUMNS` / :data:`INDICATOR_COLUMNS` / …; the writer
takes headers, widths, validations and explanations from them and the reader finds columns by
their headers, so a clerk may reorder columns.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from perfsheet.a1 import rc_to_a1
from perfsheet.errors import GoalsDocumentError
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.goals.cells import MAX_CELLS, count_xlsx_cells
from perfsheet.goals.nextyear import CODE_PLACEHOLDER
from perfsheet.goals.schema import WEIGHT_PLACES, decimal_places
from perfsheet.goals.tables import GoalsImport, ImportProblem, check_as_registry
from perfsheet.model import Department, DepartmentTarget, Indicator, PlanPoint, Project, Section
from perfsheet.targets import TargetParseError, format_value, parse_target
from perfsheet.ziputil import pin_zip_times

__all__ = [
    "INDICATOR_COLUMNS",
    "PROJECT_COLUMNS",
    "REFERENCE_COLUMN",
    "SECTION_COLUMNS",
    "SHEETS",
    "TARGET_COLUMNS",
    "Column",
    "goals_workbook_bytes",
    "is_goals_workbook",
    "read_goals_workbook",
    "write_goals_workbook",
]

SHEET_PROJECTS, SHEET_INDICATORS, SHEET_DEPARTMENT, SHEET_SECTIONS, SHEET_HELP = (
    "项目", "指标", "部门整体目标", "科室", "填表说明",
)
SHEETS = (SHEET_PROJECTS, SHEET_INDICATORS, SHEET_DEPARTMENT, SHEET_SECTIONS, SHEET_HELP)
MAX_ROWS = 5000  # rows with validations below the data; far more than any department has
MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
LEVEL1_CHOICES = ("产出指标", "效益指标", "满意度指标", "成本指标")
TARGET_HELP = "写法如“≥95%”“≤10天”“100%”“≥30场”“≤127.5元”；没有数字的文字为定性指标（如“化解社会矛盾”）"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet: header, what it holds, how it is validated."""

    header: str
    kind: str  # text | money | percent | weight | whole | choice | reference (written, never read)
    help: str  # 填表说明 and the input message
    width: float = 14
    required: bool = False
    choices: str = ""  # a list (comma-separated words) or a range formula ("=科室!$A$2:$A$200")
    strict: bool = True  # a value outside the list is refused (else only warned)


PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("项目编码", "text", "一体化平台的项目编码，每个项目唯一；导入时生成的“自编-”编码请改为正式编码", 24, True),
    Column("项目名称", "text", "项目名称，与预算批复一致", 36, True),
    Column("责任科室", "choice", "负责填报本项目监控表的科室，从“科室”表中选择；可空", 18, choices="=科室!$A$2:$A$500"),
    Column("预算数（万元）", "money", "年初预算数，单位万元，可有小数", 14, True),
    Column("财政资金（万元）", "money", "其中财政资金，单位万元；空白时等于预算数", 14),
    Column("其他资金（万元）", "money", "其中其他资金，单位万元；空白为 0。财政资金 + 其他资金 应等于预算数", 14),
    Column("资金用途", "text", "预算规模及资金用途（原文）", 30),
    Column("年度绩效目标", "text", "项目的年度绩效目标（原文，可多行）", 40),
    *(
        Column(f"{m}月", "percent", f"资金支出计划：截至 {m} 月底累计支出占预算的百分比（0–100）；不设节点的月份留空，12 月应为 100", 7)
        for m in range(1, 13)
    ),
)
INDICATOR_COLUMNS: tuple[Column, ...] = (
    Column("项目编码", "choice", "指标所属项目的编码，须与“项目”表一致", 24, True, choices="=项目!$A$2:$A$1000"),
    Column("序号", "whole", "项目内指标的序号（监控表中第几项指标）；按行的先后排列，本列仅供查看", 6),
    Column("一级指标", "choice", "产出指标、效益指标、满意度指标或成本指标", 12, True, choices=",".join(LEVEL1_CHOICES), strict=False),
    Column("二级指标", "text", "如数量指标、质量指标、时效指标、社会效益指标、服务对象满意度指标", 16, True),
    Column("三级指标", "text", "指标名称（原文）", 28, True),
    Column("绩效指标描述", "text", "指标的说明；可空", 28),
    Column("指标值", "text", f"年度指标值：{TARGET_HELP}", 16, True),
    Column("指标值确定依据", "text", "如计划标准、历史标准、行业标准；可空", 18),
    Column("分值", "weight", "年度自评时本指标的分值（总分100分中的分数，最多两位小数）；空白时，同一项目同一一级指标下"
           "未填分值的指标平分该一级指标余下的分值", 8),
)
# Only in a draft of next year's goals (perfsheet goals next): this year's actual beside the target, for
# the clerk to judge the new one. The reader never reads it, so it never becomes part of the registry.
REFERENCE_COLUMN = Column("上年实际完成值（参考）", "reference", "上一年度的实际完成值（来自年度自评的数据），仅供确定指标值时参考；"
                          "导入时不读取本列", 18)
TARGET_COLUMNS: tuple[Column, ...] = (
    Column("指标名称", "text", "部门整体绩效目标中的指标，如“再犯罪率”", 30, True),
    Column("指标值", "text", f"部门整体指标值：{TARGET_HELP}", 16, True),
)
SECTION_COLUMNS: tuple[Column, ...] = (
    Column("科室名称", "text", "科室（职能机构）名称；科长和邮箱在工作区的 perfsheet.yaml 中填写", 28, True),
    Column("职责", "text", "科室的职责及绩效目标（原文）", 60),
)
# 部门整体目标 starts with the department's own fields, one per row (label | value).
DEPARTMENT_FIELDS: tuple[Column, ...] = (
    Column("部门名称", "text", "部门（单位）全称", 40, True),
    Column("年度", "whole", "预算年度，四位数字", 40, True),
    Column("总体绩效目标", "text", "第一部分 一、总体绩效目标（原文，可多行）", 40),
    Column("分项绩效目标", "text", "第一部分 二、分项绩效目标的首段（原文）", 40),
    Column("工作保障措施", "text", "第一部分 三、工作保障措施（原文，可多行）", 40),
)
_TARGETS_HEADER_ROW = len(DEPARTMENT_FIELDS) + 2  # 0-based: one blank row after the fields


# --- writing --------------------------------------------------------------------------------------


def _decimal_format(value: Decimal) -> str:
    places = decimal_places(value)
    return "0." + "0" * places if places else "0"


class _Writer:
    """One goals workbook being written: its formats, shared by every sheet."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "vcenter"})
        self.text = wb.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
        self._formats: dict[str, Any] = {}

    def number_format(self, pattern: str) -> Any:
        if pattern not in self._formats:
            self._formats[pattern] = self.wb.add_format({"num_format": pattern, "valign": "top"})
        return self._formats[pattern]

    def cell(self, sheet: Any, r: int, c: int, column: Column, value: object) -> None:
        _write(sheet, r, c, column, value, self.text, self.number_format)

    def table(self, name: str, columns: Sequence[Column], rows: Sequence[Sequence[object]], first_row: int = 0) -> Any:
        """A sheet (or the part of one from ``first_row``): a header row, validated columns, the rows."""
        sheet = self.wb.get_worksheet_by_name(name) or self.wb.add_worksheet(name)
        for c, column in enumerate(columns):
            sheet.set_column(c, c, column.width, self.text if column.kind in ("text", "choice") else None)
            sheet.write_string(first_row, c, column.header, self.header)
            _validate(sheet, first_row + 1, c, column)
        for r, row in enumerate(rows, start=first_row + 1):
            for c, (column, value) in enumerate(zip(columns, row, strict=True)):
                self.cell(sheet, r, c, column, value)
        sheet.freeze_panes(first_row + 1, 0)
        return sheet


def goals_workbook_bytes(department: Department, *, references: Mapping[tuple[str, int], str] | None = None) -> bytes:
    """The goals workbook of ``department`` as bytes; the same registry gives the same bytes.

    ``references``: (项目编码, 指标序号) → a value shown beside the indicator for the clerk (``goals next``:
    this year's actual), in a column of its own (:data:`REFERENCE_COLUMN`) that the reader never reads,
    so a reference never becomes part of the registry.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    wb = xlsxwriter.Workbook(buffer, options)
    wb.set_properties({
        "title": f"{department.name}{department.year}年度绩效目标", "author": "perfsheet",
        "company": department.name, "created": dt.datetime(department.year, 1, 1),
    })
    writer = _Writer(wb)
    writer.table(SHEET_PROJECTS, PROJECT_COLUMNS, [_project_row(p) for p in department.projects])
    _write_indicators(writer, department, references)
    _write_department(writer, department)
    writer.table(SHEET_SECTIONS, SECTION_COLUMNS, [[s.name, s.duties] for s in department.sections])
    _write_help(writer, with_reference=references is not None)
    wb.close()
    return pin_zip_times(buffer.getvalue())


def _project_row(p: Project) -> list[object]:
    plan = {pt.month: pt.percent for pt in p.plan}
    return [p.code, p.name, p.section or "", p.budget, p.fiscal, p.other, p.purpose, p.goal,
            *(plan.get(m) for m in range(1, 13))]


def _write_indicators(writer: _Writer, department: Department,
                      references: Mapping[tuple[str, int], str] | None) -> None:
    columns = INDICATOR_COLUMNS if references is None else (*INDICATOR_COLUMNS, REFERENCE_COLUMN)
    rows = [
        [p.code, i.n, i.level1, i.level2, i.name, i.description, i.target.raw, i.basis, i.weight,
         *(() if references is None else (references.get((p.code, i.n), ""),))]
        for p in department.projects
        for i in p.indicators
    ]
    writer.table(SHEET_INDICATORS, columns, rows)


def _write_department(writer: _Writer, department: Department) -> None:
    """部门整体目标: the department's own fields (label | value, one a row), then its targets' table."""
    dept = writer.wb.add_worksheet(SHEET_DEPARTMENT)
    dept.set_column(0, 0, 18)
    dept.set_column(1, 1, 80, writer.text)
    values: list[object] = [department.name, department.year, department.overall_goal, department.section_goals,
                            department.measures]
    for r, (column, value) in enumerate(zip(DEPARTMENT_FIELDS, values, strict=True)):
        dept.write_string(r, 0, column.header, writer.header)
        writer.cell(dept, r, 1, column, value)
        _validate(dept, r, 1, column, last_row=r)
    writer.table(SHEET_DEPARTMENT, TARGET_COLUMNS, [[t.name, t.target.raw] for t in department.department_targets],
                 first_row=_TARGETS_HEADER_ROW)
    dept.set_column(0, 0, 30, writer.text)


def _write_help(writer: _Writer, *, with_reference: bool) -> None:
    help_sheet = writer.wb.add_worksheet(SHEET_HELP)
    help_sheet.set_column(0, 0, 16)
    help_sheet.set_column(1, 1, 22)
    help_sheet.set_column(2, 2, 90, writer.wb.add_format({"text_wrap": True}))
    for c, title in enumerate(("工作表", "列", "说明")):
        help_sheet.write_string(0, c, title, writer.header)
    r = 1
    help_sheet.write_string(r, 0, "（全部）")
    help_sheet.write_string(r, 2, "改好后运行 perfsheet goals import 本文件 -o goals/年度.yaml；所有问题一次列出（工作表!单元格）。"
                            "一行一个项目或一个指标；可以增删行，不要改表头。金额单位为万元。")
    indicator_columns = (*INDICATOR_COLUMNS, REFERENCE_COLUMN) if with_reference else INDICATOR_COLUMNS
    for sheet_name, columns in (
        (SHEET_PROJECTS, PROJECT_COLUMNS), (SHEET_INDICATORS, indicator_columns),
        (SHEET_DEPARTMENT, DEPARTMENT_FIELDS + TARGET_COLUMNS), (SHEET_SECTIONS, SECTION_COLUMNS),
    ):
        for column in columns:
            r += 1
            help_sheet.write_string(r, 0, sheet_name)
            help_sheet.write_string(r, 1, column.header)
            help_sheet.write_string(r, 2, ("（必填）" if column.required else "") + column.help)


def _write(sheet: Any, r: int, c: int, column: Column, value: object, text: Any, number_format: Any) -> None:
    if value is None or value == "":
        return
    if column.kind in ("money", "percent", "weight") and isinstance(value, Decimal):
        sheet.write_number(r, c, float(value), number_format(_decimal_format(value)))
    elif column.kind == "whole" and isinstance(value, int):
        sheet.write_number(r, c, value, number_format("0"))
    else:
        sheet.write_string(r, c, str(value), text)


def _validate(sheet: Any, first_row: int, c: int, column: Column, *, last_row: int = MAX_ROWS) -> None:
    title = column.header[:32]
    message = column.help[:255]
    rule: dict[str, Any]
    if column.kind == "money":
        rule = {"validate": "decimal", "criteria": ">=", "value": 0, "error_message": "请填写不小于 0 的数字（万元）"}
    elif column.kind == "weight":
        rule = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "error_message": f"请填写 0 到 100 之间、最多 {WEIGHT_PLACES} 位小数的分值"}
    elif column.kind == "percent":
        rule = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "error_message": "请填写 0 到 100 之间的百分比数字"}
    elif column.kind == "whole":
        rule = {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 9999, "error_message": "请填写整数"}
    elif column.kind == "choice" and column.choices:
        source: Any = column.choices if column.choices.startswith("=") else column.choices.split(",")
        rule = {"validate": "list", "source": source, "error_type": "stop" if column.strict else "information",
                "error_message": "请从下拉列表中选择" if column.strict else "不在常用列表中；如确属原文可保留"}
    else:
        rule = {"validate": "length", "criteria": "<=", "value": 32767, "error_message": "文字过长"}
    rule.update({"input_title": title, "input_message": message, "error_title": title, "ignore_blank": True})
    sheet.data_validation(first_row, c, last_row, c, rule)


def write_goals_workbook(department: Department, path: str | Path, *,
                         references: Mapping[tuple[str, int], str] | None = None) -> Path:
    """Write the goals workbook atomically (``references``: see :func:`goals_workbook_bytes`)."""
    return write_bytes_atomic(Path(path), goals_workbook_bytes(department, references=references))


# --- reading --------------------------------------------------------------------------------------


def is_goals_workbook(path: Path) -> bool:
    """Whether ``path`` is a goals workbook (sheets 项目, 指标 and 部门整体目标), not a published goals table."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            if info.file_size > 1024 * 1024:  # the workbook part lists sheets; a large one is no goals workbook
                return False
            workbook_xml = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zlib.error, OSError, KeyError, RuntimeError, EOFError, ValueError, NotImplementedError):
        return False
    return all(f'name="{sheet}"' in workbook_xml for sheet in (SHEET_PROJECTS, SHEET_INDICATORS, SHEET_DEPARTMENT))


class _Problems:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[tuple[str, str]] = []
        self.warnings: list[ImportProblem] = []  # read all the same, but a person must look (exit 1)

    def warn(self, code: str, where: str, message: str) -> None:
        self.warnings.append(ImportProblem(code, f"{self.path}:{where}", message))

    def add(self, where: str, message: str) -> None:
        # A later problem on a cell already reported is a consequence of the first: one slip, one message.
        if all(where != seen for seen, _ in self.items):
            self.items.append((where, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda item: _sheet_order(item[0]))
        lines = [f"{self.path}:{where}: {message}" for where, message in self.items]
        if len(lines) == 1:
            where, message = self.items[0]
            raise GoalsDocumentError(f"{where}: {message}", self.path)
        raise GoalsDocumentError(f"目标工作簿有 {len(lines)} 处问题：\n" + "\n".join(lines))


def _sheet_order(where: str) -> tuple[int, int, int]:
    """Sheet (in workbook order), row, column of "项目!D12", for listing problems as a person reads."""
    sheet, _, cell = where.partition("!")
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch.upper()) - 64
    order = SHEETS.index(sheet) if sheet in SHEETS else len(SHEETS)
    return order, int(digits or 0), column


@dataclass(frozen=True, slots=True)
class _Cell:
    value: Any
    number_format: str
    where: str


def _sheet_rows(workbook: Any, name: str) -> list[list[_Cell]]:
    if name not in workbook.sheetnames:
        return []
    sheet = workbook[name]
    rows: list[list[_Cell]] = []
    for r, row in enumerate(sheet.iter_rows(), start=1):
        rows.append([_Cell(c.value, c.number_format or "", f"{name}!{rc_to_a1(r - 1, k)}") for k, c in enumerate(row)])
    return rows


def _text(cell: _Cell | None) -> str:
    """A cell's text exactly as the registry holds it (spaces kept: the round trip is exact)."""
    from perfsheet.goals.cells import excel_text

    if cell is None or cell.value is None:
        return ""
    if isinstance(cell.value, str):
        return cell.value.replace("\r\n", "\n")
    return excel_text(cell.value)


def _number(cell: _Cell | None, problems: _Problems, what: str, *, low: Decimal | None = None,
            high: Decimal | None = None) -> Decimal | None:
    """A number as written: its decimals from the cell's format ("0.00" → 5.00), a float exactly."""
    if cell is None or cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
        return None
    value = cell.value
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        if isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
            if number == number.to_integral_value():
                number = Decimal(int(number))
        else:
            number = Decimal(str(value).strip().replace(",", "").rstrip("%％"))
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.add(cell.where, f"{what}“{value}”不是数字")
        return None
    fmt = cell.number_format.split(";")[0]
    if not isinstance(value, str) and fmt.startswith("0.") and set(fmt[2:]) == {"0"}:
        places = len(fmt) - 2
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent <= places:
            number = number.quantize(Decimal(1).scaleb(-places))
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"{format_value(low)}–{format_value(high)}" if high is not None and low is not None else f"不小于 {low}"
        problems.add(cell.where, f"{what} {format_value(number)} 应在 {bounds} 之间" if high is not None else f"{what}不能为负数")
    return number


def _columns(rows: list[list[_Cell]], header_row: int, columns: Sequence[Column], sheet: str,
             problems: _Problems) -> dict[str, int]:
    """Header → column index, found by the header text (a clerk may move columns)."""
    found: dict[str, int] = {}
    header = rows[header_row] if header_row < len(rows) else []
    for k, cell in enumerate(header):
        text = _text(cell).strip()
        if text and text not in found:
            found[text] = k
    for column in columns:
        if column.required and column.header not in found:
            problems.add(f"{sheet}!{rc_to_a1(header_row, len(found))}", f"缺少“{column.header}”列（表头请勿修改）")
    return found


def read_goals_workbook(path: str | Path, *, department: str | None = None, year: int | None = None) -> GoalsImport:
    """Read a goals workbook back into a registry, checked as the YAML loader checks a goals file.

    Returns a :class:`~perfsheet.goals.tables.GoalsImport` without problems; raises
    :class:`GoalsDocumentError` listing every problem (sheet!cell) when the workbook is not valid.
    """
    import openpyxl


    p = Path(path)
    try:
        if p.stat().st_size > MAX_WORKBOOK_BYTES:
            raise GoalsDocumentError("文件过大，不像是目标工作簿", p)
        with zipfile.ZipFile(p) as archive:
            if sum(m.file_size for m in archive.infolist()) > 10 * MAX_WORKBOOK_BYTES:
                raise GoalsDocumentError("文件解压后过大，拒绝读取", p)
        if count_xlsx_cells(p) > MAX_CELLS:
            raise GoalsDocumentError("工作表过大，不像是目标工作簿", p)
        workbook = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except GoalsDocumentError:
        raise
    except Exception:  # openpyxl raises many types for a broken package
        raise GoalsDocumentError("无法打开目标工作簿：文件已损坏、已加密或不是 Excel 工作簿", p) from None
    try:
        sheets = {name: _sheet_rows(workbook, name) for name in (SHEET_PROJECTS, SHEET_INDICATORS, SHEET_DEPARTMENT, SHEET_SECTIONS)}
    finally:
        workbook.close()
    problems = _Problems(p)
    sections = _read_sections(sheets[SHEET_SECTIONS], problems)
    name, found_year, texts, targets = _read_department(sheets[SHEET_DEPARTMENT], problems)
    projects = _read_projects(sheets[SHEET_PROJECTS], sheets[SHEET_INDICATORS], {s.name for s in sections}, problems)
    name = department or name
    found_year = year or found_year
    if not name.strip():
        problems.add(f"{SHEET_DEPARTMENT}!B1", "缺少部门名称")
    if found_year is None and not any(where.startswith(f"{SHEET_DEPARTMENT}!B2") for where, _ in problems.items):
        problems.add(f"{SHEET_DEPARTMENT}!B2", "缺少年度（四位数字）")
    problems.raise_if_any()
    assert found_year is not None
    result = Department(
        name=name, year=found_year, sections=sections, projects=projects, overall_goal=texts[0],
        section_goals=texts[1], measures=texts[2], department_targets=targets,
    )
    check_as_registry(result, str(p))
    return GoalsImport(result, tuple(problems.warnings))


def _body(rows: list[list[_Cell]], header_row: int) -> list[tuple[int, list[_Cell]]]:
    out = []
    for r in range(header_row + 1, len(rows)):
        if any(_text(c).strip() for c in rows[r]):
            out.append((r, rows[r]))
    return out


def _get(row: list[_Cell], columns: dict[str, int], header: str, r: int, sheet: str) -> _Cell:
    k = columns.get(header)
    if k is None or k >= len(row):
        return _Cell(None, "", f"{sheet}!{rc_to_a1(r, k if k is not None else 0)}")
    return row[k]


def _read_sections(rows: list[list[_Cell]], problems: _Problems) -> tuple[Section, ...]:
    if not rows:
        return ()
    columns = _columns(rows, 0, SECTION_COLUMNS, SHEET_SECTIONS, problems)
    sections: list[Section] = []
    for r, row in _body(rows, 0):
        name_cell = _get(row, columns, "科室名称", r, SHEET_SECTIONS)
        name = _text(name_cell)
        if not name.strip():
            problems.add(name_cell.where, "缺少科室名称")
            continue
        if any(s.name == name for s in sections):
            problems.add(name_cell.where, f"科室“{name}”重复")
            continue
        sections.append(Section(name=name, duties=_text(_get(row, columns, "职责", r, SHEET_SECTIONS))))
    return tuple(sections)


def _read_department(rows: list[list[_Cell]], problems: _Problems) -> tuple[str, int | None, list[str], tuple[DepartmentTarget, ...]]:
    fields: dict[str, _Cell] = {}
    for r in range(min(len(rows), _TARGETS_HEADER_ROW)):
        row = rows[r]
        if row and _text(row[0]).strip():
            fields[_text(row[0]).strip()] = row[1] if len(row) > 1 else _Cell(None, "", f"{SHEET_DEPARTMENT}!B{r + 1}")
    name = _text(fields.get("部门名称"))
    year: int | None = None
    year_cell = fields.get("年度")
    if year_cell is not None and _text(year_cell).strip():
        number = _number(year_cell, problems, "年度", low=Decimal(2000), high=Decimal(2100))
        if number is not None and number == number.to_integral_value():
            year = int(number)
        elif number is not None:
            problems.add(year_cell.where, "年度应为四位整数")
    texts = [_text(fields.get(label)) for label in ("总体绩效目标", "分项绩效目标", "工作保障措施")]
    targets: list[DepartmentTarget] = []
    header_row = next((r for r in range(len(rows)) if rows[r] and _text(rows[r][0]).strip() == "指标名称"), None)
    if header_row is not None:
        columns = _columns(rows, header_row, TARGET_COLUMNS, SHEET_DEPARTMENT, problems)
        for r, row in _body(rows, header_row):
            name_cell = _get(row, columns, "指标名称", r, SHEET_DEPARTMENT)
            target_cell = _get(row, columns, "指标值", r, SHEET_DEPARTMENT)
            target_name = _text(name_cell)
            if not target_name.strip():
                problems.add(name_cell.where, "缺少部门整体指标的名称")
                continue
            target = _target(target_cell, problems)
            if target is not None:
                targets.append(DepartmentTarget(target_name, target))
    return name, year, texts, tuple(targets)


def _target(cell: _Cell, problems: _Problems) -> Any:
    raw = _text(cell)
    if not raw.strip():
        problems.add(cell.where, "缺少指标值")
        return None
    try:
        return parse_target(raw)
    except TargetParseError as exc:
        problems.add(cell.where, f"{exc}；{TARGET_HELP}")
        return None


_IndicatorsByCode = dict[str, list[Indicator]]
_RowCell = Callable[[str], _Cell]  # header → that column's cell in one row


def _read_projects(
    project_rows: list[list[_Cell]], indicator_rows: list[list[_Cell]], section_names: set[str], problems: _Problems
) -> tuple[Project, ...]:
    if not project_rows:
        problems.add(f"{SHEET_PROJECTS}!A1", "缺少“项目”工作表")
        return ()
    pcols = _columns(project_rows, 0, PROJECT_COLUMNS, SHEET_PROJECTS, problems)
    by_code, first_row_of = _read_indicators(indicator_rows, problems)
    projects: list[Project] = []
    seen: set[str] = set()
    for r, row in _body(project_rows, 0):
        def pcell(header: str, row: list[_Cell] = row, r: int = r) -> _Cell:
            return _get(row, pcols, header, r, SHEET_PROJECTS)

        code = _text(pcell("项目编码"))
        if not code.strip():
            problems.add(pcell("项目编码").where, "缺少项目编码")
            continue
        if code in seen:
            problems.add(pcell("项目编码").where, f"项目编码“{code}”重复")
            continue
        seen.add(code)
        project = _read_project(pcell, code, by_code.pop(code, []), section_names, problems)
        _warn_unfilled(project, pcell, problems)
        projects.append(project)
    for code in by_code:
        problems.add(first_row_of[code], f"项目编码“{code}”不在“项目”表中")
    if not projects and not problems.items:
        problems.add(f"{SHEET_PROJECTS}!A2", "“项目”表中没有项目")
    return tuple(projects)


def _warn_unfilled(project: Project, pcell: _RowCell, problems: _Problems) -> None:
    """What a draft of next year's goals (perfsheet goals next) leaves for the office: read, but said."""
    if project.code.startswith(CODE_PLACEHOLDER):
        problems.warn("project-code-placeholder", pcell("项目编码").where,
                      f"项目编码“{project.code}”是起草时的占位，请改为一体化平台的正式项目编码（“指标”表中同一编码一并替换）")
    if project.budget == 0:
        problems.warn("project-budget-zero", pcell("预算数（万元）").where,
                      f"项目“{project.name}”的预算数为 0 万元，请填写年初预算数（万元）")


def _read_indicators(indicator_rows: list[list[_Cell]], problems: _Problems) -> tuple[_IndicatorsByCode, dict[str, str]]:
    """The 指标 sheet: 项目编码 → its indicators in row order, and where each code is first met."""
    icols = _columns(indicator_rows, 0, INDICATOR_COLUMNS, SHEET_INDICATORS, problems) if indicator_rows else {}
    by_code: _IndicatorsByCode = {}
    first_row_of: dict[str, str] = {}
    for r, row in _body(indicator_rows, 0):
        def cell(header: str, row: list[_Cell] = row, r: int = r) -> _Cell:
            return _get(row, icols, header, r, SHEET_INDICATORS)

        code = _text(cell("项目编码"))
        if not code.strip():
            problems.add(cell("项目编码").where, "缺少项目编码（指标属于哪个项目）")
            continue
        texts = {}
        for header in ("一级指标", "二级指标", "三级指标"):
            texts[header] = _text(cell(header))
            if not texts[header].strip():
                problems.add(cell(header).where, f"缺少{header}")
        first_row_of.setdefault(code, cell("项目编码").where)
        target = _target(cell("指标值"), problems)
        weight = _weight(cell("分值"), problems)
        if target is None:
            continue
        indicators = by_code.setdefault(code, [])
        indicators.append(Indicator(
            n=len(indicators) + 1, level1=texts["一级指标"], level2=texts["二级指标"], name=texts["三级指标"],
            description=_text(cell("绩效指标描述")), target=target, basis=_text(cell("指标值确定依据")), weight=weight,
        ))
    return by_code, first_row_of


def _weight(cell: _Cell, problems: _Problems) -> Decimal | None:
    """An indicator's own 分值: 0–100 with at most two decimals (the goals file's rule), else None."""
    weight = _number(cell, problems, "分值", low=Decimal(0), high=Decimal(100))
    if weight is not None and decimal_places(weight) > WEIGHT_PLACES:
        problems.add(cell.where, f"分值 {format_value(weight)} 最多{WEIGHT_PLACES}位小数")
    return weight


def _read_project(pcell: _RowCell, code: str, indicators: list[Indicator], section_names: set[str],
                  problems: _Problems) -> Project:
    """One row of the 项目 sheet (``pcell``: header → its cell in the row) with its indicators."""
    name = _text(pcell("项目名称"))
    if not name.strip():
        problems.add(pcell("项目名称").where, "缺少项目名称")
    budget, fiscal, other = _read_money(pcell, problems)
    section = _text(pcell("责任科室")) or None
    if section is not None and section_names and section not in section_names:
        problems.add(pcell("责任科室").where, f"责任科室“{section}”不在“科室”表中")
    if not indicators:
        problems.add(pcell("项目编码").where, f"项目“{code}”在“指标”表中没有指标")
    return Project(
        code=code, name=name, budget=budget, fiscal=fiscal, other=other, purpose=_text(pcell("资金用途")),
        goal=_text(pcell("年度绩效目标")), plan=_read_plan(pcell, problems), indicators=tuple(indicators),
        section=section,
    )


def _read_money(pcell: _RowCell, problems: _Problems) -> tuple[Decimal, Decimal, Decimal]:
    """预算数, 财政资金 (blank: the budget), 其他资金 (blank: 0), which must add up."""
    budget = _number(pcell("预算数（万元）"), problems, "预算数", low=Decimal(0))
    if budget is None:
        problems.add(pcell("预算数（万元）").where, "缺少预算数（万元）")
        budget = Decimal(0)
    fiscal = _number(pcell("财政资金（万元）"), problems, "财政资金", low=Decimal(0))
    other = _number(pcell("其他资金（万元）"), problems, "其他资金", low=Decimal(0))
    fiscal = budget if fiscal is None else fiscal
    other = Decimal(0) if other is None else other
    if fiscal + other != budget:
        problems.add(pcell("预算数（万元）").where, f"预算数 {format_value(budget)} 万元不等于财政资金 {format_value(fiscal)} + 其他资金 {format_value(other)}")
    return budget, fiscal, other


def _read_plan(pcell: _RowCell, problems: _Problems) -> tuple[PlanPoint, ...]:
    plan: list[PlanPoint] = []
    for m in range(1, 13):
        percent = _number(pcell(f"{m}月"), problems, f"{m}月支出计划", low=Decimal(0), high=Decimal(100))
        if percent is not None:
            if plan and percent < plan[-1].percent:
                problems.add(pcell(f"{m}月").where, f"支出计划应逐月递增：{m}月 {format_value(percent)}% 小于 {plan[-1].month}月 {format_value(plan[-1].percent)}%")
            plan.append(PlanPoint(m, percent))
    if not plan or plan[-1].month != 12 or plan[-1].percent != 100:
        problems.add(pcell("12月").where, "支出计划应在 12 月底达到 100%（12月 一列填 100）")
    return tuple(plan)
