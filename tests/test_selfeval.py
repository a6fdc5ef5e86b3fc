"""``perfsheet demo --year-end`` and ``perfsheet selfeval``: the year closed from the ledger's December
returns, with the 自评表 rendered by LibreOffice and the 自评报告 opened by python-docx (issue 15)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from lo import convert_one

from perfsheet.demo import SILENT_SECTION, WITH_MISTAKES
from perfsheet.goals.registry import load_default


@pytest.fixture(scope="module")
def year_end(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("year-end") / "demo"
    proc = subprocess.run([sys.executable, "-m", "perfsheet", "demo", "--out", str(out), "--year-end"],
                          capture_output=True, text=True, encoding="utf-8", check=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert "年度绩效自评：部门得分" in proc.stdout
    return out / "workbooks"


def _selfeval(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perfsheet", "selfeval", "--year", "2025", "--workspace", str(ws),
                           *args], capture_output=True, text=True, encoding="utf-8", check=False)


def test_selfeval_json_scores_the_december_returns(year_end: Path) -> None:
    proc = _selfeval(year_end, "--json")
    assert proc.returncode == 1, proc.stderr  # one project silent, one with errors: not all scored
    data = json.loads(proc.stdout)
    department = load_default()
    silent = {p.code for p in department.projects if p.section == SILENT_SECTION}
    by_code = {p["code"]: p for p in data["projects"]}
    assert {c for c, p in by_code.items() if p["status"] == "missing"} == silent
    assert by_code[WITH_MISTAKES]["status"] == "invalid" and by_code[WITH_MISTAKES]["total"] is None
    scored = [p for p in data["projects"] if p["status"] == "scored"]
    assert len(scored) == 9 - len(silent) - 1
    for p in scored:
        # The total is the sum of the rounded scores, and the 一级 subtotals add up to the indicators'.
        parts = Decimal(str(p["budget_score"])) + sum(Decimal(str(i["score"])) for i in p["indicators"])
        assert Decimal(str(p["total"])) == parts
        assert sum(Decimal(str(v)) for v in p["level1_scores"].values()) == parts - Decimal(str(p["budget_score"]))
        assert p["grade"] == ("优" if p["total"] >= 90 else "良" if p["total"] >= 80 else "中" if p["total"] >= 60 else "差")
    # The department's score: the scored projects' totals weighted by their 年初预算数, computed here.
    budgets = {p.code: p.budget for p in department.projects}
    weight = sum(budgets[p["code"]] for p in scored)
    expected = sum(budgets[p["code"]] * Decimal(str(p["total"])) for p in scored) / weight
    assert Decimal(str(data["department"]["total"])) == expected.quantize(Decimal("0.01"))
    assert data["department"]["scored"] == len(scored) and data["department"]["projects"] == 9


def _pdf_pages(pdf: Path) -> list[tuple[str, str]]:
    """(page size, text) of each page, as poppler reads the PDF LibreOffice printed."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    out = []
    for page in range(1, count + 1):
        size = subprocess.run(["pdfinfo", "-f", str(page), "-l", str(page), str(pdf)], capture_output=True, text=True,
                              check=True).stdout
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        out.append((next(line for line in size.splitlines() if line.startswith("Page") and " size:" in line), text))
    return out


def test_selfeval_text_lists_each_problem(year_end: Path) -> None:
    proc = _selfeval(year_end)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(_selfeval(year_end, "--json").stdout)
    names = {p.code: p.name for p in load_default().projects}
    issues = [(names[p["code"]], i) for p in data["projects"] for i in p["issues"]]
    assert issues, "the demo leaves something to explain"
    assert all(set(i) == {"code", "indicator", "message"} for _name, i in issues)
    assert f"待补充或核对的问题（{len(issues)} 条）" in proc.stdout
    screen = proc.stdout.replace("\n", "")
    for name, issue in issues:
        assert f"{name}：{issue['message']}" in screen
    report = next((year_end / "reports" / "2025-自评").glob("*绩效自评报告.md")).read_text(encoding="utf-8")
    problems = report.split("存在的问题及原因", 1)[1].split("改进措施及结果应用", 1)[0]
    assert all(issue["message"] in problems for _name, issue in issues)


