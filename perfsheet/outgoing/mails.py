"""The messages the office sends, built from the roster and the ledger without sending anything.

:func:`prepare_send` (templates to each chief), :func:`prepare_reminders` (to chiefs whose returns
are missing or still have errors) and :func:`prepare_feedback_mail` (the feedback workbook of each
return that still stands with problems). All follow the ledger: a return corrected since no longer
gets a reminder or a feedback mail. The chief named in ``perfsheet.yaml`` is greeted and addressed;
the person who actually sent a return is copied when that is someone else.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from perfsheet.ingest.feedback import write_feedback
from perfsheet.labels import FORM_MONTHLY, FORM_YEAR_END, LIGHT_LABELS, actual_label, form_short, spend_label
from perfsheet.ledger.status import PeriodStatus, ProjectStatus
from perfsheet.ledger.store import INVALID, VALID, FileRow
from perfsheet.mail.names import safe_filename
from perfsheet.model import Department, Period, Project, Section, Severity
from perfsheet.outgoing.templates import template_bytes
from perfsheet.rules import GREEN, RED, YELLOW
from perfsheet.workspace import Workspace, open_ledger, period_status

__all__ = [
    "KIND_LABEL",
    "Kind",
    "OutgoingMail",
    "current_feedback_files",
    "due_after_reminder",
    "feedback_file",
    "prepare_feedback_mail",
    "prepare_reminders",
    "prepare_send",
]

Kind = Literal["send", "remind", "feedback"]
KIND_LABEL: dict[str, str] = {"send": "模板", "remind": "催报", "feedback": "反馈"}
_MAX_ISSUES_LISTED = 8


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """One message to one person, ready to be written as a draft or sent."""

    kind: Kind
    period: str
    to_name: str
    to_email: str
    section: str
    subject: str
    body: str
    attachments: tuple[tuple[str, bytes], ...]
    projects: tuple[str, ...]  # project codes the message is about
    cc: tuple[tuple[str, str], ...] = ()  # (name, address): e.g. whoever sent the return, when not the chief
    in_reply_to: str = ""  # Message-ID of the chief's return this answers
    due: str = ""  # the date a reminder asks for (ISO): a reminder with a new due date is a new message
    problem: str = ""  # why it cannot be sent (no address in the roster); empty when fine

    @property
    def draft_name(self) -> str:
        return safe_filename(f"{KIND_LABEL[self.kind]}-{self.section or self.to_name}.eml")

    @property
    def content_key(self) -> str:
        """What makes two messages the same for the sent log: kind, period, recipients, projects,
        subject, the due date a reminder names and the attachments' bytes (not the body's date line):
        reminding again the same day is skipped, a reminder past the deadline with a new date is not."""
        digest = hashlib.sha256()
        parts = [self.kind, self.period, self.to_email, *(a for _n, a in self.cc), *self.projects, self.subject]
        if self.due:
            parts.append(self.due)  # only reminders have one, so every other key stays as it was
        for part in parts:
            digest.update(part.encode("utf-8") + b"\0")
        for name, data in self.attachments:
            digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()


# ------------------------------------------------------------------------------------------ wording


def _date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _greeting(section: Section) -> str:
    return f"{section.chief}科长：" if section.chief else f"{section.name}："


def _signature(ws: Workspace, today: dt.date) -> str:
    return f"{ws.config.department}{ws.config.office.name}\n{_date_text(today)}"


def _form(period: Period) -> str:
    """What the mail asks for: the month's 监控表, or the year-end form of the self-evaluation."""
    return f"{period.label}{FORM_YEAR_END}" if period.year_end else f"{period.label}预算{FORM_MONTHLY}"


def _fill_instructions(ws: Workspace, period: Period, due: dt.date) -> list[str]:
    """What to type, in the form's own words: the two money rows (财政资金 is computed), the budget
    explanation's own cell, and the indicators only in a month that asks them (the year-end form: the
    final values and the explanations the 自评表 prints)."""
    what, explain = _year_end_asks() if period.year_end else _monthly_asks(ws, period)
    return [
        "填写要求：",
        f"1. {what}",
        "2. 金额单位为万元；百分比指标填写 95 或 95% 均可；",
        f"3. {explain}",
        "4. 请勿修改灰色锁定单元格和表格结构，保持文件格式不变，填好后直接回复本邮件并附上表格。",
        "",
        f"报送期限：{_date_text(due)}前。",
        f"如有疑问，请联系{ws.config.office.contact_line}。",
    ]


