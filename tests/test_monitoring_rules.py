"""The explanation rules from published practice (issue 13), each set in perfsheet.yaml's ``monitoring:``
and checked on real returns: a template built for the workspace, filled, saved and read back.

* ``indicator-off-target``: a quantity indicator more than N % (default 30) behind its pro-rata target by
  now, or a percentage indicator that far off the target itself, asks for the indicator's 原因说明 (a
  warning: the return still counts).
* Nothing spent after month M (default 3) requires 预算执行偏差原因及改进措施 whatever the light.
* 不可能 (黄石's form) and the other published spellings are read as the form's own choice.
* The 偏差原因 categories of the config (e.g. the MOF build's four) are the template's drop-down.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from ingest_helpers import good_values

from perfsheet.cli import main
from perfsheet.ingest.check import read_submission
from perfsheet.ingest.key import IngestKeys
from perfsheet.model import Period, Project, SubmissionStatus
from perfsheet.rules import MonitoringRules, Thresholds
from perfsheet.template.build import build_template, fill_template
from perfsheet.workspace import Workspace, init_workspace

CODE = "13020225P00815610002E"  # 2025年行政复议专项工作经费: 审结复议数量 ≥10件, 服务对象满意度 ≥90%
JUNE = Period(2025, 6)
MOF_FOUR = ("经费保障", "制度保障", "人员保障", "硬件条件保障")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


def _configure(ws: Workspace, **monitoring: str) -> Workspace:
    """Set keys of perfsheet.yaml's ``monitoring:`` (YAML text as a clerk types it) and reopen."""
    path = ws.root / "perfsheet.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    for key, value in monitoring.items():
        if key == "thresholds":
            continue
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
        lines[index] = f"  {key}: {value}"
    text = "\n".join(lines) + "\n"
    if "thresholds" in monitoring:
        red, yellow = monitoring["thresholds"].split(",")
        text = text.replace("  budget_red: 60\n  budget_yellow: 80\n", f"  budget_red: {red}\n  budget_yellow: {yellow}\n")
    path.write_text(text, encoding="utf-8")
    return Workspace.open(ws.root)


def _project(ws: Workspace) -> Project:
    project = ws.department.find_project(CODE)
    assert project is not None
    return project


def _indicator(project: Project, name: str) -> int:
    return next(i.n for i in project.indicators if i.name == name)


def _check(ws: Workspace, tmp_path: Path, values: dict[str, object], period: Period = JUNE,
           ) -> tuple[SubmissionStatus | None, list[tuple[str, str, str]], dict[str, str]]:
    """Build the workspace's template, fill it, read it back with the workspace's rules: (status,
    [(cell, code, message)], field → cell)."""
    config, department = ws.config, ws.department
    project = _project(ws)
    template = build_template(department, project, period, rules=config.monitoring, thresholds=config.thresholds)
    path = tmp_path / f"return-{period}.xlsx"
    path.write_bytes(fill_template(template, values))
    cells = {str(k).removeprefix("field:"): str(v).split("!", 1)[1]
             for k, v in openpyxl.load_workbook(path)["_perfsheet"].iter_rows(min_col=1, max_col=2, values_only=True)
             if str(k).startswith("field:")}
    submission, issues = read_submission(path, department=department, period=period,
                                         thresholds=config.thresholds, rules=config.monitoring)
    status = submission.status if submission is not None else None
    return status, [(i.cell, i.code, i.message) for i in issues], cells


def _values(project: Project, period: Period = JUNE) -> dict[str, object]:
    values = good_values(project)
    # On time: the budget spent as the months go, so no budget explanation is asked.
    values["spend.to_date"] = (project.budget * period.month / 12).quantize(Decimal("0.01"))
    values["contact.date"] = period.last_day
    return values


# --- indicator-off-target ------------------------------------------------------------------------


