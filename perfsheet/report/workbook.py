"""The department's summary workbook (汇总表): a :class:`~perfsheet.consolidate.Summary` → one .xlsx.

Pipeline stage after consolidation. Only reads the Summary's frames (no figure is recomputed here) and
writes them with xlsxwriter: 总览, 项目执行 (+ bar chart), 指标完成, 部门整体, 预警清单, 报送情况,
科室汇总, 问题清单, 趋势 (+ line chart). Rates are written as fractions with a ``0.0%`` format, money with
``#,##0.00`` (万元). Every piece of text comes from people (names, explanations, file names) and is
written with ``write_string`` in a workbook opened with ``strings_to_formulas=False``: it never becomes a
formula. The creation date is pinned, so the same Summary gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from perfsheet.consolidate.summary import Summary
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.labels import LIGHT_LABELS, actual_label, reported_scope, spend_label, status_label
from perfsheet.xlsxutil import lines_needed, row_height

__all__ = [
    "SHEETS",
    "build_summary_workbook",
    "summary_filename",
    "write_summary_workbook",
]

SHEETS = ("总览", "项目执行", "指标完成", "部门整体", "预警清单", "报送情况", "科室汇总", "问题清单", "趋势")

# Fill colours of the lights (Excel's own "good/neutral/bad" palette, readable when printed in grey).
LIGHT_FILLS = {"red": "#FFC7CE", "yellow": "#FFEB9C", "green": "#C6EFCE", "missing": "#D9D9D9"}
LIGHT_FONTS = {"red": "#9C0006", "yellow": "#9C5700", "green": "#006100", "missing": "#404040"}


def summary_filename(summary: Summary) -> str:
    return f"{summary.department}{summary.period.label}绩效运行监控汇总表.xlsx"


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


_CHINA = dt.timezone(dt.timedelta(hours=8))


class _Writer:
    """Formats and typed cell writers shared by the sheets."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        # Column widths per sheet (from table_header) and the lines each row's wrapped text needs, so
        # finish_table can give rows the height Excel/WPS would not compute for xlsxwriter output.
        self._widths: dict[str, list[float]] = {}
        self._row_lines: dict[str, dict[int, int]] = {}
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1}
        self.title = wb.add_format({"font_name": "宋体", "bold": True, "font_size": 14})
        self.note = wb.add_format({"font_name": "宋体", "font_size": 10, "italic": True, "font_color": "#595959"})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"})
        self.text = wb.add_format({**base, "text_wrap": True})
        self.plain = wb.add_format({"font_name": "宋体", "font_size": 11, "text_wrap": True, "valign": "top"})
        self.money = wb.add_format({**base, "num_format": "#,##0.00"})
        self.pct = wb.add_format({**base, "num_format": "0.0%"})
        self.pp = wb.add_format({**base, "num_format": "+0.0;-0.0;0.0"})
        self.num = wb.add_format({**base, "num_format": "0.0"})
        self.int = wb.add_format({**base, "num_format": "0"})
        self.general = wb.add_format({**base, "num_format": "General"})
        # An indicator in % holds 95 for 95 %: shown with its sign, not as a fraction.
        self.percent_points = wb.add_format({**base, "num_format": '0.##"%"'})
        self.date = wb.add_format({**base, "num_format": "yyyy-mm-dd"})
        self.datetime = wb.add_format({**base, "num_format": "yyyy-mm-dd hh:mm"})
        self.lights: dict[str, Format] = {
            key: wb.add_format({**base, "align": "center", "bold": True, "bg_color": LIGHT_FILLS[key],
                                "font_color": LIGHT_FONTS[key]})
            for key in LIGHT_FILLS
        }

    def string(self, ws: Worksheet, row: int, col: int, value: object, fmt: Format | None = None) -> None:
        text = "" if _is_missing(value) else str(value)
        ws.write_string(row, col, text, fmt or self.text)
        widths = self._widths.get(ws.get_name())
        if text and widths is not None and col < len(widths):
            rows = self._row_lines.setdefault(ws.get_name(), {})
            rows[row] = max(rows.get(row, 1), lines_needed(text, widths[col]))

    def number(self, ws: Worksheet, row: int, col: int, value: object, fmt: Format) -> None:
        if _is_missing(value):
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_number(row, col, float(value), fmt)  # type: ignore[arg-type]

    def percent(self, ws: Worksheet, row: int, col: int, value: object) -> None:
        """A rate held in percent (50.0) → the fraction 0.5 in a % cell."""
        self.number(ws, row, col, None if _is_missing(value) else float(value) / 100, self.pct)  # type: ignore[arg-type]

    def value(self, ws: Worksheet, row: int, col: int, value: object, unit: str = "") -> None:
        """An indicator value: a number in the target's unit (95 for 95 %), or a 定性 word."""
        if isinstance(value, str):
            self.string(ws, row, col, value)
        else:
            self.number(ws, row, col, value, self.percent_points if unit == "%" else self.general)

    def light(self, ws: Worksheet, row: int, col: int, light: object, status: str) -> None:
        if status != "valid":
            ws.write_string(row, col, status_label(status), self.lights["missing"])
        elif _is_missing(light):
            ws.write_string(row, col, "—", self.text)
        else:
            key = str(light)
            ws.write_string(row, col, LIGHT_LABELS[key], self.lights[key])

    def datetime_cell(self, ws: Worksheet, row: int, col: int, value: object) -> None:
        if _is_missing(value):  # pandas' NaT is a datetime instance, so test it first
            ws.write_blank(row, col, None, self.text)
        elif isinstance(value, dt.datetime):
            # Excel has no time zones: show the office's local time (China, UTC+8).
            local = value.astimezone(_CHINA) if value.tzinfo is not None else value
            ws.write_datetime(row, col, local.replace(tzinfo=None), self.datetime)
        elif isinstance(value, dt.date):
            ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), self.date)
        else:
            ws.write_blank(row, col, None, self.text)

    def table_header(self, ws: Worksheet, row: int, headers: Sequence[tuple[str, float]]) -> None:
        for col, (label, width) in enumerate(headers):
            ws.write_string(row, col, label, self.header)
            ws.set_column(col, col, width)
        # Tall enough for the longest wrapped heading (bold text is a little wider).
        ws.set_row(row, row_height([(label, width * 0.9) for label, width in headers], minimum=30))
        self._widths[ws.get_name()] = [width for _label, width in headers]

    def finish_table(self, ws: Worksheet, header_row: int, last_row: int, ncols: int) -> None:
        """Frozen header, filter and print setup of a list sheet."""
        ws.freeze_panes(header_row + 1, 0)
        ws.autofilter(header_row, 0, max(last_row, header_row), ncols - 1)
        _print_setup(ws, header_row)
        for row, lines in sorted(self._row_lines.get(ws.get_name(), {}).items()):
            if row > header_row and lines > 1:
                ws.set_row(row, lines * 13.5 + 4)