def _year_end_asks() -> tuple[str, str]:
    return (
        "本表用于年度绩效自评，请填写全年最终数：“年度资金总额”和“其他资金”两行的全年预算数和全年执行数（“财政资金”行"
        "自动计算），年度总体目标实际完成情况，以及每项绩效指标的实际完成值；",
        "全年预算未执行完时，请在“预算执行偏差原因及改进措施”中说明原因；指标实际完成值未达到或远超指标值时，"
        "请填写该指标的偏差原因分析及改进措施；",
    )


def _monthly_asks(ws: Workspace, period: Period) -> tuple[str, str]:
    rules = ws.config.monitoring
    asks = rules.asks_indicators(period)
    lights = "、".join(LIGHT_LABELS[light] for light in (RED, YELLOW, GREEN) if light in rules.budget_explanation_lights)
    indicators = (f"，以及每项绩效指标的{actual_label(period)}、全年预计完成值、完成目标可能性和偏差原因；" if asks
                  else "；本月只报预算执行，不填绩效指标；")
    slow = f"预算执行为{lights}或尚未支出时" if lights else "尚未支出时"
    return (
        f"请在浅黄色单元格中填写“年度资金总额”和“其他资金”两行的调整后预算数、{spend_label(period)}和"
        f"全年预计执行数（“财政资金”行自动计算，没有其他资金的已预填0），目标完成情况{indicators}",
        f"{slow}，请在“预算执行偏差原因及改进措施”中说明原因和措施"
        + ("；完成目标可能性不是“确定能”或偏差原因不是“无偏差”时，请填写该指标的原因说明及改进措施；" if asks else "；"),
    )


def _mail(
    kind: Kind,
    period: Period,
    section: Section,
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, bytes]],
    projects: Sequence[Project],
    *,
    cc: Sequence[tuple[str, str]] = (),
    in_reply_to: str = "",
    due: dt.date | None = None,
) -> OutgoingMail:
    return OutgoingMail(
        kind=kind,
        period=str(period),
        to_name=section.chief,
        to_email=section.email,
        section=section.name,
        subject=subject,
        body=body,
        attachments=tuple(attachments),
        projects=tuple(p.code for p in projects),
        cc=tuple(cc),
        in_reply_to=in_reply_to,
        due=due.isoformat() if due else "",
        problem="" if section.email else f"{section.name}没有邮箱地址，请在 perfsheet.yaml 的 sections 中填写",
    )


# ------------------------------------------------------------------------------------------ send


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
            f"您好！现将{_form(period)}发给您，请组织填写{section.name}负责的"
            f"{len(projects)}张{form_short(period.year_end)}（每张一个附件）：",
            *(f"  {n}. {p.name}" + ("（部门整体目标）" if p.overall else f"（项目编码 {p.code}）")
              for n, p in enumerate(projects, start=1)),
            *_provider_lines(department, projects),
            "",
            *_fill_instructions(ws, period, ws.config.deadline(period)),
            "",
            "谢谢！",
            "",
            _signature(ws, today),
        ]
        subject = f"【请填报】{_form(period)}（{section.name}）"
        attachments = template_bytes(ws, period, projects)
        cc = _provider_copies(department, projects, section)
        out.append(_mail("send", period, section, subject, "\n".join(lines), attachments, projects, cc=cc))
    return out


def _providers(department: Department, projects: Sequence[Project]) -> list[tuple[str, Section]]:
    """(target, section) for each department-wide target whose figures another section provides,
    when ``projects`` hold the 部门整体 form (perfsheet.yaml ``overall_targets``)."""
    if not any(p.overall for p in projects):
        return []
    return [(target, department.section(name) or Section(name)) for target, name in department.target_sections]


