"""Helpers for the ledger/collect/dispatch tests: a hand-made department and ledger rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from perfsheet.goals.registry import save_goals
from perfsheet.mail.compose import build_message, message_bytes
from perfsheet.model import Department, Indicator, Op, Period, PlanPoint, Project, Section, Target
from perfsheet.template.build import build_template, fill_template
from perfsheet.workspace import Workspace

CST = dt.timezone(dt.timedelta(hours=8))


def small_department() -> Department:
    """Two sections, three projects: enough to see missing / invalid / valid side by side."""
    plan = tuple(PlanPoint(m, Decimal(p)) for m, p in ((3, 25), (6, 50), (10, 75), (12, 100)))

    def project(code: str, name: str, section: str) -> Project:
        indicator = Indicator(
            1, "产出指标", "数量指标", "办理件数", "", Target("≥10件", Op.GE, Decimal(10), "件"), ""
        )
        return Project(code, name, Decimal(10), Decimal(10), Decimal(0), "", "", plan, (indicator,), section)

    return Department(
        name="测试司法局",
        year=2025,
        sections=(
            Section("法律援助科", chief="张三", email="zhang@example.org"),
            Section("办公室", chief="李四", email="li@example.org"),
        ),
        projects=(
            project("P1", "法律援助经费", "法律援助科"),
            project("P2", "人民调解经费", "法律援助科"),
            project("P3", "办公经费", "办公室"),
        ),
    )


def at(day: int, hour: int = 9, month: int = 7) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, 0, tzinfo=CST)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative posix path → bytes), to compare runs."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def make_workspace(root: Path, department: Department | None = None, *, deadline_day: int = 10) -> Workspace:
    """A workspace on disk holding ``department`` (default: :func:`small_department`) and its roster."""
    department = department or small_department()
    root.mkdir(parents=True, exist_ok=True)
    save_goals(department, root / "goals" / f"{department.year}.yaml")
    lines = [
        f"department: {department.name}",
        f"year: {department.year}",
        f"goals: goals/{department.year}.yaml",
        f"deadline_day: {deadline_day}",
        "office:",
        "  name: 办公室",
        "  contact: 王敏",
        "  phone: 0315-2345678",
        "  email: office@example.org",
        "sections:",
    ]
    for s in department.sections:
        lines += [f"  - name: {s.name}", f"    chief: {s.chief}", f"    email: {s.email}"]
    lines.append("projects:")
    lines += [f"  {p.code}: {p.section}" for p in department.projects if p.section]
    (root / "perfsheet.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Workspace.open(root)


JUNE = Period(2025, 6)

VALID_VALUES: dict[str, object] = {
    "budget.adjusted": 10,
    "spend.to_date": 5,
    "spend.projected": 10,
    "goal.progress": "按计划推进",
    "contact.name": "张三",
    "contact.phone": "0315-1234567",
    "contact.date": dt.date(2025, 7, 3),
    "contact.head": "张三",
    "ind.1.actual": 6,
    "ind.1.projection": 12,
    "ind.1.likelihood": "确定能",
    "ind.1.deviation": "无偏差",
}


def filled_return(
    department: Department, code: str, period: Period = JUNE, template: bytes | None = None, **changes: object
) -> bytes:
    """A return as a chief sends it back: the project's template with values typed in."""
    values = dict(VALID_VALUES)
    values.update({k.replace("__", "."): v for k, v in changes.items()})
    if template is None:
        template = build_template(department, department.project(code), period)
    return fill_template(template, values)


def reply_message(
    sender: str, subject: str, attachments: list[tuple[str, bytes]], date: dt.datetime, n: int = 0
) -> bytes:
    """A reply as a mail client would deliver it (raw RFC 5322 bytes)."""
    message = build_message(
        sender=sender,
        to="office@example.org",
        subject=subject,
        body="附件是本月的监控表，请查收。",
        attachments=attachments,
        date=date,
        message_id=f"<reply-{n}-{date.timestamp():.0f}@example.org>",
    )
    return message_bytes(message)