def _print_setup(ws: Worksheet, header_row: int | None) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # fit width, as many pages tall as needed
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if header_row is not None:
        ws.repeat_rows(0, header_row)
    ws.set_footer("&C第 &P 页，共 &N 页")


# Column headings name the month as the chiefs' form does (1-6月执行数, 截至6月完成值): ``{spend}`` and
# ``{actual}`` in a heading below are filled in from the period (perfsheet.labels).
def _headers(headers: Sequence[tuple[str, float]], s: Summary) -> list[tuple[str, float]]:
    words = {"spend": spend_label(s.period), "actual": actual_label(s.period)}
    return [(label.format_map(words), width) for label, width in headers]


# ---------------------------------------------------------------------------------------------------


def _overview(w: _Writer, ws: Worksheet, s: Summary, narrative_lines: Sequence[str]) -> None:
    """总览: the title and what the totals cover, the department's figures, the lights, the key sentences."""
    t = s.totals
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 2, 60)
    w.string(ws, 0, 0, f"{s.department}{s.period.label}预算绩效运行监控汇总", w.title)
    kind = f"本月为{s.month_kind}；" if s.month_kind else ""
    w.string(ws, 1, 0, f"截至{s.period.label}末；{kind}合计数只统计已通过校验的项目"
             f"（{t.projects_reported}/{t.projects}个），未报送和有错误的项目不计为0。", w.note)
    header = 3
    w.table_header(ws, header, [("项目", 30), ("数值", 18)])
    r = _overview_figures(w, ws, header, _overview_rows(s))
    r += 1
    w.string(ws, r, 0, "部门预警灯")
    w.light(ws, r, 1, t.light, "valid" if t.light else "missing")
    # The lights table and the key sentences start page 2 rather than leave a row of the table behind.
    ws.set_h_pagebreaks([r + 2])
    r = _overview_lights(w, ws, r + 2, s)
    if narrative_lines:
        r += 2
        w.string(ws, r, 0, "情况摘要", w.title)
        for line in narrative_lines:
            r += 1
            ws.merge_range(r, 0, r, 2, "", w.plain)
            ws.write_string(r, 0, line, w.plain)
            ws.set_row(r, 15 * max(1, math.ceil(len(line) / 45)))
    _print_setup(ws, None)


