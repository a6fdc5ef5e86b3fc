"""``perfsheet goals import DOC -o goals.yaml``: a goals document (text, Word, Excel, web page) or a
goals workbook → registry YAML.

Attached to the ``goals`` group by :mod:`perfsheet.cli.goals` (``goals.add_command(import_command)``).
"""

from __future__ import annotations

import itertools
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from rich.text import Text

from perfsheet.errors import UsageError
from perfsheet.goals.registry import dump_goals, save_goals
from perfsheet.model import PlanPoint
from perfsheet.targets import format_value

from ._common import console_err

__all__ = ["import_command"]


def _plan_option(text: str | None) -> tuple[PlanPoint, ...]:
    """ "3:25,6:50,10:75,12:100" → plan points (the default plan for tables without one)."""
    if not text:
        from perfsheet.goals.tables import DEFAULT_PLAN

        return DEFAULT_PLAN
    points = []
    try:
        for part in text.replace("，", ",").split(","):
            month, _, percent = part.strip().partition(":")
            points.append(PlanPoint(int(month), Decimal(percent.strip().rstrip("%"))))
    except (ValueError, InvalidOperation):
        raise UsageError(f"--plan 的值“{text}”无法识别；应写成“3:25,6:50,10:75,12:100”（月份:累计百分比）") from None
    if (
        not points
        or points[-1].month != 12
        or points[-1].percent != 100
        or any(b.month <= a.month or b.percent < a.percent for a, b in itertools.pairwise(points))
    ):
        raise UsageError(f"--plan 的值“{text}”应按月份递增、累计比例不减少，并在 12 月达到 100")
    return tuple(points)


@click.command("import")
@click.argument("document", metavar="目标文件", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="写入的目标文件（YAML）；缺省时输出到屏幕。",
)
@click.option("--department", default=None, help="部门名称（缺省从文档中识别，例如“路南区司法局”）。")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, metavar="年度", help="年度（缺省从文档中识别，例如“（2023年）”）。")
@click.option(
    "--plan",
    "plan_text",
    default=None,
    metavar="计划",
    help="文档没有资金支出计划时使用的默认计划，缺省为“3:25,6:50,10:75,12:100”（月份:累计百分比）。",
)
@click.option("--force", is_flag=True, help="目标文件已存在时覆盖它。")
def import_command(
    document: Path, output: Path | None, department: str | None, year: int | None, plan_text: str | None, force: bool
) -> None:
    """导入绩效目标文档或目标工作簿，生成年度目标文件（YAML）。

    读取文本（.txt/.md）、Word（.docx）、Excel（.xlsx/.xls/.ods）或网页（.html）中的项目支出绩效目标表（申报表、审批表、批复表均可）：项目名称和编码、预算数、资金用途、支出计划、年度目标和全部指标，原文照录；也读取 perfsheet goals export 导出、经手工修改的目标工作簿。

    所有问题一次列出（文件:行 或 文件:工作表!单元格）。退出码：0 无问题；1 已导入，但有需要核对的问题；2 文件无法使用。
    """
    if output is not None and output.exists() and not force:
        # The goals file is edited by hand; never overwrite it silently.
        raise UsageError(f"{output} 已存在；如需覆盖请加 --force")
    # The document reader only for this command, not for every `perfsheet goals …`.
    from perfsheet.goals.document import read_goals_document

    result = read_goals_document(document, department=department, year=year, default_plan=_plan_option(plan_text))
    department_ = result.department
    if output is None:
        click.echo(dump_goals(department_), nl=False)
    else:
        save_goals(department_, output)
    for problem in result.problems:
        label = "问题：" if problem.severity == "error" else "注意："
        console_err.print(Text(label, style="yellow") + Text(str(problem)), highlight=False, soft_wrap=True)
    console_err.print(
        f"已导入 {department_.year}年 {department_.name}：{len(department_.projects)} 个项目，"
        f"{department_.indicator_count} 个指标，预算合计 {format_value(department_.total_budget)} 万元"
        + (f" → {output}" if output else "")
        + (f"；有 {len(result.problems)} 处需要核对" if result.problems else "")
        + (f"（可用 perfsheet goals export 目标.xlsx --goals {output} 导出为工作簿修改后再导入）" if result.problems and output else ""),
        highlight=False,
        soft_wrap=True,
    )
    if result.exit_code:
        sys.exit(result.exit_code)
