"""``perfsheet collect / status``: the answers in, to the archive and the ledger, and what is missing.

Thin: parse options → one library call (:mod:`perfsheet.collect`, :mod:`perfsheet.ledger`) → a rich
table or JSON → exit code. The IMAP password comes from an environment variable or a hidden prompt,
never from an option (command lines end up in shell history and ``ps``). Nothing here writes a
workbook, so neither command loads xlsxwriter or pandas (``tests/test_cli_startup.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from perfsheet.collect import INGEST_STEP, CollectResult, collect, stale_rows
from perfsheet.errors import UsageError
from perfsheet.labels import FILE_STATUS_LABELS, STATUS_LABELS
from perfsheet.ledger.status import PeriodStatus
from perfsheet.model import Period
from perfsheet.rules import require_goals_year
from perfsheet.workspace import Workspace, period_status

from ._common import (
    IMAP_PASSWORD_ENV,
    Cell,
    Column,
    all_sources,
    console,
    console_err,
    echo_json,
    fitted_table,
    note_stale_ledger,
    password_from_env_or_prompt,
    period_option,
    report_collect_aftermath,
    sources_option,
    styled,
    wide_option,
    workspace_option,
)

__all__ = ["COMMANDS"]


def _parse_since(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since 应为日期（年-月-日），例如 2025-07-01，收到：{text}") from None


@click.command("collect")
@period_option()
@sources_option("来源（可多次指定，也可直接列在命令后）：文件夹、.eml、.msg、mbox、Maildir、.zip 或 imaps://用户名@服务器[:端口]/文件夹。")
@workspace_option()
@click.option("--since", default=None, metavar="年-月-日", help="只读取该日期以后收到的邮件。")
@click.option("--unseen", is_flag=True, help="只读取未读邮件（IMAP、Maildir）。")
@click.option("--mark-seen", is_flag=True, help="读取后把邮件标为已读（缺省不改动邮箱）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出收集结果。")
@wide_option()
def collect_command(
    period: Period,
    sources: tuple[str, ...],
    more_sources: tuple[str, ...],
    workspace_dir: Path | None,
    since: str | None,
    unseen: bool,
    mark_seen: bool,
    as_json: bool,
    wide: bool,
) -> None:
    """从邮箱或文件夹收集回报的表格：先按内容哈希原样归档，再登记台账、校验，并复制到 inbox/<期间>/。

    来源可用 --from 指定，也可直接列在命令后，例如 perfsheet collect --period 2025-06 收件箱/*.eml。
    IMAP 密码从环境变量 PERFSHEET_IMAP_PASSWORD 读取或在提示时输入；邮箱只读，
    不删除也不标记邮件（除非 --mark-seen）。重复运行不会重复登记。
    """
    sources = all_sources(sources, more_sources, required=True)
    since_date = _parse_since(since)
    ws = Workspace.open(workspace_dir)
    require_goals_year(ws.department, period)
    password = None
    if any(s.lower().startswith(("imap://", "imaps://")) for s in sources):
        password = password_from_env_or_prompt(IMAP_PASSWORD_ENV, "IMAP 邮箱密码")
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console_err,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("收集邮件", total=None)

        def report(source: str, done: int, total: int | None) -> None:
            label = source if source == INGEST_STEP else f"读取 {_short(source)}"
            progress.update(task, description=label, completed=done, total=total)

        result = collect(
            ws,
            period,
            sources,
            since=since_date,
            unseen_only=unseen,
            mark_seen=mark_seen,
            password=password,
            progress=report,
        )
    if as_json:
        echo_json(result.to_json())
    else:
        _render_collect(result, {p.code: p.name for p in ws.department.projects}, wide)
    bad = [f for f in result.files if f.status != "valid"]
    if bad or result.failures or result.unreadable:
        raise SystemExit(1)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def _render_collect(result: CollectResult, names: dict[str, str], wide: bool) -> None:
    columns = [
        Column("文件", wrap=True),
        Column("项目", wrap=True),
        Column("状态"),
        Column("错误", justify="right"),
        Column("提示", justify="right"),
        Column("发件人", priority=2, wrap=True),
        Column("收到时间", priority=2),
        Column("期间", priority=3),
        Column("新文件", priority=3),
    ]
    rows: list[list[Cell]] = []
    for f in result.files:
        style = {"valid": "green", "invalid": "red", "rejected": "yellow"}.get(f.status, "")
        label = FILE_STATUS_LABELS.get(f.status, f.status)
        rows.append([
            f.name,
            names.get(f.project or "", f.project or "—"),
            styled(label, style) if style else label,
            str(f.errors),
            str(f.warnings),
            f.sender,
            f.received.strftime("%m-%d %H:%M") if f.received else "",
            f.period,
            "是" if f.new else "否（已收集过）",
        ])
    table = fitted_table(f"{result.period.label}收集结果", columns, rows, wide=wide)
    console.print(table)
    for skipped in result.skipped:
        console.print(f"跳过：{skipped.name}（{skipped.reason}；邮件“{skipped.subject}”）")
    console.print(
        f"共读取 {result.messages} 封邮件/文件，表格 {len(result.files)} 个，其中新文件 {len(result.new_files)} 个。"
    )
    report_collect_aftermath(result)


@click.command("status")
@period_option()
@workspace_option()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@wide_option()
def status_command(period: Period, workspace_dir: Path | None, as_json: bool, wide: bool) -> None:
    """查看本期各项目的报送情况：未报送、有错误、已通过，是否逾期，以及计入汇总的文件。"""
    ws = Workspace.open(workspace_dir)
    require_goals_year(ws.department, period)
    status = period_status(ws, period)
    note_stale_ledger(stale_rows(ws), period)
    if as_json:
        echo_json(status.to_json())
    else:
        _render_status(status, wide)
    if not status.complete:
        raise SystemExit(1)


def _render_status(status: PeriodStatus, wide: bool) -> None:
    deadline = status.deadline
    # Who has not sent, whose return has errors, who is late (in 状态) show first; times and notices
    # give way before a name would wrap.
    columns = [
        Column("项目", wrap=True),
        Column("状态"),
        Column("收到时间", priority=2),
        Column("错误", justify="right"),
        Column("提示", priority=2, justify="right"),
        Column("科室", priority=2, wrap=True),
        Column("科长", priority=2),
        Column("文件", priority=3, wrap=True),
        Column("项目编码", priority=3),
    ]
    rows: list[list[Cell]] = []
    for p in status.projects:
        style = {"valid": "green", "invalid": "red", "missing": "yellow"}[p.status]
        counted = p.status != "missing"
        rows.append([
            p.name,
            styled(p.label, style),
            p.received.strftime("%m-%d %H:%M") if p.received else "",
            str(p.errors) if counted else "",
            str(p.warnings) if counted else "",
            p.section,
            p.chief,
            p.file or "",
            p.code,
        ])
    title = f"{status.period.label}报送情况（截止 {deadline.year}年{deadline.month}月{deadline.day}日）"
    table = fitted_table(title, columns, rows, wide=wide)
    console.print(table)
    counts = "，".join(f"{label} {status.count(key)} 个" for key, label in STATUS_LABELS.items())
    console.print(f"共 {len(status.projects)} 个项目：{counts}。")
    if status.unassigned:
        names = "、".join(r.name for r in status.unassigned)
        console.print(f"另收到 {len(status.unassigned)} 个无法归属项目的文件：{names}")


COMMANDS: list[click.Command] = [collect_command, status_command]