def test_a_quantity_far_behind_its_pro_rata_target_asks_why(ws: Workspace, tmp_path: Path) -> None:
    project = _project(ws)
    n = _indicator(project, "审结复议数量")  # ≥10件: by June 5件 are due
    values = _values(project)
    values[f"ind.{n}.actual"] = 3  # 40 % behind 5
    status, issues, cells = _check(ws, tmp_path, values)
    assert status is SubmissionStatus.VALID  # a warning only
    off = [(cell, message) for cell, code, message in issues if code == "indicator-off-target"]
    assert [cell for cell, _m in off] == [cells[f"ind.{n}.explanation"]]
    assert "截至6月完成值为3件" in off[0][1] and "约为5件" in off[0][1] and "相差40%" in off[0][1]

    values[f"ind.{n}.actual"] = 4  # 20 % behind: within the default 30 %
    _status, issues, _cells = _check(ws, tmp_path, values)
    assert "indicator-off-target" not in {code for _c, code, _m in issues}

    values[f"ind.{n}.actual"] = 3
    values[f"ind.{n}.explanation"] = "二季度案件集中在7月审结"  # explained: nothing to ask
    _status, issues, _cells = _check(ws, tmp_path, values)
    assert "indicator-off-target" not in {code for _c, code, _m in issues}


def test_a_percentage_is_compared_with_the_target_itself(ws: Workspace, tmp_path: Path) -> None:
    project = _project(ws)
    n = _indicator(project, "服务对象满意度")  # ≥90%: a rate, not accumulated over the year
    values = _values(project)
    values[f"ind.{n}.actual"] = 60  # (90 − 60) / 90 = 33.3 % off
    _status, issues, cells = _check(ws, tmp_path, values)
    assert (cells[f"ind.{n}.explanation"], "indicator-off-target") in {(c, code) for c, code, _m in issues}
    values[f"ind.{n}.actual"] = 70  # 22.2 % off
    _status, issues, _cells = _check(ws, tmp_path, values)
    assert "indicator-off-target" not in {code for _c, code, _m in issues}


def test_the_off_target_percent_is_the_configs(ws: Workspace, tmp_path: Path) -> None:
    project = _project(ws)
    n = _indicator(project, "审结复议数量")
    values = _values(project)
    values[f"ind.{n}.actual"] = 4  # 20 % behind

    strict = _configure(ws, indicator_off_percent="15")
    _status, issues, _cells = _check(strict, tmp_path, values)
    assert [code for _c, code, _m in issues] == ["indicator-off-target"]

    values[f"ind.{n}.actual"] = 3  # 40 % behind
    lenient = _configure(ws, indicator_off_percent="50")
    _status, issues, _cells = _check(lenient, tmp_path, values)
    assert issues == []
    # The form tells the chief the workspace's figure.
    book = openpyxl.load_workbook(tmp_path / "return-2025-06.xlsx")
    help_text = "".join(str(c.value).strip() for c in book["填表说明"]["A"] if c.value)
    assert "落后50%以上" in help_text


# --- zero spending after month M ---------------------------------------------------------------------


def test_zero_spending_after_the_first_quarter_needs_the_budget_explanation(ws: Workspace, tmp_path: Path) -> None:
    # Only a red light asks for the explanation, and with the red edge at 0 nothing is ever red: a
    # project that spent nothing is yellow (0 is not below 0), which asks nothing. Zero spending after
    # March still asks for it.
    ws = _configure(ws, budget_explanation_lights="[红灯]", thresholds="0,80")
    assert ws.config.monitoring.budget_explanation_lights == frozenset({"red"})
    project = _project(ws)
    april, march = Period(2025, 4), Period(2025, 3)
    values = _values(project, april) | {"spend.to_date": 0}
    status, issues, cells = _check(ws, tmp_path, values, april)
    asked = [(cell, message) for cell, code, message in issues if code == "budget-explanation-required"]
    assert status is SubmissionStatus.INVALID
    assert [cell for cell, _m in asked] == [cells["budget.explanation"]] and len(issues) == 1
    assert "截至4月尚未支出" in asked[0][1] and "红灯" not in asked[0][1] and "黄灯" not in asked[0][1]

    values = _values(project, march) | {"spend.to_date": 0}  # not yet: the first quarter may spend nothing
    status, issues, _cells = _check(ws, tmp_path, values, march)
    assert status is SubmissionStatus.VALID and issues == []

    values = _values(project, april) | {"spend.to_date": 0, "budget.explanation": "项目待招标，5月支付首笔"}
    status, issues, _cells = _check(ws, tmp_path, values, april)
    assert status is SubmissionStatus.VALID and issues == []

    # Spending a little: still yellow, no longer zero — nothing is asked.
    values = _values(project, april) | {"spend.to_date": Decimal("0.1")}
    status, issues, _cells = _check(ws, tmp_path, values, april)
    assert status is SubmissionStatus.VALID and issues == []


