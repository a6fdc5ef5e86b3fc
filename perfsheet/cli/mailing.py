"""``perfsheet send / remind / collect / status``: the mail round trip and the ledger, as commands.

Thin: parse options → one library call (:mod:`perfsheet.dispatch`, :mod:`perfsheet.collect`,
:mod:`perfsheet.ledger`) → a rich table or JSON → exit code. Passwords come from an environment
variable or a hidden prompt, never from an option (command lines end up in shell history and ``ps``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from perfsheet.collect import INGEST_STEP, CollectResult, collect, stale_rows
from perfsheet.errors import UsageError
from perfsheet.labels import FILE_STATUS_LABELS, STATUS_LABELS
from perfsheet.ledger.status import PeriodStatus
from perfsheet.model import Period
from perfsheet.outgoing.delivery import DeliveryResult, MailOutcome, SmtpSettings, deliver
from perfsheet.outgoing.mails import (
    Kind,
    OutgoingMail,
    prepare_feedback_mail,
    prepare_reminders,
    prepare_send,
)
from perfsheet.rules import require_goals_year
from perfsheet.workspace import Workspace, period_status

from ._common import (
    IMAP_PASSWORD_ENV,
    SMTP_PASSWORD_ENV,
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
    wide_option,
    workspace_option,
)

__all__ = ["COMMANDS"]




def _smtp_settings(smtp: str | None, starttls: bool, use_ssl: bool, user: str | None) -> SmtpSettings | None:
    if smtp is None:
        if starttls or use_ssl or user:
            raise UsageError("--starttls、--ssl、--user 需要与 --smtp HOST:PORT 一起使用")
        return None
    if starttls and use_ssl:
        raise UsageError("--starttls 与 --ssl 只能选一个")
    host, sep, port_text = smtp.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"--smtp 应为 服务器:端口，例如 smtp.example.org:587，收到：{smtp}")
    security: Literal["none", "starttls", "ssl"] = "ssl" if use_ssl else "starttls" if starttls else "none"
    return SmtpSettings(host=host.strip("[]"), port=int(port_text), security=security, user=user)


def _smtp_options(func: click.decorators.FC) -> click.decorators.FC:
    options = [
        click.option(
            "--smtp", "smtp", metavar="服务器:端口", help="发信服务器；缺省只生成 .eml 草稿，不发送。"
        ),
        click.option("--starttls", is_flag=True, help="连接后用 STARTTLS 加密（常用端口 587）。"),
        click.option("--ssl", "use_ssl", is_flag=True, help="使用 SSL/TLS 直接加密连接（常用端口 465）。"),
        click.option(
            "--user",
            "user",
            default=None,
            help=f"发信账号；密码从环境变量 {SMTP_PASSWORD_ENV} 读取或在提示时输入。",
        ),
        click.option("--dry-run", is_flag=True, help="只生成 .eml 草稿到 outbox/<期间>/mail/，不发送。"),
        click.option("--json", "as_json", is_flag=True, help="以 JSON 输出每封邮件及其结果。"),
        click.option(
            "--resend",
            is_flag=True,
            help="内容相同、已经发送成功的邮件也再发一次（缺省跳过，见台账中的发送记录）。",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _deliver_and_report(
    ws: Workspace,
    period: Period,
    mails: list[OutgoingMail],
    options: _Delivery,
    kind: Kind,
    what: str,
) -> None:
    password = None
    smtp = options.smtp
    if smtp is not None and smtp.user and not options.dry_run:
        password = password_from_env_or_prompt(SMTP_PASSWORD_ENV, f"{smtp.user} 的发信密码")
    result = deliver(
        ws, period, mails, smtp=smtp, password=password, dry_run=options.dry_run, resend=options.resend, kinds=[kind]
    )
    if options.as_json:
        echo_json(_delivery_json(result))
    else:
        _render_delivery(result, what)
    if result.unsendable or result.failed:
        raise SystemExit(1)


@dataclass(frozen=True, slots=True)
class _Delivery:
    smtp: SmtpSettings | None
    dry_run: bool
    resend: bool
    as_json: bool = False


def _delivery(
    smtp: str | None, starttls: bool, use_ssl: bool, user: str | None, dry_run: bool, resend: bool, as_json: bool
) -> _Delivery:
    return _Delivery(_smtp_settings(smtp, starttls, use_ssl, user), dry_run, resend, as_json)


_SKIPPED = "已发送，跳过"


def _delivery_json(result: DeliveryResult) -> list[dict[str, object]]:
    return [
        {
            "kind": item.kind, "section": item.section, "to": item.to_email, "cc": [a for _n, a in item.cc],
            "subject": item.subject, "projects": list(item.projects),
            "attachments": [name for name, _data in item.attachments], "outcome": outcome,
            "detail": _SKIPPED if outcome == "skipped" else detail,
        }
        for item, outcome, detail in result.outcomes()
    ]


def _outcome_cell(outcome: MailOutcome, detail: str) -> str:
    if outcome == "unsendable":
        return f"[red]未发送：{detail}[/]"
    if outcome == "failed":
        return f"[red]发送失败：{detail}（下次重试）[/]"
    if outcome == "sent":
        return "[green]已发送[/]"
    if outcome == "skipped":
        return _SKIPPED
    return f"草稿 {Path(detail).name}" if detail else ""


def _render_delivery(result: DeliveryResult, what: str) -> None:
    table = Table(title=what, show_lines=False)
    for column in ("收件人", "科室", "主题", "附件", "结果"):
        table.add_column(column, overflow="fold")
    for item, outcome, detail in result.outcomes():
        recipient = f"{item.to_name} <{item.to_email}>" if item.to_name else item.to_email
        table.add_row(recipient, item.section, item.subject, str(len(item.attachments)), _outcome_cell(outcome, detail))
    console.print(table)
    if result.drafts:
        console.print(f"已生成 {len(result.drafts)} 封邮件草稿：{result.drafts[0].parent}")
    for path in result.retired:
        console.print(f"不再需要的草稿已移到：{path}")
    if result.sent:
        console.print(f"已发送 {len(result.sent)} 封邮件。")
    if result.skipped:
        console.print(f"{len(result.skipped)} 封邮件此前已发送过相同内容，已跳过（如需再发请加 --resend）。")
    if result.failed:
        console_err.print(f"[red]{len(result.failed)} 封邮件发送失败[/]，已记入台账，下次运行时重试。")
    if not result.mails:
        console.print("没有需要发送的邮件。")


@click.command("send")
@period_option()
@workspace_option()
@_smtp_options
@click.option("--feedback", is_flag=True, help="改为把反馈表（有错误或提示的回收表格）发回给报送人。")
def send_command(
    period: Period,
    workspace_dir: Path | None,
    smtp: str | None,
    starttls: bool,
    use_ssl: bool,
    user: str | None,
    dry_run: bool,
    as_json: bool,
    resend: bool,
    feedback: bool,
) -> None:
    """给各科室科长发送本期监控表模板（每个科室一封邮件，附该科室负责项目的模板）。

    缺省（或 --dry-run）把邮件草稿写到 outbox/<期间>/mail/，可在自己的邮件客户端中打开发送；
    指定 --smtp 时直接发送：内容相同、已发送成功的邮件跳过（--resend 重发），失败的下次重发；
    邮箱或电话仍是占位信息时拒绝发送。加 --feedback 改为发送问题反馈表。
    """
    options = _delivery(smtp, starttls, use_ssl, user, dry_run, resend, as_json)
    ws = Workspace.open(workspace_dir)
    require_goals_year(ws.department, period)
    if feedback:
        mails = prepare_feedback_mail(ws, period)
        _deliver_and_report(ws, period, mails, options, "feedback", f"{period.label}反馈表邮件")
    else:
        _deliver_and_report(ws, period, prepare_send(ws, period), options, "send", f"{period.label}监控表模板邮件")


@click.command("remind")
@period_option()
@workspace_option()
@_smtp_options
def remind_command(
    period: Period,
    workspace_dir: Path | None,
    smtp: str | None,
    starttls: bool,
    use_ssl: bool,
    user: str | None,
    dry_run: bool,
    as_json: bool,
    resend: bool,
) -> None:
    """给尚未报送或报送有错误的科长发送催报邮件：列出哪些项目、什么原因；未报送的附空白模板，
    有错误的附问题反馈表；已过截止日时写明新的报送期限（perfsheet.yaml 的 grace_days）。"""
    options = _delivery(smtp, starttls, use_ssl, user, dry_run, resend, as_json)
    ws = Workspace.open(workspace_dir)
    require_goals_year(ws.department, period)
    _deliver_and_report(ws, period, prepare_reminders(ws, period), options, "remind", f"{period.label}催报邮件")


def _parse_since(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since 应为日期 YYYY-MM-DD，收到：{text}") from None


@click.command("collect")
@period_option()
@sources_option("来源（可多次指定，也可直接列在命令后）：文件夹、.eml、.msg、mbox、Maildir、.zip 或 imaps://用户名@服务器[:端口]/文件夹。")
@workspace_option()
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="只读取该日期以后收到的邮件。")
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
    rows = []
    for f in result.files:
        style = {"valid": "green", "invalid": "red", "rejected": "yellow"}.get(f.status, "")
        label = FILE_STATUS_LABELS.get(f.status, f.status)
        rows.append([
            f.name,
            names.get(f.project or "", f.project or "—"),
            f"[{style}]{label}[/]" if style else label,
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
    columns = [
        Column("项目", wrap=True),
        Column("状态"),
        Column("收到时间"),
        Column("错误", justify="right"),
        Column("提示", justify="right"),
        Column("科室", priority=2, wrap=True),
        Column("科长", priority=2),
        Column("文件", priority=3, wrap=True),
        Column("项目编码", priority=3),
    ]
    rows = []
    for p in status.projects:
        style = {"valid": "green", "invalid": "red", "missing": "yellow"}[p.status]
        counted = p.status != "missing"
        rows.append([
            p.name,
            f"[{style}]{p.label}[/]",
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


COMMANDS: list[click.Command] = [send_command, remind_command, collect_command, status_command]
