"""``perfsheet check`` end to end: exit codes, JSON, hostile files, feedback workbooks, frames."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from ingest_helpers import HOSTILE, RETURNS, corpus_department, corpus_period, good_values

from perfsheet.cli import main
from perfsheet.ingest.check import read_return, read_submission
from perfsheet.ingest.feedback import ISSUE_HEADER_ROW, ISSUE_SHEET, write_feedback
from perfsheet.ingest.frames import INDICATOR_DTYPES, MONEY_DTYPES, submissions_to_frames
from perfsheet.model import SubmissionStatus
from perfsheet.template.build import build_template, fill_template

GOALS = str(RETURNS / "goals.yaml")
HOSTILE_EXPECTED: dict[str, str] = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("files", "code"),
    [
        (["valid.xlsx"], 0),
        (["valid.xlsx", "wps-percent-as-95.xlsx"], 0),  # warnings do not fail
        (["valid.xlsx", "spend-over-budget.xlsx"], 1),
        (["spend-over-budget.xlsx", "not-a-template.xlsx"], 2),
    ],
)
def test_exit_codes(files: list[str], code: int) -> None:
    exit_code, output = run(
        "check", "--goals", GOALS, "--period", "2025-06", *(str(RETURNS / f) for f in files)
    )
    assert exit_code == code, output
    assert "Traceback" not in output


def test_json_output_is_a_list_per_file() -> None:
    exit_code, output = run(
        "check",
        "--json",
        "--goals",
        GOALS,
        "--period",
        "2025-06",
        str(RETURNS / "valid.xlsx"),
        str(RETURNS / "text-in-money.xlsx"),
    )
    assert exit_code == 1
    data = json.loads(output)
    assert [item["status"] for item in data] == ["valid", "invalid"]
    assert data[1]["issues"][0]["cell"] == "D8" and data[1]["issues"][0]["code"] == "not-a-number"
    assert data[1]["issues"][0]["message"].startswith("监控表!D8：")
    assert data[0]["values"]["indicators"][6]["actual"] == 95
    assert len(data[0]["sha256"]) == 64


def test_usage_errors_exit_2() -> None:
    code, output = run("check", "--goals", GOALS, "--period", "2025-13", str(RETURNS / "valid.xlsx"))
    assert code == 2 and "Traceback" not in output
    code, output = run("check", "--goals", GOALS, "--workspace", "/nonexistent", str(RETURNS / "valid.xlsx"))
    assert code == 2


@pytest.mark.parametrize("name", sorted(HOSTILE_EXPECTED))
def test_hostile_file_is_rejected(name: str) -> None:
    submission, issues = read_submission(HOSTILE / name, department=corpus_department())
    assert submission is None
    assert [issue.code for issue in issues] == [HOSTILE_EXPECTED[name]]
    code, output = run("check", "--json", "--goals", GOALS, str(HOSTILE / name))
    assert code == 2 and "Traceback" not in output
    data = json.loads(output)
    assert data[0]["status"] == "rejected" and len(data[0]["issues"]) == 1


def test_hostile_corpus_in_a_subprocess() -> None:
    """The real entry point, all hostile files at once: exit 2, one line per file, no traceback."""
    files = sorted(str(p) for p in HOSTILE.iterdir() if p.name != "expected.json")
    proc = subprocess.run(
        [sys.executable, "-m", "perfsheet", "check", "--goals", GOALS, *files],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},  # long paths stay on one line
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    for file in files:
        assert f"{file}  无法读取" in proc.stdout


def test_missing_file_is_rejected_not_a_traceback(tmp_path: Path) -> None:
    code, output = run("check", "--goals", GOALS, str(tmp_path / "缺失.xlsx"))
    assert code == 2 and "Traceback" not in output


@pytest.mark.parametrize(
    "name",
    [
        "text-in-money.xlsx",
        "not-in-list.xlsx",
        "spend-over-budget.xlsx",
        "wps-percent-as-95.xlsx",
        "fullwidth-digits.xlsx",
        "explanation-missing.xlsx",
        "row-inserted-names-lost.xlsx",
        "locked-target-changed.xlsx",
    ],
)
def test_feedback_marks_cells_and_ingests_once_fixed(name: str, tmp_path: Path) -> None:
    department, period = corpus_department(), corpus_period()
    result = read_return(RETURNS / name, department=department, period=period)
    assert result.submission is not None and result.issues
    out = write_feedback(
        department, result.submission, result.issues, tmp_path / "反馈.xlsx", raw_values=result.raw_values
    )
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == ISSUE_SHEET
    listing = book[ISSUE_SHEET]
    assert listing["A1"].value.endswith("问题清单") and "2025年6月" in listing["A1"].value
    assert [c.value for c in listing[ISSUE_HEADER_ROW]][:5] == ["序号", "位置", "问题", "处理建议", "原值"]
    assert listing.max_row == len(result.issues) + ISSUE_HEADER_ROW
    sheet = book["监控表"]
    for issue in result.issues:
        if issue.field and name != "row-inserted-names-lost.xlsx":
            cell = sheet[issue.cell]
            assert cell.comment is not None and issue.message in cell.comment.text
            colour = "FFFF9999" if issue.severity == "error" else "FFFFD966"
            assert cell.fill.start_color.rgb == colour
    if name == "text-in-money.xlsx":
        assert sheet["D8"].value == "约1.5万"  # the chief sees what was typed
    # The feedback file is a template: it reads back with the same issues, and once fixed it is valid.
    again = read_return(out, department=department, period=period)
    if name not in ("row-inserted-names-lost.xlsx", "locked-target-changed.xlsx"):
        assert sorted((i.cell, i.code) for i in again.issues) == sorted(
            (i.cell, i.code) for i in result.issues
        )
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(fill_template(out.read_bytes(), good_values(department.projects[0])))
    final = read_return(fixed, department=department, period=period)
    assert final.status is SubmissionStatus.VALID and final.issues == []


def test_cli_feedback_option(tmp_path: Path) -> None:
    code, _output = run(
        "check",
        "--goals",
        GOALS,
        "--period",
        "2025-06",
        "--feedback",
        str(tmp_path),
        str(RETURNS / "valid.xlsx"),
        str(RETURNS / "text-in-money.xlsx"),
        str(RETURNS / "not-a-template.xlsx"),
    )
    assert code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text-in-money_问题反馈.xlsx"]


def test_frames_columns_and_dtypes() -> None:
    department, period = corpus_department(), corpus_period()
    subs = [
        read_submission(RETURNS / n, department=department, period=period)[0]
        for n in ("valid.xlsx", "not-in-list.xlsx")
    ]
    frames = submissions_to_frames([s for s in subs if s is not None])
    assert {k: str(v) for k, v in frames.money.dtypes.items()} == MONEY_DTYPES
    assert {k: str(v) for k, v in frames.indicators.dtypes.items()} == INDICATOR_DTYPES
    assert len(frames.money) == 2 and len(frames.indicators) == 14
    assert frames.money.loc[0, "spend_to_date"] == 1.735
    assert frames.money.loc[0, "execution_rate"] == 50.0
    assert list(frames.indicators.loc[:6, "actual"].fillna(-1)) == [100, 0.5, 10, 127.5, 0.2, -1, 95]
    assert frames.indicators.loc[5, "actual_text"] == "达成"
    assert list(frames.issues["code"]) == ["not-in-list", "not-in-list"]
    assert list(frames.issues.columns) == [
        "file",
        "code",
        "severity",
        "sheet",
        "cell",
        "field",
        "value",
        "message",
    ]
    empty = submissions_to_frames([])
    assert list(empty.money.columns) == list(MONEY_DTYPES) and len(empty.money) == 0


def test_issues_to_frame_has_fixed_columns() -> None:
    from perfsheet.form.issues import ISSUE_COLUMNS, issues_to_frame

    _sub, issues = read_submission(RETURNS / "spend-over-budget.xlsx", department=corpus_department())
    frame = issues_to_frame(issues, file="x.xlsx")
    assert list(frame.columns) == ["file", *ISSUE_COLUMNS]
    assert list(frame["cell"]) == ["D8", "H8"] and all(str(t) == "string" for t in frame.dtypes)
    assert list(issues_to_frame([]).columns) == list(ISSUE_COLUMNS)


def test_feedback_never_turns_user_text_into_a_formula(tmp_path: Path) -> None:
    department, period = corpus_department(), corpus_period()
    project = department.projects[0]
    values = good_values(project)
    values["spend.to_date"] = '=HYPERLINK("http://example.org","点此")'
    path = tmp_path / "return.xlsx"
    path.write_bytes(fill_template(build_template(department, project, period), values))
    result = read_return(path, department=department, period=period)
    assert result.submission is not None
    out = write_feedback(
        department, result.submission, result.issues, tmp_path / "fb.xlsx", raw_values=result.raw_values, period=period
    )
    book = openpyxl.load_workbook(out)
    listing = book[ISSUE_SHEET]
    found = [row[4] for row in listing.iter_rows(min_row=ISSUE_HEADER_ROW + 1) if row[4].value == values["spend.to_date"]]
    assert found and all(cell.data_type == "s" for cell in found)
    formulas = [c.coordinate for ws in book.worksheets if ws.title != "监控表" for r in ws.iter_rows() for c in r
                if c.data_type == "f"]  # fmt: skip
    assert formulas == []