def test_zero_spending_with_a_red_light_names_both_reasons(ws: Workspace, tmp_path: Path) -> None:
    ws = _configure(ws, budget_explanation_lights="[红灯]")
    project = _project(ws)
    april = Period(2025, 4)
    _status, issues, _cells = _check(ws, tmp_path, _values(project, april) | {"spend.to_date": 0}, april)
    assert [code for _c, code, _m in issues] == ["budget-explanation-required"]
    assert "预算执行进度为红灯" in issues[0][2] and "截至4月尚未支出" in issues[0][2]


def test_the_zero_spend_month_is_the_configs(ws: Workspace, tmp_path: Path) -> None:
    ws = _configure(ws, budget_explanation_lights="[红灯]", thresholds="0,80", zero_spend_after_month="6")
    project = _project(ws)
    for month, asked in ((6, False), (7, True)):
        period = Period(2025, month)
        _status, issues, _cells = _check(ws, tmp_path, _values(project, period) | {"spend.to_date": 0}, period)
        assert ("budget-explanation-required" in {code for _c, code, _m in issues}) is asked, month


def test_the_yellow_edge_decides_a_verdict_when_yellow_asks(ws: Workspace, tmp_path: Path) -> None:
    # 执行率 42.5 % in June: 85 % of the 序时进度, green at the default edges, yellow when yellow is 90.
    project = _project(ws)
    values = _values(project) | {"spend.to_date": project.budget * Decimal("0.425")}
    status, issues, _cells = _check(ws, tmp_path, values)
    assert status is SubmissionStatus.VALID and issues == []
    raised = _configure(ws, thresholds="60,90")
    status, issues, _cells = _check(raised, tmp_path, values)
    assert status is SubmissionStatus.INVALID and [code for _c, code, _m in issues] == ["budget-explanation-required"]
    # So a stored verdict judged at the old edge is stale: the ledger's ingest key says so.
    asks_yellow = MonitoringRules()
    before, after = Thresholds(60, 80), Thresholds(60, 90)
    assert IngestKeys(ws.department, before, asks_yellow)(CODE) != IngestKeys(ws.department, after, asks_yellow)(CODE)
    # Where only red asks, the yellow edge is consolidation's alone and no verdict moves with it.
    red_only = MonitoringRules(budget_explanation_lights=frozenset({"red"}))
    assert IngestKeys(ws.department, before, red_only)(CODE) == IngestKeys(ws.department, after, red_only)(CODE)


# --- spellings of the likelihood ------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "read"), [
    ("不可能", "完全不可能"), ("完全不可能", "完全不可能"), (" 不可能 ", "完全不可能"),
    ("完全可能", "确定能"), ("可以完成", "确定能"), ("有可能", "有可能"),
])
def test_published_spellings_of_the_likelihood(ws: Workspace, tmp_path: Path, typed: str, read: str) -> None:
    project = _project(ws)
    values = _values(project)
    values["ind.1.likelihood"] = typed
    values["ind.1.explanation"] = "对照目标说明"
    config, department = ws.config, ws.department
    path = tmp_path / "return.xlsx"
    path.write_bytes(fill_template(build_template(department, project, JUNE, rules=config.monitoring), values))
    submission, issues = read_submission(path, department=department, period=JUNE, rules=config.monitoring)
    assert submission is not None and submission.status is SubmissionStatus.VALID, issues
    assert submission.indicators[0].likelihood == read
    assert not [i for i in issues if i.severity == "error"]


