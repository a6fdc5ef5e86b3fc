"""What the office sends (发送/催报/反馈): the period's templates, mail to section chiefs, reminders,
feedback to senders.

:func:`write_period_templates` is the one way a workspace's templates are made (``perfsheet
templates`` and ``perfsheet send`` write the same bytes). Each ``prepare_*`` function builds one
message per recipient from the workspace (roster, ledger, templates) without sending anything;
feedback workbooks are made from what the ledger holds, never by reading the return again.
:func:`deliver` then either writes the messages as .eml drafts to ``outbox/<period>/mail/`` (a person
can open and send them from their own client) or sends them over SMTP.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from perfsheet.errors import UsageError
from perfsheet.ingest.feedback import write_feedback
from perfsheet.ledger.status import ProjectStatus
from perfsheet.ledger.store import INVALID, VALID, FileRow
from perfsheet.mail import compose
from perfsheet.mail.names import safe_filename
from perfsheet.model import Period, Project, Section, Severity
from perfsheet.template.build import template_filename, write_templates
from perfsheet.workspace import Workspace, open_ledger, period_status

__all__ = [
    "DeliveryResult",
    "OutgoingMail",
    "SmtpSettings",
    "deliver",
    "prepare_feedback_mail",
    "prepare_reminders",
    "prepare_send",
    "write_period_templates",
]

Kind = Literal["send", "remind", "feedback"]
_KIND_LABEL = {"send": "模板", "remind": "催报", "feedback": "反馈"}
_MAX_ISSUES_LISTED = 8


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """One message to one person, ready to be written as a draft or sent."""

    kind: Kind
    to_name: str
    to_email: str
    section: str
    subject: str
    body: str
    attachments: tuple[tuple[str, bytes], ...]
    projects: tuple[str, ...]  # project codes the message is about
    problem: str = ""  # why it cannot be sent (no e-mail address in the roster); empty when fine

    @property
    def draft_name(self) -> str:
        return safe_filename(f"{_KIND_LABEL[self.kind]}-{self.section or self.to_name}.eml")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: Literal["none", "starttls", "ssl"] = "starttls"
    user: str | None = None


@dataclass(slots=True)
class DeliveryResult:
    mails: list[OutgoingMail] = field(default_factory=list)
    drafts: list[Path] = field(default_factory=list)  # .eml files written
    sent: list[str] = field(default_factory=list)  # Message-IDs sent over SMTP
    unsendable: list[OutgoingMail] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ building


def _sender(ws: Workspace) -> str:
    office = ws.config.office
    address = office.email or "perfsheet@localhost"
    name = f"{ws.config.department}{office.name}" if ws.config.department else office.name
    return email.utils.formataddr((name, address)) if name else address


def _contact_line(ws: Workspace) -> str:
    return ws.config.office.contact_line


def _deadline_text(ws: Workspace, period: Period) -> str:
    deadline = ws.config.deadline(period)
    return f"{deadline.year}年{deadline.month}月{deadline.day}日"


def _greeting(section: Section) -> str:
    return f"{section.chief}科长：" if section.chief else f"{section.name}："


def _signature(ws: Workspace, today: dt.date) -> str:
    return f"{ws.config.department}{ws.config.office.name}\n{today.year}年{today.month}月{today.day}日"


def _fill_instructions(ws: Workspace, period: Period) -> list[str]:
    return [
        "填写要求：",
        f"1. 请在浅黄色单元格中填写调整后预算数、{period.months_label}执行数、全年预计执行数、目标完成情况，"
        "以及每项绩效指标的截至本月完成值、全年预计完成值、完成目标可能性和偏差原因；",
        "2. 金额单位为万元；百分比指标填写 95 或 95% 均可；",
        "3. 完成目标可能性不是“确定能”、偏差原因不是“无偏差”或执行进度明显滞后时，请填写原因说明及改进措施；",
        "4. 请勿修改灰色锁定单元格和表格结构，保持文件格式不变，填好后直接回复本邮件并附上表格。",
        "",
        f"报送期限：{_deadline_text(ws, period)}前。",
        f"如有疑问，请联系{_contact_line(ws)}。",
    ]


def write_period_templates(
    ws: Workspace,
    period: Period,
    *,
    out_dir: Path | None = None,
    project: str | None = None,
    section: str | None = None,
    password: str | None = None,
) -> list[Path]:
    """The workspace's templates of ``period`` (default into ``outbox/<period>/templates/``), with the
    office's contact line and the workspace's deadline: what ``perfsheet templates`` writes and what
    ``perfsheet send`` attaches."""
    return write_templates(
        ws.department,
        period,
        out_dir if out_dir is not None else ws.templates_dir(period),
        project=project,
        section=section,
        password=password,
        office_contact=_contact_line(ws),
        deadline=ws.config.deadline(period),
    )


def _template_bytes(ws: Workspace, period: Period, projects: Sequence[Project]) -> list[tuple[str, bytes]]:
    """The templates of ``projects``, generated into ``outbox/<period>/templates/`` when missing."""
    folder = ws.templates_dir(period)
    department = ws.department
    wanted = [(p, folder / template_filename(department, p, period)) for p in projects]
    for p, path in wanted:
        if not path.is_file():
            write_period_templates(ws, period, project=p.code)
    return [(path.name, path.read_bytes()) for _p, path in wanted]


def _mail(
    kind: Kind,
    section: Section,
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, bytes]],
    projects: Sequence[Project],
) -> OutgoingMail:
    return OutgoingMail(
        kind=kind,
        to_name=section.chief,
        to_email=section.email,
        section=section.name,
        subject=subject,
        body=body,
        attachments=tuple(attachments),
        projects=tuple(p.code for p in projects),
        problem=""
        if section.email
        else f"{section.name}没有邮箱地址，请在 perfsheet.yaml 的 sections 中填写",
    )


def prepare_send(ws: Workspace, period: Period, *, today: dt.date | None = None) -> list[OutgoingMail]:
    """One message per section chief with the templates of the section's projects attached."""
    today = today or dt.date.today()
    department = ws.department
    out: list[OutgoingMail] = []
    for section in department.sections:
        projects = department.projects_of(section.name)
        if not projects:
            continue
        lines = [
            _greeting(section),
            "",
            f"您好！现将{period.label}预算绩效运行监控表发给您，请组织填写{section.name}负责的"
            f"{len(projects)}个项目（每个项目一个附件）：",
            *(f"  {n}. {p.name}（项目编码 {p.code}）" for n, p in enumerate(projects, start=1)),
            "",
            *_fill_instructions(ws, period),
            "",
            "谢谢！",
            "",
            _signature(ws, today),
        ]
        subject = f"【请填报】{period.label}预算绩效运行监控表（{section.name}）"
        out.append(
            _mail("send", section, subject, "\n".join(lines), _template_bytes(ws, period, projects), projects)
        )
    return out


