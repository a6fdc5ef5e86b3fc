"""Monthly monitoring templates (月度绩效运行监控表): one protected, validated XLSX per project and period.

This is the whole user interface of perfsheet for a section chief (科长): the workbook must look like an
official form, print on A4, refuse wrong entries through data validation, and carry in a very hidden
``_perfsheet`` sheet everything ingest needs to read it back (DESIGN.md §4). Every input cell's validation
is generated from its :class:`~perfsheet.fields.FieldSpec`, so the template and ingest's checks agree.
Geometry lives in :mod:`perfsheet.template_layout`; Excel-limit checks in :mod:`perfsheet.template_lint`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from perfsheet._version import __version__
from perfsheet.errors import TemplateLintError, UsageError
from perfsheet.form.fields import (
    FieldSpec,
    Kind,
    cross_rules_for,
    date_window,
    money_fields,
    prefilled_values,
    project_fields,
    year_end_money_fields,
)
from perfsheet.form.layout import (
    BUDGET_EXPLANATION_LABEL,
    COL_BUDGET_ADJUSTED,
    COL_BUDGET_INITIAL,
    COL_PLAN_PROGRESS,
    COL_RATE,
    COL_SPEND,
    COL_SPEND_PROJECTED,
    COL_TIME_PROGRESS,
    COLUMN_WIDTHS,
    FOOTER_LABELS,
    LAST_COL,
    MONEY_ROW_LABELS,
    PROGRESS_LABEL,
    PROGRESS_LABEL_YEAR_END,
    ROW_BUDGET_EXPLANATION,
    ROW_CODE,
    ROW_FUNDS,
    ROW_GOAL,
    ROW_IND_HEAD1,
    ROW_IND_HEAD2,
    ROW_MONEY,
    ROW_MONEY_FISCAL,
    ROW_MONEY_HEAD,
    ROW_MONEY_OTHER,
    ROW_OWNER,
    ROW_PROGRESS,
    ROW_SUBTITLE,
    ROW_TITLE,
    Layout,
    compute_layout,
)
from perfsheet.form.meta import (
    META_NAME_KEYS,
    SCHEMA_VERSION,
    SHEET_HELP,
    SHEET_MAIN,
    SHEET_META,
    defined_name,
    locked_digest,
    meta_name,
)
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.labels import FORM_MONTHLY, FORM_YEAR_END, LIGHT_LABELS, actual_label, spend_label
from perfsheet.model import DEFAULT_DEADLINE_DAY, Department, Period, Project
from perfsheet.rules import EXCESS_PERCENT, MonitoringRules, Thresholds
from perfsheet.template.lint import MESSAGE_MAX, TITLE_MAX, LintedSheet, utf16_len
from perfsheet.xlsxutil import lines_needed
from perfsheet.xlsxutil import row_height as _row_height

__all__ = [
    "SCHEMA_VERSION",
    "SHEET_HELP",
    "SHEET_MAIN",
    "SHEET_META",
    "build_template",
    "defined_name",
    "fill_template",
    "locked_digest",
    "locked_values",
    "select_projects",
    "template_filename",
    "write_templates",
]

DEFAULT_OFFICE_CONTACT = "局办公室"
MONEY_UNITS = frozenset({"元", "万元"})

# Fonts of Chinese official forms; LibreOffice substitutes an installed CJK font where they are missing.
BODY_FONT = "仿宋"
HEAD_FONT = "黑体"
TITLE_FONT = "宋体"
INPUT_FILL = "#FFF2CC"  # light yellow: "fill me in"
LABEL_FILL = "#F2F2F2"
HELP_WIDTH = 92  # 填表说明 has one column: wide enough for a paragraph line in a row, within A4 portrait at full size

_WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def locked_values(department: Department, project: Project, period: Period) -> dict[str, str]:
    """A1 on 监控表 → expected text of every locked data cell (the ``locked:<A1>`` rows of ``_perfsheet``).

    Covers 项目编码, 项目名称, the 年初预算数 of the money tree (总额, 财政资金, 其他资金) and each indicator's
    一级/二级 (merge anchors), 三级 and 指标值 (the raw target text). Numbers are in canonical text: plain
    decimal, no exponent, no trailing zeros (``"3.47"``, ``"5"``); compare them numerically.
    ``department`` and ``period`` are accepted for symmetry with :func:`build_template`; the layout
    depends on the project only.
    """
    del department, period
    return dict(compute_layout(project).locked)


def _field_label(spec: FieldSpec, period: Period) -> str:
    return spec.label_for(period)


def _clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` UTF-16 units, marking the cut with an ellipsis."""
    if utf16_len(text) <= limit:
        return text
    out = ""
    for ch in text:
        if utf16_len(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def _deadline(period: Period, deadline: dt.date | None) -> dt.date:
    return deadline if deadline is not None else period.due_date(DEFAULT_DEADLINE_DAY)


# --------------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Formats:
    title: Format
    subtitle: Format
    subtitle_right: Format
    label: Format
    label_tight: Format  # a label that must stay on one line of a narrow column (其中：财政资金)
    header: Format
    text: Format
    text_center: Format
    money: Format
    percent: Format
    note: Format
    help_title: Format
    help_heading: Format
    help_text: Format
    inputs: dict[str, Format]


def _formats(workbook: Workbook) -> _Formats:
    border = {"border": 1, "border_color": "#000000"}
    body = {"font_name": BODY_FONT, "font_size": 11, "valign": "vcenter", "text_wrap": True}

    def fmt(**props: Any) -> Format:
        return workbook.add_format(props)

    def input_fmt(**props: Any) -> Format:
        return fmt(**{**body, **border, "bg_color": INPUT_FILL, "locked": False, **props})

    inputs = {
        "money": input_fmt(num_format="0.00##", align="center"),
        "percent": input_fmt(num_format="0.0#%", align="center"),
        "count": input_fmt(num_format="0", align="center"),
        "decimal": input_fmt(num_format="General", align="center"),
        "choice": input_fmt(align="center"),
        "text": input_fmt(num_format="@", align="left", valign="top"),
        "short_text": input_fmt(num_format="@", align="center"),
        "date": input_fmt(num_format="yyyy-mm-dd", align="center"),
    }
    return _Formats(
        title=fmt(font_name=TITLE_FONT, font_size=18, bold=True, align="center", valign="vcenter"),
        subtitle=fmt(font_name=BODY_FONT, font_size=11, valign="vcenter"),
        subtitle_right=fmt(font_name=BODY_FONT, font_size=11, align="right", valign="vcenter"),
        label=fmt(**body, **border, align="center", bg_color=LABEL_FILL),
        label_tight=fmt(**{**body, "text_wrap": False}, **border, align="center", bg_color=LABEL_FILL, shrink=True),
        header=fmt(
            font_name=HEAD_FONT,
            font_size=11,
            bold=True,
            align="center",
            valign="vcenter",
            text_wrap=True,
            bg_color=LABEL_FILL,
            **border,
        ),
        text=fmt(**body, **border, align="left", indent=1),
        text_center=fmt(**body, **border, align="center"),
        money=fmt(**body, **border, align="center", num_format="0.00##"),
        percent=fmt(**body, **border, align="center", num_format="0.0%"),  # 执行率, 序时进度: as the summary shows them
        note=fmt(font_name=BODY_FONT, font_size=10, valign="top", text_wrap=True),
        help_title=fmt(font_name=TITLE_FONT, font_size=16, bold=True, align="center", valign="vcenter"),
        help_heading=fmt(font_name=HEAD_FONT, font_size=12, bold=True, valign="vcenter"),
        help_text=fmt(font_name=BODY_FONT, font_size=11, valign="top", text_wrap=True),
        inputs=inputs,
    )


def _input_format(spec: FieldSpec) -> str:
    match spec.kind:
        case Kind.MONEY:
            return "money"
        case Kind.PERCENT:
            return "percent"
        case Kind.COUNT:
            return "count"
        case Kind.DECIMAL:
            # An indicator counted in money reads like the money cells (1.50, not 1.5).
            return "money" if spec.unit in MONEY_UNITS else "decimal"
        case Kind.QUALITATIVE | Kind.CHOICE:
            return "choice"
        case Kind.DATE:
            return "date"
        case Kind.PHONE:
            return "short_text"
        case _:
            return "short_text" if spec.name.startswith("contact.") else "text"


# --------------------------------------------------------------------------------------------------
# Data validation, one FieldSpec at a time
# --------------------------------------------------------------------------------------------------


_EXPLANATION_RULE = "完成可能性不是“确定能”或偏差原因不是“无偏差”时，必须填写原因说明及改进措施。"
_YEAR_END_EXPLANATION_RULE = f"实际完成值未达到指标值，或达到指标值的{EXCESS_PERCENT}%以上时，必须填写偏差原因分析及改进措施。"
_BUDGET_EXPLANATION_RULE = "预算执行偏慢或尚未支出时，必须说明原因和加快执行的措施。"
_YEAR_END_BUDGET_EXPLANATION_RULE = "全年预算未执行完时，必须说明原因和改进措施。"


def _money_validation(
    spec: FieldSpec, layout: Layout, period: Period, label: str, hint: str
) -> tuple[dict[str, Any], str, str]:
    """A money cell's rule, input hint and error text: ≥ 0, bounded by the cells its cross-field rules
    name (:data:`perfsheet.form.fields.CROSS_RULES`, the same rules ingest checks); several upper
    bounds are their MIN, several lower bounds their MAX."""
    uppers: list[str] = []
    lowers: list[str] = []
    phrases: list[str] = []
    # Cross rules bound money by money, named as this form names it (全年预算数 on the year-end form).
    money_specs = {money.name: money for money in (year_end_money_fields() if period.year_end else money_fields())}
    for cross in cross_rules_for(spec.name):
        other = layout.fields[cross.other]
        ref = xl_rowcol_to_cell(other.first_row, other.first_col, row_abs=True, col_abs=True)
        (uppers if cross.relation == "<=" else lowers).append(ref)
        phrases.append(cross.phrase(_field_label(money_specs[cross.other], period)))
    if not phrases:
        note = "；已预填年初预算数，如有调整请修改" if spec.name == "budget.adjusted" else ""
        rule: dict[str, Any] = {"validate": "decimal", "criteria": ">=", "value": 0}
        return rule, hint + note, f"{label}应为不小于0的数字，单位为万元，不要带单位。"
    lower = "=" + (lowers[0] if len(lowers) == 1 else f"MAX({','.join(lowers)})") if lowers else 0
    if uppers:
        upper = "=" + (uppers[0] if len(uppers) == 1 else f"MIN({','.join(uppers)})")
        rule = {"validate": "decimal", "criteria": "between", "minimum": lower, "maximum": upper}
    else:
        rule = {"validate": "decimal", "criteria": ">=", "value": lower}
    words = "、".join(phrases)
    return rule, f"{hint}；应{words}", f"{label}应为不小于0的数字（万元），且{words}。"


def _validation(spec: FieldSpec, layout: Layout, period: Period) -> dict[str, Any]:
    """The xlsxwriter data-validation options of one input cell, derived from its FieldSpec."""
    label = _field_label(spec, period)
    hint = spec.unit_hint
    subject = ""
    if spec.indicator is not None:
        indicator = layout.project.indicator(spec.indicator)
        subject = f"【{indicator.name}】指标值：{indicator.target.raw}。"
    error = hint
    rule: dict[str, Any]
    match spec.kind:
        case Kind.MONEY:
            rule, hint, error = _money_validation(spec, layout, period, label, hint)
        case Kind.PERCENT:
            rule = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
            error = "请填写0到100之间的百分数，例如 95 或 95%（单元格已设为百分比格式）。"
        case Kind.COUNT:
            rule = {"validate": "integer", "criteria": ">=", "value": 0}
            error = f"请填写不小于0的整数，单位为{spec.unit}，不要带单位。"
        case Kind.DECIMAL:
            rule = {"validate": "decimal", "criteria": ">=", "value": 0}
            unit = f"，单位为{spec.unit}" if spec.unit else ""
            error = f"请填写不小于0的数字{unit}，不要带单位。"
        case Kind.QUALITATIVE | Kind.CHOICE:
            rule = {"validate": "list", "source": list(spec.choices)}
            error = "请从下拉列表中选择：" + "、".join(spec.choices) + "。"
        case Kind.DATE:
            first, last = date_window(period)
            rule = {"validate": "date", "criteria": "between", "minimum": first, "maximum": last}
            hint = f"请填写日期，例如 {period.last_day.isoformat()}"
            error = f"填报日期应在 {first.isoformat()} 至 {last.isoformat()} 之间，格式如 {period.last_day.isoformat()}。"
        case Kind.PHONE:
            low, high = spec.min_length or 7, spec.max_length or 20
            rule = {"validate": "length", "criteria": "between", "minimum": low, "maximum": high}
            error = f"联系电话应为{low}到{high}位，例如 0315-1234567 或 13800000000。"
        case _:
            limit = spec.max_length or 255
            rule = {"validate": "length", "criteria": "<=", "value": limit}
            error = f"{label}不能超过{limit}个字，请精简后再填写。"
            if spec.name == "budget.explanation":
                hint = (_YEAR_END_BUDGET_EXPLANATION_RULE if period.year_end else _BUDGET_EXPLANATION_RULE) + hint
            elif spec.name.endswith(".explanation"):
                hint = (_YEAR_END_EXPLANATION_RULE if period.year_end else _EXPLANATION_RULE) + hint
    return {
        **rule,
        "ignore_blank": True,
        "input_title": _clip(label, TITLE_MAX),
        "input_message": _clip(subject + hint, MESSAGE_MAX),
        "error_type": "stop",
        "error_title": _clip(f"{label}填写有误", TITLE_MAX),
        "error_message": _clip(error, MESSAGE_MAX),
    }


# --------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------


def _title(department: Department, project: Project, period: Period) -> str:
    if project.overall:
        if period.year_end:
            return f"{department.name}{period.year}年部门整体{FORM_YEAR_END}"
        return f"{department.name}{period.year}年部门整体{FORM_MONTHLY}（截至{period.label}）"
    # "2025年…" or "2025省级…": a name that already carries the year does not get it twice.
    name = project.name if project.name.startswith(str(period.year)) else f"{period.year}年{project.name}"
    if period.year_end:
        return f"{name}{FORM_YEAR_END}"
    return f"{name}{FORM_MONTHLY}（截至{period.label}）"


def _write_main(
    workbook: Workbook,
    sheet: LintedSheet,
    fmt: _Formats,
    department: Department,
    project: Project,
    period: Period,
    layout: Layout,
    specs: tuple[FieldSpec, ...],
) -> None:
    """监控表: the form top to bottom, then its input cells and its print setup."""
    for col, width in enumerate(COLUMN_WIDTHS):
        sheet.sheet.set_column(col, col, width)
    _write_heading(sheet, fmt, department, project, period)
    _write_project_data(sheet, fmt, department, project)
    _write_money_block(sheet, fmt, project, period)
    _write_indicator_table(sheet, fmt, project, period, layout)
    _write_footer(sheet, fmt, layout, period)
    _write_inputs(workbook, sheet, fmt, project, period, layout, specs)
    if not any(spec.indicator is not None for spec in specs):
        # A money-only month: the targets stay for reference, nothing of them is asked.
        for indicator in project.indicators:
            row = layout.indicator_row(indicator.n)
            sheet.merge_range(row, 4, row, LAST_COL, "本月不填报（仅监控预算执行）", fmt.text_center)
    _set_print(sheet, layout)


def _write_heading(sheet: LintedSheet, fmt: _Formats, department: Department, project: Project, period: Period) -> None:
    """Title and subtitle."""
    ws = sheet.sheet
    months = period.months_label
    sheet.merge_range(ROW_TITLE, 0, ROW_TITLE, LAST_COL, _title(department, project, period), fmt.title)
    ws.set_row(ROW_TITLE, 30)
    sheet.merge_range(
        ROW_SUBTITLE,
        0,
        ROW_SUBTITLE,
        4,
        f"填报单位：{department.name}（{project.section or '未分配科室'}）",
        fmt.subtitle,
    )
    sheet.merge_range(
        ROW_SUBTITLE,
        5,
        ROW_SUBTITLE,
        LAST_COL,
        (f"报告期间：{period.year}年度（1-12月）　　金额单位：万元" if period.year_end
         else f"监控期间：{period.year}年{months}　　金额单位：万元"),
        fmt.subtitle_right,
    )
    ws.set_row(ROW_SUBTITLE, 20)


def _write_project_data(sheet: LintedSheet, fmt: _Formats, department: Department, project: Project) -> None:
    """The fixed project data (locked): code, name, department, section, funds, purpose, goal."""
    ws = sheet.sheet
    sheet.write(ROW_CODE, 0, "项目编码", fmt.label)
    sheet.merge_range(ROW_CODE, 1, ROW_CODE, 3, project.code, fmt.text_center)
    sheet.write(ROW_CODE, 4, "项目名称", fmt.label)
    sheet.merge_range(ROW_CODE, 5, ROW_CODE, LAST_COL, project.name, fmt.text)
    ws.set_row(ROW_CODE, _row_height([(project.name, sum(COLUMN_WIDTHS[5:]))]))
    sheet.write(ROW_OWNER, 0, "主管部门", fmt.label)
    sheet.merge_range(ROW_OWNER, 1, ROW_OWNER, 3, department.name, fmt.text_center)
    sheet.write(ROW_OWNER, 4, "责任科室", fmt.label)
    sheet.merge_range(ROW_OWNER, 5, ROW_OWNER, LAST_COL, project.section or "未分配科室", fmt.text)
    ws.set_row(ROW_OWNER, 22)
    sheet.write(ROW_FUNDS, 0, "资金用途", fmt.label)
    sheet.merge_range(ROW_FUNDS, 1, ROW_FUNDS, LAST_COL, project.purpose, fmt.text)
    ws.set_row(ROW_FUNDS, _row_height([(project.purpose, sum(COLUMN_WIDTHS[1:]))]))
    sheet.write(ROW_GOAL, 0, "年度绩效目标", fmt.label)
    sheet.merge_range(ROW_GOAL, 1, ROW_GOAL, LAST_COL, project.goal, fmt.text)
    ws.set_row(
        ROW_GOAL, _row_height([(project.goal, sum(COLUMN_WIDTHS[1:])), ("年度绩效目标", COLUMN_WIDTHS[0])])
    )


def _write_money_block(sheet: LintedSheet, fmt: _Formats, project: Project, period: Period) -> None:
    """The money tree 年度资金总额 / 其中：财政资金 / 其他资金 × 年初预算数 … 全年预计执行数, with live
    执行率 formulas, 序时进度 and 计划进度 on the total row; the 财政资金 row is locked formulas (total
    less 其他资金), so the chief types two rows and the split always adds up."""
    ws = sheet.sheet
    _write_money_heads(sheet, fmt, period)
    if project.overall:
        _write_overall_money(sheet, fmt, period)
        return
    _write_money_rows(sheet, fmt, project, period)
    _write_money_rates(sheet, fmt, project, period)
    # Two lines of text each: the form stays within two A4 pages with the longest indicator tables.
    sheet.write(ROW_PROGRESS, 0, PROGRESS_LABEL_YEAR_END if period.year_end else PROGRESS_LABEL, fmt.label)
    ws.set_row(ROW_PROGRESS, 32)
    sheet.write(ROW_BUDGET_EXPLANATION, 0, BUDGET_EXPLANATION_LABEL, fmt.label)
    ws.set_row(ROW_BUDGET_EXPLANATION, 32)


def _write_money_heads(sheet: LintedSheet, fmt: _Formats, period: Period) -> None:
    """The money block's header row: 预算执行情况 | 年初预算数 … 计划进度 | 全年预计执行数 (备注 at the year's end)."""
    heads = {
        0: "预算执行情况",
        COL_BUDGET_INITIAL: "年初预算数\n（万元）",
        COL_BUDGET_ADJUSTED: "全年预算数\n（万元）" if period.year_end else "调整后预算数\n（万元）",
        COL_SPEND: f"{spend_label(period)}\n（万元）",
        COL_RATE: "执行率\n（%）",
        COL_TIME_PROGRESS: "序时进度\n（%）",
        COL_PLAN_PROGRESS: "计划进度\n（%）",
    }
    for col, text in heads.items():
        sheet.write(ROW_MONEY_HEAD, col, text, fmt.header)
    sheet.merge_range(
        ROW_MONEY_HEAD, COL_SPEND_PROJECTED, ROW_MONEY_HEAD, LAST_COL,
        "备注" if period.year_end else "全年预计执行数（万元）", fmt.header,
    )
    sheet.sheet.set_row(ROW_MONEY_HEAD, 28)


def _write_money_rows(sheet: LintedSheet, fmt: _Formats, project: Project, period: Period) -> None:
    """The three money rows' labels and 年初预算数, and the 财政资金 row's locked formulas (total less
    其他资金); at the year's end the projection column holds a locked note."""
    ws = sheet.sheet
    initial = {ROW_MONEY: project.budget, ROW_MONEY_FISCAL: project.fiscal, ROW_MONEY_OTHER: project.other}
    for row, label in MONEY_ROW_LABELS:
        sheet.write(row, 0, label, fmt.label_tight)
        sheet.write_number(row, COL_BUDGET_INITIAL, float(initial[row]), fmt.money)
        ws.set_row(row, 20)
    for col in (COL_BUDGET_ADJUSTED, COL_SPEND):
        total, other = xl_rowcol_to_cell(ROW_MONEY, col), xl_rowcol_to_cell(ROW_MONEY_OTHER, col)
        sheet.write_formula(ROW_MONEY_FISCAL, col, _difference(total, other), fmt.money, "")
    if period.year_end:
        # Nothing is projected at the year's end: the column holds a locked note.
        for row in (ROW_MONEY, ROW_MONEY_FISCAL, ROW_MONEY_OTHER):
            note = "年终报表不填全年预计数" if row == ROW_MONEY else ""
            sheet.merge_range(row, COL_SPEND_PROJECTED, row, LAST_COL, note, fmt.text_center)
    else:
        total = xl_rowcol_to_cell(ROW_MONEY, COL_SPEND_PROJECTED)
        other = xl_rowcol_to_cell(ROW_MONEY_OTHER, COL_SPEND_PROJECTED)
        sheet.merge_range(ROW_MONEY_FISCAL, COL_SPEND_PROJECTED, ROW_MONEY_FISCAL, LAST_COL, "", fmt.money)
        sheet.write_formula(ROW_MONEY_FISCAL, COL_SPEND_PROJECTED, _difference(total, other), fmt.money, "")


def _write_money_rates(sheet: LintedSheet, fmt: _Formats, project: Project, period: Period) -> None:
    """执行率 on each money row (live formulas), 序时进度 and 计划进度 on the total row."""
    for row in (ROW_MONEY, ROW_MONEY_FISCAL, ROW_MONEY_OTHER):
        adjusted = xl_rowcol_to_cell(row, COL_BUDGET_ADJUSTED)
        spend = xl_rowcol_to_cell(row, COL_SPEND)
        # 执行率 stays live so the chief sees it move while typing; blank until both numbers are there.
        sheet.write_formula(
            row,
            COL_RATE,
            f'=IF(AND(ISNUMBER({adjusted}),ISNUMBER({spend}),N({adjusted})>0),{spend}/{adjusted},"")',
            fmt.percent,
            "",
        )
    sheet.write_number(ROW_MONEY, COL_TIME_PROGRESS, float(period.time_progress / 100), fmt.percent)
    sheet.write_number(
        ROW_MONEY, COL_PLAN_PROGRESS, float(project.plan_progress(period.month) / 100), fmt.percent
    )
    for row in (ROW_MONEY_FISCAL, ROW_MONEY_OTHER):
        sheet.merge_range(row, COL_TIME_PROGRESS, row, COL_PLAN_PROGRESS, "", fmt.text_center)


OVERALL_MONEY_NOTE = "部门资金由各项目监控表的报送数汇总（见汇总表“部门整体”），本表无需填写。"
OVERALL_MONEY_NOTE_YEAR_END = "部门资金由各项目年终报表的全年执行数汇总（见部门整体支出绩效自评表），本表无需填写。"
OVERALL_EXPLANATION_NOTE = "各项目的预算执行偏差原因在其项目监控表中填写。"


def _write_overall_money(sheet: LintedSheet, fmt: _Formats, period: Period) -> None:
    """The 部门整体 form's money rows: labels and a note, since the projects' returns give the money."""
    for row, label in MONEY_ROW_LABELS:
        sheet.write(row, 0, label, fmt.label_tight)
        sheet.sheet.set_row(row, 20)
    note = OVERALL_MONEY_NOTE_YEAR_END if period.year_end else OVERALL_MONEY_NOTE
    sheet.merge_range(ROW_MONEY, 1, ROW_MONEY_OTHER, LAST_COL, note, fmt.text_center)
    sheet.write(ROW_PROGRESS, 0, PROGRESS_LABEL_YEAR_END if period.year_end else PROGRESS_LABEL, fmt.label)
    sheet.sheet.set_row(ROW_PROGRESS, 32)
    sheet.write(ROW_BUDGET_EXPLANATION, 0, BUDGET_EXPLANATION_LABEL, fmt.label)
    sheet.merge_range(ROW_BUDGET_EXPLANATION, 1, ROW_BUDGET_EXPLANATION, LAST_COL, OVERALL_EXPLANATION_NOTE, fmt.text)
    sheet.sheet.set_row(ROW_BUDGET_EXPLANATION, 24)


def _difference(total: str, other: str) -> str:
    """财政资金 = total − 其他资金, blank until both are numbers (a formula the chief cannot edit)."""
    return f'=IF(AND(ISNUMBER({total}),ISNUMBER({other})),{total}-{other},"")'


def _write_indicator_table(
    sheet: LintedSheet, fmt: _Formats, project: Project, period: Period, layout: Layout
) -> None:
    """The indicator table: a two-row header merged like the official form, then one row per indicator."""
    ws = sheet.sheet
    sheet.merge_range(ROW_IND_HEAD1, 0, ROW_IND_HEAD1, 2, "绩效指标", fmt.header)
    sheet.merge_range(ROW_IND_HEAD1, 3, ROW_IND_HEAD2, 3, "年度指标值", fmt.header)
    if period.year_end:
        sheet.merge_range(ROW_IND_HEAD1, 4, ROW_IND_HEAD2, 4, "实际完成值", fmt.header)
        sheet.merge_range(ROW_IND_HEAD1, 5, ROW_IND_HEAD2, LAST_COL, "偏差原因分析及改进措施", fmt.header)
        for col, head in enumerate(("一级指标", "二级指标", "三级指标")):
            sheet.write(ROW_IND_HEAD2, col, head, fmt.header)
    else:
        _write_monthly_indicator_heads(sheet, fmt, period)
    ws.set_row(ROW_IND_HEAD1, 22)
    ws.set_row(ROW_IND_HEAD2, 32)
    _write_indicator_rows(sheet, fmt, project, layout)


def _write_monthly_indicator_heads(sheet: LintedSheet, fmt: _Formats, period: Period) -> None:
    sheet.merge_range(ROW_IND_HEAD1, 4, ROW_IND_HEAD1, 5, "指标完成情况", fmt.header)
    sheet.merge_range(ROW_IND_HEAD1, 6, ROW_IND_HEAD2, 6, "完成目标\n可能性", fmt.header)
    sheet.merge_range(ROW_IND_HEAD1, 7, ROW_IND_HEAD1, LAST_COL, "偏差原因分析", fmt.header)
    sub_heads = (
        "一级指标",
        "二级指标",
        "三级指标",
        None,
        f"截至{period.month}月\n完成值",
        "全年预计\n完成值",
        None,
        "偏差原因",
        "原因说明及改进措施",
    )
    for col, head in enumerate(sub_heads):
        if head is not None:
            sheet.write(ROW_IND_HEAD2, col, head, fmt.header)


def _write_indicator_rows(sheet: LintedSheet, fmt: _Formats, project: Project, layout: Layout) -> None:
    ws = sheet.sheet
    for group in (*layout.level1_groups, *layout.level2_groups):
        s = group.span
        sheet.merge_range(s.first_row, s.first_col, s.last_row, s.last_col, group.text, fmt.text_center)
    for indicator in project.indicators:
        row = layout.indicator_row(indicator.n)
        sheet.write(row, 2, indicator.name, fmt.text)
        sheet.write_string(row, 3, indicator.target.raw, fmt.text_center)
        texts = [(indicator.name, COLUMN_WIDTHS[2]), (indicator.target.raw, COLUMN_WIDTHS[3])]
        # A one-row group must still show its 一级/二级 label in full.
        for group in (*layout.level1_groups, *layout.level2_groups):
            if group.span.first_row == row == group.span.last_row:
                texts.append((group.text, COLUMN_WIDTHS[group.span.first_col]))
        ws.set_row(row, _row_height(texts, minimum=22, line_height=13.5))


YEAR_END_NOTE = (
    "注：黄色单元格为填报项，其余已锁定；金额单位万元，财政资金与执行率自动计算；本表为年度自评用的全年最终数，"
    "实际完成值未达到指标值或远超指标值时，须填写该指标的“偏差原因分析及改进措施”。详见“填表说明”。"
)


def _write_footer(sheet: LintedSheet, fmt: _Formats, layout: Layout, period: Period) -> None:
    """填报人 · 联系电话 · 填报日期 · 科室负责人, and the note under the form."""
    ws = sheet.sheet
    footer = layout.footer_row
    for col, text in FOOTER_LABELS:
        sheet.write(footer, col, text, fmt.label)
    ws.set_row(footer, 22)
    # One line: with the longest indicator tables the form must still print on one A4 page.
    note = YEAR_END_NOTE if period.year_end else (
        "注：黄色单元格为填报项，其余已锁定；金额单位万元，财政资金与执行率自动计算；指标完成可能性不是“确定能”或有偏差时"
        "填写该指标的原因说明；预算执行偏慢时填写“预算执行偏差原因及改进措施”。详见“填表说明”。"
    )
    sheet.merge_range(layout.note_row, 0, layout.note_row, LAST_COL, note, fmt.note)
    ws.set_row(layout.note_row, _row_height([(note, sum(COLUMN_WIDTHS))], line_height=13))


def _write_inputs(
    workbook: Workbook,
    sheet: LintedSheet,
    fmt: _Formats,
    project: Project,
    period: Period,
    layout: Layout,
    specs: tuple[FieldSpec, ...],
) -> None:
    """Input cells: format, start value, validation and defined name, all from the FieldSpec."""
    prefilled = prefilled_values(project)
    for spec in specs:
        span = layout.fields[spec.name]
        cell_fmt = fmt.inputs[_input_format(spec)]
        start = prefilled.get(spec.name)
        value: Any = None if start is None else float(start)
        if span.is_merged:
            sheet.merge_range(
                span.first_row,
                span.first_col,
                span.last_row,
                span.last_col,
                value if value is not None else "",
                cell_fmt,
            )
        elif value is not None:
            sheet.write_number(span.first_row, span.first_col, value, cell_fmt)
        else:
            sheet.write_blank(span.first_row, span.first_col, cell_fmt)
        sheet.data_validation(
            span.first_row, span.first_col, span.last_row, span.last_col, _validation(spec, layout, period)
        )
        absolute = xl_rowcol_to_cell(span.first_row, span.first_col, row_abs=True, col_abs=True)
        if workbook.define_name(defined_name(spec.name), f"={SHEET_MAIN}!{absolute}") not in (None, 0):
            sheet.problems.append(f"定义名称 {defined_name(spec.name)} 未能写入")


def _set_print(sheet: LintedSheet, layout: Layout) -> None:
    """A4 landscape, one page wide, indicator header repeated, page numbers centred in the footer."""
    ws = sheet.sheet
    ws.set_paper(9)
    ws.set_landscape()
    # The 部门整体 form carries the department's long 总体绩效目标 above a short table: one page.
    ws.fit_to_pages(1, 1 if layout.project.overall else 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.repeat_rows(ROW_IND_HEAD1, ROW_IND_HEAD2)
    ws.print_area(0, 0, layout.note_row, LAST_COL)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.hide_gridlines(2)
    first_input = next(iter(layout.fields.values()))
    ws.set_selection(
        first_input.first_row, first_input.first_col, first_input.first_row, first_input.first_col
    )


def _write_help(
    sheet: LintedSheet,
    fmt: _Formats,
    department: Department,
    project: Project,
    period: Period,
    office_contact: str,
    deadline: dt.date,
    rules: MonitoringRules,
    thresholds: Thresholds,
) -> None:
    """填表说明: one column of paragraphs, one A4 portrait page."""
    ws = sheet.sheet
    ws.set_column(0, 0, HELP_WIDTH)
    row = 0
    for kind, text in _help_paragraphs(project, period, office_contact, deadline, rules, thresholds):
        if kind == "title":
            sheet.write(row, 0, text, fmt.help_title)
            ws.set_row(row, 32)
        elif kind == "heading":
            sheet.write(row, 0, text, fmt.help_heading)
            ws.set_row(row, 24)
        else:
            # One row per printed line: a row's height is an estimate (no reader autofits), and a line the
            # estimate thought too long for one row got two rows' height where Excel, WPS or LibreOffice
            # fitted it in one — uneven gaps. Lines broken here fit one row by the same estimate, so
            # every row of text is one line tall in every reader.
            for line in (part for paragraph in text.split("\n") for part in _help_lines(paragraph)):
                sheet.write(row, 0, line, fmt.help_text)
                ws.set_row(row, _row_height([(line, HELP_WIDTH)], minimum=18, line_height=15.5))
                row += 1
            continue
        row += 1
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 1)  # one page; LibreOffice ignores a width-only fit on this sheet
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    ws.print_area(0, 0, row - 1, 0)
    ws.hide_gridlines(2)


_BREAK_AFTER = frozenset("，。；：、）)”")  # a line breaks best after these …
_NO_LINE_START = frozenset("，。；：、）)”%")  # … never starts with these, never ends with the next
_NO_LINE_END = frozenset("（(“")
_SHORTEST_LAST = 6  # characters: no stub of a few characters left alone under a long line


def _help_lines(line: str) -> list[str]:
    """A line of 填表说明 as the rows it takes, each fitting one row of :data:`HELP_WIDTH` by the layout
    estimate: broken after punctuation in the last part of the row where there is some, never inside a
    run of ASCII (a date, an address, ``.xlsx``), continued with the line's own indent."""
    indent = line[: len(line) - len(line.lstrip(" "))]
    rows: list[str] = []
    rest = line
    while lines_needed(rest, HELP_WIDTH) > 1:
        fits = 1
        while fits < len(rest) and lines_needed(rest[: fits + 1], HELP_WIDTH) == 1:
            fits += 1

        def allowed(i: int, text: str = rest) -> bool:
            inside_ascii = text[i - 1].isascii() and text[i].isascii() and not text[i - 1].isspace()
            return (len(indent) < i and text[i] not in _NO_LINE_START and text[i - 1] not in _NO_LINE_END
                    and not inside_ascii and len(text[i:].strip()) >= _SHORTEST_LAST)

        candidates = [i for i in range(fits, len(indent), -1) if allowed(i)]
        after_punctuation = [i for i in candidates if rest[i - 1] in _BREAK_AFTER and i >= fits * 0.6]
        cut = (after_punctuation or candidates or [fits])[0]
        rows.append(rest[:cut].rstrip())
        rest = indent + rest[cut:].lstrip()
    rows.append(rest)
    return rows


def _explanation_help(period: Period, rules: MonitoringRules, thresholds: Thresholds) -> str:
    """When an explanation is required, in the words of this workspace's rules (DESIGN.md §3)."""
    words = {"red": f"{LIGHT_LABELS['red']}（执行率低于序时进度的{thresholds.budget_red.normalize():f}%）",
             "yellow": f"{LIGHT_LABELS['yellow']}（执行率低于序时进度的{thresholds.budget_yellow.normalize():f}%）"}
    lights = "或".join(words[light] for light in ("red", "yellow") if light in rules.budget_explanation_lights)
    budget = (f"预算执行进度为{lights}，或{rules.zero_spend_after_month}月以后仍未支出时"
              if lights else f"{rules.zero_spend_after_month}月以后仍未支出时")
    text = (
        f"1.{budget}：\n"
        "  必须在“预算执行偏差原因及改进措施”栏说明原因和加快执行的措施（不要写在指标的原因说明里）。\n"
    )
    if not rules.asks_indicators(period):
        return text + "2.本月为仅监控预算执行的月份，指标完成情况不需填写。"
    return text + (
        "2.某项指标的完成目标可能性不是“确定能”，或偏差原因不是“无偏差”时：\n"
        "  必须在该指标的“原因说明及改进措施”栏填写具体原因和措施。\n"
        f"3.数量类指标{actual_label(period)}比按年度目标折算的进度落后{rules.indicator_off_percent.normalize():f}%以上时"
        "（百分比类指标与目标值比较）：\n"
        "  请在该指标的原因说明中说明原因。"
    )


def _form_name(period: Period) -> str:
    if period.year_end:
        return f"{period.year}年度{FORM_YEAR_END}（填写全年最终数，用于项目支出绩效自评）"
    return f"{period.year}年{period.months_label}{FORM_MONTHLY}"


# How the money tree is filled, the same on both forms.
_MONEY_ROWS_HELP = (
    "资金分三行：年度资金总额、其中：财政资金、其他资金（单位自有、上年结转等）。\n"
    "只填“年度资金总额”和“其他资金”两行，财政资金自动计算；没有其他资金的项目其他资金已预填0。\n"
)
_YEAR_END_COLUMNS_HELP = (
    _MONEY_ROWS_HELP
    + "全年预算数：年度内经批准调整后的全年预算数，已预填年初预算数，未调整的不用修改。\n"
    "全年执行数：1月1日至12月31日全年实际支出数（以决算数为准）。\n"
    "执行率：自动计算（全年执行数÷全年预算数），无需填写。\n"
    "年度总体目标实际完成情况：对照年度绩效目标，写明全年实际完成了什么。\n"
    "预算执行偏差原因及改进措施：全年预算未执行完时，说明原因和改进措施。\n"
    "实际完成值：各三级指标全年实际达到的值（定性指标选择“达成、部分达成、未达成”）。\n"
    "偏差原因分析及改进措施：实际完成值与指标值有偏差时，说明原因和今后的改进措施。"
)
_YEAR_END_EXPLANATION_HELP = (
    "1.全年执行率未达到100%时：\n"
    "  在“预算执行偏差原因及改进措施”栏说明原因和改进措施。\n"
    f"2.某项指标的实际完成值未达到指标值，或远超指标值（达到指标值的{EXCESS_PERCENT}%以上）时：\n"
    "  必须在该指标的“偏差原因分析及改进措施”栏填写具体原因和改进措施，自评报告将引用这些说明。"
)


def _help_paragraphs(
    project: Project, period: Period, office_contact: str, deadline: dt.date, rules: MonitoringRules,
    thresholds: Thresholds,
) -> list[tuple[str, str]]:
    """(kind, text) of every paragraph of 填表说明; kind is title, heading or text."""
    first, last = date_window(period)
    paragraphs: list[tuple[str, str]] = [
        ("title", "填表说明"),
        (
            "text",
            f"本表为“{project.name}”（项目编码 {project.code}）{_form_name(period)}，"
            f"由{project.section or '责任科室'}填写。请在“{SHEET_MAIN}”工作表中填写，不要增删行列、不要修改工作表名称。",
        ),
        ("heading", "一、哪些单元格需要填写"),
        (
            "text",
            "浅黄色底色的单元格为填报项，其余单元格（项目信息、指标名称、指标值、序时进度等）已锁定，无需也不能修改。"
            "点击单元格会出现填写提示；填入不符合要求的内容时，表格会提示并拒绝。",
        ),
        ("heading", "二、各栏含义"),
        ("text", _YEAR_END_COLUMNS_HELP) if period.year_end else (
            "text",
            _MONEY_ROWS_HELP
            + "调整后预算数：年度内经批准调整后的预算数，已预填年初预算数，未调整的不用修改。\n"
            f"{spend_label(period)}：1月1日至{period.last_day.month}月{period.last_day.day}日累计实际支出数。\n"
            "执行率：自动计算（执行数÷调整后预算数），无需填写。\n"
            f"序时进度：{period.month}÷12；计划进度：按本项目资金支出计划（3月底、6月底、10月底、12月底）推算。\n"
            "全年预计执行数：预计全年可支出的金额，应不小于已执行数、不超过调整后预算数。\n"
            "目标完成情况：简要说明年度绩效目标的总体进展。\n"
            "预算执行偏差原因及改进措施：预算执行偏慢或尚未支出时，说明原因和下一步加快执行的措施。\n"
            f"{actual_label(period)}：各三级指标截至{period.month}月底的实际完成情况；全年预计完成值：预计全年能达到的值。\n"
            "完成目标可能性：从“确定能、有可能、完全不可能”中选择。\n"
            f"偏差原因：从“{'、'.join(rules.deviation_choices)}”中选择。\n"
            "原因说明及改进措施：说明偏差的具体原因和下一步改进措施。",
        ),
        ("heading", "三、单位和填写格式"),
        (
            "text",
            "金额一律以“万元”为单位，只填数字，不要带“万元”等文字，可保留两位小数。\n"
            "百分比指标直接输入 95 或 95%，表格会按百分比显示；不要输入 0.95%。\n"
            "件、次、场、册、人等数量类指标填写不小于0的整数；元、天等指标填写数字，不带单位。\n"
            "定性指标（指标值为文字的）从下拉列表中选择“达成、部分达成、未达成”。\n"
            f"填报日期填写如 {period.last_day.isoformat()} 的日期，应在 {first.isoformat()} 至 {last.isoformat()} 之间；"
            "联系电话填写7到20位的号码。",
        ),
        ("heading", "四、什么时候必须填写说明"),
        ("text", _YEAR_END_EXPLANATION_HELP if period.year_end else _explanation_help(period, rules, thresholds)),
        ("heading", "五、报送时间和方式"),
        (
            "text",
            f"请于 {deadline.year}年{deadline.month}月{deadline.day}日 前将填好的本文件（保存为 .xlsx 格式即可，"
            f"文件名可不改）以电子邮件附件发送至 {office_contact}。"
            "可以用 Excel、WPS 或 LibreOffice 填写。如有疑问，请与办公室联系。",
        ),
    ]
    return paragraphs


def _write_meta(
    sheet: LintedSheet, project: Project, period: Period, layout: Layout, specs: tuple[FieldSpec, ...]
) -> None:
    locked = layout.locked
    rows: list[tuple[str, str | int]] = [
        ("schema", SCHEMA_VERSION),
        ("project_code", project.code),
        ("period", str(period)),
        ("year", period.year),
        ("generator", f"perfsheet {__version__}"),
        ("digest", locked_digest(locked)),
    ]
    asked = {spec.name for spec in specs}  # a money-only month maps no indicator cell
    rows += [(f"field:{name}", f"{SHEET_MAIN}!{span.anchor}") for name, span in layout.fields.items() if name in asked]
    rows += [(f"locked:{a1}", text) for a1, text in locked.items()]
    for row, (key, value) in enumerate(rows):
        sheet.write_string(row, 0, key)
        if isinstance(value, int):
            sheet.write_number(row, 1, value)
        else:
            sheet.write_string(row, 1, value)
    sheet.sheet.set_column(0, 0, 28)
    sheet.sheet.set_column(1, 1, 60)


def _define_meta_names(workbook: Workbook, project: Project, period: Period, layout: Layout) -> None:
    values = {
        "schema": str(SCHEMA_VERSION),
        "project_code": project.code,
        "period": str(period),
        "digest": locked_digest(layout.locked),
    }
    for key in META_NAME_KEYS:
        if workbook.define_name(meta_name(key), f'="{values[key]}"') not in (None, 0):
            raise TemplateLintError(f"xlsxwriter refused the defined name {meta_name(key)}")


def build_template(
    department: Department,
    project: Project,
    period: Period,
    *,
    password: str | None = None,
    office_contact: str | None = None,
    deadline: dt.date | None = None,
    rules: MonitoringRules | None = None,
    thresholds: Thresholds | None = None,
) -> bytes:
    """Build the monitoring template of ``project`` for ``period`` and return the .xlsx bytes.

    ``rules`` (perfsheet.yaml's ``monitoring:``) decide whether the month asks indicator progress
    (otherwise the indicator table is shown for reference, locked) and the 偏差原因 list; ``thresholds``
    and ``rules`` are stated on 填表说明 so the chief knows when an explanation is required.

    Deterministic: the same arguments give byte-identical output (creation date pinned to 1 January of
    the period's year). ``password`` protects the sheets (none by default: protection only prevents
    accidents). ``office_contact`` is whom to send the return to (shown on 填表说明); ``deadline``
    defaults to the 10th of the month after the period. Raises :class:`TemplateLintError` when a cell
    or validation breaks an Excel limit.
    """
    rules = rules or MonitoringRules()
    thresholds = thresholds or Thresholds()
    layout = compute_layout(project, year_end=period.year_end)
    specs = project_fields(project, period, rules)
    missing = [spec.name for spec in specs if spec.name not in layout.fields]
    if missing:  # the field specs and the layout must describe the same cells
        raise AssertionError(f"fields without a cell: {missing}")
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, _WORKBOOK_OPTIONS)
    workbook.set_properties(
        {
            "title": _title(department, project, period),
            "subject": f"{project.code} {period}",
            "author": department.name,
            "company": department.name,
            "comments": f"perfsheet {__version__}",
            "created": dt.datetime(period.year, 1, 1),
        }
    )
    fmt = _formats(workbook)
    main = LintedSheet(workbook.add_worksheet(SHEET_MAIN))
    help_sheet = LintedSheet(workbook.add_worksheet(SHEET_HELP))
    meta = LintedSheet(workbook.add_worksheet(SHEET_META))
    _write_main(workbook, main, fmt, department, project, period, layout, specs)
    _write_help(
        help_sheet,
        fmt,
        department,
        project,
        period,
        office_contact or DEFAULT_OFFICE_CONTACT,
        _deadline(period, deadline),
        rules,
        thresholds,
    )
    _write_meta(meta, project, period, layout, specs)
    _define_meta_names(workbook, project, period, layout)
    protect_options = {
        "format_columns": True,
        "format_rows": True,
        "select_locked_cells": True,
        "select_unlocked_cells": True,
    }
    main.sheet.protect(password or "", protect_options)
    help_sheet.sheet.protect(password or "", protect_options)
    meta.sheet.protect(password or "")
    meta.sheet.very_hidden()
    main.sheet.activate()
    for sheet in (main, help_sheet, meta):
        sheet.raise_if_problems()
    workbook.close()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')


