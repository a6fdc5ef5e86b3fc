"""The two workbooks the finance bureau (财政局) receives, in its own shape (``reports/<period>/``).

Pipeline stage after consolidation, beside the summary workbook: a :class:`~perfsheet.consolidate.Summary`
and the goals registry (:class:`~perfsheet.model.Department`) → (1) the 一体化 platform's import file
(监控指标 + 预算执行: one plain header row, numbers as numbers, codes as text, nothing merged) and (2) the
print-ready 项目支出绩效运行监控表, one sheet per project with the unit's sign-off. Figures come from the
Summary's frames, targets from the registry; nothing is recomputed except the platform's rounding of
the 执行率 to one decimal. Every text is written with ``write_string`` in a workbook opened with
``strings_to_formulas=False`` and the creation date is pinned, so identical inputs give identical bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from perfsheet.consolidate.summary import Summary, is_missing
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.labels import reported_scope, status_label
from perfsheet.model import Department, Indicator, Op, Period, Project
from perfsheet.targets import value_with_unit
from perfsheet.xlsxutil import lines_needed

__all__ = [
    "INDICATOR_EXPORT_COLUMNS",
    "NO_RETURN_NOTE",
    "SIGN_OFF_LABELS",
    "budget_export_columns",
    "build_monitoring_forms",
    "build_platform_export",
    "deviation_text",
    "monitoring_forms_filename",
    "platform_export_filename",
    "write_bureau_workbooks",
]

# The 一体化 platform's import columns (DESIGN.md §4), in its order.
INDICATOR_EXPORT_COLUMNS: tuple[str, ...] = (
    "项目编码", "项目名称", "一级指标", "二级指标", "三级指标名称", "计算符号", "年度指标值", "计量单位",
    "当前完成值", "完成可能性分析", "偏差原因说明",
)
SHEET_INDICATORS, SHEET_BUDGET = "监控指标", "预算执行"

NO_RETURN_NOTE = "本月未收到有效监控表"
SIGN_OFF_LABELS: tuple[str, ...] = ("单位负责人", "财务负责人", "填报人", "联系电话", "填报日期")
NO_DEVIATION = "无偏差"

_WORKBOOK_OPTIONS: dict[str, Any] = {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False}


def platform_export_filename(department: Department | str, period: Period) -> str:
    return f"{_name(department)}{period.label}绩效监控一体化导入.xlsx"


def monitoring_forms_filename(department: Department | str, period: Period) -> str:
    return f"{_name(department)}{period.label}项目支出绩效运行监控表.xlsx"


def budget_export_columns(period: Period) -> tuple[str, ...]:
    """The 预算执行 sheet's columns; the span is the form's (``1-6月执行数``, ``1月执行数``)."""
    span = period.months_label
    return ("项目编码", "项目名称", "年初预算数", "调整后预算数", f"{span}执行数", f"{span}执行率%", "全年预计执行数")


def deviation_text(deviation: object, explanation: object) -> str:
    """偏差原因说明 for the platform: ``经费保障：……``; the explanation alone under 无偏差; empty when
    there is neither a deviation nor a word."""
    category = "" if is_missing(deviation) else str(deviation).strip()
    text = "" if is_missing(explanation) else str(explanation).strip()
    if category == NO_DEVIATION:
        category = ""
    if category and text:
        return f"{category}：{text}"
    return category or text


def _name(department: Department | str) -> str:
    return department.name if isinstance(department, Department) else str(department)


def _new_workbook(buffer: io.BytesIO, summary: Summary, department: Department, title: str) -> Workbook:
    wb = xlsxwriter.Workbook(buffer, _WORKBOOK_OPTIONS)
    # The last day of the period: pinned, so that a re-run gives the same bytes.
    created = dt.datetime.combine(summary.period.last_day, dt.time())
    wb.set_properties({"title": title, "author": "perfsheet", "company": department.name, "created": created})
    return wb


# ---------------------------------------------------------------------------------------------------
# What the frames say about one project


@dataclass(frozen=True, slots=True)
class _ProjectView:
    """One project as the bureau sees it: its registry entry, its frame row and its indicator rows."""

    project: Project
    row: Mapping[str, Any]  # the projects frame's row ({} when the frame has none)
    indicators: Mapping[int, Mapping[str, Any]]  # n → the indicators frame's row
    # 部门整体 only: the money is the counting projects' returns summed (whatever its own form's status),
    # their 年初预算数 by money row ("", "fiscal_", "other_"), the projects it covers in words and, when
    # some do not count, the line that names them. None/"" for a project: its money is its own return's.
    initial: Mapping[str, Decimal] | None = None
    scope: str = ""
    left_out: str = ""

    def budget(self, prefix: str) -> Decimal:
        """年初预算数 of a money row: the registry's, known without a return (部门整体: over ``scope``)."""
        if self.initial is not None:
            return self.initial[prefix]
        return {"": self.project.budget, "fiscal_": self.project.fiscal, "other_": self.project.other}[prefix]

    def money(self, column: str) -> Any:
        """A money figure of the sheet: the project's return's (see :meth:`value`); 部门整体's, the
        projects' sum, shown whether or not the department-level form counts."""
        if self.initial is None:
            return self.value(column)
        value = self.row.get(column)
        return None if value is None or is_missing(value) else value

    @property
    def status(self) -> str:
        status = self.row.get("status")
        return "missing" if is_missing(status) else str(status)

    @property
    def counts(self) -> bool:
        return self.status == "valid"

    def value(self, column: str) -> Any:
        """A frame value, None when the column is absent or the value missing (or the return does not
        count: nothing of it is shown as a figure)."""
        if not self.counts:
            return None
        value = self.row.get(column)
        return None if is_missing(value) else value

    def text(self, column: str) -> str:
        value = self.value(column)
        return "" if value is None else str(value)