# Under a money total, its two parts as the 一体化 platform's money tree has them (DESIGN.md §3).
_FISCAL_ROW, _OTHER_ROW = "\u3000其中：财政资金", "\u3000" * 3 + "其他资金"


def _overview_rows(s: Summary) -> list[tuple[str, object, str]]:
    """(label, value, kind) of the 总览 figures; each money total of the reported projects followed by its
    财政资金 and 其他资金 parts (over the same projects)."""
    t = s.totals
    fiscal, other = t.fiscal, t.other

    def tree(label: str, total: object, kind: str, part: str) -> list[tuple[str, object, str]]:
        name = label.split("（")[0]
        return [(label, total, kind), (f"{_FISCAL_ROW}{name}", getattr(fiscal, part), kind),
                (f"{_OTHER_ROW}{name}", getattr(other, part), kind)]

    spend = spend_label(s.period)
    return [
        ("项目个数", t.projects, "int"),
        ("已通过项目数", t.projects_reported, "int"),
        ("有错误项目数", t.projects_invalid, "int"),
        ("未报送项目数", t.projects_missing, "int"),
        ("年初预算数（万元，全部项目）", t.budget, "money"),
        ("年初预算数（万元，已通过项目）", t.budget_reported, "money"),
        *tree("调整后预算数（万元，已通过项目）", t.adjusted_budget, "money", "adjusted_budget"),
        *tree(f"{spend}（万元，已通过项目）", t.spend_to_date, "money", "spend_to_date"),
        *tree("执行率", t.execution_rate, "pct", "execution_rate"),
        ("序时进度", t.time_progress, "pct"),
        ("计划进度（按调整后预算加权）", t.plan_progress, "pct"),
        ("执行率与序时进度之差（个百分点）", t.gap_time_pp, "pp"),
        ("执行率与计划进度之差（个百分点）", t.gap_plan_pp, "pp"),
        *tree("全年预计执行数（万元，已通过项目）", t.projected_spend, "money", "projected_spend"),
    ]


def _overview_figures(w: _Writer, ws: Worksheet, r: int, rows: Sequence[tuple[str, object, str]]) -> int:
    """The figures below row ``r``, each in its format; the last row written."""
    for label, value, kind in rows:
        r += 1
        w.string(ws, r, 0, label)
        v = None if value is None else float(value)  # type: ignore[arg-type]
        if kind == "money":
            w.number(ws, r, 1, v, w.money)
        elif kind == "pct":
            w.percent(ws, r, 1, v)
        elif kind == "pp":
            w.number(ws, r, 1, v, w.pp)
        else:
            w.number(ws, r, 1, v, w.int)
    return r