def _provider_lines(department: Department, projects: Sequence[Project]) -> list[str]:
    providers = _providers(department, projects)
    if not providers:
        return []
    lines = ["", "部门整体目标中以下各项的数据请向提供科室收集后填写（本邮件同时发给这些科长）："]
    for target, section in providers:
        chief = f"，{section.chief}科长" if section.chief else ""
        lines.append(f"  · {target}：{section.name}{chief}")
    return lines


def _provider_copies(department: Department, projects: Sequence[Project], to: Section) -> tuple[tuple[str, str], ...]:
    """The chiefs who provide the 部门整体 figures, copied on its mail (each once, never the recipient)."""
    copies: dict[str, str] = {}
    for _target, section in _providers(department, projects):
        if section.email and section.email != to.email:
            copies.setdefault(section.email, section.chief or section.name)
    return tuple((name, address) for address, name in copies.items())


# ------------------------------------------------------------------------------------------ remind


def due_after_reminder(ws: Workspace, period: Period, today: dt.date) -> dt.date:
    """The date a reminder asks for: the deadline, or ``grace_days`` from today once it has passed."""
    deadline = ws.config.deadline(period)
    return deadline if today <= deadline else today + dt.timedelta(days=ws.config.grace_days)


def _why(status: ProjectStatus, has_feedback: bool) -> list[str]:
    if status.status == "missing":
        return ["    尚未收到报表。"]
    received = status.received.strftime("%Y-%m-%d %H:%M") if status.received else "时间不详"
    lines = [f"    收到的表格“{status.file}”（{received}）有 {status.errors} 处错误，需要修改后重新报送："]
    errors = [i for i in status.issues if i.severity is Severity.ERROR]
    for issue in errors[:_MAX_ISSUES_LISTED]:
        lines.append(f"    - {issue.message}")
    if len(errors) > _MAX_ISSUES_LISTED:
        lines.append(f"    - ……另有 {len(errors) - _MAX_ISSUES_LISTED} 处，详见反馈表。")
    if has_feedback:
        lines.append("    附件中的问题反馈表已标出这些单元格，可直接在其中修改后回复。")
    return lines


def prepare_reminders(ws: Workspace, period: Period, *, today: dt.date | None = None) -> list[OutgoingMail]:
    """A reminder per chief whose returns are missing or still have errors, listing which and why.

    A missing return gets its blank template again; a return with errors gets its feedback workbook
    (the chief corrects that file). After the deadline the reminder names a new due date.
    """
    today = today or dt.date.today()
    department = ws.department
    status = period_status(ws, period, today=today)
    feedback = _feedback_for(ws, period, status)
    due = due_after_reminder(ws, period, today)
    out: list[OutgoingMail] = []
    for section in department.sections:
        open_items = [p for p in status.projects if p.section == section.name and p.status != VALID]
        if not open_items:
            continue
        projects = [department.project(p.code) for p in open_items]
        overdue = today > status.deadline
        head = "已超过报送期限" if overdue else "即将到报送期限"
        lines = [_greeting(section), "", f"您好！{_form(period)}{head}，{section.name}以下项目尚未完成报送："]
        attachments: list[tuple[str, bytes]] = []
        for n, (item, project) in enumerate(zip(open_items, projects, strict=True), start=1):
            lines.append(f"  {n}. {project.name}（项目编码 {project.code}）")
            path = feedback.get(project.code)
            lines.extend(_why(item, path is not None))
            if path is not None:
                attachments.append((path.name, path.read_bytes()))
            else:
                attachments.extend(template_bytes(ws, period, [project]))
        lines.append("")
        if overdue:
            lines.append(f"原报送期限 {_date_text(status.deadline)} 已过，请于 {_date_text(due)} 前报送。")
        lines += [
            "附件为需要填写或修改的表格，请填写后直接回复本邮件。",
            "",
            *_fill_instructions(ws, period, due),
            "",
            _signature(ws, today),
        ]
        subject = f"【催报】{_form(period)}（{section.name}）"
        replied = next((p.message_id for p in open_items if p.message_id), "")
        out.append(
            _mail("remind", period, section, subject, "\n".join(lines), attachments, projects,
                  in_reply_to=replied, due=due)
        )
    return out