def _views(summary: Summary, department: Department) -> list[_ProjectView]:
    rows: dict[str, dict[str, Any]] = {}
    for record in summary.projects.to_dict("records"):
        rows[str(record["code"])] = {str(k): v for k, v in record.items()}
    indicators: dict[str, dict[int, dict[str, Any]]] = {}
    for record in summary.indicators.to_dict("records"):
        if not is_missing(record.get("n")):
            by_n = indicators.setdefault(str(record["code"]), {})
            by_n[int(record["n"])] = {str(k): v for k, v in record.items()}
    return [_ProjectView(p, rows.get(p.code, {}), indicators.get(p.code, {})) for p in department.projects]


def _overall_view(summary: Summary, department: Department, views: Sequence[_ProjectView]) -> _ProjectView | None:
    """The 部门整体 form as a project view: the department's money over the projects whose returns count
    (the summary's totals; 年初预算数 over the same projects, so no row mixes two scopes) and the targets
    of its own return. ``views``: the projects' views, which say what counts."""
    overall = department.overall
    if overall is None or summary.overall is None:
        return None
    t = summary.totals
    row: dict[str, Any] = {
        "status": summary.overall_status, "goal_progress": summary.overall_progress,
        "budget_adjusted": t.adjusted_budget, "spend_to_date": t.spend_to_date,
        "execution_rate": t.execution_rate, "spend_projected": t.projected_spend,
    }
    for prefix, part in (("fiscal_", t.fiscal), ("other_", t.other)):
        row |= {f"{prefix}budget_adjusted": part.adjusted_budget, f"{prefix}spend_to_date": part.spend_to_date,
                f"{prefix}execution_rate": part.execution_rate, f"{prefix}spend_projected": part.projected_spend}
    indicators = {int(r["n"]): {str(k): v for k, v in r.items()} for r in summary.overall.to_dict("records")}
    counting = [v.project for v in views if v.counts]
    initial = {prefix: sum((getattr(p, name) for p in counting), Decimal(0))
               for prefix, name in (("", "budget"), ("fiscal_", "fiscal"), ("other_", "other"))}
    out = [f"{v.project.name}（{status_label(v.status)}）" for v in views if not v.counts]
    left_out = (f"全部{len(views)}个项目年初预算数合计{_wan(t.budget)}万元；未计入以上合计的项目：{'、'.join(out)}。"
                if out else "")
    return _ProjectView(overall, row, indicators, initial=initial,
                        scope=reported_scope(len(counting), len(views)), left_out=left_out)


