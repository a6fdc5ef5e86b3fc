"""The year-end form (``templates --selfeval``, period ``YYYY-自评``): its own fields and layout, read back
by openpyxl and re-saved by LibreOffice, collected into the ledger beside December without replacing it,
and taking precedence over December's values in ``perfsheet selfeval`` (issue 15)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from lo import convert_one
from perl_decode import perl_decode

from perfsheet.demo import SILENT_SECTION, WITH_MISTAKES
from perfsheet.goals.registry import load_default
from perfsheet.ingest.check import read_return
from perfsheet.model import Period, Project
from perfsheet.template.build import fill_template

YEAR_END = Period.year_end_of(2025)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perfsheet", *args], capture_output=True, text=True,
                          encoding="utf-8", check=False)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("year-end-form") / "demo"
    proc = _run("demo", "--out", str(out), "--year-end")
    assert proc.returncode in (0, 1), proc.stderr
    ws = out / "workbooks"
    proc = _run("templates", "--selfeval", "--year", "2025", "--workspace", str(ws), "--json")
    assert proc.returncode == 0, proc.stderr
    return ws


def _template(ws: Path, code: str) -> Path:
    [found] = [p for p in (ws / "outbox" / "2025-自评" / "templates").glob("*.xlsx") if p.stem.endswith(code)]
    return found


def _final_values(project: Project, *, spend: Decimal) -> dict[str, object]:
    """Every target met exactly, the year's spending as given."""
    values: dict[str, object] = {
        "spend.to_date": spend, "spend.to_date.other": 0, "goal.progress": "全年目标均已完成。",
        "contact.name": "王敏", "contact.phone": "0315-2345678", "contact.date": dt.date(2026, 2, 20),
    }
    for ind in project.indicators:
        values[f"ind.{ind.n}.actual"] = "达成" if ind.target.is_qualitative else ind.target.value
    return values


def test_the_year_end_form_asks_final_values_only(workspace: Path) -> None:
    department = load_default()
    project = department.projects[0]
    path = _template(workspace, project.code)
    assert path.name.startswith("2025-自评_")
    book = openpyxl.load_workbook(path)  # a second reader of what xlsxwriter wrote
    sheet = book["监控表"]
    assert sheet["A1"].value.endswith("绩效自评年终报表")
    assert sheet["C7"].value.startswith("全年预算数") and sheet["D7"].value.startswith("全年执行数")
    assert sheet["E13"].value == "实际完成值" and sheet["F13"].value == "偏差原因分析及改进措施"
    keys = {row[0] for row in book["_perfsheet"].iter_rows(values_only=True)}
    asked = {k.removeprefix("field:") for k in keys if isinstance(k, str) and k.startswith("field:")}
    assert "spend.projected" not in asked and not any(k.endswith((".projection", ".likelihood", ".deviation"))
                                                       for k in asked)
    assert {f"ind.{i.n}.explanation" for i in project.indicators} <= asked
    assert [c for c in book["_perfsheet"].iter_rows(values_only=True) if c[0] == "period"] == [("period", "2025-自评")]


def test_a_libreoffice_resave_of_a_filled_year_end_form_reads_back(workspace: Path, tmp_path: Path) -> None:
    department = load_default()
    project = department.projects[1]
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_template(_template(workspace, project.code), _final_values(project, spend=project.budget)))
    resaved = convert_one(filled, "xlsx", tmp_path / "lo")
    result = read_return(resaved, department=department)
    assert result.submission is not None and not result.issues, [i.message for i in result.issues]
    assert result.submission.period == YEAR_END and result.submission.spend_to_date == project.budget
    # A 填报日期 in April of the next year is plausible at the year's end (a December return's is not).
    late = fill_template(_template(workspace, project.code),
                         {**_final_values(project, spend=project.budget), "contact.date": dt.date(2026, 4, 15)})
    (tmp_path / "late.xlsx").write_bytes(late)
    assert read_return(tmp_path / "late.xlsx", department=department).issues == []