def test_selfeval_outputs_print_and_open(year_end: Path, tmp_path: Path) -> None:
    folder = year_end / "reports" / "2025-自评"
    workbook = next(folder.glob("*项目支出绩效自评表.xlsx"))
    book = openpyxl.load_workbook(workbook)
    assert len(book.sheetnames) == 9
    texts = {str(c.value) for row in book[book.sheetnames[0]].iter_rows() for c in row if c.value is not None}
    assert {"项目支出绩效自评表（2025年度）", "年度资金总额", "其中：财政拨款", "偏差原因分析及改进措施", "总分"} <= texts
    pdf = convert_one(workbook, "pdf", tmp_path)
    # Each sheet on A4 within two pages: a sheet's pages are those whose footer names its project code.
    pages = _pdf_pages(pdf)
    assert all("(A4)" in size for size, _text in pages)
    for code in book.sheetnames:
        assert 1 <= sum(code in text for _size, text in pages) <= 2, code
    assert len(pages) <= 2 * len(book.sheetnames)
    # An unreported project: the budget's 分值 printed, no 得分 (never a zero).
    department = load_default()
    silent = next(p.code for p in department.projects if p.section == SILENT_SECTION)
    money = {row[1]: row for row in book[silent].iter_rows(values_only=True) if row[1] == "年度资金总额"}
    assert money["年度资金总额"][5] == 10 and money["年度资金总额"][7] == "未报送"
    # The 部门整体 sheet: Part 1's targets as the December 部门整体 form reports them, one A4 page or two.
    department_book = next(folder.glob("*部门整体支出绩效自评表.xlsx"))
    sheet = openpyxl.load_workbook(department_book)["部门整体"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    targets = {row[1]: row for row in rows if isinstance(row[0], int) and row[4] in ("达成", "未达成", "未报送")}
    assert set(targets) == {t.name for t in department.department_targets}
    assert all(row[4] == "达成" for row in targets.values())  # the demo's office reports each target met
    assert len(_pdf_pages(convert_one(department_book, "pdf", tmp_path))) <= 2
    report = docx.Document(str(next(folder.glob("*绩效自评报告.docx"))))
    headings = [p.text for p in report.paragraphs if p.style is not None and p.style.name == "Heading 2"]
    assert headings == ["一、基本情况", "二、绩效目标完成情况", "三、自评得分及等级", "四、存在的问题及原因", "五、改进措施及结果应用"]
    assert "未报送" in next(folder.glob("*绩效自评报告.md")).read_text(encoding="utf-8")
    assert convert_one(next(folder.glob("*绩效自评报告.docx")), "pdf", tmp_path).stat().st_size > 0


def test_goals_next_drafts_next_year_from_this_one(year_end: Path, tmp_path: Path) -> None:
    from perfsheet.goals.document import read_goals_document

    out = tmp_path / "2026目标.xlsx"
    proc = subprocess.run([sys.executable, "-m", "perfsheet", "goals", "next", "--year", "2026", "-o", str(out),
                           "--workspace", str(year_end)], capture_output=True, text=True, encoding="utf-8", check=False)
    assert proc.returncode == 0, proc.stderr
    result = read_goals_document(out)
    draft = result.department
    this_year = load_default()
    assert draft.year == 2026 and len(draft.projects) == len(this_year.projects)
    assert [p.code for p in draft.projects] == [f"待填{i:02d}" for i in range(1, 10)]  # the office fills them
    assert all(p.budget == 0 for p in draft.projects)
    assert [len(p.indicators) for p in draft.projects] == [len(p.indicators) for p in this_year.projects]
    assert [i.target for p in draft.projects for i in p.indicators] == [
        i.target for p in this_year.projects for i in p.indicators]
    # This year's actuals stand in a column of their own, never in the registry read back.
    assert [i.basis for p in draft.projects for i in p.indicators] == [
        i.basis for p in this_year.projects for i in p.indicators]
    sheet = openpyxl.load_workbook(out)["指标"]
    headers = [c.value for c in sheet[1]]
    column = headers.index("上年实际完成值（参考）") + 1
    references = {(sheet.cell(r, 1).value, sheet.cell(r, 2).value): sheet.cell(r, column).value
                  for r in range(2, sheet.max_row + 1)}
    # The silent section's projects sent nothing: no reference; the others' December actuals are shown.
    silent = {f"待填{n:02d}" for n, p in enumerate(this_year.projects, start=1) if p.section == SILENT_SECTION}
    assert silent and all(v is None for (code, _), v in references.items() if code in silent)
    assert sum(v is not None for v in references.values()) > 0
    # Read back unfilled, every placeholder code and zero budget is named at its cell (exit 1 on import).
    assert {p.where.split(":")[-1] for p in result.problems} == {
        f"项目!{col}{r}" for col in "AD" for r in range(2, 2 + len(draft.projects))}
    proc = subprocess.run([sys.executable, "-m", "perfsheet", "goals", "import", str(out)], capture_output=True,
                          text=True, encoding="utf-8", check=False)
    assert proc.returncode == 1 and "项目!A2" in proc.stderr and "待填01" in proc.stderr


def test_goals_next_writes_beside_the_goals_file_by_default(year_end: Path, tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(year_end, ws)
    args = [sys.executable, "-m", "perfsheet", "goals", "next", "--year", "2026", "--workspace", str(ws)]
    proc = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", check=False)
    assert proc.returncode == 0, proc.stderr
    assert (ws / "goals" / "2026-草稿.xlsx").is_file()
    assert "goals import" in proc.stdout and "2026.yaml" in proc.stdout
    again = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", check=False)
    assert again.returncode == 2 and "--force" in again.stderr


def test_the_folder_demo_made_points_to_its_workspace(year_end: Path) -> None:
    proc = _selfeval(year_end.parent)  # `demo --year-end --out DIR` makes DIR/workbooks the workspace
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"--workspace {year_end}" in proc.stderr.replace("\n", "")
