"""``perfsheet run``: the monthly job, and the closing tables it and ``perfsheet demo`` print."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from perfsheet.model import Period
from perfsheet.monthly import MonthlyResult, StepCallback, run_month
from perfsheet.workspace import Workspace

from ._common import (
    IMAP_PASSWORD_ENV,
    Cell,
    Column,
    all_sources,
    console,
    console_err,
    echo_json,
    fitted_table,
    light_cell,
    password_from_env_or_prompt,
    period_option,
    report_collect_aftermath,
    sources_option,
    styled,
    wide_option,
    workspace_option,
)


@contextmanager
def progress_bars() -> Iterator[StepCallback]:
    """Rich progress bars on stderr, one task per step label."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console_err,
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


def _month_rows(result: MonthlyResult) -> list[list[Cell]]:
    lights = {row["code"]: row["light"] for row in result.reports.summary_json["projects"]}
    rows: list[list[Cell]] = []
    for project in result.status.projects:
        status_style = {"missing": "bold red", "invalid": "yellow", "valid": "green"}[project.status]
        counted = project.status != "missing"  # no return, nothing counted: blank, as `status` shows it
        rows.append([
            project.name,
            styled(project.label, status_style),
            light_cell(lights.get(project.code)),
            str(project.errors) if counted else "",
            str(project.warnings) if counted else "",
            project.received.strftime("%m-%d %H:%M") if project.received else "—",
            project.section,
            project.chief,
        ])
    return rows


# Names, where each stands and its light always show; counts and times before sections and chiefs.
_MONTH_COLUMNS = (
    Column("项目", wrap=True),
    Column("状态"),
    Column("预警"),
    Column("错误", priority=2, justify="right"),
    Column("提示", priority=2, justify="right"),
    Column("收到时间", priority=2),
    Column("科室", priority=3, wrap=True),
    Column("科长", priority=3),
)


def _totals_line(summary: Mapping[str, Any]) -> str:
    totals = summary["totals"]
    rate = totals.get("execution_rate")
    if rate is None:
        return f"全部项目预算 {totals['budget']:.2f} 万元；本月尚无有效报送的监控表。"
    # The rate is over the projects that reported validly: say of which budget, not only the total.
    return (
        f"全部项目预算 {totals['budget']:.2f} 万元；其中有效报送项目调整后预算 {totals['adjusted_budget']:.2f} 万元，"
        f"执行 {totals['spend_to_date'] or 0:.2f} 万元，执行率 {rate:.1f}%；序时进度 {float(summary['time_progress']):.1f}%"
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _file_rows(result: MonthlyResult, root: Path) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[label, _relative(path, root)] for label, path in result.reports.labelled()]
    rows += [["问题反馈表", _relative(path, root)] for path in result.feedback_files]
    rows += [["反馈邮件草稿", _relative(path, root)] for path in result.feedback_drafts]
    rows += [["催报邮件草稿", _relative(path, root)] for path in result.reminder_drafts]
    # A corrected return made these drafts stale: say where they went, as remind and send do.
    rows += [["不再需要的草稿（已移走）", _relative(path, root)] for path in result.superseded_drafts]
    rows += [[styled("无法生成邮件", "yellow"), f"{item.to_name or item.section}：{item.problem}"] for item in result.unsendable]
    return rows


def print_month(result: MonthlyResult, root: Path, *, wide: bool = False) -> None:
    """The closing tables: returns per project with lights, then where the files are."""
    title = f"{result.period.label} 报送与预警情况（截止 {result.status.deadline:%Y-%m-%d}）"
    console.print(fitted_table(title, _MONTH_COLUMNS, _month_rows(result), wide=wide))
    console.print(_totals_line(result.reports.summary_json), highlight=False)
    files = (Column("内容"), Column("位置", wrap=True, fit=30))
    console.print(fitted_table("输出文件", files, _file_rows(result, root), wide=wide))
    report_collect_aftermath(result.collected)


def month_json(result: MonthlyResult) -> dict[str, object]:
    """``run --json``: one object for the run. ``projects`` are ``status --json``'s entries with the
    project's name and, from ``consolidate --json``, its light, rates and money (null when no valid
    return counts); ``totals`` and ``time_progress`` are ``consolidate --json``'s; ``reports`` the files
    written by kind; ``collected`` is ``collect --json``'s object."""
    summary = result.reports.summary_json
    money = {row["code"]: row for row in summary["projects"]}
    projects = []
    for project in result.status.projects:
        figures = money.get(project.code, {})
        projects.append({
            **project.to_json(),
            "name": project.name,
            "light": figures.get("light"),
            **{key: figures.get(key) for key in ("adjusted_budget", "spend_to_date", "projected_spend",
                                                 "execution_rate", "plan_progress", "fiscal", "other")},
        })
    return {
        "period": str(result.period),
        "deadline": result.status.deadline.isoformat(),
        "complete": result.status.complete,
        "time_progress": summary["time_progress"],
        "totals": summary["totals"],
        "projects": projects,
        "reports": {kind: str(path) for kind, path in result.reports.paths().items()},
        "feedback_files": [str(p) for p in result.feedback_files],
        "feedback_drafts": [str(p) for p in result.feedback_drafts],
        "reminder_drafts": [str(p) for p in result.reminder_drafts],
        "superseded_drafts": [str(p) for p in result.superseded_drafts],
        "unsendable": [
            {"kind": m.kind, "section": m.section, "to": m.to_email, "problem": m.problem} for m in result.unsendable
        ],
        "collected": result.collected.to_json(),
    }


@click.command("run")
@period_option()
@sources_option("先从这些来源收集回执（文件夹、.eml、.msg、mbox、Maildir、.zip 或 imaps://用户@主机/文件夹），可多次指定，也可直接列在命令后。")
@workspace_option()
@click.option("--template-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), help="自定义情况说明模板（Jinja）所在目录。")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="以 JSON 输出本次运行的摘要：期间，各项目的报送状态、预警灯和执行数，合计，写出的报表，问题反馈表和邮件草稿，收集结果。",
)
@wide_option()
def run_command(
    period: Period,
    sources: tuple[str, ...],
    more_sources: tuple[str, ...],
    workspace_dir: Path | None,
    template_dir: Path | None,
    as_json: bool,
    wide: bool,
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
    if as_json:
        echo_json(month_json(result))
        report_collect_aftermath(result.collected, json_on_stdout=True)
    else:
        print_month(result, ws.root, wide=wide)
    sys.exit(result.exit_code)


COMMANDS: list[click.Command] = [run_command]