def test_year_end_returns_take_precedence_and_leave_december_alone(workspace: Path, tmp_path: Path) -> None:
    department = load_default()
    before = json.loads(_run("selfeval", "--year", "2025", "--workspace", str(workspace), "--json").stdout)
    december = json.loads(_run("status", "--period", "2025-12", "--workspace", str(workspace), "--json").stdout)
    before_by = {p["code"]: p for p in before["projects"]}
    scored = [p for p in department.projects if before_by[p.code]["status"] == "scored"]
    final, wrong = scored[0], scored[1]
    mistaken = department.project(WITH_MISTAKES)
    assert before_by[mistaken.code]["status"] == "invalid"
    folder = tmp_path / "returns"
    folder.mkdir()
    # Full spending and every target met: 100 points, whatever December said.
    (folder / "final.xlsx").write_bytes(fill_template(_template(workspace, final.code),
                                                      _final_values(final, spend=final.budget)))
    # The project whose December return had errors sends correct final values: now it is scored.
    half = (mistaken.budget / 2).quantize(Decimal("0.01"))
    # Half spent is a red light at the year's end: the explanation is asked as in any month.
    fixed = {**_final_values(mistaken, spend=half), "budget.explanation": "部分采购因招标延期，结转下年执行。"}
    (folder / "fixed.xlsx").write_bytes(fill_template(_template(workspace, mistaken.code), fixed))
    # A year-end return with an error stands for its project although December's was valid.
    (folder / "wrong.xlsx").write_bytes(fill_template(_template(workspace, wrong.code),
                                                      {**_final_values(wrong, spend=wrong.budget), "contact.phone": "12"}))
    proc = _run("collect", "--period", "2025-自评", "--from", str(folder), "--workspace", str(workspace), "--json")
    assert proc.returncode in (0, 1), proc.stderr
    assert all(f["period"] == "2025-自评" for f in json.loads(proc.stdout)["files"])

    after = json.loads(_run("selfeval", "--year", "2025", "--workspace", str(workspace), "--json").stdout)
    by = {p["code"]: p for p in after["projects"]}
    assert by[final.code]["source"] == "2025-自评" and by[final.code]["total"] == 100.0
    assert all(i["score"] == i["weight"] for i in by[final.code]["indicators"])
    assert by[wrong.code]["status"] == "invalid" and by[wrong.code]["source"] == "2025-自评"
    assert by[mistaken.code]["status"] == "scored" and by[mistaken.code]["source"] == "2025-自评"
    # 50 % spent of the 10 budget points, computed here; every indicator met.
    assert Decimal(str(by[mistaken.code]["budget_score"])) == (half / mistaken.budget * 10).quantize(Decimal("0.01"))
    untouched = [p.code for p in scored[2:]]
    assert all(by[c] == before_by[c] for c in untouched)
    assert {p.code for p in department.projects if p.section == SILENT_SECTION} == {
        c for c, p in by.items() if p["status"] == "missing"}
    # December's monitoring is what it was: the year-end round is a period of its own.
    assert json.loads(_run("status", "--period", "2025-12", "--workspace", str(workspace), "--json").stdout) == december
    status = json.loads(_run("status", "--period", "2025-自评", "--workspace", str(workspace), "--json").stdout)
    assert status["period"] == "2025-自评"
    proc = _run("consolidate", "--period", "2025-自评", "--workspace", str(workspace))
    assert proc.returncode == 2 and "perfsheet selfeval --year 2025" in proc.stderr
    proc = _run("selfeval", "--year", "2025", "--workspace", str(workspace))
    report = next((workspace / "reports" / "2025-自评").glob("*绩效自评报告.md")).read_text(encoding="utf-8")
    assert "2个按年终报表的全年最终数评分，其余按12月监控表评分" in report
    # The year-end form's budget explanation is carried into the self-evaluation and quoted where it belongs.
    problems = report.split("存在的问题及原因", 1)[1].split("改进措施及结果应用", 1)[0]
    assert f"{mistaken.name}预算执行率50.0%" in problems and fixed["budget.explanation"] in problems
    assert not any(i["code"] == "budget-explanation-missing" for i in by[mistaken.code]["issues"])


