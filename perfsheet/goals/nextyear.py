"""Next year's goals drafted from this year's: the same projects and indicators, with what only the
office can decide left for it.

The 项目编码 and the money (预算数, 财政资金, 其他资金) are new every year: the amounts are left at 0 and
each code is a placeholder ``待填01`` … (the goals workbook ties indicators to their project by code,
so a blank one would lose them; Excel's 替换 puts the real code in once it is known). Reading the
workbook back warns about every placeholder and zero budget left (sheet!cell, exit 1).
This year's actual of each indicator, when known (the year-end self-evaluation's), is kept beside the
draft as a reference, keyed by the draft's codes: the goals workbook shows it in a column of its own
that it never reads back, so last year's figures never become part of next year's registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from perfsheet.model import Department, Project

__all__ = ["CODE_PLACEHOLDER", "NextYearDraft", "draft_next_year", "draft_path"]

CODE_PLACEHOLDER = "待填"


@dataclass(frozen=True, slots=True)
class NextYearDraft:
    department: Department  # next year's goals, codes and money left for the office
    # (draft 项目编码, 指标序号) → this year's actual as a person reads it (``95%``, ``30场``, ``达成``)
    references: Mapping[tuple[str, int], str]


def draft_path(goals_folder: Path, year: int) -> Path:
    """Where ``perfsheet goals next`` writes the draft when not told: beside this year's goals file, as
    ``<year>-草稿.xlsx`` (read back into ``<year>.yaml`` in the same folder)."""
    return goals_folder / f"{year}-草稿.xlsx"


def draft_next_year(department: Department, year: int,
                    actuals: Mapping[tuple[str, int], str] | None = None) -> NextYearDraft:
    """``department``'s goals as a draft for ``year``; ``actuals``: (项目编码, 指标序号) → this year's
    actual as a person reads it."""
    if year <= department.year:
        raise ValueError(f"下一年度应晚于{department.year}年，收到{year}")
    actuals = actuals or {}
    zero = Decimal(0)
    projects: list[Project] = []
    references: dict[tuple[str, int], str] = {}
    for index, project in enumerate(department.projects, start=1):
        code = f"{CODE_PLACEHOLDER}{index:02d}"
        name = project.name.replace(str(department.year), str(year), 1)
        references.update({(code, ind.n): actuals[(project.code, ind.n)] for ind in project.indicators
                           if actuals.get((project.code, ind.n))})
        projects.append(replace(project, code=code, name=name, budget=zero, fiscal=zero, other=zero))
    return NextYearDraft(replace(department, year=year, projects=tuple(projects)), references)
