"""The two workbooks for the finance bureau: the 一体化 import file read back by two readers and checked
against figures computed here from the ledger's returns and the registry; the 项目支出绩效运行监控表
printed by LibreOffice (A4, one page wide, at most two pages per project, signed once per project)."""

from __future__ import annotations

import io
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from consolidate_helpers import JUNE, indicator_return, june_returns, small_department, submission
from lo import convert_one
from python_calamine import CalamineWorkbook

from perfsheet.consolidate.build import consolidate
from perfsheet.consolidate.summary import Summary
from perfsheet.demo import DEMO_PERIOD, run_demo
from perfsheet.errors import PerfsheetError
from perfsheet.model import Department, Op, Period, Submission, SubmissionStatus
from perfsheet.monthly import consolidate_period
from perfsheet.report.bureau import (
    INDICATOR_EXPORT_COLUMNS,
    NO_RETURN_NOTE,
    SIGN_OFF_LABELS,
    build_monitoring_forms,
    build_platform_export,
    monitoring_forms_filename,
    platform_export_filename,
    write_bureau_workbooks,
)
from perfsheet.workspace import Workspace, counting_submissions

PERIOD = DEMO_PERIOD
UNIT = "路南区司法局（本级）"
EXPECTED_INDICATOR_HEADERS = ["项目编码", "项目名称", "一级指标", "二级指标", "三级指标名称", "计算符号", "年度指标值",
                              "计量单位", "当前完成值", "完成可能性分析", "偏差原因说明"]
EXPECTED_BUDGET_HEADERS = ["项目编码", "项目名称", "年初预算数", "调整后预算数", "1-6月执行数", "1-6月执行率%",
                           "全年预计执行数"]


@dataclass(frozen=True)
class Month:
    ws: Workspace
    summary: Summary
    export: Path
    forms: Path


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Month:
    ws = run_demo(tmp_path_factory.mktemp("bureau") / "demo", PERIOD).workspace
    summary = consolidate_period(ws, PERIOD)
    export, forms = write_bureau_workbooks(summary, ws.department, ws.root / "reports" / str(PERIOD),
                                           unit_name=UNIT, root=ws.root)
    return Month(ws, summary, export, forms)


# --- expected figures, from the ledger's submissions and the registry (not from the Summary) ---------


def _valid_returns(ws: Workspace) -> list[Submission]:
    subs = [s for s in counting_submissions(ws, PERIOD) if s.status is SubmissionStatus.VALID]
    assert 3 <= len(subs) < len(ws.department.projects)  # the demo has a missing and an invalid return
    return subs


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _expected_indicator_rows(department: Department, subs: list[Submission]) -> list[list[object]]:
    rows: list[list[object]] = []
    for sub in subs:
        project = department.project(sub.project_code)
        for ind in project.indicators:
            ret = sub.indicator(ind.n)
            t = ind.target
            op = "定性" if t.op is Op.QUALITATIVE else {Op.GE: "≥", Op.LE: "≤", Op.EQ: "=", Op.GT: ">", Op.LT: "<"}[t.op]
            target: object = t.raw if t.value is None else float(t.value)
            actual: object = None
            likelihood = deviation = ""
            if ret is not None:
                actual = ret.actual if isinstance(ret.actual, str) else _number(ret.actual)
                likelihood = ret.likelihood or ""
                category = "" if ret.deviation in (None, "无偏差") else ret.deviation
                words = (ret.explanation or "").strip()
                deviation = f"{category}：{words}" if category and words else (category or words)
            rows.append([sub.project_code, project.name, ind.level1, ind.level2, ind.name, op, target, t.unit,
                         actual, likelihood, deviation])
    return rows


