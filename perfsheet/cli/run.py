"""``perfsheet run``: the monthly job, and the closing tables it and ``perfsheet demo`` print."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from perfsheet.labels import LIGHT_LABELS
from perfsheet.model import Period
from perfsheet.monthly import MonthlyResult, StepCallback, run_month
from perfsheet.workspace import Workspace

from ._common import (
    IMAP_PASSWORD_ENV,
    all_sources,
    console,
    password_from_env_or_prompt,
    period_option,
    report_collect_aftermath,
    sources_option,
    workspace_option,
)

_LIGHT_STYLE = {"red": "bold red", "yellow": "bold yellow", "green": "green"}


@contextmanager
def progress_bars() -> Iterator[StepCallback]:
    """Rich progress bars on stderr, one task per step label."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console if sys.stderr.isatty() else None,
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as progress:
        tasks: dict[str, object] = {}

        def step(label: str, done: int, total: int | None) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done, total=total)  # type: ignore[arg-type]

        yield step


def _password_for(sources: tuple[str, ...]) -> str | None:
    if not any(s.lower().startswith(("imap://", "imaps://")) for s in sources):
        return None
    return password_from_env_or_prompt(IMAP_PASSWORD_ENV, "IMAP 邮箱密码")


def print_month(result: MonthlyResult, root: Path) -> None:
    """The closing tables: returns per project with lights, then where the files are."""
    summary = result.reports.summary_json
    lights = {row["code"]: row["light"] for row in summary["projects"]}
    table = Table(title=f"{result.period.label} 报送与预警情况（截止 {result.status.deadline:%Y-%m-%d}）")
    for column in ("科室", "科长", "项目", "状态", "执行预警", "收到时间", "错误", "提示"):
        table.add_column(column, overflow="fold", no_wrap=column in {"状态", "错误", "提示"})
    for project in result.status.projects:
        light = lights.get(project.code)
        status_style = {"missing": "bold red", "invalid": "yellow", "valid": "green"}[project.status]
        table.add_row(
            project.section,
            project.chief,
            project.name,
            f"[{status_style}]{project.label}[/]",
            f"[{_LIGHT_STYLE[light]}]{LIGHT_LABELS[light]}[/]" if light in _LIGHT_STYLE else "—",
            project.received.strftime("%Y-%m-%d %H:%M") if project.received else "—",
            str(project.errors),
            str(project.warnings),
        )
    console.print(table)
    totals = summary["totals"]
    assert isinstance(totals, dict)
    rate = totals.get("execution_rate")
    # The rate is over the projects that reported validly: say of which budget, not only the total.
    console.print(
        f"全部项目预算 {totals['budget']:.2f} 万元；其中有效报送项目调整后预算 {totals['adjusted_budget']:.2f} 万元，"
        f"执行 {totals['spend_to_date'] or 0:.2f} 万元，执行率 {rate:.1f}%；序时进度 {float(summary['time_progress']):.1f}%"
        if rate is not None
        else f"全部项目预算 {totals['budget']:.2f} 万元；本月尚无有效报送的监控表。",
        highlight=False,
    )
    files = Table(title="输出文件", show_header=True)
    files.add_column("内容")
    files.add_column("位置", overflow="fold")

    def rel(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            return str(path)

    for label, path in result.reports.labelled():
        files.add_row(label, rel(path))
    for path in result.feedback_files:
        files.add_row("问题反馈表", rel(path))
    for path in result.feedback_drafts:
        files.add_row("反馈邮件草稿", rel(path))
    for path in result.reminder_drafts:
        files.add_row("催报邮件草稿", rel(path))
    for item in result.unsendable:
        files.add_row("[yellow]无法生成邮件[/]", f"{item.to_name or item.section}：{item.problem}")
    console.print(files)
    report_collect_aftermath(result.collected)


@click.command("run")
@period_option()
@sources_option("先从这些来源收集回执（文件夹、.eml、.msg、mbox、Maildir、.zip 或 imaps://用户@主机/文件夹），可多次指定，也可直接列在命令后。")
@workspace_option()
@click.option("--template-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), help="自定义情况说明模板（Jinja）所在目录。")
def run_command(
    period: Period,
    sources: tuple[str, ...],
    more_sources: tuple[str, ...],
    workspace_dir: Path | None,
    template_dir: Path | None,
) -> None:
    """每月运行：收集回执 → 校验 → 汇总 → 生成汇总表、情况说明、问题反馈表和催报邮件草稿。

    可重复运行，结果相同；台账、目标、配置和模板都没有变化时，已生成的报表原样保留，不再重写。
    IMAP 密码取自环境变量 PERFSHEET_IMAP_PASSWORD，未设置时提示输入。
    全部项目均有有效报表时退出码为 0，有未报送或有错误的项目时为 1。
    """
    sources = all_sources(sources, more_sources, required=False)
    ws = Workspace.open(workspace_dir)
    with progress_bars() as step:
        result = run_month(ws, period, sources, password=_password_for(sources), template_dir=template_dir, progress=step)
    print_month(result, ws.root)
    sys.exit(result.exit_code)


COMMANDS: list[click.Command] = [run_command]