def test_year_end_form_options_are_checked(workspace: Path, tmp_path: Path) -> None:
    proc = _run("templates", "--selfeval", "--period", "2025-12", "--workspace", str(workspace))
    assert proc.returncode == 2 and "--selfeval 与 --period" in proc.stderr
    proc = _run("templates", "--workspace", str(workspace))
    assert proc.returncode == 2 and "--selfeval" in proc.stderr
    proc = _run("templates", "--selfeval", "--year", "2024", "--workspace", str(workspace))
    assert proc.returncode == 2 and "目标年度 2025" in proc.stderr
    out = tmp_path / "plain"
    proc = _run("templates", "--period", "2025-年终", "--out", str(out))  # 年终 is read as 自评
    assert proc.returncode == 0, proc.stderr
    assert len(list(out.glob("2025-自评_*.xlsx"))) == 10
    shutil.rmtree(out)


def test_year_end_forms_go_out_by_mail_as_year_end_forms(workspace: Path) -> None:
    proc = _run("send", "--period", "2025-自评", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    drafts = sorted((workspace / "outbox" / "2025-自评" / "mail").glob("模板-*.eml"))
    decoded = perl_decode(drafts)  # someone else's decoder of the headers and attachment names
    assert len(decoded) == 5
    for mail in decoded:
        assert str(mail["subject"]).startswith("【请填报】2025年度绩效自评年终报表（")
        assert mail["filenames"] and all(str(n).startswith("2025-自评_") for n in mail["filenames"])  # type: ignore[union-attr]


def _indicator_rows(project: Project) -> dict[int, int]:
    """n → the 监控表 row (1-based) of each indicator, computed here from the form's fixed rows."""
    first = 15  # two header rows under the money block, as on every form of schema 3
    return {ind.n: first + ind.n - 1 for ind in project.indicators}


def test_year_end_explanations_are_asked_where_the_self_evaluation_needs_them(workspace: Path,
                                                                              tmp_path: Path) -> None:
    department = load_default()
    project = next(p for p in department.projects
                   if any(i.target.is_qualitative for i in p.indicators)
                   and any(i.target.value and i.target.op.value == "≥" and i.target.unit != "%"
                           for i in p.indicators))
    qualitative = next(i for i in project.indicators if i.target.is_qualitative)
    counted = next(i for i in project.indicators if i.target.value and i.target.op.value == "≥"
                   and i.target.unit != "%")
    values = _final_values(project, spend=project.budget - Decimal("0.5"))
    values[f"ind.{qualitative.n}.actual"] = "未达成"
    values[f"ind.{counted.n}.actual"] = counted.target.value * 2  # 200 %: far above, a warning
    path = tmp_path / "short.xlsx"
    path.write_bytes(fill_template(_template(workspace, project.code), values))
    result = read_return(path, department=department)
    rows = _indicator_rows(project)
    found = {(i.code, i.cell) for i in result.issues}
    assert ("year-end-explanation-required", f"F{rows[qualitative.n]}") in found
    assert ("year-end-far-above-target", f"F{rows[counted.n]}") in found
    assert ("year-end-budget-explanation-required", "B12") in found
    assert not any(i.code in ("indicator-off-target", "explanation-required") for i in result.issues)
    # The feedback copy marks the merged 偏差原因分析 cell's anchor (F), not column I of the monthly form.
    proc = _run("check", str(path), "--workspace", str(workspace), "--feedback", str(tmp_path / "fb"))
    assert proc.returncode == 1, proc.stderr
    [copy] = (tmp_path / "fb").glob("*.xlsx")
    sheet = openpyxl.load_workbook(copy)["监控表"]
    assert sheet[f"F{rows[qualitative.n]}"].comment is not None
    assert sheet["A1"].value.endswith("绩效自评年终报表")
    # Explained, the same return passes (the warning stays only where nothing is written).
    fixed = {**values, f"ind.{qualitative.n}.explanation": "因上级政策调整，活动推迟到次年。",
             "budget.explanation": "结余0.5万元为采购节约。"}
    path.write_bytes(fill_template(_template(workspace, project.code), fixed))
    result = read_return(path, department=department)
    assert [i.code for i in result.issues] == ["year-end-far-above-target"]