def _overview_lights(w: _Writer, ws: Worksheet, r: int, s: Summary) -> int:
    """How many projects and indicators have each light, from row ``r``; the last row written."""
    t = s.totals
    w.table_header(ws, r, [("预警灯", 30), ("预算执行（项目数）", 18), ("绩效指标（指标数）", 60)])
    ws.set_column(2, 2, 60)
    for key in ("red", "yellow", "green"):
        r += 1
        ws.write_string(r, 0, LIGHT_LABELS[key], w.lights[key])
        w.number(ws, r, 1, t.budget_lights.get(key, 0), w.int)
        w.number(ws, r, 2, t.indicator_lights.get(key, 0), w.int)
    return r


_PROJECT_HEADERS: list[tuple[str, float]] = [
    # Narrow enough to print one A4 landscape page wide at a readable size (about 3/4 scale): headings
    # wrap over several lines, money needs 9 characters, points and ratios 7; the chief is on 报送情况 and
    # 科室汇总. The 序时进度, the same for every project, is in the chart's title and on 总览, which leaves
    # room for the spending's 财政资金 / 其他资金 parts.
    ("项目编码", 19), ("项目名称", 22), ("责任科室", 13), ("年初预算数（万元）", 9),
    ("调整后预算数（万元）", 9), ("{spend}（万元）", 9), ("其中：财政资金执行数（万元）", 9), ("其他资金执行数（万元）", 9),
    ("执行率", 7), ("计划进度", 7), ("与序时进度差（个百分点）", 7), ("与计划进度差（个百分点）", 7),
    ("执行率/序时进度", 7), ("预警", 6), ("全年预计执行数（万元）", 9), ("预计执行率", 7), ("报送状态", 11),
    ("目标完成情况", 30),
]
_RATE_COLUMN = 8  # 执行率: the chart's values


def _projects(w: _Writer, ws: Worksheet, s: Summary) -> None:
    header = 0
    w.table_header(ws, header, _headers(_PROJECT_HEADERS, s))
    r = header
    for p in s.projects.itertuples(index=False):
        r += 1
        w.string(ws, r, 0, p.code)
        w.string(ws, r, 1, p.name)
        w.string(ws, r, 2, p.section)
        for col, value in enumerate((p.budget, p.budget_adjusted, p.spend_to_date, p.fiscal_spend_to_date,
                                     p.other_spend_to_date), start=3):
            w.number(ws, r, col, value, w.money)
        w.percent(ws, r, _RATE_COLUMN, p.execution_rate)
        w.percent(ws, r, 9, p.plan_progress)
        w.number(ws, r, 10, p.gap_time_pp, w.pp)
        w.number(ws, r, 11, p.gap_plan_pp, w.pp)
        w.number(ws, r, 12, p.ratio, w.num)
        w.light(ws, r, 13, p.light, str(p.status))
        w.number(ws, r, 14, p.spend_projected, w.money)
        w.percent(ws, r, 15, p.projected_rate)
        w.string(ws, r, 16, p.status_label)
        w.string(ws, r, 17, p.goal_progress)
    w.finish_table(ws, header, r, len(_PROJECT_HEADERS))
    if r > header:
        _execution_chart(w, ws, s, header, r)


# Bar colours of the lights (a strong version of the cells' fills), and of a project with no light.
_BAR_COLOURS = {"red": "#C00000", "yellow": "#E0A800", "green": "#2E8B57"}
_NO_LIGHT_BAR = "#BFBFBF"


