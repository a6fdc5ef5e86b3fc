"""The corpus of bad returns: each file gives exactly its declared (cell, code) pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_helpers import REFRESH, RETURNS, corpus_department, corpus_expectations, corpus_period

from perfsheet.ingest.check import read_submission, submission_to_json
from perfsheet.model import SubmissionStatus

EXPECTED = corpus_expectations()["files"]
REJECTING = {"unknown-project", "not-a-template"}


def test_corpus_is_complete() -> None:
    on_disk = {p.name for p in RETURNS.glob("*.xlsx")}
    assert on_disk == set(EXPECTED), f"corpus out of date; refresh with: {REFRESH}"
    for name in (
        "wps-percent-as-95.xlsx",
        "row-inserted.xlsx",
        "locked-target-changed.xlsx",
        "formula-in-input.xlsx",
    ):
        assert name in EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gives_exact_pairs(name: str) -> None:
    submission, issues = read_submission(
        RETURNS / name, department=corpus_department(), period=corpus_period()
    )
    got = sorted([issue.cell, issue.code] for issue in issues)
    assert got == EXPECTED[name], f"{name}: got {got}; if the corpus changed on purpose: {REFRESH}"
    codes = {code for _cell, code in EXPECTED[name]}
    if codes & REJECTING:
        assert submission is None and len(issues) == 1
        return
    assert submission is not None
    has_error = any(issue.severity == "error" for issue in issues)
    assert submission.status is (SubmissionStatus.INVALID if has_error else SubmissionStatus.VALID)
    assert submission.issues == tuple(issues)
    for issue in issues:
        assert issue.message.startswith(f"监控表!{issue.cell}：") or not issue.cell
        assert any("\u4e00" <= ch <= "\u9fff" for ch in issue.message)  # Chinese, for the chief


def test_valid_return_values_in_form_units() -> None:
    submission, issues = read_submission(
        RETURNS / "valid.xlsx", department=corpus_department(), period=corpus_period()
    )
    assert submission is not None and issues == []
    data = submission_to_json(submission, issues, "valid.xlsx")
    json.dumps(data)  # plain JSON types only
    values = data["values"]
    assert isinstance(values, dict)
    assert values["budget.adjusted"] == 3.47 and values["spend.to_date"] == 1.735
    assert values["contact.date"] == "2025-07-05" and values["contact.phone"] == "0315-2345678"
    # The 其他资金 row as the template pre-fills it for a project without other funds.
    assert values["budget.adjusted.other"] == values["spend.to_date.other"] == values["spend.projected.other"] == 0
    indicators = values["indicators"]
    assert [i["actual"] for i in indicators] == [100, 0.5, 10, 127.5, 0.2, "达成", 95]
    assert set(indicators[0]) == {"n", "actual", "projection", "likelihood", "deviation", "explanation"}
    assert set(data) == {"file", "sha256", "status", "project_code", "period", "values", "issues"}
    assert set(values) == {
        "budget.adjusted",
        "spend.to_date",
        "spend.projected",
        "budget.adjusted.other",
        "spend.to_date.other",
        "spend.projected.other",
        "goal.progress",
        "budget.explanation",
        "contact.name",
        "contact.phone",
        "contact.date",
        "contact.head",
        "indicators",
    }


def test_the_money_tree_is_read_and_split() -> None:
    """The chief types the totals and the 其他资金 row; 财政资金 is what is left (3.47 − 1 …)."""
    from decimal import Decimal

    submission, issues = read_submission(
        RETURNS / "other-funds.xlsx", department=corpus_department(), period=corpus_period()
    )
    assert submission is not None and issues == []
    assert (submission.budget_adjusted_other, submission.spend_to_date_other, submission.spend_projected_other) == (
        Decimal(1), Decimal("0.5"), Decimal(1))
    assert (submission.fiscal_budget_adjusted, submission.fiscal_spend_to_date, submission.fiscal_spend_projected) == (
        Decimal("2.47"), Decimal("1.235"), Decimal("2.47"))


def test_normalised_values_are_read_as_warned() -> None:
    dept, period = corpus_department(), corpus_period()
    cases = {
        "wps-percent-as-95.xlsx": lambda s: s.indicator(7).actual,
        "wan-yuan-text.xlsx": lambda s: (s.spend_to_date, s.budget_adjusted),
        "fullwidth-digits.xlsx": lambda s: (s.spend_to_date, s.contact_phone),
        "date-serial.xlsx": lambda s: s.contact_date.isoformat(),
        "date-as-text.xlsx": lambda s: s.contact_date.isoformat(),
        "row-inserted.xlsx": lambda s: (s.indicator(1).actual, s.indicator(7).actual, s.contact_name),
    }
    from decimal import Decimal

    expected = {
        "wps-percent-as-95.xlsx": Decimal(95),
        "wan-yuan-text.xlsx": (Decimal("1.8"), Decimal("3.47")),
        "fullwidth-digits.xlsx": (Decimal("1.5"), "13800138000"),
        "date-serial.xlsx": "2025-07-05",
        "date-as-text.xlsx": "2025-07-05",
        "row-inserted.xlsx": (Decimal(100), Decimal(95), "陈刚"),
    }
    for name, pick in cases.items():
        submission, _ = read_submission(RETURNS / name, department=dept, period=period)
        assert submission is not None
        assert pick(submission) == expected[name], name


def test_formula_in_input_is_an_error_and_not_read() -> None:
    """A formula's cached result is whatever the last program to save wrote; it is never a 填报值."""
    submission, issues = read_submission(RETURNS / "formula-in-input.xlsx", department=corpus_department(),
                                         period=corpus_period())
    assert submission is not None and submission.status is SubmissionStatus.INVALID
    assert submission.spend_projected is None
    assert [(i.code, i.severity) for i in issues] == [("formula-in-input", "error")]


def test_rejected_json_shape(tmp_path: Path) -> None:
    submission, issues = read_submission(RETURNS / "not-a-template.xlsx", department=corpus_department())
    data = submission_to_json(submission, issues, "x.xlsx", "ab" * 32)
    assert data["status"] == "rejected" and data["sha256"] == "ab" * 32
    assert [i["code"] for i in data["issues"]] == ["not-a-template"]  # type: ignore[union-attr]
