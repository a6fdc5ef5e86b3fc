"""Next year's goals drafted from this year's: the same projects and indicators, with what only the
office can decide left for it.

The 项目编码 and the money (预算数, 财政资金, 其他资金) are new every year: the amounts are left at 0 and
each code is a placeholder ``待填01`` … (the goals workbook ties indicators to their project by code,
so a blank one would lose them; Excel's 替换 puts the real code in once it is known).
This year's actual of each indicator, when known (the year-end self-evaluation's), is written into its
指标值确定依据 as a reference the clerk sees next to the target; targets, plans and texts are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from perfsheet.model import Department, Indicator, Project

__all__ = ["CODE_PLACEHOLDER", "REFERENCE_PREFIX", "draft_next_year"]

REFERENCE_PREFIX = "参考"
CODE_PLACEHOLDER = "待填"


def _indicator(indicator: Indicator, year: int, actual: str | None) -> Indicator:
    if not actual:
        return indicator
    note = f"{REFERENCE_PREFIX}：{year}年实际完成{actual}"
    basis = f"{indicator.basis}；{note}" if indicator.basis else note
    return replace(indicator, basis=basis)


def draft_next_year(department: Department, year: int,
                    actuals: Mapping[tuple[str, int], str] | None = None) -> Department:
    """``department``'s goals as a draft for ``year``; ``actuals``: (项目编码, 指标序号) → this year's
    actual as a person reads it (``95%``, ``30场``, ``达成``)."""
    if year <= department.year:
        raise ValueError(f"下一年度应晚于{department.year}年，收到{year}")
    actuals = actuals or {}
    zero = Decimal(0)
    projects: list[Project] = []
    for index, project in enumerate(department.projects, start=1):
        name = project.name.replace(str(department.year), str(year), 1)
        indicators = tuple(_indicator(ind, department.year, actuals.get((project.code, ind.n)))
                           for ind in project.indicators)
        projects.append(replace(project, code=f"{CODE_PLACEHOLDER}{index:02d}", name=name, budget=zero, fiscal=zero, other=zero,
                                indicators=indicators))
    return replace(department, year=year, projects=tuple(projects))
