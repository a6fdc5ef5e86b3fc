"""Every table a clerk reads fits an 80-column terminal: no line wider than 80 display cells, no
project name broken across lines, the dropped columns one ``--wide`` away; ``run --json`` is one
JSON document that agrees with ``status --json`` and ``consolidate --json``.

Each command runs as a clerk types it (a fresh interpreter, output piped) with COLUMNS set, which rich
and click both read. Widths are measured here with the Unicode East Asian Width table (W and F take
two cells), independently of rich's own measure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from perfsheet.workspace import Workspace

PERIOD = "2025-06"


def display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def perfsheet(*args: str, columns: int = 80, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    env.pop("PERFSHEET_SMTP_PASSWORD", None)
    return subprocess.run(
        [sys.executable, "-m", "perfsheet", *args], capture_output=True, text=True, encoding="utf-8", env=env,
        cwd=cwd, check=False, timeout=300,
    )


def assert_fits(text: str, names: list[str], width: int = 80) -> None:
    lines = text.splitlines()
    too_wide = [line for line in lines if display_width(line) > width]
    assert not too_wide, "\n".join(too_wide)
    for name in names:
        assert any(name in line for line in lines), f"{name} is broken across lines or missing:\n{text}"


def project_names(ws: Workspace) -> list[str]:
    """Every monitored project's name, from the goals file (the 部门整体 form included)."""
    return [p.name for p in ws.department.monitored]


def test_run_fits_80_columns_and_wide_shows_every_column(demo_ws: Workspace) -> None:
    result = perfsheet("run", "--period", PERIOD, "--workspace", str(demo_ws.root))
    assert result.returncode == 1, result.stderr  # the demo month has a missing and an invalid return
    assert_fits(result.stdout, project_names(demo_ws))
    assert "--wide" in result.stdout  # the clerk is told how to see what was left out
    header = next(line for line in result.stdout.splitlines() if "项目" in line and "状态" in line)
    assert "预警" in header and "科长" not in header  # the light stays; the chief gives way first
    wide = perfsheet("run", "--period", PERIOD, "--workspace", str(demo_ws.root), "--wide", columns=200)
    header = next(line for line in wide.stdout.splitlines() if "项目" in line and "状态" in line)
    for column in ("预警", "错误", "提示", "收到时间", "科室", "科长"):
        assert column in header, header
    assert "--wide" not in wide.stdout


def test_send_and_remind_fit_80_columns_without_breaking_addresses(demo_ws: Workspace) -> None:
    sections = demo_ws.config.roster.sections
    for command in ("send", "remind"):
        result = perfsheet(command, "--period", PERIOD, "--workspace", str(demo_ws.root))
        assert result.returncode == 0, result.stderr
        chased = [s for s in sections if s.name in result.stdout]
        assert chased, result.stdout
        assert_fits(result.stdout, [s.name for s in chased] + [s.chief for s in chased])
        for section in sections:  # an address shows whole or not at all, never cut mid-word
            local = section.email.split("@")[0]
            assert section.email in result.stdout or f"{local}@" not in result.stdout, result.stdout
    wide = perfsheet("send", "--period", PERIOD, "--workspace", str(demo_ws.root), "--wide", columns=250)
    mailed = {p.section for p in demo_ws.department.monitored}
    for section in sections:
        assert (section.email in wide.stdout) == (section.name in mailed), section
    assert "【请填报】" in wide.stdout  # the subject


def test_consolidate_fits_80_columns_and_keeps_rate_and_light(demo_ws: Workspace) -> None:
    result = perfsheet("consolidate", "--period", PERIOD, "--workspace", str(demo_ws.root))
    assert result.returncode == 1, result.stderr  # one return has errors
    assert_fits(result.stdout, [p.name for p in demo_ws.department.projects])
    header = next(line for line in result.stdout.splitlines() if "项目" in line and "执行率" in line)
    assert "预警" in header
    # 已通过（逾期） is never split inside its brackets, at any width.
    for columns in (80, 100, 120, 160):
        out = perfsheet("consolidate", "--period", PERIOD, "--workspace", str(demo_ws.root), "--wide",
                        columns=columns).stdout
        assert "已通过（逾期）" in out or "（逾期" not in out, out