def _safe_part(text: str, limit: int) -> str:
    """A file-name part safe on Windows: no reserved characters, no leading/trailing dots or spaces."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", text))
    cleaned = re.sub(r"\s+", "", cleaned).strip(". ")
    return cleaned[:limit] or "_"


def template_filename(department: Department, project: Project, period: Period) -> str:
    """A recognisable, Windows-safe file name: ``2025-06_社区矫正管理科_<项目名称>_<项目编码>.xlsx``."""
    del department  # the name already carries the project; kept for a stable signature
    section = _safe_part(project.section or "未分配科室", 30)
    name = _safe_part(project.name, 40)
    code = _safe_part(project.code, 40)
    return f"{period}_{section}_{name}_{code}.xlsx"


def select_projects(
    department: Department, *, project: str | None = None, section: str | None = None
) -> tuple[Project, ...]:
    """The projects to build: one by code, one section's, or all. Unknown names are usage errors."""
    projects = department.monitored  # the projects and the 部门整体 form
    if project is not None:
        found = department.find_project(project.strip())
        if found is None:
            codes = "、".join(p.code for p in department.projects)
            raise UsageError(f"未找到项目编码 {project}；可用的项目编码：{codes}")
        projects = (found,)
    if section is not None:
        wanted = section.strip()
        projects = tuple(p for p in projects if p.section == wanted)
        if not projects:
            known = sorted({p.section for p in department.projects if p.section})
            raise UsageError(f"科室“{section}”没有可生成模板的项目；现有科室：{'、'.join(known)}")
    return projects


