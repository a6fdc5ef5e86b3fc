"""Helpers for the ledger/collect/dispatch tests: a hand-made department and ledger rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from perfsheet.model import Department, Indicator, Op, PlanPoint, Project, Section, Target

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