def test_check_fits_80_columns_with_the_project_by_name(demo_root: Path, tmp_path: Path) -> None:
    files = sorted((demo_root / "inbox" / PERIOD).glob("*.xlsx"))
    assert files
    ws = Workspace.open(demo_root)
    returned = [p.name for p in ws.department.monitored if any(p.code in f.name for f in files)]
    assert len(returned) == len(files)
    # Files named as a chief names them: the project's name can only come from the check itself.
    copies = []
    for i, file in enumerate(files, start=1):
        copies.append(tmp_path / f"回执{i}.xlsx")
        shutil.copyfile(file, copies[-1])
    result = perfsheet("check", "--workspace", str(demo_root), *map(str, copies))
    assert result.returncode == 1, result.stderr
    assert_fits(result.stdout, returned)
    assert "说明" in result.stdout and "监控表!" in result.stdout  # the issue table of the invalid return


def test_run_json_is_one_document_agreeing_with_status_and_consolidate(demo_ws: Workspace) -> None:
    root = str(demo_ws.root)
    result = perfsheet("run", "--period", PERIOD, "--workspace", root, "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    status = json.loads(perfsheet("status", "--period", PERIOD, "--workspace", root, "--json").stdout)
    summary = json.loads(perfsheet("consolidate", "--period", PERIOD, "--workspace", root, "--json").stdout)
    assert data["period"] == PERIOD and data["deadline"] == status["deadline"] and data["complete"] is False
    assert data["totals"] == summary["totals"] and data["time_progress"] == summary["time_progress"]
    assert [p["name"] for p in data["projects"]] == project_names(demo_ws)
    figures = {p["code"]: p for p in summary["projects"]}
    for project, listed in zip(data["projects"], status["projects"], strict=True):
        assert {k: project[k] for k in listed} == listed
        expected = figures.get(project["code"], {})
        for key in ("light", "execution_rate", "fiscal", "other"):
            assert project[key] == expected.get(key), (project["code"], key)
    by_name = {p["name"]: p for p in data["projects"]}
    lagging = by_name["2025年招商引资专项工作经费"]  # the demo's 2.00 of 10.00 万元
    assert lagging["light"] == "red" and round(lagging["execution_rate"], 1) == 20.0
    assert by_name["2025年行政复议专项工作经费"]["status"] == "missing"
    for path in [*data["reports"].values(), *data["reminder_drafts"], *data["feedback_files"]]:
        assert Path(path).is_file(), path
    assert data["reminder_drafts"] and data["collected"]["period"] == PERIOD


@pytest.mark.parametrize("command", ["run", "send", "remind", "consolidate", "check"])
def test_every_table_command_has_wide(command: str, tmp_path: Path) -> None:
    result = perfsheet(command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "--wide" in result.stdout


@pytest.mark.parametrize(
    "command",
    [["status", "--period", PERIOD], ["goals", "show"], ["templates", "--period", PERIOD, "--out", "{tmp}"]],
    ids=["status", "goals-show", "templates"],
)
def test_the_other_tables_keep_names_whole_at_80_columns(demo_ws: Workspace, tmp_path: Path, command: list[str]) -> None:
    args = [a.replace("{tmp}", str(tmp_path / "out")) for a in command]
    result = perfsheet(*args, "--workspace", str(demo_ws.root))
    assert result.returncode in (0, 1), result.stderr
    ws = demo_ws
    names = [p.name for p in (ws.department.projects if command[0] == "goals" else ws.department.monitored)]
    assert_fits(result.stdout, names)


def test_brackets_typed_by_a_chief_or_in_a_file_name_are_shown_as_typed(tmp_path: Path) -> None:
    """Tables show names and typed values literally: "[/]" in a cell or "[v2]" in a file name is text,
    never rich markup (which would hide it, or stop the command with a traceback)."""
    from ledger_helpers import VALID_VALUES, make_workspace, small_department

    from perfsheet.model import Period
    from perfsheet.template.build import build_template, fill_template

    department = small_department()
    ws = make_workspace(tmp_path / "ws", department)
    template = build_template(department, department.project("P1"), Period(2025, 6))
    typed = fill_template(template, {**VALID_VALUES, "budget.adjusted": "[/]十万", "goal.progress": "[bold]按计划[/bold]"})
    path = tmp_path / "监控表[v2].xlsx"
    path.write_bytes(typed)
    result = perfsheet("check", "--workspace", str(ws.root), str(path), columns=200)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "[/]十万" in result.stdout
    assert "监控表[v2].xlsx" in result.stdout
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copyfile(path, inbox / path.name)
    collected = perfsheet("collect", "--period", PERIOD, "--workspace", str(ws.root), str(inbox), columns=200)
    assert "Traceback" not in collected.stderr and "监控表[v2].xlsx" in collected.stdout, collected.stdout
