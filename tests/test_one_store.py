"""The ledger is the one store of what ingest concluded, and the entry points agree about a month.

On copies of the demo workspace: ``run`` and ``consolidate`` write the same summary workbook; the
templates of ``templates`` and ``send`` are the same bytes; an edit of the thresholds or of the goals
followed by ``run`` moves status, summary and narrative together; status, consolidation and reminders
work with the archive gone (they read only the ledger); a schema-1 ledger migrates by re-ingesting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import sqlite3
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from perfsheet.cli import main
from perfsheet.collect import stale_rows
from perfsheet.demo import DEMO_PERIOD
from perfsheet.form.issues import ISSUE_TABLE_COLUMNS, issue_row
from perfsheet.model import OVERALL_CODE
from perfsheet.monthly import consolidate_period, run_month, write_period_reports
from perfsheet.outgoing.mails import prepare_reminders, prepare_send
from perfsheet.rules import Thresholds
from perfsheet.workspace import Workspace, open_ledger, period_status

PERIOD = DEMO_PERIOD
INVALID_CODE = "13020225P009080100019"  # the demo's return with mistakes


@pytest.fixture
def ws(demo_ws: Workspace) -> Workspace:
    return demo_ws


def _issue_sheet(path: Path) -> list[tuple[object, ...]]:
    """The rows of a workbook's 问题清单 under its header (a feedback workbook has a title row above)."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(row) for row in book["问题清单"].iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row and row[0] in ("序号", "项目编码"))
    return rows[header + 1 :]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_and_consolidate_write_the_same_summary(ws: Workspace) -> None:
    after_run = write_period_reports(ws, PERIOD)  # what run_month wrote, rewritten
    run_bytes = after_run.workbook.read_bytes()
    result = CliRunner().invoke(main, ["consolidate", "--period", str(PERIOD), "--workspace", str(ws.root)])
    assert result.exit_code == 1, result.output  # one return is invalid
    assert after_run.workbook.read_bytes() == run_bytes
    rows = _issue_sheet(after_run.workbook)
    # The invalid return's issues are all there, each once.
    with open_ledger(ws) as ledger:
        invalid = [r for r in ledger.rows(PERIOD) if r.project == INVALID_CODE and r.status == "invalid"]
    assert len(invalid) == 1
    expected = Counter((INVALID_CODE, issue_row(i)["title"], i.message) for i in invalid[0].issues)
    found = Counter((r[0], r[5], r[8]) for r in rows if r[0] == INVALID_CODE)
    assert found == expected and len(expected) == len(invalid[0].issues) >= 4
    assert len(rows) == len(set(rows))


