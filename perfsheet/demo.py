"""The demo: one whole monthly cycle on the embedded 2025 default, with simulated section chiefs.

``perfsheet demo`` creates a workspace, writes the templates and the mail drafts that send them, lets a
deterministic "filler" play the section chiefs (realistic returns as reply mail in an mbox: two earlier
months on track; this month some projects lag, one return has mistakes, one chief does not reply and
one replies late), then runs the month exactly as a clerk would: collect from the mbox, check,
consolidate, write the summary workbook, the narrative, feedback files and reminder drafts.
Everything is derived from the registry and the period, so two runs give the same files.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from email.headerregistry import Address
from pathlib import Path

from perfsheet.errors import UsageError
from perfsheet.form.fields import Kind, indicator_value_kind
from perfsheet.mail import compose
from perfsheet.model import Department, Indicator, Op, Period, Project, Section
from perfsheet.monthly import MonthlyResult, StepCallback, run_month
from perfsheet.outgoing.delivery import deliver
from perfsheet.outgoing.mails import prepare_send
from perfsheet.template.build import build_template, fill_template, template_filename
from perfsheet.workspace import Workspace, init_workspace

__all__ = ["DEMO_PERIOD", "DemoResult", "run_demo", "simulated_values"]

DEMO_PERIOD = Period(2025, 6)
CHINA = dt.timezone(dt.timedelta(hours=8))

# The story of the demo month (by project code, 2025 default registry).
SILENT_SECTION = "执法监督和复议应诉科"  # this chief does not reply this month
LATE_SECTION = "社区矫正管理科"  # replies after the deadline
LAGGING = {  # project → share of 序时进度 actually spent this month
    "13020225P00815910002F": Decimal("0.40"),  # 招商引资: red
    "13020225P008154100023": Decimal("0.74"),  # 政府法律顾问费: yellow
}
WITH_MISTAKES = "13020225P009080100019"  # 省级公检法司转移支付（法律援助）: typed badly
AT_RISK = {  # (project, indicator 三级 name) → (likelihood, deviation, explanation, projection share)
    ("13020225P00815910002F", "联系企业数量"): (
        "完全不可能",
        "其他",
        "受外部招商环境影响，上半年未能对接到意向企业，预计全年难以完成。",
        Decimal(0),
    ),
    ("13020225P008925100021", "普法宣传对象满意度"): (
        "有可能",
        "人员保障",
        "矫正工作人员调整，宣传活动场次减少；下半年将补充人员并增加入户宣传。",
        Decimal("0.97"),
    ),
}
LAG_EXPLANATIONS = {
    "13020225P00815910002F": "招商活动集中安排在下半年，上半年仅支付联络费用；已制定三季度支出计划，确保年底前执行到位。",
    "13020225P008154100023": "法律顾问费按合同分两次支付，第二笔待年中考核后支付，预计8月完成。",
}


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Where the demo put everything."""

    out_dir: Path
    workspace: Workspace
    mailbox: Path
    templates: list[Path]
    send_drafts: list[Path]
    month: MonthlyResult