def _expected_budget_rows(department: Department, subs: list[Submission]) -> list[list[object]]:
    rows: list[list[object]] = []
    for sub in subs:
        project = department.project(sub.project_code)
        adjusted = sub.budget_adjusted if sub.budget_adjusted is not None else project.budget
        rate = None
        if sub.spend_to_date is not None and adjusted:
            rate = float((sub.spend_to_date * 100 / adjusted).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        rows.append([sub.project_code, project.name, float(project.budget), float(adjusted),
                     _number(sub.spend_to_date), rate, _number(sub.spend_projected)])
    return rows


def _openpyxl_rows(path: Path, sheet: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [["" if v is None and c < 2 else v for c, v in enumerate(row)] for row in ws.iter_rows(values_only=True)]


def _calamine_rows(path: Path, sheet: str) -> list[list[object]]:
    return [list(r) for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()]


def _same(found: list[object], expected: list[object]) -> bool:
    def norm(v: object) -> object:
        if v is None or v == "":
            return ""
        if isinstance(v, int | float) and not isinstance(v, bool):
            return round(float(v), 9)
        return v
    return [norm(v) for v in found] == [norm(v) for v in expected]


# --- the platform export -------------------------------------------------------------------------


def test_file_names_follow_the_bureaus_convention(month: Month) -> None:
    assert month.export.name == "路南区司法局2025年6月绩效监控一体化导入.xlsx"
    assert month.forms.name == "路南区司法局2025年6月项目支出绩效运行监控表.xlsx"
    assert month.export.name == platform_export_filename(month.ws.department, PERIOD)
    assert month.forms.name == monitoring_forms_filename(month.ws.department.name, PERIOD)
    assert month.export.parent == month.ws.root / "reports" / "2025-06"
    assert tuple(EXPECTED_INDICATOR_HEADERS) == INDICATOR_EXPORT_COLUMNS


@pytest.mark.parametrize("reader", [_openpyxl_rows, _calamine_rows], ids=["openpyxl", "calamine"])
def test_monitoring_indicators_one_row_per_indicator_of_every_counting_return(month: Month, reader) -> None:  # type: ignore[no-untyped-def]
    subs = _valid_returns(month.ws)
    expected = _expected_indicator_rows(month.ws.department, subs)
    assert openpyxl.load_workbook(month.export).sheetnames == ["监控指标", "预算执行"]
    rows = reader(month.export, "监控指标")
    assert rows[0] == EXPECTED_INDICATOR_HEADERS
    body = rows[1:]
    assert len(body) == len(expected) == sum(len(month.ws.department.project(s.project_code).indicators)
                                              for s in subs)
    for found, want in zip(body, expected, strict=True):
        assert _same(found, want), (found, want)
    # The demo's story shows up: some deviation explained with its category, some 定性 values.
    assert any(re.match(r"^(经费保障|制度保障|人员保障|硬件条件保障|其他)：.+", str(r[10])) for r in body)
    assert any(r[5] == "定性" and isinstance(r[6], str) for r in body)


@pytest.mark.parametrize("reader", [_openpyxl_rows, _calamine_rows], ids=["openpyxl", "calamine"])
def test_budget_execution_rows_in_wan_yuan_and_percent(month: Month, reader) -> None:  # type: ignore[no-untyped-def]
    subs = _valid_returns(month.ws)
    rows = reader(month.export, "预算执行")
    assert rows[0] == EXPECTED_BUDGET_HEADERS
    expected = _expected_budget_rows(month.ws.department, subs)
    assert len(rows) - 1 == len(expected)
    for found, want in zip(rows[1:], expected, strict=True):
        assert _same(found, want), (found, want)


def test_export_is_plain_typed_and_importable(month: Month) -> None:
    book = openpyxl.load_workbook(month.export)
    for ws in book.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        assert ws.max_row >= 2
        for row in ws.iter_rows(min_row=2):
            assert row[0].data_type == "s" and row[1].data_type == "s"  # codes and names as text
        for cell in ws[1]:
            assert cell.data_type == "s" and cell.value
    money = book["预算执行"]
    for row in money.iter_rows(min_row=2):
        for cell in row[2:]:
            if cell.value is not None:
                assert cell.data_type == "n", cell.coordinate
        assert row[2].number_format == "0.00" and row[5].number_format == "0.0"
    indicators = book["监控指标"]
    for row in indicators.iter_rows(min_row=2):
        assert row[6].data_type == ("s" if row[5].value == "定性" else "n"), row[6].coordinate


def _no_formula(path: Path) -> int:
    cells = 0
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    cells += 1
                    assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    return cells


def test_no_cell_of_either_file_is_a_formula(month: Month) -> None:
    assert _no_formula(month.export) > 100
    assert _no_formula(month.forms) > 100


def test_identical_inputs_give_identical_bytes(month: Month) -> None:
    department = month.ws.department
    assert build_platform_export(month.summary, department) == month.export.read_bytes()
    again = consolidate_period(month.ws, PERIOD)
    assert build_platform_export(again, department) == build_platform_export(month.summary, department)
    forms = build_monitoring_forms(month.summary, department, unit_name=UNIT)
    assert forms == month.forms.read_bytes()
    assert build_monitoring_forms(again, department, unit_name=UNIT) == forms


def test_writing_stays_inside_the_workspace(month: Month, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    with pytest.raises(PerfsheetError):
        write_bureau_workbooks(month.summary, month.ws.department, outside, unit_name=UNIT, root=month.ws.root)
    assert not outside.exists()


# --- hand-built month: text that looks like a formula, the money split, missing/invalid returns -------


HOSTILE = '=HYPERLINK("http://x","点我")'


def _hand_summary(extra_columns: bool) -> tuple[Department, Summary]:
    department = small_department()
    returns = []
    for r in june_returns():
        if r.project_code == "P01":
            r = replace(r, goal_progress=HOSTILE, budget_explanation="=1+1", contact_name="@SUM(A1)",
                        indicators=(indicator_return(1, 80, 190, "有可能", "其他", HOSTILE), *r.indicators[1:]))
        if extra_columns and r.project_code == "P01":
            # 1 万元 of the adjusted budget is 其他资金 (unspent so far): 财政资金 is the rest.
            r = replace(r, budget_adjusted_other=Decimal(1), spend_to_date_other=Decimal(0),
                        spend_projected_other=Decimal("0.5"))
        returns.append(r)
    return department, consolidate(department, returns, JUNE)


def test_user_text_is_never_a_formula_and_written_as_given(tmp_path: Path) -> None:
    department, summary = _hand_summary(extra_columns=False)
    export, forms = write_bureau_workbooks(summary, department, tmp_path / "reports", unit_name="=A1", root=tmp_path)
    _no_formula(export)
    _no_formula(forms)
    rows = _openpyxl_rows(export, "监控指标")
    assert rows[1][10] == f"其他：{HOSTILE}"
    # Only P01–P03 count: P04 is invalid, P05 missing.
    assert [r[0] for r in _openpyxl_rows(export, "预算执行")[1:]] == ["P01", "P02", "P03"]
    texts = {str(c.value) for ws in openpyxl.load_workbook(forms).worksheets for row in ws.iter_rows() for c in row
             if c.value is not None}
    assert HOSTILE in texts and "=1+1" in texts and "填报单位（盖章）：=A1" in texts
    assert "填报人：@SUM(A1)" in texts


def test_forms_have_a_sheet_per_project_with_the_registry_targets(tmp_path: Path) -> None:
    department, summary = _hand_summary(extra_columns=False)
    book = openpyxl.load_workbook(io.BytesIO(build_monitoring_forms(summary, department,
                                                                                unit_name="测试区司法局")))
    assert book.sheetnames == [p.code for p in department.projects]
    for project in department.projects:
        ws = book[project.code]
        texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        assert texts[0] == "项目支出绩效运行监控表（截至2025年6月）"
        assert "金额单位：万元" in texts and project.name in texts and project.code in texts
        for ind in project.indicators:
            assert ind.name in texts and ind.target.raw in texts
        missing = project.code in ("P04", "P05")
        assert any(NO_RETURN_NOTE in t for t in texts) is missing, project.code
        for label in SIGN_OFF_LABELS:
            assert sum(t.startswith(f"{label}：") for t in texts) == 1, (project.code, label)
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # A short form on one page (1 is the default, written or not).
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight in (None, 1)
        assert "第 &P 页，共 &N 页" in (ws.oddFooter.center.text or "")
        assert "其中：财政资金" in texts and "其他资金" in texts  # the platform's money tree, always
    p01 = [str(c.value) for row in book["P01"].iter_rows() for c in row if c.value is not None]
    assert "填报人：@SUM(A1)" in p01 and any(t.startswith("联系电话：0315-1234567") for t in p01) and "填报日期：2025年6月28日" in p01
    p02 = book["P02"]
    numbers = [c.value for row in p02.iter_rows() for c in row if isinstance(c.value, float | int)]
    assert 30.5 in numbers and 15.25 in numbers and pytest.approx(0.5) in numbers  # 执行率 50 % as 0.5
    p04 = book["P04"]
    assert not [c.value for row in p04.iter_rows() for c in row if isinstance(c.value, float | int)
                and c.value not in (15.0, 0.0)]  # only the registry's 年初预算数 (15 财政, 0 其他) of an invalid return


def test_the_money_tree_shows_the_returns_split() -> None:
    department, summary = _hand_summary(extra_columns=True)
    book = openpyxl.load_workbook(io.BytesIO(build_monitoring_forms(summary, department,
                                                                                unit_name="测试区司法局")))
    ws = book["P01"]
    rows = {str(r[1].value): r for r in ws.iter_rows() if r[1].value in ("年度资金总额", "其中：财政资金", "其他资金")}
    assert set(rows) == {"年度资金总额", "其中：财政资金", "其他资金"}
    assert rows["年度资金总额"][4].value == 20.0
    assert rows["其中：财政资金"][4].value == 19.0 and rows["其他资金"][4].value == 1.0
    assert rows["其中：财政资金"][3].value == 20.0 and rows["其他资金"][3].value == 0.0  # registry split
    # 财政资金 = total less 其他资金: 5.90 − 0 spent, 18 − 0.5 projected; 其他资金 as returned.
    assert rows["其中：财政资金"][5].value == pytest.approx(5.9) and rows["其他资金"][5].value == 0.0
    assert rows["其中：财政资金"][7].value == pytest.approx(17.5) and rows["其他资金"][7].value == 0.5
    assert rows["其他资金"][6].value == 0.0  # 执行率 0 of 1 万元


def test_the_department_sheet_keeps_one_scope_and_says_it(month: Month) -> None:
    """部门整体's money: every figure of a row over the same projects (those whose returns count), the scope
    in the heading, the projects left out named with the whole department's 年初预算数 — and the
    情况说明 states the same figures."""
    department = month.ws.department
    subs = _valid_returns(month.ws)
    counting = [department.project(s.project_code) for s in subs]
    initial = sum((p.budget for p in counting), Decimal(0))
    adjusted = sum((s.budget_adjusted if s.budget_adjusted is not None else department.project(s.project_code).budget
                    for s in subs), Decimal(0))
    spend = sum((s.spend_to_date or Decimal(0) for s in subs), Decimal(0))
    sheet = openpyxl.load_workbook(month.forms)["部门整体"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    total = next(r for r in rows if r[1] == "年度资金总额")
    assert total[3] == pytest.approx(float(initial)) and total[4] == pytest.approx(float(adjusted))
    assert total[5] == pytest.approx(float(spend))
    assert float(initial) != pytest.approx(float(department.total_budget))  # the demo leaves two projects out
    texts = [str(v) for r in rows for v in r if isinstance(v, str)]
    assert f"资金类别（已报送有效监控表的{len(subs)}个项目合计）" in texts
    left_out = [p for p in department.projects if p not in counting]
    note = next(t for t in texts if t.startswith(f"全部{len(department.projects)}个项目年初预算数合计"))
    assert f"{department.total_budget:.2f}万元" in note and all(p.name in note for p in left_out)
    fiscal = next(r for r in rows if r[1] == "其中：财政资金")
    assert fiscal[3] == pytest.approx(float(sum((p.fiscal for p in counting), Decimal(0))))
    # The 情况说明 (its Markdown, written by the same run) says the same scope and figures.
    narrative = next((month.ws.root / "reports" / str(PERIOD)).glob("*情况说明.md")).read_text(encoding="utf-8")
    assert (f"已报送有效监控表的{len(subs)}个项目合计年初预算{initial:.2f}万元、调整后预算{adjusted:.2f}万元，"
            f"1-6月累计执行{spend:.2f}万元") in narrative
    assert f"全部{len(department.projects)}个项目支出，年初预算{department.total_budget:.2f}万元" in narrative


def test_a_department_sheet_with_every_return_counting_says_all() -> None:
    from perfsheet.goals.registry import load_default

    department = load_default()
    returns = [submission(p.code, JUNE, adjusted=str(p.budget), spend=str(p.budget / 2), projected=str(p.budget))
               for p in department.projects]
    book = openpyxl.load_workbook(io.BytesIO(build_monitoring_forms(consolidate(department, returns, JUNE),
                                                                   department, unit_name="单位")))
    rows = [[c.value for c in row] for row in book["部门整体"].iter_rows()]
    total = next(r for r in rows if r[1] == "年度资金总额")
    assert total[3] == pytest.approx(101.47) and total[4] == pytest.approx(101.47)
    texts = [str(v) for r in rows for v in r if isinstance(v, str)]
    assert "资金类别（全部9个项目合计）" in texts and not [t for t in texts if "未计入" in t]


def test_a_project_too_long_for_two_legible_pages_prints_one_page_wide_on_more() -> None:
    """Forty indicators, each explained at length, would shrink under 7 pt on two pages: such a sheet is
    fitted to the width only; twenty on two pages; an ordinary one on one page."""
    department = small_department()
    words = "经费尚未到位，已向财政局申请追加，预计第三季度到位后加快支出进度，确保完成全年目标任务。" * 3

    def pages(count: int) -> tuple[int, int]:
        indicators = tuple(replace(department.projects[0].indicators[1], n=n, name=f"第{n}项指标")
                           for n in range(1, count + 1))
        long = replace(department, projects=(replace(department.projects[0], indicators=indicators),
                                             *department.projects[1:]))
        returns = [submission("P01", JUNE, adjusted="20", spend="5", projected="20", indicators=tuple(
            indicator_return(n, 80, 90, "有可能", "经费保障", words) for n in range(1, count + 1)))]
        book = openpyxl.load_workbook(io.BytesIO(build_monitoring_forms(consolidate(long, returns, JUNE),
                                                                       long, unit_name="单位")))
        # 1 is the default, which the file need not write.
        first, second = (book[name].page_setup.fitToHeight for name in ("P01", "P02"))
        return (1 if first is None else first, 1 if second is None else second)

    assert pages(40) == (0, 1)
    assert pages(6) == (2, 1)


def test_a_long_or_odd_code_gets_a_short_unique_sheet_name() -> None:
    department, summary = _hand_summary(extra_columns=False)
    odd = replace(department, projects=tuple(
        replace(p, code="X" * 40) if p.code in ("P01", "P02") else replace(p, code="A/B") if p.code == "P03" else p
        for p in department.projects))
    book = openpyxl.load_workbook(io.BytesIO(build_monitoring_forms(summary, odd, unit_name="单位")))
    names = book.sheetnames
    assert len(names) == len(set(names)) == 5 and all(len(n) <= 31 for n in names)
    assert names[3:] == ["P04", "P05"]


def test_a_period_of_january_names_its_span_as_the_form_does() -> None:
    department = small_department()
    jan = Period(2025, 1)
    summary = consolidate(department, [submission("P01", jan, adjusted="20", spend="1", projected="20")], jan)
    book = openpyxl.load_workbook(io.BytesIO(build_platform_export(summary, department)))
    assert [c.value for c in book["预算执行"][1]][4:6] == ["1月执行数", "1月执行率%"]
    assert book["预算执行"]["F2"].value == 5.0


# --- printed by LibreOffice -----------------------------------------------------------------------


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\s+", "", page) for page in text.split("\f") if page.strip()]


@pytest.mark.libreoffice
def test_forms_print_on_a4_one_page_wide_within_two_pages_per_project(month: Month, tmp_path: Path) -> None:
    pdf = convert_one(month.forms, "pdf", tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = [tuple(map(float, m)) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    assert sizes and all(abs(w - 842) < 3 and abs(h - 595) < 3 for w, h in sizes), sizes  # landscape A4
    pages = _pdf_pages(pdf)
    assert len(pages) == len(sizes)
    department = month.ws.department
    by_project: dict[str, list[str]] = {}
    for page in pages:
        owners = [p.code for p in department.monitored if p.code in page]  # the code is on every page's footer
        assert len(owners) == 1, page[:200]
        by_project.setdefault(owners[0], []).append(page)
    assert list(by_project) == [p.code for p in department.monitored]  # the projects, then 部门整体
    headings = ["一级指标", "二级指标", "三级指标", "年度指标值", "截至6月完成值", "全年预计完成值", "完成目标可能性",
                "偏差原因", "原因说明及改进措施", "年初预算数", "调整后预算数", "1-6月执行数", "执行率", "全年预计执行数"]
    statuses = dict(zip(month.summary.projects["code"], month.summary.projects["status"], strict=True))
    for project in department.projects:
        printed = by_project[project.code]
        assert 1 <= len(printed) <= 2, (project.code, len(printed))
        text = "".join(printed)
        assert text.count("项目支出绩效运行监控表（截至2025年6月）") == 1
        missing = [h for h in headings if h not in text]
        assert not missing, (project.code, missing)  # one page wide: no column cut off
        counts = Counter({label: text.count(f"{label}：") for label in SIGN_OFF_LABELS})
        assert all(n == 1 for n in counts.values()), (project.code, counts)
        assert (NO_RETURN_NOTE in text) is (statuses[project.code] != "valid"), project.code
        for ind in project.indicators:  # every indicator row printed (wrapped names: their first characters)
            assert re.sub(r"\s+", "", ind.name)[:5] in text, (project.code, ind.name)
    # For a person to look at: page 1 as a picture.
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert list(tmp_path.glob("page*.png"))
