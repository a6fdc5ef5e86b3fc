"""Money typed in 元 on the 万元 form: a return typed in 元 throughout is consistent in itself (every
rule between its cells holds), so only the registry's figures can tell. Each such cell gets one issue that
says so, naming the cell; the rules it then breaks are not reported again in other words."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
from ingest_helpers import good_values

from perfsheet.goals.registry import load_default
from perfsheet.ingest.check import read_submission
from perfsheet.model import Period, SubmissionStatus
from perfsheet.template.build import build_template, fill_template

DEPARTMENT = load_default()
PERIOD = Period(2025, 6)
PROJECT = next(p for p in DEPARTMENT.projects if p.budget == Decimal("5.00"))  # a 5万元 project
HINT = "看起来是按元填写，本表金额单位为万元"


def _return(tmp_path: Path, values: dict[str, object]) -> tuple[Path, dict[str, str]]:
    """A filled return on disk and its field map (field → A1 on 监控表), read back with openpyxl."""
    path = tmp_path / "return.xlsx"
    path.write_bytes(fill_template(build_template(DEPARTMENT, PROJECT, PERIOD), values))
    book = openpyxl.load_workbook(path)
    cells = {str(key).removeprefix("field:"): str(value).split("!", 1)[1]
             for key, value in book["_perfsheet"].iter_rows(min_col=1, max_col=2, values_only=True)
             if str(key).startswith("field:")}
    return path, cells


def test_a_return_typed_in_yuan_throughout_is_refused_cell_by_cell(tmp_path: Path) -> None:
    values = good_values(PROJECT)
    values |= {"budget.adjusted": 50000, "spend.to_date": 25000, "spend.projected": 50000}
    path, cells = _return(tmp_path, values)
    # The second reader sees what the chief typed: 元, consistent in itself.
    sheet = openpyxl.load_workbook(path)["监控表"]
    assert [sheet[cells[name]].value for name in ("budget.adjusted", "spend.to_date", "spend.projected")] == [
        50000, 25000, 50000]

    submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    assert submission is not None and submission.status is SubmissionStatus.INVALID
    found = {(i.cell, i.code): i for i in issues}
    expected = {(cells[name], "money-in-yuan") for name in ("budget.adjusted", "spend.to_date", "spend.projected")}
    assert expected <= set(found), issues
    for key in expected:
        issue = found[key]
        assert issue.severity == "error" and HINT in issue.message and issue.message.startswith(f"监控表!{key[0]}")
        assert "除以10000" in issue.message
    # 50000 of a 5万元 budget is 10000 times it; the message says the figure and the budget.
    assert "10000倍" in found[(cells["budget.adjusted"], "money-in-yuan")].message
    assert "年初预算数5万元" in found[(cells["budget.adjusted"], "money-in-yuan")].message
    # Nothing else about those cells: the diagnosis is given once.
    assert {i.cell for i in issues if i.code != "money-in-yuan"}.isdisjoint(c for c, _code in expected)


def test_the_edge_is_a_thousand_times_the_budget(tmp_path: Path) -> None:
    just_below = PROJECT.budget * 999  # an unusual, but possible, adjusted budget: no issue
    values = good_values(PROJECT)
    values |= {"budget.adjusted": just_below, "spend.to_date": just_below / 2, "spend.projected": just_below}
    path, _cells = _return(tmp_path, values)
    submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    assert submission is not None and submission.status is SubmissionStatus.VALID, issues
    assert not [i for i in issues if HINT in i.message]

    values["budget.adjusted"] = PROJECT.budget * 1000
    path, cells = _return(tmp_path, values)
    _submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    assert [(i.cell, i.code) for i in issues if i.code == "money-in-yuan"] == [(cells["budget.adjusted"], "money-in-yuan")]


def test_one_cell_in_yuan_is_one_issue(tmp_path: Path) -> None:
    values = good_values(PROJECT)
    values["spend.to_date"] = PROJECT.budget * 10000 / 2  # 元 in one cell, the rest in 万元
    path, cells = _return(tmp_path, values)
    _submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    # Not also "exceeds the budget" on the cell, nor "projection below spend" on the one beside it.
    assert [(i.cell, i.code) for i in issues] == [(cells["spend.to_date"], "money-in-yuan")], issues


def test_the_other_funds_row_in_yuan(tmp_path: Path) -> None:
    values = good_values(PROJECT)
    values["spend.to_date.other"] = 30000  # 3万元 of 其他资金 typed in 元
    path, cells = _return(tmp_path, values)
    _submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    assert (cells["spend.to_date.other"], "money-in-yuan") in {(i.cell, i.code) for i in issues}


def test_a_bound_of_the_chiefs_own_gives_the_hint_too(tmp_path: Path) -> None:
    # 其他资金 of 2万元 declared, its spending typed in 元 (below 1000 × the 5万元 budget): the rule between
    # the two cells finds it, and says the same words.
    values = good_values(PROJECT)
    values |= {"budget.adjusted.other": 2, "spend.to_date.other": 2500, "spend.projected.other": 2}
    path, cells = _return(tmp_path, values)
    _submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    at_cell = [i for i in issues if i.cell == cells["spend.to_date.other"]]
    assert len(at_cell) == 1 and HINT in at_cell[0].message and at_cell[0].severity == "error", issues


def test_an_indicator_in_wan_typed_in_yuan_is_a_warning(tmp_path: Path) -> None:
    indicator = next(i for i in PROJECT.indicators if i.target.unit == "万元")  # 项目预算控制数 ≤5万元
    assert indicator.target.value is not None
    values = good_values(PROJECT)
    values[f"ind.{indicator.n}.actual"] = indicator.target.value * 10000 / 2
    values[f"ind.{indicator.n}.projection"] = indicator.target.value * 10000
    path, cells = _return(tmp_path, values)
    submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    assert submission is not None and submission.status is SubmissionStatus.VALID  # a warning: it still counts
    flagged = [(i.cell, i.code, i.severity) for i in issues if HINT in i.message]
    assert flagged == [(cells[f"ind.{indicator.n}.actual"], "indicator-in-yuan", "warning"),
                       (cells[f"ind.{indicator.n}.projection"], "indicator-in-yuan", "warning")]
    message = next(i.message for i in issues if i.code == "indicator-in-yuan")
    assert f"第{indicator.n}项指标" in message and indicator.name in message and "5000倍" in message
    # Its progress is off because of the unit, which is said already: no 指标进度偏离目标 on top.
    assert "indicator-off-target" not in {i.code for i in issues}

    values = good_values(PROJECT)
    values[f"ind.{indicator.n}.actual"] = indicator.target.value * 999
    path, _cells = _return(tmp_path, values)
    _submission, issues = read_submission(path, department=DEPARTMENT, period=PERIOD)
    assert "indicator-in-yuan" not in {i.code for i in issues}


def test_the_template_sends_the_same_warning_words() -> None:
    # The same hint reaches the chief whichever rule finds the unit slip: one phrase, from the catalogue.
    from perfsheet.form.issues import CATALOGUE

    assert all(HINT in CATALOGUE[code].template for code in ("money-in-yuan", "indicator-in-yuan"))
    assert CATALOGUE["money-in-yuan"].severity == "error" and CATALOGUE["indicator-in-yuan"].severity == "warning"