def _execution_chart(w: _Writer, ws: Worksheet, s: Summary, header: int, last: int) -> None:
    """Who lags, at a glance: each project's 执行率 as a bar in its light's colour with its value; the
    序时进度 (the same for all) is in the title and 计划进度 in the table above."""
    sheet = ws.get_name()
    lights = list(s.projects["light"])
    chart = w.wb.add_chart({"type": "bar"})
    chart.add_series({
        "name": "执行率",
        "categories": [sheet, header + 1, 1, last, 1],
        "values": [sheet, header + 1, _RATE_COLUMN, last, _RATE_COLUMN],
        "points": [{"fill": {"color": _BAR_COLOURS.get(str(light), _NO_LIGHT_BAR)}} for light in lights],
        "data_labels": {"value": True, "num_format": "0.0%", "position": "outside_end", "font": {"size": 9}},
        "gap": 60,
    })
    chart.set_title({
        "name": f"{s.period.label}各项目预算执行率（序时进度 {float(s.time_progress):.1f}%，颜色为预警灯）",
        "name_font": {"size": 11},
    })
    chart.set_x_axis({"num_format": "0%", "min": 0, "major_gridlines": {"visible": True}})
    # Categories top to bottom in table order; the value axis stays at the bottom.
    chart.set_y_axis({"reverse": True, "num_font": {"size": 9}, "crossing": "max"})
    chart.set_legend({"none": True})
    # Room on the left for whole project names.
    chart.set_plotarea({"layout": {"x": 0.34, "y": 0.12, "width": 0.6, "height": 0.74}})
    chart.set_size({"width": 960, "height": max(340, 30 * (last - header) + 140)})
    ws.insert_chart(last + 2, 1, chart)


_INDICATOR_HEADERS: list[tuple[str, float]] = [
    ("项目编码", 22), ("项目名称", 22), ("序号", 6), ("一级指标", 12), ("二级指标", 14), ("三级指标", 24),
    ("指标值", 12), ("{actual}", 12), ("全年预计完成值", 12), ("完成率", 9), ("完成目标可能性", 12),
    ("偏差原因", 12), ("原因说明及改进措施", 40), ("预警", 8),
]


def _indicators(w: _Writer, ws: Worksheet, s: Summary) -> None:
    header = 0
    w.table_header(ws, header, _headers(_INDICATOR_HEADERS, s))
    frame = s.indicators
    if not frame.empty:
        # Group by project (registry order) and, inside it, by 一级指标 in order of first appearance.
        project_rank: dict[str, int] = {}
        level_rank: dict[tuple[str, str], int] = {}
        keys = list(zip(frame["code"], frame["level1"], strict=True))
        for i, (code, level1) in enumerate(keys):
            project_rank.setdefault(code, i)
            level_rank.setdefault((code, level1), i)
        order = sorted(range(len(keys)), key=lambda i: (project_rank[keys[i][0]], level_rank[keys[i]], i))
        frame = frame.iloc[order]
    r = header
    for ind in frame.itertuples(index=False):
        r += 1
        w.string(ws, r, 0, ind.code)
        w.string(ws, r, 1, ind.project)
        w.number(ws, r, 2, ind.n, w.int)
        w.string(ws, r, 3, ind.level1)
        w.string(ws, r, 4, ind.level2)
        w.string(ws, r, 5, ind.name)
        _indicator_progress(w, ws, r, 6, ind)
    w.finish_table(ws, header, r, len(_INDICATOR_HEADERS))


def _indicator_progress(w: _Writer, ws: Worksheet, r: int, col: int, ind: Any) -> None:
    """指标值 … 预警 of one indicators-frame row from column ``col`` on (the 指标完成 and 部门整体 sheets)."""
    w.string(ws, r, col, ind.target_raw)
    w.value(ws, r, col + 1, ind.actual, str(ind.unit))
    w.value(ws, r, col + 2, ind.projection, str(ind.unit))
    w.percent(ws, r, col + 3, ind.attainment)
    w.string(ws, r, col + 4, ind.likelihood)
    w.string(ws, r, col + 5, ind.deviation)
    w.string(ws, r, col + 6, ind.explanation)
    w.light(ws, r, col + 7, ind.light, str(ind.status))


_OVERALL_HEADERS: list[tuple[str, float]] = [
    ("序号", 6), ("部门整体目标", 26), ("指标值", 12), ("{actual}", 14), ("全年预计完成值", 14), ("完成率", 9),
    ("完成目标可能性", 12), ("偏差原因", 12), ("原因说明及改进措施", 40), ("预警", 8),
]
_OVERALL_MONEY_HEADERS = ("资金类别", "调整后预算数（万元）", "执行数（万元）", "执行率", "全年预计执行数（万元）")