def _wan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def _ind_value(view: _ProjectView, n: int, column: str) -> Any:
    if not view.counts:
        return None
    value = view.indicators.get(n, {}).get(column)
    if value is None or (not isinstance(value, str) and is_missing(value)):
        return None
    return value


def _ind_text(view: _ProjectView, n: int, column: str) -> str:
    value = _ind_value(view, n, column)
    return "" if value is None else str(value).strip()


def _round_half_up(value: float, places: int) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------------
# 1. The platform's import file


def build_platform_export(summary: Summary, department: Department) -> bytes:
    """监控指标 (one row per indicator of every counting return) and 预算执行 (one row per counting return)
    in the 一体化 platform's import columns: one header row, no title, nothing merged; numbers as numbers
    (money in 万元 with two decimals shown, the 执行率 in percent rounded to one decimal), codes and
    定性 words as text."""
    buffer = io.BytesIO()
    wb = _new_workbook(buffer, summary, department,
                       f"{department.name}{summary.period.label}绩效监控一体化导入")
    header = wb.add_format({"bold": True})
    text = wb.add_format({"num_format": "@"})
    general = wb.add_format({"num_format": "General"})
    money = wb.add_format({"num_format": "0.00"})
    rate = wb.add_format({"num_format": "0.0"})
    views = [v for v in _views(summary, department) if v.counts]

    ws = wb.add_worksheet(SHEET_INDICATORS)
    widths = (24, 28, 12, 16, 30, 8, 12, 8, 12, 14, 50)
    for col, (label, width) in enumerate(zip(INDICATOR_EXPORT_COLUMNS, widths, strict=True)):
        ws.write_string(0, col, label, header)
        ws.set_column(col, col, width)
    r = 0
    # A money-only month reported no indicator: the platform gets no 当前完成值 rows to overwrite.
    for view in views if summary.asks_indicators else ():
        for ind in view.project.indicators:
            r += 1
            target = ind.target
            ws.write_string(r, 0, view.project.code, text)
            ws.write_string(r, 1, view.project.name, text)
            ws.write_string(r, 2, ind.level1, text)
            ws.write_string(r, 3, ind.level2, text)
            ws.write_string(r, 4, ind.name, text)
            ws.write_string(r, 5, str(target.op), text)
            if target.op is Op.QUALITATIVE or target.value is None:
                ws.write_string(r, 6, target.raw, text)
            else:
                ws.write_number(r, 6, float(target.value), general)
            ws.write_string(r, 7, target.unit, text)
            _export_value(ws, r, 8, _ind_value(view, ind.n, "actual"), text, general)
            ws.write_string(r, 9, _ind_text(view, ind.n, "likelihood"), text)
            ws.write_string(r, 10, deviation_text(_ind_value(view, ind.n, "deviation"),
                                                  _ind_value(view, ind.n, "explanation")), text)
    ws.freeze_panes(1, 0)

    ws = wb.add_worksheet(SHEET_BUDGET)
    columns = budget_export_columns(summary.period)
    for col, (label, width) in enumerate(zip(columns, (24, 28, 12, 14, 14, 14, 16), strict=True)):
        ws.write_string(0, col, label, header)
        ws.set_column(col, col, width)
    for r, view in enumerate(views, start=1):
        ws.write_string(r, 0, view.project.code, text)
        ws.write_string(r, 1, view.project.name, text)
        _export_number(ws, r, 2, float(view.project.budget), money)
        _export_number(ws, r, 3, view.value("budget_adjusted"), money)
        _export_number(ws, r, 4, view.value("spend_to_date"), money)
        executed = view.value("execution_rate")
        _export_number(ws, r, 5, None if executed is None else _round_half_up(float(executed), 1), rate)
        _export_number(ws, r, 6, view.value("spend_projected"), money)
    ws.freeze_panes(1, 0)
    wb.close()
    return buffer.getvalue()


def _export_number(ws: Worksheet, row: int, col: int, value: object, fmt: Format) -> None:
    if value is None or is_missing(value):
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_number(row, col, float(value), fmt)  # type: ignore[arg-type]


