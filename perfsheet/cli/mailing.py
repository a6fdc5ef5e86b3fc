"""``perfsheet send / remind``: templates, feedback and reminders out to the section chiefs.

Thin: parse options → one library call (:mod:`perfsheet.outgoing`) → a rich table or JSON → exit code.
The SMTP password comes from an environment variable or a hidden prompt, never from an option (command
lines end up in shell history and ``ps``). Collecting the answers is :mod:`perfsheet.cli.collecting`,
which stays free of the template writer these commands need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import click

from perfsheet.collect import stale_rows
from perfsheet.errors import UsageError
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
from perfsheet.workspace import Workspace

from ._common import (
    SMTP_PASSWORD_ENV,
    Cell,
    Column,
    console,
    console_err,
    echo_json,
    fitted_table,
    note_stale_ledger,
    password_from_env_or_prompt,
    period_option,
    styled,
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
        wide_option(),
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
        _render_delivery(result, what, wide=options.wide)
    if result.unsendable or result.failed:
        raise SystemExit(1)


@dataclass(frozen=True, slots=True)
class _Delivery:
    smtp: SmtpSettings | None
    dry_run: bool
    resend: bool
    as_json: bool = False
    wide: bool = False


def _delivery(
    smtp: str | None,
    starttls: bool,
    use_ssl: bool,
    user: str | None,
    dry_run: bool,
    resend: bool,
    as_json: bool,
    wide: bool,
) -> _Delivery:
    return _Delivery(_smtp_settings(smtp, starttls, use_ssl, user), dry_run, resend, as_json, wide)


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


def _outcome_cell(outcome: MailOutcome, detail: str) -> Cell:
    if outcome == "unsendable":
        return styled(f"未发送：{detail}", "red")
    if outcome == "failed":
        return styled(f"发送失败：{detail}（下次重试）", "red")
    if outcome == "sent":
        return styled("已发送", "green")
    if outcome == "skipped":
        return _SKIPPED
    return "草稿" if detail else ""


# Who gets what always shows; the address, the subject and the draft's file name give way (in that
# order of keeping) on a narrow terminal rather than break mid-word.
_COLUMNS = (
    Column("科室", wrap=True),
    Column("收件人"),
    Column("邮箱", priority=2),
    Column("主题", priority=3, wrap=True),
    Column("附件", justify="right"),
    Column("结果", wrap=True, fit=20),
    Column("草稿文件", priority=3, wrap=True),
)


def _render_delivery(result: DeliveryResult, what: str, *, wide: bool) -> None:
    rows = [
        [
            item.section or "—", item.to_name or item.to_email, item.to_email, item.subject, str(len(item.attachments)),
            _outcome_cell(outcome, detail), Path(detail).name if outcome == "draft" and detail else "",
        ]
        for item, outcome, detail in result.outcomes()
    ]
    console.print(fitted_table(what, _COLUMNS, rows, wide=wide))
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
    wide: bool,
    resend: bool,
    feedback: bool,
) -> None:
    """给各科室科长发送本期监控表模板（每个科室一封邮件，附该科室负责项目的模板）。

    缺省（或 --dry-run）把邮件草稿写到 outbox/<期间>/mail/，可在自己的邮件客户端中打开发送；
    指定 --smtp 时直接发送：内容相同、已发送成功的邮件跳过（--resend 重发），失败的下次重发；
    邮箱或电话仍是占位信息时拒绝发送。加 --feedback 改为发送问题反馈表。
    """
    options = _delivery(smtp, starttls, use_ssl, user, dry_run, resend, as_json, wide)
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
    wide: bool,
    resend: bool,
) -> None:
    """给尚未报送或报送有错误的科长发送催报邮件：列出哪些项目、什么原因；未报送的附空白模板，
    有错误的附问题反馈表；已过截止日时写明新的报送期限（perfsheet.yaml 的 grace_days）。"""
    options = _delivery(smtp, starttls, use_ssl, user, dry_run, resend, as_json, wide)
    ws = Workspace.open(workspace_dir)
    require_goals_year(ws.department, period)
    note_stale_ledger(stale_rows(ws), period)  # reminders follow the ledger as it stands: say when it lags an edit
    _deliver_and_report(ws, period, prepare_reminders(ws, period), options, "remind", f"{period.label}催报邮件")


COMMANDS: list[click.Command] = [send_command, remind_command]