def _overall(w: _Writer, ws: Worksheet, s: Summary) -> None:
    """部门整体: the department's money (the projects' returns summed, as 总览) and its own targets
    from the 部门整体 form."""
    t = s.totals
    w.table_header(ws, 0, _headers(_OVERALL_HEADERS, s))
    r = 0
    frame = s.overall
    if frame is not None:
        for row in frame.itertuples(index=False):
            r += 1
            w.number(ws, r, 0, row.n, w.int)
            w.string(ws, r, 1, row.name)
            _indicator_progress(w, ws, r, 2, row)
    else:
        r += 1
        w.string(ws, r, 1, "年度绩效目标未列部门整体目标")
    status = {"valid": "", "": ""}.get(s.overall_status, f"（部门整体监控表{status_label(s.overall_status)}）")
    r += 2
    ws.write_string(r, 0, f"部门资金（{reported_scope(t.projects_reported, t.projects)}合计）{status}", w.title)
    r += 1
    for col, label in enumerate(_OVERALL_MONEY_HEADERS, start=1):
        ws.write_string(r, col, label, w.header)
    ws.set_row(r, row_height([(label, width * 0.9) for label, (_h, width) in
                              zip(_OVERALL_MONEY_HEADERS, _OVERALL_HEADERS[1:], strict=False)], minimum=30))
    parts = (("年度资金总额", t.adjusted_budget, t.spend_to_date, t.execution_rate, t.projected_spend),
             *((label, part.adjusted_budget, part.spend_to_date, part.execution_rate, part.projected_spend)
               for label, part in (("其中：财政资金", t.fiscal), ("其他资金", t.other))))
    for label, adjusted, spend, rate, projected in parts:
        r += 1
        w.string(ws, r, 1, label)
        w.number(ws, r, 2, adjusted, w.money)
        w.number(ws, r, 3, spend, w.money)
        w.percent(ws, r, 4, rate)
        w.number(ws, r, 5, projected, w.money)
    ws.freeze_panes(1, 0)
    _print_setup(ws, 0)


_WARNING_HEADERS: list[tuple[str, float]] = [
    ("类别", 10), ("预警", 8), ("项目编码", 22), ("项目名称", 22), ("责任科室", 16), ("科长", 8), ("指标序号", 8),
    ("指标名称", 20), ("原因", 60), ("科室说明", 50),
]
_KIND_LABELS = {"budget": "预算执行", "indicator": "绩效指标", "return": "报送"}
_LEVEL_FILL = {"red": "red", "yellow": "yellow", "missing": "missing", "invalid": "missing", "ignored": "missing"}


def _warnings(w: _Writer, ws: Worksheet, s: Summary) -> None:
    header = 0
    w.table_header(ws, header, _WARNING_HEADERS)
    r = header
    for row in s.warnings.itertuples(index=False):
        r += 1
        w.string(ws, r, 0, _KIND_LABELS.get(str(row.kind), str(row.kind)))
        ws.write_string(r, 1, str(row.level_label), w.lights[_LEVEL_FILL.get(str(row.level), "missing")])
        w.string(ws, r, 2, row.code)
        w.string(ws, r, 3, row.project)
        w.string(ws, r, 4, row.section)
        w.string(ws, r, 5, row.chief)
        w.number(ws, r, 6, row.n, w.int)
        w.string(ws, r, 7, row.indicator)
        w.string(ws, r, 8, row.reason)
        w.string(ws, r, 9, row.explanation)
    w.finish_table(ws, header, r, len(_WARNING_HEADERS))


_RECEIPT_HEADERS: list[tuple[str, float]] = [
    ("责任科室", 16), ("科长", 8), ("项目编码", 22), ("项目名称", 26), ("报送状态", 9), ("收到时间", 16),
    ("填报日期", 12), ("填报人", 10), ("文件", 36), ("错误数", 7), ("提示数", 7),
]