def _export_value(ws: Worksheet, row: int, col: int, value: object, text: Format, general: Format) -> None:
    """当前完成值: a number in the target's unit, or the 定性 word."""
    if isinstance(value, str):
        ws.write_string(row, col, value, text)
    else:
        _export_number(ws, row, col, value, general)


# ---------------------------------------------------------------------------------------------------
# 2. The print-ready 项目支出绩效运行监控表


# Nine columns, landscape A4 at about 90 %: the indicator table's headings are the columns.
_FORM_WIDTHS: tuple[float, ...] = (10, 12, 24, 12, 11, 11, 11, 11, 34)
_LAST_COL = len(_FORM_WIDTHS) - 1
_LINE = 13.5  # points per line of 10 pt 宋体
# A landscape A4 page holds about 515 pt of rows at full size; shrinking to fit beyond 70 % of that makes
# 10 pt text print under 7 pt.
_MAX_ONE_PAGE_HEIGHT = 515 / 0.7
_MAX_TWO_PAGE_HEIGHT = 2 * _MAX_ONE_PAGE_HEIGHT


def _form_headers(period: Period) -> tuple[str, ...]:
    return ("一级指标", "二级指标", "三级指标", "年度指标值", f"截至{period.month}月完成值", "全年预计完成值",
            "完成目标可能性", "偏差原因", "原因说明及改进措施")


class _FormFormats:
    def __init__(self, wb: Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1, "text_wrap": True}
        self.title = wb.add_format({"font_name": "宋体", "bold": True, "font_size": 16, "align": "center",
                                    "valign": "vcenter"})
        self.line_left = wb.add_format({"font_name": "宋体", "font_size": 10, "valign": "vcenter"})
        self.line_right = wb.add_format({"font_name": "宋体", "font_size": 10, "valign": "vcenter",
                                         "align": "right"})
        self.note = wb.add_format({"font_name": "宋体", "font_size": 11, "bold": True, "valign": "vcenter",
                                   "font_color": "#C00000", "border": 1, "text_wrap": True})
        self.label = wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#F2F2F2"})
        self.text = wb.add_format({**base})
        self.center = wb.add_format({**base, "align": "center"})
        self.money = wb.add_format({**base, "num_format": "#,##0.00", "align": "right"})
        self.pct = wb.add_format({**base, "num_format": "0.0%", "align": "right"})
        self.sign = wb.add_format({"font_name": "宋体", "font_size": 10, "valign": "bottom"})


class _Form:
    """One project's sheet: writes cells, merges and the row heights their wrapped text needs."""

    def __init__(self, ws: Worksheet, f: _FormFormats) -> None:
        self.ws, self.f = ws, f
        self._lines: dict[int, float] = {}

    def width(self, first: int, last: int) -> float:
        """Width for estimating wrapped lines: xlsxutil's estimate leaves a margin, and 10 pt 宋体 fits
        about a tenth more per line than it assumes (less white space, still no text cut off)."""
        return sum(_FORM_WIDTHS[first : last + 1]) * 1.1

    def _need(self, row: int, text: str, first: int, last: int, rows: int = 1) -> None:
        if text:
            lines = lines_needed(text, self.width(first, last)) / rows
            self._lines[row] = max(self._lines.get(row, 1), lines)

    def cell(self, row: int, col: int, text: str, fmt: Format, last: int | None = None) -> None:
        last = col if last is None else last
        if last > col:
            self.ws.merge_range(row, col, row, last, "", fmt)
        self.ws.write_string(row, col, text, fmt)
        self._need(row, text, col, last)

    def block(self, first_row: int, last_row: int, col: int, text: str, fmt: Format) -> None:
        """A label over several rows (一级指标 of its indicators)."""
        if last_row > first_row:
            self.ws.merge_range(first_row, col, last_row, col, "", fmt)
        self.ws.write_string(first_row, col, text, fmt)
        if text:
            per_row = lines_needed(text, self.width(col, col)) / (last_row - first_row + 1)
            for row in range(first_row, last_row + 1):
                self._lines[row] = max(self._lines.get(row, 1), per_row)

    def number(self, row: int, col: int, value: object, fmt: Format, last: int | None = None) -> None:
        last = col if last is None else last
        if last > col:
            self.ws.merge_range(row, col, row, last, "", fmt)
        if value is None or is_missing(value):
            self.ws.write_blank(row, col, None, fmt)
        else:
            self.ws.write_number(row, col, float(value), fmt)  # type: ignore[arg-type]

    def heights(self, minimum: Mapping[int, float], last_row: int) -> float:
        """Set every row's height; returns the sheet's height in points."""
        total = 0.0
        for row in range(last_row + 1):
            lines = math.ceil(self._lines.get(row, 1))
            height = max(minimum.get(row, 20), lines * _LINE + 6)
            self.ws.set_row(row, height)
            total += height
        return total


