"""The demo and the monthly run end to end: the README's main command, its narrative pinned by a golden
file, every output present, and re-running changes nothing."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from perfsheet.demo import run_demo
from perfsheet.model import Period
from perfsheet.monthly import run_month
from perfsheet.workspace import period_status

GOLDEN = Path(__file__).parent / "data" / "golden" / "demo-2025-06.md"
PERIOD = Period(2025, 6)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return run_demo(tmp_path_factory.mktemp("demo") / "out", PERIOD)


def _tree_digest(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part in exclude for part in p.parts)
    }


def test_demo_narrative_matches_golden(demo) -> None:  # type: ignore[no-untyped-def]
    text = demo.month.reports.markdown.read_text(encoding="utf-8")
    if os.environ.get("PERFSHEET_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), (
        "demo narrative changed; if intended: PERFSHEET_UPDATE_GOLDEN=1 pytest tests/test_demo.py -k golden"
    )


def test_demo_narrative_states_the_month(demo) -> None:  # type: ignore[no-untyped-def]
    text = demo.month.reports.markdown.read_text(encoding="utf-8")
    summary = demo.month.reports.summary.to_json()
    assert "101.47万元" in text
    assert f"{summary['totals']['spend_to_date']:.2f}万元" in text
    assert f"预算执行率{summary['totals']['execution_rate']:.1f}%" in text
    assert "序时进度50.0%" in text
    lights = {p["code"]: p["light"] for p in summary["projects"]}
    department = demo.workspace.department
    for code, light in lights.items():
        if light in ("red", "yellow"):
            name = department.project(code).name
            assert f"**{name}**（{'红灯' if light == 'red' else '黄灯'}）" in text
    assert "招商活动集中安排在下半年" in text and "法律顾问费按合同分两次支付" in text
    assert "赵磊" not in text and "（初稿）" in text  # no chief in the 报送版; it is a draft while a return is missing
    internal = demo.month.reports.internal_markdown.read_text(encoding="utf-8")
    assert "- 执法监督和复议应诉科（赵磊）：2025年行政复议专项工作经费" in internal
    assert "请督促执法监督和复议应诉科（赵磊）尽快报送" in internal
    assert "None" not in text and "nan" not in text


def test_demo_outputs_and_states(demo) -> None:  # type: ignore[no-untyped-def]
    ws = demo.workspace
    assert len(demo.templates) == 10 and all(p.is_file() for p in demo.templates)
    assert len(demo.send_drafts) == 5  # one per section that owns projects
    status = {p.code: p for p in period_status(ws, PERIOD).projects}
    assert status["13020225P00815610002E"].status == "missing"
    assert status["13020225P009080100019"].status == "invalid"
    assert status["13020225P008925100021"].late and status["13020225P008925100021"].status == "valid"
    assert sum(p.status == "valid" for p in status.values()) == 8  # seven projects and the 部门整体 form
    month = demo.month
    assert month.reports.workbook.is_file() and month.reports.docx.is_file()
    assert len(month.feedback_files) == 1 and "13020225P009080100019" in month.feedback_files[0].name
    assert {p.name for p in month.reminder_drafts} == {"催报-执法监督和复议应诉科.eml", "催报-基层科.eml"}
    # The .docx is a real Word document.
    paragraphs = [p.text for p in docx.Document(str(month.reports.docx)).paragraphs]
    assert any("101.47万元" in p for p in paragraphs)
    # History: the two earlier months are in the ledger, so the 趋势 sheet has three months.
    trend = month.reports.summary.trend
    assert sorted(set(trend["period"])) == ["2025-04", "2025-05", "2025-06"]


def test_run_again_changes_nothing(demo) -> None:  # type: ignore[no-untyped-def]
    root = demo.workspace.root
    # Mail drafts carry the time they were made; everything else must be byte-identical.
    before = _tree_digest(root, exclude=("mail", "ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"))
    result = run_month(demo.workspace, PERIOD, [str(demo.mailbox)], today=demo.month.status.deadline)
    after = _tree_digest(root, exclude=("mail", "ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"))
    assert before == after
    assert result.collected is not None and not result.collected.new_files


def test_demo_cli_from_any_directory(tmp_path: Path) -> None:
    out = tmp_path / "演示"
    result = subprocess.run(
        [sys.executable, "-m", "perfsheet", "demo", "--out", str(out)],
        capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "未报送" in result.stdout and "汇总表" in result.stdout
    assert (out / "workbooks" / "reports" / "2025-06").is_dir()
    run = subprocess.run(
        [sys.executable, "-m", "perfsheet", "run", "--period", "2025-06", "--workspace", str(out / "workbooks")],
        capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, check=False,
    )
    # Exit 1: a return is missing and one is invalid this month.
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr


def test_monthly_wrapper_runs_the_month(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script = Path(__file__).resolve().parent.parent / "scripts" / "monthly.sh"
    env = {**os.environ, "PERFSHEET_PERIOD": "2025-06", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["sh", str(script), str(demo.workspace.root), str(demo.mailbox)],
        capture_output=True, text=True, encoding="utf-8", env=env, check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr  # a return is missing this month
    logs = list((demo.workspace.root / "logs").glob("run-2025-06-*.log"))
    assert logs and "汇总表" in logs[0].read_text(encoding="utf-8")


def test_run_outside_the_goals_year_is_a_usage_error(demo) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "perfsheet", "run", "--period", "2026-10", "--workspace", str(demo.workspace.root)],
        capture_output=True, text=True, encoding="utf-8", check=False,
    )
    assert result.returncode == 2 and "目标年度 2025" in result.stderr and "Traceback" not in result.stderr