def write_templates(
    department: Department,
    period: Period,
    out_dir: str | Path,
    *,
    project: str | None = None,
    section: str | None = None,
    password: str | None = None,
    office_contact: str | None = None,
    deadline: dt.date | None = None,
    rules: MonitoringRules | None = None,
    thresholds: Thresholds | None = None,
) -> list[Path]:
    """Build and atomically write the templates of ``period`` into ``out_dir``; return the paths written.

    ``project`` (a 项目编码) or ``section`` (a 科室 name) restrict the set; by default every project gets
    a template. Existing files of the same name are replaced (the content is deterministic).
    """
    target = Path(out_dir)
    written: list[Path] = []
    for item in select_projects(department, project=project, section=section):
        data = build_template(
            department, item, period, password=password, office_contact=office_contact, deadline=deadline,
            rules=rules, thresholds=thresholds,
        )
        written.append(write_bytes_atomic(target / template_filename(department, item, period), data))
    return written


# --------------------------------------------------------------------------------------------------
# Filling (tests, demo chiefs, ingest's feedback copies)
# --------------------------------------------------------------------------------------------------


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        try:
            return Decimal(repr(value))
        except InvalidOperation:
            return None
    return None


def fill_template(template: bytes | Path, values: Mapping[str, object]) -> bytes:
    """Write ``values`` (field name → value) into a template's input cells and return the .xlsx bytes.

    Cells are found through the template's own ``_perfsheet`` field map. Numbers are in the form's units:
    for a percent-formatted cell a number is taken as percent (95 → stored 0.95, format kept); strings
    are stored as text as given (``"95%"`` stays text, a leading ``=`` never becomes a formula); dates as
    dates; ``None`` clears the cell. Unknown field names raise ``KeyError``.
    """
    import openpyxl  # deferred: only filling needs it, building does not

    data = template.read_bytes() if isinstance(template, Path) else bytes(template)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    if SHEET_META not in workbook.sheetnames:
        raise ValueError("not a perfsheet template: no _perfsheet sheet")
    field_map: dict[str, str] = {}
    for key, value in workbook[SHEET_META].iter_rows(min_col=1, max_col=2, values_only=True):
        if isinstance(key, str) and key.startswith("field:") and isinstance(value, str):
            field_map[key.removeprefix("field:")] = value
    unknown = [name for name in values if name not in field_map]
    if unknown:
        raise KeyError(f"unknown field(s): {', '.join(unknown)}")
    for name, value in values.items():
        sheet_name, a1 = field_map[name].split("!", 1)
        cell = workbook[sheet_name.strip("'")][a1.replace("$", "")]
        number = _as_decimal(value)
        if value is None:
            cell.value = None
        elif number is not None:
            if "%" in str(cell.number_format):
                number = number / 100
            cell.value = (
                int(number) if number == number.to_integral_value() and abs(number) < 2**53 else float(number)
            )
        elif isinstance(value, dt.date):
            cell.value = value
        else:
            cell.value = str(value)
            cell.data_type = "s"  # openpyxl would turn "=…" into a formula; user text stays text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