def _sheet_names(projects: Sequence[Project]) -> list[str]:
    """The project code when it is a valid, unused sheet name; else a short unique name."""
    names: list[str] = []
    used: set[str] = set()
    for i, p in enumerate(projects, start=1):
        name = p.code.strip()
        if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\']", name) or name.lower() in used:
            base = re.sub(r"[\[\]:*?/\\']", "", p.name)[:24] or "项目"
            name = f"{i:02d}{base}"
        while name.lower() in used:
            name = f"{name[:28]}{len(used) + 1:03d}"
        used.add(name.lower())
        names.append(name)
    return names


def _date_text(value: object) -> str:
    if value is None or value is pd.NaT or (not isinstance(value, dt.date) and is_missing(value)):
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def _write_form(ws: Worksheet, f: _FormFormats, summary: Summary, department: Department, view: _ProjectView,
                unit_name: str) -> None:
    """One project's (or the 部门整体) sheet, block by block: title, project, money tree, goals, indicator
    table, budget explanation, sign-off; then the rows' heights and the print setup."""
    form = _Form(ws, f)
    minimum: dict[int, float] = {}
    for col, width in enumerate(_FORM_WIDTHS):
        ws.set_column(col, col, width)
    r = _form_title(form, minimum, summary.period, view, unit_name)
    r = _form_project(form, r, department, view, unit_name)
    r = _form_money(form, r, summary.period, view)
    r = _form_goals(form, minimum, r, summary.period, view)
    for col, head in enumerate(_form_headers(summary.period)):
        form.cell(r, col, head, f.label)
    minimum[r] = 30
    r = _indicator_rows(form, view, r + 1, asks_indicators=summary.asks_indicators)
    form.cell(r, 0, "预算执行偏差原因及改进措施", f.label, 1)
    form.cell(r, 2, view.text("budget_explanation"), f.text, _LAST_COL)
    minimum[r] = 36
    r = _form_sign_off(form, minimum, r + 2, view)  # a blank row between the table and the sign-off
    _form_print_setup(ws, view.project, r, form.heights(minimum, r))


def _form_title(form: _Form, minimum: dict[int, float], period: Period, view: _ProjectView, unit_name: str) -> int:
    """Title, 填报单位 and unit lines, and the note of a return that does not count; the next row."""
    f = form.f
    kind = "部门整体绩效运行监控表" if view.project.overall else "项目支出绩效运行监控表"
    form.cell(0, 0, f"{kind}（截至{period.year}年{period.month}月）", f.title, _LAST_COL)
    minimum[0] = 32
    form.cell(1, 0, f"填报单位（盖章）：{unit_name}", f.line_left, 5)
    form.cell(1, 6, "金额单位：万元", f.line_right, _LAST_COL)
    if view.counts:
        return 2
    reason = "报送的监控表有错误，未计入" if view.status == "invalid" else status_label(view.status)
    shown = ("部门资金为各项目有效报送数合计，指标完成值空白" if view.initial is not None
             else "以下仅列示年度绩效目标，执行数和完成值空白")
    form.cell(2, 0, f"注：{NO_RETURN_NOTE}（{reason}），{shown}。", f.note, _LAST_COL)
    minimum[2] = 24
    return 3