def _q(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _indicator_values(indicator: Indicator, month: int, project: Project, spend: Decimal) -> dict[str, object]:
    """Plausible, on-track values for one indicator at the end of ``month``."""
    target = indicator.target
    share = Decimal(month) / Decimal(12)
    kind = indicator_value_kind(target)
    if kind is Kind.QUALITATIVE or target.value is None:
        actual: object = "达成"
        projection: object = "达成"
    else:
        value = target.value
        if target.unit == "万元":
            # Cost control (项目预算控制数 ≤ N万元): spent so far against the ceiling.
            actual, projection = _q(min(spend, value)), _q(value)
        elif target.op in (Op.LE, Op.LT):
            actual = projection = _q(value * Decimal("0.8")) if value else Decimal(0)
        elif kind is Kind.PERCENT:
            actual = projection = min(value, Decimal(100))
        else:
            projection = value
            actual = value * share
        if kind is Kind.COUNT:
            actual = int(Decimal(str(actual)).to_integral_value(rounding=ROUND_HALF_UP))
            projection = int(Decimal(str(projection)).to_integral_value(rounding=ROUND_HALF_UP))
    return {"actual": actual, "projection": projection, "likelihood": "确定能", "deviation": "无偏差"}


def simulated_values(project: Project, section: Section | None, period: Period, *, story: bool) -> dict[str, object]:
    """The field values a chief types into ``project``'s return for ``period``.

    With ``story`` the demo month's events apply (lagging spend, indicators at risk, a mistaken return).
    """
    plan = project.plan_progress(period.month) / Decimal(100)
    spend = _q(project.budget * plan * (LAGGING.get(project.code, Decimal(1)) if story else Decimal(1)))
    lagging = story and project.code in LAGGING
    values: dict[str, object] = {
        "budget.adjusted": project.budget,
        "spend.to_date": spend,
        "spend.projected": project.budget,
        "goal.progress": f"截至{period.month}月底，{project.name}按计划推进，各项工作有序开展。",
        "contact.name": section.chief if section else "",
        "contact.phone": "0315-2881" + f"{abs(hash_code(project.code)) % 1000:03d}",
        "contact.date": period.last_day + dt.timedelta(days=3),
        "contact.head": section.chief if section else "",
    }
    if project.overall:
        # The 部门整体 form asks no money: consolidation sums the projects' returns.
        for key in ("budget.adjusted", "spend.to_date", "spend.projected"):
            del values[key]
        values["goal.progress"] = f"截至{period.month}月底，部门整体绩效目标按计划推进。"
    if lagging:
        # A red or yellow budget light asks for 预算执行偏差原因及改进措施 (its own cell, DESIGN.md §3).
        values["budget.explanation"] = LAG_EXPLANATIONS[project.code]
    for indicator in project.indicators:
        n = indicator.n
        row = _indicator_values(indicator, period.month, project, spend)
        risk = AT_RISK.get((project.code, indicator.name)) if story else None
        if risk is not None:
            likelihood, deviation, explanation, share = risk
            row.update(likelihood=likelihood, deviation=deviation, explanation=explanation)
            if indicator.target.value is not None:
                projected = indicator.target.value * share
                actual = projected * Decimal(period.month) / Decimal(12)
                if indicator_value_kind(indicator.target) is Kind.COUNT:
                    row.update(actual=int(actual), projection=int(projected))
                else:
                    row.update(actual=_q(actual, 1), projection=_q(projected, 1))
        for key, value in row.items():
            values[f"ind.{n}.{key}"] = value
    if story and project.code == WITH_MISTAKES:
        values["spend.to_date"] = "3.5万元"  # more than the 3.00 万元 budget
        values["ind.1.likelihood"] = "能"  # not in the list (确定能 was meant)
        values["contact.phone"] = "2881"  # too short
    return values


def hash_code(text: str) -> int:
    """A small stable hash (Python's hash() is salted per process)."""
    value = 0
    for char in text:
        value = (value * 131 + ord(char)) % 1_000_003
    return value


def _reply_time(period: Period, section_index: int, late: bool) -> dt.datetime:
    deadline_month = period.next()
    day = 14 if late else 3 + section_index
    return dt.datetime(deadline_month.year, deadline_month.month, day, 9 + section_index, 30, tzinfo=CHINA)


def _reply(
    department: Department,
    section: Section,
    projects: list[Project],
    period: Period,
    *,
    story: bool,
    when: dt.datetime,
    office_email: str,
) -> bytes:
    attachments: list[tuple[str, bytes]] = []
    for project in projects:
        template = build_template(department, project, period)
        values = simulated_values(project, section, period, story=story)
        attachments.append((template_filename(department, project, period), fill_template(template, values)))
    message = compose.build_message(
        sender=Address(display_name=section.chief, addr_spec=section.email),
        to=office_email,
        subject=f"回复：{period.label}预算绩效运行监控表（{section.name}）",
        body=f"您好：\n\n附件是{section.name}{period.label}的绩效运行监控表，请查收。\n\n{section.chief}\n",
        attachments=attachments,
        date=when,
        message_id=f"<demo-{period}-{hash_code(section.name)}@lunan-sfj.example>",
    )
    return compose.message_bytes(message)


DEMO_MARKER = ".perfsheet-demo"  # written into the demo's folder: this folder may be recreated
_DEMO_MAILBOX = Path("mailbox") / "办公室收件箱.mbox"


def _check_demo_folder(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"{out} 是一个文件，不是文件夹；请为演示指定一个空文件夹，例如 --out perfsheet-demo")
    children = {p.name for p in out.iterdir()}
    if not children or DEMO_MARKER in children:
        return
    # A demo of an earlier version (no marker): exactly its two folders, with its mailbox.
    if children <= {"workbooks", "mailbox"} and (out / _DEMO_MAILBOX).is_file():
        return
    raise UsageError(
        f"{out} 中已有其他文件（可能是正式工作区），演示不会覆盖它们；请换一个空文件夹，例如 --out perfsheet-demo-2"
    )


def run_demo(
    out_dir: str | Path = "perfsheet-demo",
    period: Period = DEMO_PERIOD,
    *,
    progress: StepCallback | None = None,
) -> DemoResult:
    """Run the whole cycle into ``out_dir``: an empty (or new) folder, or one an earlier demo made,
    which is recreated. Any other folder is refused: it may hold a real workspace, whose archive
    must never be deleted."""
    out = Path(os.path.abspath(out_dir))  # relative paths would be joined to the workspace root twice
    _check_demo_folder(out)
    workspace_dir = out / "workbooks"
    if workspace_dir.exists():
        # Start from scratch so the demo is repeatable; only the demo's own workspace is removed.
        shutil.rmtree(workspace_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text("perfsheet demo\n", encoding="utf-8")
    ws = init_workspace(workspace_dir)
    department = ws.department
    today = ws.config.deadline(period) + dt.timedelta(days=5)

    if progress:
        progress("生成模板与发送草稿", 0, None)
    send = prepare_send(ws, period, today=today)
    drafts = deliver(ws, period, send, dry_run=True).drafts
    templates = sorted(ws.templates_dir(period).glob("*.xlsx"))

    # The section chiefs answer: two earlier months on track, then this month's story.
    earlier = [Period(period.year, m) for m in (period.month - 2, period.month - 1) if m >= 1]
    messages: list[tuple[str, dt.datetime, bytes]] = []
    sections = [s for s in department.sections if department.projects_of(s.name)]
    for when_period in [*earlier, period]:
        story = when_period == period
        for index, section in enumerate(sections):
            if story and section.name == SILENT_SECTION:
                continue
            when = _reply_time(when_period, index, late=story and section.name == LATE_SECTION)
            data = _reply(
                department,
                section,
                list(department.projects_of(section.name)),
                when_period,
                story=story,
                when=when,
                office_email=ws.config.office.email,
            )
            messages.append((section.email, when, data))
        if progress:
            progress("模拟科长填报", len(messages), None)
    mailbox_path = out / _DEMO_MAILBOX
    mailbox_path.parent.mkdir(parents=True, exist_ok=True)
    compose.write_mbox(mailbox_path, messages)

    month = run_month(ws, period, [str(mailbox_path)], today=today, progress=progress)
    return DemoResult(out, ws, mailbox_path, templates, drafts, month)


def demo_story(department: Department) -> Mapping[str, str]:
    """What the demo month shows, for the CLI's closing lines (names from the registry)."""
    lagging = "、".join(
        f"{department.project(code).name}（{'红灯' if share < Decimal('0.6') else '黄灯'}）"
        for code, share in LAGGING.items()
    )
    return {
        "未报送": f"{SILENT_SECTION}（未回复）",
        "逾期": f"{LATE_SECTION}（截止日后回复）",
        "有错误": f"{department.project(WITH_MISTAKES).name}（执行数超预算、下拉项填写错误、电话号码过短）",
        "执行滞后": lagging,
    }
