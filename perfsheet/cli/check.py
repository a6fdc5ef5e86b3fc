"""``perfsheet check``: check returned workbooks and report every problem per cell."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import click
from rich.text import Text

from perfsheet.errors import UsageError
from perfsheet.form.issues import issue_row
from perfsheet.ingest.batch import CheckedReturn, check_returns
from perfsheet.ingest.check import submission_to_json
from perfsheet.model import Period, Severity, SubmissionStatus
from perfsheet.rules import MonitoringRules, Thresholds, require_goals_year
from perfsheet.workspace import Workspace, resolve_department, uses_workspace

from ._common import (
    PERIOD,
    Cell,
    Column,
    console,
    echo_json,
    fitted_table,
    goals_option,
    styled,
    wide_option,
    workspace_option,
)

_STATUS_LABEL = {
    SubmissionStatus.VALID: "[green]已通过[/]",
    SubmissionStatus.INVALID: "[red]有错误[/]",
    SubmissionStatus.REJECTED: "[bold red]无法读取[/]",
}


def exit_code(checked: list[CheckedReturn]) -> int:
    """DESIGN.md §4: 0 all valid (warnings allowed), 1 some invalid, 2 some unusable."""
    statuses = {item.result.status for item in checked}
    if SubmissionStatus.REJECTED in statuses:
        return 2
    return 1 if SubmissionStatus.INVALID in statuses else 0


# Where, how bad and what to do always show (the explanation wraps); the issue's short title gives
# way on a narrow terminal. The stable issue code stays in --json; the screen shows Chinese names.
_ISSUE_COLUMNS = (
    Column("位置"),
    Column("级别"),
    Column("问题", priority=2),
    Column("说明", wrap=True, fit=30),
)


def _render(item: CheckedReturn, names: Mapping[str, str], *, wide: bool) -> None:
    """The file and the verdict, the project by name on a line of its own (a long path does not break
    it), then the issues."""
    result = item.result
    sub = result.submission
    # Names and paths are text, not markup: they may hold [brackets].
    console.print(Text(f"{item.path}  ") + Text.from_markup(_STATUS_LABEL[result.status]), highlight=False)
    if sub is not None:
        line = f"  项目：{names.get(sub.project_code, sub.project_code)}（{sub.period}）"
        console.print(Text(line + (f"  项目编码 {sub.project_code}" if wide else "")), highlight=False)
    if result.issues:
        rows: list[list[Cell]] = []
        for issue in result.issues:
            row = issue_row(issue)
            style = "red" if issue.severity is Severity.ERROR else "yellow"
            rows.append([row["location"] or "—", styled(row["severity_label"], style), row["title"], row["message"]])
        console.print(fitted_table("", _ISSUE_COLUMNS, rows, wide=wide))
    if item.feedback is not None:
        console.print(Text(f"  反馈表：{item.feedback}"), highlight=False)


@click.command("check")
@click.argument("files", nargs=-1, required=True, metavar="文件...", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（每个文件一个对象的列表）。")
@click.option("--period", "period", type=PERIOD, metavar="年-月", help="本次收集的期间，例如 2025-06；表格期间不符时报错。")
@goals_option()
@workspace_option()
@click.option(
    "--feedback",
    "feedback_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="为有错误或提示的表格生成反馈表（标出问题单元格并附问题清单）的目录。",
)
@wide_option()
def check_command(
    files: tuple[Path, ...],
    as_json: bool,
    period: Period | None,
    goals_path: Path | None,
    workspace_dir: Path | None,
    feedback_dir: Path | None,
    wide: bool,
) -> None:
    """校验回收的监控表：逐个单元格检查并列出问题。

    退出码：0 全部通过（可有提示）；1 有表格存在错误；2 有文件无法读取或用法错误。
    不指定 --goals/--workspace 时，若 ./workbooks（或当前目录）是工作区则使用它，否则使用内置的 2025 年目标。
    """
    if goals_path is not None and workspace_dir is not None:
        raise UsageError("--goals 与 --workspace 只能指定一个")
    thresholds, rules = Thresholds(), MonitoringRules()
    if uses_workspace(goals_path, workspace_dir):
        workspace = Workspace.open(workspace_dir)
        department, thresholds = workspace.department, workspace.config.thresholds
        rules = workspace.config.monitoring
    else:
        department = resolve_department(goals_path, None)
    if period is not None:
        require_goals_year(department, period)
    checked = check_returns(
        files, department=department, period=period, thresholds=thresholds, rules=rules, feedback_dir=feedback_dir
    )
    if as_json:
        echo_json(
            [
                submission_to_json(i.result.submission, i.result.issues, i.path, i.result.sha256)
                for i in checked
            ]
        )
    else:
        names = {p.code: p.name for p in department.monitored}
        for item in checked:
            _render(item, names, wide=wide)
    sys.exit(exit_code(checked))


COMMANDS: list[click.Command] = [check_command]
