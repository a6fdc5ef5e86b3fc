"""A period's reports are written again exactly when something they are computed from changed.

The reports are a function of the ledger, the goals, perfsheet.yaml, the templates, perfsheet's code
and the day. A run that changes none of these keeps the files (their bytes and times untouched) and
consolidates nothing; any change — a report file deleted or edited, perfsheet.yaml or a template
edited, another day — writes them again. On copies of the demo workspace after its monthly run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfsheet.demo import DEMO_PERIOD
from perfsheet.monthly import _report_inputs_key, run_month, write_period_reports
from perfsheet.workspace import Workspace, open_ledger

PERIOD = DEMO_PERIOD


@pytest.fixture
def ws(demo_ws: Workspace) -> Workspace:
    return demo_ws


def _state(ws: Workspace) -> dict[str, tuple[bytes, int]]:
    folder = ws.reports_dir(PERIOD)
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_a_run_with_nothing_new_keeps_the_reports(ws: Workspace) -> None:
    first = run_month(ws, PERIOD)
    before = _state(ws)
    again = run_month(ws, PERIOD)
    assert _state(ws) == before  # not one byte, not one time stamp
    assert again.reports.paths() == first.reports.paths()
    assert again.reports.summary_json == first.reports.summary_json
    # The Summary behind the kept files is consolidated on demand, and it is the one they show.
    assert again.reports.summary.to_json() == again.reports.summary_json
    assert again.reports.narrative == first.reports.narrative
    assert again.status == first.status


def test_a_deleted_or_edited_report_is_written_again(ws: Workspace) -> None:
    run_month(ws, PERIOD)
    before = {name: data for name, (data, _t) in _state(ws).items()}
    files = sorted(ws.reports_dir(PERIOD).iterdir())
    files[0].unlink()
    with files[1].open("ab") as handle:
        handle.write(b"edited")
    run_month(ws, PERIOD)
    assert {name: data for name, (data, _t) in _state(ws).items()} == before


def test_an_edited_configuration_or_template_writes_the_reports_again(ws: Workspace, tmp_path: Path) -> None:
    run_month(ws, PERIOD)
    config = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(config.replace("recipient: 区财政局", "recipient: 市财政局"), encoding="utf-8")
    edited = Workspace.open(ws.root)
    assert "\n市财政局：\n" in run_month(edited, PERIOD).reports.narrative
    templates = tmp_path / "templates"
    templates.mkdir()
    source = Path(__file__).resolve().parent.parent / "templates" / "monthly_report.md.j2"
    (templates / "monthly_report.md.j2").write_text(source.read_text(encoding="utf-8") + "\n附注一\n", encoding="utf-8")
    assert "附注一" in write_period_reports(edited, PERIOD, template_dir=templates).narrative
    (templates / "monthly_report.md.j2").write_text(source.read_text(encoding="utf-8") + "\n附注二\n", encoding="utf-8")
    narrative = write_period_reports(edited, PERIOD, template_dir=templates).narrative
    assert "附注二" in narrative and "附注一" not in narrative
    assert "附注" not in write_period_reports(edited, PERIOD).narrative  # the built-in template again


def test_the_inputs_key_follows_the_day_and_the_ledger(ws: Workspace) -> None:
    with open_ledger(ws) as ledger:
        rows = ledger.rows()
    today = dt.date(2025, 7, 20)
    key = _report_inputs_key(ws, PERIOD, rows, None, today)
    assert key == _report_inputs_key(ws, PERIOD, list(rows), None, today)
    assert key != _report_inputs_key(ws, PERIOD, rows, None, today + dt.timedelta(days=1))  # 逾期 may change
    assert key != _report_inputs_key(ws, PERIOD, rows[:-1], None, today)
    assert key != _report_inputs_key(ws, PERIOD.__class__(2025, 5), rows, None, today)


def test_the_inputs_key_is_the_same_in_every_process(ws: Workspace) -> None:
    script = (
        "import datetime as dt, sys\n"
        "from perfsheet.workspace import Workspace, open_ledger\n"
        "from perfsheet.monthly import _report_inputs_key\n"
        "from perfsheet.model import Period\n"
        "ws = Workspace.open(sys.argv[1])\n"
        "with open_ledger(ws) as ledger:\n"
        "    rows = ledger.rows()\n"
        "print(_report_inputs_key(ws, Period(2025, 6), rows, None, dt.date(2025, 7, 20)))\n"
    )
    keys = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script, str(ws.root)], capture_output=True, text=True,
                              env=env, check=True, timeout=120)
        keys.add(done.stdout.strip())
    assert len(keys) == 1, keys


def test_a_repeated_run_loads_no_report_writer(ws: Workspace, tmp_path: Path) -> None:
    run_month(ws, PERIOD)
    report = tmp_path / "modules.json"
    driver = (
        "import json, sys\n"
        "from perfsheet.cli import run\n"
        "try:\n"
        "    run(sys.argv[2:])\n"
        "finally:\n"
        "    json.dump(sorted(sys.modules), open(sys.argv[1], 'w', encoding='utf-8'))\n"
    )
    subprocess.run([sys.executable, "-c", driver, str(report), "run", "--period", str(PERIOD),
                    "--workspace", str(ws.root)], capture_output=True, check=False, timeout=120)
    modules = set(json.loads(report.read_text(encoding="utf-8")))
    assert not {"pandas", "docx", "jinja2", "perfsheet.consolidate.build", "perfsheet.report.narrative"} & modules


def test_the_reports_follow_the_configuration_the_workspace_holds(ws: Workspace) -> None:
    from dataclasses import replace

    run_month(ws, PERIOD)
    # perfsheet.yaml edited while a run is under way: the run writes from what it read, and the next
    # run (which reads the edit) writes again.
    ws.config_path.write_text(
        ws.config_path.read_text(encoding="utf-8").replace("recipient: 区财政局", "recipient: 市财政局"), encoding="utf-8"
    )
    assert "\n区财政局：\n" in write_period_reports(ws, PERIOD).narrative
    assert "\n市财政局：\n" in write_period_reports(Workspace.open(ws.root), PERIOD).narrative
    # A configuration changed in memory (the Python API) is a change as well.
    held = replace(ws, config=replace(ws.config, report_recipient="省财政厅"))
    assert "\n省财政厅：\n" in write_period_reports(held, PERIOD).narrative