def _form_project(form: _Form, r: int, department: Department, view: _ProjectView, unit_name: str) -> int:
    """项目名称 / 项目编码, 主管部门 / 实施单位; the next row."""
    f, project = form.f, view.project
    section = str(view.row.get("section") or project.section or "")
    unit = f"{unit_name}（{section}）" if section and section != unit_name else unit_name
    form.cell(r, 0, "项目名称", f.label, 1)
    form.cell(r, 2, project.name, f.text, 4)
    form.cell(r, 5, "项目编码", f.label)
    form.cell(r, 6, project.code, f.text, _LAST_COL)
    form.cell(r + 1, 0, "主管部门", f.label, 1)
    form.cell(r + 1, 2, department.name, f.text, 4)
    form.cell(r + 1, 5, "实施单位/\n责任科室", f.label)
    form.cell(r + 1, 6, unit, f.text, _LAST_COL)
    return r + 2


def _form_money(form: _Form, r: int, period: Period, view: _ProjectView) -> int:
    """The platform's money tree, 年度资金总额 → 其中：财政资金 / 其他资金, every figure over one scope (the
    部门整体 sheet says which projects, and names those left out); the next row."""
    f = form.f
    money_heads = ("年初预算数", "调整后预算数", f"{period.months_label}执行数", "执行率", "全年预计执行数")
    kinds: list[tuple[str, str]] = [("年度资金总额", ""), ("其中：财政资金", "fiscal_"), ("其他资金", "other_")]
    heading = "部门资金\n（万元）" if view.initial is not None else "项目资金\n（万元）"
    form.block(r, r + len(kinds) + (1 if view.left_out else 0), 0, heading, f.label)
    form.cell(r, 1, f"资金类别（{view.scope}合计）" if view.scope else "资金类别", f.label, 2)
    for col, head in zip((3, 4, 5, 6, 7), money_heads, strict=True):
        form.cell(r, col, head, f.label, _LAST_COL if col == 7 else None)
    for label, prefix in kinds:
        r += 1
        form.cell(r, 1, label, f.text, 2)
        form.number(r, 3, float(view.budget(prefix)), f.money)
        form.number(r, 4, view.money(f"{prefix}budget_adjusted"), f.money)
        form.number(r, 5, view.money(f"{prefix}spend_to_date"), f.money)
        rate = view.money(f"{prefix}execution_rate")
        form.number(r, 6, None if rate is None else float(rate) / 100, f.pct)
        form.number(r, 7, view.money(f"{prefix}spend_projected"), f.money, _LAST_COL)
    if view.left_out:
        r += 1
        form.cell(r, 1, view.left_out, f.text, _LAST_COL)
    return r + 1


def _form_goals(form: _Form, minimum: dict[int, float], r: int, period: Period, view: _ProjectView) -> int:
    """年度绩效目标 and what the return says of its progress; the next row."""
    f = form.f
    form.cell(r, 0, "年度绩效目标", f.label, 1)
    form.cell(r, 2, view.project.goal, f.text, _LAST_COL)
    form.cell(r + 1, 0, f"截至{period.month}月目标完成情况", f.label, 1)
    form.cell(r + 1, 2, view.text("goal_progress"), f.text, _LAST_COL)
    minimum[r] = minimum[r + 1] = 30
    return r + 2


def _form_sign_off(form: _Form, minimum: dict[int, float], r: int, view: _ProjectView) -> int:
    """The unit's sign-off at row ``r``, below the table and without borders; its row (the sheet's last)."""
    f = form.f
    contact, phone = view.text("contact_name"), view.text("contact_phone")
    filled = _date_text(view.value("filled_date"))
    gap = "\u3000" * 4
    form.cell(r, 0, f"单位负责人：{gap}", f.sign, 1)
    form.cell(r, 2, f"财务负责人：{gap}", f.sign)
    form.cell(r, 3, f"填报人：{contact or gap}", f.sign, 4)
    form.cell(r, 5, f"联系电话：{phone or gap}", f.sign, 6)
    form.cell(r, 7, f"填报日期：{filled or gap}", f.sign, _LAST_COL)
    minimum[r] = 28
    return r


