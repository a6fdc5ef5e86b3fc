"""``perfsheet check``: check returned workbooks and report every problem per cell."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from perfsheet.errors import UsageError
from perfsheet.form.issues import issue_row
from perfsheet.ingest.batch import CheckedReturn, check_returns
from perfsheet.ingest.check import submission_to_json
from perfsheet.model import Period, Severity, SubmissionStatus
from perfsheet.rules import MonitoringRules, Thresholds, require_goals_year
from perfsheet.workspace import CONFIG_NAME, DEFAULT_WORKSPACE, Workspace, resolve_department

from ._common import PERIOD, console, echo_json, goals_option, workspace_option

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


def _render(item: CheckedReturn) -> None:
    result = item.result
    sub = result.submission
    head = f"{item.path}  {_STATUS_LABEL[result.status]}"
    if sub is not None:
        head += f"  项目 {sub.project_code}  期间 {sub.period}"
    console.print(head, markup=True, highlight=False)
    if result.issues:
        table = Table(show_lines=False)
        table.add_column("位置", no_wrap=True)
        table.add_column("级别", no_wrap=True)
        table.add_column("问题", no_wrap=True)
        table.add_column("说明", overflow="fold")
        for issue in result.issues:
            row = issue_row(issue)
            style = "red" if issue.severity is Severity.ERROR else "yellow"
            # The stable code stays in --json; the screen shows its Chinese name.
            table.add_row(row["location"] or "—", f"[{style}]{row['severity_label']}[/]", row["title"], row["message"])
        console.print(table)
    if item.feedback is not None:
        console.print(f"  反馈表：{item.feedback}", highlight=False)


@click.command("check")
@click.argument("files", nargs=-1, required=True, metavar="文件...", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（每个文件一个对象的列表）。")
@click.option("--period", "period", type=PERIOD, metavar="YYYY-MM", help="本次收集的期间；表格期间不符时报错。")
@goals_option()
@workspace_option()
@click.option(
    "--feedback",
    "feedback_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="为有错误或提示的表格生成反馈表（标出问题单元格并附问题清单）的目录。",
)
def check_command(
    files: tuple[Path, ...],
    as_json: bool,
    period: Period | None,
    goals_path: Path | None,
    workspace_dir: Path | None,
    feedback_dir: Path | None,
) -> None:
    """校验回收的监控表：逐个单元格检查并列出问题。

    退出码：0 全部通过（可有提示）；1 有表格存在错误；2 有文件无法读取或用法错误。
    不指定 --goals/--workspace 时，若 ./workbooks 是工作区则使用它，否则使用内置的 2025 年目标。
    """
    if goals_path is not None and workspace_dir is not None:
        raise UsageError("--goals 与 --workspace 只能指定一个")
    thresholds, rules = Thresholds(), MonitoringRules()
    if workspace_dir is not None or (goals_path is None and (DEFAULT_WORKSPACE / CONFIG_NAME).is_file()):
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
        for item in checked:
            _render(item)
    sys.exit(exit_code(checked))


COMMANDS: list[click.Command] = [check_command]
