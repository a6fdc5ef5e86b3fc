"""Summary workbook: written, read back (openpyxl and calamine) and checked against independent figures."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from decimal import Decimal as D
from fractions import Fraction as F
from pathlib import Path

import openpyxl
import pytest
from consolidate_helpers import JUNE, june_returns, small_department, submission
from python_calamine import CalamineWorkbook

from perfsheet.consolidate.build import consolidate
from perfsheet.model import Issue, Period, Severity
from perfsheet.report.workbook import SHEETS, build_summary_workbook, write_summary_workbook

RATES = {"P01": F("5.9") / 20, "P02": F("15.25") / F("30.5"), "P03": F(3) / 10}  # fractions, not percent


# User text that looks like a formula, carried by an issue of P03's return (the value as found).
FORMULA_LIKE = Issue("not-a-return", Severity.WARNING, "=1+1 不是监控表", "监控表", "F14", "spend.to_date", "=1+1")


def _summary():  # type: ignore[no-untyped-def]
    history = {Period(2025, 3): [submission("P01", Period(2025, 3), adjusted="20", spend="2", projected="20")]}
    returns = [
        replace(r, issues=(*r.issues, FORMULA_LIKE)) if r.project_code == "P03" else r for r in june_returns()
    ]
    return consolidate(small_department(), returns, JUNE, history=history)


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    return write_summary_workbook(_summary(), out, narrative_lines=["一、总体情况：=SUM(A1)", "第二句"])


def _built() -> io.BytesIO:
    return io.BytesIO(build_summary_workbook(_summary()))


def _rows(path: Path, sheet: str) -> list[list[object]]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_sheets_and_project_figures(workbook_path: Path) -> None:
    wb = openpyxl.load_workbook(workbook_path)
    assert wb.sheetnames == list(SHEETS)
    ws = wb["项目执行"]
    header = [c.value for c in ws[1]]
    col = {name: i for i, name in enumerate(header)}
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    assert set(rows) == {"P01", "P02", "P03", "P04", "P05"}
    # The 序时进度, the same for every project, is on 总览 and in the chart's title, not a column.
    assert "序时进度" not in col
    for code, rate in RATES.items():
        r = rows[code]
        assert r[col["执行率"]] == pytest.approx(float(rate))
        assert r[col["计划进度"]] == pytest.approx(0.5)
        assert r[col["与序时进度差（个百分点）"]] == pytest.approx(float(rate * 100 - 50))
        assert r[col["执行率/序时进度"]] == pytest.approx(float(rate * 100 / 50 * 100))
    assert rows["P01"][col["预警"]] == "红灯"
    assert rows["P02"][col["预警"]] == "绿灯"
    assert rows["P03"][col["预警"]] == "黄灯"  # ratio exactly 60
    assert rows["P04"][col["预警"]] == "有错误"
    assert rows["P05"][col["预警"]] == "未报送"
    for code in ("P04", "P05"):  # missing values are empty cells, never zeros
        assert rows[code][col["1-6月执行数（万元）"]] is None
        assert rows[code][col["执行率"]] is None
    assert rows["P05"][col["年初预算数（万元）"]] == 5.0
    # The light is colour AND text.
    p01_row = next(i for i in range(2, ws.max_row + 1) if ws.cell(i, 1).value == "P01")
    cell = ws.cell(p01_row, col["预警"] + 1)
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(p01_row, col["执行率"] + 1).number_format == "0.0%"
    assert ws.cell(p01_row, col["1-6月执行数（万元）"] + 1).number_format == "#,##0.00"
    # Frozen header, filter, print setup.
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"


def test_fiscal_and_other_funds_on_project_execution_and_overview() -> None:
    # P01 has 1 万元 of 其他资金 in its 20 万元, 0.4 of it spent and 0.8 expected; the rest is 财政资金.
    returns = [replace(r, budget_adjusted_other=D("1"), spend_to_date_other=D("0.4"), spend_projected_other=D("0.8"))
               if r.project_code == "P01" else r for r in june_returns()]
    book = openpyxl.load_workbook(io.BytesIO(build_summary_workbook(consolidate(small_department(), returns, JUNE))))
    ws = book["项目执行"]
    header = [c.value for c in ws[1]]
    col = {name: i for i, name in enumerate(header)}
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    fiscal, other = col["其中：财政资金执行数（万元）"], col["其他资金执行数（万元）"]
    assert fiscal == col["1-6月执行数（万元）"] + 1 and other == fiscal + 1  # the tree, beside its total
    assert rows["P01"][fiscal] == pytest.approx(5.9 - 0.4) and rows["P01"][other] == pytest.approx(0.4)
    assert rows["P02"][fiscal] == pytest.approx(15.25) and rows["P02"][other] == 0
    assert rows["P04"][fiscal] is None and rows["P05"][other] is None  # no counting return: empty, not 0
    values = {str(r[0]).strip("\u3000"): r[1] for r in book["总览"].iter_rows(values_only=True) if isinstance(r[0], str)}
    spend, other_spend = F("5.9") + F("15.25") + 3, F("0.4")
    adjusted, other_adjusted = F(20) + F("30.5") + 10, F(1)
    assert values["1-6月执行数（万元，已通过项目）"] == pytest.approx(float(spend))
    assert values["其中：财政资金1-6月执行数"] == pytest.approx(float(spend - other_spend))
    assert values["其他资金1-6月执行数"] == pytest.approx(float(other_spend))
    assert values["其中：财政资金调整后预算数"] == pytest.approx(float(adjusted - other_adjusted))
    assert values["其他资金调整后预算数"] == pytest.approx(float(other_adjusted))
    assert values["其中：财政资金执行率"] == pytest.approx(float((spend - other_spend) / (adjusted - other_adjusted)))
    assert values["其他资金执行率"] == pytest.approx(float(other_spend / other_adjusted))
    assert values["其中：财政资金全年预计执行数"] == pytest.approx(float(F(18) + F("30.5") + 10 - F("0.8")))
    assert values["其他资金全年预计执行数"] == pytest.approx(0.8)


def test_overview_totals_and_text_is_never_a_formula(workbook_path: Path) -> None:
    rows = _rows(workbook_path, "总览")
    values = {r[0]: r[1] for r in rows if isinstance(r[0], str)}
    spend = F("5.9") + F("15.25") + 3
    adjusted = F(20) + F("30.5") + 10
    assert values["年初预算数（万元，全部项目）"] == pytest.approx(80.5)
    assert values["1-6月执行数（万元，已通过项目）"] == pytest.approx(float(spend))
    assert values["调整后预算数（万元，已通过项目）"] == pytest.approx(float(adjusted))
    assert values["执行率"] == pytest.approx(float(spend / adjusted))
    assert values["序时进度"] == pytest.approx(0.5)
    assert values["未报送项目数"] == 1 and values["有错误项目数"] == 1 and values["已通过项目数"] == 3
    assert values["红灯"] == 1 and values["黄灯"] == 1 and values["绿灯"] == 1
    assert "一、总体情况：=SUM(A1)" in values
    wb = openpyxl.load_workbook(workbook_path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    issues = _rows(workbook_path, "问题清单")
    assert ["P03", "=1+1", "=1+1 不是监控表"] in [[r[0], r[7], r[8]] for r in issues]
    # The 问题 column names each problem in Chinese (codes outside the catalogue show as they are).
    assert {r[5] for r in issues[1:]} == {"不是数字", "late-date", "not-a-return"}


def test_indicators_warnings_receipts_sections_trend_with_calamine(workbook_path: Path) -> None:
    cal = CalamineWorkbook.from_path(str(workbook_path))
    ind = cal.get_sheet_by_name("指标完成").to_python()
    assert len(ind) == 1 + 10
    by_key = {(r[0], int(r[2])): r for r in ind[1:]}
    assert by_key[("P01", 1)][7] == 80.0 and by_key[("P01", 1)][8] == 190.0
    assert by_key[("P01", 1)][9] == pytest.approx(0.4)
    assert by_key[("P01", 1)][13] == "黄灯"
    assert by_key[("P02", 2)][13] == "红灯"
    assert by_key[("P01", 3)][7] == "部分达成"
    assert by_key[("P05", 1)][13] == "未报送" and by_key[("P05", 1)][7] == ""
    # Grouped by project, then 一级指标 (产出 before 效益 before 满意度 for P01).
    assert [r[3] for r in ind[1:5]] == ["产出指标", "产出指标", "效益指标", "满意度指标"]

    warn = cal.get_sheet_by_name("预警清单").to_python()
    assert [(r[0], r[1], r[2]) for r in warn[1:]] == [
        ("报送", "有错误", "P04"), ("报送", "未报送", "P05"), ("预算执行", "红灯", "P01"),
        ("预算执行", "黄灯", "P03"), ("绩效指标", "红灯", "P02"), ("绩效指标", "黄灯", "P01")]

    rec = cal.get_sheet_by_name("报送情况").to_python()
    status = {r[2]: (r[0], r[1], r[4]) for r in rec[1:]}
    assert status["P05"] == ("社区矫正管理科", "王强", "未报送")
    assert status["P04"][2] == "有错误" and status["P01"][2] == "已通过"

    sec = cal.get_sheet_by_name("科室汇总").to_python()
    by_section = {r[0]: r for r in sec[1:]}
    base = by_section["基层科"]
    assert base[10] == pytest.approx(float((F("15.25") + 3) / (F("30.5") + 10)))
    assert by_section["社区矫正管理科"][6] == 1 and by_section["社区矫正管理科"][10] == ""

    trend = cal.get_sheet_by_name("趋势").to_python()
    assert [r[0] for r in trend[1:]] == ["2025-03", "2025-06"]
    assert trend[1][1] == pytest.approx(0.1) and trend[1][2] == pytest.approx(0.25)
    assert trend[1][3] == pytest.approx(0.25)


def test_charts_and_determinism(workbook_path: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(workbook_path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2
        xml = {n: z.read(n).decode() for n in charts}
    assert any("<c:barChart>" in x and "<c:barDir val=\"bar\"/>" in x for x in xml.values())
    assert any("<c:lineChart>" in x for x in xml.values())
    summary = _summary()
    assert build_summary_workbook(summary) == build_summary_workbook(summary)
    path = write_summary_workbook(summary, tmp_path / "汇总.xlsx")
    assert path.read_bytes() == build_summary_workbook(summary)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_execution_chart_colours_each_bar_by_its_light(workbook_path: Path) -> None:
    import re

    with zipfile.ZipFile(workbook_path) as z:
        bar = next(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/") and "barChart" in z.read(n).decode())
    points = re.findall(r'<c:dPt><c:idx val="(\d+)"/>.*?<a:srgbClr val="([0-9A-F]{6})"/>', bar)
    summary = _summary()
    expected = {"red": "C00000", "yellow": "E0A800", "green": "2E8B57"}
    for idx, colour in points:
        light = summary.projects["light"].iloc[int(idx)]
        assert colour == expected.get(str(light), "BFBFBF"), (idx, light, colour)
    assert len(points) == len(summary.projects)
    assert "<c:dLbls>" in bar and 'formatCode="0.0%"' in bar  # each bar carries its value


def test_percent_indicators_show_their_sign_and_trend_names_projects() -> None:
    wb = openpyxl.load_workbook(_built())
    ws = wb["指标完成"]
    header = [c.value for c in ws[1]]
    actual_col = header.index("截至本月完成值") if "截至本月完成值" in header else 7
    formats = {
        ws.cell(row=r, column=7).value: ws.cell(row=r, column=actual_col + 1).number_format
        for r in range(2, ws.max_row + 1)
        if ws.cell(row=r, column=actual_col + 1).value is not None
    }
    assert any(str(target).endswith("%") and fmt == '0.##"%"' for target, fmt in formats.items())
    trend = [c.value for c in wb["趋势"][1]]
    names = {p.name for p in small_department().projects}
    assert names <= set(trend) and not any(str(v).startswith("P0") for v in trend)