def _receipts(w: _Writer, ws: Worksheet, s: Summary) -> None:
    header = 0
    w.table_header(ws, header, _RECEIPT_HEADERS)
    section_order = {name: i for i, name in enumerate(s.sections["section"])}
    frame = s.projects
    if s.overall_receipt is not None:  # the 部门整体 form is chased like a project's
        frame = pd.concat([frame, pd.DataFrame([dict(s.overall_receipt)])], ignore_index=True)
    frame = frame.assign(_s=frame["section"].map(section_order)).sort_values("_s", kind="stable")
    r = header
    for p in frame.itertuples(index=False):
        r += 1
        w.string(ws, r, 0, p.section)
        w.string(ws, r, 1, p.chief)
        w.string(ws, r, 2, p.code)
        w.string(ws, r, 3, p.name)
        status = str(p.status)
        on_time = status == "valid" and not p.late
        ws.write_string(r, 4, str(p.status_label), w.lights["green"] if on_time else w.lights["missing"])
        w.datetime_cell(ws, r, 5, p.received)
        w.datetime_cell(ws, r, 6, p.filled_date)
        w.string(ws, r, 7, p.contact_name)
        w.string(ws, r, 8, p.file)
        w.number(ws, r, 9, p.errors, w.int)
        w.number(ws, r, 10, p.warnings, w.int)
    w.finish_table(ws, header, r, len(_RECEIPT_HEADERS))


_SECTION_HEADERS: list[tuple[str, float]] = [
    ("责任科室", 18), ("科长", 8), ("项目数", 7), ("已收到", 7), ("已通过", 7), ("有错误", 7), ("未报送", 7),
    ("年初预算数（万元）", 12), ("调整后预算数（万元，已通过）", 13), ("{spend}（万元，已通过）", 13),
    ("执行率", 9), ("红灯", 6), ("黄灯", 6), ("绿灯", 6), ("指标红灯", 7), ("指标黄灯", 7), ("指标绿灯", 7),
    ("未报送项目", 30),
]


def _sections(w: _Writer, ws: Worksheet, s: Summary) -> None:
    header = 0
    w.table_header(ws, header, _headers(_SECTION_HEADERS, s))
    r = header
    for sec in s.sections.itertuples(index=False):
        r += 1
        w.string(ws, r, 0, sec.section)
        w.string(ws, r, 1, sec.chief)
        for col, name in enumerate(("projects", "received", "reported", "invalid", "missing"), start=2):
            w.number(ws, r, col, getattr(sec, name), w.int)
        w.number(ws, r, 7, sec.budget, w.money)
        w.number(ws, r, 8, sec.budget_adjusted, w.money)
        w.number(ws, r, 9, sec.spend_to_date, w.money)
        w.percent(ws, r, 10, sec.execution_rate)
        for col, name in enumerate(("red", "yellow", "green", "indicator_red", "indicator_yellow",
                                    "indicator_green"), start=11):
            w.number(ws, r, col, getattr(sec, name), w.int)
        w.string(ws, r, 17, sec.missing_projects)
    w.finish_table(ws, header, r, len(_SECTION_HEADERS))


_ISSUE_HEADERS: list[tuple[str, float]] = [
    ("项目编码", 22), ("项目名称", 22), ("责任科室", 16), ("文件", 30), ("位置", 14), ("问题", 18),
    ("级别", 6), ("填写的值", 14), ("说明", 60),
]


def _issues(w: _Writer, ws: Worksheet, s: Summary) -> None:
    header = 0
    w.table_header(ws, header, _ISSUE_HEADERS)
    r = header
    for i in s.issues.itertuples(index=False):
        r += 1
        w.string(ws, r, 0, i.code)
        w.string(ws, r, 1, i.project)
        w.string(ws, r, 2, i.section)
        w.string(ws, r, 3, i.file)
        w.string(ws, r, 4, i.location)
        w.string(ws, r, 5, i.issue_title)
        w.string(ws, r, 6, i.severity_label)
        w.string(ws, r, 7, i.value)
        w.string(ws, r, 8, i.message)
    w.finish_table(ws, header, r, len(_ISSUE_HEADERS))