def test_templates_and_send_write_identical_bytes(ws: Workspace) -> None:
    folder = ws.templates_dir(PERIOD)
    shutil.rmtree(folder)
    result = CliRunner().invoke(main, ["templates", "--period", str(PERIOD), "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    by_command = {p.name: _digest(p) for p in folder.glob("*.xlsx")}
    shutil.rmtree(folder)
    mails = prepare_send(ws, PERIOD)
    attached = {name: hashlib.sha256(data).hexdigest() for m in mails for name, data in m.attachments}
    assert len(by_command) == 10  # nine projects and the 部门整体 form
    assert attached == by_command
    assert {p.name: _digest(p) for p in folder.glob("*.xlsx")} == by_command


def _edit_config(ws: Workspace, **thresholds: int) -> Workspace:
    data = yaml.safe_load(ws.config_path.read_text(encoding="utf-8"))
    data["thresholds"] = thresholds
    ws.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Workspace.open(ws.root)


def _consistent(ws: Workspace) -> dict[str, str]:
    """Status, summary and narrative of the period agree; returns project code → status."""
    status = {p.code: p.status for p in period_status(ws, PERIOD).projects}
    summary = consolidate_period(ws, PERIOD)
    assert summary.overall_status == status.pop(OVERALL_CODE)  # the 部门整体 form is chased like a project
    assert dict(zip(summary.projects["code"], summary.projects["status"], strict=True)) == status
    counts = Counter(status.values())
    totals = summary.totals
    assert (totals.projects_reported, totals.projects_invalid, totals.projects_missing) == (
        counts["valid"],
        counts["invalid"],
        counts["missing"],
    )
    narrative = next(ws.reports_dir(PERIOD).glob("*情况说明.md")).read_text(encoding="utf-8")
    reported = re.search(r"(\d+)个项目有效报送了监控表", narrative)
    assert reported is not None and int(reported.group(1)) == counts["valid"]
    if counts["invalid"]:
        assert f"有错误{counts['invalid']}个" in narrative
    return status


def test_threshold_edit_then_run_moves_status_summary_and_narrative(ws: Workspace) -> None:
    before = _consistent(ws)
    # A stricter red light: returns without 预算执行偏差原因 become invalid (budget-explanation-required).
    # Red above being on schedule (ratio 100) is more than perfsheet.yaml allows (0 ≤ red < yellow ≤ 100),
    # so this one is set through the Python API.
    ws = replace(ws, config=replace(ws.config, thresholds=Thresholds(101, 102)))
    result = run_month(ws, PERIOD, today=PERIOD.due_date(10))
    after = _consistent(ws)
    assert after != before
    turned = [code for code, state in after.items() if before[code] == "valid" and state == "invalid"]
    assert turned
    with open_ledger(ws) as ledger:
        rows = {r.project: r for r in ledger.rows(PERIOD) if r.counting or r.status == "invalid"}
    for code in turned:
        assert "budget-explanation-required" in {i.code for i in rows[code].issues}
    summary = result.reports.summary
    asked = summary.issues[summary.issues["issue_code"] == "budget-explanation-required"]
    assert set(asked["code"]) == set(turned)
    # Each newly invalid return has a feedback workbook saying what to add.
    feedback = {ws.feedback_path(PERIOD, rows[code].name, rows[code].sha256) for code in turned}
    assert feedback <= set(result.feedback_files)
    for path in feedback:
        assert any(r[2] == "须填写预算偏差原因" for r in _issue_sheet(path))
    # Back to the defaults: everything as it was, and no feedback about problems that are gone.
    ws = _edit_config(ws, budget_red=60, budget_yellow=80)
    run_month(ws, PERIOD, today=PERIOD.due_date(10))
    assert not any(path.exists() for path in feedback)
    restored = _consistent(ws)
    assert {k: (before[k], v) for k, v in restored.items() if before[k] != v} == {}


def test_yellow_edge_edit_then_run_rereads_returns_when_yellow_asks_an_explanation(ws: Workspace) -> None:
    # The demo asks 预算执行偏差原因 for 黄灯 as for 红灯, so the yellow edge decides what ingest concludes.
    # Above being on schedule (ratio 100; more than perfsheet.yaml allows, so set through the Python API)
    # the returns spent on schedule turn 黄灯 and, without an explanation, invalid.
    assert "yellow" in ws.config.monitoring.budget_explanation_lights
    before = _consistent(ws)
    ws = replace(ws, config=replace(ws.config, thresholds=Thresholds(60, 101)))
    assert stale_rows(ws) > 0
    run_month(ws, PERIOD, today=PERIOD.due_date(10))
    after = _consistent(ws)
    turned = [code for code, state in after.items() if before[code] == "valid" and state == "invalid"]
    assert turned
    with open_ledger(ws) as ledger:
        rows = {r.project: r for r in ledger.rows(PERIOD) if r.status == "invalid"}
    for code in turned:
        asked = [i for i in rows[code].issues if i.code == "budget-explanation-required"]
        assert len(asked) == 1 and "黄灯" in asked[0].message


LIGHT_WORDS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}


def _light(spend: object, adjusted: object, red: int, yellow: int) -> str:
    """The budget light of DESIGN.md §3, worked out here: 执行率 / 序时进度 × 100 below ``red`` is 红灯,
    below ``yellow`` 黄灯. 执行率 / 序时进度 × 100 = spend × 1200 / (adjusted × month): compared as cross
    products, so an edge is exact."""
    lhs = Decimal(str(spend)) * 1200
    scale = Decimal(str(adjusted)) * PERIOD.month
    return LIGHT_WORDS["red" if lhs < red * scale else "yellow" if lhs < yellow * scale else "green"]


def _summary_sheets(path: Path) -> tuple[dict[str, dict[str, object]], dict[str, object], list[dict[str, object]]]:
    """The summary workbook as openpyxl reads it: 项目执行 rows by code, 总览 values by label, 预警清单 rows."""
    book = openpyxl.load_workbook(path, read_only=True)

    def table(name: str) -> list[dict[str, object]]:
        rows = book[name].iter_rows(values_only=True)
        header = next(rows)
        return [dict(zip(header, row, strict=False)) for row in rows if row[0]]

    projects = {str(row["项目编码"]): row for row in table("项目执行")}
    overview = {row[0]: row[1] for row in book["总览"].iter_rows(values_only=True) if row and row[0]}
    return projects, overview, table("预警清单")


def _printed_table(output: str, key: str, value: str) -> dict[str, str]:
    """Column ``value`` by column ``key`` of the table rich printed (one line a row: a wide console)."""
    lines = output.splitlines()
    header = [c.strip() for c in next(line for line in lines if line.startswith("┃") and key in line).split("┃")]
    rows = [[c.strip() for c in line.split("│")] for line in lines if line.startswith("│")]
    return {row[header.index(key)]: row[header.index(value)] for row in rows if len(row) == len(header)}


def test_threshold_edit_in_perfsheet_yaml_then_perfsheet_run_moves_every_output(ws: Workspace) -> None:
    """Edit perfsheet.yaml as a person would and run the command: run's table, status, the summary
    workbook and the narrative all show the lights of the new edges, worked out here."""
    runner = CliRunner()
    args = ["--period", str(PERIOD), "--workspace", str(ws.root)]
    workbook = next(ws.reports_dir(PERIOD).glob("*汇总表.xlsx"))
    projects, overview, _ = _summary_sheets(workbook)
    spend, adjusted = f"1-{PERIOD.month}月执行数（万元）", "调整后预算数（万元）"
    lit = {code: row for code, row in projects.items() if row["预警"] in LIGHT_WORDS.values()}
    assert {_light(row[spend], row[adjusted], 60, 80) for row in lit.values()} == set(LIGHT_WORDS.values())
    assert all(row["预警"] == _light(row[spend], row[adjusted], 60, 80) for row in lit.values())
    statuses_before = {code: row["报送状态"] for code, row in projects.items()}

    text = ws.config_path.read_text(encoding="utf-8")
    edited = text.replace("budget_red: 60\n", "budget_red: 95\n").replace("budget_yellow: 80\n", "budget_yellow: 100\n")
    assert edited.count("budget_red: 95\n") == edited.count("budget_yellow: 100\n") == 1
    ws.config_path.write_text(edited, encoding="utf-8")
    expected = {code: _light(row[spend], row[adjusted], 95, 100) for code, row in lit.items()}
    assert any(expected[code] != row["预警"] for code, row in lit.items())  # the edit moves a light
    department = _light(
        overview[f"1-{PERIOD.month}月执行数（万元，已通过项目）"], overview["调整后预算数（万元，已通过项目）"], 95, 100
    )
    assert department != overview["部门预警灯"]
    # status notices the edit before anything is run again.
    assert "按修改前的目标、预警阈值" in runner.invoke(main, ["status", *args]).stderr.replace("\n", "")

    run = runner.invoke(main, ["run", *args], env={"COLUMNS": "300"})
    assert run.exit_code == 1, run.output  # the demo's invalid return stays invalid
    assert "已按当前的目标、预警阈值和程序版本重新校验" in run.stdout.replace("\n", "")
    names = {code: str(projects[code]["项目名称"]) for code in lit}
    printed = _printed_table(run.stdout, "项目", "预警")
    assert {code: printed[name] for code, name in names.items()} == expected

    status = runner.invoke(main, ["status", "--json", *args])
    assert "台账中有" not in status.stderr  # nothing left judged under the old edges
    by_status = {p["code"]: p["status"] for p in json.loads(status.stdout)["projects"]}

    projects, overview, warnings = _summary_sheets(workbook)
    assert {code: projects[code]["预警"] for code in lit} == expected
    assert overview["部门预警灯"] == department
    budget_warnings = {str(row["项目编码"]): row["预警"] for row in warnings if row["类别"] == "预算执行"}
    assert budget_warnings == {code: light for code, light in expected.items() if light != "绿灯"}
    # Every light that moved was 黄灯 and explained already: no return changes its status, and status,
    # the workbook and the narrative say the same.
    assert {code: row["报送状态"] for code, row in projects.items()} == statuses_before
    words = {"valid": "已通过", "invalid": "有错误", "missing": "未报送"}
    assert {code: words[by_status[code]] for code in projects} == {
        code: str(row["报送状态"]).removesuffix("（逾期）") for code, row in projects.items()
    }

    narrative = next(ws.reports_dir(PERIOD).glob("*情况说明.md")).read_text(encoding="utf-8")
    told = dict(re.findall(r"^- \*\*(.+?)\*\*（(红灯|黄灯|绿灯)）：", narrative, flags=re.M))
    assert {code: told[name] for code, name in names.items()} == expected
    counts = Counter(expected.values())
    assert "低于95%为红灯，95%至100%为黄灯，100%以上为绿灯）" in narrative
    assert f"红灯项目{counts['红灯']}个，黄灯项目{counts['黄灯']}个，绿灯项目{counts['绿灯']}个" in narrative
    valid = sum(1 for code in projects if by_status[code] == "valid")  # the 部门整体 form is no project
    assert f"{valid}个项目有效报送了监控表" in narrative


def test_goals_edit_then_run_marks_returns_outdated(ws: Workspace) -> None:
    department = ws.department
    project = next(p for p in department.projects if p.code != INVALID_CODE)
    text = ws.goals_path.read_text(encoding="utf-8")
    raw = project.indicators[0].target.raw
    assert text.count(raw) >= 1
    data = yaml.safe_load(text)
    entry = next(p for p in data["projects"] if p["code"] == project.code)
    entry["indicators"][0]["target"] = raw + "（修订）"
    ws.goals_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    ws = Workspace.open(ws.root)
    run_month(ws, PERIOD, today=PERIOD.due_date(10))
    status = _consistent(ws)
    assert status[project.code] == "invalid"
    with open_ledger(ws) as ledger:
        row = next(r for r in ledger.rows(PERIOD) if r.project == project.code)
    assert "template-outdated" in {i.code for i in row.issues}


def test_consumers_read_the_ledger_not_the_archive(ws: Workspace) -> None:
    summary_before = consolidate_period(ws, PERIOD).to_json()
    reminders_before = [(m.to_email, m.body) for m in prepare_reminders(ws, PERIOD, today=PERIOD.due_date(10))]
    shutil.rmtree(ws.archive_dir)
    shutil.rmtree(ws.root / "inbox")
    assert consolidate_period(ws, PERIOD).to_json() == summary_before
    after = [(m.to_email, m.body) for m in prepare_reminders(ws, PERIOD, today=PERIOD.due_date(10))]
    assert after == reminders_before
    assert {p.code: p.status for p in period_status(ws, PERIOD).projects}[INVALID_CODE] == "invalid"


def test_schema_1_ledger_migrates_by_reingesting(ws: Workspace) -> None:
    before = {p.code: (p.status, p.errors, p.warnings) for p in period_status(ws, PERIOD).projects}
    summary_before = consolidate_period(ws, PERIOD).to_json()
    archive = {p.name: _digest(p) for p in ws.archive_dir.rglob("*") if p.is_file()}
    # Turn the ledger into what perfsheet wrote before: no stored submission, no key, version 1.
    conn = sqlite3.connect(ws.ledger_path)
    for column in ("submission_json", "raw_json", "ingest_key"):
        conn.execute(f"ALTER TABLE files DROP COLUMN {column}")
    conn.execute("UPDATE schema_version SET version = 1")
    conn.commit()
    conn.close()
    # consolidate first (before any run): it re-reads what the migration left without a result.
    report = CliRunner().invoke(main, ["consolidate", "--json", "--period", str(PERIOD), "--workspace", str(ws.root)])
    assert json.loads(report.stdout[: report.stdout.rindex("}") + 1]) == json.loads(json.dumps(summary_before))
    result = run_month(ws, PERIOD, today=PERIOD.due_date(10))
    assert {p.code: (p.status, p.errors, p.warnings) for p in result.status.projects} == before
    assert consolidate_period(ws, PERIOD).to_json() == summary_before
    assert {p.name: _digest(p) for p in ws.archive_dir.rglob("*") if p.is_file()} == archive
    conn = sqlite3.connect(ws.ledger_path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    assert conn.execute("SELECT COUNT(*) FROM files WHERE ingest_key = ''").fetchone() == (0,)
    conn.close()


def test_one_issue_table_feeds_json_feedback_and_summary(ws: Workspace) -> None:
    with open_ledger(ws) as ledger:
        row = next(r for r in ledger.rows(PERIOD) if r.project == INVALID_CODE and r.status == "invalid")
        archived = ledger.abspath(row.archive_path)
    table = [issue_row(i) for i in row.issues]
    assert all(list(r) == list(ISSUE_TABLE_COLUMNS) for r in table)
    # The feedback workbook's 问题清单: 序号, 位置, 问题, 处理建议, 原值, 级别.
    result = run_month(ws, PERIOD, today=PERIOD.due_date(10))
    feedback = ws.feedback_path(PERIOD, row.name, row.sha256)
    assert feedback in result.feedback_files
    assert [(r[2], r[3], r[4] or "", r[5]) for r in _issue_sheet(feedback)] == [
        (t["title"], t["message"], t["value"], t["severity_label"]) for t in table
    ]
    # The summary's 问题清单: 项目编码, 项目名称, 责任科室, 文件, 位置, 代码, 级别, 填写的值, 说明.
    summary_rows = [r for r in _issue_sheet(result.reports.workbook) if r[0] == INVALID_CODE]
    assert [(r[4] or "", r[5], r[6], r[7] or "", r[8]) for r in summary_rows] == [
        (t["location"], t["title"], t["severity_label"], t["value"], t["message"]) for t in table
    ]
    # perfsheet check --json on the archived file: the same issues, the same words.
    out = CliRunner().invoke(
        main, ["check", "--json", "--period", str(PERIOD), "--workspace", str(ws.root), str(archived)]
    )
    assert out.exit_code == 1, out.output
    checked = json.loads(out.output)[0]["issues"]
    assert [(i["code"], i["cell"], i["message"]) for i in checked] == [
        (t["code"], t["cell"], t["message"]) for t in table
    ]


def test_status_says_when_the_ledger_is_stale_and_consolidate_rereads(ws: Workspace) -> None:
    runner = CliRunner()
    args = ["--period", str(PERIOD), "--workspace", str(ws.root)]
    assert stale_rows(ws) == 0
    ws = _edit_config(ws, budget_red=70, budget_yellow=90)
    with open_ledger(ws) as ledger:
        judged = sum(1 for r in ledger.rows() if r.project)
    # Rows of known projects were judged under the old red edge; rejected files do not depend on it.
    assert stale_rows(ws) == judged
    status = runner.invoke(main, ["status", *args])
    assert f"台账中有 {judged} 份监控表是按修改前的目标、预警阈值或旧版本程序校验的" in status.stderr.replace("\n", "")
    assert f"perfsheet run --period {PERIOD}" in status.stderr.replace("\n", "")
    report = runner.invoke(main, ["consolidate", *args])
    assert f"已按当前的目标、预警阈值和程序版本重新校验 {judged} 份监控表" in report.stdout.replace("\n", "")
    assert stale_rows(ws) == 0
    assert "台账中有" not in runner.invoke(main, ["status", *args]).stderr
    # Only the yellow edge changes: ingest depends on it while 黄灯 asks for 预算执行偏差原因 (the default) …
    ws = _edit_config(ws, budget_red=70, budget_yellow=95)
    assert stale_rows(ws) == judged
    # … and not once only 红灯 does: then nothing is re-read.
    data = yaml.safe_load(ws.config_path.read_text(encoding="utf-8"))
    data["monitoring"]["budget_explanation_lights"] = ["红灯"]
    ws.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert runner.invoke(main, ["consolidate", *args]).exit_code == 1
    assert stale_rows(Workspace.open(ws.root)) == 0
    ws = _edit_config(ws, budget_red=70, budget_yellow=90)
    assert stale_rows(ws) == 0


def test_receipts_sheet_names_files_flags_late_and_counts_errors(ws: Workspace) -> None:
    path = write_period_reports(ws, PERIOD).workbook
    book = openpyxl.load_workbook(path)
    sheet = book["报送情况"]
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("项目编码")]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]}
    status = {p.code: p for p in period_status(ws, PERIOD).projects}  # the 部门整体 form has its line too
    for code, project in status.items():
        row = rows[code]
        label = row[4]
        assert label == project.label, (code, label, project.label)  # 逾期 included, as status says
        if project.status != "missing":
            assert row[header.index("错误数")] == project.errors
            file_name = str(row[header.index("文件")])
            assert file_name == project.file and "/" not in file_name and "archive" not in file_name
    late = [p for p in status.values() if p.late and p.status == "valid"]
    assert late and all(rows[p.code][4].endswith("（逾期）") for p in late)
    assert rows[INVALID_CODE][header.index("错误数")] >= 4