# ------------------------------------------------------------------------------------------ feedback


def feedback_file(ws: Workspace, period: Period, row: FileRow) -> Path | None:
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
        ws.department, submission, row.issues, path, raw_values=row.raw_values(), period=period, root=ws.root,
        rules=ws.config.monitoring, thresholds=ws.config.thresholds,
    )


def _standing_with_problems(status: PeriodStatus) -> list[ProjectStatus]:
    """The returns that stand for their project and still have errors, or pass with warnings."""
    return [
        p for p in status.projects
        if p.sha256 and (p.status == INVALID or (p.status == VALID and p.warnings))
    ]


def _feedback_for(ws: Workspace, period: Period, status: PeriodStatus) -> dict[str, Path]:
    """Project code → the feedback workbook of its standing return with problems."""
    wanted = _standing_with_problems(status)
    out: dict[str, Path] = {}
    with open_ledger(ws) as ledger:
        rows = {p.code: ledger.get(p.sha256 or "") for p in wanted}
    for code, row in rows.items():
        path = feedback_file(ws, period, row) if row is not None else None
        if path is not None:
            out[code] = path
    return out


def current_feedback_files(ws: Workspace, period: Period, *, today: dt.date | None = None) -> list[Path]:
    """The feedback workbooks that belong to returns still standing with problems (what run lists)."""
    return sorted(_feedback_for(ws, period, period_status(ws, period, today=today)).values())


def prepare_feedback_mail(ws: Workspace, period: Period, *, today: dt.date | None = None) -> list[OutgoingMail]:
    """The feedback workbook of each return that still stands with problems, to the section's chief.

    Addressed to the chief named in ``perfsheet.yaml`` for the project's section; the person who sent
    the return is copied when that is someone else, and is the recipient when the roster has no
    address. It answers the chief's message (In-Reply-To) when the return came by mail.
    """
    today = today or dt.date.today()
    department = ws.department
    status = period_status(ws, period, today=today)
    files = _feedback_for(ws, period, status)
    with open_ledger(ws) as ledger:
        senders = {p.code: ledger.senders(p.sha256 or "") for p in _standing_with_problems(status)}
    out: list[OutgoingMail] = []
    for item in _standing_with_problems(status):
        project = department.project(item.code)
        path = files.get(item.code)
        sender_name, sender_address = next(
            ((n, a) for n, a in (email.utils.parseaddr(s) for s in senders.get(item.code, [])) if a), ("", "")
        )
        roster = department.section(project.section or "") or Section(name=project.section or "")
        section = roster if roster.email else Section(roster.name, chief=sender_name, email=sender_address)
        cc = [(sender_name, sender_address)] if sender_address and sender_address != section.email else []
        verdict = (
            f"有 {item.errors} 处错误，需要修改后重新报送"
            if item.status == INVALID
            else f"已通过，另有 {item.warnings} 处提示请核对"
        )
        lines = [
            _greeting(section),
            "",
            f"您好！{section.name}报送的{period.label}{form_short(period.year_end)}“{item.file}”（{project.name}）{verdict}。",
            "附件反馈表中，有问题的单元格已标红（提示为橙色）并附批注，第一页“问题清单”逐条列出。",
            "可直接在反馈表中修改后回复本邮件。",
            "",
            f"如有疑问，请联系{ws.config.office.contact_line}。",
            "",
            _signature(ws, today),
        ]
        attachments = [(path.name, path.read_bytes())] if path is not None else []
        mail_item = _mail("feedback", period, section, f"【反馈】{period.label}{form_short(period.year_end)}：{project.name}",
                          "\n".join(lines), attachments, [project], cc=cc, in_reply_to=item.message_id or "")
        if not section.email:
            mail_item = _without_address(mail_item, roster.name)
        out.append(mail_item)
    return out


def _without_address(item: OutgoingMail, section: str) -> OutgoingMail:
    return replace(item, problem=f"{section or '该科室'}在 perfsheet.yaml 中没有邮箱，报送人的邮箱也未知")