def _trend(w: _Writer, ws: Worksheet, s: Summary) -> None:
    trend = s.trend
    dept = trend[trend["scope"] == "department"]
    projects = trend[trend["scope"] != "department"]
    codes = list(dict.fromkeys(projects["scope"]))
    names = dict(zip(projects["scope"], projects["name"], strict=False))
    by_period = {(row.period, row.scope): row.execution_rate for row in projects.itertuples(index=False)}
    headers: list[tuple[str, float]] = [("期间", 10), ("部门执行率", 10), ("序时进度", 9), ("计划进度", 9),
                                        ("有效报送项目数", 9)]
    headers += [(names[code], 14) for code in codes]  # names: a reader does not know the codes
    header = 0
    w.table_header(ws, header, headers)
    r = header
    for row in dept.itertuples(index=False):
        r += 1
        w.string(ws, r, 0, row.period)
        w.percent(ws, r, 1, row.execution_rate)
        w.percent(ws, r, 2, row.time_progress)
        w.percent(ws, r, 3, row.plan_progress)
        w.number(ws, r, 4, row.reported, w.int)
        for col, code in enumerate(codes, start=5):
            w.percent(ws, r, col, by_period.get((row.period, code)))
    w.finish_table(ws, header, r, len(headers))
    if r > header:
        chart = w.wb.add_chart({"type": "line"})
        sheet = ws.get_name()
        for col, name, colour, dash in ((1, "部门执行率", "#2F5597", "solid"), (3, "计划进度", "#ED7D31", "dash"),
                                        (2, "序时进度", "#7F7F7F", "round_dot")):
            chart.add_series({
                "name": name,
                "categories": [sheet, header + 1, 0, r, 0],
                "values": [sheet, header + 1, col, r, col],
                "line": {"color": colour, "width": 2.25, "dash_type": dash},
                "marker": {"type": "circle", "size": 5, "fill": {"color": colour}, "border": {"color": colour}},
            })
        chart.set_title({"name": f"{s.year}年预算执行率趋势"})
        chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 720, "height": 360})
        ws.insert_chart(r + 2, 0, chart)


def build_summary_workbook(
    summary: Summary,
    *,
    narrative_lines: Sequence[str] | None = None,
) -> bytes:
    """The summary workbook as bytes (deterministic: same Summary → same bytes).

    ``narrative_lines``: key sentences for 总览 (see :func:`perfsheet.report.narrative.key_sentences`).
    """
    buffer = io.BytesIO()
    options: dict[str, Any] = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                               "strings_to_urls": False}
    wb = xlsxwriter.Workbook(buffer, options)
    # The last day of the period: pinned, so that a re-run gives the same bytes.
    created = dt.datetime.combine(summary.period.last_day, dt.time())
    wb.set_properties({"title": f"{summary.department}{summary.period.label}绩效运行监控汇总表",
                       "author": "perfsheet", "company": summary.department, "created": created})
    w = _Writer(wb)
    sheets = {name: wb.add_worksheet(name) for name in SHEETS}
    _overview(w, sheets["总览"], summary, list(narrative_lines or ()))
    _projects(w, sheets["项目执行"], summary)
    _indicators(w, sheets["指标完成"], summary)
    _overall(w, sheets["部门整体"], summary)
    _warnings(w, sheets["预警清单"], summary)
    _receipts(w, sheets["报送情况"], summary)
    _sections(w, sheets["科室汇总"], summary)
    _issues(w, sheets["问题清单"], summary)
    _trend(w, sheets["趋势"], summary)
    wb.close()
    return buffer.getvalue()


def write_summary_workbook(
    summary: Summary,
    path: str | Path,
    *,
    narrative_lines: Sequence[str] | None = None,
    root: str | Path | None = None,
) -> Path:
    """Write the summary workbook atomically to ``path`` (a folder → the default file name inside it);
    with ``root`` (the workspace), never through a symlink (:func:`perfsheet.fsutil.confined`)."""
    target = Path(path)
    if target.is_dir():
        target = target / summary_filename(summary)
    data = build_summary_workbook(summary, narrative_lines=narrative_lines)
    return write_bytes_atomic(target, data, root=root)