def _why(status: ProjectStatus) -> list[str]:
    if status.status == "missing":
        return ["    尚未收到报表。"]
    received = status.received.strftime("%Y-%m-%d %H:%M") if status.received else "时间不详"
    lines = [f"    收到的表格“{status.file}”（{received}）有 {status.errors} 处错误，需要修改后重新报送："]
    errors = [i for i in status.issues if i.severity is Severity.ERROR]
    for issue in errors[:_MAX_ISSUES_LISTED]:
        lines.append(f"    - {issue.message}")
    if len(errors) > _MAX_ISSUES_LISTED:
        lines.append(f"    - ……另有 {len(errors) - _MAX_ISSUES_LISTED} 处，详见反馈表。")
    return lines


def prepare_reminders(ws: Workspace, period: Period, *, today: dt.date | None = None) -> list[OutgoingMail]:
    """A reminder per chief whose returns are missing or invalid, listing which projects and why."""
    today = today or dt.date.today()
    department = ws.department
    status = period_status(ws, period, today=today)
    out: list[OutgoingMail] = []
    for section in department.sections:
        open_items = [p for p in status.projects if p.section == section.name and p.status != VALID]
        if not open_items:
            continue
        projects = [department.project(p.code) for p in open_items]
        overdue = today > status.deadline
        lines = [
            _greeting(section),
            "",
            f"您好！{period.label}预算绩效运行监控表{'已超过报送期限' if overdue else '即将到报送期限'}，"
            f"{section.name}以下项目尚未完成报送：",
        ]
        for n, (item, project) in enumerate(zip(open_items, projects, strict=True), start=1):
            lines.append(f"  {n}. {project.name}（项目编码 {project.code}）")
            lines.extend(_why(item))
        lines += [
            "",
            "空白模板再次附上，请填写后直接回复本邮件。",
            "",
            *_fill_instructions(ws, period),
            "",
            _signature(ws, today),
        ]
        subject = f"【催报】{period.label}预算绩效运行监控表（{section.name}）"
        attachments = _template_bytes(ws, period, projects)
        out.append(_mail("remind", section, subject, "\n".join(lines), attachments, projects))
    return out