def test_missing_return_is_overdue_only_after_the_deadline(ws: Workspace) -> None:
    deadline = ws.config.deadline(PERIOD)
    assert deadline is not None
    missing = [p.code for p in period_status(ws, PERIOD).projects if p.status == "missing"]
    assert missing
    before = consolidate_period(ws, PERIOD, today=deadline)
    after = consolidate_period(ws, PERIOD, today=deadline + dt.timedelta(days=1))
    for summary, overdue in ((before, False), (after, True)):
        rows = summary.projects.set_index("code")
        warnings = summary.warnings.set_index("code")
        for code in missing:
            assert bool(rows.loc[code, "late"]) is overdue
            assert rows.loc[code, "status_label"] == ("未报送（逾期）" if overdue else "未报送")
            assert ("已过报送截止日" in str(warnings.loc[code, "reason"])) is overdue
    # The received returns do not depend on the day the picture is taken.
    received = [c for c in before.projects["code"] if c not in missing]
    assert list(before.projects.set_index("code").loc[received, "status_label"]) == \
        list(after.projects.set_index("code").loc[received, "status_label"])


def test_an_indicators_weight_is_no_part_of_the_ingest_key() -> None:
    """Only the self-evaluation scores with an indicator's own 分值: giving one re-reads no return."""
    from decimal import Decimal

    from perfsheet.goals.registry import load_default
    from perfsheet.ingest.key import project_digest

    department = load_default()
    project = department.projects[0]
    weighted = replace(project, indicators=(replace(project.indicators[0], weight=Decimal("12.5")), *project.indicators[1:]))
    assert project_digest(department, weighted) == project_digest(department, project)
    renamed = replace(project, indicators=(replace(project.indicators[0], name="改名"), *project.indicators[1:]))
    assert project_digest(department, renamed) != project_digest(department, project)


def test_remind_says_when_the_ledger_lags_an_edit(ws: Workspace) -> None:
    """remind re-checks nothing (it follows the ledger), but says so after a threshold edit, as status does."""
    args = ["--period", str(PERIOD), "--workspace", str(ws.root)]
    assert "台账中有" not in CliRunner().invoke(main, ["remind", *args]).stderr
    _edit_config(ws, budget_red=70, budget_yellow=95)
    result = CliRunner().invoke(main, ["remind", *args])
    assert "台账中有" in result.stderr and "perfsheet run --period" in result.stderr.replace("\n", "")