def _form_print_setup(ws: Worksheet, project: Project, last_row: int, height: float) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    # One page wide, and one page tall when that stays legible: fitted to two pages, a sheet a line too
    # long printed its sign-off alone on the second page. Else at most two tall, unless that would shrink
    # the text below legibility (dozens of long explanations): then as many pages as the text needs.
    pages = 1 if height <= _MAX_ONE_PAGE_HEIGHT else 2 if height <= _MAX_TWO_PAGE_HEIGHT else 0
    ws.fit_to_pages(1, pages)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.print_area(0, 0, last_row, _LAST_COL)
    # The code on every page: a form printed over two pages still says whose it is.
    ws.set_footer(f"&L{project.code.replace('&', '&&')}&C第 &P 页，共 &N 页")


def _indicator_rows(form: _Form, view: _ProjectView, r: int, *, asks_indicators: bool = True) -> int:
    """The indicators in registry order, 一级/二级指标 merged over the rows that share them."""
    f = form.f
    indicators = list(view.project.indicators)
    first = r
    for ind in indicators:
        form.cell(r, 2, ind.name, f.text)
        form.cell(r, 3, ind.target.raw, f.center)
        if not asks_indicators:
            form.cell(r, 4, "本月不填报（仅监控预算执行）", f.center, last=8)
            r += 1
            continue
        unit = ind.target.unit
        form.cell(r, 4, value_with_unit(_ind_value(view, ind.n, "actual"), unit), f.center)
        form.cell(r, 5, value_with_unit(_ind_value(view, ind.n, "projection"), unit), f.center)
        form.cell(r, 6, _ind_text(view, ind.n, "likelihood"), f.center)
        form.cell(r, 7, _ind_text(view, ind.n, "deviation"), f.center)
        form.cell(r, 8, _ind_text(view, ind.n, "explanation"), f.text)
        r += 1
    for col, key in ((0, lambda i: (i.level1,)), (1, lambda i: (i.level1, i.level2))):
        for start, stop, ind in _runs(indicators, key):
            label = ind.level1 if col == 0 else ind.level2
            form.block(first + start, first + stop, col, label, f.center)
    return r


def _runs(indicators: Sequence[Indicator], key: Any) -> list[tuple[int, int, Indicator]]:
    """(first, last, indicator) of each run of consecutive indicators with the same key."""
    runs: list[tuple[int, int, Indicator]] = []
    for i, ind in enumerate(indicators):
        if runs and key(indicators[runs[-1][0]]) == key(ind):
            runs[-1] = (runs[-1][0], i, runs[-1][2])
        else:
            runs.append((i, i, ind))
    return runs


OVERALL_SHEET = "部门整体"


def build_monitoring_forms(summary: Summary, department: Department, *, unit_name: str) -> bytes:
    """The 项目支出绩效运行监控表: one print-ready sheet per project (registry order), named by its code,
    then the 部门整体 sheet (the department's money and its department-wide targets).

    A project without a counting return keeps its sheet with the registry's targets, empty values and
    the note 本月未收到有效监控表. ``unit_name`` is the 填报单位 (the stamp's owner)."""
    buffer = io.BytesIO()
    wb = _new_workbook(buffer, summary, department,
                       f"{department.name}{summary.period.label}项目支出绩效运行监控表")
    formats = _FormFormats(wb)
    views = _views(summary, department)
    for name, view in zip(_sheet_names([v.project for v in views]), views, strict=True):
        ws = wb.add_worksheet(name)
        _write_form(ws, formats, summary, department, view, unit_name)
    overall = _overall_view(summary, department, views)
    if overall is not None:
        _write_form(wb.add_worksheet(OVERALL_SHEET), formats, summary, department, overall, unit_name)
    if not views:
        wb.add_worksheet("监控表").write_string(0, 0, "本年度目标中没有项目")
    wb.close()
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# 3. Both into reports/<period>/


def write_bureau_workbooks(
    summary: Summary, department: Department, folder: str | Path, *, unit_name: str, root: str | Path
) -> tuple[Path, Path]:
    """Write (platform export, monitoring forms) atomically into ``folder``, never through a symlink
    of the workspace ``root`` (:func:`perfsheet.fsutil.confined`)."""
    target = Path(folder)
    export = write_bytes_atomic(target / platform_export_filename(department, summary.period),
                                build_platform_export(summary, department), root=root)
    forms = write_bytes_atomic(target / monitoring_forms_filename(department, summary.period),
                               build_monitoring_forms(summary, department, unit_name=unit_name), root=root)
    return export, forms