def _feedback_file(ws: Workspace, period: Period, row: FileRow) -> Path | None:
    """The feedback workbook of a ledger row, made from what the ledger holds when not there yet.

    Collect removes it whenever it ingests the row again, so an existing file is never stale.
    """
    path = ws.feedback_path(period, row.name, row.sha256)
    if path.is_file():
        return path
    submission = row.submission()
    if submission is None or not row.issues:
        return None
    return write_feedback(
        ws.department, submission, row.issues, path, raw_values=row.raw_values(), period=period
    )


def prepare_feedback_mail(
    ws: Workspace, period: Period, *, today: dt.date | None = None
) -> list[OutgoingMail]:
    """Feedback workbooks (from ``feedback/<period>/``) mailed back to whoever sent the return.

    For each project the latest return that has errors or warnings and is not superseded gets a
    feedback workbook (generated from the archived return when missing) sent to its sender.
    """
    today = today or dt.date.today()
    department = ws.department
    with open_ledger(ws) as ledger:
        rows = [r for r in ledger.rows(period) if r.project and not r.superseded]
        rows = [r for r in rows if r.status == INVALID or (r.status == VALID and r.warnings)]
        senders = {r.sha256: ledger.senders(r.sha256) for r in rows}
    out: list[OutgoingMail] = []
    for row in rows:
        project = department.find_project(row.project or "")
        if project is None:
            continue
        path = _feedback_file(ws, period, row)
        addresses = [email.utils.parseaddr(s) for s in senders.get(row.sha256, [])]
        name, address = next(((n, a) for n, a in addresses if a), ("", ""))
        verdict = (
            f"有 {row.errors} 处错误，需要修改后重新报送"
            if row.status == INVALID
            else f"已通过，另有 {row.warnings} 处提示请核对"
        )
        lines = [
            f"{name or '您好'}：",
            "",
            f"您报送的{period.label}监控表“{row.name}”（{project.name}）{verdict}。",
            "附件反馈表中，有问题的单元格已标红（提示为橙色）并附批注，第一页“问题清单”逐条列出。",
            "可直接在反馈表中修改后回复本邮件。",
            "",
            f"如有疑问，请联系{_contact_line(ws)}。",
            "",
            _signature(ws, today),
        ]
        section = Section(name=project.section or "", chief=name, email=address)
        attachments = [(path.name, path.read_bytes())] if path is not None else []
        mail_item = _mail(
            "feedback",
            section,
            f"【反馈】{period.label}监控表：{project.name}",
            "\n".join(lines),
            attachments,
            [project],
        )
        if not address:
            mail_item = replace(mail_item, problem=f"“{row.name}”的发件人邮箱未知（不是从邮件收集的）")
        out.append(mail_item)
    return out


# ------------------------------------------------------------------------------------------ delivery


def to_message(ws: Workspace, item: OutgoingMail, *, when: dt.datetime | None = None) -> EmailMessage:
    recipient = email.utils.formataddr((item.to_name, item.to_email)) if item.to_name else item.to_email
    return compose.build_message(
        sender=_sender(ws),
        to=recipient,
        subject=item.subject,
        body=item.body,
        attachments=list(item.attachments),
        date=when,
    )


def deliver(
    ws: Workspace,
    period: Period,
    mails: Sequence[OutgoingMail],
    *,
    smtp: SmtpSettings | None = None,
    password: str | None = None,
    dry_run: bool = False,
) -> DeliveryResult:
    """Write drafts to ``outbox/<period>/mail/`` (default, and with ``dry_run``) or send over SMTP."""
    result = DeliveryResult(mails=list(mails))
    ready = [m for m in mails if not m.problem]
    result.unsendable = [m for m in mails if m.problem]
    messages = [to_message(ws, m) for m in ready]
    if smtp is None or dry_run:
        folder = ws.mail_dir(period)
        for item, message in zip(ready, messages, strict=True):
            path = ws.inside(folder / item.draft_name)
            result.drafts.append(compose.write_eml(message, path))
        return result
    if smtp.user and password is None:
        raise UsageError("发送邮件需要密码：请设置环境变量 PERFSHEET_SMTP_PASSWORD 或在提示时输入")
    result.sent = compose.send_messages(
        messages, host=smtp.host, port=smtp.port, security=smtp.security, user=smtp.user, password=password
    )
    return result