def test_an_impossible_spelling_still_asks_for_the_explanation(ws: Workspace, tmp_path: Path) -> None:
    project = _project(ws)
    values = _values(project)
    values["ind.1.likelihood"] = "不可能"
    status, issues, cells = _check(ws, tmp_path, values)
    assert status is SubmissionStatus.INVALID
    asked = [(cell, message) for cell, code, message in issues if code == "explanation-required"]
    assert [cell for cell, _m in asked] == [cells["ind.1.explanation"]] and "完全不可能" in asked[0][1]


def test_an_unknown_spelling_is_refused_with_a_suggestion(ws: Workspace, tmp_path: Path) -> None:
    project = _project(ws)
    values = _values(project)
    values["ind.1.likelihood"] = "能"
    status, issues, cells = _check(ws, tmp_path, values)
    assert status is SubmissionStatus.INVALID
    assert [(c, code) for c, code, _m in issues] == [(cells["ind.1.likelihood"], "not-in-list")]
    assert "确定能" in issues[0][2]


# --- deviation categories ---------------------------------------------------------------------------------


def _list_validation(path: Path, a1: str) -> str:
    """The list a data validation offers at ``a1`` on 监控表, as openpyxl reads it."""
    sheet = openpyxl.load_workbook(path)["监控表"]
    found = [dv.formula1 for dv in sheet.data_validations.dataValidation if dv.type == "list" and a1 in dv.sqref]
    assert len(found) == 1, (a1, found)
    return str(found[0])


def test_the_configs_deviation_categories_reach_the_drop_down(ws: Workspace, tmp_path: Path) -> None:
    categories = ("无偏差", *MOF_FOUR)
    ws = _configure(ws, deviation_categories="[" + ", ".join(categories) + "]")
    runner = CliRunner()
    made = runner.invoke(main, ["templates", "--period", "2025-06", "--workspace", str(ws.root), "--project", CODE,
                                "--json"])
    assert made.exit_code == 0, made.output
    template = Path(json.loads(made.output)[0]["file"])
    project = _project(ws)
    cells = {str(k).removeprefix("field:"): str(v).split("!", 1)[1]
             for k, v in openpyxl.load_workbook(template)["_perfsheet"].iter_rows(min_col=1, max_col=2,
                                                                                  values_only=True)
             if str(k).startswith("field:")}
    for indicator in project.indicators:
        assert _list_validation(template, cells[f"ind.{indicator.n}.deviation"]) == '"' + ",".join(categories) + '"'
    help_text = "".join(str(c.value).strip() for c in openpyxl.load_workbook(template)["填表说明"]["A"] if c.value)
    assert "“无偏差、经费保障、制度保障、人员保障、硬件条件保障”" in help_text

    # The check of the same workspace accepts a category of the list and refuses one it no longer has.
    values = _values(project) | {"ind.1.deviation": "硬件条件保障", "ind.1.explanation": "设备未到位",
                                 "ind.2.deviation": "其他", "ind.2.explanation": "其他原因"}
    returned = tmp_path / "return.xlsx"
    returned.write_bytes(fill_template(template, values))
    checked = runner.invoke(main, ["check", str(returned), "--workspace", str(ws.root), "--period", "2025-06",
                                   "--json"])
    assert checked.exit_code == 1, checked.output
    issues = json.loads(checked.output)[0]["issues"]
    assert [(i["cell"], i["code"]) for i in issues] == [(cells["ind.2.deviation"], "not-in-list")]


def test_the_default_deviation_categories_are_todays_five(ws: Workspace, tmp_path: Path) -> None:
    project = _project(ws)
    path = tmp_path / "template.xlsx"
    path.write_bytes(build_template(ws.department, project, JUNE, rules=ws.config.monitoring))
    cells = {str(k).removeprefix("field:"): str(v).split("!", 1)[1]
             for k, v in openpyxl.load_workbook(path)["_perfsheet"].iter_rows(min_col=1, max_col=2, values_only=True)
             if str(k).startswith("field:")}
    assert _list_validation(path, cells["ind.1.deviation"]) == '"无偏差,经费保障,制度保障,人员保障,硬件条件保障,其他"'
